"""Tests for building the Teams app package (bot/manifest_build.py) and its CLI."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from bot.manifest_build import (
    PackageError,
    PackageOptions,
    build_package,
    check_options,
    fill,
    read_package,
    write_zip,
)
from bot.manifest_check import MANIFEST_DIR, SCHEMA_URL, package_errors

APP_ID = "3f2504e0-4f89-41d3-9a0c-0305e82c3301"
PUBLIC = "https://etapaiva.example.fi"
EXPECTED_FILES = [
    "color.png",
    "color32x32.png",
    "fi.json",
    "manifest.json",
    "outline.png",
    "sv.json",
]


def options(**changes: Any) -> PackageOptions:
    values: dict[str, Any] = {"app_id": APP_ID, "public_url": PUBLIC, "version": "1.2.3"}
    values.update(changes)
    return PackageOptions(**values)


def built(tmp_path: Path, **changes: Any) -> tuple[Path, dict[str, Any]]:
    out = tmp_path / "app.zip"
    build_package(options(**changes), out)
    manifest = json.loads(read_package(out)["manifest.json"])
    return out, manifest


def problems_of(opts: PackageOptions) -> list[str]:
    with pytest.raises(PackageError) as caught:
        check_options(opts)
    return caught.value.problems


# --- the package --------------------------------------------------------------------------


def test_the_zip_holds_the_manifest_icons_and_translations_at_its_root_and_nothing_else(
    tmp_path: Path,
) -> None:
    out = tmp_path / "app.zip"
    names = build_package(options(), out)
    assert names == EXPECTED_FILES
    with zipfile.ZipFile(out) as archive:
        assert sorted(archive.namelist()) == EXPECTED_FILES
        assert all(not info.is_dir() for info in archive.infolist())
        assert archive.testzip() is None
    assert package_errors(read_package(out)) == []
    assert [p.name for p in tmp_path.iterdir()] == ["app.zip"]


def test_the_files_in_the_zip_are_the_committed_icons_and_translations(tmp_path: Path) -> None:
    out, _ = built(tmp_path)
    files = read_package(out)
    for name in ("color.png", "outline.png", "color32x32.png"):
        assert files[name] == (MANIFEST_DIR / "icons" / name).read_bytes()
    for name in ("fi.json", "sv.json"):
        assert files[name] == (MANIFEST_DIR / name).read_bytes()


def test_the_manifest_carries_the_app_id_host_version_and_meeting_permissions(
    tmp_path: Path,
) -> None:
    _, manifest = built(tmp_path)
    assert manifest["$schema"] == SCHEMA_URL
    assert manifest["manifestVersion"] == "1.30"
    assert manifest["version"] == "1.2.3"
    assert manifest["id"] == APP_ID
    [bot] = manifest["bots"]
    assert bot["botId"] == APP_ID
    assert bot["scopes"] == ["personal", "team", "groupChat"]
    assert manifest["webApplicationInfo"] == {"id": APP_ID, "resource": "https://RscPermission"}
    rsc = manifest["authorization"]["permissions"]["resourceSpecific"]
    assert {p["type"] for p in rsc} == {"Application"}
    assert {
        "OnlineMeeting.ReadBasic.Chat",
        "OnlineMeetingParticipant.Read.Chat",
        "OnlineMeetingNotification.Send.Chat",
    } <= {p["name"] for p in rsc}
    # group messages reach the bot without an @mention where the chat's or team's owner consents
    assert {"ChatMessage.Read.Chat", "ChannelMessage.Read.Group"} <= {p["name"] for p in rsc}
    assert manifest["validDomains"] == ["etapaiva.example.fi"]
    assert manifest["localizationInfo"]["defaultLanguageTag"] == "en"
    assert {
        (lang["languageTag"], lang["file"])
        for lang in manifest["localizationInfo"]["additionalLanguages"]
    } == {
        ("fi", "fi.json"),
        ("sv", "sv.json"),
    }
    assert "${{" not in json.dumps(manifest)


def test_developer_links_default_to_the_pages_the_service_serves(tmp_path: Path) -> None:
    _, manifest = built(tmp_path)
    assert manifest["developer"]["websiteUrl"] == f"{PUBLIC}/tutorial"
    assert manifest["developer"]["privacyUrl"] == f"{PUBLIC}/privacy"
    assert manifest["developer"]["termsOfUseUrl"] == f"{PUBLIC}/terms"


def test_given_developer_links_are_used(tmp_path: Path) -> None:
    _, manifest = built(
        tmp_path,
        website_url="https://www.example.fi/etapaiva",
        privacy_url="https://www.example.fi/tietosuoja?app=etapaiva",
        terms_url="https://www.example.fi/ehdot",
    )
    assert manifest["developer"]["websiteUrl"] == "https://www.example.fi/etapaiva"
    assert manifest["developer"]["privacyUrl"] == "https://www.example.fi/tietosuoja?app=etapaiva"
    assert manifest["developer"]["termsOfUseUrl"] == "https://www.example.fi/ehdot"


def test_a_public_url_with_a_path_prefix_and_port_keeps_them_in_links_not_in_valid_domains(
    tmp_path: Path,
) -> None:
    _, manifest = built(tmp_path, public_url="https://apps.example.fi:8443/etapaiva/")
    assert manifest["developer"]["privacyUrl"] == "https://apps.example.fi:8443/etapaiva/privacy"
    assert manifest["validDomains"] == ["apps.example.fi"]


def test_the_same_input_gives_the_same_bytes(tmp_path: Path) -> None:
    first, second = tmp_path / "a.zip", tmp_path / "b.zip"
    build_package(options(), first)
    build_package(options(), second)
    assert first.read_bytes() == second.read_bytes()


# --- checking what the administrator gives ----------------------------------------------------


@pytest.mark.parametrize(
    "app_id",
    [
        "",
        "etapaiva",
        "3f2504e0-4f89-41d3-9a0c-0305e82c330",
        "{3f2504e0-4f89-41d3-9a0c-0305e82c3301}",
    ],
)
def test_an_app_id_that_is_not_a_guid_is_refused(app_id: str) -> None:
    [problem] = problems_of(options(app_id=app_id))
    assert problem.startswith(f"--app-id: {app_id!r} is not a GUID")


@pytest.mark.parametrize("version", ["1.0", "1", "01.0.0", "1.0.0-beta", "v1.0.0", "1.0.0.0"])
def test_a_version_teams_does_not_accept_is_refused(version: str) -> None:
    [problem] = problems_of(options(version=version))
    assert problem.startswith(f"--version: {version!r} is not a version Teams accepts")


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://etapaiva.example.fi", "must start with https:// (has http)"),
        ("etapaiva.example.fi", "must start with https:// (has no scheme)"),
        ("https://etapaiva.example.fi/?x=1", "must not have a query or a fragment"),
        ("https://etapaiva.example.fi/#top", "must not have a query or a fragment"),
        ("https://etapaiva.example.fi/api/messages", "is the messaging endpoint"),
        ("https://user:pw@etapaiva.example.fi", "must not contain a user name or password"),
        ("https://localhost", "points at localhost"),
        ("https://127.0.0.1", "uses the IP address 127.0.0.1"),
        ("https://etapaiva", "is not a full DNS name"),
        ("https://bad_host.example.fi", "is not a full DNS name"),
        ("https://etapaiva.example.fi:port", "is not a URL"),
        ("https://", "has no host name"),
    ],
)
def test_a_public_url_that_makes_no_sense_is_refused(url: str, problem: str) -> None:
    [found] = problems_of(options(public_url=url))
    assert found.startswith(f"--public-url: {url!r}")
    assert problem in found


def test_a_given_link_must_be_https() -> None:
    [found] = problems_of(options(privacy_url="http://www.example.fi/privacy"))
    assert found == (
        "--privacy-url: 'http://www.example.fi/privacy' must start with https:// (has http)"
    )


def test_every_wrong_option_is_listed_at_once() -> None:
    found = problems_of(options(app_id="x", version="1", public_url="http://a.example.fi"))
    assert [p.split(":")[0] for p in found] == ["--app-id", "--version", "--public-url"]


# --- the template ------------------------------------------------------------------------------


def test_fill_replaces_placeholders_inside_strings_only() -> None:
    template = {"a": "${{X}}", "b": ["pre-${{X}}-post", 3, True, None], "c": {"d": "plain"}}
    assert fill(template, {"X": "v"}) == {
        "a": "v",
        "b": ["pre-v-post", 3, True, None],
        "c": {"d": "plain"},
    }


def test_fill_refuses_an_unknown_placeholder() -> None:
    with pytest.raises(PackageError, match=r"unknown placeholder \$\{\{NOPE\}\}"):
        fill({"a": "${{NOPE}}"}, {"X": "v"})


def test_a_value_with_quotes_cannot_break_the_json(tmp_path: Path) -> None:
    source = copy_source(tmp_path)
    template = json.loads((source / "manifest.template.json").read_text(encoding="utf-8"))
    template["name"]["full"] = "${{WEBSITE_URL}}"
    write_template(source, template)
    out = tmp_path / "app.zip"
    tricky = 'https://www.example.fi/a"b'
    build_package(options(website_url=tricky), out, source)
    assert json.loads(read_package(out)["manifest.json"])["name"]["full"] == tricky


# --- nothing is written when something is wrong --------------------------------------------


def copy_source(tmp_path: Path) -> Path:
    source = tmp_path / "manifest"
    shutil.copytree(MANIFEST_DIR, source, ignore=shutil.ignore_patterns("schema"))
    return source


def write_template(source: Path, template: dict[str, Any]) -> None:
    (source / "manifest.template.json").write_text(
        json.dumps(template, ensure_ascii=False), encoding="utf-8"
    )


def test_a_manifest_that_breaks_the_schema_writes_no_zip(tmp_path: Path) -> None:
    source = copy_source(tmp_path)
    template = json.loads((source / "manifest.template.json").read_text(encoding="utf-8"))
    commands = template["bots"][0]["commandLists"][1]["commands"]
    commands.append({"title": "one too many"})
    del template["developer"]
    write_template(source, template)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    with pytest.raises(PackageError) as caught:
        build_package(options(), out_dir / "app.zip", source)
    assert caught.value.problems == [
        "manifest.json: (top level): 'developer' is a required property",
        "manifest.json: bots[0].commandLists[1].commands: has 13 items, at most 12 allowed",
    ]
    assert list(out_dir.iterdir()) == []


def test_a_missing_icon_writes_no_zip(tmp_path: Path) -> None:
    source = copy_source(tmp_path)
    (source / "icons" / "outline.png").unlink()
    out = tmp_path / "app.zip"
    with pytest.raises(PackageError, match=r"outline.png: no such file"):
        build_package(options(), out, source)
    assert not out.exists()


def test_a_wrong_icon_writes_no_zip(tmp_path: Path) -> None:
    source = copy_source(tmp_path)
    shutil.copy(source / "icons" / "color.png", source / "icons" / "outline.png")
    out = tmp_path / "app.zip"
    with pytest.raises(PackageError) as caught:
        build_package(options(), out, source)
    assert caught.value.problems == [
        "icons.outline (outline.png): is 192×192 pixels, must be 32×32",
    ]
    assert not out.exists()


def test_a_failure_while_writing_leaves_no_file_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(zipfile.ZipFile, "writestr", broken)
    with pytest.raises(OSError, match="disk full"):
        write_zip({"manifest.json": b"{}"}, tmp_path / "app.zip")
    assert list(tmp_path.iterdir()) == []


def test_an_earlier_package_is_replaced_whole(tmp_path: Path) -> None:
    out = tmp_path / "app.zip"
    out.write_bytes(b"old")
    build_package(options(), out)
    assert sorted(read_package(out)) == EXPECTED_FILES
    assert os.stat(out).st_mode & 0o777 == 0o644


# --- the command line ---------------------------------------------------------------------------


def etapaiva(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("MicrosoftAppId", "PUBLIC_URL")}
    return subprocess.run(
        [sys.executable, "-m", "bot", "manifest", "build", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=60,
        check=False,
    )


def test_cli_builds_the_package(tmp_path: Path) -> None:
    result = etapaiva(
        "--app-id", APP_ID, "--public-url", PUBLIC, "--version", "2.0.1", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    out = tmp_path / "etapaiva-teams-2.0.1.zip"
    assert result.stdout.startswith(f"wrote {out.name} (")
    assert "valid against the Teams app manifest schema v1.30" in result.stdout
    assert sorted(read_package(out)) == EXPECTED_FILES


def test_cli_refuses_an_app_id_that_is_not_a_guid_and_writes_nothing(tmp_path: Path) -> None:
    result = etapaiva(
        "--app-id", "etapaiva-bot", "--public-url", PUBLIC, "--out", "app.zip", cwd=tmp_path
    )
    assert result.returncode == 2
    assert result.stderr.splitlines()[0] == "etapaiva manifest build: app.zip was not written:"
    assert "--app-id: 'etapaiva-bot' is not a GUID" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_cli_refuses_an_http_url_and_writes_nothing(tmp_path: Path) -> None:
    result = etapaiva(
        "--app-id",
        APP_ID,
        "--public-url",
        "http://etapaiva.example.fi",
        "--out",
        "app.zip",
        cwd=tmp_path,
    )
    assert result.returncode == 2
    assert (
        "--public-url: 'http://etapaiva.example.fi' must start with https:// (has http)"
        in result.stderr
    )
    assert list(tmp_path.iterdir()) == []


def test_cli_names_what_is_missing(tmp_path: Path) -> None:
    result = etapaiva(cwd=tmp_path)
    assert result.returncode == 2
    assert "--app-id: not given, and MicrosoftAppId is not set" in result.stderr
    assert "--public-url: not given, and PUBLIC_URL is not set" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_cli_reads_the_app_id_and_public_url_from_the_environment(tmp_path: Path) -> None:
    env = {**os.environ, "MicrosoftAppId": APP_ID, "PUBLIC_URL": PUBLIC}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "manifest", "build", "--out", "pkg"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert sorted(read_package(tmp_path / "pkg")) == EXPECTED_FILES
