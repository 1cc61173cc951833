"""Hardening of the station's own listener (issue 17 item 2 for the SCP side that issue 14 added).

``smartbox serve`` listens for Storage Commitment reports on ``listener.port``. Anybody on the network can
connect there before any AE title is checked, so the listener must bound what it reads exactly like the
requestor does (net/guard.py): a PDU length checked on the 6-byte header (A-ASSOCIATE-RQ at most
``MAX_ASSOCIATE_PDU``, P-DATA-TF at most the Maximum Length the listener announced, PS3.8 §9.3.1, D.1), one
deadline per PDU (ACSE timeout while associating, network timeout after), an A-ABORT (source 2) for a
violation — and the listener keeps serving the permitted archive afterwards.

Each test runs the real ``smartbox serve`` and a raw socket on 127.0.0.1; serve's RSS is watched with psutil.
"""

from __future__ import annotations

import signal
import socket
import struct
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import peers
import psutil
import pytest
from commitment_scp import commit_scp
from processes import processes, start_smartbox, wait_for
from pynetdicom import AE
from watched import MiB
from workflow_station import station

__all__ = ["processes"]  # the fixture

FLAT = 200 * MiB  # serve with its listener needs ~80 MiB
VERIFICATION = "1.2.840.10008.1.1"
IMPLICIT_LE = "1.2.840.10008.1.2"


def _item(kind: int, value: bytes) -> bytes:
    return struct.pack(">BBH", kind, 0, len(value)) + value


def associate_rq(calling: str, called: str = "SMARTBOX") -> bytes:
    """A well-formed A-ASSOCIATE-RQ for Verification (PS3.8 §9.3.2): the bytes a hostile client starts with."""
    context = struct.pack(">BBBB", 1, 0, 0, 0) + _item(0x30, VERIFICATION.encode()) + _item(0x40, IMPLICIT_LE.encode())
    body = (struct.pack(">HH", 1, 0) + called.ljust(16).encode() + calling.ljust(16).encode() + bytes(32)
            + _item(0x10, b"1.2.840.10008.3.1.1.1") + _item(0x20, context)
            + _item(0x50, _item(0x51, struct.pack(">I", 16384))))
    return struct.pack(">BBI", 0x01, 0, len(body)) + body


@contextmanager
def serving(tmp_path: Path, procs: list[subprocess.Popen[str]], *, logged: str = "aborted: ",
            **env: str) -> Iterator[tuple[int, psutil.Process]]:
    """``smartbox serve`` with its listener up (permitted calling AE: ARCHIVE, the commitment peer); at the end
    it must still answer C-ECHO, stop cleanly on SIGTERM, and its log must name what was refused (``logged``)."""
    listener = peers.free_port()
    with commit_scp(mode="never") as archive:
        cfg = station(tmp_path, pacs=archive.address, pacs_roles=("storage", "commitment"), listener_port=listener,
                      **env)
        serve = start_smartbox("serve", env=cfg, procs=procs)
        wait_for(lambda: _accepts(listener))
        yield listener, psutil.Process(serve.pid)
        assert serve.poll() is None, "serve ended while attacked"
        assert _echo(listener) == 0x0000  # still serving the archive it knows
        serve.send_signal(signal.SIGTERM)
        _, err = serve.communicate(timeout=30)
    assert serve.returncode == 0 and "Traceback" not in err, err
    if logged:
        assert "listener: connection from 127.0.0.1" in err and logged in err, err


def _accepts(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def _echo(port: int) -> int:
    ae = AE(ae_title="ARCHIVE")
    ae.add_requested_context(VERIFICATION)
    assoc = ae.associate("127.0.0.1", port, ae_title="SMARTBOX")
    try:
        assert assoc.is_established
        return int(assoc.send_c_echo().Status)
    finally:
        if assoc.is_established:
            assoc.release()
        ae.shutdown()


class Flood:
    """Write ``total`` bytes after ``head`` while sampling the server's RSS; stops when the server hangs up."""

    def __init__(self, sock: socket.socket, server: psutil.Process) -> None:
        self.sock, self.server = sock, server
        self.peak = server.memory_info().rss
        self.sent = 0
        self.closed_by_peer = False

    def run(self, head: bytes, total: int) -> None:
        self.sock.sendall(head)
        chunk = bytes(1 << 20)
        try:
            while self.sent < total:
                self.sock.sendall(chunk)
                self.sent += len(chunk)
                self.peak = max(self.peak, self.server.memory_info().rss)
        except OSError:  # reset / broken pipe: the listener hung up, as it should
            self.closed_by_peer = True
        self.peak = max(self.peak, self.server.memory_info().rss)


def _answer(sock: socket.socket, timeout: float) -> tuple[bytes, bool]:
    """What the listener writes until it closes the connection, and whether it did within ``timeout``."""
    sock.settimeout(timeout)
    got = bytearray()
    try:
        while chunk := sock.recv(65536):
            got += chunk
    except TimeoutError:
        return bytes(got), False
    except ConnectionResetError:
        pass
    return bytes(got), True


def test_an_associate_rq_of_4_gb_is_refused_at_its_header(tmp_path: Path,
                                                         processes: list[subprocess.Popen[str]]) -> None:
    with serving(tmp_path, processes, logged="PDU_TOO_LONG A-ASSOCIATE-RQ (length 4294967295, limit 262144") as (
            port, server):
        with socket.create_connection(("127.0.0.1", port)) as sock:
            flood = Flood(sock, server)
            flood.run(struct.pack(">BBI", 0x01, 0, 0xFFFFFFFF), 300 * MiB)
            assert flood.closed_by_peer, f"the listener read {flood.sent / MiB:.0f} MiB of a 4 GB A-ASSOCIATE-RQ"
        print(f"serve peak RSS {flood.peak / MiB:.0f} MiB after {flood.sent / MiB:.0f} MiB sent")
        assert flood.peak < FLAT, f"{flood.peak / MiB:.0f} MiB"


def test_a_p_data_longer_than_announced_is_aborted(tmp_path: Path, processes: list[subprocess.Popen[str]]) -> None:
    with serving(tmp_path, processes, logged="PDU_TOO_LONG P-DATA-TF (length 4294967295, limit 131072") as (
            port, server):
        with socket.create_connection(("127.0.0.1", port)) as sock:
            sock.sendall(associate_rq("ARCHIVE"))
            assert sock.recv(1)[0] == 0x02  # A-ASSOCIATE-AC
            sock.recv(65536)
            flood = Flood(sock, server)
            flood.run(struct.pack(">BBI", 0x04, 0, 0xFFFFFFFF), 300 * MiB)
            assert flood.closed_by_peer, f"the listener read {flood.sent / MiB:.0f} MiB of a 4 GB P-DATA-TF"
        print(f"serve peak RSS {flood.peak / MiB:.0f} MiB after {flood.sent / MiB:.0f} MiB sent")
        assert flood.peak < FLAT, f"{flood.peak / MiB:.0f} MiB"


@pytest.mark.parametrize("trickle", [False, True], ids=["silent", "trickle"])
def test_a_client_that_does_not_finish_its_request_is_cut_off(tmp_path: Path, processes: list[subprocess.Popen[str]],
                                                             trickle: bool) -> None:
    """ACSE timeout 2 s: the listener hangs up long before the 60 s this test waits (the guard's deadline per
    PDU, or pynetdicom's ARTIM timer, PS3.8 §9.1.5 — whichever comes first)."""
    with serving(tmp_path, processes, logged="", SMARTBOX_NETWORK_ACSE_TIMEOUT="2") as (port, _):
        with socket.create_connection(("127.0.0.1", port)) as sock:
            stop = threading.Event()
            if trickle:  # a header announcing 300 bytes, then one byte every 0.5 s
                sock.sendall(struct.pack(">BBI", 0x01, 0, 300) + b"\x00\x01")
                threading.Thread(target=_trickle, args=(sock, stop), daemon=True).start()
            answer, closed = _answer(sock, timeout=60)
            stop.set()
        assert closed, "the listener still waits for a request that never completes"
        assert answer[:1] in (b"", b"\x07"), answer[:10]  # nothing, or an A-ABORT


def _trickle(sock: socket.socket, stop: threading.Event) -> None:
    while not stop.wait(0.5):
        try:
            sock.send(b"\x00")
        except OSError:
            return


def test_garbage_gets_an_abort_and_the_listener_goes_on(tmp_path: Path,
                                                        processes: list[subprocess.Popen[str]]) -> None:
    with serving(tmp_path, processes, logged="NOT_DICOM") as (port, _):
        for _ in range(3):
            with socket.create_connection(("127.0.0.1", port)) as sock:
                sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
                answer, closed = _answer(sock, timeout=30)
            assert closed and answer[:1] in (b"", b"\x07"), answer[:10]  # no HTTP answer, at most an A-ABORT
