"""Export links on both databases: signed, for one person, for 15 minutes, once; audited."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.orgfile import load_org_file
from domain.errors import NotAllowed
from domain.model import Actor
from domain.org import Language
from domain.reports.downloads import (
    ExportKind,
    ExportLinks,
    FileFormat,
    LinkGone,
    LinkUnknown,
)
from store.store import Store
from store.tables import AuditRow

KEY = bytes(range(32))
NOW = datetime(2026, 12, 7, 10, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


async def key() -> bytes:
    return KEY


async def actor(store: Store, upn: str) -> Actor:
    person = await store.org.person_by_upn(upn)
    assert person is not None and person.id is not None
    return Actor(person, await store.org.grants_of(person.id))


@pytest.fixture
async def org(store: Store) -> Store:
    await store.org.apply(load_org_file("examples/org.example.yaml"))
    return store


def links(store: Store, clock: Clock) -> ExportLinks:
    return ExportLinks(store.exports, store.org, key, clock, base_url="https://bot.example.fi")


async def make(org: Store, clock: Clock) -> tuple[str, Actor]:
    anneli = await actor(org, "anneli.korhonen@example.hel.fi")
    token, _ = await links(org, clock).create(
        anneli,
        ExportKind.ABSENCES,
        date(2026, 11, 23),
        date(2026, 12, 6),
        FileFormat.CSV,
        Language.FI,
    )
    return token, anneli


async def test_a_link_works_once_for_the_person_who_asked(org: Store) -> None:
    clock = Clock()
    token, anneli = await make(org, clock)
    order, who = await links(org, clock).redeem(token)
    assert who.person_id == anneli.person_id
    assert (order.kind, order.first, order.last) == (
        ExportKind.ABSENCES,
        date(2026, 11, 23),
        date(2026, 12, 6),
    )
    assert order.filename == "etapaiva-absences-2026-11-23-2026-12-06.csv"
    with pytest.raises(LinkGone):
        await links(org, clock).redeem(token)


async def test_a_link_expires_after_fifteen_minutes(org: Store) -> None:
    clock = Clock()
    token, _ = await make(org, clock)
    clock.now = NOW + timedelta(minutes=15, seconds=1)
    with pytest.raises(LinkGone):
        await links(org, clock).redeem(token)


def _altered(token: str, part: int, value: str) -> str:
    parts = token.split(".")
    parts[part] = value
    return ".".join(parts)


async def test_an_altered_or_made_up_link_is_unknown(org: Store) -> None:
    clock = Clock()
    token, anneli = await make(org, clock)
    jari = await actor(org, "jari.makinen@example.hel.fi")
    later = str(int((NOW + timedelta(days=1)).timestamp()))
    altered = [
        _altered(token, 1, str(jari.person_id)),  # another person's id under Anneli's signature
        _altered(token, 2, later),  # a longer life
        _altered(token, 0, "A" * 22),  # another order
        _altered(token, 3, "B" * 27),  # a made-up signature
        token[:-1],
        "",
        "not-a-token",
        "." * 3,
    ]
    for bad in altered:
        with pytest.raises(LinkUnknown):
            await links(org, clock).redeem(bad)
    # none of them used the real link up
    _order, who = await links(org, clock).redeem(token)
    assert who.person_id == anneli.person_id


async def test_a_link_signed_with_another_key_is_unknown(org: Store) -> None:
    clock = Clock()
    token, _ = await make(org, clock)

    async def other() -> bytes:
        return bytes(32)

    stranger = ExportLinks(org.exports, org.org, other, clock)
    with pytest.raises(LinkUnknown):
        await stranger.redeem(token)


async def test_another_persons_valid_signature_does_not_open_this_order(org: Store) -> None:
    clock = Clock()
    token, _ = await make(org, clock)
    jari = await actor(org, "jari.makinen@example.hel.fi")
    service = links(org, clock)
    order_id, _, expires, _ = token.split(".")
    body = f"{order_id}.{jari.person_id}.{expires}"
    forged = f"{body}.{await service._mac(body)}"  # even with the key: the order is Anneli's
    with pytest.raises(LinkUnknown):
        await service.redeem(forged)


async def test_clients_and_instructors_get_no_link(org: Store) -> None:
    clock = Clock()
    for upn in ("jari.makinen@example.hel.fi", "maija.virtanen@example.hel.fi"):
        with pytest.raises(NotAllowed):
            await links(org, clock).create(
                await actor(org, upn),
                ExportKind.ATTENDANCE,
                date(2026, 12, 1),
                date(2026, 12, 7),
                FileFormat.XLSX,
                Language.FI,
            )


async def test_the_link_and_the_download_are_audited(org: Store) -> None:
    clock = Clock()
    token, anneli = await make(org, clock)
    service = links(org, clock)
    order, _ = await service.redeem(token)
    await service.downloaded(order, 12)
    async with org.db.read() as s:
        rows = (await s.execute(select(AuditRow).order_by(AuditRow.id))).scalars().all()
    exports = [r for r in rows if r.action.startswith("export.")]
    assert [(r.action, r.actor_person_id, r.details["stage"]) for r in exports] == [
        ("export.absences", anneli.person_id, "link"),
        ("export.absences", anneli.person_id, "download"),
    ]
    assert exports[1].details["rows"] == 12
    assert exports[0].details["first"] == "2026-11-23"


async def test_an_activity_days_link_covers_one_whole_month(org: Store) -> None:
    clock = Clock()
    anneli = await actor(org, "anneli.korhonen@example.hel.fi")
    _, order = await links(org, clock).create(
        anneli,
        ExportKind.ACTIVITY_DAYS,
        date(2026, 11, 14),
        date(2026, 11, 14),
        FileFormat.XLSX,
        Language.SV,
    )
    assert (order.first, order.last) == (date(2026, 11, 1), date(2026, 11, 30))
    assert order.filename == "etapaiva-activity-days-2026-11.xlsx"
