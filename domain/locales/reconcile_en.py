"""Teams' attendance report as suggestions (en)."""

MESSAGES: dict[str, str | dict[str, str]] = {
    "reconcile.heading": "Teams' attendance report",
    "reconcile.hint": "Please check these. Nothing changes unless you save a change.",
    "reconcile.digest_hint": "The instructor checks these. Nothing changes by itself.",
    "reconcile.joined": "{name}: in Teams for {duration}, but did not check in.",
    "reconcile.short_stay": "{name}: checked in, but was in Teams only {duration}.",
    "reconcile.left_early": "{name}: left Teams at {time}, but did not say they were leaving.",
    "reconcile.note": "Teams' report: {said}",
    "reconcile.button.correct": "Correct",
    "reconcile.and_more": {"one": "+ {count} more", "other": "+ {count} more"},
    "reconcile.open": "Check the change. Write the reason and save.",
    "reconcile.gone": "This suggestion no longer applies. Open the attendance list again.",
    "reconcile.agrees": "The report and the roll call agree.",
    "reconcile.waiting": "The report is not ready yet.",
    "reconcile.unavailable": "Teams' attendance report was not available: {reason}.",
    "reconcile.problem.forbidden": (
        "the bot may not read the meeting organizer's reports (no application access policy)"
    ),
    "reconcile.problem.not_found": "the meeting was not found",
    "reconcile.problem.throttled": "Teams asked us to wait too many times",
    "reconcile.problem.server": "Teams' service had an error",
    "reconcile.problem.network": "no connection to Teams",
    "reconcile.problem.invalid": "Teams' answer could not be read",
    "reconcile.problem.no_meeting": "the meeting's id could not be found",
    "reconcile.problem.no_report": (
        "no report came (are attendance reports on in the meeting options?)"
    ),
}
