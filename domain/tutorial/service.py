"""The tutorial's use cases: start or resume, move on a card, ask for help, take a request."""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Protocol

from domain.errors import ConcurrentUpdate, DomainError, NotAllowed, NotFound
from domain.i18n import text
from domain.model import Actor, Conversation
from domain.org import DEFAULT_LANGUAGE, Group, Language, Person, Role
from domain.outbox import Outbox, OutboxMessage
from domain.ports import ConversationRepository, People, PersonalChats, personal_chat
from domain.tutorial import help as h
from domain.tutorial.content import Device, Topic, Tutorial
from domain.tutorial.flow import (
    TRANSITIONS,
    Event,
    InvalidMove,
    Place,
    Progress,
    move,
    troubleshoot,
)

log = logging.getLogger(__name__)

Card = dict[str, Any]


class TutorialStore(Protocol):
    """Progress per person and help requests, saved with their outbox messages."""

    async def progress(self, person_id: int) -> Progress | None: ...

    async def save(
        self,
        progress: Progress,
        *,
        request: h.HelpRequest | None = None,
        messages: Sequence[OutboxMessage] = (),
    ) -> tuple[Progress, h.HelpRequest | None]:
        """Compare-and-set on progress.version (0: new); ConcurrentUpdate if someone was first."""
        ...

    async def open_request_of(self, person_id: int) -> h.HelpRequest | None: ...
    async def request(self, key: str) -> h.HelpRequest | None: ...

    async def update_request(
        self, request: h.HelpRequest, messages: Sequence[OutboxMessage] = ()
    ) -> bool:
        """Compare-and-set on request.version; False if someone changed it first."""
        ...


class ViewKind(enum.Enum):
    """What the person is shown."""

    CURRENT = "current"  # the card of where they are
    WELCOME_BACK = "welcome_back"  # they had started before: continue or start over


@dataclass(frozen=True, slots=True)
class View:
    """What a tutorial card shows: the progress, plus a short note about what just happened."""

    progress: Progress
    language: Language
    kind: ViewKind = ViewKind.CURRENT
    suggested: Device | None = None
    note: str | None = None
    note_params: dict[str, object] = field(default_factory=dict)
    moved: bool = False


@dataclass(frozen=True, slots=True)
class HelpView:
    """A help request as an instructor's card shows it."""

    request: h.HelpRequest
    client_name: str
    group_name: str
    device: str
    step_title: str
    check_title: str | None
    taken_by_name: str | None = None
    resolved_by_client: bool = False
    # the language the values above are in: the card around them is drawn in it too
    language: Language = DEFAULT_LANGUAGE


class TutorialCards(Protocol):
    """Draws the cards (cards/ implements this)."""

    def tutorial(self, view: View) -> Card: ...
    def help_request(self, language: Language, view: HelpView, *, own: bool) -> Card: ...


class TakeResult(enum.Enum):
    """What happened when an instructor tapped "I'll take it"."""

    TAKEN = "taken"
    ALREADY_YOURS = "already_yours"
    TAKEN_BY_OTHER = "taken_by_other"
    RESOLVED = "resolved"


class SendResult(enum.Enum):
    """What happened when an instructor sent the tutorial to a client."""

    SENT = "sent"
    ALREADY_SENT = "already_sent"
    UNREACHABLE = "unreachable"


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _words(text: str) -> str:
    return " ".join(text.casefold().split())


class TutorialService:
    """Runs the tutorial for clients and their help requests for instructors."""

    def __init__(
        self,
        tutorial: Tutorial,
        store: TutorialStore,
        people: People,
        conversations: ConversationRepository,
        chats: PersonalChats,
        cards: TutorialCards,
        outbox: Outbox,
        *,
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        self.tutorial = tutorial
        self._store = store
        self._people = people
        self._conversations = conversations
        self._chats = chats
        self.cards = cards
        self._outbox = outbox
        self._clock = clock

    # --- the client's side ------------------------------------------------------------------

    async def _progress(self, person_id: int) -> Progress:
        progress = await self._store.progress(person_id) or Progress(person_id=person_id)
        return still_valid(self.tutorial, progress)

    async def begin(
        self,
        actor: Actor,
        language: Language,
        *,
        platform_device: Device | None = None,
        note: str | None = None,
        note_params: dict[str, object] | None = None,
    ) -> View:
        """Start, or offer to continue where the person left off (note: why it came)."""
        progress = await self._progress(actor.person_id)
        params = note_params or {}
        if progress.place in (Place.STEP, Place.CHECK, Place.ASKED):
            return View(
                progress, language, kind=ViewKind.WELCOME_BACK, note=note, note_params=params
            )
        if progress.place is Place.DONE:
            progress = await self._save_move(progress, Event.RESTART)
        suggested = platform_device or progress.device
        return View(progress, language, suggested=suggested, note=note, note_params=params)

    async def _save_move(
        self, progress: Progress, event: Event, device: Device | None = None
    ) -> Progress:
        moved = move(self.tutorial, progress, event, self._clock(), device)
        saved, _ = await self._store.save(moved)
        return saved

    async def act(
        self,
        actor: Actor,
        language: Language,
        token: str,
        event: Event | None,
        device: Device | None = None,
    ) -> View:
        """A tap on a tutorial card. A tap on an old card shows where the person is now."""
        progress = await self._progress(actor.person_id)
        if token != progress.token or event is None:
            return View(progress, language)
        now = self._clock()
        try:
            moved = move(self.tutorial, progress, event, now, device)
        except InvalidMove as exc:
            log.info("tutorial: refused move for person %s: %s", actor.person_id, exc)
            return View(progress, language)
        note: str | None = None
        params: dict[str, object] = {}
        request: h.HelpRequest | None = None
        messages: list[OutboxMessage] = []
        resolved: h.HelpRequest | None = None
        if event is Event.ASK:
            request, messages, note, params = await self._ask(actor, progress, now)
        elif event is Event.WORKS:
            note = "tutorial.note.works"
            if progress.place is Place.ASKED:
                resolved = await self._store.open_request_of(actor.person_id)
        try:
            saved, _ = await self._store.save(moved, request=request, messages=messages)
        except ConcurrentUpdate:
            return View(await self._progress(actor.person_id), language)
        if resolved is not None:
            await self._resolve(resolved, actor.person_id, by_client=True)
        return View(saved, language, note=note, note_params=params, moved=True)

    async def ask(
        self, actor: Actor, language: Language, *, platform_device: Device | None = None
    ) -> View:
        """ "Ask the instructor" in one tap, from any card or chat: one open request at a time.

        From a step or check the person moves to "help is coming"; elsewhere (choosing a
        device, finished, a chat answer) they stay where they are. A second tap, or a race of
        two, makes no second request; the note says what happened.
        """
        progress = await self._progress(actor.person_id)
        now = self._clock()
        request, messages, note, params = await self._ask(
            actor, progress, now, platform_device=platform_device
        )
        if request is None:
            return View(progress, language, note=note, note_params=params)
        if (progress.place, Event.ASK) in TRANSITIONS:
            moved = move(self.tutorial, progress, Event.ASK, now)
        else:
            moved = replace(progress, updated_at=now, started_at=progress.started_at or now)
        try:
            saved, _ = await self._store.save(moved, request=request, messages=messages)
        except ConcurrentUpdate:
            again = await self._progress(actor.person_id)
            return View(again, language, note="tutorial.note.asked_already")
        return View(saved, language, note=note, note_params=params, moved=True)

    async def troubleshoot(
        self,
        actor: Actor,
        language: Language,
        topic: Topic,
        *,
        check: str | None = None,
        platform_device: Device | None = None,
        note: str | None = None,
    ) -> View | None:
        """The person named a problem: the topic's troubleshooting check for their device.

        None when their device is not known yet (they choose it first) or the topic has no
        troubleshooting on it.
        """
        progress = await self._progress(actor.person_id)
        device = progress.device or platform_device
        if device is None:
            return None
        try:
            moved = troubleshoot(self.tutorial, progress, topic, device, self._clock(), check)
        except InvalidMove:
            return None
        here = (progress.place, progress.device, progress.step, progress.check)
        if here == (moved.place, moved.device, moved.step, moved.check):
            return View(progress, language, note=note)  # already there: the same card again
        try:
            saved, _ = await self._store.save(moved)
        except ConcurrentUpdate:
            saved = await self._progress(actor.person_id)
        return View(saved, language, note=note, moved=True)

    async def show_privately(self, actor: Actor, view: View, via: Conversation) -> SendResult:
        """A card drawn for the person goes to their 1:1 chat (asked for in a group chat)."""
        chat = await self._reach(actor.person, via)
        if chat is None:
            return SendResult.UNREACHABLE
        return await self._send_view(chat, "show", actor, view)

    async def _send_view(
        self, chat: Conversation, kind: str, actor: Actor, view: View
    ) -> SendResult:
        """The guide's card as the person is now, once per move, into their 1:1 chat."""
        message = OutboxMessage(
            key=f"tutorial:{kind}:{actor.person_id}:{view.progress.version}",
            conversation_id=chat.conversation_id,
            card=self.cards.tutorial(view),
        )
        if await self._outbox.enqueue(message):
            return SendResult.SENT
        return SendResult.ALREADY_SENT

    async def _ask(
        self,
        actor: Actor,
        progress: Progress,
        now: datetime,
        *,
        platform_device: Device | None = None,
    ) -> tuple[h.HelpRequest | None, list[OutboxMessage], str, dict[str, object]]:
        """Decide the help request and the instructors' messages (saved with the move)."""
        existing = await self._store.open_request_of(actor.person_id)
        if existing is not None:
            return None, [], "tutorial.note.asked_already", {}
        group = await self._group_for(actor, progress)
        if group is None or group.id is None:
            return None, [], "tutorial.note.no_group", {}
        # asked outside the guide's steps: the device Teams reports, the step left empty
        device = progress.device or platform_device or Device.WEB
        request = h.HelpRequest(
            key=f"help:{actor.person_id}:{progress.version}",
            person_id=actor.person_id,
            group_id=group.id,
            device=device,
            step=progress.step or h.NO_STEP,
            check=progress.check,
            created_at=now,
        )
        via = await self._conversations.personal_for(actor.person_id)
        messages = await self._to_instructors(request, actor.person, group, via)
        if not messages:
            return request, [], "tutorial.note.no_instructor", {}
        return request, messages, "tutorial.note.asked", {}

    async def _group_for(self, actor: Actor, progress: Progress) -> Group | None:
        if progress.group_id is not None:
            group = await self._people.group_by_id(progress.group_id)
            if group is not None:
                return group
        groups = actor.groups_as(Role.CLIENT)
        return groups[0] if groups else None

    def _help_view(
        self, request: h.HelpRequest, language: Language, client: Person, group: Group
    ) -> HelpView:
        # the content may have changed since the request: fall back to the stored ids
        step = self.tutorial.step(request.step)
        check = self.tutorial.check(request.check) if request.check else None
        step_title = request.step or text(language, "help.card.no_step")
        if step is not None and request.device in step.devices:
            step_title = self.tutorial.step_text(language, step, request.device).title
        check_title = request.check
        if check is not None and request.device in check.devices:
            check_title = self.tutorial.check_text(language, check, request.device).title
        return HelpView(
            request=request,
            client_name=client.name,
            group_name=group.name,
            device=self.tutorial.device_name(language, request.device),
            step_title=step_title,
            check_title=check_title,
            language=language,
        )

    async def _to_instructors(
        self, request: h.HelpRequest, client: Person, group: Group, via: Conversation | None
    ) -> list[OutboxMessage]:
        assert group.id is not None
        messages: list[OutboxMessage] = []
        for instructor in await self._people.people_in_group(group.id, Role.INSTRUCTOR):
            assert instructor.id is not None
            chat = await self._reach(instructor, via)
            if chat is None:
                continue
            language = instructor.speaks(group.language)
            card = self.cards.help_request(
                language, self._help_view(request, language, client, group), own=False
            )
            messages.append(
                OutboxMessage(
                    key=_card_key(request, instructor.id),
                    conversation_id=chat.conversation_id,
                    card=card,
                )
            )
        return messages

    async def _reach(self, person: Person, via: Conversation | None) -> Conversation | None:
        return await personal_chat(self._conversations, self._chats, person, via)

    async def start_privately(
        self,
        actor: Actor,
        language: Language,
        via: Conversation,
        platform_device: Device | None = None,
        *,
        note: str | None = None,
    ) -> SendResult:
        """Asked for in a group chat: the guide goes to the person's 1:1 chat with the bot."""
        chat = await self._reach(actor.person, via)
        if chat is None:
            return SendResult.UNREACHABLE
        view = await self.begin(actor, language, platform_device=platform_device, note=note)
        return await self._send_view(chat, "start", actor, view)

    # --- starting it for someone else --------------------------------------------------------

    async def send_to(self, actor: Actor, name: str, via: Conversation) -> tuple[SendResult, str]:
        """An instructor sends the tutorial to a client of their group, named as typed."""
        client, group = await self._find_client(actor, name)
        return await self._send(actor, client, group, via), client.name

    async def send_to_person(
        self, actor: Actor, person_id: int, via: Conversation
    ) -> tuple[SendResult, str]:
        """The same from a button that names the client by id (an attendance list)."""
        for group in actor.groups_as(Role.INSTRUCTOR):
            assert group.id is not None
            for client in await self._people.people_in_group(group.id, Role.CLIENT):
                if client.id == person_id:
                    return await self._send(actor, client, group, via), client.name
        raise NotAllowed("tutorial.send.not_your_client")

    async def _find_client(self, actor: Actor, name: str) -> tuple[Person, Group]:
        groups = actor.groups_as(Role.INSTRUCTOR)
        if not groups:
            raise NotAllowed("tutorial.send.not_allowed")
        wanted = _words(name)
        if not wanted:
            raise DomainError("tutorial.send.usage")
        exact: list[tuple[Person, Group]] = []
        partial: list[tuple[Person, Group]] = []
        for group in groups:
            assert group.id is not None
            for client in await self._people.people_in_group(group.id, Role.CLIENT):
                have = _words(client.name)
                if have == wanted:
                    exact.append((client, group))
                elif have.startswith(wanted) or wanted in have.split():
                    partial.append((client, group))
        found = exact or partial
        people = {p.id: p for p, _ in found}
        if not found:
            raise NotFound("tutorial.send.unknown", name=name)
        if len(people) > 1:
            names = sorted(_named_apart([(p, g) for p, g in found]))
            raise DomainError("tutorial.send.ambiguous", name=name, names=", ".join(names))
        return found[0]

    async def _send(
        self, actor: Actor, client: Person, group: Group, via: Conversation
    ) -> SendResult:
        assert client.id is not None
        chat = await self._reach(client, via)
        if chat is None:
            return SendResult.UNREACHABLE
        progress = await self._progress(client.id)
        if progress.group_id != group.id:
            progress = replace(progress, group_id=group.id)
            progress, _ = await self._store.save(progress)
        language = client.speaks(group.language)
        if progress.place in (Place.STEP, Place.CHECK, Place.ASKED):
            view = View(progress, language, kind=ViewKind.WELCOME_BACK)
        else:
            view = View(progress, language, suggested=progress.device)
        # the guide says who sent it and why
        view = replace(view, note="tutorial.note.sent_by", note_params={"name": actor.person.name})
        message = OutboxMessage(
            key=f"tutorial:sent:{client.id}:{progress.version}",
            conversation_id=chat.conversation_id,
            card=self.cards.tutorial(view),
        )
        # keyed by the progress it shows: sending again before the client moves sends nothing
        if await self._outbox.enqueue(message):
            return SendResult.SENT
        return SendResult.ALREADY_SENT

    # --- the instructors' side --------------------------------------------------------------

    async def take(self, actor: Actor, key: str) -> tuple[TakeResult, HelpView]:
        """An instructor takes a request: the others' cards and the client are told."""
        for _ in range(3):
            request = await self._request(key)
            try:
                taken = h.take(request, actor, self._clock())
            except h.AlreadyTaken:
                return TakeResult.TAKEN_BY_OTHER, await self._view_for(request, actor)
            except h.AlreadyResolved:
                return TakeResult.RESOLVED, await self._view_for(request, actor)
            if taken is request:
                return TakeResult.ALREADY_YOURS, await self._view_for(request, actor)
            messages = await self._after_change(taken, actor.person_id, client_note=True)
            if await self._store.update_request(taken, messages):
                return TakeResult.TAKEN, await self._view_for(taken, actor)
        raise ConcurrentUpdate(f"help request {key}")

    async def resolve(self, actor: Actor, key: str) -> HelpView:
        """An instructor marks a request resolved."""
        request = await self._request(key)
        if not h.may_handle(actor, request.group_id):
            raise NotAllowed("help.take.not_allowed")
        done = await self._resolve(request, actor.person_id, by_client=False)
        return await self._view_for(done, actor)

    async def _resolve(
        self, request: h.HelpRequest, person_id: int, *, by_client: bool
    ) -> h.HelpRequest:
        for _ in range(3):
            done = h.resolve(request, person_id, self._clock())
            if done is request:
                return request
            messages = await self._after_change(done, person_id, client_note=False)
            if await self._store.update_request(done, messages):
                return replace(done, version=done.version + 1)
            request = await self._request(request.key)
        return request

    async def _request(self, key: str) -> h.HelpRequest:
        request = await self._store.request(key)
        if request is None:
            raise NotFound("help.take.unknown")
        return request

    async def _context(self, request: h.HelpRequest) -> tuple[Person, Group]:
        client = await self._people.person_by_id(request.person_id)
        group = await self._people.group_by_id(request.group_id)
        if client is None or group is None:
            raise NotFound("help.take.unknown")
        return client, group

    async def _view_for(self, request: h.HelpRequest, actor: Actor) -> HelpView:
        client, group = await self._context(request)
        language = actor.person.speaks(group.language)
        return await self._named(request, language, client, group)

    async def _named(
        self, request: h.HelpRequest, language: Language, client: Person, group: Group
    ) -> HelpView:
        view = self._help_view(request, language, client, group)
        taker = await self._people.person_by_id(request.taken_by) if request.taken_by else None
        return replace(
            view,
            taken_by_name=taker.name if taker else None,
            resolved_by_client=request.resolved_by == request.person_id,
        )

    async def _after_change(
        self, request: h.HelpRequest, by: int, *, client_note: bool
    ) -> list[OutboxMessage]:
        """Updates of every instructor's card, and (when taken) a note to the client."""
        client, group = await self._context(request)
        assert group.id is not None
        messages: list[OutboxMessage] = []
        step = f"{request.status.value}:{request.version}"
        for instructor in await self._people.people_in_group(group.id, Role.INSTRUCTOR):
            assert instructor.id is not None
            chat = await self._conversations.personal_for(instructor.id)
            if chat is None:
                continue
            language = instructor.speaks(group.language)
            view = await self._named(request, language, client, group)
            own = request.taken_by == instructor.id
            messages.append(
                OutboxMessage(
                    key=f"{_card_key(request, instructor.id)}:{step}",
                    conversation_id=chat.conversation_id,
                    card=self.cards.help_request(language, view, own=own),
                    update_of=_card_key(request, instructor.id),
                )
            )
        if client_note and request.taken_by is not None:
            chat = await self._conversations.personal_for(client.id or 0)
            taker = await self._people.person_by_id(request.taken_by)
            if chat is not None and taker is not None:
                language = client.speaks(group.language)
                messages.append(
                    OutboxMessage(
                        key=f"{request.key}:client:{step}",
                        conversation_id=chat.conversation_id,
                        text=text(language, "help.client.coming", name=taker.name),
                    )
                )
        return messages


def _named_apart(found: list[tuple[Person, Group]]) -> set[str]:
    """The matches' names, with the group where two different people share a name."""
    by_name: dict[str, set[int | None]] = {}
    for person, _ in found:
        by_name.setdefault(person.name, set()).add(person.id)
    return {f"{p.name} ({g.name})" if len(by_name[p.name]) > 1 else p.name for p, g in found}


def still_valid(tutorial: Tutorial, progress: Progress) -> Progress:
    """Progress on a step or check the content no longer has starts again from the device."""
    if progress.place in (Place.DEVICE, Place.DONE):
        return progress
    steps = tutorial.steps_for(progress.device) if progress.device else ()
    step = next((s for s in steps if s.id == progress.step), None)
    check_ok = progress.place is not Place.CHECK or (
        step is not None
        and progress.device is not None
        and any(c.id == progress.check for c in tutorial.checks_for(step.topic, progress.device))
    )
    if step is None or not check_ok:
        return replace(progress, place=Place.DEVICE, step=None, check=None)
    return progress


def _card_key(request: h.HelpRequest, instructor_id: int) -> str:
    return f"{request.key}:to:{instructor_id}"
