"""Who is talking: match a Teams user to a stored person, and what they may do."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace

from domain.model import Actor, RoleGrant, TeamsUser
from domain.org import Language, Person
from domain.ports import OrgRepository

UpnLookup = Callable[[], Awaitable[str | None]]


class Directory:
    """Finds or records the person behind a Teams user."""

    def __init__(self, org: OrgRepository) -> None:
        self._org = org

    async def identify(
        self,
        user: TeamsUser,
        lookup_upn: UpnLookup,
        known: tuple[Person, tuple[RoleGrant, ...]] | None = None,
        *,
        searched: bool = False,
    ) -> Actor:
        """Return the actor for user, matching by Teams id, AAD id, then UPN (asked lazily).

        known: the person stored under the user's Teams id (or, not yet there, their AAD id)
        with their roles, when the caller has read them already (one trip for the whole turn).
        searched: the caller looked by Teams id and AAD id and found nobody (known is None).
        """
        if known is not None:
            return Actor(person=await self._refresh(known[0], user), grants=known[1])
        person = None
        if not searched:
            person = await self._org.person_by_teams_id(user.teams_id)
            if person is None and user.aad_object_id:
                person = await self._org.person_by_aad(user.aad_object_id.lower())
        if person is None and await self._org.has_people_waiting_for_upn_match():
            upn = await lookup_upn()
            if upn:
                found = await self._org.person_by_upn(upn.lower())
                # a stored AAD id that differs means this UPN now belongs to someone else
                if found and (
                    found.aad_object_id is None
                    or found.aad_object_id == (user.aad_object_id or "").lower()
                ):
                    person = found
        if person is None:
            person = await self._org.add_person(
                Person(
                    name=user.name or "?",
                    teams_id=user.teams_id,
                    aad_object_id=user.aad_object_id.lower() if user.aad_object_id else None,
                )
            )
        else:
            person = await self._refresh(person, user)
        assert person.id is not None
        return Actor(person=person, grants=await self._org.grants_of(person.id))

    async def _refresh(self, person: Person, user: TeamsUser) -> Person:
        aad = user.aad_object_id.lower() if user.aad_object_id else None
        changed = replace(
            person,
            teams_id=person.teams_id or user.teams_id,
            aad_object_id=person.aad_object_id or aad,
            name=user.name or person.name,
        )
        if changed != person:
            return await self._org.update_person(changed)
        return person

    async def set_language(self, actor: Actor, language: Language) -> Actor:
        """Store the person's own language choice."""
        await self._org.set_language(actor.person_id, language)
        return replace(actor, person=replace(actor.person, chosen_language=language))
