"""The public tutorial web page's texts (en)."""

MESSAGES: dict[str, str] = {
    "page.brand": "Etäpäivä",
    "page.title": "Guide to using Teams",
    "page.intro": (
        "This guide shows you how to use Teams on a remote group day. "
        "You learn how the camera, the microphone and screen sharing work."
    ),
    "page.no_login": (
        "You can read the guide without logging in. You do not need to commit to anything."
    ),
    "page.choose_language": "Choose a language",
    "page.choose_device": "Choose your device",
    "page.choose_device_help": (
        "Which device do you use Teams on? Choose it. You get instructions for that device."
    ),
    "page.device_title": "Guide: {device}",
    "page.device_intro": (
        "The instructions are in parts. Read one part at a time. "
        "You can try them in Teams at the same time. "
        "If something does not work, open “If it doesn't work”."
    ),
    "page.contents": "Contents",
    "page.shortcut": "Keyboard shortcut",
    "page.troubleshoot": "If it doesn't work",
    "page.skip": "Skip to content",
    "page.nav_back": "Back",
    "page.back_to_languages": "Back to choosing a language",
    "page.back_to_devices": "Back to choosing a device",
    "page.other_devices": "Other devices",
    "page.other_languages": "In other languages",
    "page.bot_hint": "You can get the same guide in Teams too. Write to the Etäpäivä bot: guide",
    "page.home": "Start page of the guide",
    "page.not_found_title": "Page not found",
    "page.not_found_text": (
        "This page does not exist. Check the address. "
        "You can also choose the start page of the guide or a language below."
    ),
}
