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
_DNS_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")
_IPV4 = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")
_IPV6 = re.compile(r"^[0-9a-fA-F:]+$")
TLS_NAME_FORM = Bilingual("a host name (pacs.example.org) or an IP address",
                          "ein Rechnername (pacs.example.org) oder eine IP-Adresse")


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


def check_tls_name(value: str, setting: str) -> str:
    """Validate the name a TLS peer's certificate must be issued for (RFC 6125: a DNS name or an IP address).

    Empty means "the host of the peer's address". The name is compared with the certificate's subject
    alternative names by the TLS library (PS3.15 B.1: the peer is authenticated by its certificate).
    """
    name = value.strip()
    if not name:
        return ""
    labels = name.rstrip(".").split(".")
    ok = (len(name) <= 253 and (bool(_IPV4.match(name)) or (":" in name and bool(_IPV6.match(name)))
                                or all(_DNS_LABEL.match(label) for label in labels)))
    if not ok:
        raise ConfigError("config.invalid_value", setting=setting, value=value, expected=TLS_NAME_FORM)
    return name


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
    the roles of the configuration (``smartbox_next.config``). ``tls_name`` is the name the peer's TLS
    certificate must be issued for when it differs from ``host`` (a peer addressed by IP whose certificate
    names its DNS name); empty: ``host``.
    """

    ae_title: str
    host: str
    port: int
    tls: bool = False
    name: str = ""
    roles: frozenset[PeerRole] = frozenset()
    tls_name: str = ""

    @property
    def expected_tls_name(self) -> str:
        """The name the peer's certificate is checked against (its subject alternative names, RFC 6125)."""
        return self.tls_name or self.host

    @classmethod
    def parse(cls, text: str, *, setting: str = "peer", name: str = "", tls: bool = False,
              roles: frozenset[PeerRole] = frozenset(), tls_name: str = "") -> Peer:
        """Parse ``AET@host:port``; raise ConfigError naming ``setting`` when malformed."""
        m = _PEER_RE.match(text.strip())
        port = int(m.group("port")) if m else 0
        if m is None or not 0 < port < 65536:
            raise ConfigError("config.invalid_value", setting=setting, value=text, expected=PEER_FORM)
        aet = check_ae_title(m.group("aet"), setting)
        host = m.group("host").strip("[]")
        return cls(ae_title=aet, host=host, port=port, tls=tls, name=name or aet, roles=roles,
                   tls_name=check_tls_name(tls_name, f"{setting}.tls_name") if tls_name else "")

    def has(self, role: PeerRole) -> bool:
        return role in self.roles

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.ae_title}@{host}:{self.port}"
