"""Tests for the message catalogs and locale mapping (domain/i18n.py, domain/locales/)."""

from __future__ import annotations

import importlib
import sys
import unicodedata
from pathlib import Path
from types import ModuleType

import pytest

from domain.i18n import CATALOGS, language_for_locale, load_catalogs, placeholders, text
from domain.org import Language

ALL_KEYS = sorted(set().union(*(catalog.keys() for catalog in CATALOGS.values())))
ENTRIES = [(language, key, value) for language, c in CATALOGS.items() for key, value in c.items()]

# Characters a reader cannot see but a screen reader, search or copy-paste trips over.
ALLOWED_CONTROL = {"\n"}


def _invisible(value: str) -> list[str]:
    found = []
    for ch in value:
        category = unicodedata.category(ch)
        if ch in ALLOWED_CONTROL:
            continue
        if category in {"Cf", "Cc", "Co", "Cn", "Zl", "Zp"} or (category == "Zs" and ch != " "):
            found.append(f"U+{ord(ch):04X} {unicodedata.name(ch, '?')}")
    return found


def test_every_language_has_a_catalog() -> None:
    assert set(CATALOGS) == set(Language)


@pytest.mark.parametrize("language", list(Language))
def test_every_catalog_has_every_key(language: Language) -> None:
    missing = sorted(set(ALL_KEYS) - set(CATALOGS[language]))
    assert missing == [], f"{language.value} catalog lacks {missing}"


@pytest.mark.parametrize("key", ALL_KEYS)
def test_placeholders_are_the_same_in_every_language(key: str) -> None:
    found = {language: placeholders(c[key]) for language, c in CATALOGS.items() if key in c}
    assert len(set(map(frozenset, found.values()))) == 1, f"{key}: {found}"


@pytest.mark.parametrize(("language", "key", "value"), ENTRIES)
def test_no_text_is_empty(language: Language, key: str, value: str) -> None:
    assert value.strip(), f"{language.value}:{key} is empty"


@pytest.mark.parametrize(("language", "key", "value"), ENTRIES)
def test_no_text_has_invisible_characters(language: Language, key: str, value: str) -> None:
    assert _invisible(value) == [], f"{language.value}:{key}"


def test_invisible_character_check_catches_soft_hyphen_and_zero_width_space() -> None:
    assert _invisible("ryhmä\u00adpäivä")
    assert _invisible("apua\u200b")
    assert _invisible("hei\u00a0kaikki")
    assert _invisible("tavallinen teksti\nrivi") == []


def test_text_fills_parameters() -> None:
    assert text(Language.FI, "bind.done", group="IT-paja") == (
        "Valmis. Tämä keskustelu kuuluu nyt ryhmälle IT-paja."
    )
    assert "IT-paja" in text(Language.SV, "bind.done", group="IT-paja")
    assert "IT-paja" in text(Language.EN, "bind.done", group="IT-paja")


def test_text_without_parameters_is_the_catalog_text() -> None:
    assert text(Language.EN, "unknown") == CATALOGS[Language.EN]["unknown"]


def test_text_falls_back_to_finnish_for_a_missing_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(CATALOGS[Language.SV], "unknown")
    assert text(Language.SV, "unknown") == CATALOGS[Language.FI]["unknown"]


def test_placeholders_lists_named_parameters() -> None:
    assert placeholders("{group} ({unit}) – x") == {"group", "unit"}
    assert placeholders("no parameters") == set()


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("fi-FI", Language.FI),
        ("sv-FI", Language.SV),
        ("sv-SE", Language.SV),
        ("en-US", Language.EN),
        ("en_GB", Language.EN),
        ("FI", Language.FI),
        ("EN-gb", Language.EN),
        (None, None),
        ("", None),
        ("de-DE", None),
        ("fil-PH", None),
    ],
)
def test_language_for_locale(locale: str | None, expected: Language | None) -> None:
    assert language_for_locale(locale) is expected


def _locale_package(tmp_path: Path, name: str, files: dict[str, str]) -> ModuleType:
    root = tmp_path / name
    root.mkdir()
    (root / "__init__.py").write_text("")
    for module, body in files.items():
        (root / f"{module}.py").write_text(body)
    sys.path.insert(0, str(tmp_path))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(str(tmp_path))


def test_a_features_text_modules_are_found_without_being_listed(tmp_path: Path) -> None:
    package = _locale_package(
        tmp_path,
        "locales_found",
        {
            "fi": 'MESSAGES = {"a": "A"}',
            "feedback_fi": 'MESSAGES = {"feedback.ask": "Miten meni?"}',
            "feedback_sv": 'MESSAGES = {"feedback.ask": "Hur gick det?"}',
        },
    )
    catalogs = load_catalogs(package)
    assert catalogs[Language.FI] == {"a": "A", "feedback.ask": "Miten meni?"}
    assert catalogs[Language.SV] == {"feedback.ask": "Hur gick det?"}
    assert catalogs[Language.EN] == {}


def test_a_text_defined_by_two_modules_is_refused_naming_both(tmp_path: Path) -> None:
    package = _locale_package(
        tmp_path,
        "locales_twice",
        {
            "fi": 'MESSAGES = {"help.intro": "Yksi"}',
            "feedback_fi": 'MESSAGES = {"help.intro": "Kaksi"}',
        },
    )
    with pytest.raises(ValueError, match=r"'help\.intro' \(fi\) is in both feedback_fi and fi"):
        load_catalogs(package)
