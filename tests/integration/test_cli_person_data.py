"""`etapaiva retention show`, `etapaiva person export|erase` and the organisation file's
service_ended, as an administrator uses them, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from domain.retention import Limits
from store.db import create_engine, sessionmaker
from store.store import Store
from store.tables import AuditRow, Base, PersonRow
from tests.contract.seed_all import World, seed
from tests.integration.test_cli import etapaiva

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


async def seeded(database_url: str) -> World:
    engine = create_engine(database_url)
    try:
        return await seed(Store(sessionmaker(engine)), T0, Limits())
    finally:
        await engine.dispose()


async def counts(database_url: str) -> dict[str, int]:
    engine = create_engine(database_url)
    try:
        async with sessionmaker(engine).read() as s:
            return {
                name: int((await s.execute(select(func.count()).select_from(t))).scalar_one())
                for name, t in Base.metadata.tables.items()
            }
    finally:
        await engine.dispose()


async def person(database_url: str, person_id: int) -> PersonRow:
    engine = create_engine(database_url)
    try:
        async with sessionmaker(engine).read() as s:
            row = await s.get(PersonRow, person_id)
            assert row is not None
            return row
    finally:
        await engine.dispose()


def leftovers(folder: Path) -> list[Path]:
    """Temporary files an export left behind."""
    return list(folder.glob("*.tmp"))


def test_service_ended_is_imported_shown_and_checked(database_url: str, tmp_path: Path) -> None:
    org = tmp_path / "org.yaml"
    text = """version: 1
units:
  - key: it
    name: IT-paja
groups:
  - key: a
    unit: it
    name: Ryhmä A
people:
  - name: Erkki
    upn: erkki@example.fi
    client: [a]
    service_ended: {ended}
"""
    org.write_text(text.format(ended="2026-05-31"), encoding="utf-8")
    first = etapaiva("org", "import", str(org), database_url=database_url, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    shown = etapaiva("org", "show", database_url=database_url, cwd=tmp_path)
    assert "service ended 2026-05-31" in shown.stdout
    org.write_text(text.format(ended="2026-06-31"), encoding="utf-8")
    bad = etapaiva("org", "import", str(org), database_url=database_url, cwd=tmp_path)
    assert bad.returncode == 1
    assert "org.yaml:13: 'service_ended' of person 'Erkki' must be a date like" in bad.stderr
    org.write_text(text.replace("    service_ended: {ended}\n", ""), encoding="utf-8")
    again = etapaiva("org", "import", str(org), database_url=database_url, cwd=tmp_path)
    assert "people: 0 created, 1 updated" in again.stdout
    assert (
        "service ended"
        not in etapaiva("org", "show", database_url=database_url, cwd=tmp_path).stdout
    )


async def test_retention_show_lists_each_type_with_its_rule_and_count(
    database_url: str, tmp_path: Path
) -> None:
    await seeded(database_url)
    before = await counts(database_url)
    shown = etapaiva("retention", "show", database_url=database_url, cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    for kind in ("attendance", "audit", "feedback", "help", "dialog", "inbox", "outbox"):
        assert any(line.split()[:1] == [kind] for line in lines), kind
    attendance = next(line for line in lines if line.split()[:1] == ["attendance"])
    assert "10 years after the client's service ended" in attendance
    # the seeded rows are from March: today the old outbox rows and export links are due
    outbox = next(line for line in lines if line.split()[:1] == ["outbox"])
    assert outbox.split()[1] == "4"
    assert await counts(database_url) == before  # showing changes nothing


async def test_person_export_writes_every_table_and_refuses_an_unknown_person(
    database_url: str, tmp_path: Path
) -> None:
    world = await seeded(database_url)
    out = tmp_path / "erkki.json"
    done = etapaiva(
        "person",
        "export",
        "erkki@example.fi",
        "--out",
        str(out),
        database_url=database_url,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    data = json.loads(out.read_text(encoding="utf-8"))
    assert set(data["tables"]) == set(Base.metadata.tables)
    assert data["tables"]["people"][0]["id"] == world.people["erkki"]
    assert len(data["tables"]["attendance_marks"]) == 2
    assert f"person {world.people['erkki']}:" in done.stderr
    missing = tmp_path / "nobody.json"
    unknown = etapaiva(
        "person",
        "export",
        "nobody@example.fi",
        "--out",
        str(missing),
        database_url=database_url,
        cwd=tmp_path,
    )
    assert unknown.returncode == 1
    assert "no person has the id, UPN or AAD object id 'nobody@example.fi'" in unknown.stderr
    assert not missing.exists()
    assert leftovers(tmp_path) == []


async def test_person_erase_says_what_went_and_what_stays_until_when(
    database_url: str, tmp_path: Path
) -> None:
    world = await seeded(database_url)
    before = await counts(database_url)
    unknown = etapaiva(
        "person", "erase", "12345", "--reason", "x", database_url=database_url, cwd=tmp_path
    )
    assert unknown.returncode == 1
    assert await counts(database_url) == before
    no_reason = etapaiva("person", "erase", "12345", database_url=database_url, cwd=tmp_path)
    assert no_reason.returncode == 2
    erkki = world.people["erkki"]
    done = etapaiva(
        "person",
        "erase",
        str(erkki),
        "--reason",
        "asiakkaan pyyntö",
        database_url=database_url,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert "Removed:" in done.stdout and "  help_requests: 2" in done.stdout
    assert "  attendance_marks: 2, until 2036-03-02" in done.stdout
    after = await counts(database_url)
    assert after["attendance_marks"] == before["attendance_marks"]
    assert after["help_requests"] == before["help_requests"] - 2
    row = await person(database_url, erkki)
    assert row.name == "Erkki Ended" and row.teams_id is None
    engine = create_engine(database_url)
    try:
        async with sessionmaker(engine).read() as s:
            audit = (
                await s.execute(select(AuditRow).where(AuditRow.action == "person.erased"))
            ).scalar_one()
    finally:
        await engine.dispose()
    assert audit.note == "asiakkaan pyyntö" and audit.details["who"].startswith("cli:")
