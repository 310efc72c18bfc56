"""Teams' attendance report as suggestions (sv)."""

MESSAGES: dict[str, str | dict[str, str]] = {
    "reconcile.heading": "Teams närvarorapport",
    "reconcile.hint": "Kontrollera dessa. Inget ändras om du inte själv sparar en ändring.",
    "reconcile.digest_hint": "Handledaren kontrollerar dessa. Inget ändras av sig självt.",
    "reconcile.joined": "{name}: var i Teams {duration} men anmälde sig inte.",
    "reconcile.short_stay": "{name}: anmälde sig men var i Teams bara {duration}.",
    "reconcile.left_early": "{name}: lämnade Teams kl. {time} men sa inte att hen går.",
    "reconcile.note": "Teams rapport: {said}",
    "reconcile.button.correct": "Rätta",
    "reconcile.and_more": {"one": "+ {count} till", "other": "+ {count} till"},
    "reconcile.open": "Kontrollera ändringen. Skriv orsaken och spara.",
    "reconcile.gone": "Det här förslaget finns inte längre. Öppna närvarolistan på nytt.",
    "reconcile.agrees": "Rapporten och uppropet säger samma sak.",
    "reconcile.waiting": "Rapporten är inte klar ännu.",
    "reconcile.unavailable": "Teams närvarorapport var inte tillgänglig: {reason}.",
    "reconcile.problem.forbidden": (
        "boten får inte läsa mötesarrangörens rapporter (appens åtkomstprincip saknas)"
    ),
    "reconcile.problem.not_found": "mötet hittades inte",
    "reconcile.problem.throttled": "Teams bad oss vänta för många gånger",
    "reconcile.problem.server": "Teams tjänst hade ett fel",
    "reconcile.problem.network": "ingen anslutning till Teams",
    "reconcile.problem.invalid": "Teams svar kunde inte läsas",
    "reconcile.problem.no_meeting": "mötets id hittades inte",
    "reconcile.problem.no_report": (
        "ingen rapport kom (är närvarorapporten på i mötesalternativen?)"
    ),
}
