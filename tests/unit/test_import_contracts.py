"""The import contracts in pyproject.toml cover modules nobody has added yet.

Each test copies the packages and the configuration to a temporary directory, adds one module
there and runs lint-imports on the copy, as `make lint` runs it on the real tree.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("bot", "dialogs", "cards", "scheduler", "domain", "store")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
SDK_CONTRACT = "Only bot.teams imports the Bot Framework SDK"
TEAMS_CONTRACT = "The rest of bot reaches bot.teams only through the composition root"
SCHEDULER_CONTRACT = "The scheduler uses the domain only"


def _copy(tmp: Path) -> Path:
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp / "pyproject.toml")
    return tmp


def _lint(tree: Path) -> tuple[int, str]:
    env = {**os.environ, "PYTHONPATH": str(tree), "COLUMNS": "200"}
    done = subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo"],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return done.returncode, " ".join((done.stdout + done.stderr).split())


def _broken(output: str) -> str:
    """The part of lint-imports' report that lists the broken contracts."""
    assert "Broken contracts" in output, output
    return output.split("Broken contracts", 1)[1]


def test_the_packages_as_they_are_keep_every_contract(tmp_path: Path) -> None:
    status, output = _lint(_copy(tmp_path))
    assert status == 0, output
    assert "0 broken" in output


@pytest.mark.parametrize(
    ("path", "source"),
    [
        ("bot/newthing.py", "import botbuilder.core\n"),
        ("bot/newthing.py", "from botframework.connector.auth import ClaimsIdentity\n"),
        ("store/newthing.py", "import botbuilder.schema\n"),
    ],
)
def test_a_new_module_outside_bot_teams_that_imports_the_sdk_breaks_the_sdk_contract(
    tmp_path: Path, path: str, source: str
) -> None:
    tree = _copy(tmp_path)
    (tree / path).write_text(source, encoding="utf-8")

    status, output = _lint(tree)

    assert status != 0
    broken = _broken(output)
    assert SDK_CONTRACT in broken
    module = path.removesuffix(".py").replace("/", ".")
    assert f"{module} -> {source.split()[1].split('.')[0]}" in broken
    assert TEAMS_CONTRACT not in broken and SCHEDULER_CONTRACT not in broken


def test_a_new_module_under_bot_teams_may_import_the_sdk(tmp_path: Path) -> None:
    tree = _copy(tmp_path)
    (tree / "bot/teams/newthing.py").write_text("import botbuilder.core\n", encoding="utf-8")
    status, output = _lint(tree)
    assert status == 0, output


def test_bot_modules_other_than_the_composition_root_may_not_import_bot_teams(
    tmp_path: Path,
) -> None:
    tree = _copy(tmp_path)
    (tree / "bot/newthing.py").write_text("from bot.teams import sender\n", encoding="utf-8")

    status, output = _lint(tree)

    assert status != 0
    broken = _broken(output)
    assert TEAMS_CONTRACT in broken
    assert "bot.newthing -> bot.teams.sender" in broken
    assert SDK_CONTRACT not in broken


@pytest.mark.parametrize("target", ["store.db", "bot.settings", "dialogs.router", "cards.common"])
def test_the_scheduler_may_not_import_anything_but_the_domain(tmp_path: Path, target: str) -> None:
    tree = _copy(tmp_path)
    (tree / "scheduler/newjob.py").write_text(f"import {target}\n", encoding="utf-8")

    status, output = _lint(tree)

    assert status != 0
    broken = _broken(output)
    assert SCHEDULER_CONTRACT in broken
    assert f"scheduler.newjob -> {target}" in broken


GRAPH_CONTRACT = "Only bot.graph imports the Microsoft Graph SDK"


@pytest.mark.parametrize(
    ("path", "source"),
    [
        ("bot/newthing.py", "import msgraph\n"),
        ("bot/newthing.py", "from azure.identity.aio import ClientSecretCredential\n"),
        ("store/newthing.py", "import kiota_http.middleware\n"),
        ("bot/features/newthing.py", "from msgraph_core import GraphClientFactory\n"),
        ("bot/teams/newthing.py", "import kiota_abstractions.api_error\n"),
    ],
)
def test_a_module_other_than_bot_graph_that_imports_the_graph_sdk_breaks_the_graph_contract(
    tmp_path: Path, path: str, source: str
) -> None:
    tree = _copy(tmp_path)
    (tree / path).write_text(source, encoding="utf-8")

    status, output = _lint(tree)

    assert status != 0
    broken = _broken(output)
    assert GRAPH_CONTRACT in broken
    module = path.removesuffix(".py").replace("/", ".")
    assert f"{module} -> {source.split()[1].split('.')[0]}" in broken
    assert SDK_CONTRACT not in broken


def test_bot_graph_imports_the_graph_sdk() -> None:
    """The contract is not vacuous: the one allowed module does import the SDK."""
    source = (ROOT / "bot/graph.py").read_text(encoding="utf-8")
    for package in ("msgraph", "msgraph_core", "azure", "kiota_http", "kiota_abstractions"):
        assert f"from {package}" in source, package
