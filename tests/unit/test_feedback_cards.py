"""Feedback cards (cards/feedback.py) in every language.

What they pin down: six numbered buttons whose meaning is in words as well as faces, the
anonymity choice as the view says, the optional words' inputs, results that show only the
count below three answers and never a name with an anonymous text, the ideas' buttons, the
settings' switches, and every card within Teams' message size.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from cards.feedback import (
    ANONYMOUS_INPUT,
    CHANGE_VERB,
    GOOD_INPUT,
    IDEA_INPUT,
    IDEA_PLAN,
    IDEA_UNUSED,
    IDEA_USED,
    IDEA_VERB,
    MORE_VERB,
    REMINDER_INPUT,
    SCORE_VERB,
    SETTINGS_VERB,
    SKIP_VERB,
    TOPICS_INPUT,
    FeedbackCardRenderer,
    toggled,
    topic_name,
)
from cards.payload import parse_action
from domain.feedback.model import (
    MAX_TEXT,
    MIN_SHOWN,
    SCORES,
    TOPICS,
    Idea,
    Results,
    Round,
    Settings,
    Text,
    TextKind,
    Trigger,
    idea_key,
    picked_topics,
)
from domain.feedback.ports import (
    AskView,
    FeedbackCards,
    IdeasView,
    MoreView,
    ResultsView,
    SettingsView,
    ThanksView,
)
from domain.i18n import text
from domain.org import Language
from tests.unit.test_cards import assert_adaptive_card, has_words

RENDERER = FeedbackCardRenderer()
LANGUAGES = list(Language)
DAY = date(2026, 12, 7)
NEXT_DAY = date(2026, 12, 9)
T0 = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
MAX_CARD_BYTES = 28 * 1024  # Teams refuses a bot message much over 28 KB
ROUND = Round(
    group_id=10,
    day=DAY,
    conversation_id="19:group@thread.v2",
    opened_at=T0,
    closes_at=T0 + timedelta(hours=4),
    trigger=Trigger.COMMAND,
    id=7,
)
NAMED_WORDS = ("Sari Heikkinen", "Jari Mäkinen")
ENDS = {
    Language.FI: ("huono", "hyvä"),
    Language.SV: ("dåligt", "bra"),
    Language.EN: ("poor", "good"),
}


def walk(node: Any) -> Iterator[dict[str, Any]]:
    """Every object in a card: elements, actions, their fallbacks, text runs, choices."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from walk(item)


def texts(card: dict[str, Any]) -> list[str]:
    """Everything a person reads or hears on a card (input values aside)."""
    found = [card.get("speak", ""), card.get("fallbackText", "")]
    for node in walk(card):
        for key in ("text", "title", "label", "placeholder", "xAxisTitle", "yAxisTitle"):
            if isinstance(node.get(key), str):
                found.append(node[key])
    return found


def shown(card: dict[str, Any]) -> str:
    return "\n".join(texts(card))


def actions(card: dict[str, Any]) -> list[dict[str, Any]]:
    """The card's buttons (not their Action.Submit fallbacks), in order."""
    found: list[dict[str, Any]] = []
    for node in walk(card["body"]):
        if node.get("type") == "ActionSet":
            found.extend(node["actions"])
    return found + list(card.get("actions", []))


def inputs(card: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        node["id"]: node
        for node in walk(card["body"])
        if str(node.get("type", "")).startswith("Input.")
    }


def size(card: dict[str, Any]) -> int:
    return len(json.dumps(card).encode())  # non-ASCII escaped: the largest way to send it


def ask(language: Language, **changes: Any) -> dict[str, Any]:
    view = AskView(round_id=7, language=language, group_name="IT-ryhmä", day=DAY, anonymous=True)
    return RENDERER.ask(replace(view, **changes))


def results(
    scores: tuple[int, ...],
    texts_: tuple[Text, ...] = (),
    named: tuple[tuple[str, int], ...] = (),
    asked: int = 8,
) -> Results:
    return Results(
        round=ROUND, scores=tuple(sorted(scores)), texts=texts_, asked=asked, named=named
    )


def results_card(language: Language, found: Results | None) -> dict[str, Any]:
    return RENDERER.results(
        ResultsView(language=language, group_name="IT-ryhmä", results=found, day=DAY)
    )


WRITTEN = (
    Text(TextKind.GOOD, "Ruoka-aiheet olivat kivoja", None),
    Text(TextKind.GOOD, "Hyvä tunnelma", "Sari Heikkinen"),
    Text(TextKind.IDEA, "Retki luontoon", None),
    Text(TextKind.TOPIC, "cooking", None),
    Text(TextKind.TOPIC, "cooking", "Sari Heikkinen"),
    Text(TextKind.TOPIC, "music", None),
)
MANY = results((6, 6, 5, 4, 2, 4), WRITTEN, named=(("Sari Heikkinen", 5),))


def idea(n: int, *, used: bool = False, long: bool = False) -> Idea:
    words = f"Idea numero {n} " + ("pitkä selitys " * 80 if long else "")
    written = words[:MAX_TEXT]
    return Idea(
        key=idea_key(TextKind.IDEA, written),
        kind=TextKind.IDEA,
        text=written,
        count=n % 5 + 1,
        last_day=DAY,
        used=used,
    )


TOPIC_IDEA = Idea(
    key=idea_key(TextKind.TOPIC, "cooking"),
    kind=TextKind.TOPIC,
    text="cooking",
    count=3,
    last_day=DAY,
)


def ideas_card(
    language: Language, found: tuple[Idea, ...], next_day: date | None = NEXT_DAY
) -> dict[str, Any]:
    return RENDERER.ideas(
        IdeasView(
            language=language,
            group_id=10,
            group_name="IT-ryhmä",
            ideas=found,
            next_day=next_day,
        )
    )


def settings_card(language: Language, settings: Settings) -> dict[str, Any]:
    return RENDERER.settings(
        SettingsView(
            language=language,
            group_id=10,
            group_name="IT-ryhmä",
            settings=settings,
            reminder_minutes=30,
        )
    )


def every_card(language: Language) -> Iterator[dict[str, Any]]:
    yield ask(language)
    yield ask(language, shared=True, reminder=True, chosen=4, anonymous=False)
    yield RENDERER.more(MoreView(round_id=7, language=language, score=5, anonymous=True))
    yield RENDERER.more(
        MoreView(
            round_id=7,
            language=language,
            score=5,
            anonymous=False,
            replaced=True,
            good="Kiva päivä",
            idea="Retki",
            topics=("cooking", "music"),
        )
    )
    yield RENDERER.thanks(
        ThanksView(
            round_id=7, language=language, anonymous=False, score=5, can_change=True, texts=2
        )
    )
    yield RENDERER.thanks(
        ThanksView(
            round_id=7, language=language, anonymous=True, score=None, can_change=False, cut=True
        )
    )
    yield results_card(language, None)
    yield results_card(language, results((5,)))
    yield results_card(language, MANY)
    yield ideas_card(language, ())
    yield ideas_card(language, (TOPIC_IDEA, idea(1, used=True), idea(2)))
    yield ideas_card(language, (TOPIC_IDEA,), next_day=None)
    yield settings_card(language, Settings())


def test_the_renderer_is_the_cards_port() -> None:
    cards: FeedbackCards = RENDERER
    assert cards is RENDERER


# --- asking ------------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_ask_card_has_six_numbered_buttons_in_two_rows(language: Language) -> None:
    card = ask(language)
    assert_adaptive_card(card)
    rows = [e for e in card["body"] if e["type"] == "ActionSet"]
    assert [len(r["actions"]) for r in rows] == [3, 3]
    buttons = actions(card)
    assert len(buttons) == len(SCORES)
    for score, button in zip(SCORES, buttons, strict=True):
        assert str(score) in button["title"]
        assert has_words(button["title"])
        assert button["type"] == "Action.Execute"
        assert button["verb"] == SCORE_VERB
        parsed = parse_action(button["data"])
        assert parsed.verb == SCORE_VERB
        assert parsed.data == {"round": "7", "score": str(score)}
        assert button["fallback"]["type"] == "Action.Submit"
        assert parse_action(button["fallback"]["data"]) == parsed


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_scale_has_words_at_both_ends(language: Language) -> None:
    card = ask(language)
    poor, good = ENDS[language]
    buttons = actions(card)
    assert poor in buttons[0]["title"]
    assert good in buttons[-1]["title"]
    scale = text(language, "feedback.ask.scale")
    assert poor in scale and good in scale
    assert scale in shown(card)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("anonymous", [True, False])
def test_the_anonymity_toggle_starts_as_the_view_says(language: Language, anonymous: bool) -> None:
    toggle = inputs(ask(language, anonymous=anonymous))[ANONYMOUS_INPUT]
    assert toggle["type"] == "Input.Toggle"
    assert (toggle["valueOn"], toggle["valueOff"]) == ("true", "false")
    assert toggle["value"] == ("true" if anonymous else "false")
    assert toggle["title"] == text(language, "feedback.ask.anonymous")


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_ask_card_says_who_sees_the_answers(language: Language) -> None:
    assert text(language, "feedback.ask.who_sees") in shown(ask(language))


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_shared_and_reminder_cards_say_so_and_the_private_one_does_not(
    language: Language,
) -> None:
    shared_words = text(language, "feedback.ask.shared")
    reminder_words = text(language, "feedback.ask.reminder")
    plain = shown(ask(language))
    assert shared_words not in plain and reminder_words not in plain
    shared = shown(ask(language, shared=True))
    assert shared_words in shared and reminder_words not in shared
    reminder = shown(ask(language, reminder=True))
    assert reminder_words in reminder and shared_words not in reminder
    assert text(language, "feedback.ask.title") in reminder


@pytest.mark.parametrize("language", LANGUAGES)
def test_changing_an_answer_marks_the_number_given_before(language: Language) -> None:
    buttons = actions(ask(language, chosen=4))
    marked = [b for b in buttons if b.get("style") == "positive"]
    assert [parse_action(b["data"]).data["score"] for b in marked] == ["4"]
    assert marked[0]["title"] != text(language, "feedback.button.score4")
    assert all("style" not in b for b in buttons if b is not marked[0])


# --- the optional words and the end --------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_more_card_asks_what_was_good_ideas_and_topics(language: Language) -> None:
    card = RENDERER.more(MoreView(round_id=7, language=language, score=5, anonymous=True))
    assert_adaptive_card(card)
    found = inputs(card)
    assert set(found) == {GOOD_INPUT, IDEA_INPUT, TOPICS_INPUT}
    for name in (GOOD_INPUT, IDEA_INPUT):
        assert found[name]["type"] == "Input.Text"
        assert found[name]["isMultiline"] is True
        assert "value" not in found[name]
    topics = found[TOPICS_INPUT]
    assert topics["type"] == "Input.ChoiceSet"
    assert topics["isMultiSelect"] is True
    assert topics["style"] == "expanded"
    assert [c["value"] for c in topics["choices"]] == list(TOPICS)
    assert [c["title"] for c in topics["choices"]] == [topic_name(language, t) for t in TOPICS]
    # an anonymous number is not repeated on the card; a named one is
    assert "5" not in json.dumps(card["body"], ensure_ascii=False)
    named = RENDERER.more(MoreView(round_id=7, language=language, score=5, anonymous=False))
    assert "5" in named["body"][0]["text"]
    buttons = actions(card)
    assert [b["verb"] for b in buttons] == [MORE_VERB, SKIP_VERB]
    for button in buttons:
        data = parse_action(button["data"]).data
        assert data == {"round": "7"}
        assert not set(data) & set(found), "an input would overwrite the button's data"


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_more_card_shows_a_named_answers_earlier_words(language: Language) -> None:
    card = RENDERER.more(
        MoreView(
            round_id=7,
            language=language,
            score=3,
            anonymous=False,
            replaced=True,
            good="Kiva päivä",
            idea="Retki",
            topics=("music", "cooking", "no-such-topic"),
        )
    )
    found = inputs(card)
    assert found[GOOD_INPUT]["value"] == "Kiva päivä"
    assert found[IDEA_INPUT]["value"] == "Retki"
    assert found[TOPICS_INPUT]["value"] == "music,cooking"
    assert text(language, "feedback.more.replaced") in shown(card)
    assert text(language, "feedback.more.named") in shown(card)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_named_answer_can_be_changed_until_the_round_closes(language: Language) -> None:
    view = ThanksView(round_id=7, language=language, anonymous=False, score=5, can_change=True)
    card = RENDERER.thanks(view)
    assert [b["verb"] for b in actions(card)] == [CHANGE_VERB]
    assert parse_action(actions(card)[0]["data"]).data == {"round": "7"}
    assert text(language, "feedback.thanks.score", score=5) in shown(card)
    closed = RENDERER.thanks(replace(view, can_change=False))
    assert actions(closed) == []
    assert text(language, "feedback.thanks.final") in shown(closed)


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_anonymous_answer_has_no_change_button_and_no_number(language: Language) -> None:
    card = RENDERER.thanks(
        ThanksView(
            round_id=7,
            language=language,
            anonymous=True,
            score=None,
            can_change=True,
            cut=True,
            texts=1,
        )
    )
    assert actions(card) == []
    words = shown(card)
    assert text(language, "feedback.thanks.anonymous") in words
    assert text(language, "feedback.cut") in words
    assert text(language, "feedback.thanks.texts", count=1) in words
    # and why it cannot be changed
    assert text(language, "feedback.thanks.final_anonymous") in words
    assert text(language, "feedback.thanks.final") not in words


# --- results -----------------------------------------------------------------------------


def charts(card: dict[str, Any]) -> list[dict[str, Any]]:
    return [n for n in walk(card["body"]) if n.get("type") == "Chart.VerticalBar"]


def distribution_lines(card: dict[str, Any]) -> list[str]:
    found = [n for n in walk(card["body"]) if n.get("id") == "distribution"]
    return [item["text"] for c in found for item in c["items"]]


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_day_without_feedback_says_how_to_ask_for_it(language: Language) -> None:
    card = results_card(language, None)
    assert_adaptive_card(card)
    words = shown(card)
    assert text(language, "feedback.results.none") in words
    assert "**" in text(language, "feedback.results.how")
    assert text(language, "feedback.results.how") in words


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("count", range(MIN_SHOWN))
def test_fewer_than_three_answers_show_only_the_count(language: Language, count: int) -> None:
    found = results(
        (6, 2)[:count], WRITTEN[:count], named=(("Sari Heikkinen", 6),)[: min(count, 1)]
    )
    card = results_card(language, found)
    assert_adaptive_card(card)
    assert charts(card) == []
    assert distribution_lines(card) == []
    words = shown(card)
    assert text(language, "feedback.results.few", count=count, min=MIN_SHOWN) in words
    assert text(language, "feedback.results.average", average="").rstrip() not in words
    for written in WRITTEN:
        assert written.text not in words
    assert "Sari" not in words
    assert len(card["body"]) == 2  # the heading and the count


@pytest.mark.parametrize("language", LANGUAGES)
def test_three_answers_show_the_chart_and_one_line_per_score(language: Language) -> None:
    card = results_card(language, results((5, 6, 6)))
    [chart] = charts(card)
    assert chart["data"] == [{"x": str(s), "y": {5: 1, 6: 2}.get(s, 0)} for s in SCORES]
    assert chart["title"] and chart["xAxisTitle"] and chart["yAxisTitle"]
    lines = distribution_lines(card)
    assert len(lines) == len(SCORES)
    for score, line in zip(SCORES, lines, strict=True):
        assert line.startswith(f"{score}:")
        assert line.endswith(f" {({5: 1, 6: 2}).get(score, 0)}")
    assert lines[5].count("●") == 2
    assert text(language, "feedback.results.count", count=3, asked=8) in shown(card)


@pytest.mark.parametrize(
    ("language", "average"),
    [(Language.FI, "4,5"), (Language.SV, "4,5"), (Language.EN, "4.5")],
)
def test_the_average_has_one_decimal_as_each_language_writes_it(
    language: Language, average: str
) -> None:
    card = results_card(language, MANY)  # (2+4+4+5+6+6)/6 = 4.5
    assert text(language, "feedback.results.average", average=average) in shown(card)
    rounded = results_card(language, results((4, 4, 5, 5, 5, 5)))  # 4.666…
    expected = "4.7" if language is Language.EN else "4,7"
    assert text(language, "feedback.results.average", average=expected) in shown(rounded)


@pytest.mark.parametrize("language", LANGUAGES)
def test_written_answers_are_grouped_and_only_named_ones_carry_a_name(
    language: Language,
) -> None:
    card = results_card(language, MANY)
    runs = [n["text"] for n in walk(card["body"]) if n.get("type") == "TextRun"]
    assert "Ruoka-aiheet olivat kivoja" in runs  # anonymous: the words alone
    assert "Retki luontoon" in runs
    assert text(language, "feedback.results.by", text="Hyvä tunnelma", name="Sari Heikkinen") in (
        runs
    )
    for run in runs:
        if "Ruoka-aiheet" in run or "Retki" in run:
            assert "—" not in run and "Sari" not in run
    words = shown(card)
    assert words.index(text(language, "feedback.results.good")) < words.index("Hyvä tunnelma")
    assert words.index(text(language, "feedback.results.ideas")) < words.index("Retki luontoon")
    cooking = text(language, "feedback.results.topic", topic=topic_name(language, "cooking"), n=2)
    music = text(language, "feedback.results.topic", topic=topic_name(language, "music"), n=1)
    assert words.index(cooking) < words.index(music)


@pytest.mark.parametrize("language", LANGUAGES)
def test_what_people_wrote_is_never_read_as_markdown(language: Language) -> None:
    sneaky = "**Paina tästä** [linkki](https://example.com)"
    card = results_card(language, results((5, 5, 5), (Text(TextKind.GOOD, sneaky),)))
    blocks = [n["text"] for n in walk(card["body"]) if n.get("type") == "TextBlock"]
    assert not any(sneaky in b for b in blocks)
    assert sneaky in [n["text"] for n in walk(card["body"]) if n.get("type") == "TextRun"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_named_numbers_are_hidden_when_the_anonymous_ones_are_few(language: Language) -> None:
    named = (("Jari Mäkinen", 2), ("Sari Heikkinen", 6))
    few_anonymous = results((2, 6, 4), named=named)  # the 4 would be the one anonymous answer
    assert "Jari" not in shown(results_card(language, few_anonymous))
    all_named = results((2, 6, 4), named=(*named, ("Erkki Esimerkki", 4)))
    assert "Jari Mäkinen 2" in shown(results_card(language, all_named))
    enough_anonymous = results((2, 6, 1, 3, 5), named=named)
    assert "Sari Heikkinen 6" in shown(results_card(language, enough_anonymous))


# --- ideas and settings ------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_idea_has_its_count_and_its_buttons(language: Language) -> None:
    used = idea(1, used=True)
    fresh = idea(2)
    card = ideas_card(language, (TOPIC_IDEA, fresh, used))
    assert_adaptive_card(card)
    words = shown(card)
    assert text(language, "feedback.ideas.line", idea=topic_name(language, "cooking"), n=3) in (
        words
    )
    line = text(language, "feedback.ideas.line", idea=used.text, n=used.count)
    assert text(language, "feedback.ideas.used", line=line) in words
    pressed = [parse_action(b["data"]) for b in actions(card)]
    assert all(p.verb == IDEA_VERB for p in pressed)
    assert [(p.data["idea"], p.data["do"]) for p in pressed] == [
        (TOPIC_IDEA.key, IDEA_USED),
        (TOPIC_IDEA.key, IDEA_PLAN),
        (fresh.key, IDEA_USED),
        (fresh.key, IDEA_PLAN),
        (used.key, IDEA_UNUSED),
        (used.key, IDEA_PLAN),
    ]
    assert {p.data["group"] for p in pressed} == {"10"}
    titles = {b["title"] for b in actions(card)}
    assert titles == {
        text(language, "feedback.button.used"),
        text(language, "feedback.button.unused"),
        text(language, "feedback.button.plan"),
    }


@pytest.mark.parametrize("language", LANGUAGES)
def test_without_a_next_day_no_idea_can_be_put_in_the_plan(language: Language) -> None:
    card = ideas_card(language, (TOPIC_IDEA, idea(2)), next_day=None)
    assert {parse_action(b["data"]).data["do"] for b in actions(card)} == {IDEA_USED}
    assert text(language, "feedback.ideas.no_next_day") in shown(card)


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_idea_already_planned_for_the_next_day_shows_it(language: Language) -> None:
    planned = replace(idea(3), planned_for=NEXT_DAY)
    card = ideas_card(language, (planned,))
    assert {parse_action(b["data"]).data["do"] for b in actions(card)} == {IDEA_USED}
    assert "9.12.2026" in shown(card) or "9 Dec 2026" in shown(card)


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_ideas_yet_says_where_they_come_from(language: Language) -> None:
    card = ideas_card(language, ())
    assert actions(card) == []
    assert text(language, "feedback.ideas.none") in shown(card)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("anonymous", [True, False])
@pytest.mark.parametrize("reminder", [True, False])
def test_the_settings_card_has_two_switches_and_save(
    language: Language, anonymous: bool, reminder: bool
) -> None:
    card = settings_card(language, Settings(anonymous=anonymous, reminder=reminder))
    assert_adaptive_card(card)
    found = inputs(card)
    assert set(found) == {ANONYMOUS_INPUT, REMINDER_INPUT}
    assert found[ANONYMOUS_INPUT]["value"] == str(anonymous).lower()
    assert found[REMINDER_INPUT]["value"] == str(reminder).lower()
    assert all(i["type"] == "Input.Toggle" for i in found.values())
    assert "30" in found[REMINDER_INPUT]["title"]
    [save] = actions(card)
    assert parse_action(save["data"]).verb == SETTINGS_VERB
    assert parse_action(save["data"]).data == {"group": "10"}


# --- every card --------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_card_is_small_with_sixty_long_ideas_and_fifty_long_answers(
    language: Language,
) -> None:
    many_ideas = tuple(idea(n, long=True, used=n % 7 == 0) for n in range(60))
    card = ideas_card(language, many_ideas)
    assert size(card) < MAX_CARD_BYTES, size(card)
    short_ideas = tuple(idea(n) for n in range(60))
    assert size(ideas_card(language, short_ideas)) < MAX_CARD_BYTES
    long_words = tuple(
        Text(kind, f"{n} " + "sana " * (MAX_TEXT // 5), NAMED_WORDS[n % 2] if n % 3 else None)
        for n in range(50)
        for kind in (TextKind.GOOD, TextKind.IDEA)
    )
    crowded = results_card(language, results((5,) * 50, long_words, asked=50))
    assert size(crowded) < MAX_CARD_BYTES, size(crowded)
    assert distribution_lines(crowded)
    runs = sum(1 for n in walk(crowded["body"]) if n.get("type") == "TextRun")
    assert text(language, "feedback.results.more", count=100 - runs) in shown(crowded)
    for built in every_card(language):
        assert size(built) < MAX_CARD_BYTES


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_list_too_long_for_one_card_says_how_many_were_left_out(language: Language) -> None:
    many_ideas = tuple(idea(n, long=True) for n in range(60))
    card = ideas_card(language, many_ideas)
    listed = sum(1 for n in walk(card["body"]) if n.get("separator"))
    assert 0 < listed < 60
    assert text(language, "feedback.ideas.more", count=60 - listed) in shown(card)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_card_is_in_its_language_with_no_key_or_placeholder_left(
    language: Language,
) -> None:
    for built in every_card(language):
        assert_adaptive_card(built)
        for words in texts(built):
            assert not re.search(r"\bfeedback\.[a-z]", words), words
            assert "{" not in words and "}" not in words, words
        for button in actions(built):
            assert has_words(button["title"])
            assert button["fallback"]["title"] == button["title"]
    if language is not Language.FI:
        finnish = "\n".join(shown(c) for c in every_card(Language.FI))
        for built in every_card(language):
            assert built["body"][0]["text"] not in finnish


@pytest.mark.parametrize("language", LANGUAGES)
def test_answers_from_the_shared_card_never_count_more_than_were_asked(
    language: Language,
) -> None:
    card = results_card(language, results((4, 5, 6), asked=0))
    assert text(language, "feedback.results.count", count=3, asked=3) in shown(card)


# --- what the inputs send back -------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [("true", True), ("false", False), (None, None), ("", None), ("True", None), ("1", None)],
)
def test_a_toggle_reads_back_as_yes_no_or_nothing(value: str | None, expected: bool | None) -> None:
    assert toggled(value) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("music,cooking", ("music", "cooking")),
        ("cooking,music", ("music", "cooking")),
        ("cooking, cooking,,", ("cooking",)),
        ("cooking,<script>,feedback.topic.x", ("cooking",)),
        ("", ()),
        (None, ()),
    ],
)
def test_picked_topics_are_known_ones_each_once_in_catalogue_order(
    value: str | None, expected: tuple[str, ...]
) -> None:
    assert picked_topics(value) == expected


def test_every_picked_topic_and_toggle_value_of_the_cards_reads_back() -> None:
    more = RENDERER.more(
        MoreView(round_id=7, language=Language.FI, score=5, anonymous=True, topics=TOPICS)
    )
    assert picked_topics(inputs(more)[TOPICS_INPUT]["value"]) == TOPICS
    for on in (True, False):
        toggle = inputs(ask(Language.FI, anonymous=on))[ANONYMOUS_INPUT]
        assert toggled(toggle["value"]) is on
