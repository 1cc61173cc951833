"""The one door to pynetdicom: every other module in ``src/`` uses this narrow API (ruff TID251 enforces it).

As association requestor (PS3.8 §9.3, §7.1): :func:`associate` opens an association with our own
:class:`~smartbox_next.net.link.Context` values and returns an :class:`Association` whose accepted contexts and
peer Maximum Length are our values. Through it the senders write P-DATA-TF PDUs (:class:`~.wire.PduSocket`,
or the DUL queue with TLS), wait for a response status (PS3.7 Annex C), abort (A-ABORT, PS3.8 §9.3.8) and
release (A-RELEASE, §9.3.7) — for MPPS and Storage Commitment. :func:`store_command` and :func:`echo_command`
encode command sets (PS3.7 §9.3.1.1, §9.3.5.1; Implicit VR Little Endian, §6.3.1): pynetdicom's encoding, the
reference the native ones (:mod:`smartbox_next.net.ulp`, which C-ECHO, C-STORE and C-FIND use) are tested
against byte for byte.
As acceptor, :func:`start_server` runs a small SCP (C-STORE, MWL C-FIND, and always C-ECHO) for the loopback
demo and the coming Storage Commitment listener.

**Internals, checked not guessed.** pynetdicom has no public API for what the streaming sender needs, so this
module relies on pynetdicom 3.0 internals, all listed in :data:`CLASS_CONTRACT` (checked when this module is
imported) and :data:`INSTANCE_CONTRACT` (checked on every association, as soon as pynetdicom has built the
objects). A renamed attribute raises :class:`PynetdicomContractError` naming it and the installed version,
never a silent slow path. ``tests/test_net_adapter_contract.py`` exercises each against a real association.
The pin in ``pyproject.toml`` (:data:`SUPPORTED`) follows from this list.

**One writer per socket.** When the TCP connection opens (still inside pynetdicom's connect, before the
A-ASSOCIATE-RQ goes out) the DUL's ``AssociationSocket.send`` and ``close`` are wrapped to take the
association's write lock, the same lock :class:`~.wire.PduSocket` holds per write of whole PDUs.

**Every read guarded.** At the same moment the DUL's ``recv`` and ``ready`` are routed through a
:class:`~.guard.PduGuard` (PDU lengths against what we announced, PDU structure, a deadline per PDU, reads and
writes in short kernel-timeout slices, back-pressure on unread messages): whatever a peer sends, memory and
time stay bounded, and what it did wrong is recorded on the attempt (:class:`~.link.Fault`). TLS contexts come
from :mod:`~.tls` (trust model, host-name check, the handshake's real error).

**No side effects at import.** The privacy settings (pynetdicom must not log identifiers: patient data) are
applied by :func:`associate` and :func:`start_server`; the ``pynetdicom`` log level belongs to the
application's logging setup (``cli/_app.py``).
"""

from __future__ import annotations

import logging
import queue
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import suppress
from dataclasses import dataclass, replace
from enum import Enum
from io import BytesIO
from typing import Any

import pynetdicom
from pydicom.dataset import Dataset
from pynetdicom import AE, _config, _globals, evt
from pynetdicom.association import Association as PnAssociation
from pynetdicom.dimse import DIMSEServiceProvider
from pynetdicom.dimse_messages import C_ECHO_RQ, C_STORE_RQ
from pynetdicom.dimse_primitives import C_ECHO, C_STORE
from pynetdicom.dsutils import encode
from pynetdicom.dul import DULServiceProvider
from pynetdicom.fsm import StateMachine
from pynetdicom.pdu_primitives import A_ABORT, A_ASSOCIATE, A_P_ABORT, P_DATA
from pynetdicom.presentation import PresentationContext, build_context
from pynetdicom.timer import Timer
from pynetdicom.transport import AssociationSocket

from smartbox_next.dicom.peer import Peer
from smartbox_next.dicom.uid import IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME
from smartbox_next.net import tls, wire
from smartbox_next.net.guard import SLICE, PduGuard
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

LOG = logging.getLogger(__name__)

VERSION: str = pynetdicom.__version__
SUPPORTED = ">=3.0.4,<3.1"
"""pynetdicom versions whose internals match the contract below (keep in step with pyproject.toml)."""

LOGS_IDENTIFIERS = False
"""Whether pynetdicom may log C-FIND identifiers (patient data): never (DESIGN: logs carry IDs only)."""

APPLICATION_CONTEXT_NAME: str = str(_globals.APPLICATION_CONTEXT_NAME)
"""The DICOM Application Context Name pynetdicom proposes (PS3.7 A.2.1)."""

ALL_TRANSFER_SYNTAXES: tuple[str, ...] = tuple(str(ts) for ts in pynetdicom.ALL_TRANSFER_SYNTAXES)
"""Every transfer syntax pynetdicom knows (for an SCP that accepts anything, e.g. the loopback PACS)."""

STORAGE_SOP_CLASSES: tuple[str, ...] = tuple(str(cx.abstract_syntax) for cx in pynetdicom.AllStoragePresentationContexts
                                             if cx.abstract_syntax is not None)
"""Every storage SOP class pynetdicom knows (PS3.4 Annex B)."""


class PynetdicomContractError(RuntimeError):
    """The installed pynetdicom lacks an internal this adapter relies on: a defect of the installation."""


def _missing(owner: str, name: str, detail: str = "is missing") -> PynetdicomContractError:
    return PynetdicomContractError(
        f"pynetdicom {VERSION}: {owner}.{name} {detail}; smartbox_next.net.adapter relies on it "
        f"(supported: pynetdicom{SUPPORTED})")


CLASS_CONTRACT: tuple[tuple[object, str, str], ...] = (
    # (owner, attribute, why) — checked at import
    (PnAssociation, "_handle_no_response", "DIMSE timeout: abort the association as pynetdicom does (PS3.7 §9.1)"),
    (PnAssociation, "_check_received_status", "response primitive -> status data set (PS3.7 Annex C)"),
    (DIMSEServiceProvider, "get_msg", "wrapped so the association reactor thread never takes our responses"),
    (DULServiceProvider, "send_pdu", "TLS path: P-DATA primitives through the DUL queue"),
    (AssociationSocket, "send", "wrapped to take the association's write lock"),
    (AssociationSocket, "close", "wrapped to close only between two PDU writes"),
    (AssociationSocket, "recv", "replaced by the guard's bounded read (PDU length, deadline, structure)"),
    (AssociationSocket, "ready", "overridden: no read while unread DIMSE messages pile up (back-pressure)"),
    (AssociationSocket, "event_queue", "our write failing puts Evt17 there, as pynetdicom's send does"),
    (StateMachine, "do_action", "wrapped: a PDU pynetdicom cannot act on ends the association, not its thread"),
    (DULServiceProvider, "kill_dul", "stops the DUL after such a PDU"),
    (Timer, "restart", "network idle timer restarted while we stream"),
    (_config, "LOG_REQUEST_IDENTIFIERS", "privacy: no identifiers in pynetdicom's log"),
    (_config, "LOG_RESPONSE_IDENTIFIERS", "privacy: no identifiers in pynetdicom's log"),
    (C_STORE_RQ, "primitive_to_message", "C-STORE-RQ command set encoding"),
    (C_ECHO_RQ, "primitive_to_message", "C-ECHO-RQ command set encoding"),
)

INSTANCE_CONTRACT: tuple[tuple[str, str, type, str], ...] = (
    # (path from the Association, attribute, expected type, why) — checked on every association
    ("dul", "_idle_timer", Timer, "network idle timer restarted while we stream (else large videos time out)"),
    ("dul", "to_provider_queue", queue.Queue, "TLS path: back-pressure on the DUL's outgoing queue"),
    ("dimse", "msg_queue", queue.Queue, "responses read with quick ACKs"),
    ("dul", "socket", AssociationSocket, "the DUL's socket wrapper, whose writes take our lock"),
    ("dul.socket", "socket", socket.socket, "the TCP socket P-DATA-TF PDUs are written to (None once closed)"),
    ("dul", "_kill_thread", bool, "the guard's blocked read gives up when the DUL is being stopped"),
    ("dul", "event_queue", queue.Queue, "Evt17 from our write wrapper when the connection broke"),
    ("dul", "state_machine", StateMachine, "its do_action is wrapped (see CLASS_CONTRACT)"),
    ("dul", "to_user_queue", queue.Queue, "an A-P-ABORT there ends the ACSE's wait after such a PDU"),
)


def _check_classes() -> None:
    for owner, name, _why in CLASS_CONTRACT:
        if not hasattr(owner, name):
            raise _missing(getattr(owner, "__name__", str(owner)), name)


_check_classes()


def _require(root: object, path: str, name: str, kind: type, *, may_be_none: bool = False) -> Any:
    """``root.<path>.<name>``, checked to exist and to be a ``kind``; PynetdicomContractError otherwise.

    ``may_be_none``: None is a legal state of the attribute (a socket pynetdicom has closed).
    """
    obj = root
    for part in path.split("."):
        obj = getattr(obj, part)  # public attributes (dul, dimse) and attributes checked before
    owner = type(obj).__name__
    if not hasattr(obj, name):
        raise _missing(owner, name)
    value = getattr(obj, name)
    if value is None and may_be_none:
        return None
    if not isinstance(value, kind):
        raise _missing(owner, name, f"is a {type(value).__name__}, not a {kind.__name__}")
    return value


def apply_privacy() -> None:
    """Switch off pynetdicom's logging of identifiers (idempotent); done for every association and server."""
    _config.LOG_REQUEST_IDENTIFIERS = LOGS_IDENTIFIERS
    _config.LOG_RESPONSE_IDENTIFIERS = LOGS_IDENTIFIERS


# ------------------------------------------------------------------------------------------ commands


def _command_bytes(message: C_STORE_RQ | C_ECHO_RQ) -> bytes:
    encoded = encode(message.command_set, True, True)  # command sets: Implicit VR Little Endian (PS3.7 §6.3.1)
    if encoded is None:
        raise ValueError(f"{type(message).__name__} command set could not be encoded")
    return bytes(encoded)


def store_command(message_id: int, sop_class_uid: str, sop_instance_uid: str) -> bytes:
    """The C-STORE-RQ command set (PS3.7 §9.3.1.1), priority MEDIUM, with a data set present."""
    req = C_STORE()
    req.MessageID = message_id
    req.AffectedSOPClassUID = sop_class_uid
    req.AffectedSOPInstanceUID = sop_instance_uid
    req.Priority = 0  # MEDIUM
    req.DataSet = BytesIO(b"\x00")  # marks "data set present"; the real one is streamed
    msg = C_STORE_RQ()
    msg.primitive_to_message(req)
    return _command_bytes(msg)


def echo_command(message_id: int) -> bytes:
    """The C-ECHO-RQ command set (PS3.7 §9.3.5.1) for the Verification SOP Class, no data set."""
    req = C_ECHO()
    req.MessageID = message_id
    req.AffectedSOPClassUID = VERIFICATION_CONTEXT.abstract_syntax
    msg = C_ECHO_RQ()
    msg.primitive_to_message(req)
    return _command_bytes(msg)


# ------------------------------------------------------------------------------------- association


class NoResponse(Enum):
    """Why :meth:`Association.wait_response` returned without a status."""

    TIMEOUT = "timeout"  # DIMSE timeout: the association has been aborted (PS3.7 §9.1)
    ENDED = "ended"  # the association ended while waiting (A-ABORT, A-P-ABORT, connection closed)
    INVALID = "invalid"  # the response carried no valid status (pynetdicom aborted the association)
    STOPPED = "stopped"  # the caller's stop was set (the caller aborts the association)


_ABORT_PROVIDER = 2  # A-P-ABORT is issued by the UL service provider (PS3.8 §7.4, Table 9-26 source 2)


class _GuardedSocket(AssociationSocket):
    """The DUL's socket with the guard in ``recv`` and ``ready`` (its class is swapped in at connection open)."""

    smartbox_guard: PduGuard | None = None

    @property
    def ready(self) -> bool:
        guard = self.smartbox_guard
        if guard is not None and not guard.may_read():
            return False  # back-pressure: unread DIMSE messages pile up
        return bool(super().ready)

    def recv(self, nr_bytes: int) -> bytearray:
        guard = self.smartbox_guard
        return guard.recv(nr_bytes) if guard is not None else super().recv(nr_bytes)


def _abort_requested(dul: DULServiceProvider) -> bool:
    """Whether an A-ABORT (ours or pynetdicom's, e.g. after the ACSE timeout) waits in the DUL's queue."""
    pending = dul.to_provider_queue
    with pending.mutex:
        return any(isinstance(p, A_ABORT | A_P_ABORT) for p in pending.queue)


class _Watch:
    """Event handlers of one association attempt; they run in pynetdicom's DUL thread."""

    def __init__(self, lock: wire.WriteLock, settings: LinkSettings, stop: Callable[[], bool] | None = None) -> None:
        self.attempt = Attempt()
        self.lock = lock
        self.settings = settings
        self.stop = stop
        self.guard: PduGuard | None = None
        self.asock: AssociationSocket | None = None
        self.problem: PynetdicomContractError | None = None

    def watch_stop(self, done: threading.Event) -> None:
        """While pynetdicom negotiates (its wait for the A-ASSOCIATE-AC cannot be interrupted): once ``stop()``
        is true, the guard gives up and the socket is closed, so pynetdicom takes the transport as closed now."""
        assert self.stop is not None
        while not done.wait(SLICE):
            if self.stop():
                if self.guard is not None:
                    self.guard.abandon()
                if self.asock is not None:
                    self.asock.close()
                return

    def on_conn_open(self, event: evt.Event) -> None:
        self.attempt.connected = True
        assoc = event.assoc
        try:
            asock = _require(assoc, "dul", "socket", AssociationSocket)
            sock = _require(assoc, "dul.socket", "socket", socket.socket)
            _require(assoc, "dul", "_kill_thread", bool)
            _require(assoc, "dul", "to_provider_queue", queue.Queue)
            _require(assoc, "dimse", "msg_queue", queue.Queue)
            _require(assoc, "dul", "event_queue", queue.Queue)
            _require(assoc, "dul", "to_user_queue", queue.Queue)
            machine = _require(assoc, "dul", "state_machine", StateMachine)
        except PynetdicomContractError as exc:  # pynetdicom swallows handler exceptions: raised after associate
            self.problem = exc
            return
        wire.tune(sock)
        wire.set_send_timeout(sock, SLICE)
        wire.set_recv_timeout(sock, SLICE)
        dul, settings = assoc.dul, self.settings
        guard = PduGuard(sock, self.attempt, limit=settings.receive_limit, acse_timeout=settings.acse_timeout,
                         network_timeout=settings.network_timeout, established=lambda: bool(assoc.is_established),
                         abort_requested=lambda: _abort_requested(dul), killed=lambda: bool(dul._kill_thread),
                         backlog=lambda: int(assoc.dimse.msg_queue.qsize()))
        _guard_writes(asock, self.lock, guard)
        _guard_actions(machine, assoc, guard)
        asock.__class__ = _GuardedSocket
        asock.smartbox_guard = guard
        self.guard = guard
        self.asock = asock

    def on_acse_recv(self, event: evt.Event) -> None:
        primitive = event.primitive  # type: ignore[attr-defined]  # set for EVT_ACSE_RECV (pynetdicom events)
        if isinstance(primitive, A_ASSOCIATE):
            if primitive.result in (1, 2):
                self.attempt.rejection = Rejection(int(primitive.result), int(primitive.result_source or 0),
                                                   int(primitive.diagnostic or 0))
            elif primitive.result == 0:
                self.attempt.accepted = True
            else:  # decoded, but no A-ASSOCIATE-AC/RJ result PS3.8 defines (Table 9-21): pynetdicom aborts
                self.attempt.record(Fault(FaultKind.MALFORMED, pdu="A-ASSOCIATE-AC",
                                          detail=f"result {primitive.result}"))
        elif isinstance(primitive, A_ABORT):
            self.attempt.abort_source = int(primitive.abort_source or 0)
        elif isinstance(primitive, A_P_ABORT):
            self.attempt.abort_source = _ABORT_PROVIDER


def _guard_writes(asock: AssociationSocket, lock: wire.WriteLock, guard: PduGuard | None = None) -> None:
    """Make the DUL's writes take ``lock``; its close waits for a PDU in flight (after waking a blocked one).

    With a ``guard`` the write itself is the guard's (waits in slices; gives up once the association is being
    abandoned and the peer does not read); a failure puts Evt17 (transport closed) as pynetdicom's send does.
    """
    send, close = asock.send, asock.close

    def guarded_send(bytestream: bytes) -> None:
        assert guard is not None
        try:
            guard.send(bytestream)
        except OSError:
            asock.event_queue.put("Evt17")  # transport connection closed (PS3.8 Table 9-10)
            return
        evt.trigger(asock.assoc, evt.EVT_DATA_SENT, {"data": bytestream})

    def locked_send(bytestream: bytes) -> None:
        with lock:
            (send if guard is None else guarded_send)(bytestream)

    def locked_close() -> None:
        raw = asock.socket
        if raw is not None:
            with suppress(OSError):
                raw.shutdown(socket.SHUT_RDWR)  # wakes a writer blocked in the kernel, so it lets go of the lock
        with lock:
            close()
            if raw is not None:
                raw.close()  # idempotent; pynetdicom skips its close when its own shutdown raised

    asock.send = locked_send  # type: ignore[method-assign]
    asock.close = locked_close  # type: ignore[method-assign]
    if guard is not None:
        guard.write = locked_send


_PEER_EVENTS = {"Evt3": "A-ASSOCIATE-AC", "Evt4": "A-ASSOCIATE-RJ", "Evt6": "A-ASSOCIATE-RQ", "Evt10": "P-DATA-TF",
                "Evt12": "A-RELEASE-RQ", "Evt13": "A-RELEASE-RP", "Evt16": "A-ABORT", "Evt19": "PDU"}
"""State machine events caused by a PDU from the peer (PS3.8 Table 9-10) and the PDU's name."""


def _guard_actions(machine: StateMachine, assoc: PnAssociation, guard: PduGuard) -> None:
    """An exception while pynetdicom acts on the peer's PDU (a command set it cannot decode, a field value its
    primitives refuse) would kill the DUL thread with a traceback and leave our wait to its timeout. Instead:
    record the fault, abort (A-ABORT, source 2), end the association's waits now (PS3.8 §9.3.8)."""
    act = machine.do_action

    def guarded(event: str) -> None:
        try:
            act(event)
        except Exception as exc:
            name = _PEER_EVENTS.get(event)
            if name is None:  # a local event (our A-ABORT) after the association already ended: moot
                LOG.debug("ignoring %s in %s: %s", event, machine.current_state, exc)
                return
            remote = assoc.requestor if assoc.is_acceptor else assoc.acceptor
            LOG.warning("%s from %s could not be processed: %s", name, remote.ae_title, type(exc).__name__)
            guard.fail(Fault(FaultKind.MALFORMED, pdu=name, detail=f"cannot be processed: {type(exc).__name__}"))
            assoc.is_established = False
            assoc.is_aborted = True
            ended = A_P_ABORT()
            ended.provider_reason = 0x06  # invalid PDU parameter value
            assoc.dul.to_user_queue.put(ended)
            assoc.dimse.msg_queue.put((None, None))  # pynetdicom's end-of-association marker
            assoc.dul.kill_dul()
            asock = assoc.dul.socket
            if asock is not None:
                asock.close()

    machine.do_action = guarded  # type: ignore[method-assign]


def _keep_reactor_off_dimse(assoc: PnAssociation) -> None:
    """Stop pynetdicom's association reactor thread from taking DIMSE messages off the queue.

    As requestor we expect only responses to our own requests. pynetdicom's pause handshake
    (``_reactor_checkpoint`` / ``_is_paused``) has a window in which the reactor still takes one message —
    seen under load with several associations at once (a stolen C-STORE-RSP, then an abort). So the reactor
    (the Association thread itself) never gets one; we read the queue from the calling thread.
    """
    original = assoc.dimse.get_msg

    def guarded(block: bool = False) -> Any:
        if threading.current_thread() is assoc:
            return None, None
        return original(block)

    assoc.dimse.get_msg = guarded  # type: ignore[method-assign]


def _accepted(assoc: PnAssociation) -> tuple[AcceptedContext, ...]:
    """The accepted contexts, each checked against what we proposed under its ID (the peer is not trusted)."""
    proposed = {int(cx.context_id): cx for cx in assoc.requestor.requested_contexts if cx.context_id is not None}
    out: list[AcceptedContext] = []
    for cx in assoc.accepted_contexts:
        cid = cx.context_id
        mine = proposed.get(int(cid)) if cid is not None else None
        chosen = [str(ts) for ts in cx.transfer_syntax]
        if cid is None or mine is None or len(chosen) != 1 or chosen[0] not in [str(t) for t in mine.transfer_syntax]:
            LOG.warning("ignoring accepted context %s (%s): not one of the proposed transfer syntaxes", cid, chosen)
            continue
        out.append(AcceptedContext(int(cid), str(mine.abstract_syntax), chosen[0]))
    return tuple(out)


class Association:
    """An association we requested (established or not), reduced to what the senders need."""

    def __init__(self, ae: AE, assoc: PnAssociation, watch: _Watch) -> None:
        self._ae = ae
        self._assoc = assoc
        self._lock = watch.lock
        self._guard = watch.guard
        self.attempt = watch.attempt
        self.accepted_contexts: tuple[AcceptedContext, ...] = _accepted(assoc)
        self._msg_queue: queue.Queue[tuple[Any, Any]] = assoc.dimse.msg_queue
        # the TCP socket (an SSLSocket with TLS); None when the connection is already closed
        self._tcp: socket.socket | None = (
            _require(assoc, "dul.socket", "socket", socket.socket, may_be_none=True) if watch.attempt.connected
            else None)
        self._pdu_socket: wire.PduSocket | None = None

    @property
    def is_established(self) -> bool:
        return bool(self._assoc.is_established)

    @property
    def is_aborted(self) -> bool:
        return bool(self._assoc.is_aborted)

    @property
    def peer_max_pdu(self) -> int:
        """The largest P-DATA-TF variable field the peer accepts (PS3.8 D.1; 0 = unlimited)."""
        return int(self._assoc.acceptor.maximum_length or 0)

    @property
    def dimse_timeout(self) -> float | None:
        value = self._assoc.dimse_timeout
        return None if value is None else float(value)

    @dimse_timeout.setter
    def dimse_timeout(self, seconds: float | None) -> None:
        self._assoc.dimse_timeout = seconds

    @property
    def network_timeout(self) -> float | None:
        value = self._assoc.network_timeout
        return None if value is None else float(value)

    def dul_alive(self) -> bool:
        return bool(self._assoc.dul.is_alive())

    # --- sending

    def pdu_socket(self, check: Callable[[], None] | None = None) -> wire.PduSocket | None:
        """The plain TCP socket, written under the write lock; None with TLS (use :meth:`queue_pdv`).

        A write blocked by a slow peer runs ``check`` every slice (it raises to give up) and fails after the
        network timeout without progress. Raises ConnectionAbortedError when the connection is already closed.
        """
        if self._tcp is None:
            raise ConnectionAbortedError("the association's connection is closed")
        if isinstance(self._tcp, ssl.SSLSocket):
            return None  # an SSLSocket must not be written by two threads: the DUL writes all
        if self._pdu_socket is None:
            self._pdu_socket = wire.PduSocket(self._tcp, self._lock, idle_timeout=self.network_timeout or 600.0)
        self._pdu_socket.check = check
        return self._pdu_socket

    def queue_pdv(self, context_id: int, pdv: bytes) -> None:
        """Hand one PDV (message control header + fragment) to the DUL as a P-DATA request (TLS path)."""
        primitive = P_DATA()
        primitive.presentation_data_value_list.append((context_id, pdv))
        self._assoc.dul.send_pdu(primitive)

    def queued_pdus(self) -> int:
        """PDUs still waiting in the DUL's outgoing queue (back-pressure for the TLS path)."""
        return int(self._assoc.dul.to_provider_queue.qsize())

    def touch(self) -> None:
        """We are busy sending: restart the network idle timer so a long upload is not taken as idle."""
        self._assoc.dul._idle_timer.restart()

    # --- receiving

    def wait_response(self, message_id: int, stop: Callable[[], bool] | None = None) -> Dataset | NoResponse:
        """The status of the response to request ``message_id`` (Status and optional elements, PS3.7 Annex C).

        Messages answering other requests are logged and skipped. While waiting, TCP_QUICKACK is re-armed
        every millisecond (see :func:`~.wire.quick_ack`). After the DIMSE timeout the association is aborted
        (PS3.7 §9.1) and :attr:`NoResponse.TIMEOUT` returned; once ``stop()`` is true,
        :attr:`NoResponse.STOPPED` (the caller aborts).
        """
        timeout = self.dimse_timeout
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            if stop is not None and stop():
                return NoResponse.STOPPED
            try:
                _cx, rsp = self._msg_queue.get(timeout=0.001)
            except queue.Empty:
                if deadline is not None and time.monotonic() > deadline:
                    self._assoc._handle_no_response()
                    return NoResponse.TIMEOUT
                if self._tcp is not None:
                    wire.quick_ack(self._tcp)
                continue
            if rsp is None:  # pynetdicom's end-of-association marker (aborted, connection closed)
                return NoResponse.ENDED
            # a peer's message of any kind may arrive (every DIMSE primitive has the field, None in requests);
            # only a response to our request counts
            if rsp.MessageIDBeingRespondedTo != message_id:
                LOG.warning("ignoring unexpected DIMSE message %s", type(rsp).__name__)
                continue
            status: Dataset = self._assoc._check_received_status(rsp)
            return status if "Status" in status else NoResponse.INVALID

    # --- ending

    def abort(self) -> None:
        """A-ABORT (PS3.8 §9.3.8) if still established, without waiting for a peer that does not read."""
        if self._guard is not None:
            self._guard.abandon()
        if self._assoc.is_established:
            self._assoc.abort()

    def release(self) -> None:
        """A-RELEASE (PS3.8 §9.3.7) if still established."""
        if self._assoc.is_established:
            self._assoc.release()

    def close(self) -> None:
        """Stop the local AE's threads (after release or abort)."""
        self._ae.shutdown()


def _make_ae(settings: LinkSettings) -> AE:
    """An AE with our identity (PS3.7 D.3.3.2) and the configured timeouts."""
    ae = AE(ae_title=settings.calling_ae)
    ae.implementation_class_uid = IMPLEMENTATION_CLASS_UID
    ae.implementation_version_name = IMPLEMENTATION_VERSION_NAME
    ae.connection_timeout = settings.connect_timeout
    ae.acse_timeout = settings.acse_timeout
    ae.dimse_timeout = settings.dimse_timeout
    ae.network_timeout = settings.network_timeout
    ae.maximum_pdu_size = settings.max_pdu
    return ae


def _check_instance(assoc: PnAssociation) -> None:
    for path, name, kind, _why in INSTANCE_CONTRACT:
        _require(assoc, path, name, kind, may_be_none=name == "socket")


def associate(settings: LinkSettings, peer: Peer, contexts: Sequence[Context], *,
              stop: Callable[[], bool] | None = None) -> Association:
    """Request an association with exactly ``contexts`` (≤ 128, PS3.8 §9.3.2.2), IDs 1, 3, 5, … in order.

    Returns the :class:`Association` whether or not it was accepted (see ``is_established`` and ``attempt``);
    the caller calls :meth:`Association.close` when done. Once ``stop()`` is true
    the attempt ends within a slice after the TCP connection stands (the caller checks ``stop`` again).
    Raises PynetdicomContractError when pynetdicom's objects lack what this module relies on.
    """
    if len(contexts) > MAX_CONTEXTS:
        raise ValueError("at most 128 presentation contexts per association (PS3.8 9.3.2.2)")
    apply_privacy()
    context = tls.client_context(settings, peer) if peer.tls else None  # raises for a missing CA first
    ae = _make_ae(settings)
    watch = _Watch(wire.new_write_lock(), settings, stop)
    handlers: list[Any] = [(evt.EVT_CONN_OPEN, watch.on_conn_open), (evt.EVT_ACSE_RECV, watch.on_acse_recv)]
    pcs: list[PresentationContext] = [build_context(cx.abstract_syntax, list(cx.transfer_syntaxes))
                                      for cx in contexts]
    tls_args = (context, peer.expected_tls_name) if context is not None else None
    negotiated = threading.Event()
    if stop is not None:
        threading.Thread(target=watch.watch_stop, args=(negotiated,), name="associate-stop", daemon=True).start()
    try:
        assoc = ae.associate(peer.host, peer.port, contexts=pcs, ae_title=peer.ae_title,
                             max_pdu=settings.max_pdu, tls_args=tls_args, evt_handlers=handlers)
    finally:
        negotiated.set()
    if context is not None and not watch.attempt.connected and context.handshake_started \
            and context.failure is not None:  # pynetdicom logged and swallowed it: keep what it was
        watch.attempt.record(tls.classify(context.failure, connect_timeout=settings.connect_timeout))
    try:
        if watch.problem is not None:
            raise watch.problem
        _check_instance(assoc)
        if assoc.is_established:
            _keep_reactor_off_dimse(assoc)
    except BaseException:
        if assoc.is_established:
            assoc.abort()
        ae.shutdown()
        raise
    return Association(ae, assoc, watch)


# ------------------------------------------------------------------------------------------ server


@dataclass(frozen=True)
class StoreRequest:
    """One C-STORE as received (PS3.4 B.2.2): the command's UIDs and the data set as a Part 10 byte string.

    Every value comes from the peer: check UIDs before using them, e.g. in file names.
    """

    calling_ae: str
    sop_class_uid: str
    sop_instance_uid: str
    part10: bytes  # preamble, File Meta Information and the data set as sent (not decoded)


@dataclass(frozen=True)
class FindRequest:
    """One C-FIND as received (PS3.4 C.4.1.2): the decoded identifier and whether a C-CANCEL arrived."""

    calling_ae: str
    identifier: Dataset
    cancelled: Callable[[], bool]


StoreHandler = Callable[[StoreRequest], int]
FindHandler = Callable[[FindRequest], Iterator[tuple[int, Dataset | None]]]


@dataclass(frozen=True)
class ServerHandlers:
    """What the SCP does per request; C-ECHO (Verification) is always answered with success (PS3.4 A.4)."""

    store: StoreHandler | None = None  # returns the C-STORE status (PS3.4 B.2.3)
    find: FindHandler | None = None  # yields (status, identifier) pairs: FF00 with a match, then 0000 or FE00


class Server:
    """A running SCP; :meth:`shutdown` stops it and every association it accepted."""

    def __init__(self, ae: AE, server: Any) -> None:
        self._ae = ae
        self._server = server
        self.host = str(server.server_address[0])
        self.port = int(server.server_address[1])

    def shutdown(self) -> None:
        self._server.shutdown()
        self._ae.shutdown()


def _store_event(handler: StoreHandler) -> Callable[[evt.Event], int]:
    def on_store(event: evt.Event) -> int:
        req = event.request
        if not isinstance(req, C_STORE):  # pragma: no cover - pynetdicom calls this handler for C-STORE only
            raise TypeError(f"C-STORE handler got {type(req).__name__}")
        return handler(StoreRequest(str(event.assoc.requestor.ae_title), str(req.AffectedSOPClassUID),
                                    str(req.AffectedSOPInstanceUID), event.encoded_dataset()))
    return on_store


def _find_event(handler: FindHandler) -> Callable[[evt.Event], Iterator[tuple[int, Dataset | None]]]:
    def on_find(event: evt.Event) -> Iterator[tuple[int, Dataset | None]]:
        request = FindRequest(str(event.assoc.requestor.ae_title), event.identifier, lambda: bool(event.is_cancelled))
        yield from handler(request)
    return on_find


class _AcceptorGuards:
    """The guard of net/guard.py on every connection an acceptor takes (the same bounds as our requests).

    Anybody who reaches the port talks to pynetdicom's DUL before an AE title is checked: without the guard a
    header announcing a 4 GB A-ASSOCIATE-RQ or P-DATA-TF is read for as long as bytes come, and a request
    trickled byte by byte holds a thread without end. What the guard refused is logged when the connection
    closes (technical facts only: the remote address, PDU name and lengths — never a value from the PDU).
    """

    def __init__(self, settings: LinkSettings, role: str) -> None:
        self.settings = settings
        self.role = role
        self._lock = threading.Lock()
        self._watches: dict[int, _Watch] = {}

    def handlers(self) -> list[Any]:
        return [(evt.EVT_CONN_OPEN, self.on_open), (evt.EVT_CONN_CLOSE, self.on_close)]

    def on_open(self, event: evt.Event) -> None:
        watch = _Watch(wire.new_write_lock(), self.settings)
        watch.on_conn_open(event)
        if watch.problem is not None:  # never serve a connection unguarded
            LOG.error("%s: %s; connection closed", self.role, watch.problem)
            asock = event.assoc.dul.socket
            if asock is not None:
                asock.close()
            return
        with self._lock:
            self._watches[id(event.assoc)] = watch

    def on_close(self, event: evt.Event) -> None:
        with self._lock:
            watch = self._watches.pop(id(event.assoc), None)
        fault = watch.attempt.fault if watch is not None else None
        if fault is not None:
            remote = event.assoc.requestor
            level = logging.DEBUG if fault.kind is FaultKind.CLOSED else logging.WARNING  # a port probe: normal
            LOG.log(level, "%s: connection from %s:%s aborted: %s %s (length %d, limit %d, %d bytes in %.1f s) %s",
                        self.role, remote.address, remote.port, fault.kind.name, fault.pdu, fault.length,
                        fault.limit, fault.received, fault.seconds, fault.detail)


def _acceptor_ae(ae_title: str, settings: LinkSettings) -> AE:
    """An acceptor AE with our identity, the configured timeouts and Maximum Length (PS3.8 D.1)."""
    return _make_ae(replace(settings, calling_ae=ae_title))


def start_server(ae_title: str, contexts: Sequence[Context], handlers: ServerHandlers, *,
                 host: str = "127.0.0.1", port: int = 0, max_pdu: int = 131072) -> Server:
    """Listen on ``host:port`` (port 0: a free one, read back from :attr:`Server.port`) as SCP for ``contexts``.

    Verification is always supported (an acceptor must accept it, PS3.2 §7.1.1). Non-blocking: the server
    runs in its own threads until :meth:`Server.shutdown`. Every connection is guarded (:class:`_AcceptorGuards`).
    """
    apply_privacy()
    settings = LinkSettings(calling_ae=ae_title, max_pdu=max_pdu)
    ae = _acceptor_ae(ae_title, settings)
    for cx in contexts:  # pynetdicom merges the transfer syntaxes of repeated abstract syntaxes
        ae.add_supported_context(cx.abstract_syntax, list(cx.transfer_syntaxes))
    if all(cx.abstract_syntax != VERIFICATION_CONTEXT.abstract_syntax for cx in contexts):
        ae.add_supported_context(VERIFICATION_CONTEXT.abstract_syntax, list(VERIFICATION_CONTEXT.transfer_syntaxes))
    bound: list[Any] = _AcceptorGuards(settings, "SCP").handlers()
    if handlers.store is not None:
        bound.append((evt.EVT_C_STORE, _store_event(handlers.store)))
    if handlers.find is not None:
        bound.append((evt.EVT_C_FIND, _find_event(handlers.find)))
    server = ae.start_server((host, port), block=False, evt_handlers=bound)
    if server is None:  # pragma: no cover - block=False always returns the server
        raise RuntimeError("pynetdicom returned no server")
    return Server(ae, server)


# ------------------------------------------------------------------------------ DIMSE-N (MPPS, commitment)
#
# Added for the workflow services (issue 14): N-CREATE / N-SET (Modality Performed Procedure Step, PS3.4 F.7),
# N-ACTION and N-EVENT-REPORT (Storage Commitment Push Model, PS3.4 J.3) as requestor, and a listener that
# accepts N-EVENT-REPORT on a new association (the Storage Commitment SCP takes the SCP role there by role
# selection, PS3.7 D.3.3.4) and C-ECHO. The same rules as above: our own values in and out, internals checked.

from pynetdicom.dimse_messages import N_ACTION_RQ, N_CREATE_RQ, N_SET_RQ  # noqa: E402
from pynetdicom.dimse_primitives import N_ACTION, N_CREATE, N_EVENT_REPORT, N_SET  # noqa: E402
from pynetdicom.dsutils import decode  # noqa: E402

STORAGE_COMMITMENT_PUSH_MODEL = "1.2.840.10008.1.20.1"
STORAGE_COMMITMENT_INSTANCE = "1.2.840.10008.1.20.1.1"  # the well-known SOP Instance (PS3.4 J.3.5)

WORKFLOW_CONTRACT: tuple[tuple[object, str, str], ...] = (
    (N_CREATE_RQ, "primitive_to_message", "N-CREATE-RQ command set encoding (PS3.7 §10.3.5)"),
    (N_SET_RQ, "primitive_to_message", "N-SET-RQ command set encoding (PS3.7 §10.3.3)"),
    (N_ACTION_RQ, "primitive_to_message", "N-ACTION-RQ command set encoding (PS3.7 §10.3.4)"),
    (PnAssociation, "bind", "the N-EVENT-REPORT handler of an association we requested"),
    (evt, "EVT_N_EVENT_REPORT", "the N-EVENT-REPORT handler (listener and requested associations)"),
)
for _owner, _name, _why in WORKFLOW_CONTRACT:
    if not hasattr(_owner, _name):
        raise _missing(getattr(_owner, "__name__", str(_owner)), _name)


def _n_command(message: N_CREATE_RQ | N_SET_RQ | N_ACTION_RQ, primitive: N_CREATE | N_SET | N_ACTION) -> bytes:
    message.primitive_to_message(primitive)
    encoded = encode(message.command_set, True, True)  # Implicit VR Little Endian (PS3.7 §6.3.1)
    if encoded is None:
        raise ValueError(f"{type(message).__name__} command set could not be encoded")
    return bytes(encoded)


def n_create_command(message_id: int, sop_class_uid: str, sop_instance_uid: str) -> bytes:
    """The N-CREATE-RQ command set (PS3.7 §10.3.5) with an Attribute List data set; the SCU names the instance
    (PS3.4 F.7.2.1.2)."""
    req = N_CREATE()
    req.MessageID = message_id
    req.AffectedSOPClassUID = sop_class_uid
    req.AffectedSOPInstanceUID = sop_instance_uid
    req.AttributeList = BytesIO(b"\x00")  # marks "data set present"; the data set is sent after it
    return _n_command(N_CREATE_RQ(), req)


def n_set_command(message_id: int, sop_class_uid: str, sop_instance_uid: str) -> bytes:
    """The N-SET-RQ command set (PS3.7 §10.3.3) with a Modification List data set."""
    req = N_SET()
    req.MessageID = message_id
    req.RequestedSOPClassUID = sop_class_uid
    req.RequestedSOPInstanceUID = sop_instance_uid
    req.ModificationList = BytesIO(b"\x00")
    return _n_command(N_SET_RQ(), req)


def n_action_command(message_id: int, sop_class_uid: str, sop_instance_uid: str, action_type_id: int) -> bytes:
    """The N-ACTION-RQ command set (PS3.7 §10.3.4) with an Action Information data set."""
    req = N_ACTION()
    req.MessageID = message_id
    req.RequestedSOPClassUID = sop_class_uid
    req.RequestedSOPInstanceUID = sop_instance_uid
    req.ActionTypeID = action_type_id
    req.ActionInformation = BytesIO(b"\x00")
    return _n_command(N_ACTION_RQ(), req)


_IMPLICIT_LE = "1.2.840.10008.1.2"
_EXPLICIT_LE = "1.2.840.10008.1.2.1"


def encode_dataset(ds: Dataset, transfer_syntax: str) -> bytes:
    """``ds`` encoded in ``transfer_syntax`` (Implicit or Explicit VR Little Endian) for a DIMSE data set."""
    if transfer_syntax not in (_IMPLICIT_LE, _EXPLICIT_LE):
        raise ValueError(f"DIMSE-N data sets are sent in Implicit or Explicit VR Little Endian, not {transfer_syntax}")
    encoded = encode(ds, transfer_syntax == _IMPLICIT_LE, True)
    if encoded is None:
        raise ValueError("the data set could not be encoded")
    return bytes(encoded)


def decode_dataset(raw: bytes, transfer_syntax: str) -> Dataset:
    """A data set received in ``transfer_syntax``, decoded completely: what pydicom cannot parse raises ValueError
    here, not later when an element is first read. pydicom is lenient (a truncated value just ends early): every
    value still has to be checked by the caller."""
    if transfer_syntax not in (_IMPLICIT_LE, _EXPLICIT_LE):
        raise ValueError(f"unexpected transfer syntax {transfer_syntax}")
    try:
        ds = decode(BytesIO(raw), transfer_syntax == _IMPLICIT_LE, True)
        _touch(ds)
    except Exception as exc:  # pydicom raises many kinds for malformed bytes
        raise ValueError(f"the data set could not be decoded ({type(exc).__name__})") from None
    return ds


def _touch(ds: Dataset) -> None:
    for elem in ds:  # pydicom decodes lazily: read every value once
        if elem.VR == "SQ":
            for item in elem.value:
                _touch(item)


@dataclass(frozen=True)
class EventReport:
    """One N-EVENT-REPORT-RQ as received (PS3.7 §10.3.1), on our association or on the listener.

    Every value comes from the peer: check it before use. ``information`` is the decoded Event Information, or
    None when absent or not decodable.
    """

    calling_ae: str
    host: str
    sop_class_uid: str
    sop_instance_uid: str
    event_type_id: int
    information: Dataset | None
    message_id: int = 0
    context_id: int = 0


EventReportHandler = Callable[[EventReport], int]  # returns the N-EVENT-REPORT-RSP status

def bind_event_reports(link: Association, handler: EventReportHandler) -> None:
    """Hand every N-EVENT-REPORT-RQ the peer sends on ``link`` to ``handler`` and answer its status.

    pynetdicom serves such a request at once, in a thread of its own, whatever role was negotiated (a Storage
    Commitment SCP may report on the association of the request, PS3.4 J.3.3.1.2); unbound, it answers 0110. Bind
    before sending the request: the report may follow its response immediately.
    """
    link._assoc.bind(evt.EVT_N_EVENT_REPORT, _event_report_event(handler))


def _event_report_event(handler: EventReportHandler) -> Callable[[evt.Event], tuple[int, Dataset | None]]:
    def on_report(event: evt.Event) -> tuple[int, Dataset | None]:  # (status, no Event Reply)
        req = event.request
        if not isinstance(req, N_EVENT_REPORT):  # pragma: no cover - pynetdicom calls it for N-EVENT-REPORT only
            raise TypeError(f"N-EVENT-REPORT handler got {type(req).__name__}")
        ts = str(event.context.transfer_syntax)
        raw = req.EventInformation.getvalue() if isinstance(req.EventInformation, BytesIO) else b""
        information: Dataset | None = None
        if raw:
            try:
                information = decode_dataset(raw, ts)
            except ValueError:
                information = None
        remote = event.assoc.acceptor if event.assoc.is_requestor else event.assoc.requestor  # the peer
        return handler(EventReport(str(remote.ae_title).strip(), str(remote.address),
                                   str(req.AffectedSOPClassUID or ""), str(req.AffectedSOPInstanceUID or ""),
                                   int(req.EventTypeID or 0), information, int(req.MessageID or 0),
                                   int(event.context.context_id))), None
    return on_report


def start_listener(ae_title: str, settings: LinkSettings, *, host: str, port: int, calling_aes: Sequence[str],
                   on_event_report: EventReportHandler) -> Server:
    """Listen as ``ae_title`` on ``host:port`` for N-EVENT-REPORTs of the Storage Commitment Push Model on a new
    association, and for C-ECHO (PS3.2 §7.1.1).

    Only the AE titles ``calling_aes`` may associate (others: A-ASSOCIATE-RJ, calling AE not recognized). The
    requestor may take the SCP role for Storage Commitment (SCU/SCP Role Selection, PS3.7 D.3.3.4; PS3.4 J.3.3.1.2
    note 1); we keep the SCU role. Data sets in Implicit or Explicit VR Little Endian. ``settings`` gives the
    timeouts and the Maximum Length announced; every connection is bounded by them (:class:`_AcceptorGuards`).
    """
    apply_privacy()
    ae = _acceptor_ae(ae_title, settings)
    if not calling_aes:
        raise ValueError("a listener without a permitted calling AE title would accept anyone")
    ae.require_calling_aet = list(calling_aes)
    ae.add_supported_context(STORAGE_COMMITMENT_PUSH_MODEL, [_EXPLICIT_LE, _IMPLICIT_LE], scu_role=False,
                             scp_role=True)
    ae.add_supported_context(VERIFICATION_CONTEXT.abstract_syntax, list(VERIFICATION_CONTEXT.transfer_syntaxes))
    server = ae.start_server((host, port), block=False,
                             evt_handlers=[*_AcceptorGuards(settings, "listener").handlers(),
                                           (evt.EVT_N_EVENT_REPORT, _event_report_event(on_event_report))])
    if server is None:  # pragma: no cover - block=False always returns the server
        raise RuntimeError("pynetdicom returned no server")
    return Server(ae, server)
