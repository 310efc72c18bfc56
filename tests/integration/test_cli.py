"""The `etapaiva` command as an administrator uses it: org import/show, db upgrade, serve."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.integration.harness import free_port

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "org.example.yaml"


def etapaiva(
    *args: str, database_url: str, cwd: Path, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url}
    env.pop("MicrosoftAppId", None)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=timeout,
        check=False,
    )


def test_org_import_then_show_and_reimport_changes_nothing(
    database_url: str, tmp_path: Path
) -> None:
    first = etapaiva("org", "import", str(EXAMPLE), database_url=database_url, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "units: 4 created, 0 updated, 0 unchanged" in first.stdout
    assert "people: 12 created" in first.stdout
    again = etapaiva("org", "import", str(EXAMPLE), database_url=database_url, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "people: 0 created, 0 updated, 12 unchanged" in again.stdout
    shown = etapaiva("org", "show", database_url=database_url, cwd=tmp_path)
    assert shown.returncode == 0
    assert "Uusix Kyläsaari, IT-paja [uusix-kylasaari-it]" in shown.stdout
    assert "Maija Virtanen <maija.virtanen@example.hel.fi>" in shown.stdout
    assert "instructor:it-torstai" in shown.stdout


def test_invalid_org_file_is_rejected_with_lines_and_changes_nothing(
    database_url: str, tmp_path: Path
) -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        text.replace("instructor: [it-torstai, etakahvila]", "instrutor: [it-torstai, etakahvila]"),
        encoding="utf-8",
    )
    line = next(i for i, row in enumerate(broken.read_text().splitlines(), 1) if "instrutor" in row)
    result = etapaiva("org", "import", str(broken), database_url=database_url, cwd=tmp_path)
    assert result.returncode == 1
    assert f"broken.yaml:{line}:" in result.stderr
    assert "instrutor" in result.stderr
    assert "nothing was changed" in result.stderr
    shown = etapaiva("org", "show", database_url=database_url, cwd=tmp_path)
    assert "People (0)" in shown.stdout


def test_dry_run_checks_without_writing(database_url: str, tmp_path: Path) -> None:
    result = etapaiva(
        "org", "import", "--dry-run", str(EXAMPLE), database_url=database_url, cwd=tmp_path
    )
    assert result.returncode == 0
    assert "dry run" in result.stdout
    assert "People (0)" in etapaiva("org", "show", database_url=database_url, cwd=tmp_path).stdout


def test_db_upgrade_and_current(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
    before = etapaiva("db", "current", database_url=url, cwd=tmp_path)
    assert before.returncode == 1
    assert "(empty)" in before.stdout
    assert etapaiva("db", "upgrade", database_url=url, cwd=tmp_path).returncode == 0
    after = etapaiva("db", "current", database_url=url, cwd=tmp_path)
    assert after.returncode == 0, after.stdout


def test_local_mode_refuses_a_public_address(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'x.db'}"
    result = etapaiva(
        "serve", "--host", "0.0.0.0", "--port", str(free_port()), database_url=url, cwd=tmp_path
    )
    assert result.returncode == 2
    assert "--allow-insecure" in result.stderr


def _wait_http(url: str, timeout: float = 30) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:  # noqa: S310 - loopback only
                return int(resp.status)
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"{url} did not answer")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_serve_uses_embedded_sqlite_under_var_and_stops_cleanly(
    tmp_path: Path, sig: signal.Signals
) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "MicrosoftAppId")}
    env["PORT"] = str(port)
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert _wait_http(f"http://127.0.0.1:{port}/readyz") == 200
        assert (tmp_path / "var" / "etapaiva.db").is_file()
        proc.send_signal(sig)
        output, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, output
    assert "LOCAL MODE" in output
    assert "scheduler stopped" in output
    assert "Traceback" not in output
