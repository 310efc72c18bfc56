"""Why someone cannot be reached in a 1:1 chat (en)."""

MESSAGES: dict[str, str | dict[str, str]] = {
    "reach.person": "{name} ({why})",
    "reach.why.no_teams_id": "they have not written to me yet",
    "reach.why.not_installed": "Etäpäivä is not in their Teams",
    "reach.why.no_answer": "Teams did not answer, try again later",
    "reach.why.install_failed": "I could not add Etäpäivä to their Teams: {problem}",
    "reach.why.not_configured": "Etäpäivä is not in their Teams, and the admin has not turned on adding it",
    "reach.problem.forbidden": "permission is missing, tell the admin",
    "reach.problem.not_found": "they or the app were not found, tell the admin",
    "reach.problem.throttled": "Teams was too busy, try again later",
    "reach.problem.server": "Teams had a fault, try again later",
    "reach.problem.network": "the connection did not work, try again later",
    "reach.problem.invalid": "Teams gave an odd answer, tell the admin",
}
