"""Values of one network link, free of pynetdicom: what a net function needs, what negotiation produced.

* :class:`LinkSettings` — our side of an association (calling AE title, timeouts, Maximum Length we receive,
  TLS files), built by the caller from the configuration sections (``LinkSettings.of(config.station,
  config.network)``); net functions take this instead of the whole ``Config``.
* :class:`Context` — a presentation context to propose (or, on an SCP, to support): one abstract syntax and
  its transfer syntaxes (PS3.8 §9.3.2.2, PS3.5 §10).
* :class:`AcceptedContext` — a context the peer accepted, with the one transfer syntax it chose (PS3.8
  §9.3.3.2).
* :class:`Rejection` / :class:`Attempt` — what an association attempt ended with (A-ASSOCIATE-RJ fields,
  PS3.8 §9.3.4; A-ABORT source, §9.3.8), for :mod:`smartbox_next.net.session` to turn into project errors.
"""

from __future__ import annotations

import ssl
import time
from dataclasses import dataclass, field

from smartbox_next.config import NetworkConfig, StationConfig
from smartbox_next.dicom.sop import VERIFICATION
from smartbox_next.errors import ConfigError

DEFAULT_TRANSFER_SYNTAXES: tuple[str, ...] = (
    "1.2.840.10008.1.2",  # Implicit VR Little Endian, the default transfer syntax (PS3.5 §10.1)
    "1.2.840.10008.1.2.1",  # Explicit VR Little Endian
    "1.2.840.10008.1.2.1.99",  # Deflated Explicit VR Little Endian
    "1.2.840.10008.1.2.2",  # Explicit VR Big Endian (retired, still proposed for Verification)
)
"""Proposed for Verification and other contexts without bulk data (the four non-compressed syntaxes)."""

MAX_CONTEXTS = 128
"""Presentation context IDs are odd numbers 1-255 (PS3.8 §9.3.2.2): at most 128 per association."""


@dataclass(frozen=True)
class LinkSettings:
    """Our side of an association: identity, timeouts (seconds), receive PDU size, TLS files (PEM paths)."""

    calling_ae: str = "SMARTBOX"
    connect_timeout: float = 10.0
    acse_timeout: float = 30.0
    dimse_timeout: float = 600.0
    network_timeout: float = 600.0
    max_pdu: int = 131072  # Maximum Length we announce (PS3.8 D.1; 0 = unlimited)
    tls_certificate: str = ""
    tls_private_key: str = ""
    tls_ca_certificates: str = ""

    @classmethod
    def of(cls, station: StationConfig, network: NetworkConfig) -> LinkSettings:
        """The settings of ``[station]`` (own AE title) and ``[network]`` (timeouts, PDU size, TLS)."""
        return cls(
            calling_ae=station.ae_title,
            connect_timeout=network.connect_timeout,
            acse_timeout=network.acse_timeout,
            dimse_timeout=network.dimse_timeout,
            network_timeout=network.network_timeout,
            max_pdu=network.max_pdu,
            tls_certificate=network.tls_certificate,
            tls_private_key=network.tls_private_key,
            tls_ca_certificates=network.tls_ca_certificates,
        )


def tls_context(settings: LinkSettings) -> ssl.SSLContext:
    """Client TLS context (PS3.15 B.1 / B.9): verifies the peer with the configured CA, presents our certificate."""
    try:
        ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=settings.tls_ca_certificates or None)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        if settings.tls_certificate:
            ctx.load_cert_chain(settings.tls_certificate, settings.tls_private_key or None)
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError("config.invalid_value", setting="network.tls_*", value=str(exc),
                          expected="readable PEM certificate, key and CA files") from None
    ctx.check_hostname = False  # DICOM peers are identified by certificate chain, often by IP address
    return ctx


@dataclass(frozen=True)
class Context:
    """A presentation context: one abstract syntax and the transfer syntaxes offered for it (PS3.8 §9.3.2.2)."""

    abstract_syntax: str
    transfer_syntaxes: tuple[str, ...] = DEFAULT_TRANSFER_SYNTAXES

    def __post_init__(self) -> None:
        if not self.transfer_syntaxes:
            raise ValueError(f"presentation context for {self.abstract_syntax} without a transfer syntax")


VERIFICATION_CONTEXT = Context(VERIFICATION)
"""Verification (PS3.4 Annex A) with the default syntaxes; every acceptor must support it (PS3.2 §7.1.1)."""


@dataclass(frozen=True)
class AcceptedContext:
    """A context the peer accepted and the single transfer syntax it chose (PS3.8 §9.3.3.2)."""

    context_id: int
    abstract_syntax: str
    transfer_syntax: str


@dataclass(frozen=True)
class Rejection:
    """A-ASSOCIATE-RJ (PS3.8 §9.3.4): result 1 permanent / 2 transient, source 1-3, reason/diagnostic."""

    result: int
    source: int
    reason: int


@dataclass
class Attempt:
    """What was seen of one association attempt (filled in by the DUL thread's events)."""

    connected: bool = False
    rejection: Rejection | None = None
    accepted: bool = False
    abort_source: int | None = None  # A-ABORT source (PS3.8 §9.3.8): 0 user, 2 provider; None = no abort seen
    started: float = field(default_factory=time.monotonic)
