"""Streaming DIMSE message sender: P-DATA-TF PDUs written straight from the file, with back-pressure.

Why not pynetdicom's ``send_c_store(path)``: its chunked mode reads the file in chunks, but every P-DATA
primitive goes into the DUL's unbounded outgoing queue, so with a slow receiver the whole object piles up in
memory (PEERS.md: 130-410 MB). Here the sender owns the flow:

- **Plain TCP**: PDUs are written to the association's socket by the sending thread itself, read from the
  file into one reusable buffer with ``readinto`` and sent with ``sendmsg`` (header + view, no copy into a
  bytes object), or copied by the kernel (``sendfile``) for large PDVs. The socket's send buffer is the
  back-pressure: when the peer is slow the send waits, so memory stays flat (one buffer, ``BLOCK`` bytes)
  whatever the object size. Every write holds the association's write lock (:class:`~.wire.PduSocket`), which
  pynetdicom's DUL thread takes too for its own writes (A-RELEASE, A-ABORT), so PDUs never interleave; the
  lock is held for one PDU, or for as few whole PDUs as make ``LOCKED_WRITE`` bytes when they are small (one
  ``sendmsg`` per 16 KiB PDU costs ~60 % more sender CPU than per 64 KiB; measured), never for a whole object.
- **TLS**: an ``SSLSocket`` must not be written by two threads, so on a pynetdicom association PDUs go through
  the DUL queue, but at most ``QUEUE_DEPTH`` at a time (bounded, waiting for the DUL to drain). The native
  association of C-STORE (:mod:`smartbox_next.net.store_session`) has one thread: its PDUs are written
  directly (:class:`~smartbox_next.net.wire.TlsPduSocket`).
- **Stop**: between PDUs and every slice a write waits, the session's stop is checked (SIGTERM): the sender
  raises :class:`~smartbox_next.net.session.Stopped` after aborting the association, within a fraction of a
  second even when the peer has stopped reading.

PDU layout (PS3.8 §9.3.5, Annex E): P-DATA-TF = type 04H, reserved, PDU length (4), then PDV items: item length
(4), presentation context ID (1), message control header (1: bit 0 command/data, bit 1 last fragment), data.
Each PDU carries one PDV whose length never exceeds the peer's Maximum Length (PS3.8 D.1; 0 = unlimited).
The command set is Implicit VR Little Endian (PS3.7 §6.3.1); the data set is sent in the accepted transfer
syntax, and the caller guarantees the bytes *are* encoded in it.
"""

from __future__ import annotations

import struct
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, BinaryIO, Protocol

from smartbox_next.dicom.part10 import FileRange
from smartbox_next.errors import AssociationAbortedError, NetworkError, ResponseTimeoutError

if TYPE_CHECKING:
    from smartbox_next.dicom.peer import Peer
    from smartbox_next.net.wire import Buffer, PduSocket

BLOCK = 4 * 1024 * 1024  # read buffer; the only per-transfer allocation
UNLIMITED_PDV = 1024 * 1024  # our largest PDV: when the peer announces Maximum Length 0 or more than this
QUEUE_DEPTH = 4  # TLS path: at most this many PDUs waiting in the DUL queue
_HDR = struct.Struct(">BBIIBB")  # PDU type, reserved, PDU length, PDV item length, context ID, control header
_CMD_LAST, _CMD_MORE, _DATA_LAST, _DATA_MORE = 0x03, 0x01, 0x02, 0x00
LOCKED_WRITE = 64 * 1024  # sendmsg path: whole PDUs per locked write, until they reach this many bytes
SENDFILE_MIN_PDV = 64 * 1024  # kernel copy (sendfile) pays off from this PDV size; below, batched sendmsg wins

ByteCallback = Callable[[int], None]


class Link(Protocol):
    """The association a message is written to: the native one (:class:`smartbox_next.net.ulp.Association`,
    C-STORE) or pynetdicom's (:class:`smartbox_next.net.adapter.Association`: MPPS, Storage Commitment)."""

    def pdu_socket(self, check: Callable[[], None] | None = None) -> PduSocket | None: ...

    def touch(self) -> None: ...

    def queue_pdv(self, context_id: int, pdv: bytes) -> None: ...

    def queued_pdus(self) -> int: ...


class Session(Protocol):
    """What :func:`send_message` needs of a session: :class:`smartbox_next.net.store_session.StoreSession` or
    :class:`smartbox_next.net.session.Session`."""

    @property
    def link(self) -> Link: ...

    @property
    def peer(self) -> Peer: ...

    @property
    def peer_max_pdu(self) -> int: ...

    def check_stop(self) -> None: ...

    def raise_if_broken(self, operation: str) -> None: ...

    def broken(self, operation: str, exc: BaseException | None = None) -> NetworkError: ...


Segment = bytes | FileRange


@dataclass(frozen=True)
class Payload:
    """An encoded data set as a list of segments, and the transfer syntax it is encoded in."""

    segments: tuple[Segment, ...]
    transfer_syntax: str
    conversion: str = ""  # "" = the file's own bytes; else what was done (for the record)
    sop_instance_uid: str = ""  # set when the conversion made a new instance (lossy re-encode); "" = unchanged

    @property
    def length(self) -> int:
        return sum(len(s) if isinstance(s, bytes) else s.length for s in self.segments)


def pdv_limit(peer_max_pdu: int) -> int:
    """Largest PDV value (data bytes) per PDU: peer's Maximum Length minus 6 (item length, ID, header).

    Never more than ``UNLIMITED_PDV``: a peer announcing 0 (no limit) or 4 GB must not make us buffer a whole
    object for one PDU (smaller PDUs than the peer's maximum are always allowed, PS3.8 D.1).
    """
    if peer_max_pdu <= 0:
        return UNLIMITED_PDV
    return max(1, min(UNLIMITED_PDV, peer_max_pdu - 6))


def _pdu_header(context_id: int, control: int, size: int) -> bytes:
    return _HDR.pack(0x04, 0x00, size + 6, size + 2, context_id, control)


class _Sink:
    """Where PDUs go: the association's socket under its write lock (plain TCP) or the bounded DUL queue (TLS)."""

    def __init__(self, session: Session, timeout: float) -> None:
        self.session = session
        self.timeout = timeout
        try:
            # a write blocked by a slow peer looks around every slice: stop requested? peer aborted?
            self.sock: PduSocket | None = session.link.pdu_socket(check=lambda: session.raise_if_broken("C-STORE"))
        except OSError as exc:
            raise session.broken("C-STORE", exc) from None

    def write(self, parts: list[Buffer]) -> None:
        """Send ``parts`` (header, data, header, data, …): whole PDUs, about ``LOCKED_WRITE`` bytes per locked write."""
        self.session.check_stop()
        if self.sock is not None:
            start, size = 0, 0
            for i in range(0, len(parts), 2):
                size += len(parts[i]) + len(parts[i + 1])
                if size >= LOCKED_WRITE or i + 2 == len(parts):
                    self._send(self.sock, parts[start: i + 2])
                    start, size = i + 2, 0
        else:
            self._queue(parts)
        self.session.link.touch()

    def _send(self, sock: PduSocket, parts: list[Buffer]) -> None:
        """Blocking send of whole PDUs (GIL released while the kernel waits).

        The kernel wakes the write every SO_SNDTIMEO slice (set by the adapter); after the network timeout
        without progress the socket raises BlockingIOError and we report a timeout.
        """
        with self._write_errors():
            sock.send(parts, between=lambda: self.session.raise_if_broken("C-STORE"))

    def sendfile(self, header: bytes, fd: int, offset: int, count: int) -> None:
        """One PDU: its header and ``count`` file bytes copied by the kernel (plain TCP only)."""
        sock = self.sock
        assert sock is not None
        self.session.check_stop()
        with self._write_errors():
            sock.sendfile(header, fd, offset, count)
        self.session.link.touch()

    @contextmanager
    def _write_errors(self) -> Iterator[None]:
        """A socket write's failures as project errors: no progress for the network timeout (BlockingIOError
        after the SO_SNDTIMEO slices) is a timeout, any other OSError a broken association."""
        try:
            yield
        except NetworkError:
            raise
        except BlockingIOError:
            raise ResponseTimeoutError("net.timeout", peer=str(self.session.peer), operation="C-STORE") from None
        except OSError as exc:
            raise self.session.broken("C-STORE", exc) from None

    def _queue(self, parts: list[Buffer]) -> None:
        # parts alternate header, data; rebuild one P-DATA primitive per PDV
        link = self.session.link
        for i in range(0, len(parts), 2):
            header = bytes(parts[i])
            context_id, control = header[10], header[11]
            deadline = time.monotonic() + self.timeout
            while link.queued_pdus() >= QUEUE_DEPTH:
                self.session.raise_if_broken("C-STORE")
                if time.monotonic() > deadline:
                    raise ResponseTimeoutError("net.timeout", peer=str(self.session.peer), operation="C-STORE")
                time.sleep(0.0002)
            self.session.raise_if_broken("C-STORE")
            link.queue_pdv(context_id, bytes([control]) + bytes(parts[i + 1]))


def _fragments(data: bytes | memoryview, limit: int) -> list[memoryview]:
    view = memoryview(data)
    return [view[i: i + limit] for i in range(0, len(view), limit)] or [view[:0]]


def send_message(session: Session, context_id: int, command: bytes, payload: Payload | None,
                 on_bytes: ByteCallback | None = None, *, timeout: float) -> None:
    """Send one DIMSE message: ``command`` (encoded command set), then ``payload`` streamed from its segments.

    ``on_bytes(n)`` is called after each block with the data-set bytes sent so far.
    """
    limit = pdv_limit(session.peer_max_pdu)
    sink = _Sink(session, timeout)
    cmd_frags = _fragments(command, limit)
    parts: list[Buffer] = []
    for i, frag in enumerate(cmd_frags):
        parts += [_pdu_header(context_id, _CMD_LAST if i == len(cmd_frags) - 1 else _CMD_MORE, len(frag)), frag]
    if payload is None or payload.length == 0:
        sink.write(parts)
        return
    total = payload.length
    block = max(limit, (BLOCK // limit) * limit)
    buf = bytearray(min(block, total))
    view = memoryview(buf)
    done = 0

    def emit(chunk: memoryview) -> None:
        nonlocal done, parts
        for frag in _fragments(chunk, limit):
            done += len(frag)
            parts += [_pdu_header(context_id, _DATA_LAST if done == total else _DATA_MORE, len(frag)), frag]
        sink.write(parts)
        parts = []
        if on_bytes is not None:
            on_bytes(done)

    for seg in payload.segments:
        if isinstance(seg, bytes):
            for i in range(0, len(seg), block):
                emit(memoryview(seg)[i: i + block])
            continue
        with seg.path.open("rb", buffering=0) as fh:
            if sink.sock is not None and limit >= SENDFILE_MIN_PDV:
                if parts:
                    sink.write(parts)
                    parts = []
                offset, end = seg.offset, seg.offset + seg.length
                next_report = 0
                while offset < end:
                    n = min(limit, end - offset)
                    done += n
                    sink.sendfile(_pdu_header(context_id, _DATA_LAST if done == total else _DATA_MORE, n),
                                  fh.fileno(), offset, n)
                    offset += n
                    if on_bytes is not None and (done >= next_report or done == total):
                        on_bytes(done)
                        next_report = done + BLOCK
                continue
            fh.seek(seg.offset)
            left = seg.length
            while left > 0:
                n = _read_into(fh, view[: min(len(view), left)])
                emit(view[:n])
                left -= n
    if done != total:  # pragma: no cover - guarded by _read_into
        raise AssociationAbortedError("net.aborted", peer=str(session.peer), operation="C-STORE",
                                      source="local")


def _read_into(fh: BinaryIO, view: memoryview) -> int:
    """Fill ``view`` completely from ``fh``; a short file means it changed under us."""
    got = 0
    while got < len(view):
        n = fh.readinto(view[got:])  # type: ignore[attr-defined]
        if not n:
            raise OSError(f"file ended early after {got} of {len(view)} bytes")
        got += n
    return got


