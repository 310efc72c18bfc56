"""Answers to what people write that is no command (sv). Lättläst: korta meningar."""

MESSAGES: dict[str, str] = {
    "checkin.none_open": (
        "Tack! Uppropet är inte öppet nu. Handledaren startar det i gruppens chatt. "
        "Då kan du trycka på knappen Jag är här."
    ),
    "checkin.done": "Tack! Jag har antecknat att du är här.",
    "smalltalk.thanks": "Varsågod! 🙂",
    "smalltalk.ok": "Okej! 🙂",
    "didyoumean.text": 'Menade du "{word}"?',
    "didyoumean.button": "Ja: {word}",
    "fallback.personal": "Förlåt, jag förstod inte.",
    "fallback.greeting": "Hej! Jag är Etäpäivä.",
    "fallback.question": "Vad vill du göra? Välj en knapp eller skriv **hjälp**.",
    "fallback.button.guide": "Hjälp med ljud och bild",
    "fallback.button.ask": "Fråga handledaren",
    "fallback.button.help": "Vad kan jag göra?",
    "fallback.group": (
        "Förlåt, jag förstod inte. Jag sköter uppropet, dagens program och pauserna. "
        "Jag hjälper också om ljud eller bild inte fungerar."
    ),
}
