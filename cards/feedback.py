"""Feedback cards: "How was today?" as six big buttons, the optional words, the results.

Clients' cards carry only their own round; the results and ideas cards are for instructors.
What people wrote is shown in RichTextBlock text runs, which Teams does not read as markdown,
so a written answer cannot become a link or bold text on an instructor's card. A card stays
within Teams' message size: long lists of texts and ideas end with how many did not fit.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from cards.common import Card, card, execute, heading, paragraph, small, strong, styled
from cards.payload import CardAction
from domain.feedback.model import (
    MIN_SHOWN,
    SCORES,
    TOPICS,
    Idea,
    Results,
    TextKind,
)
from domain.feedback.ports import (
    AskView,
    IdeasView,
    MoreView,
    ResultsView,
    SettingsView,
    ThanksView,
)
from domain.i18n import date_text, decimal, text
from domain.org import Language

SCORE_VERB = "feedback.score"  # data {round, score}
MORE_VERB = "feedback.more"  # data {round}; inputs good, idea, topics
SKIP_VERB = "feedback.skip"  # data {round}
CHANGE_VERB = "feedback.change"  # data {round}
IDEA_VERB = "feedback.idea"  # data {group, idea, do}
SETTINGS_VERB = "feedback.settings"  # data {group}; inputs anonymous, reminder

# what an idea button does (the `do` field of IDEA_VERB)
IDEA_USED = "used"
IDEA_UNUSED = "unused"
IDEA_PLAN = "plan"
IDEA_DOES = (IDEA_USED, IDEA_UNUSED, IDEA_PLAN)

# the inputs' ids (never a key of a button's data)
ANONYMOUS_INPUT = "anonymous"
GOOD_INPUT = "good"
IDEA_INPUT = "idea"
TOPICS_INPUT = "topics"  # Teams submits the picked values as "a,b,c"
REMINDER_INPUT = "reminder"
TOGGLE_ON = "true"
TOGGLE_OFF = "false"

Element = dict[str, Any]

ROW = 3  # score buttons per row: two rows of three stay big on a phone
BAR = "●"
MAX_BAR = 20  # a longer bar says no more; the number after it does
SHOWN_IDEA = 150  # characters of an idea shown on the ideas card
# bytes (as JSON) the written texts of the results card and the ideas list may take, so the
# whole card stays under Teams' limit for a bot message (about 28 KB)
TEXTS_BUDGET = 16_000
IDEAS_BUDGET = 24_000


def topic_name(language: Language, key: str) -> str:
    """A topic of the catalogue in words ("Ruoanlaitto")."""
    return text(language, f"feedback.topic.{key}")


def toggle_value(on: bool) -> str:
    """An Input.Toggle's value for a yes or no."""
    return TOGGLE_ON if on else TOGGLE_OFF


def toggled(value: str | None) -> bool | None:
    """A submitted Input.Toggle back to yes or no; None when it is neither."""
    if value == TOGGLE_ON:
        return True
    if value == TOGGLE_OFF:
        return False
    return None


def _size(element: Element) -> int:
    return len(json.dumps(element).encode())


def _written(value: str, *, subtle: bool = False) -> Element:
    """Words a person wrote, shown as they are (a text run is not read as markdown)."""
    run: Element = {"type": "TextRun", "text": value}
    if subtle:
        run["isSubtle"] = True
    return {"type": "RichTextBlock", "inlines": [run]}


def _toggle(input_id: str, title: str, on: bool) -> Element:
    return {
        "type": "Input.Toggle",
        "id": input_id,
        "title": title,
        "value": toggle_value(on),
        "valueOn": TOGGLE_ON,
        "valueOff": TOGGLE_OFF,
        "wrap": True,
    }


def _round_action(title: str, verb: str, round_id: int, **extra: str) -> Element:
    return execute(title, CardAction(verb, {"round": str(round_id), **extra}))


def _speak(body: list[Element]) -> str:
    return " ".join(b["text"] for b in body if isinstance(b.get("text"), str))


def _card(body: list[Element], actions: list[Element] | None = None) -> Card:
    speak = _speak(body)
    built = card(body, actions=actions, speak=speak)
    built["fallbackText"] = speak
    return built


def _idea_words(language: Language, idea: Idea) -> str:
    if idea.kind is TextKind.TOPIC and idea.text in TOPICS:
        return topic_name(language, idea.text)
    if len(idea.text) > SHOWN_IDEA:
        return idea.text[:SHOWN_IDEA].rstrip() + "…"
    return idea.text


class FeedbackCardRenderer:
    """Draws the feedback cards (implements domain.feedback.ports.FeedbackCards)."""

    # --- clients ---------------------------------------------------------------------------

    def ask(self, view: AskView) -> Card:
        """How was today: the anonymity choice, then six numbered buttons in two rows."""
        language = view.language
        body: list[Element] = [heading(text(language, "feedback.ask.title"))]
        body.append(
            small(
                text(
                    language,
                    "feedback.ask.where",
                    group=view.group_name,
                    day=date_text(language, view.day),
                )
            )
        )
        if view.reminder:
            body.append(strong(text(language, "feedback.ask.reminder")))
        if view.shared:
            body.append(paragraph(text(language, "feedback.ask.shared")))
        if view.chosen is not None:
            body.append(paragraph(text(language, "feedback.ask.chosen", score=view.chosen)))
        body.append(
            _toggle(ANONYMOUS_INPUT, text(language, "feedback.ask.anonymous"), view.anonymous)
        )
        body.append(small(text(language, "feedback.ask.who_sees")))
        body.append(strong(text(language, "feedback.ask.scale")))
        buttons = []
        for score in SCORES:
            title = text(language, f"feedback.button.score{score}")
            if score == view.chosen:
                title = text(language, "feedback.button.chosen", title=title)
            action = _round_action(title, SCORE_VERB, view.round_id, score=str(score))
            buttons.append(styled(action, "positive") if score == view.chosen else action)
        for start in range(0, len(buttons), ROW):
            body.append({"type": "ActionSet", "actions": buttons[start : start + ROW]})
        return _card(body)

    def more(self, view: MoreView) -> Card:
        """Thanks for the number, and the optional words: what was good, ideas, topics."""
        language = view.language
        # an anonymous number is not repeated: a card update held back by Teams is stored
        # for a while with the person's chat on it
        title = (
            text(language, "feedback.more.title_anonymous")
            if view.anonymous
            else text(language, "feedback.more.title", score=view.score)
        )
        body: list[Element] = [heading(title)]
        if view.replaced:
            body.append(strong(text(language, "feedback.more.replaced")))
        body.append(
            small(
                text(
                    language,
                    "feedback.more.anonymous" if view.anonymous else "feedback.more.named",
                )
            )
        )
        body.append(paragraph(text(language, "feedback.more.optional")))
        body.append(self._text_input(GOOD_INPUT, text(language, "feedback.more.good"), view.good))
        body.append(self._text_input(IDEA_INPUT, text(language, "feedback.more.idea"), view.idea))
        picked = [t for t in view.topics if t in TOPICS]
        topics: Element = {
            "type": "Input.ChoiceSet",
            "id": TOPICS_INPUT,
            "label": text(language, "feedback.more.topics"),
            "isMultiSelect": True,
            "style": "expanded",
            "wrap": True,
            "choices": [{"title": topic_name(language, t), "value": t} for t in TOPICS],
        }
        if picked:
            topics["value"] = ",".join(picked)
        body.append(topics)
        actions = [
            styled(
                _round_action(text(language, "feedback.button.send"), MORE_VERB, view.round_id),
                "positive",
            ),
            _round_action(text(language, "feedback.button.skip"), SKIP_VERB, view.round_id),
        ]
        return _card(body, actions)

    @staticmethod
    def _text_input(input_id: str, label: str, value: str | None) -> Element:
        element: Element = {
            "type": "Input.Text",
            "id": input_id,
            "label": label,
            "isMultiline": True,
        }
        if value:
            element["value"] = value
        return element

    def thanks(self, view: ThanksView) -> Card:
        """The end: thanks, what was kept, and "change my answer" while it can be changed."""
        language = view.language
        body: list[Element] = [heading(text(language, "feedback.thanks.title"))]
        if view.score is not None and not view.anonymous:
            body.append(strong(text(language, "feedback.thanks.score", score=view.score)))
        key = "feedback.thanks.anonymous" if view.anonymous else "feedback.thanks.named"
        body.append(paragraph(text(language, key)))
        if view.texts:
            body.append(paragraph(text(language, "feedback.thanks.texts", count=view.texts)))
        if view.cut:
            body.append(strong(text(language, "feedback.cut")))
        actions: list[Element] = []
        if view.can_change and not view.anonymous:
            body.append(small(text(language, "feedback.thanks.can_change")))
            actions.append(
                _round_action(text(language, "feedback.button.change"), CHANGE_VERB, view.round_id)
            )
        elif view.anonymous:
            # why it cannot be changed, so that nobody fears having done something wrong
            body.append(small(text(language, "feedback.thanks.final_anonymous")))
        else:
            body.append(small(text(language, "feedback.thanks.final")))
        return _card(body, actions or None)

    # --- instructors -----------------------------------------------------------------------

    def results(self, view: ResultsView) -> Card:
        """A group's day: the count; from MIN_SHOWN answers on also the average, the
        distribution (a chart and one line per score) and what people wrote."""
        language = view.language
        body: list[Element] = [
            heading(
                text(
                    language,
                    "feedback.results.title",
                    group=view.group_name,
                    day=date_text(language, view.day),
                )
            )
        ]
        results = view.results
        if results is None:
            body.append(paragraph(text(language, "feedback.results.none")))
            body.append(paragraph(text(language, "feedback.results.how")))
            return _card(body)
        if not results.shown:
            body.append(
                strong(text(language, "feedback.results.few", count=results.count, min=MIN_SHOWN))
            )
            return _card(body)
        body.append(
            strong(
                text(
                    language,
                    "feedback.results.count",
                    count=results.count,
                    asked=max(results.asked, results.count),  # a shared card asks no one by name
                )
            )
        )
        average = results.average
        if average is not None:
            body.append(
                strong(
                    text(language, "feedback.results.average", average=decimal(language, average))
                )
            )
        body.extend(self._distribution(language, results))
        body.extend(self._named_scores(language, results))
        body.extend(self._texts(language, results))
        return _card(body)

    def _distribution(self, language: Language, results: Results) -> list[Element]:
        return distribution(language, results, "feedback.results")

    def _named_scores(self, language: Language, results: Results) -> list[Element]:
        """Who answered by name and their number, unless the anonymous answers are so few
        that the rest of the distribution would tell their numbers."""
        anonymous = results.count - len(results.named)
        if not results.named or 0 < anonymous < MIN_SHOWN:
            return []
        names = ", ".join(
            text(language, "feedback.results.named_score", name=name, score=score)
            for name, score in sorted(results.named)
        )
        return [strong(text(language, "feedback.results.named")), _written(names)]

    def _texts(self, language: Language, results: Results) -> list[Element]:
        body: list[Element] = []
        left = TEXTS_BUDGET
        not_shown = 0
        for kind, key in (
            (TextKind.GOOD, "feedback.results.good"),
            (TextKind.IDEA, "feedback.results.ideas"),
        ):
            written = [t for t in results.texts if t.kind is kind]
            if not written:
                continue
            body.append(strong(text(language, key)))
            for item in written:
                words = (
                    text(language, "feedback.results.by", text=item.text, name=item.name)
                    if item.name
                    else item.text
                )
                element = _written(words)
                size = _size(element)
                if size > left:
                    not_shown += 1
                    continue
                left -= size
                body.append(element)
        topics = Counter(
            t.text for t in results.texts if t.kind is TextKind.TOPIC and t.text in TOPICS
        )
        if topics:
            body.append(strong(text(language, "feedback.results.topics")))
            ranked = sorted(topics.items(), key=lambda kv: (-kv[1], topic_name(language, kv[0])))
            for topic, n in ranked:
                body.append(
                    paragraph(
                        text(
                            language,
                            "feedback.results.topic",
                            topic=topic_name(language, topic),
                            n=n,
                        )
                    )
                )
        if not_shown:
            body.append(small(text(language, "feedback.results.more", count=not_shown)))
        return body

    def ideas(self, view: IdeasView) -> Card:
        """The group's ideas with their counts; mark one used (or not), or put it in the plan
        of the group's next day."""
        language = view.language
        body: list[Element] = [
            heading(text(language, "feedback.ideas.title", group=view.group_name))
        ]
        if not view.ideas:
            body.append(paragraph(text(language, "feedback.ideas.none")))
            return _card(body)
        if view.can_mark and view.next_day is not None:
            body.append(
                small(
                    text(
                        language,
                        "feedback.ideas.next_day",
                        day=date_text(language, view.next_day),
                    )
                )
            )
        elif view.can_mark:
            body.append(small(text(language, "feedback.ideas.no_next_day")))
        left = IDEAS_BUDGET
        shown = 0
        for idea in view.ideas:
            element = self._idea(language, view, idea)
            size = _size(element)
            if size > left:
                break
            left -= size
            shown += 1
            body.append(element)
        if shown < len(view.ideas):
            body.append(small(text(language, "feedback.ideas.more", count=len(view.ideas) - shown)))
        return _card(body)

    def _idea(self, language: Language, view: IdeasView, idea: Idea) -> Element:
        line = text(language, "feedback.ideas.line", idea=_idea_words(language, idea), n=idea.count)
        if idea.planned_for is not None:
            line = text(
                language,
                "feedback.ideas.planned",
                line=line,
                day=date_text(language, idea.planned_for),
            )
        if idea.used:
            line = text(language, "feedback.ideas.used", line=line)
        if not view.can_mark:
            return {
                "type": "Container",
                "separator": True,
                "items": [_written(line, subtle=idea.used)],
            }

        def button(key: str, does: str) -> Element:
            return execute(
                text(language, key),
                CardAction(IDEA_VERB, {"group": str(view.group_id), "idea": idea.key, "do": does}),
            )

        actions = [
            button("feedback.button.unused", IDEA_UNUSED)
            if idea.used
            else button("feedback.button.used", IDEA_USED)
        ]
        if view.next_day is not None and idea.planned_for != view.next_day:
            actions.append(button("feedback.button.plan", IDEA_PLAN))
        return {
            "type": "Container",
            "separator": True,
            "items": [
                _written(line, subtle=idea.used),
                {"type": "ActionSet", "actions": actions},
            ],
        }

    def settings(self, view: SettingsView) -> Card:
        """The group's feedback settings: two switches and Save."""
        language = view.language
        body: list[Element] = [
            heading(text(language, "feedback.settings.title", group=view.group_name)),
            _toggle(
                ANONYMOUS_INPUT,
                text(language, "feedback.settings.anonymous"),
                view.settings.anonymous,
            ),
            small(text(language, "feedback.settings.anonymous.hint")),
            _toggle(
                REMINDER_INPUT,
                text(language, "feedback.settings.reminder", count=view.reminder_minutes),
                view.settings.reminder,
            ),
        ]
        save = execute(
            text(language, "feedback.button.save"),
            CardAction(SETTINGS_VERB, {"group": str(view.group_id)}),
        )
        return _card(body, [styled(save, "positive")])


def distribution(language: Language, results: Results, keys: str) -> list[Element]:
    """The scores as a bar chart and, for clients that draw no chart, one text line a score;
    keys: the prefix of the texts (`<keys>.chart`, `.chart.x`, `.chart.y`, `<keys>.line`)."""
    counts = results.distribution
    chart: Element = {
        "type": "Chart.VerticalBar",
        "title": text(language, f"{keys}.chart"),
        "xAxisTitle": text(language, f"{keys}.chart.x"),
        "yAxisTitle": text(language, f"{keys}.chart.y"),
        "colorSet": "categorical",
        "showBarValues": True,
        "data": [{"x": str(score), "y": counts[score]} for score in SCORES],
        "fallback": "drop",  # the lines below say the same on every client
    }
    lines: Element = {
        "type": "Container",
        "id": "distribution",
        "items": [
            {
                "type": "TextBlock",
                "text": text(
                    language,
                    f"{keys}.line",
                    score=score,
                    bar=BAR * min(counts[score], MAX_BAR) or "–",
                    n=counts[score],
                ),
                "fontType": "Monospace",
                "spacing": "None",
                "wrap": True,
            }
            for score in SCORES
        ],
    }
    return [chart, lines]
