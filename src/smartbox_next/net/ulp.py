"""A small native association requestor (DICOM Upper Layer, PS3.8) for C-ECHO and C-STORE: stdlib sockets only.

pynetdicom imports pydicom, which imports numpy: half a second before the first byte goes out. Verification
and storage need none of it, so ``smartbox echo`` and ``smartbox send`` (and the delivery workers,
:mod:`smartbox_next.net.store_session`) speak the upper layer themselves, with the same guard, TLS trust model
and error mapping as every other association:

* **A-ASSOCIATE-RQ** (PS3.8 §9.3.2, Table 9-11): protocol version 1, called and calling AE titles, the DICOM
  Application Context Name (PS3.7 A.2.1; item 10H), one presentation context item per proposed context (IDs 1,
  3, 5, …, §9.3.2.2; items 20H/30H/40H) and the user information item (50H, PS3.7 D.3.3): Maximum Length
  (51H, PS3.8 D.1), Implementation Class UID (52H) and Implementation Version Name (55H, PS3.7 D.3.3.2) from
  :mod:`smartbox_next.dicom.uid`. Byte for byte what pynetdicom sends for the same values (tested).
* **Every read through** :class:`~smartbox_next.net.guard.PduGuard`: the PDU header against what we announced
  and sane bounds, the structure of an A-ASSOCIATE-AC, RJ, A-ABORT and of P-DATA-TF PDV items, a deadline per
  PDU (ACSE timeout while associating, network timeout after), reads and writes in short kernel-timeout slices.
  What the peer did wrong is a :class:`~smartbox_next.net.link.Fault` on the :class:`~smartbox_next.net.link.
  Attempt`, answered with an A-ABORT (source 2); what passes the guard and still cannot be used (an AC item that
  does not decode, a command set without Status) is recorded the same way (:meth:`PduGuard.fail`).
* **A-ASSOCIATE-AC / RJ** (§9.3.3, §9.3.4): accepted contexts checked against what we proposed (one of our
  transfer syntaxes under one of our IDs), the peer's Maximum Length; a rejection's result, source, reason.
* **P-DATA-TF** (§9.3.5, Annex E): the C-ECHO-RQ and C-STORE-RQ command sets (PS3.7 §9.3.5.1, §9.3.1.1;
  Implicit VR Little Endian §6.3.1), fragmented to the peer's Maximum Length (a C-STORE's data set is
  streamed by :mod:`smartbox_next.net.stream` through :meth:`Association.pdu_socket`); the response
  (§9.3.5.2, §9.3.1.2) reassembled from its command fragments (bounded by the guard:
  :data:`~smartbox_next.net.guard.MAX_MESSAGE`), Status (0000,0900), Error Comment (0000,0902) and Message ID
  Being Responded To (0000,0120) read from it; a response to another message is skipped. A PDU the peer sends
  while we stream (an A-ABORT, an early response) is read between our writes (:meth:`Association.poll_peer`).
* **A-RELEASE-RQ/RP** (§9.3.6, §9.3.7) on success; **A-ABORT** (§9.3.8, source 0) on any local failure —
  the DIMSE timeout (PS3.7 §9.1), the caller's stop, an exception in the block — and source 2 reason 2
  ("unexpected PDU") for a PDU that has no place in the protocol state (PS3.8 Table 9-10, action AA-8).
* **TLS** (PS3.15 B.1/B.9): the context of :func:`smartbox_next.net.tls.client_context` (configured CA only,
  host name or ``tls_name`` checked, sent as SNI); a failed handshake becomes the fault :func:`~smartbox_next.
  net.tls.classify` names.

The PDUs and command sets themselves are encoded and parsed in :mod:`smartbox_next.net.pdu` (bytes only); this
module is the association that sends and reads them. Outcomes become project errors in
:mod:`smartbox_next.net.outcome`, the module :mod:`smartbox_next.net.session`
uses too.
"""

from __future__ import annotations

import logging
import select
import socket
import ssl
import struct
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, replace

from smartbox_next.dicom.peer import Peer
from smartbox_next.errors import NetworkError, NoAcceptedContextError
from smartbox_next.net import tls, wire
from smartbox_next.net.guard import HEADER, SLICE, PduGuard, abort_pdu
from smartbox_next.net.link import (
    MAX_CONTEXTS,
    VERIFICATION_CONTEXT,
    AcceptedContext,
    Attempt,
    Context,
    Fault,
    FaultKind,
    LinkSettings,
    Rejection,
)
from smartbox_next.net.outcome import (
    StopCheck,
    Stopped,
    association_error,
    dropped_error,
    timeout_error,
)
from smartbox_next.net.pdu import (
    A_ABORT,
    A_ASSOCIATE_AC,
    A_ASSOCIATE_RJ,
    A_RELEASE_RP,
    A_RELEASE_RQ,
    COMMAND_DATA_SET_TYPE,
    COMMAND_FIELD,
    DIMSE_COMMANDS,
    ERROR_COMMENT,
    MESSAGE_ID_BEING_RESPONDED_TO,
    NO_DATA_SET,
    P_DATA_TF,
    REASON_UNEXPECTED_PDU,
    SOURCE_PROVIDER,
    SOURCE_USER,
    STATUS,
    associate_rq,
    echo_command,
    parse_associate_ac,
    parse_command,
    pdata_tf,
    pdvs,
    release_rp,
    release_rq,
    us_value,
)

LOG = logging.getLogger(__name__)

# ------------------------------------------------------------------------------------------ association


@dataclass(frozen=True)
class Response:
    """A DIMSE response command as received: Command Field, Status (PS3.7 Annex C), the context it came on and
    the Error Comment (0000,0902) when the peer gave one (PS3.7 C.4)."""

    command_field: int
    status: int
    context_id: int
    comment: str = ""
    data_set: bytes | None = None  # read only when the caller asked for it (C-FIND identifiers)


def _text(raw: bytes | None) -> str:
    """An LO value of a command set (the default character repertoire; read as pydicom does, ISO 8859-1)."""
    return raw.decode("latin-1").strip(" \x00") if raw else ""


class Association:
    """One association we requested over our own socket; every read passes the guard (module docstring)."""

    def __init__(self, sock: socket.socket, settings: LinkSettings, peer: Peer, attempt: Attempt,
                 stop: StopCheck | None) -> None:
        self.sock = sock
        self.settings = settings
        self.peer = peer
        self.attempt = attempt
        self.stop = stop
        self.is_established = False
        self.accepted_contexts: tuple[AcceptedContext, ...] = ()
        self.peer_max_pdu = 0
        self._deadline: float | None = None  # a local wait (DIMSE timeout, release) ends here
        self._ended = False  # A-ABORT sent or received, released, or the connection is gone
        self._message_id = 0
        self._inbox: deque[tuple[int, bytes]] = deque()  # PDUs read while we were sending, not yet handled
        self._pdvs: deque[tuple[int, int, bytes]] = deque()  # PDV items of a PDU read, not yet handled
        self._pdu_socket: wire.PduSocket | None = None
        self.guard = PduGuard(sock, attempt, limit=settings.receive_limit, acse_timeout=settings.acse_timeout,
                              network_timeout=settings.network_timeout, established=lambda: self.is_established,
                              abort_requested=lambda: False, killed=self._interrupted, backlog=lambda: 0)
        self.guard.write = self._guard_write

    def _interrupted(self) -> bool:
        """Whether a blocked read or write should give up: the caller's stop, or our own deadline passed."""
        if self.stop is not None and self.stop():
            return True
        return self._deadline is not None and time.monotonic() > self._deadline

    def stopped(self) -> bool:
        return self.stop is not None and self.stop()

    def next_message_id(self) -> int:
        """A fresh DIMSE Message ID (PS3.7 §9.3.1.1: unique among outstanding requests), 1..65535."""
        self._message_id = self._message_id % 65535 + 1
        return self._message_id

    # --- the wire

    def _torn(self) -> bool:
        """A write of ours stopped part-way through a PDU: nothing else may go on the wire (it would be read as
        the rest of that PDU); closing the connection is what is left."""
        return self._pdu_socket is not None and self._pdu_socket.torn

    def _guard_write(self, data: bytes) -> None:
        """The guard's A-ABORT after a violation (not into the middle of a PDU of ours)."""
        self.write(data)

    def write(self, data: bytes) -> bool:
        """Write one or more whole PDUs; False when the connection broke or no byte went out in time (or a PDU
        of ours is cut off on the wire: :meth:`_torn`)."""
        if self._torn():
            self._ended = True
            return False
        try:
            if self.is_tls:
                with wire.tls_write_slice(self.sock):  # a blocking SSLSocket.send ignores SO_SNDTIMEO
                    self.guard.send(data)
            else:
                self.guard.send(data)
        except OSError:  # TimeoutError and ConnectionAbortedError included
            self._ended = True
            return False
        return True

    def _readable(self, until: float) -> bool:
        """Wait until the peer has sent something (or closed), at most until ``until`` or the caller's stop.

        A PDU's own deadline (the guard's) starts with its first byte, as with pynetdicom's DUL, which reads
        only a ready socket: a silent peer is a timeout of the step waiting for it (ACSE, DIMSE), not a slow PDU.
        """
        poller = select.poll()
        poller.register(self.sock, select.POLLIN | select.POLLPRI)
        while True:
            if isinstance(self.sock, ssl.SSLSocket) and self.sock.pending():
                return True  # decrypted bytes wait in the TLS layer
            remaining = until - time.monotonic()
            if remaining <= 0 or self.stopped():
                return False
            if poller.poll(min(SLICE, remaining) * 1000):
                return True

    def _ready_now(self) -> bool:
        """Whether the peer has sent something (or closed) that can be read without waiting."""
        if isinstance(self.sock, ssl.SSLSocket) and self.sock.pending():
            return True
        poller = select.poll()
        poller.register(self.sock, select.POLLIN | select.POLLPRI)
        return bool(poller.poll(0))

    def read_pdu(self, until: float) -> tuple[int, bytes] | None:
        """One whole PDU (type, body) through the guard, its first byte before ``until``; None when there is
        none: nothing came in time, the caller stopped, the guard refused it (a fault recorded, A-ABORT sent),
        the connection closed. A PDU that came in while we were sending (:meth:`poll_peer`) comes first."""
        if self._inbox:
            return self._inbox.popleft()
        return self._read_wire(until)

    def _read_wire(self, until: float) -> tuple[int, bytes] | None:
        wire.quick_ack(self.sock)  # a peer writing header and body apart (Nagle on) must not wait for our ACK
        if not self._readable(until):
            return None
        head = self.guard.recv(HEADER)
        wire.quick_ack(self.sock)
        if len(head) < HEADER:
            return None
        pdu_type, _, length = struct.unpack(">BBI", head)
        body = self.guard.recv(length)
        if len(body) < length:
            return None
        return pdu_type, bytes(body)

    def fail(self, fault: Fault) -> None:
        """A PDU passed the guard but cannot be used: record, A-ABORT (source 2), read nothing more."""
        self.guard.fail(fault)
        self._ended = True

    def _unexpected(self, pdu_type: int) -> None:
        """A PDU with no place in the current state (PS3.8 Table 9-10, AA-8): A-ABORT source 2, reason 2."""
        LOG.warning("unexpected PDU type %#04x from %s: aborting", pdu_type, self.peer)
        self.write(abort_pdu(SOURCE_PROVIDER, REASON_UNEXPECTED_PDU))
        self.attempt.abort_source = SOURCE_PROVIDER  # the provider's A-P-ABORT ends the association
        self._ended = True

    def _peer_ended(self, pdu_type: int, body: bytes) -> bool:
        """Handle an A-ABORT or an A-RELEASE-RQ of the peer; True when it was one (the association is over)."""
        if pdu_type == A_ABORT:
            self.attempt.abort_source = body[2]  # source (PS3.8 Table 9-26), checked by the guard
            self._ended = True
            return True
        if pdu_type == A_RELEASE_RQ:  # the peer releases (§9.3.6): confirm, the association is over
            self.write(release_rp())
            self._ended = True
            return True
        return False

    def poll_peer(self) -> bool:
        """While we send: read what the peer sent meanwhile, without waiting; False once the association ended.

        An A-ABORT or A-RELEASE-RQ ends it (:meth:`_peer_ended`); a P-DATA-TF (an early response) is kept for
        :meth:`wait_response`; anything else is unexpected (A-ABORT, PS3.8 Table 9-10 AA-8).
        """
        while not self._ended and self.attempt.fault is None and self._ready_now():
            answer = self._read_wire(time.monotonic() + SLICE)
            if answer is None:  # a fault, or the connection closed
                self._ended = True
                break
            pdu_type, body = answer
            if pdu_type == P_DATA_TF:
                self._inbox.append(answer)
            elif not self._peer_ended(pdu_type, body):
                self._unexpected(pdu_type)
        return not self._ended and self.attempt.fault is None

    @property
    def ended(self) -> bool:
        """The association is over: A-ABORT sent or received, released, a fault, or the connection is gone."""
        return self._ended or self.attempt.fault is not None

    @property
    def is_tls(self) -> bool:
        return isinstance(self.sock, ssl.SSLSocket)

    def pdu_socket(self, check: Callable[[], None] | None = None) -> wire.PduSocket:
        """The socket the senders write P-DATA-TF PDUs to (:mod:`smartbox_next.net.stream`): plain TCP with
        ``sendmsg``/``sendfile``, or TLS (:class:`~smartbox_next.net.wire.TlsPduSocket`). A write blocked by a
        slow peer runs ``check`` every slice and fails after the network timeout without progress."""
        if self._pdu_socket is None:
            kind = wire.TlsPduSocket if self.is_tls else wire.PduSocket
            self._pdu_socket = kind(self.sock, wire.new_write_lock(), idle_timeout=self.settings.network_timeout)
        self._pdu_socket.check = check
        return self._pdu_socket

    def touch(self) -> None:
        """We are busy sending (the pynetdicom association restarts its idle timer here; we have none)."""

    def queue_pdv(self, context_id: int, pdv: bytes) -> None:  # pragma: no cover - pdu_socket() is never None
        raise NotImplementedError("the native association writes P-DATA-TF PDUs through pdu_socket()")

    def queued_pdus(self) -> int:  # pragma: no cover - see queue_pdv
        return 0

    # --- association establishment (PS3.8 §7.1, §9.3.2-§9.3.4)

    def negotiate(self, contexts: Sequence[Context]) -> None:
        """Send the A-ASSOCIATE-RQ and read the answer into :attr:`attempt` and :attr:`accepted_contexts`."""
        # a failed write still reads: the peer's reason may wait unread (a TLS 1.3 alert refusing our certificate,
        # an A-ASSOCIATE-RJ, an A-ABORT); a connection closed without one is "closed without answering"
        self.write(associate_rq(self.settings.calling_ae, self.peer.ae_title, contexts, self.settings.max_pdu))
        answer = self.read_pdu(self.guard.acse_deadline)
        if answer is None:
            self.abort()  # the ACSE timeout or the caller's stop; no-op after a fault
            return
        pdu_type, body = answer
        if pdu_type == A_ASSOCIATE_AC:
            try:
                self.accepted_contexts, self.peer_max_pdu = parse_associate_ac(body, contexts)
            except (ValueError, IndexError) as exc:
                self.fail(Fault(FaultKind.MALFORMED, pdu="A-ASSOCIATE-AC", detail=f"cannot be processed: {exc}"))
                return
            self.attempt.accepted = True
            self.is_established = True
        elif pdu_type == A_ASSOCIATE_RJ:  # result, source, reason/diag. (Table 9-21), checked by the guard
            self.attempt.rejection = Rejection(body[1], body[2], body[3])
            self._ended = True
        elif pdu_type == A_ABORT:
            self._peer_ended(pdu_type, body)
        else:  # an A-ASSOCIATE-RQ, P-DATA-TF, A-RELEASE-RQ/RP while awaiting the AC (Sta5)
            self._unexpected(pdu_type)

    # --- data transfer (PS3.8 §9.3.5, PS3.7 §9.3)

    def send_command(self, context_id: int, command: bytes, operation: str, data_set: bytes | None = None) -> None:
        """Send one command set and the small data set that belongs to it (a C-FIND identifier; a C-STORE's is
        streamed, :mod:`smartbox_next.net.stream`); raises the error for a connection that broke."""
        pdus = pdata_tf(context_id, command, self.peer_max_pdu)
        if data_set is not None:
            pdus += pdata_tf(context_id, data_set, self.peer_max_pdu, command=False)
        if not self.write(b"".join(pdus)):
            answer = self.read_pdu(time.monotonic() + 0.2)  # an A-ABORT that explains it, if one came
            if answer is not None:
                self._peer_ended(*answer)
            raise self._broken(operation)

    def wait_response(self, message_id: int, operation: str, *, data_set: bool = False) -> Response:
        """The response to request ``message_id`` within the DIMSE timeout (PS3.7 §9.1); with ``data_set`` the
        data set that follows a response announcing one (a C-FIND identifier, PS3.7 §9.3.2.2) comes with it.

        Responses to other messages (and their data sets) and requests of the peer are skipped (logged). A data
        set fragment where a command is expected, or a command where the rest of a data set is, is a malformed
        message (A-ABORT). Raises ResponseTimeoutError (after an A-ABORT), AssociationAbortedError /
        ConnectError for what ended the association, and :class:`Stopped` once the caller's stop is set.
        """
        deadline = self._deadline = time.monotonic() + self.settings.dimse_timeout
        command = bytearray()
        data = bytearray()
        awaiting: Response | None = None  # a response whose data set is still coming
        skipping = False  # the data set of a response to another message
        try:
            while True:
                context_id, control, fragment = self._next_pdv(deadline, operation)
                in_data_set = awaiting is not None or skipping
                if bool(control & 0x01) == in_data_set:  # PS3.8 E.2: a message is its command, then its data
                    detail = (f"a command where the data set of a {operation}-RSP was expected" if in_data_set
                              else f"a data set where a {operation}-RSP command was expected")
                    self.fail(Fault(FaultKind.MALFORMED, pdu="P-DATA-TF", detail=detail))
                    raise self._broken(operation)
                if in_data_set:
                    if not skipping:
                        data += fragment
                    if control & 0x02:
                        if awaiting is not None:
                            return replace(awaiting, data_set=bytes(data))
                        skipping = False
                    continue
                command += fragment
                if not control & 0x02:
                    continue
                response, announced = self._response(bytes(command), context_id, message_id, operation)
                command.clear()
                if response is not None and not (data_set and announced):
                    return response
                if data_set and announced:
                    awaiting, skipping = response, response is None
        finally:
            self._deadline = None

    def _next_pdv(self, deadline: float, operation: str) -> tuple[int, int, bytes]:
        """The next PDV item (context ID, control header, fragment) of what the peer sent. A P-DATA-TF may carry
        several, even of different messages (PS3.8 §9.3.5): those after the one returned wait for the next call.
        Any other PDU ends the association (the peer's A-ABORT or A-RELEASE-RQ, else an unexpected PDU)."""
        while not self._pdvs:
            answer = self.read_pdu(deadline)
            if answer is None:
                raise self._no_answer(operation)
            pdu_type, body = answer
            if pdu_type != P_DATA_TF:
                if not self._peer_ended(pdu_type, body):
                    self._unexpected(pdu_type)
                raise self._broken(operation)
            self._pdvs.extend(pdvs(body))
        return self._pdvs.popleft()

    def _response(self, raw: bytes, context_id: int, message_id: int,
                  operation: str) -> tuple[Response | None, bool]:
        """The response in command set ``raw`` if it answers ``message_id`` (None for another message), and
        whether a data set follows it (Command Data Set Type, PS3.7 E.1-1)."""
        try:
            elements = parse_command(raw)
        except ValueError as exc:
            self.fail(Fault(FaultKind.MALFORMED, pdu="P-DATA-TF", detail=f"command set: {exc}"))
            raise self._broken(operation) from None
        field = us_value(elements, COMMAND_FIELD)
        if field is None or field not in DIMSE_COMMANDS:
            self.fail(Fault(FaultKind.MALFORMED, pdu="P-DATA-TF", detail=f"command field {field}"))
            raise self._broken(operation)
        has_data_set = us_value(elements, COMMAND_DATA_SET_TYPE) not in (None, NO_DATA_SET)
        if us_value(elements, MESSAGE_ID_BEING_RESPONDED_TO) != message_id:  # as pynetdicom: any command
            LOG.warning("ignoring unexpected DIMSE message (command field %#06x)", field)
            return None, has_data_set
        status = us_value(elements, STATUS)
        if status is None:
            self.fail(Fault(FaultKind.MALFORMED, pdu="P-DATA-TF", detail=f"{operation}-RSP without a Status"))
            raise self._broken(operation)
        if not any(cx.context_id == context_id for cx in self.accepted_contexts):  # read as pynetdicom does
            LOG.warning("%s-RSP on presentation context %d, which was not accepted", operation, context_id)
        return Response(field, status, context_id, _text(elements.get(ERROR_COMMENT))), has_data_set

    def _no_answer(self, operation: str) -> BaseException:
        """The error when no PDU came: stop, DIMSE timeout (we abort), a fault, or the connection closed."""
        if self.stopped():
            return Stopped()
        if self.attempt.fault is None and self._deadline is not None and time.monotonic() > self._deadline:
            self.abort()
            return timeout_error(self.peer, self.attempt, operation)
        if self.attempt.fault is None and self.attempt.abort_source is None:
            # the connection closed: the provider's A-P-ABORT (PS3.8 Table 9-10, AA-4), as pynetdicom reports it
            self.attempt.abort_source = SOURCE_PROVIDER
        self._ended = True
        return dropped_error(self.peer, self.attempt, operation)

    def _broken(self, operation: str) -> NetworkError:
        self._ended = True
        return dropped_error(self.peer, self.attempt, operation)

    # --- ending (PS3.8 §9.3.6-§9.3.8)

    def abort(self) -> None:
        """A-ABORT (source 0, service-user) unless the association already ended; never waits for the peer."""
        if self._ended or self.attempt.fault is not None:
            self._ended = True
            return
        self._ended = True
        if self._torn():
            LOG.info("aborting %s by closing the connection: a PDU was cut off mid-write", self.peer)
            return  # an A-ABORT now would be read as part of the PDU; closing the connection is the abort
        self.guard.abandon()  # a peer that does not read gets one slice
        self.write(abort_pdu(SOURCE_USER, 0))

    def release(self) -> None:
        """A-RELEASE-RQ, then wait (ACSE timeout) for the A-RELEASE-RP; A-ABORT if it does not come."""
        if self._ended:
            return
        if not self.write(release_rq()):
            return
        deadline = self._deadline = time.monotonic() + self.settings.acse_timeout
        try:
            while not self._ended:
                answer = self.read_pdu(deadline)
                if answer is None:
                    self.abort()  # no-op after a fault
                    return
                pdu_type, body = answer
                if pdu_type in (A_RELEASE_RP, A_ABORT) or self._peer_ended(pdu_type, body):
                    self._ended = True  # release collision (an A-RELEASE-RQ): answered in _peer_ended
                    return
                if pdu_type != P_DATA_TF:  # P-DATA may still arrive (§9.3.6); anything else is unexpected
                    self._unexpected(pdu_type)
        finally:
            self._deadline = None
            self.is_established = False

    def close(self) -> None:
        with suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        with suppress(OSError):
            self.sock.close()


def _connect(settings: LinkSettings, peer: Peer, attempt: Attempt) -> socket.socket | None:
    """The TCP connection (TLS handshake done) tuned for the guard; None when it failed (a TLS failure is
    recorded on ``attempt`` as the fault :func:`~smartbox_next.net.tls.classify` names)."""
    context = tls.client_context(settings, peer) if peer.tls else None  # raises for a missing CA first
    try:
        sock = socket.create_connection((peer.host, peer.port), timeout=settings.connect_timeout)
    except OSError as exc:
        LOG.info("no connection to %s: %s", peer, exc)
        return None
    if context is not None:
        try:
            sock = context.wrap_socket(sock, server_hostname=peer.expected_tls_name)
        except OSError as exc:  # ssl.SSLError, a timeout, a reset
            with suppress(OSError):
                sock.close()
            attempt.record(tls.classify(exc, connect_timeout=settings.connect_timeout))
            return None
    sock.settimeout(None)  # blocking; the kernel's SO_RCVTIMEO / SO_SNDTIMEO give the guard its slices
    wire.tune(sock)
    wire.set_send_timeout(sock, SLICE)
    wire.set_recv_timeout(sock, SLICE)
    return sock


@contextmanager
def open_association(settings: LinkSettings, peer: Peer, contexts: Sequence[Context], *,
                     stop: StopCheck | None = None) -> Iterator[Association]:
    """An established association with exactly ``contexts`` (≤ 128, PS3.8 §9.3.2.2); released on exit, aborted
    when the block raises.

    Raises ConnectError, AssociationRejectedError, AssociationAbortedError, ResponseTimeoutError or
    NoAcceptedContextError (:func:`smartbox_next.net.outcome.association_error`), :class:`Stopped` once
    ``stop()`` is true.
    """
    if len(contexts) > MAX_CONTEXTS:
        raise ValueError("at most 128 presentation contexts per association (PS3.8 9.3.2.2)")
    LOG.info("associating with %s (%d contexts)", peer, len(contexts))
    attempt = Attempt()
    sock = _connect(settings, peer, attempt)
    if sock is None:
        raise association_error(peer, attempt, (), contexts)
    attempt.connected = True
    assoc = Association(sock, settings, peer, attempt, stop)
    try:
        assoc.negotiate(contexts)
        if assoc.stopped():
            assoc.abort()
            raise Stopped
        if not assoc.is_established or not assoc.accepted_contexts:
            if assoc.is_established:
                assoc.abort()  # established, but with nothing we can use
            raise association_error(peer, attempt, assoc.accepted_contexts, contexts)
        try:
            yield assoc
        except BaseException:
            assoc.abort()
            raise
        else:
            assoc.release()
    finally:
        assoc.close()


def verification_context_id(accepted: Sequence[AcceptedContext], peer: Peer) -> int:
    """The ID of the accepted Verification context; NoAcceptedContextError when there is none."""
    context_id = next((cx.context_id for cx in accepted
                       if cx.abstract_syntax == VERIFICATION_CONTEXT.abstract_syntax), None)
    if context_id is None:
        raise NoAcceptedContextError("net.no_context", peer=str(peer), sop_class=VERIFICATION_CONTEXT.abstract_syntax,
                                     transfer_syntax=VERIFICATION_CONTEXT.transfer_syntaxes[0])
    return context_id


def echo(assoc: Association) -> int:
    """One C-ECHO-RQ on the accepted Verification context and the Status of its C-ECHO-RSP (PS3.7 §9.3.5)."""
    context_id = verification_context_id(assoc.accepted_contexts, assoc.peer)
    message_id = assoc.next_message_id()
    assoc.send_command(context_id, echo_command(message_id), "C-ECHO")
    return assoc.wait_response(message_id, "C-ECHO").status

