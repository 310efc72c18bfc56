"""Which group a staff member means when they ask from their 1:1 chat (or name one)."""

from __future__ import annotations

from dialogs.context import Context
from domain.binding import find_group
from domain.errors import DomainError, NotFound
from domain.org import Group, Role


async def staff_groups(ctx: Context) -> tuple[Group, ...]:
    """The groups whose records the speaker sees: instructed, their units' (coordinators),
    every group (admins); by name."""
    staff = {
        g.id: g
        for role in (Role.INSTRUCTOR, Role.COORDINATOR, Role.ADMIN)
        for g in ctx.actor.groups_as(role)
    }
    if ctx.actor.roles & {Role.COORDINATOR, Role.ADMIN}:
        for group in await ctx.services.groups.all_groups():
            if ctx.actor.is_admin or any(
                u.key == group.unit_key for u in ctx.actor.units_as(Role.COORDINATOR)
            ):
                staff[group.id] = group
    return tuple(sorted(staff.values(), key=lambda g: g.name))


async def staff_group(
    ctx: Context,
    argument: str,
    bound: Group | None,
    *,
    none_key: str,
    choose_key: str,
    **params: object,
) -> Group:
    """The group meant: the conversation's own (bound) when nothing is named, the one named,
    or the speaker's only group; else say which groups there are (choose_key, with {groups})
    or that they have none (none_key); params go into those texts. Whether they may see it is
    the domain's to check."""
    if bound is not None and not argument:
        return bound
    groups = await staff_groups(ctx)
    if argument:
        found = find_group(groups, argument)
        if found is None:
            raise NotFound("bind.unknown_group", name=argument)
        return found
    if len(groups) == 1:
        return groups[0]
    if not groups:
        raise DomainError(none_key)
    raise DomainError(
        choose_key, groups=", ".join(g.name for g in groups), example=groups[0].name, **params
    )
