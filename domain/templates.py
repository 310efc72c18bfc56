"""Built-in day templates (the staff's day scripts), item kind names and break tips in fi/sv/en.

Every template has the same items and times in each language; only the texts differ. A template's
CLOSE item starts when the day officially ends; its few minutes are for saying goodbye.
"""

from __future__ import annotations

from datetime import time, timedelta

from domain.org import Language
from domain.plans import ItemKind, Plan, PlanItem

K = ItemKind

# (kind, start, minutes, (fi, sv, en) title)
_Row = tuple[ItemKind, str, int, tuple[str, str, str]]

_CHECK_IN = ("Ilmoittautuminen", "Incheckning", "Check-in")
_BREAK = ("Tauko", "Paus", "Break")
_LUNCH = ("Lounastauko", "Lunchpaus", "Lunch break")
_CLOSE = ("Päivä päättyy", "Dagen slutar", "The day ends")

_TEMPLATES: dict[str, tuple[tuple[str, str, str], tuple[_Row, ...]]] = {
    "youth-day": (
        ("Nuorten päivä (16–20 v.)", "Ungdomsdag (16–20 år)", "Youth day (ages 16–20)"),
        (
            (K.CHECK_IN, "09:00", 10, _CHECK_IN),
            (
                K.WELCOME,
                "09:10",
                10,
                ("Tervetuloa! Mitä kuuluu?", "Välkommen! Hur mår ni?", "Welcome! How is everyone?"),
            ),
            (
                K.VIDEO,
                "09:20",
                15,
                (
                    "Hyvinvointi: katsotaan video",
                    "Välmående: vi tittar på en video",
                    "Wellbeing: we watch a video",
                ),
            ),
            (K.BREAK, "09:35", 15, _BREAK),
            (
                K.DISCUSSION,
                "09:50",
                10,
                (
                    "Puhutaan hyvinvoinnista",
                    "Vi pratar om välmående",
                    "We talk about wellbeing",
                ),
            ),
            (K.BREAK, "10:00", 15, _BREAK),
            (
                K.EXERCISE,
                "10:15",
                60,
                (
                    "Ulos liikkumaan: ota neljä kuvaa",
                    "Ut och röra på dig: ta fyra bilder",
                    "Go outside and move: take four photos",
                ),
            ),
            (K.LUNCH, "11:15", 45, _LUNCH),
            (
                K.CONTENT,
                "12:00",
                30,
                (
                    "Katsotaan kuvat yhdessä",
                    "Vi tittar på bilderna tillsammans",
                    "We look at the photos together",
                ),
            ),
            (
                K.FEEDBACK,
                "12:30",
                30,
                (
                    "Palaute: millainen päivä oli?",
                    "Respons: hur var dagen?",
                    "Feedback: how was the day?",
                ),
            ),
            (K.CLOSE, "13:00", 5, _CLOSE),
        ),
    ),
    "virtual-day": (
        ("Neljän tunnin etäpäivä", "Distansdag på fyra timmar", "Four-hour virtual day"),
        (
            (
                K.LINE_OPEN,
                "08:00",
                120,
                (
                    "Linja on auki: apua tekniikkaan",
                    "Linjen är öppen: hjälp med tekniken",
                    "The line is open: help with technical problems",
                ),
            ),
            (K.CHECK_IN, "10:00", 10, _CHECK_IN),
            (
                K.WELCOME,
                "10:10",
                20,
                (
                    "Tervetuloa! Esittäytyminen",
                    "Välkommen! Vi presenterar oss",
                    "Welcome! Introductions",
                ),
            ),
            (
                K.DISCUSSION,
                "10:30",
                20,
                (
                    "Käydään läpi edelliset etätehtävät",
                    "Vi går igenom de förra distansuppgifterna",
                    "We go through the last remote tasks",
                ),
            ),
            (K.BREAK, "10:50", 10, _BREAK),
            (
                K.CONTENT,
                "11:00",
                60,
                (
                    "Ohjelma, jonka valitsemme yhdessä",
                    "Program som vi väljer tillsammans",
                    "Programme we choose together",
                ),
            ),
            (K.LUNCH, "12:00", 30, _LUNCH),
            (
                K.CONTENT,
                "12:30",
                50,
                ("Ohjelma jatkuu", "Programmet fortsätter", "The programme goes on"),
            ),
            (K.BREAK, "13:20", 10, _BREAK),
            (
                K.FEEDBACK,
                "13:30",
                30,
                (
                    "Palaute ja uudet ideat",
                    "Respons och nya idéer",
                    "Feedback and new ideas",
                ),
            ),
            (K.CLOSE, "14:00", 5, _CLOSE),
        ),
    ),
    "remote-cafe": (
        ("Etäkahvila", "Distanscafé", "Remote café"),
        (
            (K.CHECK_IN, "10:00", 10, _CHECK_IN),
            (
                K.WELCOME,
                "10:10",
                15,
                ("Tervetuloa! Mitä uutta?", "Välkommen! Vad är nytt?", "Welcome! What is new?"),
            ),
            (
                K.DISCUSSION,
                "10:25",
                20,
                (
                    "Vapaata juttelua ja toiveita",
                    "Fritt prat och önskemål",
                    "Free chat and wishes",
                ),
            ),
            (
                K.CONTENT,
                "10:45",
                30,
                (
                    "Levyraati: kuunnellaan kappale ja puhutaan siitä",
                    "Skivjury: vi lyssnar på en låt och pratar om den",
                    "Record jury: we listen to a song and talk about it",
                ),
            ),
            (K.BREAK, "11:15", 10, _BREAK),
            (
                K.CONTENT,
                "11:25",
                25,
                (
                    "Tutustutaan verkkopalveluihin",
                    "Vi bekantar oss med tjänster på nätet",
                    "We look at online services",
                ),
            ),
            (
                K.FEEDBACK,
                "11:50",
                10,
                (
                    "Palaute ja ideoita ensi kertaan",
                    "Respons och idéer till nästa gång",
                    "Feedback and ideas for next time",
                ),
            ),
            (K.CLOSE, "12:00", 5, _CLOSE),
        ),
    ),
    "healthy-food": (
        ("Terveellinen ruoka", "Hälsosam mat", "Healthy food"),
        (
            (K.CHECK_IN, "10:00", 10, _CHECK_IN),
            (K.WELCOME, "10:10", 5, ("Tervetuloa!", "Välkommen!", "Welcome!")),
            (
                K.CONTENT,
                "10:15",
                15,
                (
                    "Teams tutuksi: ääni, kamera ja näytön jakaminen",
                    "Lär dig Teams: ljud, kamera och att dela skärmen",
                    "Learn Teams: sound, camera and sharing your screen",
                ),
            ),
            (
                K.WELCOME,
                "10:30",
                15,
                ("Esittäytyminen", "Vi presenterar oss", "Introductions"),
            ),
            (
                K.CONTENT,
                "10:45",
                15,
                ("Aihe: terveellinen ruoka", "Tema: hälsosam mat", "Topic: healthy food"),
            ),
            (
                K.DISCUSSION,
                "11:00",
                15,
                ("Puhutaan aiheesta", "Vi pratar om temat", "We talk about the topic"),
            ),
            (
                K.VIDEO,
                "11:15",
                10,
                ("Katsotaan video", "Vi tittar på en video", "We watch a video"),
            ),
            (K.BREAK, "11:25", 10, _BREAK),
            (
                K.DISCUSSION,
                "11:35",
                15,
                ("Vapaata keskustelua", "Fri diskussion", "Free discussion"),
            ),
            (
                K.CONTENT,
                "11:50",
                20,
                (
                    "Neljän hengen ryhmissä: kootaan terveellinen lautanen",
                    "I grupper på fyra: vi bygger en hälsosam tallrik",
                    "In groups of four: we build a healthy plate",
                ),
            ),
            (
                K.DISCUSSION,
                "12:10",
                10,
                ("Päivän tavoite", "Dagens mål", "The goal of the day"),
            ),
            (K.FEEDBACK, "12:20", 10, ("Palaute", "Respons", "Feedback")),
            (K.CLOSE, "12:30", 5, _CLOSE),
        ),
    ),
}

_COLUMN = {Language.FI: 0, Language.SV: 1, Language.EN: 2}

TEMPLATE_KEYS: tuple[str, ...] = tuple(_TEMPLATES)


def template(key: str, language: Language) -> Plan:
    """The built-in template with this key, in language; KeyError for an unknown key."""
    names, rows = _TEMPLATES[key]
    column = _COLUMN[language]
    items = tuple(
        PlanItem(
            kind=kind,
            title=titles[column],
            start=time.fromisoformat(start),
            duration=timedelta(minutes=minutes),
        )
        for kind, start, minutes, titles in rows
    )
    return Plan(key=key, name=names[column], items=items)


def templates(language: Language) -> tuple[Plan, ...]:
    """All built-in templates in language, in TEMPLATE_KEYS order."""
    return tuple(template(key, language) for key in TEMPLATE_KEYS)


def template_names(language: Language) -> dict[str, str]:
    """Template key to its display name in language."""
    return {key: names[_COLUMN[language]] for key, (names, _) in _TEMPLATES.items()}


KIND_NAMES: dict[Language, dict[ItemKind, str]] = {
    Language.FI: {
        K.LINE_OPEN: "linja auki",
        K.CHECK_IN: "ilmoittautuminen",
        K.WELCOME: "tervetuloa",
        K.CONTENT: "ohjelma",
        K.VIDEO: "video",
        K.DISCUSSION: "keskustelu",
        K.EXERCISE: "liikunta",
        K.BREAK: "tauko",
        K.LUNCH: "lounas",
        K.FEEDBACK: "palaute",
        K.CLOSE: "lopetus",
    },
    Language.SV: {
        K.LINE_OPEN: "linjen öppen",
        K.CHECK_IN: "incheckning",
        K.WELCOME: "välkommen",
        K.CONTENT: "program",
        K.VIDEO: "video",
        K.DISCUSSION: "diskussion",
        K.EXERCISE: "motion",
        K.BREAK: "paus",
        K.LUNCH: "lunch",
        K.FEEDBACK: "respons",
        K.CLOSE: "avslutning",
    },
    Language.EN: {
        K.LINE_OPEN: "line open",
        K.CHECK_IN: "check-in",
        K.WELCOME: "welcome",
        K.CONTENT: "programme",
        K.VIDEO: "video",
        K.DISCUSSION: "discussion",
        K.EXERCISE: "exercise",
        K.BREAK: "break",
        K.LUNCH: "lunch",
        K.FEEDBACK: "feedback",
        K.CLOSE: "close",
    },
}

BREAK_TIPS: dict[Language, tuple[str, ...]] = {
    Language.FI: (
        "Nouse seisomaan ja venytä kädet ylös.",
        "Katso kauas, vaikka ikkunasta ulos, 20 sekuntia. Silmät lepäävät.",
        "Pyöritä hartioita hitaasti taaksepäin viisi kertaa.",
        "Juo lasi vettä.",
        "Avaa ikkuna hetkeksi. Raitis ilma virkistää.",
        "Tarkista tuoli: jalat ovat lattialla ja selkä nojaa selkänojaan.",
        "Tarkista näyttö: sen yläreuna on silmien korkeudella.",
        "Kävele vähän, vaikka keittiöön ja takaisin.",
        "Pyöritä ranteita rauhallisesti. Ravista sitten kädet rennoiksi.",
        "Käännä päätä hitaasti vasemmalle ja oikealle.",
    ),
    Language.SV: (
        "Ställ dig upp och sträck armarna uppåt.",
        "Titta långt bort, till exempel ut genom fönstret, i 20 sekunder. Då vilar ögonen.",
        "Rulla axlarna långsamt bakåt fem gånger.",
        "Drick ett glas vatten.",
        "Öppna fönstret en stund. Frisk luft piggar upp.",
        "Kolla stolen: fötterna står på golvet och ryggen vilar mot ryggstödet.",
        "Kolla skärmen: den övre kanten är i höjd med ögonen.",
        "Gå lite, till exempel till köket och tillbaka.",
        "Rulla handlederna lugnt. Skaka sedan loss händerna.",
        "Vrid huvudet långsamt åt vänster och åt höger.",
    ),
    Language.EN: (
        "Stand up and stretch your arms up high.",
        "Look far away, for example out of the window, for 20 seconds. Your eyes get a rest.",
        "Roll your shoulders slowly backwards five times.",
        "Drink a glass of water.",
        "Open a window for a moment. Fresh air wakes you up.",
        "Check your chair: your feet are on the floor and your back rests against the chair.",
        "Check your screen: its top edge is at the height of your eyes.",
        "Walk a little, for example to the kitchen and back.",
        "Turn your wrists slowly in circles. Then shake your hands loose.",
        "Turn your head slowly to the left and to the right.",
    ),
}


def break_tip(language: Language, n: int) -> str:
    """The n-th break tip in language; n wraps around, so tips rotate."""
    tips = BREAK_TIPS[language]
    return tips[n % len(tips)]
