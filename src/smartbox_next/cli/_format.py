"""Numbers and moments as operators read them: sizes in kB/MB (German decimal comma), local times."""

from __future__ import annotations

from datetime import datetime

from smartbox_next.messages.numbers import mb, size_text

__all__ = ["clock", "local_iso", "mb", "size_text"]


def local_iso(timestamp: float | None) -> str:
    """A moment as local ISO time (``2025-03-14T14:03:10+01:00``); ``-`` for none."""
    if not timestamp:
        return "-"
    return datetime.fromtimestamp(timestamp).astimezone().isoformat(timespec="seconds")


def clock(timestamp: float, now: datetime | None = None) -> str:
    """Local time of day (``14:03:10``), with the date when it is not today."""
    moment = datetime.fromtimestamp(timestamp)
    today = (now or datetime.now()).date()
    return moment.strftime("%H:%M:%S" if moment.date() == today else "%Y-%m-%d %H:%M:%S")
