"""Swedish texts of choosing today's plan by typing."""

MESSAGES: dict[str, str] = {
    "plan.options": "Alternativ:",
    "plan.how_to_choose": (
        "Handledare: skriv @Etäpäivä program och numret, t.ex. @Etäpäivä program 1."
    ),
    "plan.type_number": "Skriv @Etäpäivä program och numret, t.ex. @Etäpäivä program 1.",
    "plan.not_instructor": (
        "Bara handledaren kan välja dagens program. När det är valt ser du det: "
        "skriv @Etäpäivä program."
    ),
    "plan.in_group_chat": (
        "Välj dagens program i gruppens chatt. Skriv där @Etäpäivä program och numret."
    ),
    "help.item.choose_plan": (
        "**program 1** – väljer dagens program. Numren ser du när du skriver **program**."
    ),
}
