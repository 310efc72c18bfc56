"""A person's data on SQLite and PostgreSQL: the export finds their rows in every table, the
erasure removes what is not a statutory record, keeps the rest with its end, and is audited."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select

from domain.retention import Limits
from store.retention import ERASED_NAME, REGISTRY, SqlRetention
from store.store import Store
from store.tables import AuditRow, Base, PersonRow
from tests.contract.seed_all import NEW, World, seed

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
LIMITS = Limits()


def key_of(name: str, row: dict[str, object]) -> tuple[object, ...]:
    t = Base.metadata.tables[name]
    out = []
    for c in t.primary_key:
        value = row[c.name]
        if isinstance(value, str) and c.type.python_type in (date, datetime):
            value = c.type.python_type.fromisoformat(value)
        out.append(value)
    return tuple(out)


async def rows_now(store: Store) -> set[tuple[str, tuple[object, ...]]]:
    found = set()
    async with store.db.read() as s:
        for name, t in Base.metadata.tables.items():
            for row in (await s.execute(select(*t.primary_key))).all():
                found.add((name, tuple(row)))
    return found


async def test_the_export_holds_every_row_about_the_person_in_every_table(store: Store) -> None:
    world = await seed(store, T0, LIMITS)
    retention = SqlRetention(store.db, LIMITS)
    erkki = world.people["erkki"]
    data = await retention.export(erkki, NOW, "cli:test")
    # every table was looked at, also those with nothing about them
    assert set(data["tables"]) == set(Base.metadata.tables)
    exported = {(name, key_of(name, row)) for name, rows in data["tables"].items() for row in rows}
    theirs = {(r.table, r.key) for r in world.rows if r.person == "erkki"}
    assert theirs <= exported
    others = {(r.table, r.key) for r in world.rows if r.person not in ("erkki", None)}
    # another person's rows are not in it (the changes Maija made to Erkki's record are)
    assert {(t, k) for t, k in exported & others if t != "people"} == set()
    assert data["tables"]["people"][0]["name"] == "Erkki Ended"
    # the day he tapped "I'm back", not the day only Jari did
    assert [d["date"] for d in data["tables"]["group_days"]] == [T0.date().isoformat()]
    assert data["attendance_kept_until"] == "2036-03-02"
    # anonymous answers are not his, nor anyone's
    assert {a["id"] for a in data["tables"]["feedback_answers"]} == {"namedold", "namednew"}
    async with store.db.read() as s:
        audit = (
            await s.execute(select(AuditRow).where(AuditRow.action == "person.exported"))
        ).scalar_one()
    assert audit.subject == f"person:{erkki}"


async def test_erasure_removes_what_is_not_statutory_and_says_how_long_the_rest_stays(
    store: Store,
) -> None:
    world = await seed(store, T0, LIMITS)
    retention = SqlRetention(store.db, LIMITS)
    erkki = world.people["erkki"]
    before = await rows_now(store)
    erasure = await retention.erase(erkki, "asiakkaan pyyntö", NOW, "cli:test")
    after = await rows_now(store)
    gone = before - after
    statutory = {n for n, r in REGISTRY.items() if r.statutory}
    expected = {
        (r.table, r.key)
        for r in world.rows
        if r.person == "erkki" and r.table not in statutory and r.table != "people"
    }
    assert gone == expected
    assert {t for t, _ in gone} == {
        "memberships",
        "conversations",
        "dialog_state",
        "processed_activities",
        "outbox",
        "tutorial_progress",
        "help_requests",
        "feedback_prompts",
        "feedback_answered",
        "feedback_answers",
        "feedback_texts",
    }
    # every table was considered: what went and what stayed are named per table
    assert set(erasure.removed) == {t for t, _ in gone}
    assert erasure.kept == {
        "attendance_marks": 2,
        "attendance_checkouts": 2,
        "attendance_changes": 2,
        "graph_attendance": 4,  # his rows of Teams' reports, by object id and by e-mail
    }
    assert erasure.until == {
        "attendance_marks": date(2036, 3, 2),
        "attendance_checkouts": date(2036, 3, 2),
        "attendance_changes": date(2036, 3, 2),
        "graph_attendance": date(2036, 3, 2),
    }
    assert not erasure.pseudonymised
    assert erasure.forgotten == {"group_days": 1}  # his "I'm back" tap
    days = Base.metadata.tables["group_days"]
    async with store.db.read() as s:
        taps = [b for (b,) in (await s.execute(select(days.c.backs).order_by(days.c.date))).all()]
    assert taps == [{"0": [world.people["jari"]]}, {"1": [world.people["jari"]]}]
    async with store.db.read() as s:
        row = await s.get(PersonRow, erkki)
        assert row is not None
        assert (row.name, row.teams_id, row.service_ended_on) == ("Erkki Ended", None, T0.date())
        audit = (
            await s.execute(select(AuditRow).where(AuditRow.action == "person.erased"))
        ).scalar_one()
        rounds = Base.metadata.tables["feedback_rounds"]
        summaries = dict((await s.execute(select(rounds.c.id, rounds.c.summary))).all())
    assert (audit.subject, audit.note) == (f"person:{erkki}", "asiakkaan pyyntö")
    assert audit.details["kept"]["attendance_marks"] == 2
    # his part of each round's counts stays, without him
    assert summaries[world.rounds["old"]] == {
        "asked": 1,
        "answered": 1,
        "scores": {"4": 1},
        "texts": {"idea": 1},
    }


async def test_someone_with_no_statutory_record_is_pseudonymised(store: Store) -> None:
    world = await seed(store, T0, LIMITS)
    retention = SqlRetention(store.db, LIMITS)
    # Jari's attendance goes first (his service ended long ago), then he asks to be erased
    jari = world.people["jari"]
    async with store.db.write() as s:
        row = await s.get(PersonRow, jari)
        assert row is not None
        row.service_ended_on = date(2010, 1, 1)
    await retention.purge(NOW)
    erasure = await retention.erase(jari, "pyyntö", NOW, "cli:test")
    assert erasure.pseudonymised and erasure.kept == {}
    async with store.db.read() as s:
        row = await s.get(PersonRow, jari)
        assert row is not None
        assert (row.name, row.upn, row.aad_object_id, row.teams_id) == (
            ERASED_NAME.format(id=jari),
            None,
            None,
            None,
        )


async def test_an_instructor_keeps_their_name_on_the_records_they_corrected(store: Store) -> None:
    world = await seed(store, T0, LIMITS)
    retention = SqlRetention(store.db, LIMITS)
    maija = world.people["maija"]
    erasure = await retention.erase(maija, "lähti", NOW, "cli:test")
    assert erasure.kept["attendance_changes"] == 4  # she corrected Erkki's and Jari's days
    # Jari's service has not ended: kept until it has, and ten years more
    assert erasure.until["attendance_changes"] is None
    assert erasure.until["audit_log"] == date(2036, 9, 18)
    assert erasure.forgotten["help_requests"] == 4  # who took and who resolved two requests
    assert "digest_sent" in erasure.removed and "export_links" in erasure.removed
    assert not erasure.pseudonymised


async def test_an_unknown_person_is_not_found(store: Store) -> None:
    world = await seed(store, T0, LIMITS)
    retention = SqlRetention(store.db, LIMITS)
    assert await retention.find("nobody@example.fi") is None
    assert await retention.find("999999") is None
    assert await retention.find("ERKKI@example.fi") == world.people["erkki"]
    assert await retention.find("11111111-1111-1111-1111-111111111111") == world.people["erkki"]
    assert await retention.find(str(world.people["jari"])) == world.people["jari"]


__all__ = ["World"]


async def test_the_rounds_results_still_count_an_erased_persons_answer(store: Store) -> None:
    world = await seed(store, T0, LIMITS)
    retention = SqlRetention(store.db, LIMITS)
    before = await store.feedback.results(world.rounds["old"])
    await retention.erase(world.people["erkki"], "pyyntö", NOW, "cli:test")
    after = await store.feedback.results(world.rounds["old"])
    assert (before.scores, before.asked) == ((2, 4), 2)
    assert before.named == (("Erkki Ended", 4),)
    # his score stays in the counts, no longer his
    assert (after.scores, after.asked, after.named) == ((2, 4), 2, ())
    # and a purged round keeps its counts in the results
    await retention.purge(T0 + NEW + NEW)
    purged = await store.feedback.results(world.rounds["old"])
    assert (purged.scores, purged.asked, purged.texts) == ((2, 4), 2, ())
