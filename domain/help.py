"""What a person can do, by role: the content of the help answer."""

from __future__ import annotations

from dataclasses import dataclass, field

from domain.model import Actor, ConversationKind
from domain.org import Role


@dataclass(frozen=True, slots=True)
class HelpLine:
    """One line of help: a catalog key and its parameters."""

    key: str
    params: dict[str, str] = field(default_factory=dict)


def help_lines(actor: Actor, kind: ConversationKind) -> list[HelpLine]:
    """The help lines for this actor, in the order shown; only what they may actually do."""
    lines = [HelpLine("help.item.help"), HelpLine("help.item.language")]
    roles = actor.roles
    client_groups = actor.groups_as(Role.CLIENT)
    if client_groups:
        names = ", ".join(g.name for g in client_groups)
        lines.append(HelpLine("help.item.my_group", {"groups": names}))
    elif not roles:
        lines.append(HelpLine("help.item.no_group"))
    if roles & {Role.CLIENT, Role.INSTRUCTOR}:
        lines.append(HelpLine("help.item.agenda"))
    lines.append(HelpLine("help.item.tutorial"))
    if Role.CLIENT in roles:
        lines.append(HelpLine("help.item.leave"))
    if Role.INSTRUCTOR in roles:
        lines.append(HelpLine("help.item.send_tutorial"))
        lines.append(HelpLine("help.item.rollcall"))
        lines.append(HelpLine("help.item.bind"))
        lines.append(HelpLine("help.item.steer"))
        lines.append(HelpLine("help.item.days"))
    if roles & {Role.INSTRUCTOR, Role.COORDINATOR, Role.ADMIN}:
        lines.append(HelpLine("help.item.groups"))
    coordinated = actor.units_as(Role.COORDINATOR)
    if coordinated:
        names = ", ".join(u.name for u in coordinated)
        lines.append(HelpLine("help.item.coordinator", {"units": names}))
    if actor.is_admin:
        lines.append(HelpLine("help.item.admin"))
    if kind.is_group:
        lines.append(HelpLine("help.mention_hint"))
    return lines
