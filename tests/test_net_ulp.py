"""The native upper layer of ``smartbox echo`` (net/ulp.py): the bytes it sends (checked against what pynetdicom
encodes for the same values), what it reads through the guard, and the errors of net/outcome.py it ends with.

Scripted raw-socket peers (``hostile_peer.py``) send exactly the answers a case needs; the real peers (DCMTK
storescp, Orthanc) answer a whole verification. TLS over the native layer: ``test_net_tls.py`` and
``test_hardening_tls.py`` (``smartbox echo`` processes).
"""

from __future__ import annotations

import struct
import threading
import time
from pathlib import Path

import hostile_peer as hp
import peers
import pytest

from smartbox_next.dicom.peer import Peer
from smartbox_next.dicom.uid import IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME
from smartbox_next.errors import (
    AssociationAbortedError,
    AssociationRejectedError,
    ConnectError,
    DimseError,
    NoAcceptedContextError,
    ResponseTimeoutError,
)
from smartbox_next.net import adapter, outcome, pdu, session, ulp
from smartbox_next.net.echo import echo
from smartbox_next.net.link import (
    VERIFICATION_CONTEXT,
    Attempt,
    Context,
    Fault,
    FaultKind,
    LinkSettings,
    Rejection,
)

FAST = LinkSettings(connect_timeout=2, acse_timeout=2, dimse_timeout=1, network_timeout=2)
CT = "1.2.840.10008.5.1.4.1.1.2"
CONTEXTS = [VERIFICATION_CONTEXT, Context(CT, ("1.2.840.10008.1.2.1", "1.2.840.10008.1.2"))]


def _peer(handle: hp.HostilePeer) -> Peer:
    return Peer.parse(handle.address)


def _last_received(handle: hp.HostilePeer, pdu_type: int = 0x07) -> tuple[int, bytes]:
    """The last PDU the peer read, once one of ``pdu_type`` came (the script reads it in its own thread)."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        received = handle.conversations[0].received if handle.conversations else []
        if received and received[-1][0] == pdu_type:
            break
        time.sleep(0.01)
    return handle.conversations[0].received[-1]


# ------------------------------------------------------------------------------------------ encoding


def test_the_associate_rq_is_byte_for_byte_what_pynetdicom_sends() -> None:
    """PS3.8 §9.3.2: fixed fields, application context, contexts 1 and 3, user information (D.1, PS3.7 D.3.3)."""
    def capture(conv: hp.Conversation) -> None:
        conv.read_request()

    settings = LinkSettings(calling_ae="ENDO1", max_pdu=65536, acse_timeout=2)
    with hp.hostile_peer(capture) as handle:
        link = adapter.associate(settings, _peer(handle), CONTEXTS)
        link.close()
        pdu_type, body = handle.conversations[0].received[0]
    assert pdu_type == 0x01
    ours = pdu.associate_rq("ENDO1", "HOSTILE", CONTEXTS, 65536)
    assert ours == hp.pdu(pdu_type, body)
    assert IMPLEMENTATION_CLASS_UID.encode() in ours and IMPLEMENTATION_VERSION_NAME.encode() in ours
    assert pdu.APPLICATION_CONTEXT_NAME == adapter.APPLICATION_CONTEXT_NAME
    assert [p.context_id for p in hp._contexts(body[68:])] == [1, 3]


def test_the_rq_is_what_goes_on_the_wire() -> None:
    def capture(conv: hp.Conversation) -> None:
        conv.read_request()

    with hp.hostile_peer(capture) as handle:
        with pytest.raises(ConnectError):
            echo(FAST, _peer(handle))
        pdu_type, body = handle.conversations[0].received[0]
    assert hp.pdu(pdu_type, body) == pdu.associate_rq(FAST.calling_ae, "HOSTILE", [VERIFICATION_CONTEXT],
                                                      FAST.max_pdu)


@pytest.mark.parametrize("message_id", [1, 2, 255, 4660, 65535])
def test_the_c_echo_rq_command_set_is_byte_for_byte_pynetdicoms(message_id: int) -> None:
    """PS3.7 §9.3.5.1 in Implicit VR LE: (0000,0000), (0000,0002), (0000,0100) 0030H, (0000,0110), (0000,0800)."""
    ours = pdu.echo_command(message_id)
    assert ours == adapter.echo_command(message_id)
    elements = pdu.parse_command(ours)
    assert sorted(elements) == [0x0000, 0x0002, 0x0100, 0x0110, 0x0800]
    assert struct.unpack("<I", elements[0x0000])[0] == len(ours) - 12
    assert struct.unpack("<H", elements[0x0110])[0] == message_id


def test_a_response_command_set_decodes() -> None:
    raw = hp.command(0x8030, hp.VERIFICATION, 7, 0x0110)[12:]  # without its group length, as pydicom wrote it
    elements = pdu.parse_command(hp.command(0x8030, hp.VERIFICATION, 7, 0x0110))
    assert struct.unpack("<H", elements[0x0900])[0] == 0x0110 and struct.unpack("<H", elements[0x0120])[0] == 7
    assert pdu.parse_command(raw)[0x0100] == b"\x30\x80"
    for bad in (raw[:-1], b"\x08\x00\x10\x00\x02\x00\x00\x00AB", b"\x00\x00\x00\x09\xff\xff\xff\xff"):
        with pytest.raises(ValueError):
            pdu.parse_command(bad)


def test_pdata_is_fragmented_to_the_peers_maximum_length() -> None:
    command = pdu.echo_command(1)
    pdus = pdu.pdata_tf(5, command, 26)  # 20 bytes of command per PDV
    assert all(len(p) - 6 <= 26 for p in pdus) and len(pdus) == -(-len(command) // 20)
    assert [p[11] for p in pdus] == [0x01] * (len(pdus) - 1) + [0x03]
    assert b"".join(p[12:] for p in pdus) == command
    assert pdu.pdata_tf(5, command, 0) == [hp.pdata(5, 0x03, command)]  # 0: no limit (PS3.8 D.1)


# ------------------------------------------------------------------------------------------ a whole echo


def _accept_echo_release(conv: hp.Conversation) -> None:
    conv.accept()
    conv.answer_echo()
    pdu_type, _ = conv.read_pdu()
    assert pdu_type == 0x05  # A-RELEASE-RQ
    conv.send(hp.pdu(0x06, bytes(4)))


def test_echo_associates_verifies_and_releases() -> None:
    with hp.hostile_peer(_accept_echo_release) as handle:
        result = echo(FAST, _peer(handle))
        assert not handle.errors, handle.errors
        received = handle.conversations[0].received
    assert result.status == 0 and result.association_ms > 0 and result.echo_ms > 0
    assert [t for t, _ in received] == [0x01, 0x04, 0x05]
    assert received[1][1] == struct.pack(">IBB", len(pdu.echo_command(1)) + 2, 1, 0x03) + pdu.echo_command(1)


def test_a_small_peer_maximum_length_fragments_the_request() -> None:
    def small(conv: hp.Conversation) -> None:
        conv.accept(max_pdu=32)
        conv.answer_echo()
        conv.read_pdu()
        conv.send(hp.pdu(0x06, bytes(4)))

    with hp.hostile_peer(small) as handle:
        assert echo(FAST, _peer(handle)).status == 0
        assert not handle.errors, handle.errors
        pdata = [body for t, body in handle.conversations[0].received if t == 0x04]
    assert len(pdata) > 1 and all(len(body) <= 32 for body in pdata)


def test_a_fragmented_response_and_one_for_another_message_are_read() -> None:
    """The response's command in three fragments over two PDUs; a response to message 9 before it is skipped."""
    def fragments(conv: hp.Conversation) -> None:
        conv.accept()
        rq = conv.read_message()
        cid = conv.context_id(hp.VERIFICATION)
        conv.send(hp.pdata(cid, 0x03, hp.command(0x8030, hp.VERIFICATION, 9, 0)))
        cmd = hp.command(0x8030, hp.VERIFICATION, int(rq.MessageID), 0x0001)
        pdv = struct.pack(">IBB", 12, cid, 0x01) + cmd[:10]
        conv.send(hp.pdu(0x04, pdv + struct.pack(">IBB", 12, cid, 0x01) + cmd[10:20]))
        conv.send(hp.pdata(cid, 0x03, cmd[20:]))
        conv.read_pdu()
        conv.send(hp.pdu(0x06, bytes(4)))

    with hp.hostile_peer(fragments) as handle:
        with pytest.raises(DimseError) as caught:
            echo(FAST, _peer(handle))
        assert not handle.errors, handle.errors
    assert caught.value.key == "echo.failed" and caught.value.status == 0x0001 and "0x0001" in str(caught.value)


# ------------------------------------------------------------------------------------------ outcomes


@pytest.mark.parametrize(("result", "source", "reason", "key", "retryable"), [
    (1, 1, 3, "net.rejected.calling_ae", False),
    (1, 1, 7, "net.rejected.called_ae", False),
    (2, 3, 1, "net.rejected.congestion", True),
    (2, 2, 2, "net.rejected.protocol_version", True),
])
def test_a_rejection_is_mapped_by_source_and_reason(result: int, source: int, reason: int, key: str,
                                                    retryable: bool) -> None:
    """A-ASSOCIATE-RJ (PS3.8 §9.3.4, Table 9-21): retryable only for result 2 (transient)."""
    def reject(conv: hp.Conversation) -> None:
        conv.read_request()
        conv.send(hp.pdu(0x03, bytes([0, result, source, reason])))

    with hp.hostile_peer(reject) as handle, pytest.raises(AssociationRejectedError) as caught:
        echo(FAST, _peer(handle))
    assert caught.value.key == key and caught.value.retryable is retryable


@pytest.mark.parametrize(("when", "source", "name"), [("association", 0, "service-user"),
                                                      ("response", 2, "service-provider")])
def test_an_a_abort_names_its_source(when: str, source: int, name: str) -> None:
    """A-ABORT (PS3.8 §9.3.8, Table 9-26) instead of the A-ASSOCIATE-AC or the C-ECHO-RSP."""
    def abort(conv: hp.Conversation) -> None:
        if when == "association":
            conv.read_request()
        else:
            conv.accept()
            conv.read_message()
        conv.send(hp.abort_pdu(source, 0))

    with hp.hostile_peer(abort) as handle, pytest.raises(AssociationAbortedError) as caught:
        echo(FAST, _peer(handle))
    assert caught.value.key == "net.aborted" and caught.value.params["source"] == name


def test_a_failed_request_write_still_reads_the_peers_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    """The peer answered (here: rejected) and closed before our A-ASSOCIATE-RQ went out, as a TLS 1.3 server
    refusing our certificate does with its alert: the write fails, the reason is still read and reported."""
    def reject_at_once(conv: hp.Conversation) -> None:
        conv.send(hp.pdu(0x03, bytes([0, 1, 1, 3])))
        conv.idle(3)

    def broken(self: object, data: bytes) -> None:
        raise BrokenPipeError("the peer closed")

    monkeypatch.setattr(ulp.PduGuard, "send", broken)
    with hp.hostile_peer(reject_at_once) as handle, pytest.raises(AssociationRejectedError) as caught:
        echo(FAST, _peer(handle))
    assert caught.value.key == "net.rejected.calling_ae"


def test_no_accepted_context_is_no_accepted_context_and_aborted() -> None:
    def refuse(conv: hp.Conversation) -> None:
        body = conv.read_request()
        ac = bytearray(hp.associate_ac(body, conv.proposed))
        ac[6 + 68 + 4 + len(hp.APPLICATION_CONTEXT) + 6] = 3  # context 1: abstract syntax not supported
        conv.send(bytes(ac))
        conv.read_pdu()

    with hp.hostile_peer(refuse) as handle:
        with pytest.raises(NoAcceptedContextError):
            echo(FAST, _peer(handle))
        assert _last_received(handle) == (0x07, bytes(4))  # A-ABORT, source 0


def test_silence_after_the_request_is_a_timeout_and_the_peer_gets_an_a_abort() -> None:
    """DIMSE timeout (PS3.7 §9.1): ResponseTimeoutError, and the association is aborted (source 0)."""
    def silent(conv: hp.Conversation) -> None:
        conv.accept()
        conv.read_message()
        conv.read_pdu()

    with hp.hostile_peer(silent) as handle:
        with pytest.raises(ResponseTimeoutError) as caught:
            echo(FAST, _peer(handle))
        assert _last_received(handle) == (0x07, bytes(4))
    assert caught.value.key == "net.timeout" and caught.value.params["operation"] == "C-ECHO"


def test_a_response_without_status_is_a_fault_answered_with_an_a_abort() -> None:
    def no_status(conv: hp.Conversation) -> None:
        conv.accept()
        rq = conv.read_message()
        cmd = hp.command(0x8030, hp.VERIFICATION, int(rq.MessageID), 0)
        conv.send(hp.pdata(conv.context_id(hp.VERIFICATION), 0x03, cmd[:-10]))  # Status (0000,0900) cut off
        conv.read_pdu()

    with hp.hostile_peer(no_status) as handle:
        with pytest.raises(AssociationAbortedError) as caught:
            echo(FAST, _peer(handle))
        assert _last_received(handle) == (0x07, bytes([0, 0, 2, 6]))
    assert caught.value.key == "net.peer.malformed"


def test_an_unexpected_pdu_is_aborted_as_aa_8() -> None:
    """PS3.8 Table 9-10: an A-RELEASE-RP while awaiting the A-ASSOCIATE-AC: A-ABORT source 2, reason 2."""
    def release_rp(conv: hp.Conversation) -> None:
        conv.read_request()
        conv.send(hp.pdu(0x06, bytes(4)))
        conv.read_pdu()

    with hp.hostile_peer(release_rp) as handle:
        with pytest.raises(AssociationAbortedError) as caught:
            echo(FAST, _peer(handle))
        assert _last_received(handle) == (0x07, bytes([0, 0, 2, 2]))
    assert caught.value.params["source"] == "service-provider"


def test_a_stop_aborts_the_wait() -> None:
    stop = threading.Event()

    def silent(conv: hp.Conversation) -> None:
        conv.accept()
        conv.read_message()
        stop.set()
        conv.read_pdu()

    settings = LinkSettings(acse_timeout=5, dimse_timeout=30, network_timeout=30)
    with hp.hostile_peer(silent) as handle:
        with pytest.raises(outcome.Stopped), ulp.open_association(settings, _peer(handle), [VERIFICATION_CONTEXT],
                                                                  stop=stop.is_set) as assoc:
            ulp.echo(assoc)
        assert _last_received(handle) == (0x07, bytes(4))


def test_the_mapping_is_one_module_for_both_requestors() -> None:
    """net/session.py (pynetdicom) and net/ulp.py map an Attempt with the same functions of net/outcome.py."""
    assert session.association_error is ulp.association_error is outcome.association_error
    assert session.Stopped is ulp.Stopped is outcome.Stopped
    peer = Peer.parse("PACS@127.0.0.1:104")
    cases = [
        (Attempt(), "net.connect_failed", ConnectError),
        (Attempt(connected=True, rejection=Rejection(2, 3, 2)), "net.rejected.local_limit", AssociationRejectedError),
        (Attempt(connected=True, abort_source=0), "net.aborted", AssociationAbortedError),
        (Attempt(connected=True, fault=Fault(FaultKind.CLOSED)), "net.peer.closed", ConnectError),
        (Attempt(connected=True, fault=Fault(FaultKind.TLS_UNKNOWN_CA)), "net.tls.unknown_ca", ConnectError),
        (Attempt(connected=True, fault=Fault(FaultKind.PDU_TOO_LONG, length=9, limit=8)), "net.peer.pdu_too_long",
         AssociationAbortedError),
        (Attempt(connected=True), "net.timeout", ResponseTimeoutError),
    ]
    for attempt, key, kind in cases:
        error = outcome.association_error(peer, attempt, (), [VERIFICATION_CONTEXT])
        assert isinstance(error, kind) and error.key == key, (attempt, error)
    accepted_nothing = outcome.association_error(peer, Attempt(connected=True, accepted=True), (),
                                                 [VERIFICATION_CONTEXT])
    assert isinstance(accepted_nothing, NoAcceptedContextError)
    dropped = outcome.dropped_error(peer, Attempt(connected=True), "C-ECHO")
    assert dropped.key == "net.aborted" and dropped.params["source"] == "network"


# ------------------------------------------------------------------------------------------ real peers


@pytest.mark.peer
def test_echo_against_dcmtk_storescp(tmp_path: Path) -> None:
    with peers.storescp(tmp_path / "received") as scp:
        result = echo(LinkSettings(), Peer.parse(scp.address))
        log = scp.log()
    assert result.status == 0
    assert "Association Release" in log, log  # released (PS3.8 §9.3.6), not aborted


@pytest.mark.peer
def test_echo_against_orthanc(tmp_path: Path) -> None:
    with peers.orthanc(tmp_path / "orthanc") as pacs:
        result = echo(LinkSettings(), Peer.parse(pacs.address))
    assert result.status == 0


@pytest.mark.peer
def test_a_called_ae_storescp_refuses_is_a_permanent_rejection(tmp_path: Path) -> None:
    with peers.storescp(tmp_path / "received", extra_args=["--refuse"]) as scp, \
            pytest.raises(AssociationRejectedError) as caught:
        echo(LinkSettings(), Peer.parse(scp.address))
    assert not caught.value.retryable


def test_echo_against_a_pynetdicom_acceptor() -> None:
    """The loopback PACS of ``smartbox demo`` (pynetdicom, guarded) accepts our PDUs; Maximum Length 0 (no limit,
    PS3.8 D.1) and a set one."""
    server = adapter.start_server("LOOPBACK", [], adapter.ServerHandlers(), max_pdu=4096)
    try:
        for max_pdu in (0, 16384):
            result = echo(LinkSettings(max_pdu=max_pdu), Peer.parse(f"LOOPBACK@127.0.0.1:{server.port}"))
            assert result.status == 0
    finally:
        server.shutdown()
