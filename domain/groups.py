"""Which groups a person can see in the 'groups' listing."""

from __future__ import annotations

from domain.model import Actor
from domain.org import Group, Role


def visible_groups(actor: Actor, groups: tuple[Group, ...]) -> tuple[Group, ...]:
    """Instructors see the groups they instruct, coordinators their units' groups, admins all."""
    if actor.is_admin:
        chosen = list(groups)
    else:
        keys = {g.key for g in actor.groups_as(Role.INSTRUCTOR)}
        units = {u.key for u in actor.units_as(Role.COORDINATOR)}
        chosen = [g for g in groups if g.key in keys or g.unit_key in units]
    return tuple(sorted(chosen, key=lambda g: g.name.casefold()))
