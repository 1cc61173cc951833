"""Text from outside (a RIS, a PACS, a file name) made safe to show: control characters escaped.

A worklist name with an ESC sequence would otherwise re-title, clear or recolour the operator's terminal
(issue 17, item 10). Every message parameter passes through :func:`printable`; so does every value the CLI
prints from a peer.
"""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """``text`` with C0/C1 control characters and DEL written as ``\\xNN`` (everything else unchanged)."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)
