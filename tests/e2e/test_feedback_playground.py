"""End-to-end: a client gives the day a 5 and an idea in the Agents Playground; the instructor
sees it in the results.

The Playground runs as the client Jari Mäkinen (examples/org.example.yaml imported: Maija
Virtanen instructs his group "IT-pajan etäryhmä, torstai", Sari Heikkinen and Riikka Lehtonen
are its other clients). Maija binds the group chat to the group and opens the roll call; Jari
taps "Olen paikalla" on the card the bot posted there (in the UI), Sari and Riikka too; Maija
writes `palaute`. The Playground's own APIs speak as its current user, Jari: Maija's messages
go in as custom activities, which it forwards to the bot unchanged, and Sari's and Riikka's
taps through its invoke API (what its UI sends for a tap), with the card data the bot signed:
read from the Playground's WebSocket stream in the group chat, and from the bot's outbox for
the others' 1:1 chats, which the stream does not show.

In the Playground's UI, in headless Chromium, Jari gets the feedback card in his 1:1 chat, taps
"5", writes an idea and presses "Lähetä"; the thanks card shows. Sari and Riikka answer too, so
that the day has the 3 answers from which results are shown (asked after Jari's answer alone,
Maija's results say only that there is one answer). Maija's `palautteen tulokset` brings the
results card to her 1:1 chat: three answers, the average, the distribution (a chart and, for
clients that do not draw charts, one text line per score) and Jari's idea. Each step leaves
a screenshot (the page and the card) in the test's tmp directory.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml
from playwright.async_api import async_playwright, expect

from bot.teams.signing import CardSigner
from cards.feedback import ANONYMOUS_INPUT, SCORE_VERB
from cards.rollcall import HERE_VERB
from domain.i18n import decimal, text
from domain.org import Language
from tests.e2e.conftest import PLAYGROUND_CONFIG, Playground
from tests.e2e.stream import Card, Sent, Stream, actions, listening, walk
from tests.e2e.test_help_playground import (
    JARI_CHAT,
    MAIJA_ID,
    maija_says,
    organisation,
    playground_as_jari,
)
from tests.e2e.test_playground import (
    CHROMIUM_ARGS,
    COMPOSER,
    REPLY_TIMEOUT_S,
    UI_READY_TIMEOUT_MS,
    _local_only,
)
from tests.e2e.ui import card_shows as _card_shows
from tests.e2e.ui import last_card as _card
from tests.e2e.ui import shot as _shot

pytestmark = pytest.mark.e2e

__all__ = ["organisation", "playground_as_jari"]  # fixtures this test uses

FI = Language.FI
TIMEOUT_MS = REPLY_TIMEOUT_S * 1000
SARI_ID = "29:sari-heikkinen"
RIIKKA_ID = "29:riikka-lehtonen"
IDEA = "Ruoanlaittoa halvalla"
CONFIG: dict[str, Any] = yaml.safe_load(PLAYGROUND_CONFIG.read_text(encoding="utf-8"))
GROUP_CHAT = str(CONFIG["groupChat"]["id"])
GROUP_NAME = str(CONFIG["groupChat"]["name"])


async def _maija_says(
    session: aiohttp.ClientSession, playground: Playground, words: str, n: int
) -> None:
    """Maija @mentions the bot in the group chat, in Finnish."""
    await maija_says(session, playground, words, activity_id=f"maija-{n}", locale="fi-FI")


async def _tap_as(
    session: aiohttp.ClientSession,
    playground: Playground,
    who: str,
    where: Sent,
    verb: str,
    inputs: dict[str, str] | None = None,
    **match: str,
) -> dict[str, Any]:
    """Someone taps a button of a card the way the Playground's UI sends a tap: the button's
    own (signed) data with the card's inputs added."""
    conversation, message_id, card = where
    action = next(
        a
        for a in actions(card)
        if a.get("verb") == verb and all(a["data"].get(k) == v for k, v in match.items())
    )
    body = {
        "name": "adaptiveCard/action",
        "value": {
            "action": {
                "type": action["type"],
                "title": action["title"],
                "verb": action["verb"],
                "data": {**action["data"], **(inputs or {})},
            }
        },
        "from": {"id": who},
        "conversation": {"id": conversation},
        "replyToId": message_id,
    }
    async with session.post(f"{playground.url}/_conversation/v1/invoke", json=body) as response:
        assert response.status == 200, await response.text()
        answer: dict[str, Any] = await response.json()
        return answer


async def _texts_in(stream: Stream, where: str, words: str) -> None:
    async with asyncio.timeout(REPLY_TIMEOUT_S):
        while not any(c == where and words in str(m.get("text")) for c, m in stream.messages):
            await stream.changed()


def _sent_elsewhere(db: Path, words: str, *, skip: set[str]) -> dict[str, Sent]:
    """The last card with these words the bot sent (and the Playground took) to each 1:1 chat
    or group chat other than skip, by the Teams id of the chat's person (or the chat's id),
    as it went out: the chat, the Playground's message id and the signed card.

    The Playground's stream shows only its current user's (Jari's) chats, so cards for the
    others are read where the bot keeps what it sent, and signed with its key as it sent them.
    """
    found: dict[str, Sent] = {}
    with contextlib.closing(sqlite3.connect(db)) as connection:
        rows = connection.execute(
            "SELECT o.conversation_id, o.activity_id, o.payload, p.teams_id FROM outbox o "
            "LEFT JOIN conversations c ON c.conversation_id = o.conversation_id "
            "LEFT JOIN people p ON p.id = c.person_id "
            "WHERE o.status = 'sent' ORDER BY o.id"
        ).fetchall()
        key = connection.execute(
            "SELECT value FROM app_secrets WHERE name = 'card-signing-key'"
        ).fetchone()
    signer = CardSigner(bytes.fromhex(key[0]))
    for conversation, activity, payload, person in rows:
        card = json.loads(payload).get("card") or {}
        if conversation not in skip and words in json.dumps(card, ensure_ascii=False):
            sent = (conversation, str(activity), signer.sign(card, conversation))
            found[person or conversation] = sent
    return found


async def _wait_sent(db: Path, words: str, to: set[str], *, skip: set[str]) -> dict[str, Sent]:
    """The cards with these words sent to each of `to` (Teams ids), once all have gone."""
    async with asyncio.timeout(REPLY_TIMEOUT_S):
        while True:
            found = _sent_elsewhere(db, words, skip=skip)
            if to <= set(found):
                return found
            await asyncio.sleep(0.2)


async def _show_in_ui(session: aiohttp.ClientSession, playground: Playground, card: Card) -> None:
    activity = {
        "type": "message",
        "from": {"id": CONFIG["bot"]["id"], "name": CONFIG["bot"]["name"]},
        "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "content": card}
        ],
    }
    url = f"{playground.url}/_connector/v3/conversations/{JARI_CHAT}/activities"
    async with session.post(url, json=activity) as response:
        assert response.status in (200, 201), await response.text()


async def test_a_client_taps_5_writes_an_idea_and_the_instructor_sees_it(
    chromium: Path, playground_as_jari: Playground, tmp_path: Path
) -> None:
    playground = playground_as_jari
    db = tmp_path / "e2e.db"
    async with async_playwright() as pw, listening(playground) as (session, stream):
        browser = await pw.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page(viewport={"width": 1280, "height": 1700})
            await page.route("**/*", _local_only)
            try:
                await page.goto(playground.url, wait_until="domcontentloaded")
                await page.locator(COMPOSER).click(timeout=UI_READY_TIMEOUT_MS)
                # Maija binds the group chat to her group and opens the roll call
                await _maija_says(session, playground, f"tämä on ryhmä {GROUP_NAME}", 1)
                await _texts_in(stream, GROUP_CHAT, text(FI, "bind.done", group=GROUP_NAME))
                await _maija_says(session, playground, "nimenhuuto", 2)
                roll_call = await stream.card(HERE_VERB, where=GROUP_CHAT)
                # Jari taps "Olen paikalla" in the group chat, in the UI; Sari and Riikka too
                await page.get_by_text(GROUP_NAME, exact=True).first.click(timeout=TIMEOUT_MS)
                here = _card(page).get_by_role(
                    "button", name=text(FI, "rollcall.button.here"), exact=True
                )
                await here.click(timeout=TIMEOUT_MS)
                await _card_shows(page, text(FI, "rollcall.count", here=1, expected=3))
                await _shot(page, tmp_path, "0-roll-call")
                for client in (SARI_ID, RIIKKA_ID):
                    await _tap_as(session, playground, client, roll_call, HERE_VERB)
                # she asks for feedback: it goes privately to the three present
                await _maija_says(session, playground, "palaute", 3)
                await _texts_in(stream, GROUP_CHAT, text(FI, "feedback.asked", count=3))

                # Jari's card in his 1:1 chat, in the UI
                await stream.card(SCORE_VERB, where=JARI_CHAT)
                await page.get_by_text("Personal Chat", exact=True).first.click()
                await _card_shows(page, text(FI, "feedback.ask.title"))
                await _card_shows(page, text(FI, "feedback.ask.scale"))
                await _shot(page, tmp_path, "1-ask")
                five = _card(page).get_by_role(
                    "button", name=text(FI, "feedback.button.score5"), exact=True
                )
                await five.click(timeout=TIMEOUT_MS)
                # the card changes in place to the optional questions
                await _card_shows(page, text(FI, "feedback.more.title_anonymous"))
                await _card_shows(page, text(FI, "feedback.more.idea"))
                await _shot(page, tmp_path, "2-more")
                idea_box = _card(page).get_by_label(text(FI, "feedback.more.idea"))
                await idea_box.fill(IDEA)
                await _shot(page, tmp_path, "3-idea-written")
                send = _card(page).get_by_role(
                    "button", name=text(FI, "feedback.button.send"), exact=True
                )
                await send.click(timeout=TIMEOUT_MS)
                await _card_shows(page, text(FI, "feedback.thanks.title"))
                await _card_shows(page, text(FI, "feedback.thanks.texts", count=1))
                await _shot(page, tmp_path, "4-thanks")

                # one answer: Maija's results say only how many (one person's idea would
                # tell whose it is)
                await _maija_says(session, playground, "palautteen tulokset", 4)
                await _texts_in(stream, GROUP_CHAT, text(FI, "feedback.sent_privately"))
                few = text(FI, "feedback.results.few", count=1, min=3)
                sent = await _wait_sent(db, few, {MAIJA_ID}, skip={GROUP_CHAT})
                assert IDEA not in json.dumps(sent[MAIJA_ID][2], ensure_ascii=False)

                # Sari and Riikka answer from their own chats (anonymous, the group's default)
                others = await _wait_sent(
                    db, SCORE_VERB, {SARI_ID, RIIKKA_ID}, skip={JARI_CHAT, GROUP_CHAT}
                )
                for who, score in ((SARI_ID, "6"), (RIIKKA_ID, "4")):
                    answer = await _tap_as(
                        session,
                        playground,
                        who,
                        others[who],
                        SCORE_VERB,
                        {ANONYMOUS_INPUT: "true"},
                        score=score,
                    )
                    more = json.dumps(answer, ensure_ascii=False)
                    assert text(FI, "feedback.more.title_anonymous") in more, more[:500]

                # three answers: Maija's results in her 1:1 chat show them
                await _maija_says(session, playground, "palautteen tulokset", 5)
                count = text(FI, "feedback.results.count", count=3, asked=3)
                sent = await _wait_sent(db, count, {MAIJA_ID}, skip={GROUP_CHAT})
                _, _, results = sent[MAIJA_ID]
                shown = json.dumps(results, ensure_ascii=False)
                assert text(FI, "feedback.results.title", group=GROUP_NAME, day="") in shown
                assert text(FI, "feedback.results.average", average=decimal(FI, 5.0)) in shown
                assert text(FI, "feedback.results.ideas") in shown
                assert IDEA in shown
                charts = [e for e in walk(results) if e.get("type") == "Chart.VerticalBar"]
                assert [c["data"] for c in charts] == [
                    [{"x": str(n), "y": 1 if n in (4, 5, 6) else 0} for n in range(1, 7)]
                ]
                # the Playground (like some Teams clients) draws no chart: the lines say it
                lines = [
                    e["text"]
                    for e in walk(results)
                    if e.get("type") == "TextBlock" and e.get("fontType") == "Monospace"
                ]
                assert lines == [
                    text(FI, "feedback.results.line", score=n, bar=bar, n=count)
                    for n, bar, count in (
                        (1, "–", 0),
                        (2, "–", 0),
                        (3, "–", 0),
                        (4, "●", 1),
                        (5, "●", 1),
                        (6, "●", 1),
                    )
                ]
                # anonymous answers: no name on the results
                for name in ("Jari", "Sari", "Riikka"):
                    assert name not in shown

                # how the Playground draws that card: its UI shows only Jari's chats, so the
                # same card is posted to his chat through its connector, as the bot posts
                await _show_in_ui(session, playground, results)
                await _card_shows(page, text(FI, "feedback.results.count", count=3, asked=3))
                await _card_shows(page, IDEA)
                await _card_shows(page, lines[4])
                # its Adaptive Cards renderer draws the chart too (not every Teams client does)
                await expect(_card(page).locator("svg").first).to_be_visible(timeout=TIMEOUT_MS)
                await _shot(page, tmp_path, "5-results")
            except Exception:
                await page.screenshot(path=str(tmp_path / "failed.png"), full_page=True)
                print("screenshot:", tmp_path / "failed.png")
                print("stream:", [(c, m.get("text")) for c, m in stream.messages])
                raise
        finally:
            await browser.close()
