"""Plain-text tables for the terminal: a head line, a rule, one line per row; nothing cut off."""

from __future__ import annotations

from collections.abc import Sequence

from smartbox_next.messages import printable


def format_table(heads: Sequence[str], rows: Sequence[Sequence[str]], *, right: Sequence[int] = ()) -> list[str]:
    """The lines of a table; columns as wide as their widest cell, those in ``right`` aligned right. Every cell
    is escaped for control characters (text from a RIS or a file name never reaches the terminal raw)."""
    cells = [[printable(str(c)) for c in row] for row in rows]
    widths = [max([len(h), *(len(r[i]) for r in cells)]) for i, h in enumerate(heads)]

    def line(values: Sequence[str]) -> str:
        cells = [v.rjust(w) if i in right else v.ljust(w)
                 for i, (v, w) in enumerate(zip(values, widths, strict=True))]
        return "  ".join(cells).rstrip()

    return [line(heads), line(["-" * w for w in widths]), *(line(r) for r in cells)]
