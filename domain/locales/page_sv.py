"""The public tutorial web page's texts (sv)."""

MESSAGES: dict[str, str] = {
    "page.brand": "Etäpäivä",
    "page.title": "Guide till Teams",
    "page.intro": (
        "I den här guiden lär du dig att använda Teams på en distansdag. "
        "Du lär dig hur kameran, mikrofonen och skärmdelningen fungerar."
    ),
    "page.no_login": (
        "Du kan läsa guiden utan att logga in. Du behöver inte förbinda dig till något."
    ),
    "page.choose_language": "Välj språk",
    "page.choose_device": "Välj enhet",
    "page.choose_device_help": (
        "Vilken enhet använder du Teams på? Välj den. Du får instruktioner just för den enheten."
    ),
    "page.device_title": "Guide: {device}",
    "page.device_intro": (
        "Instruktionerna är indelade i delar. Läs en del i taget. Du kan prova samtidigt i Teams. "
        "Om något inte fungerar, öppna ”Om det inte fungerar”."
    ),
    "page.contents": "Innehåll",
    "page.shortcut": "Kortkommando",
    "page.troubleshoot": "Om det inte fungerar",
    "page.skip": "Hoppa till innehållet",
    "page.nav_back": "Tillbaka",
    "page.back_to_languages": "Tillbaka till språkvalet",
    "page.back_to_devices": "Tillbaka till val av enhet",
    "page.other_devices": "Andra enheter",
    "page.other_languages": "På andra språk",
    "page.bot_hint": "Du får samma guide också i Teams. Skriv till Etäpäivä-botten: guide",
    "page.home": "Guidens startsida",
    "page.not_found_title": "Sidan hittades inte",
    "page.not_found_text": (
        "Den här sidan finns inte. Kontrollera adressen. "
        "Du kan också välja guidens startsida eller ett språk nedan."
    ),
}
