"""What people write when sound or picture fails, over real HTTP: a table of real phrasings.

Each row is a message (fi/sv/en, typos, capitals, emoji, an image, a long story) in a 1:1 chat
or a group chat, with or without @mentioning the bot, and what must come of it: the matching
troubleshooting check of the guide, the guide itself, and "Ask the instructor" on the card; in
a group chat nothing in the group unless the bot was addressed.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.orgfile import load_org_file
from bot.settings import Settings
from cards.tutorial import ASK_VERB, GO_VERB
from domain.i18n import text
from domain.org import Language
from domain.tutorial.content import Device, load_tutorial
from tests.fakes.activities import Conv, User, message
from tests.fakes.connector import FakeConnector
from tests.integration.harness import BotServer, drained, free_port, start_bot, stop_bot
from tests.integration.test_tutorial import JARI, MAIJA

CONTENT = load_tutorial()
# a client for each language: Jari (the group's Finnish), Sanna and Emma (their own choice)
SANNA = User(name="Sanna Lindberg", upn="sanna@example.hel.fi")
EMMA = User(name="Emma Brown", upn="emma@example.hel.fi")
CLIENT = {"fi": JARI, "sv": SANNA, "en": EMMA}
ORG = """
version: 1
units:
  - key: it
    name: IT-paja
groups:
  - key: it-ryhma
    unit: it
    name: IT-ryhmä
people:
  - name: Maija Virtanen
    upn: maija@example.hel.fi
    instructor: [it-ryhma]
  - name: Jari Mäkinen
    upn: jari@example.hel.fi
    client: [it-ryhma]
  - name: Sanna Lindberg
    upn: sanna@example.hel.fi
    language: sv
    client: [it-ryhma]
  - name: Emma Brown
    upn: emma@example.hel.fi
    language: en
    client: [it-ryhma]
"""
FI = Language.FI
LOCALES = {"fi": "fi-FI", "sv": "sv-FI", "en": "en-US"}
# Teams tells the bot the client's platform; the fake sends "Web"
DEVICE = Device.WEB

# outcomes
GUIDE = "guide"  # the guide (device choice or where they left off), with "Ask the instructor"
NOT_MINE = "not mine"  # no guide: the text is not about a problem
SILENT = "silent"  # a group chat: nothing in the group, nothing privately


@dataclass(frozen=True)
class Row:
    said: str
    expect: str  # a check id, GUIDE, NOT_MINE or SILENT
    where: str = "personal"  # personal | group | group+mention
    lang: str = "fi"
    image: bool = False
    staff: bool = False  # said by the instructor, not a client

    @property
    def id(self) -> str:
        shown = self.said[:28] or "(image)"
        return f"{self.where}:{self.lang}:{shown}{':image' if self.image else ''}"


LONG = (
    "Hei, minulla on sellainen juttu että kun avaan Teamsin aamulla niin se sulkeutuu "
    "heti enkä tiedä yhtään mitä pitäisi tehdä"
)

ROWS = [
    # Finnish, the way clients write it
    Row("kamera ei toimi", "cam_off"),
    Row("en kuule", "mic_headset"),
    Row("mikki ei toimi", "mic_muted"),
    Row("ei näy", "cam_off"),
    Row("ääni ei kuulu", "mic_headset"),
    Row("kameran kuva musta", "cam_off"),
    Row("ne ei kuule mua", "mic_muted"),
    Row("kuulokkeet ei toimi", "mic_headset"),
    Row("näytön jako ei toimi", "share_browser"),
    Row("linkki ei toimi", "join_internet"),
    # typos, capitals, punctuation, emoji
    Row("kamra ei toimi", "cam_off"),
    Row("mikrofni ei toimi", "mic_muted"),
    Row("KAMERA EI TOIMI!!!", "cam_off"),
    Row("📷❌", "cam_off"),
    Row("🎤 ei toimi", "mic_muted"),
    Row("🔇", "mic_headset"),
    # Swedish
    Row("jag hör inget", "mic_headset", lang="sv"),
    Row("kameran fungerar inte", "cam_off", lang="sv"),
    Row("mikrofonen funkar inte", "mic_muted", lang="sv"),
    Row("kan inte dela skärmen", "share_browser", lang="sv"),
    # English
    Row("my mic doesn't work", "mic_muted", lang="en"),
    Row("can't hear", "mic_headset", lang="en"),
    Row("they can't hear me", "mic_muted", lang="en"),
    Row("my camera is black", "cam_off", lang="en"),
    Row("I can't share my screen", "share_browser", lang="en"),
    # a problem, the part not named: the guide and "Ask the instructor"
    Row("ei toimi", GUIDE),
    Row("jag ser inte de andra", GUIDE, lang="sv"),
    Row("it doesn't work", GUIDE, lang="en"),
    Row("", GUIDE, image=True),
    Row(LONG, GUIDE),
    # not a problem
    Row("kamera toimii nyt", NOT_MINE),
    Row("mitä kuuluu", NOT_MINE),
    Row("can you hear me?", NOT_MINE, lang="en"),
    # a group chat, the bot not @mentioned: never a word in the group
    Row("kamera ei toimi", "cam_off", where="group"),
    Row("en kuule", "mic_headset", where="group"),
    Row("jag hör inget", "mic_headset", where="group", lang="sv"),
    Row(LONG, SILENT, where="group"),
    Row("", SILENT, where="group", image=True),
    Row("en kuule sinua", SILENT, where="group", staff=True),  # an instructor talking
    # a group chat with @Etäpäivä: "I sent the guide privately", the card in the 1:1 chat
    Row("kamera ei toimi", "cam_off", where="group+mention"),
    Row("my mic doesn't work", "mic_muted", where="group+mention", lang="en"),
    Row("", GUIDE, where="group+mention", image=True),
]


@pytest.fixture
async def bot(database_url: str, tmp_path: Path) -> AsyncIterator[BotServer]:
    org_file = tmp_path / "org.yaml"
    org_file.write_text(ORG, encoding="utf-8")
    server = await start_bot(Settings(port=free_port(), database_url=database_url))
    await server.store.org.apply(load_org_file(str(org_file)))
    try:
        yield server
    finally:
        await stop_bot(server)


def _cards(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        a["content"]
        for a in body.get("attachments") or []
        if a.get("contentType") == "application/vnd.microsoft.card.adaptive"
    ]


def _verbs(card: dict[str, Any]) -> set[str]:
    return {a.get("verb", "") for a in card.get("actions", [])}


def _check_title(check_id: str, language: Language) -> str:
    check = CONTENT.check(check_id)
    assert check is not None
    return CONTENT.check_text(language, check, DEVICE).title


@pytest.mark.parametrize("row", ROWS, ids=lambda r: r.id)
async def test_a_phrasing_gets_its_part_of_the_guide(
    bot: BotServer, connector: FakeConnector, row: Row
) -> None:
    assert len(ROWS) >= 20
    who = MAIJA if row.staff else CLIENT[row.lang]
    personal = Conv.personal()
    group = Conv.group_chat()
    for conv in (personal, group):
        connector.add_member(conv.id, who.member())
    conv = personal if row.where == "personal" else group
    activity = message(
        row.said,
        conversation=conv,
        sender=who,
        service_url=connector.url,
        locale=LOCALES[row.lang],
        mentions_bot=row.where == "group+mention",
    )
    if row.image:
        activity["attachments"].append(
            {"contentType": "image/png", "contentUrl": "https://example.invalid/shot.png"}
        )
    status, _ = await bot.post(activity)
    assert status == 201
    await drained(bot)

    sent = [(r.conversation_id, r) for r in connector.sent_requests]
    in_conv = [connector._sent_body(r) for cid, r in sent if cid == conv.id]
    elsewhere = [connector._sent_body(r) for cid, r in sent if cid != conv.id]
    language = Language(row.lang)
    guides_here = [c for b in in_conv for c in _cards(b) if GO_VERB in json.dumps(c)]
    guides_private = [c for b in elsewhere for c in _cards(b) if GO_VERB in json.dumps(c)]

    if row.where == "group":
        assert in_conv == [], f"the bot spoke in the group: {in_conv}"
    if row.where == "group+mention":
        # in the person's language or the group's
        said = [b.get("text") for b in in_conv]
        assert said in ([text(language, "tutorial.group.sent")], [text(FI, "tutorial.group.sent")])
        assert not guides_here

    if row.expect == NOT_MINE:
        assert not guides_here and not guides_private
        return
    if row.expect == SILENT:
        assert not guides_private
        return
    guides = guides_here if row.where == "personal" else guides_private
    assert len(guides) == 1, f"{len(guides)} guide cards"
    card = json.dumps(guides[0], ensure_ascii=False)
    assert ASK_VERB in _verbs(guides[0]), "no 'Ask the instructor' on the card"
    assert text(language, "tutorial.button.ask") in card
    if row.expect == GUIDE:
        assert text(language, "tutorial.note.guide_and_ask") in card
        assert text(language, "tutorial.device.title") in card
    else:
        assert text(language, "tutorial.note.heard") in card
        assert _check_title(row.expect, language) in card
