"""A person's own language and the organisation file's, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from sqlalchemy import Connection, text

from bot.orgfile import load_org_file
from domain.org import Language, Person
from store.db import create_engine
from store.migrate import alembic_config, upgrade
from store.store import Store

EXAMPLE = "examples/org.example.yaml"


async def test_own_choice_is_kept_apart_from_the_org_file_language(store: Store) -> None:
    await store.org.apply(load_org_file(EXAMPLE))
    johan = await store.org.person_by_upn("johan.lindqvist@example.hel.fi")
    assert johan is not None and johan.id is not None
    assert (johan.language, johan.chosen_language) == (Language.SV, None)
    await store.org.set_language(johan.id, Language.EN)
    chosen = await store.org.person_by_id(johan.id)
    assert chosen is not None
    assert (chosen.language, chosen.chosen_language) == (Language.SV, Language.EN)
    # importing the file again leaves the person's own choice alone
    await store.org.apply(load_org_file(EXAMPLE))
    again = await store.org.person_by_id(johan.id)
    assert again is not None and again.chosen_language is Language.EN
    assert again.speaks() is Language.EN


async def test_a_person_first_met_in_teams_has_no_language_until_they_choose(store: Store) -> None:
    person = await store.org.add_person(Person(name="Aino", teams_id="29:aino", aad_object_id="a1"))
    assert person.id is not None
    assert (person.language, person.chosen_language) == (None, None)
    await store.org.set_language(person.id, Language.SV)
    again = await store.org.person_by_teams_id("29:aino")
    assert again is not None
    assert (again.language, again.chosen_language) == (None, Language.SV)
    found = await store.org.person_and_grants("29:aino")
    assert found is not None and found[0].chosen_language is Language.SV


def _downgrade(connection: Connection, revision: str) -> None:
    cfg = alembic_config()
    cfg.attributes["connection"] = connection
    command.downgrade(cfg, revision)


async def test_migration_0008_adds_the_own_choice_and_keeps_the_file_language(
    database_url: str,
) -> None:
    engine = create_engine(database_url)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(_downgrade, "0006")
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO people (name, language, created_at, updated_at) "
                    "VALUES ('Erik', 'sv', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                )
            )
        await upgrade(engine, "0008")
        async with engine.connect() as conn:
            row = (await conn.execute(text("SELECT language, chosen_language FROM people"))).one()
        assert tuple(row) == ("sv", None)
        async with engine.connect() as conn:
            assert (await conn.execute(text("SELECT language FROM units"))).all() == []
        async with engine.begin() as conn:
            await conn.run_sync(_downgrade, "0006")
        async with engine.connect() as conn:
            row = (await conn.execute(text("SELECT name, language FROM people"))).one()
        assert tuple(row) == ("Erik", "sv")
    finally:
        await engine.dispose()


async def test_a_units_language_is_stored_and_reaches_its_coordinators_grants(
    store: Store, tmp_path: Path
) -> None:
    org = tmp_path / "org.yaml"
    org.write_text(
        "version: 1\n"
        "units:\n  - key: sv\n    name: Svenska\n    language: sv\n"
        "people:\n  - name: Kim\n    upn: kim@example.hel.fi\n    coordinator: [sv]\n",
        encoding="utf-8",
    )
    first = await store.org.apply(load_org_file(str(org)))
    assert first.created["units"] == 1
    kim = await store.org.person_by_upn("kim@example.hel.fi")
    assert kim is not None and kim.id is not None
    [grant] = await store.org.grants_of(kim.id)
    assert grant.unit is not None and grant.unit.language is Language.SV
    # the file changes the unit's language: an update, not a new unit
    org.write_text(org.read_text(encoding="utf-8").replace("language: sv", "language: en"))
    again = await store.org.apply(load_org_file(str(org)))
    assert again.updated.get("units") == 1
    [grant] = await store.org.grants_of(kim.id)
    assert grant.unit is not None and grant.unit.language is Language.EN
