"""End-to-end: a coordinator reads the day's digest and downloads an export in the Playground.

The Playground runs as the coordinator Anneli Korhonen (playground/as-coordinator.yml;
examples/org.example.yaml imported: she coordinates "Uusix Kyläsaari, IT-paja", the unit of
Maija Virtanen's group "IT-pajan etäryhmä, torstai", whose clients are Jari Mäkinen, Sari
Heikkinen and Riikka Lehtonen). Maija binds the group chat and opens the roll call (custom
activities, which the Playground forwards to the bot unchanged); Jari and Sari tap "Olen
paikalla" through the Playground's invoke API with the card data the bot signed, read from the
Playground's WebSocket stream of the group chat; Maija closes the roll call, so Riikka is
absent.

In the Playground's UI, in headless Chromium, Anneli chooses Finnish and writes `yhteenveto`
in her 1:1 chat: the digest card names the group and its unit, counts 2 of 3 and lists Riikka
among the absent. She writes `vienti`, chooses the attendance of the day as CSV and taps the
button: the card changes to the download link. The Playground opens an Action.OpenUrl in a new
window (`window.open`); the file comes as a download there, and is read back (UTF-8 with a
byte order mark, `;`): one row for each client of the day, with the status in words. The same
link opened again says that it no longer works (410). Each step leaves a screenshot in the
test's tmp directory. The browser reaches only loopback addresses.
"""

from __future__ import annotations

import asyncio
import codecs
import csv
import io
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import Download, Locator, Page, Response, async_playwright, expect

from cards.digest import COUNTED
from cards.rollcall import HERE_VERB
from domain.i18n import date_text, text
from domain.org import Language
from domain.reports.columns import ATTENDANCE
from domain.reports.downloads import ExportKind
from tests.e2e.conftest import (
    PLAYGROUND_DIR,
    BotServer,
    Playground,
    running_playground,
)
from tests.e2e.stream import Stream, listening
from tests.e2e.test_feedback_playground import GROUP_CHAT, GROUP_NAME, _maija_says, _tap_as
from tests.e2e.test_help_playground import organisation
from tests.e2e.test_playground import (
    CHROMIUM_ARGS,
    COMPOSER,
    REPLY_TIMEOUT_S,
    UI_READY_TIMEOUT_MS,
    _local_only,
)
from tests.e2e.ui import card_shows as _card_shows
from tests.e2e.ui import last_card as _card
from tests.e2e.ui import says as _says
from tests.e2e.ui import shot as _shot
from tests.e2e.ui import write as _write
from tests.integration.test_digest import counts_words

pytestmark = pytest.mark.e2e

__all__ = ["organisation"]  # a fixture this test uses

FI = Language.FI
TIMEOUT_MS = REPLY_TIMEOUT_S * 1000
AS_COORDINATOR = PLAYGROUND_DIR / "as-coordinator.yml"
JARI_ID = "29:jari-makinen"
SARI_ID = "29:sari-heikkinen"
RIIKKA = "Riikka Lehtonen"
UNIT_NAME = "Uusix Kyläsaari, IT-paja"
GROUP_ZONE = ZoneInfo("Europe/Helsinki")  # the group's time zone in examples/org.example.yaml


@pytest.fixture(autouse=True)
def _digest_hour_not_reached(monkeypatch: pytest.MonkeyPatch) -> None:
    """The bot's own digest (sent once the digest hour has passed, 16:00 by default) stays
    out of Anneli's chat, so that the card she reads is the one she asked for (the test takes
    the group's today: run in the last minute before midnight in Helsinki, it cannot pass)."""
    monkeypatch.setenv("DIGEST_TIME", "23:59")


@pytest.fixture
def playground_as_anneli(
    bot_server: BotServer,
    organisation: None,
    playground_installed: Path,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> Iterator[Playground]:
    """The Agents Playground with Anneli Korhonen (a coordinator) as its current user."""
    with running_playground(
        AS_COORDINATOR, bot_server, playground_installed, tmp_path, request
    ) as found:
        yield found


async def _texts_in(stream: Stream, where: str, words: str) -> None:
    async with asyncio.timeout(REPLY_TIMEOUT_S):
        while not any(c == where and words in str(m.get("text")) for c, m in stream.messages):
            await stream.changed()


MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


async def _pick_date(page: Page, box: Locator, day: date) -> None:
    """Choose a day in the Playground's date picker (Input.Date): open its calendar, go to
    the next month if the day is not there (the browser's today may be a day behind), tap."""
    await box.click(timeout=TIMEOUT_MS)
    calendar = page.get_by_role("dialog").last
    wanted = calendar.get_by_role("button", name=f"{day.day}, {MONTHS[day.month - 1]}, {day.year}")
    if not await wanted.count():
        await calendar.get_by_title(f"Next month {MONTHS[day.month - 1]}").click()
    await wanted.first.click(timeout=TIMEOUT_MS)
    await expect(box).not_to_have_value("", timeout=TIMEOUT_MS)


def _read_csv(data: bytes) -> list[dict[str, str]]:
    """An export's CSV as Finnish Excel reads it: UTF-8 with a byte order mark, `;`."""
    assert data.startswith(codecs.BOM_UTF8), data[:20]
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))
    header = rows[0]
    assert header == [c.header(FI) for c in ATTENDANCE]
    keys = [c.key for c in ATTENDANCE]
    return [dict(zip(keys, row, strict=True)) for row in rows[1:]]


def _check_rows(rows: list[dict[str, str]], day: date) -> None:
    """One row for each client of the group day, with the status in words."""
    by_name = {row["name"]: row for row in rows}
    assert len(rows) == 3 and set(by_name) == {"Jari Mäkinen", "Sari Heikkinen", RIIKKA}, rows
    for row in rows:
        assert row["date"] == day.isoformat()
        assert row["group"] == GROUP_NAME
        assert row["role"] == text(FI, "reports.role.client")
    for name in ("Jari Mäkinen", "Sari Heikkinen"):
        present = by_name[name]
        assert present["status"] == text(FI, "rollcall.status.present"), present
        assert present["recorded_by"] == text(FI, "reports.by.self"), present
        assert present["joined"], present
        assert present["kela"] == "", present
    absent = by_name[RIIKKA]
    assert absent["status"] == text(FI, "rollcall.status.absent"), absent
    assert absent["kind"] == text(FI, "reports.kind.absent"), absent
    # an absence without a reason is Kela's "other reason"
    assert absent["kela"] == text(FI, "reports.kela.other"), absent
    assert absent["joined"] == "", absent


async def test_a_coordinator_reads_the_digest_and_downloads_the_day_as_csv(
    chromium: Path, playground_as_anneli: Playground, tmp_path: Path
) -> None:
    playground = playground_as_anneli
    async with async_playwright() as pw, listening(playground) as (session, stream):
        browser = await pw.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        try:
            # a Finnish coordinator's browser: the download page answers in Finnish
            context = await browser.new_context(
                viewport={"width": 1280, "height": 1700}, locale="fi-FI", accept_downloads=True
            )
            # every page, the download windows too, reaches only loopback addresses
            await context.route("**/*", _local_only)
            # the file's link answers in a window of its own: its downloads and answers
            downloads: list[Download] = []
            downloaded = asyncio.Event()
            answers: list[Response] = []

            def download_in(window: Page) -> None:
                window.on("download", lambda d: (downloads.append(d), downloaded.set()))

            context.on("page", download_in)
            context.on("response", lambda r: answers.append(r) if "/exports/" in r.url else None)
            page = await context.new_page()
            try:
                await page.goto(playground.url, wait_until="domcontentloaded")
                await page.locator(COMPOSER).click(timeout=UI_READY_TIMEOUT_MS)

                # Maija binds the group chat to her group and opens the roll call
                await _maija_says(session, playground, f"tämä on ryhmä {GROUP_NAME}", 1)
                await _texts_in(stream, GROUP_CHAT, text(FI, "bind.done", group=GROUP_NAME))
                await _maija_says(session, playground, "nimenhuuto", 2)
                roll_call = await stream.card(HERE_VERB, where=GROUP_CHAT)
                day = datetime.now(GROUP_ZONE).date()
                # Jari and Sari are there; Maija closes the roll call: Riikka is absent
                for client in (JARI_ID, SARI_ID):
                    await _tap_as(session, playground, client, roll_call, HERE_VERB)
                await _maija_says(session, playground, "sulje nimenhuuto", 3)
                await _texts_in(stream, GROUP_CHAT, text(FI, "rollcall.closed_now", n=1))

                # Anneli, in her 1:1 chat in the UI (the Playground sends en-US: she chooses
                # Finnish, as a Finnish coordinator would)
                await page.get_by_text("Personal Chat", exact=True).first.click()
                await _write(page, "kieli fi")
                await _says(page, text(FI, "language.changed"))
                await _write(page, "yhteenveto")
                title = text(FI, "digest.title", group=GROUP_NAME, day=date_text(FI, day))
                await _card_shows(page, title)
                await _card_shows(page, UNIT_NAME)
                three = {"clients": 3, "present": 2, "absent": 1}
                counts = counts_words(FI, {**dict.fromkeys(COUNTED, 0), **three})
                await _card_shows(page, counts)
                await _card_shows(page, text(FI, "digest.rate", took_part=2, clients=3, rate=67))
                await _card_shows(page, f"{text(FI, 'digest.absent')} (1)")
                await _card_shows(page, RIIKKA)
                shown = await _card(page).inner_text()
                for name in ("Jari Mäkinen", "Sari Heikkinen"):
                    assert name not in shown, shown
                await _shot(page, tmp_path, "1-digest")

                # the export card: the attendance of the day, as CSV
                await _write(page, "vienti")
                await _card_shows(page, text(FI, "export.title"))
                await _card_shows(page, text(FI, "export.defaults"))
                card = _card(page)
                kind = card.get_by_label(text(FI, f"export.kind.{ExportKind.ATTENDANCE.value}"))
                await kind.check()
                for box in range(2):
                    await _pick_date(page, card.get_by_role("combobox").nth(box), day)
                await card.get_by_label(text(FI, "export.format.csv")).check()
                await _shot(page, tmp_path, "2-export")
                make = card.get_by_role("button", name=text(FI, "export.button.make"), exact=True)
                await make.click(timeout=TIMEOUT_MS)

                # the card changes in place to the link
                await _card_shows(page, text(FI, "export.ready.title"))
                what = text(
                    FI,
                    "export.ready.what",
                    what=text(FI, f"export.kind.{ExportKind.ATTENDANCE.value}"),
                    first=date_text(FI, day),
                    last=date_text(FI, day),
                )
                await _card_shows(page, what)
                await _card_shows(page, text(FI, "export.ready.only_you"))
                await _shot(page, tmp_path, "3-ready")

                # the Playground opens the link in a new window: the file is a download there
                # (an Action.OpenUrl is drawn as a button with the role of a link)
                download_button = _card(page).get_by_role(
                    "link", name=text(FI, "export.button.download"), exact=True
                )
                link = await download_button.get_attribute("title")
                async with context.expect_page():
                    await download_button.click(timeout=TIMEOUT_MS)
                async with asyncio.timeout(REPLY_TIMEOUT_S):
                    await downloaded.wait()
                (download,) = downloads
                assert download.url == link
                assert urlsplit(download.url).hostname == "127.0.0.1"
                saved = tmp_path / download.suggested_filename
                await download.save_as(saved)
                assert saved.name == f"etapaiva-attendance-{day}-{day}.csv"
                _check_rows(_read_csv(saved.read_bytes()), day)

                # the same link again: its window says that it no longer works
                async with context.expect_page() as opened:
                    await download_button.click(timeout=TIMEOUT_MS)
                again = await opened.value
                gone = text(FI, "export.link.gone").replace("**", "")
                await expect(again.locator("p")).to_have_text(gone, timeout=TIMEOUT_MS)
                await again.screenshot(path=str(tmp_path / "4-used-link.png"))
                assert [(a.url, a.status) for a in answers] == [(link, 200), (link, 410)]
                assert len(downloads) == 1
            except Exception:
                await page.screenshot(path=str(tmp_path / "failed.png"), full_page=True)
                print("screenshot:", tmp_path / "failed.png")
                print("stream:", [(c, m.get("text")) for c, m in stream.messages])
                raise
        finally:
            await browser.close()
