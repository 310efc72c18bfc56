"""Answers to what people write that is no command (en). Plain: short sentences."""

MESSAGES: dict[str, str] = {
    "checkin.none_open": (
        "Thanks! The roll call is not open now. The instructor starts it in the group chat. "
        "Then you can press the button I'm here."
    ),
    "checkin.done": "Thanks! I marked you as here.",
    "smalltalk.thanks": "You're welcome! 🙂",
    "smalltalk.ok": "All right! 🙂",
    "didyoumean.text": 'Did you mean "{word}"?',
    "didyoumean.button": "Yes: {word}",
    "fallback.personal": "Sorry, I did not understand.",
    "fallback.greeting": "Hi! I am Etäpäivä.",
    "fallback.question": "What would you like to do? Choose a button or write **help**.",
    "fallback.button.guide": "Help with sound and picture",
    "fallback.button.ask": "Ask the instructor",
    "fallback.button.help": "What can I do?",
    "fallback.group": (
        "Sorry, I did not understand. I take care of the roll call, the day's programme and "
        "the breaks. I also help if sound or picture does not work."
    ),
}
