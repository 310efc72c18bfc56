"""The manifest's command menus: every title, in every language, is a command the bot knows."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.features import registry as default_registry
from bot.manifest_check import MANIFEST_DIR
from dialogs.feature import Command

REGISTRY = default_registry()
C = REGISTRY.commands
parse = REGISTRY.parse

TEMPLATE: dict[str, Any] = json.loads(
    (MANIFEST_DIR / "manifest.template.json").read_text(encoding="utf-8")
)
LISTS: list[dict[str, Any]] = TEMPLATE["bots"][0]["commandLists"]
TRANSLATIONS: dict[str, dict[str, str]] = {
    lang: json.loads((MANIFEST_DIR / f"{lang}.json").read_text(encoding="utf-8"))
    for lang in ("fi", "sv")
}
ENTRIES = [
    (li, ci, command["title"])
    for li, command_list in enumerate(LISTS)
    for ci, command in enumerate(command_list["commands"])
]


def key(li: int, ci: int, field: str) -> str:
    return f"bots[0].commandLists[{li}].commands[{ci}].{field}"


def command_of(title: str) -> Command:
    found, rest = parse(title)
    assert found is not None, f"{title!r} is not a command"
    assert rest == "", f"{title!r} leaves {rest!r} as an argument"
    return found


def commands(scope: str) -> set[Command]:
    [command_list] = [c for c in LISTS if scope in c["scopes"]]
    return {command_of(c["title"]) for c in command_list["commands"]}


@pytest.mark.parametrize(("li", "ci", "title"), ENTRIES)
@pytest.mark.parametrize("lang", ["fi", "sv"])
def test_each_title_means_the_same_command_in_every_language(
    li: int, ci: int, title: str, lang: str
) -> None:
    translated = TRANSLATIONS[lang][key(li, ci, "title")]
    assert command_of(translated) is command_of(title)


@pytest.mark.parametrize("lang", ["fi", "sv"])
def test_every_command_text_is_translated_and_nothing_else(lang: str) -> None:
    wanted = {key(li, ci, field) for li, ci, _ in ENTRIES for field in ("title", "description")}
    found = {k for k in TRANSLATIONS[lang] if k.startswith("bots[")}
    assert found == wanted
    assert all(c.get("description") for cl in LISTS for c in cl["commands"])


def test_every_scope_has_one_list_of_at_most_twelve_distinct_commands() -> None:
    scopes = [scope for command_list in LISTS for scope in command_list["scopes"]]
    assert sorted(scopes) == ["groupChat", "personal", "team"]
    for command_list in LISTS:
        titles = [c["title"] for c in command_list["commands"]]
        assert len(titles) <= 12
        assert len({command_of(t) for t in titles}) == len(titles)


def test_personal_chat_offers_what_clients_and_instructors_do_one_to_one() -> None:
    assert {
        C["help"],
        C["tutorial"],
        C["agenda"],
        C["leave"],
        C["attendance"],
        C["send_tutorial"],
    } <= commands("personal")
    assert C["roll_call"] not in commands("personal")  # a roll call needs a group chat


@pytest.mark.parametrize("scope", ["groupChat", "team"])
def test_group_chats_offer_the_instructors_group_commands(scope: str) -> None:
    assert {
        C["help"],
        C["bind"],
        C["roll_call"],
        C["close_roll_call"],
        C["remind"],
        C["attendance"],
        C["start_day"],
        C["end_day"],
    } <= commands(scope)
