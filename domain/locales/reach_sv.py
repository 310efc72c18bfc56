"""Why someone cannot be reached in a 1:1 chat (sv)."""

MESSAGES: dict[str, str | dict[str, str]] = {
    "reach.person": "{name} ({why})",
    "reach.why.no_teams_id": "hen har inte skrivit till mig ännu",
    "reach.why.not_installed": "Etäpäivä finns inte i hens Teams",
    "reach.why.no_answer": "Teams svarade inte, försök igen senare",
    "reach.why.install_failed": "jag kunde inte lägga till Etäpäivä i hens Teams: {problem}",
    "reach.why.not_configured": "Etäpäivä finns inte i hens Teams, och administratören har inte slagit på att lägga till den",
    "reach.problem.forbidden": "behörighet saknas, säg till administratören",
    "reach.problem.not_found": "hen eller appen hittades inte, säg till administratören",
    "reach.problem.throttled": "Teams hade för mycket att göra, försök igen senare",
    "reach.problem.server": "det blev fel i Teams, försök igen senare",
    "reach.problem.network": "anslutningen fungerade inte, försök igen senare",
    "reach.problem.invalid": "Teams svarade konstigt, säg till administratören",
}
