"""Tutorial cards: one step per card, big buttons, every picture with alt text and speak text."""

from __future__ import annotations

from typing import Any

from cards.common import Card, card, execute, heading, paragraph, small, strong, styled
from cards.payload import CardAction
from domain.i18n import text
from domain.org import Language
from domain.tutorial.content import Device, Tutorial
from domain.tutorial.flow import (
    Event,
    Place,
    Progress,
    check_position,
    is_last_check,
    step_position,
)
from domain.tutorial.help import HelpStatus
from domain.tutorial.service import HelpView, View, ViewKind

GO_VERB = "tutorial.go"
START_VERB = "tutorial.start"
SEND_VERB = "tutorial.send"
TAKE_VERB = "help.take"
RESOLVE_VERB = "help.resolve"
# "Ask the instructor" in one tap, from any step, check or fallback answer (no data needed)
ASK_VERB = "help.ask"

Element = dict[str, Any]


class TutorialCardRenderer:
    """Draws tutorial and help-request cards; pictures and the web page come from base_url."""

    def __init__(self, tutorial: Tutorial, base_url: str) -> None:
        self.content = tutorial
        self.base_url = base_url.rstrip("/")

    # --- links -----------------------------------------------------------------------------

    def image_url(self, name: str) -> str:
        """The PNG of a picture (Teams cards cannot show SVG)."""
        return f"{self.base_url}/tutorial/img/{name}.png"

    def page_url(self, language: Language, device: Device | None = None) -> str:
        """The public tutorial page, for a device when known."""
        url = f"{self.base_url}/tutorial/{language.value}"
        return f"{url}/{device.value}" if device else url

    def _image(self, name: str, alt: str) -> Element:
        return {"type": "Image", "url": self.image_url(name), "altText": alt, "width": "96px"}

    def _page_link(self, language: Language, device: Device | None) -> Element:
        return {
            "type": "Action.OpenUrl",
            "title": text(language, "tutorial.button.web"),
            "url": self.page_url(language, device),
        }

    # --- the client's cards ------------------------------------------------------------------

    def tutorial(self, view: View) -> Card:
        """The card for where the person is."""
        p = view.progress
        if view.kind is ViewKind.WELCOME_BACK:
            return self._welcome_back(view)
        if p.place is Place.DEVICE:
            return self._device(view)
        if p.place is Place.STEP:
            return self._step(view)
        if p.place is Place.CHECK:
            return self._check(view)
        if p.place is Place.ASKED:
            return self._asked(view)
        return self._done(view)

    def _go(self, language: Language, p: Progress, key: str, event: Event, **extra: str) -> Element:
        data = {"e": event.value, "t": p.token, **extra}
        return execute(text(language, key), CardAction(GO_VERB, data))

    def _ask(self, language: Language, p: Progress) -> Element:
        """ "Ask the instructor": one tap from wherever the person is."""
        return execute(text(language, "tutorial.button.ask"), CardAction(ASK_VERB, {"t": p.token}))

    def _note(self, view: View) -> list[Element]:
        if not view.note:
            return []
        return [strong(text(view.language, view.note, **view.note_params))]

    def _nav(self, language: Language, p: Progress) -> list[Element]:
        return [
            self._go(language, p, "tutorial.button.back", Event.BACK),
            self._go(language, p, "tutorial.button.restart", Event.RESTART),
        ]

    def _device(self, view: View) -> Card:
        lang, p = view.language, view.progress
        order = sorted(Device, key=lambda d: d is not view.suggested)
        actions = []
        for device in order:
            name = self.content.device_name(lang, device)
            if device is view.suggested:
                name = text(lang, "tutorial.device.suggested", device=name)
            actions.append(
                self._go(lang, p, "tutorial.device.choose", Event.CHOOSE, d=device.value)
            )
            actions[-1]["title"] = name
            actions[-1]["fallback"]["title"] = name
        title = text(lang, "tutorial.device.title")
        body = text(lang, "tutorial.device.text")
        return card(
            [*self._note(view), heading(title), paragraph(body)],
            actions=[*actions, self._page_link(lang, None), self._ask(lang, p)],
            speak=f"{title} {body}",
        )

    def _step(self, view: View) -> Card:
        lang, p = view.language, view.progress
        assert p.device is not None
        step = self.content.step(p.step or "")
        assert step is not None
        words = self.content.step_text(lang, step, p.device)
        where = step_position(self.content, p)
        assert where is not None
        body: list[Element] = [
            *self._note(view),
            small(
                text(
                    lang,
                    "tutorial.step.where",
                    topic=self.content.topic_name(lang, step.topic),
                    number=where.number,
                    total=where.total,
                )
            ),
            heading(words.title),
            self._image(words.image, words.alt),
            paragraph(words.text),
        ]
        speak = f"{words.title}. {words.text}"
        if words.shortcut:
            shortcut = text(lang, "tutorial.step.shortcut", keys=words.shortcut)
            body.append(strong(shortcut))
            speak += f" {shortcut}"
        actions = [
            styled(self._go(lang, p, "tutorial.button.done", Event.DONE), "positive"),
            self._go(lang, p, "tutorial.button.trouble", Event.TROUBLE),
            self._ask(lang, p),
            *self._nav(lang, p),
        ]
        return card(body, actions=actions, speak=speak)

    def _check(self, view: View) -> Card:
        lang, p = view.language, view.progress
        assert p.device is not None
        check = self.content.check(p.check or "")
        step = self.content.step(p.step or "")
        assert check is not None
        assert step is not None
        words = self.content.check_text(lang, check, p.device)
        where = check_position(self.content, p)
        assert where is not None
        body: list[Element] = [
            *self._note(view),
            small(
                text(
                    lang,
                    "tutorial.check.where",
                    step=self.content.step_text(lang, step, p.device).title,
                    number=where.number,
                    total=where.total,
                )
            ),
            heading(words.title),
        ]
        if words.image and words.alt:
            body.append(self._image(words.image, words.alt))
        body.append(paragraph(words.text))
        onward = []
        if is_last_check(self.content, p):
            body.append(paragraph(text(lang, "tutorial.check.last")))
        else:
            onward.append(self._go(lang, p, "tutorial.button.next", Event.NEXT))
        actions = [
            styled(self._go(lang, p, "tutorial.button.works", Event.WORKS), "positive"),
            *onward,
            self._ask(lang, p),
            *self._nav(lang, p),
        ]
        return card(body, actions=actions, speak=f"{words.title}. {words.text}")

    def _asked(self, view: View) -> Card:
        lang, p = view.language, view.progress
        title = text(lang, "tutorial.asked.title")
        body = text(lang, "tutorial.asked.text")
        return card(
            [*self._note(view), heading(title), paragraph(body)],
            actions=[
                styled(self._go(lang, p, "tutorial.button.works", Event.WORKS), "positive"),
                self._go(lang, p, "tutorial.button.back_to_guide", Event.BACK),
            ],
            speak=f"{title} {body}",
        )

    def _done(self, view: View) -> Card:
        lang, p = view.language, view.progress
        title = text(lang, "tutorial.done.title")
        body = text(lang, "tutorial.done.text")
        return card(
            [*self._note(view), heading(title), paragraph(body)],
            actions=[
                self._go(lang, p, "tutorial.button.restart", Event.RESTART),
                self._page_link(lang, p.device),
            ],
            speak=f"{title} {body}",
        )

    def _welcome_back(self, view: View) -> Card:
        lang, p = view.language, view.progress
        assert p.device is not None
        step = self.content.step(p.step or "")
        assert step is not None
        title = text(lang, "tutorial.resume.title")
        body = text(
            lang,
            "tutorial.resume.text",
            step=self.content.step_text(lang, step, p.device).title,
            device=self.content.device_name(lang, p.device),
        )
        show = execute(
            text(lang, "tutorial.button.continue"), CardAction(GO_VERB, {"e": "show", "t": p.token})
        )
        return card(
            [*self._note(view), heading(title), paragraph(body)],
            actions=[
                styled(show, "positive"),
                self._go(lang, p, "tutorial.button.restart", Event.RESTART),
                self._ask(lang, p),
            ],
            speak=f"{title} {body}",
        )

    # --- the instructors' cards --------------------------------------------------------------

    def help_request(self, language: Language, view: HelpView, *, own: bool) -> Card:
        """A client's call for help as an instructor sees it; buttons by its status."""
        r = view.request
        title = text(language, "help.card.title", name=view.client_name)
        facts = [
            (text(language, "help.card.group"), view.group_name),
            (text(language, "help.card.device"), view.device),
            (text(language, "help.card.step"), view.step_title),
        ]
        if view.check_title:
            facts.append((text(language, "help.card.tried"), view.check_title))
        if r.status is HelpStatus.OPEN:
            status = text(language, "help.card.open")
            actions = [
                styled(
                    execute(
                        text(language, "help.button.take"),
                        CardAction(TAKE_VERB, {"request": r.key}),
                    ),
                    "positive",
                )
            ]
        elif r.status is HelpStatus.TAKEN and own:
            status = text(language, "help.card.yours")
            actions = [
                execute(
                    text(language, "help.button.resolve"),
                    CardAction(RESOLVE_VERB, {"request": r.key}),
                )
            ]
        elif r.status is HelpStatus.TAKEN:
            status = text(language, "help.card.taken", name=view.taken_by_name or "?")
            actions = []
        elif view.resolved_by_client:
            status = text(language, "help.card.resolved_by_client", name=view.client_name)
            actions = []
        else:
            status = text(language, "help.card.resolved")
            actions = []
        body: list[Element] = [
            heading(title),
            {"type": "FactSet", "facts": [{"title": t, "value": v} for t, v in facts]},
            strong(status),
        ]
        speak = f"{title} {view.step_title}. {status}"
        return card(body, actions=actions or None, speak=speak)

    def sent_note(self, language: Language) -> Card:
        """A small card in a group chat pointing to the private chat (no names in it)."""
        message = text(language, "tutorial.group.sent")
        return card([paragraph(message)], speak=message)
