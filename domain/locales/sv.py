"""Svenska texter. Lätt svenska: korta meningar, en sak i taget."""

MESSAGES: dict[str, str] = {
    "language.name": "svenska",
    "welcome.personal": (
        "Hej! Jag är Etäpäivä, hjälpen för distansgruppdagar. "
        "Jag hjälper till med incheckningen, med ljud och bild och med pauserna. "
        "Skriv hjälp så ser du vad du kan göra."
    ),
    "welcome.group": (
        "Hej alla! Jag är Etäpäivä, hjälpen för distansgruppdagar. "
        "Jag håller koll på schemat och pauserna, och jag tar emot incheckningen. "
        "Skriv hjälp så ser du mer."
    ),
    "welcome.group.instructor_hint": (
        "Handledare: berätta vilken grupp den här chatten hör till. Skriv: detta är gruppen"
    ),
    "help.intro": "Det här kan du göra med Etäpäivä:",
    "help.mention_hint": "I en gruppchatt börjar du ditt meddelande med @Etäpäivä.",
    "help.item.help": "hjälp – visar den här listan.",
    "help.item.language": "språk fi, språk sv eller språk en – byter mitt språk.",
    "help.item.my_group": "Du är med i gruppen {groups}.",
    "help.item.no_group": "Du är inte med i någon grupp än. Din handledare kan lägga till dig.",
    "help.item.bind": (
        "detta är gruppen – kopplar den här chatten till en av dina grupper. "
        "Skriv det i gruppens möteschatt, gruppchatt eller kanal."
    ),
    "help.item.groups": "grupper – visar dina grupper och vilken chatt varje grupp använder.",
    "help.item.coordinator": "Du följer grupperna i {units}.",
    "help.item.admin": (
        "Du är administratör. Personer och grupper läggs till med kommandot etapaiva org import."
    ),
    "unknown": "Förlåt, jag förstod inte. Skriv hjälp så ser du vad du kan göra.",
    "language.changed": "Okej. Nu talar jag svenska med dig.",
    "language.usage": "Skriv språk fi, språk sv eller språk en.",
    "bind.personal_chat": (
        "Det här är en privat chatt. Skriv detta är gruppen i gruppens möteschatt, "
        "gruppchatt eller kanal."
    ),
    "bind.not_instructor": "Bara en handledare för gruppen kan koppla chatten till en grupp.",
    "bind.no_groups": "Du har inga grupper än. Be en administratör att lägga till dem.",
    "bind.choose.title": "Vilken grupp är den här chatten för?",
    "bind.choose.text": "Välj en grupp. Gruppens gruppdagar använder sedan den här chatten.",
    "bind.choose.speak": "Välj vilken grupp den här chatten är för.",
    "bind.unknown_group": "Jag hittade inte gruppen {name} bland dina grupper.",
    "bind.done": "Klart. Den här chatten hör nu till gruppen {group}.",
    "bind.moved": (
        "Klart. Gruppen {group} använder nu den här chatten. "
        "Den använder inte längre sin tidigare chatt."
    ),
    "bind.already": "Den här chatten hör redan till gruppen {group}.",
    "bind.card.done": "Den här chatten hör till gruppen {group}.",
    "groups.none": "Du har inga grupper.",
    "groups.title": "Dina grupper:",
    "groups.line.bound": "{group} ({unit}) – har en chatt.",
    "groups.line.unbound": "{group} ({unit}) – ingen chatt än.",
    "card.stale": "Den här knappen fungerar inte längre. Skriv hjälp så ser du vad du kan göra.",
    "error.generic": "Något gick fel hos mig. Försök igen om en stund.",
    "error.busy": "Jag har mycket att göra just nu. Försök igen om en stund.",
    "role.client": "klient",
    "role.instructor": "handledare",
    "role.coordinator": "förman",
    "role.admin": "administratör",
}
