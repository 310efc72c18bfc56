"""Tietosuoja- ja käyttöehtosivujen tekstit (fi). Selkokieli: lyhyet lauseet."""

MESSAGES: dict[str, str] = {
    "about.privacy.title": "Etäpäivä ja sinun tietosi",
    "about.privacy.who": (
        "Etäpäivä on Helsingin kaupungin sosiaalipalvelujen sovellus Teamsissa. "
        "Se auttaa ryhmän etäpäivänä."
    ),
    "about.privacy.what": (
        "Etäpäivä tallentaa nämä tiedot: nimesi ja Teams-tunnuksesi, kielesi ja ryhmäsi. "
        "Se tallentaa myös, milloin olit paikalla ja milloin lähdit, "
        "miten opastus eteni ja milloin pyysit apua."
    ),
    "about.privacy.who_sees": (
        "Ohjaajat ja koordinaattorit näkevät oman ryhmänsä läsnäolon. "
        "Muut asiakkaat eivät näe sinun tietojasi."
    ),
    "about.privacy.why": (
        "Tietoja tarvitaan ryhmäpäivän järjestämiseen. "
        "Niillä seurataan myös läsnäoloa kuntouttavassa työtoiminnassa."
    ),
    "about.privacy.more": (
        "Kaupungin tietosuojaselosteessa kerrotaan lisää sinun oikeuksistasi. "
        "Jos sinulla on kysyttävää, kysy ohjaajalta."
    ),
    "about.terms.title": "Etäpäivän käyttöehdot",
    "about.terms.for": (
        "Etäpäivä on Helsingin kaupungin kuntouttavan työtoiminnan ryhmäpäiviä varten."
    ),
    "about.terms.use": (
        "Käytä Etäpäivää vain ryhmäpäivän asioihin. "
        "Älä kirjoita keskusteluun muiden ihmisten henkilötietoja."
    ),
    "about.terms.records": (
        "Ohjaaja voi korjata läsnäolon. Jos jokin on väärin, kerro siitä ohjaajalle."
    ),
    "about.terms.faults": (
        "Joskus Etäpäivä ei ehkä toimi. Silloin ohjaaja merkitsee läsnäolon itse."
    ),
}
