"""Teams' attendance report as suggestions (fi). Selkokieli: short sentences, common words."""

MESSAGES: dict[str, str | dict[str, str]] = {
    "reconcile.heading": "Teamsin osallistujaraportti",
    "reconcile.hint": "Tarkista nämä. Mikään ei muutu, jos et itse tallenna muutosta.",
    "reconcile.digest_hint": "Ohjaaja tarkistaa nämä. Mikään ei muutu itsestään.",
    "reconcile.joined": "{name}: oli Teamsissa {duration}, mutta ei ilmoittautunut.",
    "reconcile.short_stay": "{name}: ilmoittautui, mutta oli Teamsissa vain {duration}.",
    "reconcile.left_early": "{name}: lähti Teamsista klo {time}, mutta ei ilmoittanut lähtevänsä.",
    "reconcile.note": "Teamsin raportti: {said}",
    "reconcile.button.correct": "Korjaa",
    "reconcile.and_more": {"one": "+ {count} muu", "other": "+ {count} muuta"},
    "reconcile.open": "Tarkista muutos. Kirjoita syy ja tallenna.",
    "reconcile.gone": "Tätä ehdotusta ei enää ole. Katso läsnäololista uudestaan.",
    "reconcile.agrees": "Raportti ja nimenhuuto kertovat samaa.",
    "reconcile.waiting": "Raportti ei ole vielä valmis.",
    "reconcile.unavailable": "Teamsin osallistujaraportti ei ollut saatavilla: {reason}.",
    "reconcile.problem.forbidden": (
        "botilla ei ole lupaa lukea kokouksen järjestäjän raportteja"
        " (sovelluksen käyttöoikeus puuttuu)"
    ),
    "reconcile.problem.not_found": "kokousta ei löytynyt",
    "reconcile.problem.throttled": "Teams pyysi odottamaan liian monta kertaa",
    "reconcile.problem.server": "Teamsin palvelussa oli vika",
    "reconcile.problem.network": "yhteys Teamsiin ei toiminut",
    "reconcile.problem.invalid": "Teamsin vastausta ei voitu lukea",
    "reconcile.problem.no_meeting": "kokouksen tunnusta ei löytynyt",
    "reconcile.problem.no_report": (
        "raporttia ei tullut (onko osallistujaraportti päällä kokouksen asetuksissa?)"
    ),
}
