"""Finnish texts of choosing today's plan by typing."""

MESSAGES: dict[str, str] = {
    "plan.options": "Vaihtoehdot:",
    "plan.how_to_choose": (
        "Ohjaaja: kirjoita @Etäpäivä ohjelma ja numero, esim. @Etäpäivä ohjelma 1."
    ),
    "plan.type_number": "Kirjoita @Etäpäivä ohjelma ja numero, esim. @Etäpäivä ohjelma 1.",
    "plan.not_instructor": (
        "Vain ohjaaja voi valita päivän ohjelman. Kun ohjelma on valittu, näet sen: "
        "kirjoita @Etäpäivä ohjelma."
    ),
    "plan.in_group_chat": (
        "Valitse päivän ohjelma ryhmän keskustelussa. Kirjoita siellä @Etäpäivä ohjelma ja numero."
    ),
    "help.item.choose_plan": (
        "**ohjelma 1** – valitsee päivän ohjelman. Numerot näet, kun kirjoitat **ohjelma**."
    ),
}
