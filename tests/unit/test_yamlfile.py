"""bot.yamlfile: what the organisation and plan file parsers share."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.yamlfile import Problem, UnreadableFile, YamlFileParser, read_utf8


class _Thing(YamlFileParser):
    a_file = "a thing file"
    files = "thing files"


def _top(text: str, source: str = "<file>") -> tuple[object, list[Problem]]:
    parser = _Thing(source)
    top = parser.top(text, ("version", "things"))
    return top, parser.problems()


def test_read_utf8_drops_a_byte_order_mark(tmp_path: Path) -> None:
    path = tmp_path / "f.yaml"
    path.write_bytes(b"\xef\xbb\xbfversion: 1\n")
    assert read_utf8(path) == "version: 1\n"


def test_read_utf8_names_the_line_of_the_first_byte_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "f.yaml"
    path.write_bytes(b"version: 1\nname: caf\xe9\n")
    with pytest.raises(UnreadableFile) as caught:
        read_utf8(path)
    assert caught.value.line == 2
    assert "UTF-8" in caught.value.message


def test_read_utf8_of_a_missing_file_says_so_on_line_0(tmp_path: Path) -> None:
    with pytest.raises(UnreadableFile) as caught:
        read_utf8(tmp_path / "nope.yaml")
    assert caught.value.line == 0
    assert "does not exist" in caught.value.message


def test_a_good_top_level_mapping_is_read_without_problems() -> None:
    top, problems = _top("version: 1\nthings: []\n")
    assert problems == []
    assert top is not None


def test_the_subclass_names_its_file_kind_in_tag_and_version_messages() -> None:
    top, problems = _top("version: 2\n")
    assert top is None
    assert problems == [
        Problem(1, "version must be 1, not '2'; this program reads thing files of version 1 only")
    ]
    top, problems = _top("!!python/object:x\nversion: 1\n")
    assert top is None
    assert problems == [
        Problem(1, "YAML tags such as '!!python/object:x' are not allowed in a thing file")
    ]


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("", 1, "is empty"),
        ("- a\n- b\n", 1, "must be a mapping"),
        ("version: 1\n\tthings: []\n", 2, "indent with spaces"),
        ("version: 1\n---\nversion: 1\n", 2, "second YAML document"),
        ("version: 1\nthings: \x07\n", 2, "U+0007"),
    ],
)
def test_unreadable_yaml_is_one_problem_on_its_line(text: str, line: int, words: str) -> None:
    top, problems = _top(text, source="org.yaml")
    assert top is None
    [problem] = problems
    assert problem.line == line
    assert words in problem.message
    assert "'org.yaml'" in problem.message


def test_unknown_and_repeated_keys_are_reported_in_line_order_and_reading_goes_on() -> None:
    top, problems = _top("thingz: []\nversion: 1\nversion: 1\n")
    assert top is not None
    assert problems == [
        Problem(
            1,
            "unknown key 'thingz' at the top of the file (did you mean 'things'?); "
            "allowed keys: version, things",
        ),
        Problem(3, "'version' is given twice at the top of the file (first on line 2)"),
    ]


def test_a_missing_version_is_reported_but_reading_goes_on() -> None:
    top, problems = _top("things: []\n")
    assert top is not None
    assert problems == [Problem(1, "'version: 1' is missing from the file")]
