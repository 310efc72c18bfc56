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
    "language.button": "Svenska",
    "language.choose.title": "Vilket språk ska jag tala med dig?",
    "language.choose.text": "Välj ett språk. Du kan byta när som helst: skriv **språk**.",
    "bind.personal_chat": (
        "Det här är en privat chatt. Skriv detta är gruppen i gruppens möteschatt, "
        "gruppchatt eller kanal."
    ),
    "bind.not_instructor": "Bara en handledare för gruppen kan koppla chatten till en grupp.",
    "bind.taken": "Den här chatten hör redan till en annan grupp. Bara en handledare för den gruppen kan byta grupp.",
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
    "help.item.agenda": "program – visar dagens program.",
    "help.item.steer": "starta dagen, förläng 5, nästa, sena 10, flytta -5, pausa, fortsätt och avsluta dagen – styr dagen. Samma knappar finns i programmet.",
    "agenda.title": "Dagens program: {plan}",
    "agenda.date": "Dag {date}",
    "agenda.status.planned": "Dagen har inte börjat än.",
    "agenda.status.running": "Dagen pågår.",
    "agenda.status.paused": "Klockan är stoppad.",
    "agenda.status.closed": "Dagen är slut.",
    "agenda.status.cancelled": "Dagen är inställd.",
    "agenda.now": "Nu",
    "agenda.done": "klar",
    "agenda.speak": "Dagens program. {status}",
    "agenda.button.start": "Starta dagen",
    "agenda.button.extend": "Förläng med 5 min",
    "agenda.button.skip": "Nästa punkt",
    "agenda.button.late": "Vi är 10 min sena",
    "agenda.button.pause": "Stoppa klockan",
    "agenda.button.resume": "Fortsätt",
    "agenda.button.end": "Avsluta dagen",
    "event.start": "Nu: {title}.",
    "event.next": "Sedan: {title} kl. {time}.",
    "event.last": "Dagen slutar kl. {time}.",
    "event.break_start": "Nu: {title}. Pausen slutar kl. {end}.",
    "event.tip": "Tips: {tip}",
    "event.break_warning": "Pausen slutar om {minutes} minuter, kl. {end}.",
    "event.break_end": "Pausen är slut. Nu: {title}.",
    "event.break_end_last": "Pausen är slut.",
    "event.back_prompt": "Tryck på knappen när du är tillbaka.",
    "event.back_button": "Jag är tillbaka",
    "event.back_count": "Tillbaka från pausen: {count}",
    "event.back_thanks": "Tack! Du är markerad som tillbaka.",
    "change.start": "Dagen har börjat.",
    "change.extend": "{title} fortsätter {minutes} min till.",
    "change.skip": "Vi går vidare till nästa punkt.",
    "change.shift_later": "Programmet flyttas {minutes} min senare.",
    "change.shift_earlier": "Programmet flyttas {minutes} min tidigare.",
    "change.pause": "Klockan är stoppad. Jag säger till när vi fortsätter.",
    "change.resume": "Vi fortsätter.",
    "change.end": "Dagen är slut. Tack alla!",
    "change.no_next": "Det här är dagens sista punkt.",
    "day.no_group": "Den här chatten hör inte till någon grupp. Handledare: skriv detta är gruppen.",
    "day.not_instructor": "Bara gruppens handledare kan ändra dagens program.",
    "day.none_today": "Gruppen har inget program i dag. Handledare: skriv program så kan du välja ett.",
    "day.exists": "Gruppen har redan ett program för den dagen.",
    "day.not_planned": "Dagen har redan börjat.",
    "day.not_running": "Dagen pågår inte.",
    "day.not_paused": "Klockan är inte stoppad.",
    "day.nothing_running": "Ingen punkt pågår just nu.",
    "day.nothing_next": "Det finns ingen nästa punkt.",
    "day.bad_minutes": "Skriv minuterna som en siffra, till exempel 5. Högst 120.",
    "day.cannot_move_earlier": "Programmet kan inte flyttas till tidigare än nu.",
    "plan.choose.title": "Välj dagens program",
    "plan.choose.text": "Gruppen har inget program för i dag än. Välj ett.",
    "plan.done": "Klart. Dagens program är {plan}. Det börjar kl. {time}.",
    "plan.unknown": "Jag hittade inte programmet {name}.",
    "day.none_on_date": "Gruppen har inget program den dagen.",
    "day.cancelled": "Dagen {date} är inställd.",
    "day.moved": "Dagen {date} är flyttad till {to}.",
    "day.bad_date": "Skriv datumet så här: 3.12. eller 3.12.2026. För att flytta, två datum: 3.12. 4.12.",
    "help.item.days": "ställ in dagen 3.12. och flytta dagen 3.12. 4.12. – ställer in eller flyttar en dag.",
}
