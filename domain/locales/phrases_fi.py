"""Answers to what people write that is no command (fi). Selkokieli: lyhyet lauseet."""

MESSAGES: dict[str, str] = {
    "checkin.none_open": (
        "Kiitos! Nimenhuuto ei ole nyt auki. Ohjaaja aloittaa sen ryhmän keskustelussa. "
        "Silloin voit painaa nappia Olen paikalla."
    ),
    "checkin.done": "Kiitos! Merkitsin sinut paikalle.",
    "smalltalk.thanks": "Ole hyvä! 🙂",
    "smalltalk.ok": "Selvä! 🙂",
    "didyoumean.text": 'Tarkoititko "{word}"?',
    "didyoumean.button": "Kyllä: {word}",
    "fallback.personal": "Anteeksi, en ymmärtänyt.",
    "fallback.greeting": "Hei! Olen Etäpäivä.",
    "fallback.question": "Mitä haluat tehdä? Valitse nappi tai kirjoita **apua**.",
    "fallback.button.guide": "Ääni- ja kuvaohje",
    "fallback.button.ask": "Kysy ohjaajalta",
    "fallback.button.help": "Mitä voin tehdä?",
    "fallback.group": (
        "Anteeksi, en ymmärtänyt. Hoidan nimenhuudon, päivän ohjelman ja tauot. "
        "Autan myös, jos ääni tai kuva ei toimi."
    ),
}
