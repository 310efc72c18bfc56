"""The README's `make run`: who the Playground says you are reaches scripts/run-local.sh.

make has a built-in variable AS (the assembler, "as"): `make run` alone must not hand it on as
the person to be, and `make run AS=client` must.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run_line(*args: str, env_as: str | None = None) -> str:
    make = shutil.which("make")
    if make is None:
        pytest.fail("make is needed: the README's two commands are make targets", pytrace=False)
    env = {"PATH": "/usr/bin:/bin"}
    if env_as is not None:
        env["AS"] = env_as
    # -n: print what would run; -W: as if the installs were done (their stamps are new)
    done = subprocess.run(
        [
            make,
            "-n",
            "-W",
            ".venv/.installed",
            "-W",
            "playground/node_modules/.installed",
            "run",
            *args,
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )
    lines = [line for line in done.stdout.splitlines() if "scripts/run-local.sh" in line]
    assert lines, done.stdout + done.stderr
    return lines[-1]


@pytest.mark.parametrize(
    ("args", "env_as", "expected"),
    [
        ((), None, 'AS="" scripts/run-local.sh'),
        (("AS=client",), None, 'AS="client" scripts/run-local.sh'),
        ((), "coordinator", 'AS="coordinator" scripts/run-local.sh'),
    ],
)
def test_make_run_passes_on_only_the_person_given(
    args: tuple[str, ...], env_as: str | None, expected: str
) -> None:
    assert run_line(*args, env_as=env_as) == expected
