"""English texts. Keep them short and plain; they match the Finnish ones in meaning."""

MESSAGES: dict[str, str] = {
    "language.name": "English",
    "welcome.personal": (
        "Hi! I am Etäpäivä, the helper for remote group days. "
        "I help with checking in, with sound and picture, and with breaks. "
        "Write help to see what you can do."
    ),
    "welcome.group": (
        "Hello everyone! I am Etäpäivä, the helper for remote group days. "
        "I keep the schedule and the breaks, and I take the check-in. "
        "Write @Etäpäivä help to see more. In this chat, always start your message with @Etäpäivä."
    ),
    "welcome.group.instructor_hint": (
        "Instructor: tell me which group this chat belongs to. Write: @Etäpäivä this is group"
    ),
    "help.intro": "This is what you can do with Etäpäivä:",
    "help.mention_hint": "In a group chat, start your message with @Etäpäivä.",
    "help.item.help": "help – shows this list.",
    "help.item.language": "language fi, language sv or language en – changes my language.",
    "help.item.my_group": "You are in the group {groups}.",
    "help.item.no_group": ("You are not in any group yet. Your instructor can add you."),
    "help.item.bind": (
        "this is group – joins this chat to one of your groups. "
        "Write it in the group's meeting chat, group chat or channel."
    ),
    "help.item.groups": "groups – shows your groups and which chat each one uses.",
    "help.item.coordinator": "You follow the groups of {units}.",
    "help.item.admin": (
        "You are an administrator. People and groups are added with the command "
        "etapaiva org import."
    ),
    "unknown": "Sorry, I did not understand. Write help to see what you can do.",
    "language.changed": "OK. I will now speak English with you.",
    "language.usage": "Write language fi, language sv or language en.",
    "bind.personal_chat": (
        "This is a private chat. Write this is group in your group's meeting chat, "
        "group chat or channel."
    ),
    "bind.not_instructor": "Only an instructor of a group can join this chat to a group.",
    "bind.taken": "This chat already belongs to another group. Only an instructor of that group can change the group.",
    "bind.no_groups": "You do not have any groups yet. Ask an administrator to add them.",
    "bind.choose.title": "Which group is this chat for?",
    "bind.choose.text": "Choose one group. Its group days will then use this chat.",
    "bind.choose.speak": "Choose which group this chat is for.",
    "bind.unknown_group": "I did not find the group {name} among your groups.",
    "bind.done": "Done. This chat now belongs to the group {group}.",
    "bind.moved": (
        "Done. The group {group} now uses this chat. It no longer uses the chat it had before."
    ),
    "bind.already": "This chat already belongs to the group {group}.",
    "bind.card.done": "This chat belongs to the group {group}.",
    "groups.none": "You do not have any groups.",
    "groups.title": "Your groups:",
    "groups.line.bound": "{group} ({unit}) – uses a chat.",
    "groups.line.unbound": "{group} ({unit}) – no chat yet.",
    "card.stale": "This button no longer works. Write help to see what you can do.",
    "error.generic": "Something went wrong on my side. Please try again in a moment.",
    "error.busy": "I am busy right now. Please try again in a moment.",
    "role.client": "client",
    "role.instructor": "instructor",
    "role.coordinator": "coordinator",
    "role.admin": "administrator",
    "help.item.agenda": "agenda – shows today's programme.",
    "help.item.steer": "start day, extend 5, next, late 10, shift -5, pause, resume and end day – steer the day. The same buttons are on the agenda.",
    "agenda.title": "Today's programme: {plan}",
    "agenda.date": "Day {date}",
    "agenda.status.planned": "The day has not started yet.",
    "agenda.status.running": "The day is running.",
    "agenda.status.paused": "The clock is paused.",
    "agenda.status.closed": "The day has ended.",
    "agenda.status.cancelled": "The day is cancelled.",
    "agenda.now": "Now",
    "agenda.done": "done",
    "agenda.speak": "Today's programme. {status}",
    "agenda.button.start": "Start the day",
    "agenda.button.extend": "Extend by 5 min",
    "agenda.button.skip": "Next item",
    "agenda.button.late": "We are 10 min late",
    "agenda.button.pause": "Pause the clock",
    "agenda.button.resume": "Resume",
    "agenda.button.end": "End the day",
    "event.start": "Now: {title}.",
    "event.next": "Next: {title} at {time}.",
    "event.last": "The day ends at {time}.",
    "event.break_start": "Now: {title}. The break ends at {end}.",
    "event.tip": "Tip: {tip}",
    "event.break_warning": "The break ends in {minutes} minutes, at {end}.",
    "event.break_warning_one": "The break ends in 1 minute, at {end}.",
    "event.break_end": "The break is over. Now: {title}.",
    "event.break_end_last": "The break is over.",
    "event.back_prompt": "Press the button when you are back.",
    "event.back_button": "I'm back",
    "event.back_count": "Back from the break: {count}",
    "event.back_thanks": "Thank you! You are marked as back.",
    "change.start": "The day has started.",
    "change.extend": "{title} goes on for {minutes} more min.",
    "change.skip": "We move on to the next item.",
    "change.shift_later": "The programme moves {minutes} min later.",
    "change.shift_earlier": "The programme moves {minutes} min earlier.",
    "change.pause": "The clock is paused. I will tell you when we go on.",
    "change.resume": "We go on.",
    "change.end": "The day has ended. Thank you, everyone!",
    "change.no_next": "This is the last item of the day.",
    "day.no_group": "This chat does not belong to a group. Instructor: write @Etäpäivä this is group.",
    "day.not_instructor": "Only the group's instructor can change the day's programme.",
    "day.none_today": "The group has no programme today. Instructor: write @Etäpäivä agenda to choose one.",
    "day.exists": "The group already has a programme for that day.",
    "day.not_planned": "The day has already started.",
    "day.not_running": "The day is not running.",
    "day.not_paused": "The clock is not paused.",
    "day.nothing_running": "No item is running right now.",
    "day.nothing_next": "There is no next item.",
    "day.bad_minutes": "Write the minutes as a number, for example 5. At most 120.",
    "day.cannot_move_earlier": "The programme cannot move to earlier than now.",
    "plan.choose.title": "Choose today's programme",
    "plan.choose.text": "The group has no programme for today yet. Choose one.",
    "plan.waiting.title": "Today's programme",
    "plan.waiting": "The group has no programme for today yet. The instructor chooses it.",
    "plan.done": "Done. Today's programme is {plan}. It starts at {time}.",
    "plan.unknown": "I did not find the programme {name}.",
    "day.none_on_date": "The group has no programme on that day.",
    "day.cancelled": "The day {date} is cancelled.",
    "day.moved": "The day {date} is moved to {to}.",
    "day.bad_date": "Write the date like this: 3.12. or 3.12.2026. To move a day, two dates: 3.12. 4.12.",
    "help.item.days": "cancel day 3.12. and move day 3.12. 4.12. – cancel or move one day.",
}
