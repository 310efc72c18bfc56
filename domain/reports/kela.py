"""Absences in Kela's terms: the reasons of form TT3, mapped from the roll call's reasons.

Kela knows five reasons for a day missed from rehabilitative work activity: own illness (a
certificate is needed beyond three days), a child under 10 being ill (up to four days), a job
interview or similar, a public office, and any other reason (no benefit for the day). A day the
service is not held is not an absence at all. The roll call's "technical problem" is no reason
Kela knows: it is reported as "other reason" and kept as a note. Where a city maps a reason
differently (an appointment as "similar to a job interview"), the mapping is configurable.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping

from domain.rollcall.model import Reason, Status


class KelaReason(enum.StrEnum):
    """A reason Kela accepts for an absence (form TT3)."""

    OWN_ILLNESS = "own_illness"
    CHILD_ILL = "child_ill"
    JOB_INTERVIEW = "job_interview"
    PUBLIC_OFFICE = "public_office"
    OTHER = "other"


DEFAULT_MAPPING: Mapping[Reason, KelaReason] = {
    Reason.SICK: KelaReason.OWN_ILLNESS,
    Reason.CHILD_SICK: KelaReason.CHILD_ILL,
    Reason.JOB_INTERVIEW: KelaReason.JOB_INTERVIEW,
    Reason.PUBLIC_OFFICE: KelaReason.PUBLIC_OFFICE,
    Reason.APPOINTMENT: KelaReason.OTHER,
    Reason.TECHNICAL: KelaReason.OTHER,
    Reason.OTHER: KelaReason.OTHER,
}

# reasons kept as a note beside the Kela reason
NOTED: frozenset[Reason] = frozenset({Reason.TECHNICAL})


def kela_reason(
    status: Status | None,
    reason: Reason | None,
    mapping: Mapping[Reason, KelaReason] = DEFAULT_MAPPING,
) -> KelaReason | None:
    """The Kela reason of a day: None when the person took part or has no mark; an absence
    without a reason (not excused) is "other reason"."""
    if status is Status.EXCUSED:
        return mapping.get(reason, KelaReason.OTHER) if reason else KelaReason.OTHER
    if status is Status.ABSENT:
        return KelaReason.OTHER
    return None


def kela_note(status: Status | None, reason: Reason | None) -> Reason | None:
    """The roll call's reason kept as a note (a technical problem), if any."""
    if status is Status.EXCUSED and reason in NOTED:
        return reason
    return None


def parse_mapping(text: str) -> dict[Reason, KelaReason]:
    """The default mapping changed by "appointment=job_interview,technical=other" (a setting).

    Raises ValueError naming the part that is not "<roll-call reason>=<Kela reason>"."""
    found = dict(DEFAULT_MAPPING)
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        left, equals, right = part.partition("=")
        try:
            if not equals:
                raise ValueError(part)
            found[Reason(left.strip().lower())] = KelaReason(right.strip().lower())
        except ValueError:
            raise ValueError(f"not a reason mapping: {part!r}") from None
    return found
