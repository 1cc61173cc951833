"""UID generation (PS3.5 §9.1, Annex B).

With a configured organisation root the suffix is random decimal digits (from a version 4 UUID),
filling the room up to 64 characters; without a root the UID is ``2.25.<UUID as decimal>``
(PS3.5 B.2). Both come from the OS random source, so they are unique across threads and processes
without coordination.
"""

from __future__ import annotations

import re
import uuid

from smartbox_next.errors import ConfigError

MAX_UID_LENGTH = 64
MAX_ROOT_LENGTH = 40  # leaves >= 23 random digits (~76 bits) for the suffix
_COMPONENT = r"(0|[1-9][0-9]*)"
_UID_RE = re.compile(rf"^{_COMPONENT}(\.{_COMPONENT})*\Z")  # \Z: no trailing newline

# Implementation Class UID (PS3.7 D.3.3.2, PS3.10 §7.1): the product's own, the same in every installation and
# in every object's File Meta and every association: one fixed UUID-derived UID (PS3.5 B.2, ITU-T X.667),
# generated once for SmartBox Next. (Earlier versions used a UID under pydicom's registered root
# 1.2.826.0.1.3680043.8.498, which identifies pydicom, not this product.) Shown in the conformance statement.
IMPLEMENTATION_CLASS_UID = "2.25.67039868217027769372345421301042745365"
PYDICOM_ROOT = "1.2.826.0.1.3680043.8.498."
IMPLEMENTATION_VERSION_NAME = "SMARTBOX_010"


def is_valid_uid(value: str) -> bool:
    """True when ``value`` is a syntactically valid UID (digits and dots, no leading zeros, ≤ 64)."""
    return 0 < len(value) <= MAX_UID_LENGTH and _UID_RE.match(value) is not None


def check_root(root: str) -> None:
    """Raise ConfigError unless ``root`` is empty or a usable organisation root."""
    if root == "":
        return
    if not _UID_RE.match(root):
        raise ConfigError("uid.bad_root", root=root, reason="digits and dots only, no leading zeros")
    if len(root) > MAX_ROOT_LENGTH:
        raise ConfigError(
            "uid.bad_root", root=root, reason=f"longer than {MAX_ROOT_LENGTH} characters, no room for a suffix"
        )


def generate_uid(root: str = "") -> str:
    """A new globally unique UID under ``root`` (or ``2.25.``)."""
    if not root:
        return f"2.25.{uuid.uuid4().int}"
    check_root(root)
    room = MAX_UID_LENGTH - len(root) - 1
    suffix = uuid.uuid4().int % (10**room)
    return f"{root}.{suffix}"
