"""Values of one network link, free of pynetdicom: what a net function needs, what negotiation produced.

* :class:`LinkSettings` — our side of an association (calling AE title, timeouts, Maximum Length we receive,
  TLS files), built by the caller from the configuration sections (``LinkSettings.of(config.station,
  config.network)``); net functions take this instead of the whole ``Config``.
* :class:`Context` — a presentation context to propose (or, on an SCP, to support): one abstract syntax and
  its transfer syntaxes (PS3.8 §9.3.2.2, PS3.5 §10).
* :class:`AcceptedContext` — a context the peer accepted, with the one transfer syntax it chose (PS3.8
  §9.3.3.2).
* :class:`Rejection` / :class:`Attempt` — what an association attempt ended with (A-ASSOCIATE-RJ fields,
  PS3.8 §9.3.4; A-ABORT source, §9.3.8), for :mod:`smartbox_next.net.outcome` to turn into project errors.
* :class:`Fault` — what a peer did wrong, precisely (a PDU longer than we accept, a malformed PDU, bytes
  that are no DICOM at all, a TLS handshake that failed and why), noticed by :mod:`smartbox_next.net.guard`
  and :mod:`smartbox_next.net.tls` and reported by :mod:`smartbox_next.net.outcome` as what it is.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from enum import Enum

from smartbox_next.config import MAX_RECEIVE_PDU, NetworkConfig, StationConfig
from smartbox_next.dicom.sop import VERIFICATION

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
    max_pdu: int = 131072  # Maximum Length we announce (PS3.8 D.1; 0 = no limit announced)
    tls_certificate: str = ""
    tls_private_key: str = ""
    tls_ca_certificates: str = ""
    tls_system_ca: bool = False  # also trust the operating system's CA store (explicit opt-in)

    @property
    def receive_limit(self) -> int:
        """The largest P-DATA-TF PDU length we read: the Maximum Length we announced (PS3.8 §9.3.1, D.1).

        With 0 announced ("no limit") a PDU is still held in memory whole, so it is capped at
        :data:`~smartbox_next.config.MAX_RECEIVE_PDU` all the same (documented with ``network.max_pdu``).
        """
        return self.max_pdu if 0 < self.max_pdu <= MAX_RECEIVE_PDU else MAX_RECEIVE_PDU

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
            tls_system_ca=network.tls_system_ca,
        )


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


class FaultKind(Enum):
    """What a peer did wrong; the value is the message key (``smartbox_next.messages.net``)."""

    # the peer broke the protocol of an association (PS3.8 §9.3): we aborted it (A-ABORT, §9.3.8)
    PDU_TOO_LONG = "net.peer.pdu_too_long"  # longer than the Maximum Length we announced (D.1) or a sane bound
    MESSAGE_TOO_LONG = "net.peer.message_too_long"  # one DIMSE message's fragments add up beyond our bound
    MALFORMED = "net.peer.malformed"  # a PDU that does not decode (item lengths, field values)
    SLOW_PDU = "net.peer.slow_pdu"  # one PDU took longer than the ACSE / network timeout to arrive
    TRUNCATED = "net.peer.truncated"  # the connection closed in the middle of a PDU
    FLOOD = "net.peer.flood"  # more DIMSE messages than we read, for longer than the network timeout
    # the connection is no DICOM association at all
    NOT_DICOM = "net.peer.not_dicom"  # bytes that are no PDU (an HTTP server, another protocol)
    ANSWERS_TLS = "net.peer.answers_tls"  # a TLS record in answer to our plain A-ASSOCIATE-RQ
    CLOSED = "net.peer.closed"  # closed without answering the A-ASSOCIATE-RQ
    # DICOM over TLS (PS3.15 B.1): the handshake failed, and why
    TLS_UNKNOWN_CA = "net.tls.unknown_ca"
    TLS_EXPIRED = "net.tls.expired"
    TLS_NOT_YET_VALID = "net.tls.not_yet_valid"
    TLS_NAME_MISMATCH = "net.tls.name_mismatch"
    TLS_UNTRUSTED = "net.tls.untrusted"  # any other reason the certificate was not accepted
    TLS_NOT_TLS = "net.tls.not_tls"  # the peer answered our ClientHello with something that is not TLS
    TLS_PEER_REFUSED = "net.tls.peer_refused"  # the peer sent a TLS alert (our certificate, the version)
    TLS_CLOSED = "net.tls.closed"  # closed during the handshake
    TLS_TIMEOUT = "net.tls.timeout"  # connected, but the handshake did not finish in time
    TLS_FAILED = "net.tls.failed"  # any other TLS error (detail from OpenSSL)


@dataclass(frozen=True)
class Fault:
    """One thing a peer did wrong, with the facts for the message (sizes in bytes, time in seconds)."""

    kind: FaultKind
    pdu: str = ""  # PDU name (PS3.8 Table 9-11), e.g. "A-ASSOCIATE-AC"
    length: int = 0  # announced PDU length
    limit: int = 0  # what we accept
    received: int = 0  # bytes that did arrive
    seconds: float = 0.0
    detail: str = ""  # a short technical detail (a PDU type, OpenSSL's reason), never patient data


@dataclass
class Attempt:
    """What was seen of one association attempt (filled in by the DUL thread's events and the guard)."""

    connected: bool = False
    rejection: Rejection | None = None
    accepted: bool = False
    abort_source: int | None = None  # A-ABORT source (PS3.8 §9.3.8): 0 user, 2 provider; None = no abort seen
    fault: Fault | None = None  # the first thing the peer did wrong (None: nothing seen)
    started: float = field(default_factory=time.monotonic)

    def record(self, fault: Fault) -> None:
        """Keep the first fault: later ones are consequences (the connection is being torn down)."""
        if self.fault is None:
            self.fault = fault
