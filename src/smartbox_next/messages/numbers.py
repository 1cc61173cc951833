"""Sizes as operators read them, in one place for the CLI and the station: kB below 1 MB, MB with one decimal
(German decimal comma)."""

from __future__ import annotations


def mb(size: int, lang: str) -> str:
    """``4.2`` / ``4,2`` (MB, one decimal)."""
    text = f"{size / 1e6:.1f}"
    return text.replace(".", ",") if lang == "de" else text


def size_text(size: int, lang: str) -> str:
    """``512 kB`` / ``4,2 MB`` (decimal units; ``0 kB`` only for nothing, else at least ``1 kB``, so a small
    object never reads as nothing)."""
    if size <= 0:
        return "0 kB"
    kb = round(size / 1000)
    if kb < 1000:
        return f"{max(1, kb)} kB"
    return f"{mb(size, lang)} MB"
