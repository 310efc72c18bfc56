"""Texts of the privacy and terms of use pages (en). Plain language."""

MESSAGES: dict[str, str] = {
    "about.privacy.title": "Etäpäivä and your information",
    "about.privacy.who": (
        "Etäpäivä is a Teams app of the City of Helsinki Social Services. "
        "It helps on the group's remote days."
    ),
    "about.privacy.what": (
        "Etäpäivä saves this information: your name and Teams ids, your language and your group. "
        "It also saves when you were here and when you left, "
        "how far you got in the guide and when you asked for help."
    ),
    "about.privacy.who_sees": (
        "Instructors and coordinators see the attendance of their own groups. "
        "Other clients do not see your information."
    ),
    "about.privacy.why": (
        "The information is needed to run the group day. "
        "It is also used to follow attendance in the rehabilitative work activity."
    ),
    "about.privacy.more": (
        "The city's privacy notice tells more about your rights. "
        "Ask your instructor if you have questions."
    ),
    "about.terms.title": "Terms of use of Etäpäivä",
    "about.terms.for": (
        "Etäpäivä is for the group days of the City of Helsinki's rehabilitative work activity."
    ),
    "about.terms.use": (
        "Use Etäpäivä only for the group day. "
        "Do not write other people's personal information in the chat."
    ),
    "about.terms.records": (
        "Your instructor can correct the attendance. If something is wrong, tell your instructor."
    ),
    "about.terms.faults": (
        "Sometimes Etäpäivä may not work. Then the instructor marks the attendance."
    ),
}
