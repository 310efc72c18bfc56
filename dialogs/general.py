"""What anyone can ask, whatever the feature: help, language, binding a chat, groups, welcome."""

from __future__ import annotations

from typing import Any

from cards.bind import BIND_VERB, bound_card, choose_group_card
from cards.general import (
    HELP_VERB,
    RUN_VERB,
    did_you_mean_card,
    fallback_card,
    group_fallback_card,
)
from cards.language import LANGUAGE_VERB, choose_language_card, language_chosen_card
from cards.payload import CardAction
from dialogs.commands import closest, normalise, plain, symbols
from dialogs.context import Context, say
from dialogs.feature import (
    Command,
    Feature,
    HelpItem,
    Registry,
    Understanding,
    always,
    holding,
)
from dialogs.state import CONVERSATION
from dialogs.turn import Outcome, Reply, TurnKind
from domain.binding import BindResult, find_group
from domain.errors import NotFound
from domain.groups import visible_groups
from domain.i18n import text
from domain.model import Actor, ConversationKind
from domain.org import Language, Role

LANGUAGE_WORDS: dict[str, Language] = {
    "fi": Language.FI,
    "suomi": Language.FI,
    "suomeksi": Language.FI,
    "finska": Language.FI,
    "finnish": Language.FI,
    "sv": Language.SV,
    "svenska": Language.SV,
    "ruotsi": Language.SV,
    "ruotsiksi": Language.SV,
    "på svenska": Language.SV,
    "swedish": Language.SV,
    "en": Language.EN,
    "english": Language.EN,
    "englanti": Language.EN,
    "englanniksi": Language.EN,
    "engelska": Language.EN,
    "på engelska": Language.EN,
    "finsk": Language.FI,
    "suomea": Language.FI,
    "svensk": Language.SV,
    "ruotsia": Language.SV,
    "engelsk": Language.EN,
    "englantia": Language.EN,
}
STAFF = frozenset({Role.INSTRUCTOR, Role.COORDINATOR, Role.ADMIN})


def _lines(ctx: Context) -> Outcome:
    lines = ctx.menu.help_lines(ctx.actor, ctx.conversation.kind)
    body = "\n".join(f"- {ctx.t(line.key, **line.params)}" for line in lines)
    return say(f"{ctx.t('help.intro')}\n\n{body}")


async def help_(ctx: Context, _argument: str) -> Outcome:
    """What this person can do, by role; features may add to it (the guide for a client)."""
    listed = _lines(ctx)
    added = await ctx.menu.after_help(ctx)
    return Outcome(replies=[*listed.replies, *added])


async def language(ctx: Context, argument: str) -> Outcome:
    """Change the person's own language ("kieli ruotsi"); without a language, the card."""
    chosen = LANGUAGE_WORDS.get(normalise(argument))
    if chosen is None:
        # each button is in its own language; the words around them in the chat's language
        card = choose_language_card(ctx.language)
        return Outcome(replies=[Reply(card=card)])
    await ctx.services.directory.set_language(ctx.actor, chosen)
    return say(text(chosen, "language.changed"))


async def language_chosen(ctx: Context, action: CardAction) -> Outcome:
    """A language button: it becomes the tapper's own choice (whoever taps, for themselves)."""
    try:
        chosen = Language(action.data.get("language", ""))
    except ValueError:
        return say(ctx.t("card.stale"))
    await ctx.services.directory.set_language(ctx.actor, chosen)
    if ctx.conversation.kind.is_group:
        # the card stays for the others in the chat; the answer is in the chosen language
        return say(text(chosen, "language.changed"))
    return Outcome(card_update=language_chosen_card(chosen))


async def bind(ctx: Context, argument: str) -> Outcome:
    """'This is group X': bind the group conversation, or offer a card of the groups."""
    groups = ctx.services.binder.check_can_bind(ctx.actor, ctx.conversation)
    if argument:
        group = find_group(groups, argument)
        if group is None:
            raise NotFound("bind.unknown_group", name=argument)
        return await _bind(ctx, group.key)
    if len(groups) == 1:
        return await _bind(ctx, groups[0].key)
    return Outcome(replies=[Reply(card=choose_group_card(ctx.language, groups))])


async def bind_chosen(ctx: Context, action: CardAction) -> Outcome:
    """The instructor tapped a group on the bind card."""
    return await _bind(ctx, action.data.get("group", ""))


async def _bind(ctx: Context, group_key: str) -> Outcome:
    result = await ctx.services.binder.bind(ctx.actor, ctx.conversation, group_key)
    key = {
        BindResult.BOUND: "bind.done",
        BindResult.MOVED: "bind.moved",
        BindResult.ALREADY: "bind.already",
    }[result.result]
    outcome = say(ctx.t(key, group=result.group.name))
    outcome.card_update = bound_card(ctx.language, result.group)
    return outcome


async def groups(ctx: Context, _argument: str) -> Outcome:
    """List the groups this person instructs or follows, and whether each has a chat."""
    if not ctx.actor.roles & STAFF:
        return _lines(ctx)
    listing = ctx.services.groups
    shown = visible_groups(ctx.actor, await listing.all_groups())
    if not shown:
        return say(ctx.t("groups.none"))
    units = {u.key: u.name for u in await listing.all_units()}
    bound = await listing.bound_group_ids()
    lines = [
        ctx.t(
            "groups.line.bound" if g.id in bound else "groups.line.unbound",
            group=g.name,
            unit=units.get(g.unit_key, g.unit_key),
        )
        for g in shown
    ]
    return say(ctx.t("groups.title") + "\n\n" + "\n".join(f"- {line}" for line in lines))


async def welcome(ctx: Context) -> Outcome:
    """The bot was added to a conversation: say hello once."""
    conv = ctx.conversation

    async def first_time(state: dict[str, Any]) -> bool:
        if state.get("welcomed"):
            return False
        state["welcomed"] = True
        return True

    if not await ctx.services.state.update(CONVERSATION, conv.conversation_id, first_time):
        return Outcome()
    if not conv.kind.is_group:
        return say(ctx.t("welcome.personal"))
    # everyone reads a group welcome: the group's language, not the installer's own
    language = ctx.group_language
    texts = [text(language, "welcome.group")]
    if conv.group_id is None:
        texts.append(text(language, "welcome.group.instructor_hint"))
    return say("\n\n".join(texts))


# --- what people write that is no command -------------------------------------------------

THANKS = frozenset(
    plain(p)
    for p in (
        "kiitos",
        "kiitti",
        "kiitos paljon",
        "kiitti paljon",
        "kiitoksia",
        "kiitos kiitos",
        "tack",
        "tack så mycket",
        "tackar",
        "tack tack",
        "thanks",
        "thank you",
        "thank you very much",
        "thanks a lot",
        "thx",
    )
)
OKAY = frozenset(
    plain(p)
    for p in ("ok", "okei", "okay", "oki", "selvä", "selvä juttu", "jes", "okej", "great", "good")
)
FRIENDLY_EMOJI = frozenset("👍🙂😊😀😃😄🙏👌❤👏☺🤗")
GREETINGS = frozenset(
    plain(p)
    for p in (
        "moi",
        "moikka",
        "hei",
        "heippa",
        "terve",
        "huomenta",
        "hyvää huomenta",
        "päivää",
        "hej",
        "hejsan",
        "god morgon",
        "hi",
        "hello",
        "hey",
        "good morning",
    )
)


async def thanks(ctx: Context, typed: str) -> Outcome | None:
    """ "kiitos", "tack", "👍": a short friendly answer in a 1:1 chat; a group is not answered."""
    said = plain(typed)
    emoji = symbols(typed)
    if said in THANKS:
        key = "smalltalk.thanks"
    elif said in OKAY or (emoji and emoji <= FRIENDLY_EMOJI):
        key = "smalltalk.ok"
    else:
        return None
    if ctx.conversation.kind.is_group:
        return Outcome()
    return say(ctx.t(key))


async def did_you_mean(ctx: Context, typed: str) -> Outcome | None:
    """A slip of a command word ("nimenhuto"): ask, with a button that runs that command.

    Only where the bot was addressed: a slip in people's chat in a group is not answered.
    """
    if not ctx.turn.addressed or not isinstance(ctx.menu, Registry):
        return None
    words = ((word, command) for command in ctx.menu.commands.values() for word in command.words())
    found = closest(typed, words)
    if found is None:
        return None
    word, command = found
    return Outcome(replies=[Reply(card=did_you_mean_card(ctx.language, word, command.name))])


async def fallback(ctx: Context, typed: str) -> Outcome | None:
    """Nothing understood: in a 1:1 chat buttons for the guide, the instructor and help.

    In a group chat only a message that @mentioned the bot is answered: what the bot does and
    a help button. Everything else said in a group is people talking to each other.
    """
    if not ctx.turn.addressed:
        return Outcome()
    if ctx.conversation.kind.is_group:
        return Outcome(replies=[Reply(card=group_fallback_card(ctx.language))])
    greeted = plain(typed) in GREETINGS
    said = ctx.t("fallback.greeting" if greeted else "fallback.personal")
    client = bool(ctx.actor.groups_as(Role.CLIENT))
    question = ctx.t("fallback.question")
    return Outcome(
        replies=[Reply(text=said, card=fallback_card(ctx.language, question, ask=client))]
    )


async def help_button(ctx: Context, _action: CardAction) -> Outcome:
    """The help button of a card: the same as writing help."""
    return await help_(ctx, "")


async def run_command(ctx: Context, action: CardAction) -> Outcome:
    """A "did you mean" button: run the command it names, as if its word had been written.

    The card carries a command's name, never text to run; the command's own handler checks
    who may do it, as for the word.
    """
    registry = ctx.menu
    command = (
        registry.commands.get(action.data.get("command", ""))
        if isinstance(registry, Registry)
        else None
    )
    if command is None:
        return say(ctx.t("card.stale"))
    return await command.handler(ctx, "")


HELP = Command(
    "help",
    help_,
    fi=("apua", "apu", "ohje", "ohjeet"),
    sv=("hjälp", "hjalp"),
    en=("help", "?"),
)
LANGUAGE = Command(
    "language", language, fi=("kieli",), sv=("språk", "sprak"), en=("language", "lang")
)
BIND = Command(
    "bind",
    bind,
    fi=("tämä on ryhmä", "tämä on ryhmän"),
    sv=("detta är gruppen", "detta är grupp", "det här är gruppen", "det här är grupp"),
    en=("this is group", "this is the group"),
)
GROUPS = Command(
    "groups",
    groups,
    fi=("ryhmät", "ryhmäni"),
    sv=("grupper", "mina grupper"),
    en=("groups", "my groups"),
)


def _my_group(actor: Actor, _kind: ConversationKind) -> dict[str, str] | None:
    client_groups = actor.groups_as(Role.CLIENT)
    if not client_groups:
        return None
    return {"groups": ", ".join(g.name for g in client_groups)}


def _no_group(actor: Actor, _kind: ConversationKind) -> dict[str, str] | None:
    return {} if not actor.roles else None


def _coordinator(actor: Actor, _kind: ConversationKind) -> dict[str, str] | None:
    units = actor.units_as(Role.COORDINATOR)
    return {"units": ", ".join(u.name for u in units)} if units else None


def _in_group_chat(_actor: Actor, kind: ConversationKind) -> dict[str, str] | None:
    return {} if kind.is_group else None


FEATURE = Feature(
    name="general",
    commands=(HELP, LANGUAGE, BIND, GROUPS),
    actions={
        BIND_VERB: bind_chosen,
        HELP_VERB: help_button,
        RUN_VERB: run_command,
        LANGUAGE_VERB: language_chosen,
    },
    events={TurnKind.INSTALLED: welcome},
    help=(
        HelpItem(10, "help.item.help", always, (HELP,)),
        HelpItem(20, "help.item.language", always, (LANGUAGE,)),
        HelpItem(30, "help.item.my_group", _my_group),
        HelpItem(31, "help.item.no_group", _no_group),
        HelpItem(90, "help.item.bind", holding(Role.INSTRUCTOR), (BIND,)),
        HelpItem(120, "help.item.groups", holding(*STAFF), (GROUPS,)),
        HelpItem(130, "help.item.coordinator", _coordinator),
        HelpItem(140, "help.item.admin", holding(Role.ADMIN)),
        HelpItem(150, "help.mention_hint", _in_group_chat),
    ),
    understand=(
        Understanding(90, thanks),
        Understanding(95, did_you_mean),
        # the last word on free text: no feature understood it
        Understanding(1000, fallback),
    ),
)
