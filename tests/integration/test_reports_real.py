"""Own days and export files in Teams over the real reports, over real HTTP, on both databases.

The month of tests/integration/month.py is lived through the real services; then the service
starts on that database with its real features (the report service over the roll call's
record, the command line's file writers). A client's `omat päivät` card is compared, line by
line, with what the test counts from the month itself; a coordinator's files, downloaded over
HTTP from the link the card gives, are compared with the command line's export of the same
period and unit; the other unit's coordinator gets nothing of the first unit; both steps are
audited.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.settings import Settings
from cards.reports import EXPORT_VERB
from domain.i18n import date_text, text
from domain.reports.columns import ABSENCES, ACTIVITY_DAYS, ATTENDANCE
from scheduler.clock import ScaledClock
from store.tables import AuditRow
from tests.fakes.activities import Conv, User, invoke_execute, message
from tests.fakes.connector import FakeConnector
from tests.integration.harness import BotServer, free_port, start_bot, stop_bot
from tests.integration.month import (
    CANCELLED,
    CLIENTS,
    DAYS,
    FI,
    HELSINKI,
    MIN_HOURS,
    NAMES,
    UNITS,
    Month,
    cli,
    csv_of,
    csv_rows,
    every_line,
    expected,
    header,
    lived_month,
    tallies,
)
from tests.integration.test_digest import counts_words
from tests.integration.test_reports_teams import shown, words
from tests.xlsx_read import read_xlsx

NOVEMBER = date(2026, 11, 1)
# the service runs in December, so November is over and December is the newest month
NOW = datetime(2026, 12, 7, 10, 0, tzinfo=HELSINKI)
STAFF_NAMES = {
    "maija": "Maija Virtanen",
    "ville": "Ville Ohjaaja",
    "kaisa": "Kaisa Koordinaattori",
    "olli": "Olli Koordinaattori",
    "aino": "Aino Ylläpitäjä",
}
EVERYONE = {**STAFF_NAMES, **NAMES}


def user(who: str) -> User:
    """The month's person as Teams presents them (matched by UPN)."""
    return User(name=EVERYONE[who], upn=f"{who}@example.hel.fi")


USERS = {who: user(who) for who in EVERYONE}


@dataclass
class Teams:
    """The lived month and the service running on its database."""

    month: Month
    bot: BotServer
    connector: FakeConnector
    database_url: str

    def chat(self, who: str) -> Conv:
        return Conv.personal(id=f"a:{USERS[who].teams_id}")

    async def say(self, who: str, words: str) -> dict[str, Any]:
        """Words in the person's 1:1 chat; the bot's one reply."""
        conv = self.chat(who)
        self.connector.add_member(conv.id, USERS[who].member())
        before = len(self.connector.sent)
        status, _ = await self.bot.post(
            message(words, conversation=conv, sender=USERS[who], service_url=self.connector.url)
        )
        assert status == 201
        sent = await self.connector.wait_for_count(before + 1)
        return dict(sent[before])

    async def tap(self, who: str, data: dict[str, Any]) -> dict[str, Any]:
        """A tap in the person's 1:1 chat with the data the bot's card carries; the answer."""
        conv = self.chat(who)
        self.connector.add_member(conv.id, USERS[who].member())
        status, body = await self.bot.post(
            invoke_execute(
                str(data["verb"]),
                data,
                conversation=conv,
                sender=USERS[who],
                service_url=self.connector.url,
                reply_to_id="reports-card",
            )
        )
        assert status == 200, body
        assert body["type"] == "application/vnd.microsoft.card.adaptive", body
        return dict(body["value"])


@pytest.fixture
async def teams(database_url: str) -> AsyncIterator[Teams]:
    async with lived_month(database_url) as month:
        port = free_port()
        settings = Settings(
            port=port,
            database_url=database_url,
            public_url=f"http://127.0.0.1:{port}",
            full_day_min_hours=MIN_HOURS,
        )
        bot = await start_bot(settings, clock=ScaledClock(NOW.astimezone(UTC), 1.0))
        try:
            with FakeConnector() as connector:
                yield Teams(month, bot, connector, database_url)
        finally:
            await stop_bot(bot)


def card_of(reply: dict[str, Any]) -> dict[str, Any]:
    (attachment,) = reply["attachments"]
    return dict(attachment["content"])


def texts(card: dict[str, Any]) -> list[str]:
    """Every TextBlock's text on the card, top to bottom."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "TextBlock":
                found.append(str(node["text"]))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(card.get("body", []))
    return found


def leaves(node: Any) -> Iterator[Any]:
    if isinstance(node, dict):
        for value in node.values():
            yield from leaves(value)
    elif isinstance(node, list):
        for value in node:
            yield from leaves(value)
    else:
        yield node


# --- a client's own month ----------------------------------------------------------------------


def short(day: date) -> str:
    """How a Finnish card writes a day of the month: 2.11."""
    return f"{day.day}.{day.month}."


def own_card_lines(who: str) -> list[str]:
    """The card's lines for the person's November, counted from the month's plan (DAYS)."""
    days = sorted(
        ((d, e) for _g, d, w, e in every_line() if w == who and e.role == "client"),
        key=lambda line: line[0],
    )

    def on(kind: str) -> list[date]:
        return [d for d, e in days if e.kind == kind]

    def dates(kind: str) -> str:
        return text(FI, "own.dates", dates=", ".join(short(d) for d in on(kind)))

    lines = [
        text(FI, "own.title", month="marraskuu 2026"),
        text(FI, "own.who"),
    ]
    if on("activity"):
        lines += [text(FI, "own.activity", count=len(on("activity"))), dates("activity")]
    if on("short"):
        lines += [text(FI, "own.short", count=len(on("short"))), dates("short")]
    if on("absent"):
        lines.append(text(FI, "own.absent", count=len(on("absent"))))
        for d, e in days:
            if e.kind != "absent":
                continue
            reason = text(FI, f"reports.kela.{e.kela}")
            if e.note:
                note = text(FI, f"rollcall.reason.{e.note}")
                lines.append(f"{short(d)}: {reason} ({note})")
            else:
                lines.append(f"{short(d)}: {reason}")
    if on("not_held"):
        lines += [text(FI, "own.not_held", count=len(on("not_held"))), dates("not_held")]
    if on("unrecorded"):
        lines += [text(FI, "own.unrecorded", count=len(on("unrecorded"))), dates("unrecorded")]
    activity = len(on("activity"))
    if activity:
        euros = f"{9 * activity} €"
        lines.append(text(FI, "own.allowance", rate="9 €", count=activity, total=euros))
    else:
        lines.append(text(FI, "own.allowance_none"))
    lines.append(text(FI, "own.ask"))
    return lines


async def test_each_clients_own_month_counts_their_days_and_shows_nobody_else(
    teams: Teams,
) -> None:
    ids = {who: actor.person_id for who, actor in teams.month.people.items()}
    counted = tallies()
    assert set(counted) == set(NAMES)
    for who in NAMES:
        card = card_of(await teams.say(who, "omat päivät 11/2026"))
        assert texts(card) == own_card_lines(who), who
        # the sums the card states, once more from the month's own tally
        kinds = counted[who]["kinds"]
        shown = json.dumps(card, ensure_ascii=False)
        assert f"= {9 * kinds['activity']} €" in shown or not kinds["activity"], who
        assert sum(counted[who]["kela"].values()) == kinds["absent"], who
        # nobody else's name, and no person's id anywhere in the card (its own neither)
        others = [n for w, n in EVERYONE.items() if w != who and n in shown]
        assert others == [], who
        for part in (n for w, n in EVERYONE.items() if w != who):
            assert part.split()[0] not in shown, (who, part)
        numbers = {i for i in ids.values()} | {str(i) for i in ids.values()}
        found = [v for v in leaves(card) if not isinstance(v, bool) and v in numbers]
        assert found == [], who
        for action in card["actions"]:
            assert set(action["data"]) <= {"verb", "month", "sig"}, action


async def test_a_tap_naming_another_person_shows_the_tappers_month(teams: Teams) -> None:
    card = card_of(await teams.say("sara", "omat päivät 10/2026"))
    forward = card["actions"][1]["data"]
    erkki = str(teams.month.people["erkki"].person_id)
    shown = await teams.tap("sara", {"verb": forward["verb"], "month": "2026-11", "person": erkki})
    assert texts(shown) == own_card_lines("sara")


async def test_the_month_buttons_go_back_and_forth(teams: Teams) -> None:
    november = card_of(await teams.say("sari", "omat päivät 11/2026"))
    back, forward = november["actions"]
    assert (back["data"]["month"], forward["data"]["month"]) == ("2026-10", "2026-12")
    october = await teams.tap("sari", back["data"])
    assert texts(october)[0] == text(FI, "own.title", month="lokakuu 2026")
    assert text(FI, "own.nothing") in texts(october)
    again = await teams.tap("sari", october["actions"][1]["data"])
    assert texts(again) == texts(november) == own_card_lines("sari")
    december = await teams.tap("sari", forward["data"])
    assert texts(december)[0] == text(FI, "own.title", month="joulukuu 2026")
    # December is this month: no button to a month that has not come
    assert [a["data"]["month"] for a in december["actions"]] == ["2026-11"]


# --- export files ------------------------------------------------------------------------------


async def link(teams: Teams, who: str, data: dict[str, str]) -> str:
    """The coordinator's `vienti` card, the tap on its button: the download link."""
    card = card_of(await teams.say(who, "vienti"))
    (button,) = card["actions"]
    assert button["data"]["verb"] == EXPORT_VERB
    ready = await teams.tap(who, {**button["data"], **data})
    (download,) = ready["actions"]
    assert download["type"] == "Action.OpenUrl"
    url = str(download["url"])
    assert url.startswith(f"{teams.bot.url}/exports/")
    return url


async def download(teams: Teams, url: str) -> bytes:
    """The file behind the link, once; the second time the link is gone (410)."""
    async with teams.bot.http.get(url) as resp:
        assert resp.status == 200, await resp.text()
        body = await resp.read()
    async with teams.bot.http.get(url) as again:
        assert again.status == 410
        assert words(FI, "export.link.gone") in shown(await again.text())
    return body


def sheet(raw: bytes, tmp_path: Path, name: str) -> list[list[Any]]:
    path = tmp_path / name
    path.write_bytes(raw)
    (rows,) = read_xlsx(path).values()
    return rows


async def from_cli(
    teams: Teams, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, out: str, *args: str
) -> Path:
    path = tmp_path / out
    assert await cli(monkeypatch, teams.database_url, *args, "--out", str(path)) == 0
    return path


async def test_a_coordinators_files_are_the_command_lines_files_of_their_unit(
    teams: Teams, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    uusix = [(g, d, w, e) for g, d, w, e in every_line() if UNITS[g] == "uusix"]
    h = lambda key: header(ATTENDANCE, key)  # noqa: E731

    # attendance, CSV: one row per person per group day of the unit
    url = await link(
        teams,
        "kaisa",
        {
            "kind": "attendance",
            "format": "csv",
            "first": "2026-11-01",
            "last": "2026-11-30",
        },
    )
    attendance = csv_of(await download(teams, url))
    cli_attendance = csv_rows(
        await from_cli(
            teams,
            monkeypatch,
            tmp_path,
            "attendance.csv",
            "export",
            "attendance",
            "--from",
            "2026-11-01",
            "--to",
            "2026-11-30",
            "--unit",
            "uusix",
        )
    )
    assert attendance == cli_attendance
    assert len(attendance) == len(uusix)
    assert {r[h("unit")] for r in attendance} == {"uusix"}
    assert sorted((r[h("name")], r[h("date")]) for r in attendance) == sorted(
        (NAMES[w], d.isoformat()) for _g, d, w, _e in uusix
    )

    # activity days, xlsx: one line per client of the unit, the month's counts
    url = await link(
        teams,
        "kaisa",
        {"kind": "activity_days", "format": "xlsx", "first": "2026-11-01", "last": ""},
    )
    activity = sheet(await download(teams, url), tmp_path, "teams-activity.xlsx")
    cli_activity = read_xlsx(
        await from_cli(
            teams,
            monkeypatch,
            tmp_path,
            "activity.xlsx",
            "export",
            "activity-days",
            "--month",
            "2026-11",
            "--unit",
            "uusix",
            "--format",
            "xlsx",
        )
    )
    assert [activity] == list(cli_activity.values())
    keys = [c.key for c in ACTIVITY_DAYS]
    assert activity[0] == [c.header(FI) for c in ACTIVITY_DAYS]
    lines = {
        r[1]: dict(zip(keys, r + [None] * (len(keys) - len(r)), strict=True)) for r in activity[1:]
    }
    clients = {w for g, _d, w, e in uusix if e.role == "client"}
    assert set(lines) == {NAMES[w] for w in clients}
    counted = tallies()
    for who in clients:
        # the tally counts the whole month; these clients are in uusix only
        kinds, kela, line = counted[who]["kinds"], counted[who]["kela"], lines[NAMES[who]]
        assert (line["activity"], line["short"], line["absent"]) == (
            kinds["activity"],
            kinds["short"],
            kinds["absent"],
        ), who
        assert line["not_held"] == kinds["not_held"], who
        assert line["allowance"] == 9.0 * kinds["activity"], who
        for reason in ("own_illness", "child_ill", "job_interview", "public_office", "other"):
            assert line[f"absent_{reason}"] == kela[reason], (who, reason)

    # absences, CSV: the TT3 list of the first two weeks
    url = await link(
        teams,
        "kaisa",
        {"kind": "absences", "format": "csv", "first": "2026-11-01", "last": "2026-11-14"},
    )
    absences = csv_of(await download(teams, url))
    cli_absences = csv_rows(
        await from_cli(
            teams,
            monkeypatch,
            tmp_path,
            "absences.csv",
            "export",
            "absences",
            "--from",
            "2026-11-01",
            "--to",
            "2026-11-14",
            "--unit",
            "uusix",
        )
    )
    assert absences == cli_absences
    a = lambda key: header(ABSENCES, key)  # noqa: E731
    assert sorted((r[a("name")], r[a("date")]) for r in absences) == sorted(
        (NAMES[w], d.isoformat())
        for _g, d, w, e in uusix
        if e.kind == "absent" and e.role == "client"
    )

    # each file: its link and its download audited, by the coordinator, with the row count
    kaisa = teams.month.people["kaisa"].person_id
    async with teams.bot.store.db.read() as s:
        audited = (
            (
                await s.execute(
                    select(AuditRow).where(AuditRow.actor_person_id == kaisa).order_by(AuditRow.id)
                )
            )
            .scalars()
            .all()
        )
    # the period as the subject and the person as who, as the command line's rows have them
    periods = ["2026-11-01..2026-11-30"] * 4 + ["2026-11-01..2026-11-14"] * 2
    assert [r.subject for r in audited] == periods
    assert {r.details["who"] for r in audited} == {kaisa}
    assert [(r.action, r.details["stage"], r.details.get("rows")) for r in audited] == [
        ("export.attendance", "link", None),
        ("export.attendance", "download", len(attendance)),
        # the same action as the command line's (docs/exports.md)
        ("export.activity-days", "link", None),
        ("export.activity-days", "download", len(lines)),
        ("export.absences", "link", None),
        ("export.absences", "download", len(absences)),
    ]


async def test_the_other_units_coordinator_gets_nothing_of_the_first_unit(
    teams: Teams, tmp_path: Path
) -> None:
    uusix_names = {NAMES[w] for g, _d, w, _e in every_line() if UNITS[g] == "uusix"}
    uusix_groups = {teams.month.groups[g].name for g in UNITS if UNITS[g] == "uusix"}
    nuoret = [(g, d, w, e) for g, d, w, e in every_line() if UNITS[g] == "nuoret"]
    h = lambda key: header(ATTENDANCE, key)  # noqa: E731
    files: list[bytes] = []
    for kind, fmt in (("attendance", "csv"), ("activity_days", "xlsx"), ("absences", "csv")):
        # a unit named in the tap's data changes nothing: the file is the tapper's units
        url = await link(
            teams,
            "olli",
            {
                "kind": kind,
                "format": fmt,
                "first": "2026-11-01",
                "last": "2026-11-30",
                "unit": "uusix",
            },
        )
        files.append(await download(teams, url))
    attendance = csv_of(files[0])
    assert len(attendance) == len(nuoret)
    assert {r[h("unit")] for r in attendance} == {"nuoret"}
    activity = sheet(files[1], tmp_path, "olli.xlsx")
    assert sorted(r[1] for r in activity[1:]) == ["Nea Nuori", "Niko Nuori"]
    absences = csv_of(files[2])
    assert {r[header(ABSENCES, "name")] for r in absences} == {"Niko Nuori"}
    for raw in (files[0], files[2]):
        shown = raw.decode("utf-8-sig")
        assert not [n for n in uusix_names | uusix_groups | {"uusix"} if n in shown]
    cells = json.dumps(activity, default=str, ensure_ascii=False)
    assert not [n for n in uusix_names | uusix_groups | {"uusix"} if n in cells]
    olli = teams.month.people["olli"].person_id
    async with teams.bot.store.db.read() as s:
        downloads = [
            r.details["rows"]
            for r in (await s.execute(select(AuditRow).where(AuditRow.actor_person_id == olli)))
            .scalars()
            .all()
            if r.details.get("stage") == "download"
        ]
    assert downloads == [len(attendance), 2, len(absences)]


# --- the coordinators' digest of the same month ----------------------------------------------

# what each intent of month.DAYS makes of a client's day, by the roll call's rules (the guest
# "G" is no client: the digest counts the group's clients)
DAY_STATUS = {"F": "present", "P": "present", "L": "late", "S": "late", "C": "left_early"}


def digest_expected(group: str, day: date) -> tuple[dict[str, int], dict[str, list[str]], int]:
    """The counts, the names by section and the full activity days of a group day, worked out
    from the month's plan (DAYS) and docs/exports.md (`expected`), not from the code."""
    counts = dict.fromkeys(("present", "late", "left_early", "excused", "absent", "unmarked"), 0)
    names: dict[str, list[str]] = {"late": [], "left_early": [], "excused": [], "absent": []}
    activity = 0
    intents = DAYS[group, day]
    for who in CLIENTS[group]:
        intent = intents[who]
        status = "excused" if intent.startswith("X:") else DAY_STATUS.get(intent, "absent")
        counts[status] += 1
        if status in names:
            names[status].append(NAMES[who])
        activity += expected(intent, group).kind == "activity"
    return {"clients": len(CLIENTS[group]), **counts}, names, activity


async def cards_said(teams: Teams, who: str, words: str, n: int) -> list[dict[str, Any]]:
    """The cards of the bot's n messages answering words in the person's 1:1 chat."""
    before = len(teams.connector.sent)
    await teams.say(who, words)
    sent = await teams.connector.wait_for_count(before + n)
    return [a["content"] for m in sent[before:] for a in m.get("attachments", ())]


async def test_the_digest_of_the_month_counts_as_the_plan_says(teams: Teams) -> None:
    # Kaisa coordinates Uusix: the IT group and the café; each day of the month by its date
    for day in sorted({d for g, d in DAYS if UNITS[g] == "uusix"}):
        groups = sorted(g for g, d in DAYS if d == day and UNITS[g] == "uusix")
        cards = await cards_said(teams, "kaisa", f"yhteenveto {day:%d.%m.%Y}", len(groups))
        titles = [c["body"][0]["text"] for c in cards]
        assert len(cards) == len(groups), titles
        for group in groups:
            name = teams.month.groups[group].name
            title = text(FI, "digest.title", group=name, day=date_text(FI, day))
            (card,) = [c for c in cards if c["body"][0]["text"] == title]
            said = json.dumps(card, ensure_ascii=False)
            counts, names, activity = digest_expected(group, day)
            assert counts_words(FI, counts) in said, (group, day)
            took = counts["present"] + counts["late"] + counts["left_early"]
            rate = round(100 * took / counts["clients"])
            took_text = text(
                FI, "digest.rate", took_part=took, clients=counts["clients"], rate=rate
            )
            assert took_text in said, (group, day)
            assert text(FI, "digest.activity", count=activity) in said, (group, day)
            for section, people in names.items():
                if people:
                    assert f"{text(FI, f'digest.{section}')} ({len(people)})" in said
                for person in people:
                    assert person in said
            # the excused with the roll call's reason in words
            for who, intent in DAYS[group, day].items():
                if intent.startswith("X:") and who in CLIENTS[group]:
                    reason = text(FI, f"rollcall.reason.{intent.removeprefix('X:')}")
                    assert text(FI, "digest.with_reason", name=NAMES[who], reason=reason) in said
            # nobody of the other unit
            assert "Nea" not in said and "Niko" not in said
    # the cancelled day: its card says so, and nobody is absent
    cancelled = await cards_said(teams, "kaisa", f"yhteenveto {CANCELLED[1]:%d.%m.%Y}", 1)
    said = json.dumps(cancelled, ensure_ascii=False)
    assert text(FI, "digest.not_held") in said
    assert f"{text(FI, 'digest.absent')} (" not in said
