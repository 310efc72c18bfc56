"""Help, language, binding a chat and the group list: nothing to build."""

from __future__ import annotations

from bot.features.kit import Plug
from dialogs import general

PLUG = Plug(general.FEATURE)
