"""Incoming activities are handled once: what a claim on one found."""

from __future__ import annotations

import enum


class Claim(enum.Enum):
    """The outcome of claiming an activity for handling."""

    NEW = "new"  # never seen: handle it
    RETAKEN = "retaken"  # its handler died mid-turn: handle it again (turn writes are idempotent)
    DONE = "done"  # handled before: a duplicate
    BUSY = "busy"  # a live process is handling it right now
