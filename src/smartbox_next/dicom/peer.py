"""The Peer value object: a remote DICOM application entity, written ``AET@host:port``, and what it is for."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from smartbox_next.errors import ConfigError
from smartbox_next.messages import Bilingual

_PEER_RE = re.compile(r"^(?P<aet>[^@]{1,16})@(?P<host>\[[0-9a-fA-F:]+\]|[A-Za-z0-9.\-_]+):(?P<port>\d{1,5})$")
PEER_FORM = Bilingual("AET@host:port (AE title 1-16 characters, port 1-65535)",
                      "AET@Rechner:Port (AE-Titel 1-16 Zeichen, Port 1-65535)")


def check_ae_title(value: str, setting: str) -> str:
    """Validate an AE title (PS3.5 Table 6.2-1: ≤16 bytes, no backslash or control characters, not all spaces)."""
    ok = (
        0 < len(value.encode("ascii", "replace")) <= 16
        and value.strip() != ""
        and value.isascii()
        and "\\" not in value
        and all(32 <= ord(c) < 127 for c in value)
    )
    if not ok:
        raise ConfigError(
            "config.invalid_value",
            setting=setting,
            value=value,
            expected=Bilingual("an AE title: 1-16 ASCII characters, no backslash",
                               "ein AE-Titel: 1-16 ASCII-Zeichen, ohne Backslash"),
        )
    return value.strip()


class PeerRole(StrEnum):
    """What a configured peer is for: the SCP role it plays for this station (in the order shown)."""

    STORAGE = "storage"  # Storage SCP: receives C-STORE; an outbox destination (PS3.4 Annex B)
    WORKLIST = "worklist"  # Modality Worklist SCP: answers C-FIND (PS3.4 Annex K)
    MPPS = "mpps"  # Modality Performed Procedure Step SCP: N-CREATE/N-SET (PS3.4 Annex F)
    COMMITMENT = "commitment"  # Storage Commitment SCP: N-ACTION/N-EVENT-REPORT (PS3.4 Annex J)


ROLE_ORDER = tuple(PeerRole)


def sorted_roles(roles: frozenset[PeerRole]) -> list[PeerRole]:
    """``roles`` in the order of :class:`PeerRole` (how they are shown and written)."""
    return [r for r in ROLE_ORDER if r in roles]


@dataclass(frozen=True)
class Peer:
    """A remote AE: title, host, port, whether to speak DICOM over TLS (PS3.15 B.1), and its roles.

    ``roles`` is empty for a peer given ad hoc (``smartbox send --to AET@host:port``); configured peers carry
    the roles of the configuration (``smartbox_next.config``).
    """

    ae_title: str
    host: str
    port: int
    tls: bool = False
    name: str = ""
    roles: frozenset[PeerRole] = frozenset()

    @classmethod
    def parse(cls, text: str, *, setting: str = "peer", name: str = "", tls: bool = False,
              roles: frozenset[PeerRole] = frozenset()) -> Peer:
        """Parse ``AET@host:port``; raise ConfigError naming ``setting`` when malformed."""
        m = _PEER_RE.match(text.strip())
        port = int(m.group("port")) if m else 0
        if m is None or not 0 < port < 65536:
            raise ConfigError("config.invalid_value", setting=setting, value=text, expected=PEER_FORM)
        aet = check_ae_title(m.group("aet"), setting)
        host = m.group("host").strip("[]")
        return cls(ae_title=aet, host=host, port=port, tls=tls, name=name or aet, roles=roles)

    def has(self, role: PeerRole) -> bool:
        return role in self.roles

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.ae_title}@{host}:{self.port}"
