"""Numbers and moments as operators read them: sizes in kB/MB (German decimal comma), local times."""

from __future__ import annotations

from datetime import datetime


def mb(size: int, lang: str) -> str:
    """``4.2`` / ``4,2`` (MB, one decimal)."""
    text = f"{size / 1e6:.1f}"
    return text.replace(".", ",") if lang == "de" else text


def size_text(size: int, lang: str) -> str:
    """``512 kB`` / ``4,2 MB`` (decimal units)."""
    if size < 1_000_000:
        return f"{max(1, round(size / 1000))} kB"
    return f"{mb(size, lang)} MB"


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
