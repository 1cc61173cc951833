"""The Peer value object: a remote DICOM application entity, written ``AET@host:port``."""

from __future__ import annotations

import re
from dataclasses import dataclass

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


@dataclass(frozen=True)
class Peer:
    """A remote AE: title, host, port and whether to speak DICOM over TLS (PS3.15 B.1)."""

    ae_title: str
    host: str
    port: int
    tls: bool = False
    name: str = ""

    @classmethod
    def parse(cls, text: str, *, setting: str = "peer", name: str = "", tls: bool = False) -> Peer:
        """Parse ``AET@host:port``; raise ConfigError naming ``setting`` when malformed."""
        m = _PEER_RE.match(text.strip())
        port = int(m.group("port")) if m else 0
        if m is None or not 0 < port < 65536:
            raise ConfigError("config.invalid_value", setting=setting, value=text, expected=PEER_FORM)
        aet = check_ae_title(m.group("aet"), setting)
        host = m.group("host").strip("[]")
        return cls(ae_title=aet, host=host, port=port, tls=tls, name=name or aet)

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.ae_title}@{host}:{self.port}"
