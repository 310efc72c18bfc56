"""Own days and export files in Teams, over real HTTP: the words in fi/sv/en, refusals, a
person's own month only, and the one-time download link on the bot's own web server.

The service runs with its real features (the report service, the command line's writers) on
the example organisation. Three tests use `fixed_bot` instead, whose reports' reader is
tests/fakes/reports.py (each person's fixed November, a plain CSV writer): where the point is
a known line in a month nobody lived (a given absence on the card, a tap naming someone whose
month differs, a file with names in it that the "gone" page must not repeat). The real month,
lived through the services and checked against the real reports, is in test_reports_real.py.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from bot.features import FEATURES, Plug
from bot.orgfile import load_org_file
from bot.settings import Settings
from cards.reports import EXPORT_VERB, OWN_VERB
from domain.i18n import text
from domain.org import Language
from scheduler.clock import ScaledClock
from store.tables import AuditRow
from tests.fakes.activities import Conv, User, invoke_execute, message
from tests.fakes.connector import FakeConnector
from tests.fakes.reports import with_fixed_reports
from tests.integration.conftest import ANNELI, JARI, MAIJA, known
from tests.integration.harness import BotServer, free_port, start_bot, stop_bot

ERIK = User(name="Erik Holmström", upn="erik.holmstrom@example.hel.fi")  # client, sv
AHMED = User(name="Ahmed Hassan", upn="ahmed.hassan@example.hel.fi")  # client, en
FI, SV, EN = Language.FI, Language.SV, Language.EN


async def serve(database_url: str, features: tuple[Plug, ...]) -> AsyncIterator[BotServer]:
    port = free_port()
    settings = Settings(port=port, database_url=database_url, public_url=f"http://127.0.0.1:{port}")
    server = await start_bot(settings, features=features)
    try:
        await server.store.org.apply(load_org_file("examples/org.example.yaml"))
        yield server
    finally:
        await stop_bot(server)


@pytest.fixture
async def bot(database_url: str) -> AsyncIterator[BotServer]:
    """The real service with the example organisation."""
    async for server in serve(database_url, FEATURES):
        yield server


@pytest.fixture
async def fixed_bot(database_url: str) -> AsyncIterator[BotServer]:
    """The service with the example organisation; the reports' reader has fixed lines."""
    async for server in serve(database_url, with_fixed_reports()):
        yield server


async def say(
    bot: BotServer, connector: FakeConnector, user: User, words: str, conv: Conv | None = None
) -> dict[str, Any]:
    """Send words in the user's 1:1 chat (or conv); the bot's one reply."""
    conv = conv or Conv.personal(id=f"a:{user.teams_id}")
    known(connector, conv.id, user)
    before = len(connector.sent)
    status, _ = await bot.post(
        message(words, conversation=conv, sender=user, service_url=connector.url)
    )
    assert status == 201
    sent = await connector.wait_for_count(before + 1)
    return dict(sent[before])


def card_of(reply: dict[str, Any]) -> dict[str, Any]:
    (attachment,) = reply["attachments"]
    return dict(attachment["content"])


async def tap(
    bot: BotServer, connector: FakeConnector, user: User, verb: str, data: dict[str, str]
) -> dict[str, Any]:
    conv = Conv.personal(id=f"a:{user.teams_id}")
    known(connector, conv.id, user)
    status, body = await bot.post(
        invoke_execute(
            verb,
            {"verb": verb, **data},
            conversation=conv,
            sender=user,
            service_url=connector.url,
            reply_to_id="reports-card",
        )
    )
    assert status == 200, body
    return dict(body)


def words(language: Language, key: str) -> str:
    """A catalog text as a page shows it: its **bold** without the asterisks."""
    return text(language, key).replace("**", "")


def shown(page: str) -> str:
    """A short HTML page's text, without its tags."""
    return re.sub(r"<[^>]*>", "", page)


def dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


# --- own days ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("user", "words", "language"),
    [
        (JARI, "omat päivät 11/2026", FI),
        (JARI, "omat päivät marraskuu 2026", FI),
        (ERIK, "mina dagar 2026-11", SV),
        (AHMED, "my days November 2026", EN),
    ],
)
async def test_own_days_in_each_language_show_the_persons_month(
    bot: BotServer, connector: FakeConnector, user: User, words: str, language: Language
) -> None:
    card = card_of(await say(bot, connector, user, words))
    shown = dump(card)
    month = f"{text(language, 'own.month.11')} 2026"
    assert text(language, "own.title", month=month) in shown
    assert [a["data"]["month"] for a in card["actions"]] == ["2026-10", "2026-12"]


async def test_jaris_card_holds_his_days_and_nobody_elses(
    fixed_bot: BotServer, connector: FakeConnector
) -> None:
    # fixed lines: a known absence of Jari's, and Erik's absences in the same reader
    bot = fixed_bot
    shown = dump(card_of(await say(bot, connector, JARI, "omat päivät 11/2026")))
    assert "12.11.: oma sairaus" in shown
    assert "Kulukorvaus: 9 € × 2 päivää = 18 €" in shown
    # Erik's absences (a public office, a job interview) are nowhere in it
    assert text(FI, "reports.kela.public_office") not in shown
    assert text(FI, "reports.kela.job_interview") not in shown
    assert "Erik" not in shown and "Ahmed" not in shown


async def test_a_tap_shows_the_tappers_month_whatever_the_data_names(
    fixed_bot: BotServer, connector: FakeConnector
) -> None:
    # fixed lines: Jari's and Erik's months differ, so whose month is shown can be told
    bot = fixed_bot
    erik = await bot.store.org.person_by_upn(ERIK.upn or "")
    assert erik is not None
    body = await tap(bot, connector, JARI, OWN_VERB, {"month": "2026-11", "person": str(erik.id)})
    assert body["type"] == "application/vnd.microsoft.card.adaptive"
    shown = dump(body["value"])
    assert "12.11.: oma sairaus" in shown
    assert text(FI, "reports.kela.public_office") not in shown


async def test_a_month_that_is_no_month_is_refused(
    bot: BotServer, connector: FakeConnector
) -> None:
    reply = await say(bot, connector, JARI, "omat päivät 13/2026")
    assert reply["text"] == text(FI, "own.bad_month")
    body = await tap(bot, connector, JARI, OWN_VERB, {"month": "../../etc"})
    assert body["value"] == text(FI, "card.stale")


async def test_someone_who_is_no_client_is_told_so(
    bot: BotServer, connector: FakeConnector
) -> None:
    reply = await say(bot, connector, ANNELI, "omat päivät")
    assert reply["text"] == text(FI, "own.no_group")


async def test_own_days_asked_in_a_group_chat_point_to_the_own_chat(
    bot: BotServer, connector: FakeConnector
) -> None:
    conv = Conv.group_chat()
    known(connector, conv.id, JARI)
    before = len(connector.sent)
    status, _ = await bot.post(
        message(
            "omat päivät",
            conversation=conv,
            sender=JARI,
            service_url=connector.url,
            mentions_bot=True,
        )
    )
    assert status == 201
    sent = await connector.wait_for_count(before + 1)
    assert sent[before]["text"] == text(FI, "own.in_own_chat")
    assert not sent[before].get("attachments")


# --- export files --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("user", "words", "language"),
    [
        (JARI, "vienti", FI),
        (MAIJA, "vienti", FI),
        (ERIK, "exportera", SV),
        (AHMED, "export", EN),
    ],
)
async def test_clients_and_instructors_are_told_who_makes_files(
    bot: BotServer, connector: FakeConnector, user: User, words: str, language: Language
) -> None:
    reply = await say(bot, connector, user, words)
    assert reply["text"] == text(language, "export.not_allowed")
    assert not reply.get("attachments")


@pytest.mark.parametrize("user", [JARI, MAIJA])
async def test_a_made_up_export_tap_by_a_client_or_instructor_is_refused(
    bot: BotServer, connector: FakeConnector, user: User
) -> None:
    body = await tap(bot, connector, user, EXPORT_VERB, {"kind": "absences", "format": "csv"})
    assert body["value"] == text(FI, "export.not_allowed")
    async with bot.store.db.read() as s:
        rows = (await s.execute(select(AuditRow))).scalars().all()
    assert not [r for r in rows if r.action.startswith("export.")]


async def export_link(
    bot: BotServer, connector: FakeConnector, data: dict[str, str]
) -> tuple[str, dict[str, Any]]:
    card = card_of(await say(bot, connector, ANNELI, "vienti"))
    assert text(FI, "export.title") in dump(card)
    body = await tap(bot, connector, ANNELI, EXPORT_VERB, data)
    assert body["type"] == "application/vnd.microsoft.card.adaptive", body
    (button,) = body["value"]["actions"]
    assert button["type"] == "Action.OpenUrl"
    return str(button["url"]), body["value"]


async def test_a_coordinator_downloads_the_file_once(
    fixed_bot: BotServer, connector: FakeConnector
) -> None:
    # fixed lines: a file with names in it, which the "gone" page must not repeat
    bot = fixed_bot
    url, card = await export_link(
        bot, connector, {"kind": "absences", "format": "csv", "first": "", "last": ""}
    )
    assert url.startswith(f"{bot.url}/exports/")
    assert text(FI, "export.ready.how_long", count=15) in dump(card)
    async with bot.http.get(url) as resp:
        assert resp.status == 200
        assert resp.headers["Content-Type"].startswith("text/csv")
        disposition = resp.headers["Content-Disposition"]
        assert disposition.startswith('attachment; filename="etapaiva-absences-')
        body = await resp.read()
    rows = list(csv.reader(io.StringIO(body.decode("utf-8")), delimiter=";"))
    assert rows[0][:3] == ["person_id", "name", "day"]
    assert sorted(r[1] for r in rows[1:]) == [
        "Erik Holmström",
        "Erik Holmström",
        "Jari Mäkinen",
    ]
    # once only
    async with bot.http.get(url) as again:
        assert again.status == 410
        page = await again.text()
    assert "Erik" not in page and words(FI, "export.link.gone") in shown(page)
    # the link and the download are audited, by the coordinator, with the row count
    anneli = await bot.store.org.person_by_upn(ANNELI.upn or "")
    assert anneli is not None
    async with bot.store.db.read() as s:
        audited = (await s.execute(select(AuditRow).order_by(AuditRow.id))).scalars().all()
    exports = [
        (r.action, r.actor_person_id, r.details["stage"])
        for r in audited
        if r.action.startswith("export.")
    ]
    assert exports == [
        ("export.absences", anneli.id, "link"),
        ("export.absences", anneli.id, "download"),
    ]
    assert [r.details.get("rows") for r in audited if r.action == "export.absences"][-1] == 3


async def test_the_page_of_a_used_link_shows_the_command_in_bold(
    bot: BotServer, connector: FakeConnector
) -> None:
    """The catalog's **bold** is drawn as bold on the page, never as asterisks."""
    url, _ = await export_link(
        bot, connector, {"kind": "absences", "format": "csv", "first": "", "last": ""}
    )
    for status in (200, 410):
        async with bot.http.get(url) as resp:
            assert resp.status == status
            page = await resp.text()
    assert "**" not in page
    assert "<strong>vienti</strong>" in page
    assert shown(page) == f"{words(FI, 'export.link.gone')}{words(FI, 'export.link.gone')}"


async def test_an_xlsx_attendance_file_comes_with_its_content_type(
    bot: BotServer, connector: FakeConnector
) -> None:
    url, _ = await export_link(
        bot,
        connector,
        {"kind": "attendance", "format": "xlsx", "first": "2026-11-01", "last": "2026-11-30"},
    )
    async with bot.http.get(url) as resp:
        assert resp.status == 200
        assert resp.headers["Content-Type"] == (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        assert (
            'filename="etapaiva-attendance-2026-11-01-2026-11-30.xlsx"'
            in (resp.headers["Content-Disposition"])
        )
        assert len(await resp.read()) > 0


async def test_wrong_links_get_a_short_page_and_nothing_else(
    bot: BotServer, connector: FakeConnector
) -> None:
    url, _ = await export_link(
        bot, connector, {"kind": "activity_days", "format": "csv", "first": "", "last": ""}
    )
    token = url.rsplit("/", 1)[1]
    order, person, expires, mac = token.split(".")
    for bad in (
        f"{order}.{person}.{expires}.{mac[:-2]}AA",
        f"{order}.{int(person) + 1}.{expires}.{mac}",
        f"{order}.{person}.{int(expires) + 3600}.{mac}",
        "nothing",
        "a.b.c.d",
    ):
        async with bot.http.get(f"{bot.url}/exports/{bad}") as resp:
            assert resp.status == 404, bad
            page = await resp.text()
            assert "Content-Disposition" not in resp.headers
            assert text(FI, "export.link.unknown") in page
            assert "Traceback" not in page and "Jari" not in page
    # the real link still works after all that
    async with bot.http.get(url) as resp:
        assert resp.status == 200


async def test_a_period_typed_backwards_is_refused(
    bot: BotServer, connector: FakeConnector
) -> None:
    await say(bot, connector, ANNELI, "vienti")
    body = await tap(
        bot,
        connector,
        ANNELI,
        EXPORT_VERB,
        {"kind": "attendance", "format": "csv", "first": "2026-11-30", "last": "2026-11-01"},
    )
    assert body["value"] == text(FI, "export.bad_period")
    body = await tap(
        bot,
        connector,
        ANNELI,
        EXPORT_VERB,
        {"kind": "attendance", "format": "csv", "first": "30.11.2026", "last": ""},
    )
    assert body["value"] == text(FI, "export.bad_period")


async def test_a_link_opened_after_fifteen_minutes_is_gone(database_url: str) -> None:
    """With the service's clock running 600 times faster, 15 minutes pass in 1.5 seconds."""
    port = free_port()
    settings = Settings(port=port, database_url=database_url, public_url=f"http://127.0.0.1:{port}")
    clock = ScaledClock(datetime.now(UTC), speed=600)
    bot = await start_bot(settings, clock=clock)
    try:
        await bot.store.org.apply(load_org_file("examples/org.example.yaml"))
        with FakeConnector() as connector:
            url, _ = await export_link(
                bot, connector, {"kind": "absences", "format": "xlsx", "first": "", "last": ""}
            )
            await asyncio.sleep(1.6)
            async with bot.http.get(url) as resp:
                assert resp.status == 410
                assert words(FI, "export.link.gone") in shown(await resp.text())
                assert "Content-Disposition" not in resp.headers
    finally:
        await stop_bot(bot)
