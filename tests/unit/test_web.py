"""The web layer's reading of request bodies: nesting checked on the raw bytes, strict JSON."""

from __future__ import annotations

import time

import pytest

from bot.settings import MAX_JSON_DEPTH
from bot.web import nests_too_deeply, parse_body


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def test_nesting_is_counted_up_to_the_limit() -> None:
    assert not nests_too_deeply(nested(MAX_JSON_DEPTH))
    assert nests_too_deeply(nested(MAX_JSON_DEPTH + 1))
    assert nests_too_deeply(b'{"a": {"b": ' + nested(MAX_JSON_DEPTH - 1) + b"}}")
    assert not nests_too_deeply(b'{"a": [' + b"[], " * 1000 + b"[]]}")


def test_brackets_inside_strings_do_not_count() -> None:
    assert not nests_too_deeply(b'{"a": "' + b"[" * 100 + b'"}')
    assert not nests_too_deeply(b'{"a": "\\"' + b"[{" * 100 + b'"}')
    assert not nests_too_deeply(b'{"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[": 1}')
    # an escaped backslash ends the string: what follows is structure again
    assert nests_too_deeply(b'{"a": "\\\\", "b": ' + nested(MAX_JSON_DEPTH))


def test_unclosed_brackets_and_strings() -> None:
    assert nests_too_deeply(b"[" * (MAX_JSON_DEPTH + 1))
    assert nests_too_deeply(b"[" * (MAX_JSON_DEPTH + 1) + b'"never closed')
    # after an unterminated string the parser reads nothing more: neither does the check
    assert not nests_too_deeply(b'["never closed' + b"[" * 100)
    assert not nests_too_deeply(b'["ends in a backslash \\')


def test_the_check_is_linear_on_pathological_bodies() -> None:
    bodies = [
        b'"' + b'\\"' * 120_000,  # one unterminated string full of escaped quotes
        b'"\\' * 85_000,
        b"[" * 250_000,
        b"[]" * 125_000,
        b'["a", ' * 40_000,
    ]
    for raw in bodies:
        started = time.perf_counter()
        nests_too_deeply(raw)
        assert time.perf_counter() - started < 0.5, raw[:10]


@pytest.mark.parametrize(
    "raw",
    [
        nested(1000),
        b"[" * 5000,
        b'{"n": ' + b"9" * 5000 + b"}",
        b'{"n": NaN}',
        b'{"n": Infinity}',
        b'{"n": 1e400}',
        b'{"s": "\xed\xa0\x80"}',
        b"\xff\xfe{\x00}\x00",
        b"\xef\xbb\xbf{}",
        b"",
    ],
)
def test_unusable_bodies_raise_value_error_with_a_short_reason(raw: bytes) -> None:
    with pytest.raises(ValueError, match=r"^body ") as caught:
        parse_body(raw)
    assert len(str(caught.value)) < 60


def test_usable_bodies_are_read() -> None:
    assert parse_body(b'{"a": [1, 2.5, -3e10, "\\ud83d\\ude00", null, true]}') == {
        "a": [1, 2.5, -3e10, "\U0001f600", None, True]
    }
    assert parse_body(b'{"n": ' + b"9" * 4000 + b"}") == {"n": int("9" * 4000)}
