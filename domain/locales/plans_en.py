"""English texts of choosing today's plan by typing."""

MESSAGES: dict[str, str] = {
    "plan.options": "The choices:",
    "plan.how_to_choose": (
        "Instructor: write @Etäpäivä agenda and the number, e.g. @Etäpäivä agenda 1."
    ),
    "plan.type_number": "Write @Etäpäivä agenda and the number, e.g. @Etäpäivä agenda 1.",
    "plan.not_instructor": (
        "Only the instructor can choose today's programme. Once it is chosen, you can see it: "
        "write @Etäpäivä agenda."
    ),
    "plan.in_group_chat": (
        "Choose today's programme in the group's chat. Write @Etäpäivä agenda and the number there."
    ),
    "help.item.choose_plan": (
        "**agenda 1** – chooses today's programme. Write **agenda** to see the numbers."
    ),
}
