"""Associate, map outcomes to project errors, release — the only module reading pynetdicom's flags.

``open_session(config, peer, contexts)`` is a context manager yielding a :class:`Session`; it raises
ConnectError (no TCP connection), AssociationRejectedError (A-ASSOCIATE-RJ, PS3.8 §9.3.4; retryable
only for a transient rejection), AssociationAbortedError (A-ABORT / A-P-ABORT, PS3.8 §9.3.8),
ResponseTimeoutError, or NoAcceptedContextError. ``Session.check(op)`` turns an empty DIMSE answer
into the right error. TCP_NODELAY is set on the socket as soon as it opens (small exchanges take
~10 ms instead of ~100 ms with Nagle + delayed ACK). pynetdicom never logs identifiers (patient data).
"""

from __future__ import annotations

import logging
import queue
import socket
import ssl
import struct
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import Any

from pydicom.dataset import Dataset
from pynetdicom import AE, _config, evt
from pynetdicom.association import Association
from pynetdicom.dimse_primitives import C_ECHO
from pynetdicom.pdu_primitives import A_ABORT, A_ASSOCIATE, A_P_ABORT, P_DATA
from pynetdicom.presentation import PresentationContext

from smartbox_next.config import Config
from smartbox_next.dicom.peer import Peer
from smartbox_next.dicom.uid import IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME
from smartbox_next.errors import (
    AssociationAbortedError,
    AssociationRejectedError,
    ConfigError,
    ConnectError,
    NetworkError,
    NoAcceptedContextError,
    ResponseTimeoutError,
)

LOG = logging.getLogger(__name__)

# Privacy: identifiers carry patient data; pynetdicom must not log them (DESIGN: logs carry IDs only).
_config.LOG_REQUEST_IDENTIFIERS = False
_config.LOG_RESPONSE_IDENTIFIERS = False
logging.getLogger("pynetdicom").setLevel(logging.CRITICAL)  # its errors become our bilingual ones

# A-ASSOCIATE-RJ (PS3.8 Table 9-21): (source, reason) -> message key suffix
_REJECT_REASONS: dict[tuple[int, int], str] = {
    (1, 1): "no_reason",
    (1, 2): "application_context",
    (1, 3): "calling_ae",
    (1, 7): "called_ae",
    (2, 1): "no_reason",
    (2, 2): "protocol_version",
    (3, 1): "congestion",
    (3, 2): "local_limit",
}
_TCP_QUICKACK = getattr(socket, "TCP_QUICKACK", 12)
_ABORT_SOURCES = {0: "service-user", 1: "reserved", 2: "service-provider"}


@dataclass
class _Observed:
    """What the event handlers saw of one association attempt."""

    connected: bool = False
    reject: A_ASSOCIATE | None = None
    accepted: bool = False
    abort: A_ABORT | A_P_ABORT | None = None
    started: float = field(default_factory=time.monotonic)


def _on_conn_open(event: evt.Event, observed: _Observed) -> None:
    observed.connected = True
    sock = getattr(getattr(event.assoc.dul, "socket", None), "socket", None)
    if sock is not None:
        with suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def _on_acse_recv(event: evt.Event, observed: _Observed) -> None:
    primitive = getattr(event, "primitive", None)
    if isinstance(primitive, A_ASSOCIATE):
        if primitive.result in (1, 2):
            observed.reject = primitive
        elif primitive.result == 0:
            observed.accepted = True
    elif isinstance(primitive, A_ABORT | A_P_ABORT):
        observed.abort = primitive


def tls_context(config: Config) -> ssl.SSLContext:
    """Client TLS context (PS3.15 B.1 / B.9): verifies the peer with the configured CA, presents our certificate."""
    net = config.network
    try:
        ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=net.tls_ca_certificates or None)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        if net.tls_certificate:
            ctx.load_cert_chain(net.tls_certificate, net.tls_private_key or None)
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError("config.invalid_value", setting="network.tls_*", value=str(exc),
                          expected="readable PEM certificate, key and CA files") from None
    ctx.check_hostname = False  # DICOM peers are identified by certificate chain, often by IP address
    return ctx


def make_ae(config: Config, calling_ae: str | None = None) -> AE:
    """An AE with our identity (PS3.7 D.3.3.2) and the configured timeouts."""
    ae = AE(ae_title=calling_ae or config.station.ae_title)
    ae.implementation_class_uid = IMPLEMENTATION_CLASS_UID
    ae.implementation_version_name = IMPLEMENTATION_VERSION_NAME
    net = config.network
    ae.connection_timeout = net.connect_timeout
    ae.acse_timeout = net.acse_timeout
    ae.dimse_timeout = net.dimse_timeout
    ae.network_timeout = net.network_timeout
    ae.maximum_pdu_size = net.max_pdu
    return ae


class Session:
    """An established association plus what we observed of it."""

    def __init__(self, assoc: Association, peer: Peer, observed: _Observed) -> None:
        self.assoc = assoc
        self.peer = peer
        self._observed = observed
        self._message_id = 0
        self._send_timeout_set = False

    @property
    def accepted_contexts(self) -> list[PresentationContext]:
        return list(self.assoc.accepted_contexts)

    @property
    def rejected_contexts(self) -> list[PresentationContext]:
        return list(self.assoc.rejected_contexts)

    @property
    def peer_max_pdu(self) -> int:
        """The largest P-DATA-TF the peer accepts (0 = unlimited, PS3.8 D.1)."""
        return int(self.assoc.acceptor.maximum_length or 0)

    def check(self, operation: str) -> None:
        """Raise the right NetworkError when an operation got no answer (aborted, timed out, dropped)."""
        if self.assoc.is_established:
            return
        raise broken_error(self.peer, self._observed, operation)

    def echo(self) -> Dataset:
        """C-ECHO-RQ on the Verification context (PS3.7 §9.1.5) and its response status, waited for with
        :meth:`wait_response` (quick ACKs, so a Nagle-delayed peer answers in ~1 ms rather than ~40 ms)."""
        context_id = next((int(cx.context_id or 0) for cx in self.assoc.accepted_contexts
                           if str(cx.abstract_syntax) == "1.2.840.10008.1.1"), None)
        if context_id is None:
            raise NoAcceptedContextError("net.no_context", peer=str(self.peer), sop_class="1.2.840.10008.1.1",
                                         transfer_syntax="1.2.840.10008.1.2")
        req = C_ECHO()
        req.MessageID = self.next_message_id()
        req.AffectedSOPClassUID = "1.2.840.10008.1.1"
        self.assoc.dimse.send_msg(req, context_id)
        return self.wait_response(int(req.MessageID), "C-ECHO")

    def abandon(self) -> None:
        """Abort the association (A-ABORT, PS3.8 §9.3.8) after a local failure left a message incomplete."""
        if self.assoc.is_established:
            self.assoc.abort()

    # --- low-level access for the streaming sender (net/stream.py); pynetdicom internals stay here ---

    def next_message_id(self) -> int:
        """A fresh DIMSE Message ID (PS3.7 §9.3.1.1: unique among outstanding requests), 1..65535."""
        self._message_id = self._message_id % 65535 + 1
        return self._message_id

    def accepted_transfer_syntax(self, context_id: int) -> str | None:
        """The transfer syntax accepted for presentation context ``context_id`` (PS3.8 §9.3.3.2), or None."""
        for cx in self.assoc.accepted_contexts:
            if cx.context_id == context_id:
                return str(cx.transfer_syntax[0])
        return None

    def raw_socket(self) -> socket.socket | None:
        """The plain TCP socket to write P-DATA-TF PDUs to directly; None with TLS (use :meth:`queue_pdv`)."""
        sock = getattr(getattr(self.assoc.dul, "socket", None), "socket", None)
        if sock is None or isinstance(sock, ssl.SSLSocket) or not isinstance(sock, socket.socket):
            return None
        if not self._send_timeout_set:
            # bound blocking sends by the network timeout (kernel SO_SNDTIMEO; Python's own timeout stays None)
            seconds = float(self.assoc.network_timeout or 0)
            with suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO,
                                struct.pack("ll", int(seconds), int((seconds % 1) * 1_000_000)))
            self._send_timeout_set = True
        return sock

    def queue_pdv(self, context_id: int, pdv: bytes) -> None:
        """Hand one PDV (control header + fragment) to the DUL as a P-DATA request (TLS path)."""
        primitive = P_DATA()
        primitive.presentation_data_value_list.append((context_id, pdv))
        self.assoc.dul.send_pdu(primitive)

    def queued_pdus(self) -> int:
        """PDUs still waiting in the DUL's outgoing queue (for back-pressure)."""
        return int(self.assoc.dul.to_provider_queue.qsize())

    def touch(self) -> None:
        """We are busy sending: restart the network idle timer so a long upload is not taken as idle."""
        timer = getattr(self.assoc.dul, "_idle_timer", None)
        if timer is not None:
            timer.restart()

    def raise_if_broken(self, operation: str) -> None:
        """Raise when the peer aborted or the connection dropped while we were sending."""
        if self._observed.abort is not None or self.assoc.is_aborted or not self.assoc.is_established:
            raise self.broken(operation)

    def broken(self, operation: str, exc: BaseException | None = None) -> NetworkError:
        """The error for an association that broke during ``operation`` (A-ABORT seen, else dropped)."""
        if self._observed.abort is None and exc is not None:
            # give the DUL thread a moment to read a pending A-ABORT so we can name its source
            deadline = time.monotonic() + 0.2
            while self._observed.abort is None and time.monotonic() < deadline and self.assoc.dul.is_alive():
                time.sleep(0.005)
        if self._observed.abort is not None:
            return broken_error(self.peer, self._observed, operation)
        return AssociationAbortedError("net.aborted", peer=str(self.peer), operation=operation,
                                       source="network")

    def _next_message(self) -> tuple[Any, Any] | None:
        """Next DIMSE message; (None, None) when the association ended; None after the DIMSE timeout.

        While waiting, TCP_QUICKACK is re-armed every millisecond: peers that write a PDU header and body
        in two writes with Nagle on (DCMTK by default) otherwise wait for our delayed ACK, ~40 ms per response.
        """
        assoc = self.assoc
        sock = getattr(getattr(assoc.dul, "socket", None), "socket", None)  # TLS too: a socket option only
        timeout = assoc.dimse.dimse_timeout
        deadline = None if timeout is None else time.monotonic() + float(timeout)
        while True:
            try:
                item: tuple[Any, Any] = assoc.dimse.msg_queue.get(timeout=0.001)
                return item
            except queue.Empty:
                pass
            if deadline is not None and time.monotonic() > deadline:
                return None
            if sock is not None:
                with suppress(OSError):
                    sock.setsockopt(socket.IPPROTO_TCP, _TCP_QUICKACK, 1)

    def wait_response(self, message_id: int, operation: str) -> Dataset:
        """The response status of request ``message_id`` (Status and optional status elements, PS3.7 Annex C).

        Raises ResponseTimeoutError after the DIMSE timeout (the association is aborted, PS3.7 §9.1), or
        AssociationAbortedError when the peer aborted / the connection dropped.
        """
        assoc = self.assoc
        while True:
            item = self._next_message()
            if item is None:  # DIMSE timeout: abort (PS3.7 §9.1) and report
                assoc._handle_no_response()
                raise ResponseTimeoutError("net.timeout", peer=str(self.peer), operation=operation)
            _cx, rsp = item
            if rsp is None:
                raise self.broken(operation, ConnectionAbortedError())
            if getattr(rsp, "MessageIDBeingRespondedTo", None) != message_id:
                LOG.warning("ignoring unexpected DIMSE message %s during %s", type(rsp).__name__, operation)
                continue
            status: Dataset = assoc._check_received_status(rsp)
            if "Status" not in status:
                raise self.broken(operation)
            return status


def broken_error(peer: Peer, observed: _Observed, operation: str) -> NetworkError:
    """The error for an association that ended without an answer."""
    if observed.abort is not None:
        source = getattr(observed.abort, "abort_source", None)
        return AssociationAbortedError("net.aborted", peer=str(peer), operation=operation,
                                       source=_ABORT_SOURCES.get(int(source or 0), "unknown"))
    return ResponseTimeoutError("net.timeout", peer=str(peer), operation=operation)


def _raise_for_failed(peer: Peer, observed: _Observed, assoc: Association,
                      contexts: Sequence[PresentationContext]) -> None:
    if not observed.connected:
        raise ConnectError("net.connect_failed", peer=str(peer), host=peer.host, port=peer.port)
    if observed.reject is not None:
        rj = observed.reject
        source, reason = int(rj.result_source or 0), int(rj.diagnostic or 0)
        kind = _REJECT_REASONS.get((source, reason), "no_reason")
        transient = rj.result == 2
        raise AssociationRejectedError(f"net.rejected.{kind}", retryable=transient, peer=str(peer),
                                       result="transient" if transient else "permanent",
                                       source=source, reason=reason)
    if observed.accepted and not assoc.accepted_contexts:
        first = contexts[0] if contexts else None
        raise NoAcceptedContextError(
            "net.no_context", peer=str(peer),
            sop_class=str(getattr(first, "abstract_syntax", "")),
            transfer_syntax=", ".join(str(t) for t in (first.transfer_syntax if first else [])),
        )
    raise broken_error(peer, observed, "association")


def _keep_reactor_off_dimse(assoc: Association) -> None:
    """Stop pynetdicom's association reactor thread from taking DIMSE messages off the queue.

    As requestor we expect only responses to our own requests. pynetdicom's pause handshake
    (``_reactor_checkpoint`` / ``_is_paused``) has a window in which the reactor still takes one message —
    seen under load with several associations at once (a stolen C-STORE-RSP, then an abort). So the reactor
    simply never gets one; callers (ours, and pynetdicom's ``send_*`` used by other modules) read the queue
    from their own thread.
    """
    original = assoc.dimse.get_msg

    def guarded(block: bool = False) -> Any:
        if threading.current_thread() is assoc:
            return None, None
        return original(block)

    assoc.dimse.get_msg = guarded  # type: ignore[method-assign]


@contextmanager
def open_session(
    config: Config,
    peer: Peer,
    contexts: Sequence[PresentationContext],
    *,
    calling_ae: str | None = None,
    ext_neg: list[Any] | None = None,
    evt_handlers: Sequence[tuple[Any, ...]] = (),
) -> Iterator[Session]:
    """Open an association with exactly ``contexts`` (≤ 128, PS3.8 §9.3.2.2); release it on exit."""
    if len(contexts) > 128:
        raise ValueError("at most 128 presentation contexts per association (PS3.8 9.3.2.2)")
    ae = make_ae(config, calling_ae)
    observed = _Observed()
    handlers: list[Any] = [
        (evt.EVT_CONN_OPEN, _on_conn_open, [observed]),
        (evt.EVT_ACSE_RECV, _on_acse_recv, [observed]),
        *evt_handlers,
    ]
    tls_args = (tls_context(config), peer.host) if peer.tls else None
    LOG.info("associating with %s (%d contexts)", peer, len(contexts))
    assoc = ae.associate(
        peer.host, peer.port, contexts=list(contexts), ae_title=peer.ae_title,
        max_pdu=config.network.max_pdu, ext_neg=ext_neg, tls_args=tls_args, evt_handlers=handlers,
    )
    if not assoc.is_established:
        _raise_for_failed(peer, observed, assoc, contexts)
    _keep_reactor_off_dimse(assoc)
    session = Session(assoc, peer, observed)
    try:
        yield session
    except BaseException:
        if assoc.is_established:
            assoc.abort()
        raise
    else:
        if assoc.is_established:
            assoc.release()
    finally:
        ae.shutdown()
