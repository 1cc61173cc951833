"""The association's TCP socket: socket options in one place, and the one lock every write goes through.

* :func:`tune` sets TCP_NODELAY as soon as the connection opens: small DIMSE exchanges take ~10 ms instead of
  ~100 ms with Nagle's algorithm on both ends (PEERS.md). :func:`quick_ack` re-arms TCP_QUICKACK (Linux): a
  peer that writes a PDU header and body in two writes with Nagle on (DCMTK does) otherwise waits for our
  ~40 ms delayed ACK before it sends the body. Both act on plain and TLS sockets (socket options only).
* :class:`PduSocket` writes whole P-DATA-TF PDUs (PS3.8 §9.3.5) under the association's **write lock** — the
  same lock the adapter makes pynetdicom's DUL thread take for its own writes (A-ASSOCIATE, A-RELEASE,
  A-ABORT, queued P-DATA; :mod:`smartbox_next.net.adapter`). So bytes of two PDUs never interleave on the wire,
  and the lock is held for one write of whole PDUs, never for a whole object. It is a :class:`HandoffLock`:
  released, it goes to the thread waiting longest, so a DUL write waits at most for the PDU in flight.
* :func:`set_send_timeout` / :func:`set_recv_timeout` set the kernel's SO_SNDTIMEO / SO_RCVTIMEO to a short
  slice (the adapter does, at connection open): a blocked write or read returns EAGAIN after a slice, so the
  writer can look around (stop requested? peer aborted? no progress for the network timeout?) and carry on.
  Python's own socket timeout stays None: the kernel keeps the blocking ``sendmsg``/``sendfile`` semantics.
"""

from __future__ import annotations

import os
import socket
import ssl
import struct
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from types import TracebackType
from typing import Protocol

TCP_QUICKACK: int | None = getattr(socket, "TCP_QUICKACK", None)  # Linux only; None elsewhere (no equivalent)
IOV_MAX = 1000  # iovec entries per sendmsg (Linux allows 1024)


def tune(sock: socket.socket) -> None:
    """TCP_NODELAY on a freshly connected association socket (a socket option; best effort like all of them)."""
    with suppress(OSError):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def quick_ack(sock: socket.socket) -> None:
    """Acknowledge received data at once rather than after the delayed-ACK timer (re-armed after each receive)."""
    if TCP_QUICKACK is not None:
        with suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, TCP_QUICKACK, 1)


def _timeval(seconds: float) -> bytes:
    return struct.pack("ll", int(seconds), int((seconds % 1) * 1_000_000))


def set_send_timeout(sock: socket.socket, seconds: float) -> None:
    """Bound each blocking send by ``seconds`` (kernel SO_SNDTIMEO; Python's own timeout stays None)."""
    with suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, _timeval(seconds))


def set_recv_timeout(sock: socket.socket, seconds: float) -> None:
    """Bound each blocking receive by ``seconds`` (kernel SO_RCVTIMEO; Python's own timeout stays None)."""
    with suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, _timeval(seconds))


Buffer = bytes | memoryview


class WriteLock(Protocol):
    """The association's write lock (a ``threading.Lock``; tests substitute one that records contention)."""

    def __enter__(self) -> object: ...

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None, /) -> None: ...


class HandoffLock:
    """A lock handed to the longest waiter on release (FIFO), so a thread that writes PDU after PDU cannot
    starve another writer: a plain ``threading.Lock`` lets the releasing thread take it straight back, and the
    DUL's A-ABORT could wait for the rest of a 4 GB object.
    """

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._held = False
        self._waiters: deque[threading.Lock] = deque()

    @property
    def held(self) -> bool:
        return self._held

    def __enter__(self) -> HandoffLock:
        with self._mutex:
            if not self._held:
                self._held = True
                return self
            gate = threading.Lock()
            gate.acquire()
            self._waiters.append(gate)
        gate.acquire()  # released by __exit__ of the holder: the lock is ours, still marked held
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None, /) -> None:
        with self._mutex:
            if self._waiters:
                self._waiters.popleft().release()  # hand over; no one can barge in between
            else:
                self._held = False


def new_write_lock() -> WriteLock:
    """A fresh write lock for one association."""
    return HandoffLock()


class PduSocket:
    """A plain TCP association socket written one run of whole PDUs at a time under the write lock.

    A write blocked by a full send buffer wakes every SO_SNDTIMEO slice: it runs ``check`` (which raises to
    give up: a stop, the peer's A-ABORT) and carries on until ``idle_timeout`` seconds passed without progress.
    Errors are the socket's own: ``BlockingIOError`` when no byte went out for ``idle_timeout``, other
    ``OSError`` when the connection broke. The caller maps them (outside the lock).
    """

    def __init__(self, sock: socket.socket, lock: WriteLock, *, idle_timeout: float = 600.0,
                 check: Callable[[], None] | None = None) -> None:
        self.sock = sock
        self.lock = lock
        self.idle_timeout = idle_timeout
        self.check = check
        self.torn = False  # a write gave up part-way: the PDU on the wire is incomplete (no A-ABORT after it)

    def _stalled(self, since: float) -> None:
        """A slice passed without progress: give up if asked to, or if it has lasted ``idle_timeout``."""
        if self.check is not None:
            self.check()
        if time.monotonic() - since > self.idle_timeout:
            raise BlockingIOError(f"no progress writing for {self.idle_timeout} s")

    def send(self, parts: Sequence[Buffer], *, flags: int = 0,
             between: Callable[[], None] | None = None) -> None:
        """Write ``parts`` — whole PDUs, as header/data buffers — completely, holding the lock throughout.

        ``between`` runs after a partial write (the kernel buffer was full), e.g. to notice a peer's A-ABORT.
        """
        views = [memoryview(p).cast("B") for p in parts]
        with self.lock:
            idx = 0
            progress = time.monotonic()
            while idx < len(views):
                try:
                    sent = self.sock.sendmsg(views[idx: idx + IOV_MAX], [], flags)
                except BlockingIOError:
                    self._stalled(progress)
                    continue
                progress = time.monotonic()
                self.torn = True  # until the last byte is out: a PDU is incomplete on the wire
                # drop fully sent views, trim the partially sent one
                while sent and idx < len(views):
                    n = len(views[idx])
                    if sent >= n:
                        sent -= n
                        idx += 1
                    else:
                        views[idx] = views[idx][sent:]
                        sent = 0
                if idx < len(views) and between is not None:
                    between()
            self.torn = False

    def sendfile(self, header: bytes, fd: int, offset: int, count: int) -> None:
        """One PDU: ``header`` (held back with MSG_MORE) and ``count`` bytes of file ``fd`` copied by the kernel.

        No user-space copy of the data: with several destinations at once this halves the copying the CPU does.
        """
        with self.lock:
            self._send_all(header, socket.MSG_MORE)
            self.torn = True
            end = offset + count
            progress = time.monotonic()
            while offset < end:
                try:
                    sent = os.sendfile(self.sock.fileno(), fd, offset, end - offset)
                except BlockingIOError:
                    self._stalled(progress)
                    continue
                if sent == 0:
                    raise OSError(f"file ended early at offset {offset}")
                offset += sent
                progress = time.monotonic()
            self.torn = False

    def _send_all(self, data: bytes | memoryview, flags: int) -> None:
        view = memoryview(data)
        progress = time.monotonic()
        while view:
            try:
                view = view[self.sock.send(view, flags):]
            except (BlockingIOError, ssl.SSLWantWriteError, TimeoutError):  # TimeoutError: TLS, below
                self._stalled(progress)
                continue
            if len(view):
                self.torn = True
            progress = time.monotonic()


class TlsPduSocket(PduSocket):
    """:class:`PduSocket` for a TLS connection written by one thread only (the native upper layer,
    :mod:`smartbox_next.net.ulp`): an ``SSLSocket`` has neither ``sendmsg`` nor ``sendfile``, so the parts of
    one locked write are joined (at most one PDU or ``LOCKED_WRITE`` bytes of them) and file data is read with
    ``pread`` before it is encrypted. Same lock, stall checks, idle timeout and errors.

    The kernel's SO_SNDTIMEO does not wake a blocking ``SSLSocket.send`` (CPython retries ``SSL_write`` inside
    the call, for ever when the peer does not read), so a write runs with a Python socket timeout of
    :func:`tls_write_slice` seconds: the ``TimeoutError`` is a slice without progress, and the same bytes are
    offered again (what OpenSSL requires of a retried write).
    """

    def send(self, parts: Sequence[Buffer], *, flags: int = 0,
             between: Callable[[], None] | None = None) -> None:
        data = b"".join(parts)
        with self.lock, tls_write_slice(self.sock):
            self.torn = False
            self._send_all(data, flags)
            self.torn = False

    def sendfile(self, header: bytes, fd: int, offset: int, count: int) -> None:
        data = os.pread(fd, count, offset)
        if len(data) < count:
            raise OSError(f"file ended early at offset {offset + len(data)}")
        with self.lock, tls_write_slice(self.sock):
            self.torn = False
            self._send_all(header + data, 0)
            self.torn = False


TLS_WRITE_SLICE = 0.2  # seconds a TLS write waits before it looks around (as the guard's SLICE)


@contextmanager
def tls_write_slice(sock: socket.socket) -> Iterator[None]:
    """While writing to an ``SSLSocket`` (one thread only): a blocked send raises ``TimeoutError`` after a slice
    instead of waiting inside OpenSSL for ever; blocking again afterwards (the reads rely on it)."""
    sock.settimeout(TLS_WRITE_SLICE)
    try:
        yield
    finally:
        with suppress(OSError):
            sock.settimeout(None)
