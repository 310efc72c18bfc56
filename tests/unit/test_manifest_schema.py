"""The vendored v1.30 schemas and the schema checks of bot/manifest_check.py."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from bot.manifest_build import Values, build_manifest
from bot.manifest_check import (
    LOCALIZATION_SCHEMA,
    LOCALIZATION_SCHEMA_URL,
    MANIFEST_DIR,
    MANIFEST_SCHEMA,
    MANIFEST_VERSION,
    SCHEMA_DIR,
    json_path,
    localization_errors,
    schema_errors,
)

ROOT = Path(__file__).resolve().parents[2]
NPM_PACKAGE = ROOT / "playground" / "node_modules" / "@microsoft" / "app-manifest"
VALUES = Values(
    app_id="3f2504e0-4f89-41d3-9a0c-0305e82c3301",
    version="1.0.0",
    public_host="etapaiva.example.fi",
    website_url="https://etapaiva.example.fi/tutorial",
    privacy_url="https://etapaiva.example.fi/privacy",
    terms_url="https://etapaiva.example.fi/terms",
)


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    return build_manifest(VALUES)


def errors(document: Any) -> list[str]:
    return schema_errors(document, MANIFEST_SCHEMA, "manifest.json")


def localization(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((MANIFEST_DIR / name).read_text(encoding="utf-8"))
    return loaded


# --- the vendored copies ----------------------------------------------------------------------


@pytest.mark.parametrize("name", [MANIFEST_SCHEMA, LOCALIZATION_SCHEMA])
def test_the_vendored_schema_is_byte_identical_to_the_npm_package(name: str) -> None:
    installed = NPM_PACKAGE / "build" / "json-schemas" / "teams" / f"v{MANIFEST_VERSION}" / name
    assert installed.is_file(), f"{installed} is missing: run `make playground` (npm ci)"
    assert (SCHEMA_DIR / name).read_bytes() == installed.read_bytes()


def test_the_npm_package_is_the_pinned_version_the_readme_names() -> None:
    pinned = json.loads((ROOT / "playground" / "package.json").read_text(encoding="utf-8"))
    version = pinned["dependencies"]["@microsoft/app-manifest"]
    installed = json.loads((NPM_PACKAGE / "package.json").read_text(encoding="utf-8"))
    assert installed["version"] == version
    notes = (MANIFEST_DIR / "schema" / "README.md").read_text(encoding="utf-8")
    assert f"**{version}**" in notes


def test_the_schemas_are_draft_04_for_this_manifest_version() -> None:
    schema = json.loads((SCHEMA_DIR / MANIFEST_SCHEMA).read_text(encoding="utf-8"))
    assert schema["$schema"] == "http://json-schema.org/draft-04/schema#"
    assert schema["properties"]["manifestVersion"]["const"] == MANIFEST_VERSION


# --- the manifest --------------------------------------------------------------------------------


def test_the_built_manifest_is_valid(manifest: dict[str, Any]) -> None:
    assert errors(manifest) == []


def test_a_missing_required_field_fails(manifest: dict[str, Any]) -> None:
    broken = copy.deepcopy(manifest)
    del broken["developer"]["privacyUrl"]
    assert errors(broken) == ["manifest.json: developer: 'privacyUrl' is a required property"]


def test_an_id_that_is_not_a_guid_fails(manifest: dict[str, Any]) -> None:
    broken = copy.deepcopy(manifest)
    broken["id"] = "etapaiva"
    broken["bots"][0]["botId"] = "etapaiva"
    [bot_id, app_id] = errors(broken)
    assert bot_id.startswith("manifest.json: bots[0].botId: 'etapaiva' does not match the pattern")
    assert app_id.startswith("manifest.json: id: 'etapaiva' does not match the pattern")


def test_too_many_commands_fail(manifest: dict[str, Any]) -> None:
    broken = copy.deepcopy(manifest)
    commands = broken["bots"][0]["commandLists"][0]["commands"]
    commands.extend({"title": f"extra {i}"} for i in range(13 - len(commands)))
    assert errors(broken) == [
        "manifest.json: bots[0].commandLists[0].commands: has 13 items, at most 12 allowed"
    ]


def test_the_manifest_version_must_be_the_schemas(manifest: dict[str, Any]) -> None:
    broken = copy.deepcopy(manifest)
    broken["manifestVersion"] = "1.29"
    assert errors(broken) == ["manifest.json: manifestVersion: must be '1.30', not '1.29'"]


def test_an_unknown_scope_and_a_long_name_fail(manifest: dict[str, Any]) -> None:
    broken = copy.deepcopy(manifest)
    broken["bots"][0]["scopes"] = ["personal", "meeting"]
    broken["name"]["short"] = "E" * 31
    assert errors(broken) == [
        "manifest.json: bots[0].scopes[1]: 'meeting' is not one of "
        "['team', 'personal', 'groupChat', 'copilot']",
        "manifest.json: name.short: is 31 characters long, at most 30 allowed",
    ]


def test_an_unknown_property_fails(manifest: dict[str, Any]) -> None:
    broken = copy.deepcopy(manifest)
    broken["validFor"] = ["meetings"]
    [problem] = errors(broken)
    assert problem.startswith("manifest.json: (top level): Additional properties are not allowed")


def test_json_path_reads_like_the_localization_keys() -> None:
    assert json_path(["bots", 0, "commandLists", 1, "commands", 2, "title"]) == (
        "bots[0].commandLists[1].commands[2].title"
    )
    assert json_path([]) == "(top level)"


# --- the localization files ----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["fi.json", "sv.json"])
def test_the_localization_files_are_valid(manifest: dict[str, Any], name: str) -> None:
    document = localization(name)
    assert document["$schema"] == LOCALIZATION_SCHEMA_URL
    assert localization_errors(manifest, document, name) == []


def test_a_translation_of_a_command_the_manifest_lacks_fails(manifest: dict[str, Any]) -> None:
    document = localization("fi.json")
    document["bots[0].commandLists[1].commands[11].title"] = "lopeta päivä"
    document["bots[0].commandLists[0].commands[9].title"] = "olematon"
    assert localization_errors(manifest, document, "fi.json") == [
        "fi.json: bots[0].commandLists[0].commands[9].title: "
        "the manifest has no such element to translate"
    ]


def test_a_localization_file_without_the_required_texts_fails(manifest: dict[str, Any]) -> None:
    document = localization("sv.json")
    del document["description.full"]
    document["name.short"] = ""
    problems = localization_errors(manifest, document, "sv.json")
    assert "sv.json: (top level): 'description.full' is a required property" in problems
    assert any(p.startswith("sv.json: name.short: ") for p in problems)
