"""The public tutorial web page's texts (fi)."""

MESSAGES: dict[str, str] = {
    "page.brand": "Etäpäivä",
    "page.title": "Opastus Teamsin käyttöön",
    "page.intro": (
        "Tässä opastuksessa opit käyttämään Teamsia etäpäivänä. "
        "Opit, miten kamera, mikrofoni ja näytön jakaminen toimivat."
    ),
    "page.no_login": (
        "Voit lukea opastusta ilman kirjautumista. Sinun ei tarvitse sitoutua mihinkään."
    ),
    "page.choose_language": "Valitse kieli",
    "page.choose_device": "Valitse laite",
    "page.choose_device_help": (
        "Millä laitteella käytät Teamsia? Valitse se. Saat ohjeet juuri sille laitteelle."
    ),
    "page.device_title": "Opastus: {device}",
    "page.device_intro": (
        "Ohjeet ovat osissa. Lue yksi osa kerrallaan. Voit kokeilla samalla Teamsissa. "
        "Jos jokin ei toimi, avaa kohta ”Jos tämä ei toimi”."
    ),
    "page.contents": "Sisältö",
    "page.shortcut": "Pikanäppäin",
    "page.troubleshoot": "Jos tämä ei toimi",
    "page.skip": "Siirry sisältöön",
    "page.nav_back": "Takaisin",
    "page.back_to_languages": "Takaisin kielen valintaan",
    "page.back_to_devices": "Takaisin laitteen valintaan",
    "page.other_devices": "Muut laitteet",
    "page.other_languages": "Muilla kielillä",
    "page.bot_hint": "Saat saman opastuksen myös Teamsissa. Kirjoita Etäpäivä-botille: opastus",
    "page.home": "Opastuksen etusivu",
    "page.not_found_title": "Sivua ei löytynyt",
    "page.not_found_text": (
        "Tätä sivua ei ole. Tarkista osoite. Voit myös valita alta opastuksen etusivun tai kielen."
    ),
}
