"""Messages of the still-image area (see smartbox_next.messages)."""

from __future__ import annotations

from smartbox_next.messages._types import Message

MESSAGES: dict[str, Message] = {}
