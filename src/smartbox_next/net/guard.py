"""The association socket's reads and writes, bounded in memory and time whatever the peer sends (PS3.8 §9.3).

Every byte from a peer is hostile until checked. pynetdicom's DUL thread reads a PDU as ``recv(6)`` (type,
reserved, PDU length; PS3.8 §9.3.1) and then ``recv(length)``, allocating and waiting for whatever length the
peer announces — 0xFFFFFFFF made ``smartbox echo`` grow to 12 GB — with no timeout once connected. The adapter
routes the DUL socket's ``recv`` and ``send`` through a :class:`PduGuard`:

* **Length** (checked on the 6-byte header, before anything is allocated): A-ASSOCIATE-RQ/AC at least the
  68 bytes of fixed fields and at most :data:`MAX_ASSOCIATE_PDU`; A-ASSOCIATE-RJ, A-RELEASE-RQ/RP and
  A-ABORT exactly 4 (§9.3.4, §9.3.6-§9.3.8); P-DATA-TF at most the Maximum Length we announced (§9.3.5,
  Annex D.1: the length of the variable field; ``LinkSettings.receive_limit``). An unknown PDU type is no
  DICOM at all: the first bytes tell an HTTP server or a TLS record (a peer that expects TLS) apart.
* **Structure**: the items of an A-ASSOCIATE-AC (§9.3.3.1, Table 9-17) and the PDV items of a P-DATA-TF
  (§9.3.5.1, Annex E) must tile their PDU exactly; an A-ASSOCIATE-RJ and an A-ABORT carry defined result,
  source and reason values (Tables 9-21, 9-26). The fragments of one DIMSE message may add up to at most
  :data:`MAX_MESSAGE` bytes. What passes these checks and still cannot be processed (a command set without
  a Command Field, say) is caught where pynetdicom acts on it (the adapter's guarded state machine).
* **Time**: reads and writes wait in slices of :data:`SLICE` seconds (kernel ``SO_RCVTIMEO`` /
  ``SO_SNDTIMEO``, set by the adapter; Python's socket timeout stays None, so writes keep their blocking
  semantics), so the DUL thread notices an abort or a kill at once. One PDU must arrive within the ACSE
  timeout while associating and within the network timeout after; a write fails after the network timeout
  without progress.
* **Back-pressure**: while :data:`MAX_BACKLOG` DIMSE messages wait unread, no further PDU is read (the peer's
  TCP window closes), so a flood of C-FIND answers cannot fill memory; after the network timeout of that it
  counts as a fault.

A violation is recorded as a :class:`~smartbox_next.net.link.Fault`, an A-ABORT is written (source 2, the UL
service-provider, with its reason, §9.3.8 Table 9-26) and every further read returns end-of-file: pynetdicom
takes the transport as closed (Evt17), ends the association, and :mod:`smartbox_next.net.session` reports the
fault as what it is. This module knows sockets, not pynetdicom: the adapter wires it into pynetdicom's DUL,
and the native upper layer of ``smartbox echo`` (:mod:`smartbox_next.net.ulp`) reads every PDU through it.
"""

from __future__ import annotations

import socket
import ssl
import struct
import time
from collections.abc import Callable
from contextlib import suppress
from enum import Enum

from smartbox_next.net.link import Attempt, Fault, FaultKind
from smartbox_next.net.tls import classify_alert, short_reason

SLICE = 0.2  # seconds a blocked read or write waits before it looks around (abort? kill? deadline?)
HEADER = 6  # PDU type, reserved, PDU length (PS3.8 §9.3.1)
MAX_ASSOCIATE_PDU = 256 * 1024  # A-ASSOCIATE-RQ/AC: ≤128 contexts and user information fit many times over
ASSOCIATE_FIXED = 68  # protocol version, reserved, called and calling AE titles, reserved (Table 9-17)
FIXED_LENGTH = {0x03: 4, 0x05: 4, 0x06: 4, 0x07: 4}  # A-ASSOCIATE-RJ, A-RELEASE-RQ/RP, A-ABORT
MAX_MESSAGE = 4 * 1024 * 1024  # bytes of one DIMSE message's command or data set (responses are small)
MAX_BACKLOG = 16  # DIMSE messages decoded but not yet read by the user before reading pauses
PDU_NAMES = {0x01: "A-ASSOCIATE-RQ", 0x02: "A-ASSOCIATE-AC", 0x03: "A-ASSOCIATE-RJ", 0x04: "P-DATA-TF",
             0x05: "A-RELEASE-RQ", 0x06: "A-RELEASE-RP", 0x07: "A-ABORT"}
ASSOCIATE_ITEMS = frozenset({0x10, 0x21, 0x50})  # application context, presentation context (AC), user info
# A-ABORT reasons of the UL service-provider (PS3.8 Table 9-26)
REASON_UNRECOGNIZED_PDU = 1
REASON_INVALID_PARAMETER = 6
PROVIDER_REASONS = frozenset({0, 1, 2, 4, 5, 6})  # 3 is reserved
REJECT_REASONS = frozenset({1, 2, 3, 7})  # A-ASSOCIATE-RJ reason/diag. values in use (Table 9-21)


class _End(Enum):
    """Why a read stopped short."""

    EOF = "eof"
    DEADLINE = "deadline"
    INTERRUPTED = "interrupted"
    TLS = "tls"


def abort_pdu(source: int, reason: int) -> bytes:
    """A-ABORT PDU (PS3.8 §9.3.8): type 07H, reserved, length 4, two reserved bytes, source, reason."""
    return struct.pack(">BBIBBBB", 0x07, 0x00, 4, 0x00, 0x00, source, reason)


def not_dicom(head: bytes) -> Fault:
    """The fault for bytes that are no PDU: name what they look like (a TLS record, HTTP, something else)."""
    if len(head) >= 2 and head[0] in (0x15, 0x16) and head[1] == 0x03:  # TLS alert / handshake record
        return Fault(FaultKind.ANSWERS_TLS, detail=f"TLS record type {head[0]:#04x}")
    if head[:4] == b"HTTP" or head[:4] in (b"<htm", b"<!DO"):
        return Fault(FaultKind.NOT_DICOM, detail="HTTP")
    if head[:4] == b"SSH-":
        return Fault(FaultKind.NOT_DICOM, detail="SSH")
    return Fault(FaultKind.NOT_DICOM, detail=f"{head[0]:#04x}")


def check_items(body: bytes, offset: int, *, sub: bool = False) -> str:
    """"" if the 4-byte-headed items from ``offset`` tile ``body`` exactly (PS3.8 §9.3.2/§9.3.3), else why not."""
    while offset < len(body):
        if offset + 4 > len(body):
            return f"item header cut off at byte {offset}"
        item_type, length = body[offset], struct.unpack_from(">H", body, offset + 2)[0]
        end = offset + 4 + length
        if end > len(body):
            return f"item {item_type:#04x} announces {length} bytes, {len(body) - offset - 4} left"
        if not sub:
            if item_type not in ASSOCIATE_ITEMS:
                return f"unexpected item type {item_type:#04x}"
            if item_type == 0x21:  # context ID, reserved, result, reserved, then the transfer syntax sub-item
                why = "presentation context item too short" if length < 4 else check_items(
                    body[offset + 8: end], 0, sub=True)
                if why:
                    return why
            elif item_type == 0x50:
                why = check_items(body[offset + 4: end], 0, sub=True)
                if why:
                    return why
        offset = end
    return ""


class PduGuard:
    """Reads and writes of one association socket under the rules of the module docstring.

    ``established``: is the association up (network timeout) or still being negotiated (ACSE timeout);
    ``abort_requested``: is an A-ABORT waiting to be sent (a blocked read gives up and sends it);
    ``killed``: is the DUL being stopped; ``backlog``: DIMSE messages waiting unread; :attr:`write`: how to
    send an A-ABORT (the adapter's locked write, set once it exists).
    """

    def __init__(self, sock: socket.socket, attempt: Attempt, *, limit: int, acse_timeout: float,
                 network_timeout: float, established: Callable[[], bool], abort_requested: Callable[[], bool],
                 killed: Callable[[], bool], backlog: Callable[[], int]) -> None:
        self.sock = sock
        self.attempt = attempt
        self.limit = limit
        self.acse_timeout = acse_timeout
        self.network_timeout = network_timeout
        self.acse_deadline = time.monotonic() + acse_timeout  # pynetdicom's own ACSE wait started about now
        self._established = established
        self._abort_requested = abort_requested
        self._killed = killed
        self._backlog = backlog
        self.write: Callable[[bytes], None] | None = None
        self._abandoned = False  # our side gave up on the association: do not wait for the peer any more
        self._dead = False  # after a violation: every read is end-of-file
        self._body: tuple[int, int] | None = None  # (type, length) of the PDU whose header was just read
        self._deadline = 0.0
        self._timeout = 0.0
        self._pdus = 0  # PDUs read completely
        self.last_pdu = ""  # name of the last PDU read completely
        self._message = 0  # bytes of the DIMSE message (command or data set) being assembled
        self._backlog_since: float | None = None

    # ------------------------------------------------------------------ state

    def abandon(self) -> None:
        """Stop waiting for the peer: blocked reads and writes give up within one slice (abort on stop)."""
        self._abandoned = True

    def _given_up(self) -> bool:
        return self._abandoned or self._killed() or self._abort_requested()

    def may_read(self) -> bool:
        """False while too many decoded messages wait unread (back-pressure); a fault once that lasts too long."""
        if self._dead or self._backlog() < MAX_BACKLOG:
            self._backlog_since = None
            return True
        now = time.monotonic()
        if self._backlog_since is None:
            self._backlog_since = now
        elif now - self._backlog_since > self.network_timeout:
            self._violate(Fault(FaultKind.FLOOD, limit=MAX_BACKLOG, seconds=self.network_timeout),
                          REASON_INVALID_PARAMETER)
            return True  # the read that follows returns end-of-file
        return False

    # ------------------------------------------------------------------ reading

    def recv(self, n: int) -> bytearray:
        """pynetdicom's ``AssociationSocket.recv(n)``: up to ``n`` bytes, fewer only when the PDU is refused."""
        if self._dead:
            return bytearray()
        if self._body is None:
            self._start_pdu()
            return self._header(n) if n == HEADER else self._read(n)[0]
        pdu_type, length = self._body
        self._body = None
        return self._payload(pdu_type, length, n)

    def _read(self, n: int) -> tuple[bytearray, _End | None]:
        """Read exactly ``n`` bytes before ``self._deadline`` (or say why not)."""
        buf = bytearray(n)
        view = memoryview(buf)
        got = 0
        while got < n:
            if time.monotonic() > self._deadline:  # first: pynetdicom's own ACSE timeout fires just after ours
                return buf[:got], _End.DEADLINE
            if self._given_up():
                return buf[:got], _End.INTERRUPTED
            try:
                k = self.sock.recv_into(view[got:], min(n - got, 1 << 20))
            except (BlockingIOError, ssl.SSLWantReadError):
                continue  # one slice passed without data
            except (ssl.SSLEOFError, ssl.SSLZeroReturnError):
                return buf[:got], _End.EOF
            except ssl.SSLError as exc:  # e.g. TLS 1.3: the server's alert that it refuses our certificate
                self.attempt.record(classify_alert(exc) or Fault(FaultKind.TLS_FAILED, detail=short_reason(exc)))
                return buf[:got], _End.TLS
            except OSError:
                return buf[:got], _End.EOF
            if k == 0:
                return buf[:got], _End.EOF
            got += k
        return buf, None

    def _start_pdu(self) -> None:
        now = time.monotonic()
        if self._established():
            self._deadline, self._timeout = now + self.network_timeout, self.network_timeout
        else:
            self._deadline = min(now + self.acse_timeout, self.acse_deadline)
            self._timeout = self.acse_timeout

    def _header(self, n: int) -> bytearray:
        head, end = self._read(n)
        if end is not None:
            if end is _End.EOF and not head and not self._pdus and not self._established():
                self.attempt.record(Fault(FaultKind.CLOSED))
            elif end is _End.EOF and head:
                self.attempt.record(Fault(FaultKind.TRUNCATED, pdu="PDU header", length=HEADER,
                                          received=len(head)))
            elif end is _End.DEADLINE:
                self._violate(Fault(FaultKind.SLOW_PDU, pdu="PDU header", length=HEADER, received=len(head),
                                    seconds=self._timeout), REASON_INVALID_PARAMETER)
            elif end is _End.INTERRUPTED:
                self._pass_on_abort()
            self._dead = True
            return bytearray()
        pdu_type, _, length = struct.unpack(">BBI", head)
        fault = self._check_header(bytes(head), pdu_type, length)
        if fault is not None:
            reason = REASON_UNRECOGNIZED_PDU if fault.kind in (FaultKind.NOT_DICOM, FaultKind.ANSWERS_TLS) \
                else REASON_INVALID_PARAMETER
            self._violate(fault, reason)
            return bytearray()
        self._body = (pdu_type, length)
        return head

    def _check_header(self, head: bytes, pdu_type: int, length: int) -> Fault | None:
        name = PDU_NAMES.get(pdu_type)
        if name is None:
            return not_dicom(head)
        if pdu_type in FIXED_LENGTH:
            if length != FIXED_LENGTH[pdu_type]:
                return Fault(FaultKind.MALFORMED, pdu=name, length=length,
                             detail=f"PDU length {length}, not {FIXED_LENGTH[pdu_type]}")
        elif pdu_type in (0x01, 0x02):
            if length > MAX_ASSOCIATE_PDU:
                return Fault(FaultKind.PDU_TOO_LONG, pdu=name, length=length, limit=MAX_ASSOCIATE_PDU)
            if length < ASSOCIATE_FIXED:
                return Fault(FaultKind.MALFORMED, pdu=name, length=length, detail=f"PDU length {length}")
        elif length > self.limit:  # P-DATA-TF
            return Fault(FaultKind.PDU_TOO_LONG, pdu=name, length=length, limit=self.limit)
        elif length < 6:  # one PDV item at least: length (4), context ID, message control header
            return Fault(FaultKind.MALFORMED, pdu=name, length=length, detail=f"PDU length {length}")
        return None

    def _payload(self, pdu_type: int, length: int, n: int) -> bytearray:
        name = PDU_NAMES[pdu_type]
        body, end = self._read(n)
        if end is not None:
            if end is _End.DEADLINE:
                self._violate(Fault(FaultKind.SLOW_PDU, pdu=name, length=length, received=len(body),
                                    seconds=self._timeout), REASON_INVALID_PARAMETER)
            elif end is _End.EOF:
                self.attempt.record(Fault(FaultKind.TRUNCATED, pdu=name, length=length, received=len(body)))
            elif end is _End.INTERRUPTED:
                self._pass_on_abort()
            self._dead = True
            return body  # short: pynetdicom takes the transport as closed
        why = self._check_body(pdu_type, bytes(body))
        if why:
            fault = Fault(FaultKind.MESSAGE_TOO_LONG, pdu=name, limit=MAX_MESSAGE) if why == "message" \
                else Fault(FaultKind.MALFORMED, pdu=name, length=length, detail=why)
            self._violate(fault, REASON_INVALID_PARAMETER)
            return body[:-1]
        self._pdus += 1
        self.last_pdu = name
        return body

    def _check_body(self, pdu_type: int, body: bytes) -> str:
        if pdu_type == 0x02:
            return check_items(body, ASSOCIATE_FIXED)
        if pdu_type == 0x03:  # PS3.8 Table 9-21
            _reserved, result, source, reason = body
            if result not in (1, 2) or source not in (1, 2, 3) or reason not in REJECT_REASONS:
                return f"result {result}, source {source}, reason {reason}"
            return ""
        if pdu_type == 0x07:  # PS3.8 Table 9-26
            source, reason = body[2], body[3]
            if source not in (0, 1, 2) or (source == 2 and reason not in PROVIDER_REASONS):
                return f"source {source}, reason {reason}"
            return ""
        if pdu_type == 0x04:
            return self._check_pdvs(body)
        return ""

    def _check_pdvs(self, body: bytes) -> str:
        """PDV items (PS3.8 §9.3.5.1): item length ≥ 2 and within the PDU; count the message's bytes."""
        offset = 0
        while offset < len(body):
            if offset + 6 > len(body):
                return f"PDV item header cut off at byte {offset}"
            item_length = struct.unpack_from(">I", body, offset)[0]
            if item_length < 2 or offset + 4 + item_length > len(body):
                return f"PDV item length {item_length}"
            control = body[offset + 5]
            self._message += item_length - 2
            if self._message > MAX_MESSAGE:
                return "message"
            if control & 0x02:  # last fragment of a command or a data set
                self._message = 0
            offset += 4 + item_length
        return ""

    def fail(self, fault: Fault) -> None:
        """A PDU passed the checks here but could not be processed: record, abort, read nothing more."""
        self._violate(fault, REASON_INVALID_PARAMETER)

    def _violate(self, fault: Fault, reason: int) -> None:
        """Record ``fault``, tell the peer (A-ABORT, source 2 service-provider), read nothing more from it."""
        self.attempt.record(fault)
        if not self._dead:
            self._dead = True
            self._send_abort(abort_pdu(2, reason))

    def _pass_on_abort(self) -> None:
        """A read was cut short because pynetdicom wants to abort: the DUL will not get to send that A-ABORT
        (the transport is taken as closed first), so send it here (source 0, service-user)."""
        if self._abort_requested() and not self._dead:
            self._send_abort(abort_pdu(0, 0))

    def _send_abort(self, pdu: bytes) -> None:
        write = self.write
        if write is None:
            return
        self._abandoned = True  # a full send buffer must not hold the DUL thread: one slice, then give up
        with suppress(OSError):  # best effort: the connection is being closed anyway
            write(pdu)

    # ------------------------------------------------------------------ writing

    def send(self, data: bytes) -> None:
        """Write all of ``data``; OSError when the connection broke, TimeoutError after the network timeout
        without progress, or at once when the association is being given up and the peer does not read."""
        view = memoryview(data)
        last_progress = time.monotonic()
        while view:
            try:
                n = self.sock.send(view)
            except (BlockingIOError, ssl.SSLWantWriteError, TimeoutError):  # TimeoutError: a TLS write slice
                if self._given_up():
                    raise ConnectionAbortedError("the association is being aborted; the peer does not read") from None
                if time.monotonic() - last_progress > self.network_timeout:
                    raise TimeoutError("no progress writing to the peer") from None
                continue
            view = view[n:]
            last_progress = time.monotonic()
