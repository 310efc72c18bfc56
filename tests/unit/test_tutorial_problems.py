"""Reading a problem from free text: folding, forgiving matches, and which part of the guide."""

from __future__ import annotations

import pytest

from domain.tutorial.content import Device, load_tutorial
from domain.tutorial.problems import LONG_WORDS, Reading, Trouble, fold, matches, read


def test_folding_drops_case_accents_punctuation_and_reads_emoji() -> None:
    assert fold("ÄÄNI ei kuulu!!!") == ["aani", "ei", "kuulu"]
    assert fold("Jag hör INGET.") == ["jag", "hor", "inget"]
    assert fold("my mic doesn't work") == ["my", "mic", "doesnt", "work"]
    assert fold("📷❌") == ["kamera", "ei"]
    assert fold("   ") == []


@pytest.mark.parametrize(
    ("word", "stem", "expected"),
    [
        ("kamera", "kamera", True),
        ("kameran", "kamera", True),  # an ending
        ("kamra", "kamera", True),  # a letter missing
        ("kmaera", "kamera", True),  # two swapped
        ("mikrofni", "mikrofon", True),
        ("miksi", "mikki", False),  # short stems: no guessing
        ("mic", "mic", True),
        ("mice", "mic", False),  # three letters: only the word itself
        ("kaveri", "kamera", False),
    ],
)
def test_matches(word: str, stem: str, expected: bool) -> None:
    assert matches(word, stem) is expected


@pytest.mark.parametrize(
    ("said", "trouble"),
    [
        ("kamera ei toimi", Trouble.CAMERA),
        ("en kuule", Trouble.SOUND),
        ("ne ei kuule mua", Trouble.MICROPHONE),  # they cannot hear me: my microphone
        ("they can't hear me", Trouble.MICROPHONE),
        ("ei näy", Trouble.CAMERA),
        ("näytön jako ei toimi", Trouble.SHARE),
        ("kokouksessa en kuule mitään", Trouble.SOUND),  # joining is named last
        ("linkki ei toimi", Trouble.JOIN),
        ("kamera", Trouble.CAMERA),  # a bare device word asks about it
    ],
)
def test_the_part_of_the_guide(said: str, trouble: Trouble) -> None:
    reading = read(said)
    assert reading is not None and reading.trouble is trouble


@pytest.mark.parametrize(
    "said",
    ["kamera toimii nyt", "mitä kuuluu", "can you hear me?", "kiitos", "milloin kokous alkaa"],
)
def test_what_is_no_problem(said: str) -> None:
    assert read(said) is None


def test_a_problem_without_a_part_and_a_long_story() -> None:
    for said in ("ei toimi", "it doesn't work", "jag ser inte de andra"):
        reading = read(said)
        assert reading is not None and reading.trouble is None
    story = " ".join(["sana"] * (LONG_WORDS + 1))
    reading = read(story)
    assert reading is not None and reading.trouble is None
    assert read(" ".join(["sana"] * LONG_WORDS)) is None


def test_every_part_leads_to_troubleshooting_wherever_it_has_steps() -> None:
    content = load_tutorial()
    for trouble in Trouble:
        reading = Reading(trouble, negated=True)
        assert reading.topic is not None
        for device in Device:
            if any(s.topic is reading.topic for s in content.steps_for(device)):
                checks = [c.id for c in content.checks_for(reading.topic, device)]
                assert checks, (trouble, device)
                if reading.check is not None:
                    assert reading.check in checks, (trouble, device)
