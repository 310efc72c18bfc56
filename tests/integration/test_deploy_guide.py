"""docs/deploy.md followed as far as it goes without a tenant, and its one configuration table.

The guide's steps 2, 3 and 5 run for real on loopback: `etapaiva db upgrade`, `etapaiva manifest
build`, and `etapaiva serve` with single-tenant credentials behind which every request needs a
valid Bot Framework token. Microsoft's cloud is never reached: the bot's OpenID metadata points
at a local fake identity provider, and no request gets far enough to send anything.
"""

from __future__ import annotations

import ast
import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from bot.manifest_build import read_package
from bot.manifest_check import package_errors
from store.db import create_engine, sessionmaker
from store.store import Store
from tests.fakes.activities import Conv, User, message
from tests.fakes.tokens import FakeIdentityProvider
from tests.integration.harness import free_port

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "deploy.md"
SETTINGS = ROOT / "bot" / "settings.py"
APP_ID = "5b7f3a10-9c2e-4d8b-a6f1-2e3d4c5b6a79"
TENANT_ID = "8e1d2c3b-4a59-4687-b7c6-d5e4f3a2b1c0"
PUBLIC_URL = "https://etapaiva.example.fi"
PACKAGES = ("bot", "dialogs", "cards", "domain", "store", "scheduler")


# --- the configuration table ----------------------------------------------------------------


def guide_variables() -> list[str]:
    """The first column of the table under '## Configuration' in docs/deploy.md."""
    text = GUIDE.read_text(encoding="utf-8")
    section = text.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| `([^`]+)` \|", section, flags=re.MULTILINE)


def settings_variables() -> set[str]:
    """Every name bot/settings.py reads from the environment: env.get("X") and env["X"]."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(SETTINGS.read_text(encoding="utf-8"))):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "get"
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "env"
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            names.add(str(node.args[0].value))
        if (
            isinstance(node, ast.Subscript)
            and isinstance(node.value, ast.Name)
            and node.value.id == "env"
            and isinstance(node.slice, ast.Constant)
        ):
            names.add(str(node.slice.value))
    return names


def test_the_guide_documents_exactly_the_variables_the_settings_read() -> None:
    documented = guide_variables()
    assert len(documented) == len(set(documented)), "a variable is in the table twice"
    read = settings_variables()
    assert read, "found no env.get(...) in bot/settings.py"
    assert sorted(set(documented) - read) == [], "documented but never read"
    assert sorted(read - set(documented)) == [], "read but not documented in docs/deploy.md"


def test_settings_is_the_only_module_that_reads_the_environment() -> None:
    readers = [
        str(path.relative_to(ROOT))
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
        if path != SETTINGS and re.search(r"os\.environ|getenv\(", path.read_text(encoding="utf-8"))
    ]
    assert readers == []


def test_the_readme_links_to_the_one_table_instead_of_having_its_own() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "docs/deploy.md#configuration" in readme
    assert not re.search(r"^\| `MicrosoftAppPassword` \|", readme, flags=re.MULTILINE)


# --- the guide's steps -------------------------------------------------------------------------


def etapaiva(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=120,
        check=False,
    )


def http(
    method: str, url: str, body: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, bytes]:
    request = urllib.request.Request(  # noqa: S310 - loopback only
        url, data=body, method=method, headers=headers or {}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:  # noqa: S310 - loopback only
            return int(resp.status), resp.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def wait_ready(base: str, proc: subprocess.Popen[str], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"etapaiva serve exited: {proc.communicate()[0]}")
        try:
            if http("GET", f"{base}/readyz")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError("etapaiva serve did not become ready")


@pytest.fixture
def idp() -> Iterator[FakeIdentityProvider]:
    with FakeIdentityProvider() as provider:
        yield provider


def deployment_env(database_url: str, port: int, idp: FakeIdentityProvider) -> dict[str, str]:
    """The environment of step 3, plus the one test-only pointer at the fake token issuer."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("Microsoft")}
    env.update(
        MicrosoftAppId=APP_ID,
        MicrosoftAppPassword="a-client-secret",
        MicrosoftAppType="SingleTenant",
        MicrosoftAppTenantId=TENANT_ID,
        DATABASE_URL=database_url,
        PUBLIC_URL=PUBLIC_URL,
        HOST="127.0.0.1",
        PORT=str(port),
        BotOpenIdMetadata=idp.metadata_url,
    )
    return env


def test_the_guide_from_database_to_package_to_a_service_that_refuses_bad_tokens(
    database_url: str, tmp_path: Path, idp: FakeIdentityProvider
) -> None:
    port = free_port()
    env = deployment_env(database_url, port, idp)

    # step 2: the database
    upgraded = etapaiva("db", "upgrade", env=env, cwd=tmp_path)
    assert upgraded.returncode == 0, upgraded.stderr
    assert etapaiva("db", "current", env=env, cwd=tmp_path).returncode == 0

    # step 5: the package, from the same environment (app id and public URL)
    package = tmp_path / "etapaiva-teams-1.0.0.zip"
    built = etapaiva(
        "manifest", "build", "--version", "1.0.0", "--out", package.name, env=env, cwd=tmp_path
    )
    assert built.returncode == 0, built.stderr
    files = read_package(package)
    assert package_errors(files) == []
    manifest = json.loads(files["manifest.json"])
    assert manifest["id"] == manifest["bots"][0]["botId"] == APP_ID
    assert manifest["validDomains"] == ["etapaiva.example.fi"]

    # step 3: the service with single-tenant credentials
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    user = User(name="Ilman Tunnusta")
    try:
        wait_ready(base, proc)
        activity = message("apua", conversation=Conv.personal(), sender=user, service_url=base)
        body = json.dumps(activity).encode()
        json_header = {"Content-Type": "application/json"}
        # no token at all
        status, answer = http("POST", f"{base}/api/messages", body, json_header)
        assert (status, json.loads(answer)) == (401, {"error": "unauthorized"})
        # a token whose signature is not the issuer's
        forged = idp.forged(APP_ID, base)
        headers = {**json_header, "Authorization": f"Bearer {forged}"}
        status, answer = http("POST", f"{base}/api/messages", body, headers)
        assert (status, json.loads(answer)) == (401, {"error": "unauthorized"})
        assert "metadata" in idp.fetches  # the signature was really checked against the keys
        # the developer links of the package are pages this service serves
        for url in (
            manifest["developer"][k] for k in ("websiteUrl", "privacyUrl", "termsOfUseUrl")
        ):
            assert url.startswith(PUBLIC_URL)
            status, page = http("GET", base + urlsplit(url).path)
            assert status == 200, url
            assert page.startswith(b"<!doctype html>")
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, output
    assert "LOCAL MODE" not in output
    assert "Traceback" not in output
    assert "a-client-secret" not in output

    # nothing was stored for the refused requests
    assert asyncio.run(stored_person(database_url, user.teams_id)) is False


async def stored_person(database_url: str, teams_id: str) -> bool:
    engine = create_engine(database_url)
    try:
        return await Store(sessionmaker(engine)).org.person_by_teams_id(teams_id) is not None
    finally:
        await engine.dispose()
