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
        "I keep the schedule and the breaks, and I take the check-in. Write help to see more."
    ),
    "welcome.group.instructor_hint": (
        "Instructor: tell me which group this chat belongs to. Write: this is group"
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
}
