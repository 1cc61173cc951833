"""C-STORE over the native upper layer (net/store_session.py on net/ulp.py, issue 13): the C-STORE-RQ command set
is byte for byte pynetdicom's, the C-STORE-RSP is read natively (Status, Error Comment, Message ID Being Responded
To), and what a scripted peer does while we stream (an A-ABORT, an early response, a small Maximum Length) ends
as the error or outcome it did with pynetdicom.

Real peers (DCMTK storescp, Orthanc, the pynetdicom fault SCP) are in test_net_store.py, test_net_faults.py,
test_net_tls.py and the hardening tests; that a ``smartbox send`` process loads no pynetdicom, pydicom or numpy is
in test_startup.py.
"""

from __future__ import annotations

import socket
import struct
import time
from pathlib import Path

import hostile_peer as hp
import pytest
from fault_scp import make_native
from pydicom.dataset import Dataset

from smartbox_next.dicom.peer import Peer
from smartbox_next.errors import AssociationAbortedError
from smartbox_next.net import adapter, pdu, ulp, wire
from smartbox_next.net.link import Attempt, LinkSettings
from smartbox_next.net.store import Outcome, store_files

FAST = LinkSettings(connect_timeout=2, acse_timeout=2, dimse_timeout=5, network_timeout=5)
SC = "1.2.840.10008.5.1.4.1.1.7"
EXPLICIT = "1.2.840.10008.1.2.1"


@pytest.mark.parametrize(("message_id", "sop_class", "instance"), [
    (1, SC, "1.2.3.4"),  # odd UID lengths: padded with one NUL (PS3.5 §6.2)
    (2, "1.2.840.10008.5.1.4.1.1.77.1.1.1", "1.2.826.0.1.3680043.8.498.12345678901234567890"),
    (4660, "1.2.840.10008.5.1.4.1.1.2", "2.25.1"),
    (65535, SC, "1.2.3.44"),
])
def test_the_c_store_rq_command_set_is_byte_for_byte_pynetdicoms(message_id: int, sop_class: str,
                                                                  instance: str) -> None:
    """PS3.7 §9.3.1.1 in Implicit VR LE: group length, Affected SOP Class UID, Command Field 0001H, Message ID,
    Priority MEDIUM, Command Data Set Type (present), Affected SOP Instance UID."""
    ours = pdu.store_command(message_id, sop_class, instance)
    assert ours == adapter.store_command(message_id, sop_class, instance)
    elements = pdu.parse_command(ours)
    assert sorted(elements) == [0x0000, 0x0002, 0x0100, 0x0110, 0x0700, 0x0800, 0x1000]
    assert struct.unpack("<I", elements[0x0000])[0] == len(ours) - 12
    assert struct.unpack("<H", elements[0x0100])[0] == 0x0001
    assert struct.unpack("<H", elements[0x0800])[0] != 0x0101  # a data set follows
    assert elements[0x1000].rstrip(b"\x00").decode() == instance


def _store_rsp(responding_to: int, status: int, comment: str = "") -> bytes:
    ds = Dataset()
    ds.AffectedSOPClassUID = SC
    ds.CommandField = 0x8001
    ds.MessageIDBeingRespondedTo = responding_to
    ds.CommandDataSetType = 0x0101
    ds.Status = status
    if comment:
        ds.ErrorComment = comment
    body = hp.encode(ds)
    return struct.pack("<HHII", 0x0000, 0x0000, 4, len(body)) + body


def _release(conv: hp.Conversation) -> None:
    pdu_type, _ = conv.read_pdu()
    assert pdu_type == 0x05  # A-RELEASE-RQ
    conv.send(hp.pdu(0x06, bytes(4)))


def test_the_response_status_and_error_comment_are_read_natively(tmp_path: Path) -> None:
    """A response to another message is skipped; ours carries B000 and an Error Comment (PS3.7 C.4): stored with
    warning, status and comment recorded; the association is released."""
    make_native(tmp_path / "a.dcm", nbytes=100_000)
    seen: list[int] = []

    def script(conv: hp.Conversation) -> None:
        conv.accept(max_pdu=16384)
        rq = conv.read_message()
        seen.append(int(rq.MessageID))
        cid = conv.context_id(SC)
        conv.send(hp.pdata(cid, 0x03, _store_rsp(int(rq.MessageID) + 7, 0x0000)))
        conv.send(hp.pdata(cid, 0x03, _store_rsp(int(rq.MessageID), 0xB000, "coerced PatientName")))
        _release(conv)

    with hp.hostile_peer(script) as handle:
        batch = store_files(FAST, Peer.parse(handle.address), [tmp_path / "a.dcm"])
    result = batch.results[0]
    assert result.outcome is Outcome.WARNING, result.error
    assert result.status == 0xB000 and result.comment == "coerced PatientName"
    assert result.warning is not None and "coerced PatientName" in result.warning.text("en")
    assert seen == [1]


def test_the_peers_maximum_length_limits_every_pdu_we_send(tmp_path: Path) -> None:
    """PS3.8 D.1: with Maximum Length 4096 announced no P-DATA-TF of ours is longer; the data set arrives whole."""
    make_native(tmp_path / "a.dcm", nbytes=50_000)
    lengths: list[int] = []
    data = bytearray()

    def script(conv: hp.Conversation) -> None:
        conv.accept(max_pdu=4096)
        while True:
            pdu_type, body = conv.read_pdu()
            assert pdu_type == 0x04
            lengths.append(len(body))
            last = False
            for control, fragment in hp._pdvs(body):
                if not control & 0x01:
                    data.extend(fragment)
                    last = last or bool(control & 0x02)
            if last:
                break
        conv.send(hp.pdata(conv.context_id(SC), 0x03, _store_rsp(1, 0x0000)))
        _release(conv)

    with hp.hostile_peer(script) as handle:
        batch = store_files(FAST, Peer.parse(handle.address), [tmp_path / "a.dcm"])
    assert batch.results[0].outcome is Outcome.STORED, batch.results[0].error
    assert max(lengths) <= 4096 and len(lengths) > 10
    raw = (tmp_path / "a.dcm").read_bytes()
    assert raw.endswith(bytes(data)) and len(data) == batch.results[0].bytes_sent


def test_an_a_abort_while_we_stream_names_its_source(tmp_path: Path) -> None:
    """The peer aborts (source 0, service-user) after the first PDUs of a large object and stops reading: the
    object fails retryably with "aborted by the service-user", within the network timeout."""
    make_native(tmp_path / "big.dcm", nbytes=15_000_000)

    def script(conv: hp.Conversation) -> None:
        conv.accept(max_pdu=16384)
        for _ in range(3):
            conv.read_pdu()
        conv.send(hp.abort_pdu(0, 0))
        conv.idle(10)

    with hp.hostile_peer(script) as handle:
        batch = store_files(FAST, Peer.parse(handle.address), [tmp_path / "big.dcm"])
    result = batch.results[0]
    assert result.outcome is Outcome.FAILED and isinstance(result.error, AssociationAbortedError)
    assert result.retryable
    assert "service-user" in result.error.text("en"), result.error.text("en")


def _association(sock: socket.socket) -> ulp.Association:
    assoc = ulp.Association(sock, FAST, Peer("PEER", "127.0.0.1", 104), Attempt(), None)
    assoc.is_established = True
    sock.settimeout(None)
    wire.set_recv_timeout(sock, 0.2)
    wire.set_send_timeout(sock, 0.2)
    return assoc


def test_what_the_peer_sends_while_we_stream_is_read_between_writes() -> None:
    """poll_peer: an early response is kept for wait_response, the A-ABORT after it ends the association and
    names its source (PS3.8 Table 9-26)."""
    ours, theirs = socket.socketpair()
    with ours, theirs:
        assoc = _association(ours)
        assert assoc.poll_peer()  # nothing sent yet: still alive, nothing read
        response = hp.pdata(1, 0x03, _store_rsp(1, 0xA700, "disk full"))
        theirs.sendall(response + hp.abort_pdu(0, 0))
        time.sleep(0.05)
        assert not assoc.poll_peer() and assoc.ended
        assert assoc.attempt.abort_source == 0
        assert assoc.read_pdu(time.monotonic() + 1) == (0x04, response[6:])  # the early response comes first


def test_nothing_is_written_into_a_pdu_cut_off_mid_write() -> None:
    """Our write stopped part-way through a PDU (torn): the peer's A-RELEASE-RQ is not answered and abort()
    writes no A-ABORT — either would be read as the rest of our PDU; the connection is closed instead."""
    ours, theirs = socket.socketpair()
    with ours, theirs:
        assoc = _association(ours)
        assoc.pdu_socket().torn = True
        theirs.sendall(hp.pdu(0x05, bytes(4)))  # A-RELEASE-RQ
        time.sleep(0.05)
        assert not assoc.poll_peer()
        assoc.abort()
        theirs.setblocking(False)
        with pytest.raises(BlockingIOError):
            theirs.recv(100)  # nothing came: no A-RELEASE-RP, no A-ABORT


def test_a_tls_peer_that_stops_reading_times_out_and_a_stop_ends_the_write(tmp_path: Path) -> None:
    """TLS (one thread writes the SSLSocket): a blocked write looks around every slice like a plain one — after
    the network timeout without progress the object fails (retryable timeout); a stop ends it within a second,
    with no result for the object in flight."""
    import ssl

    from test_net_tls import _pki

    from smartbox_next.errors import ResponseTimeoutError
    from smartbox_next.net.store import store_each

    peers_module = pytest.importorskip("peers")
    peers_module.require_tool("openssl")
    pki = tmp_path / "pki"
    pki.mkdir()
    _pki(pki)
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(pki / "server.crt", pki / "server.key")
    make_native(tmp_path / "big.dcm", nbytes=15_000_000)
    settings = LinkSettings(connect_timeout=2, acse_timeout=5, dimse_timeout=5, network_timeout=1.5,
                            tls_ca_certificates=str(pki / "ca.crt"))

    def script(conv: hp.Conversation) -> None:
        conv.accept(max_pdu=131072)
        conv.sleep(15)  # reads nothing more

    with hp.hostile_peer(script, tls=server) as handle:
        peer = Peer("HOSTILE", "127.0.0.1", handle.port, tls=True)
        started = time.monotonic()
        batch = store_files(settings, peer, [tmp_path / "big.dcm"])
        took = time.monotonic() - started
        result = batch.results[0]
        assert isinstance(result.error, ResponseTimeoutError) and result.retryable, result.error
        assert took < 10, took

        stop_at = time.monotonic() + 1.0
        started = time.monotonic()
        results = list(store_each(settings.__class__(**{**settings.__dict__, "network_timeout": 60.0}), peer,
                                  [tmp_path / "big.dcm"], stop=lambda: time.monotonic() > stop_at))
        assert results == [] and time.monotonic() - started < 3
