"""Why someone cannot be reached in a 1:1 chat (fi). Selkokieli: short sentences, common words."""

MESSAGES: dict[str, str | dict[str, str]] = {
    "reach.person": "{name} ({why})",
    "reach.why.no_teams_id": "hän ei ole vielä kirjoittanut minulle",
    "reach.why.not_installed": "Etäpäivä ei ole hänen Teamsissaan",
    "reach.why.no_answer": "Teams ei vastannut, yritä myöhemmin uudelleen",
    "reach.why.install_failed": "en saanut lisättyä Etäpäivää hänen Teamsiinsa: {problem}",
    "reach.why.not_configured": "Etäpäivä ei ole hänen Teamsissaan, eikä ylläpitäjä ole ottanut käyttöön sen lisäämistä",
    "reach.problem.forbidden": "lupa puuttuu, kerro ylläpitäjälle",
    "reach.problem.not_found": "häntä tai sovellusta ei löytynyt, kerro ylläpitäjälle",
    "reach.problem.throttled": "Teams oli liian kiireinen, yritä myöhemmin uudelleen",
    "reach.problem.server": "Teamsissa oli vika, yritä myöhemmin uudelleen",
    "reach.problem.network": "yhteys ei toiminut, yritä myöhemmin uudelleen",
    "reach.problem.invalid": "Teams vastasi oudosti, kerro ylläpitäjälle",
}
