"""Hostile DICOM peers written with raw sockets: they send exactly the bytes a test wants (PS3.8 §9.3 PDUs).

For what no real peer does on demand: a PDU length of 0xFFFFFFFF, a trickle of 1 KB every 0.5 s, garbage,
a malformed A-ASSOCIATE-AC, an HTTP or TLS answer, P-DATA that never ends, a peer that stops reading, random
or truncated worklist answers. Each connection runs ``script(conversation)`` in its own thread; the server
listens on 127.0.0.1 port 0 (the real port read back) and is stopped in ``finally``, closing every connection.

:class:`Conversation` offers the few protocol steps a script needs: read one PDU, accept the association
(an A-ASSOCIATE-AC for every proposed context, first transfer syntax), answer a C-ECHO, build P-DATA-TF PDUs
and command sets (PS3.7 §9.3, Implicit VR Little Endian).
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import struct
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from pydicom.dataset import Dataset
from pydicom.filebase import DicomBytesIO
from pydicom.filewriter import write_dataset

HOST = "127.0.0.1"
APPLICATION_CONTEXT = b"1.2.840.10008.3.1.1.1"
MWL_FIND = "1.2.840.10008.5.1.4.31"
VERIFICATION = "1.2.840.10008.1.1"


class PeerGone(Exception):
    """The client closed the connection (or the server is stopping)."""


@dataclass
class Proposed:
    """One presentation context of the A-ASSOCIATE-RQ (PS3.8 §9.3.2.2)."""

    context_id: int
    abstract_syntax: str
    transfer_syntaxes: list[str]


class Conversation:
    """One accepted connection, seen from the hostile peer."""

    def __init__(self, sock: socket.socket, stopping: threading.Event) -> None:
        self.sock = sock
        self.stopping = stopping
        self.proposed: list[Proposed] = []
        self.received: list[tuple[int, bytes]] = []  # every PDU read: (type, body)

    # --- raw bytes

    def send(self, data: bytes) -> None:
        if self.stopping.is_set():
            raise PeerGone
        try:
            self.sock.sendall(data)
        except OSError as exc:
            raise PeerGone from exc

    def send_forever(self, block: bytes = b"\x00" * 65536, *, seconds: float = 120.0, pause: float = 0.0) -> None:
        """Send ``block`` again and again (optionally pausing) until the client goes or ``seconds`` pass."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.send(block)
            if pause:
                self.sleep(pause)

    def sleep(self, seconds: float) -> None:
        if self.stopping.wait(seconds):
            raise PeerGone

    def idle(self, seconds: float = 120.0) -> None:
        """Keep the connection open without reading or writing (until the client goes or the server stops)."""
        deadline = time.monotonic() + seconds
        self.sock.settimeout(0.1)
        while time.monotonic() < deadline and not self.stopping.is_set():
            try:
                if self.sock.recv(1, socket.MSG_PEEK) == b"":
                    return
            except (TimeoutError, BlockingIOError):
                continue
            except OSError:
                return
            self.sleep(0.1)  # data waits unread

    def drain(self, seconds: float = 120.0) -> None:
        """Read and discard everything until the client closes (a peer that never answers)."""
        deadline = time.monotonic() + seconds
        self.sock.settimeout(0.2)
        while time.monotonic() < deadline and not self.stopping.is_set():
            try:
                if not self.sock.recv(65536):
                    return
            except TimeoutError:
                continue
            except OSError:
                return

    def _exact(self, n: int) -> bytes:
        buf = bytearray()
        while len(buf) < n:
            try:
                chunk = self.sock.recv(min(65536, n - len(buf)))
            except OSError as exc:
                raise PeerGone from exc
            if not chunk:
                raise PeerGone
            buf += chunk
        return bytes(buf)

    def read_pdu(self) -> tuple[int, bytes]:
        """One PDU from the client: (type, body)."""
        self.sock.settimeout(30)
        pdu_type, _, length = struct.unpack(">BBI", self._exact(6))
        body = self._exact(length)
        self.received.append((pdu_type, body))
        return pdu_type, body

    # --- association

    def read_request(self) -> bytes:
        """Read the A-ASSOCIATE-RQ (PS3.8 §9.3.2) and remember its presentation contexts."""
        pdu_type, body = self.read_pdu()
        assert pdu_type == 0x01, f"expected A-ASSOCIATE-RQ, got PDU type {pdu_type:#x}"
        self.proposed = list(_contexts(body[68:]))
        return body

    def accept(self, *, max_pdu: int = 16384) -> None:
        """Read the A-ASSOCIATE-RQ and accept every context with its first transfer syntax (PS3.8 §9.3.3)."""
        body = self.read_request()
        self.send(associate_ac(body, self.proposed, max_pdu=max_pdu))

    def context_id(self, abstract_syntax: str) -> int:
        return next(p.context_id for p in self.proposed if p.abstract_syntax == abstract_syntax)

    def read_message(self) -> Dataset:
        """Read P-DATA-TF PDUs until a whole command set arrived; return it (data sets are read and dropped)."""
        command = bytearray()
        while True:
            pdu_type, body = self.read_pdu()
            if pdu_type != 0x04:
                raise PeerGone
            for control, data in _pdvs(body):
                if control & 0x01:
                    command += data
                    if control & 0x02:
                        ds = decode_command(bytes(command))
                        if int(ds.CommandDataSetType) == 0x0101:
                            return ds
                        self._skip_data_set()
                        return ds

    def _skip_data_set(self) -> None:
        while True:
            pdu_type, body = self.read_pdu()
            if pdu_type != 0x04:
                raise PeerGone
            if any(control & 0x02 for control, _ in _pdvs(body)):
                return

    def answer_echo(self) -> None:
        """Read a C-ECHO-RQ and answer success (PS3.7 §9.3.5.2)."""
        rq = self.read_message()
        cid = self.context_id(VERIFICATION)
        self.send(pdata(cid, 0x03, command(0x8030, VERIFICATION, int(rq.MessageID), 0x0000)))


@dataclass
class HostilePeer:
    """Handle of a running hostile peer."""

    port: int
    aet: str = "HOSTILE"
    conversations: list[Conversation] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)  # a script's own bugs (PeerGone excluded)

    @property
    def address(self) -> str:
        return f"{self.aet}@{HOST}:{self.port}"


Script = Callable[[Conversation], None]


@contextlib.contextmanager
def hostile_peer(script: Script, *, tls: ssl.SSLContext | None = None) -> Iterator[HostilePeer]:
    """Serve ``script`` on every connection (TLS-wrapped when ``tls`` is a server context)."""
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((HOST, 0))
    srv.listen(8)
    srv.settimeout(0.1)
    stopping = threading.Event()
    handle = HostilePeer(port=int(srv.getsockname()[1]))
    open_socks: list[socket.socket] = []

    def run(sock: socket.socket) -> None:
        try:
            if tls is not None:
                sock.settimeout(10)
                sock = tls.wrap_socket(sock, server_side=True)
            open_socks.append(sock)
            conv = Conversation(sock, stopping)
            handle.conversations.append(conv)
            script(conv)
        except (PeerGone, OSError):
            pass
        except BaseException as exc:  # a bug in the script: reported by the test
            handle.errors.append(exc)
        finally:
            with contextlib.suppress(OSError):
                sock.close()

    def accept_loop() -> None:
        while not stopping.is_set():
            try:
                sock, _ = srv.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            open_socks.append(sock)
            threading.Thread(target=run, args=(sock,), daemon=True).start()

    thread = threading.Thread(target=accept_loop, daemon=True)
    thread.start()
    try:
        yield handle
    finally:
        stopping.set()
        thread.join(5)
        srv.close()
        for sock in open_socks:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                sock.close()


# ---------------------------------------------------------------------------------------------- PDUs


def pdu(pdu_type: int, body: bytes) -> bytes:
    """A PDU: type, reserved, PDU length (big endian, PS3.8 §9.3.1), body."""
    return struct.pack(">BBI", pdu_type, 0, len(body)) + body


def pdu_header(pdu_type: int, length: int) -> bytes:
    """Just a PDU header announcing ``length`` bytes (the body is up to the script)."""
    return struct.pack(">BBI", pdu_type, 0, length)


def pdata(context_id: int, control: int, data: bytes) -> bytes:
    """A P-DATA-TF PDU with one PDV (PS3.8 §9.3.5, Annex E): control 0x03 last command fragment, 0x02 last data."""
    return pdu(0x04, struct.pack(">IBB", len(data) + 2, context_id, control) + data)


def abort_pdu(source: int = 0, reason: int = 0) -> bytes:
    """A-ABORT (PS3.8 §9.3.8)."""
    return pdu(0x07, bytes([0, 0, source, reason]))


def _item(item_type: int, data: bytes) -> bytes:
    return struct.pack(">BBH", item_type, 0, len(data)) + data


def _items(data: bytes) -> Iterator[tuple[int, bytes]]:
    offset = 0
    while offset + 4 <= len(data):
        item_type, _, length = struct.unpack(">BBH", data[offset:offset + 4])
        yield item_type, data[offset + 4: offset + 4 + length]
        offset += 4 + length


def _uid(data: bytes) -> str:
    return data.rstrip(b"\x00 ").decode("ascii")


def _contexts(items: bytes) -> Iterator[Proposed]:
    for item_type, data in _items(items):
        if item_type == 0x20:
            abstract, syntaxes = "", []
            for sub_type, sub in _items(data[4:]):
                if sub_type == 0x30:
                    abstract = _uid(sub)
                elif sub_type == 0x40:
                    syntaxes.append(_uid(sub))
            yield Proposed(data[0], abstract, syntaxes)


def associate_ac(request_body: bytes, proposed: list[Proposed], *, max_pdu: int = 16384) -> bytes:
    """An A-ASSOCIATE-AC (PS3.8 §9.3.3) accepting every proposed context with its first transfer syntax."""
    fixed = request_body[:68]  # protocol version, reserved, called/calling AE titles, reserved
    body = bytearray(fixed)
    body += _item(0x10, APPLICATION_CONTEXT)
    for cx in proposed:
        body += _item(0x21, bytes([cx.context_id, 0, 0, 0]) + _item(0x40, cx.transfer_syntaxes[0].encode()))
    user = _item(0x51, struct.pack(">I", max_pdu)) + _item(0x52, b"1.2.826.0.1.3680043.9.9999")
    body += _item(0x50, user)
    return pdu(0x02, bytes(body))


def _pdvs(body: bytes) -> Iterator[tuple[int, bytes]]:
    offset = 0
    while offset + 6 <= len(body):
        length = struct.unpack(">I", body[offset:offset + 4])[0]
        yield body[offset + 5], body[offset + 6: offset + 4 + length]
        offset += 4 + length


# ----------------------------------------------------------------------------------------- commands


def encode(ds: Dataset, *, implicit: bool = True) -> bytes:
    fp = DicomBytesIO()
    fp.is_implicit_VR = implicit
    fp.is_little_endian = True
    write_dataset(fp, ds)
    return bytes(fp.getvalue())


def command(field_: int, sop_class: str, responding_to: int, status: int, *, data_set: bool = False) -> bytes:
    """A response command set (PS3.7 §9.3, Implicit VR LE) with its Command Group Length."""
    ds = Dataset()
    ds.AffectedSOPClassUID = sop_class
    ds.CommandField = field_
    ds.MessageIDBeingRespondedTo = responding_to
    ds.CommandDataSetType = 0x0000 if data_set else 0x0101
    ds.Status = status
    body = encode(ds)
    return struct.pack("<HHII", 0x0000, 0x0000, 4, len(body)) + body


def decode_command(data: bytes) -> Dataset:
    from io import BytesIO

    from pydicom.filereader import read_dataset

    return read_dataset(BytesIO(data), True, True)


def mwl_answer(name: str = "Doe^Jane", patient_id: str = "P1") -> Dataset:
    """A small, valid worklist identifier."""
    ds = Dataset()
    ds.SpecificCharacterSet = "ISO_IR 192"
    ds.PatientName = name
    ds.PatientID = patient_id
    ds.StudyInstanceUID = "1.2.826.0.1.3680043.8.498.77"
    ds.AccessionNumber = "ACC1"
    sps = Dataset()
    sps.ScheduledStationAETitle = "SMARTBOX"
    sps.ScheduledProcedureStepStartDate = "20260101"
    sps.Modality = "ES"
    from pydicom.sequence import Sequence as DicomSequence

    ds.ScheduledProcedureStepSequence = DicomSequence([sps])
    return ds


# ------------------------------------------------------------------------------------------ scripts


def huge_associate_ac(conv: Conversation) -> None:
    """A-ASSOCIATE-AC announcing 0xFFFFFFFF bytes, then zeros as fast as the client reads them."""
    conv.read_request()
    conv.send(pdu_header(0x02, 0xFFFFFFFF))
    conv.send_forever()


def huge_pdata(conv: Conversation) -> None:
    """Accept, then answer the first request with a P-DATA-TF of 0xFFFFFFFF bytes that never ends."""
    conv.accept()
    conv.read_pdu()
    conv.send(pdu_header(0x04, 0xFFFFFFFF))
    conv.send_forever()


def endless_message(conv: Conversation) -> None:
    """Accept, then send command fragments that never end (each PDU within the limit, 'last' never set)."""
    conv.accept()
    conv.read_pdu()
    cid = conv.proposed[0].context_id
    fragment = pdata(cid, 0x01, b"\x00" * 16000)
    conv.send_forever(fragment)


def trickle_associate_ac(conv: Conversation) -> None:
    """An A-ASSOCIATE-AC of 64 KiB sent 1 KB every 0.5 s (the 'slow loris' of the audit)."""
    conv.read_request()
    conv.send(pdu_header(0x02, 65536))
    conv.send_forever(b"\x00" * 1024, pause=0.5)


def trickle_pdata(conv: Conversation) -> None:
    """Accept, then answer with a 64 KiB P-DATA-TF trickled 1 KB every 0.5 s (32 s for the whole PDU)."""
    conv.accept()
    conv.read_pdu()
    conv.send(pdu_header(0x04, 65536))
    conv.send_forever(b"\x00" * 1024, pause=0.5)


def http_answer(conv: Conversation) -> None:
    """A web server on the DICOM port."""
    conv.read_pdu()
    conv.send(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
    conv.idle(5)


def garbage_answer(conv: Conversation, data: bytes = bytes(range(0x90, 0x90 + 64)) * 4) -> None:
    """Bytes that are no PDU at all."""
    conv.read_pdu()
    conv.send(data)
    conv.idle(5)


def malformed_associate_ac(conv: Conversation) -> None:
    """An A-ASSOCIATE-AC whose first item announces more bytes than the PDU holds (PS3.8 §9.3.3)."""
    body = bytearray(conv.read_request())
    ac = bytearray(associate_ac(bytes(body), conv.proposed)[6:])
    struct.pack_into(">H", ac, 68 + 2, 0xFFF0)  # the Application Context item's length
    conv.send(pdu(0x02, bytes(ac)))
    conv.idle(5)


def silent_after_accept(conv: Conversation) -> None:
    """Accept, read every request, never answer (a PACS that hangs)."""
    conv.accept()
    conv.drain()


def stops_reading_after_accept(conv: Conversation) -> None:
    """Accept, then never read again (its receive window fills up: our sends block)."""
    conv.accept()
    conv.idle()


def tls_alert_to_plain(conv: Conversation) -> None:
    """What a TLS server sends to a client that speaks plain DICOM: a fatal alert record (RFC 8446 §6)."""
    conv.read_pdu()
    conv.send(bytes([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x46]))  # fatal protocol_version
    conv.idle(5)
