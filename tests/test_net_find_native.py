"""The Modality Worklist C-FIND on the native upper layer (net/worklist.py over net/ulp.py), issue 13.

Real peers (wlmscpfs, Orthanc) are in test_worklist_peers.py, statuses and C-CANCEL against a pynetdicom SCP
in test_worklist_faults.py, hostile answers in test_hardening_*.py — all of them run this code. Here: the
command sets byte for byte against pynetdicom's encoding, and what only a scripted raw-socket peer
(tests/hostile_peer.py) can send: an identifier split over several PDUs, a response to another message with
its own data set, an answer whose identifier does not decode, Implicit VR Little Endian, a command in the
middle of a data set.
"""

from __future__ import annotations

import struct
from io import BytesIO

import hostile_peer as hp
import pytest
from pydicom.filereader import read_dataset
from pynetdicom.dimse_messages import C_CANCEL_RQ, C_FIND_RQ
from pynetdicom.dimse_primitives import C_CANCEL, C_FIND

from smartbox_next.config import config_from_mapping
from smartbox_next.dicom.peer import Peer
from smartbox_next.errors import NetworkError
from smartbox_next.net import pdu
from smartbox_next.worklist.query import WorklistQuery
from smartbox_next.worklist.service import fetch

CONFIG = config_from_mapping({"network": {"acse_timeout": 5, "network_timeout": 5}, "worklist": {"timeout": 5}})
IMPLICIT = "1.2.840.10008.1.2"


def _pynetdicom_command(msg: C_FIND_RQ | C_CANCEL_RQ) -> bytes:
    """The command set pynetdicom would send (its group length first; PS3.7 §6.3.1: Implicit VR LE)."""
    from pynetdicom.dsutils import encode

    encoded = encode(msg.command_set, True, True)
    assert encoded is not None
    return bytes(encoded)


@pytest.mark.parametrize("message_id", [1, 7, 65535])
def test_the_c_find_and_c_cancel_command_sets_are_byte_for_byte_pynetdicoms(message_id: int) -> None:
    find = C_FIND()
    find.MessageID, find.AffectedSOPClassUID, find.Priority = message_id, hp.MWL_FIND, 0
    find.Identifier = BytesIO(b"\x00")
    msg = C_FIND_RQ()
    msg.primitive_to_message(find)
    assert pdu.find_command(message_id, hp.MWL_FIND) == _pynetdicom_command(msg)
    cancel = C_CANCEL()
    cancel.MessageIDBeingRespondedTo = message_id
    msg2 = C_CANCEL_RQ()
    msg2.primitive_to_message(cancel)
    assert pdu.cancel_command(message_id) == _pynetdicom_command(msg2)


def _read_request(conv: hp.Conversation) -> tuple[int, bytes]:
    """The C-FIND-RQ's Message ID and the identifier that followed it (all its fragments)."""
    command, data = bytearray(), bytearray()
    while True:
        pdu_type, body = conv.read_pdu()
        assert pdu_type == 0x04
        offset = 0
        while offset < len(body):
            length = struct.unpack_from(">I", body, offset)[0]
            control, fragment = body[offset + 5], body[offset + 6: offset + 4 + length]
            offset += 4 + length
            (command if control & 0x01 else data).extend(fragment)
            if control & 0x02 and not control & 0x01:
                message_id = int(hp.decode_command(bytes(command)).MessageID)
                return message_id, bytes(data)


def _accept_implicit(conv: hp.Conversation) -> None:
    body = conv.read_request()
    for cx in conv.proposed:
        cx.transfer_syntaxes = [IMPLICIT]
    conv.send(hp.associate_ac(body, conv.proposed, max_pdu=16384))


def _answer(conv: hp.Conversation, cid: int, msg_id: int, identifier: bytes, *, pieces: int = 1) -> None:
    conv.send(hp.pdata(cid, 0x03, hp.command(0x8020, hp.MWL_FIND, msg_id, 0xFF00, data_set=True)))
    step = max(1, len(identifier) // pieces + 1)
    parts = [identifier[i: i + step] for i in range(0, len(identifier), step)]
    for n, part in enumerate(parts):
        conv.send(hp.pdata(cid, 0x02 if n == len(parts) - 1 else 0x00, part))


@pytest.mark.parametrize("implicit", [False, True])
def test_answers_split_over_pdus_and_answers_to_other_messages(implicit: bool) -> None:
    seen: dict[str, object] = {}

    def script(conv: hp.Conversation) -> None:
        if implicit:
            _accept_implicit(conv)
        else:
            conv.accept()
        cid = conv.context_id(hp.MWL_FIND)
        msg_id, sent = _read_request(conv)
        seen["identifier"] = read_dataset(BytesIO(sent), implicit, True)
        good = hp.encode(hp.mwl_answer("Müller^Jürgen", "P-1"), implicit=implicit)
        # a response to another message, with a data set of its own: skipped whole
        conv.send(hp.pdata(cid, 0x03, hp.command(0x8020, hp.MWL_FIND, msg_id + 1, 0xFF00, data_set=True)))
        conv.send(hp.pdata(cid, 0x02, hp.encode(hp.mwl_answer("Other^Message", "P-X"), implicit=implicit)))
        _answer(conv, cid, msg_id, good, pieces=5)  # five P-DATA-TF PDUs
        _answer(conv, cid, msg_id, b"\x10\x00\x10\x00" + b"\xff" * 6)  # does not decode: skipped
        _answer(conv, cid, msg_id, hp.encode(hp.mwl_answer("Weiß^Käthe", "P-2"), implicit=implicit))
        conv.send(hp.pdata(cid, 0x03, hp.command(0x8020, hp.MWL_FIND, msg_id, 0x0000)))
        seen["last"] = conv.read_pdu()[0]  # A-RELEASE-RQ

    with hp.hostile_peer(script) as peer:
        result = fetch(CONFIG, Peer.parse(f"EVIL@127.0.0.1:{peer.port}"), WorklistQuery(modality="ES"))
    assert [i.patient_name for i in result.items] == ["Müller^Jürgen", "Weiß^Käthe"]
    assert [i.patient_id for i in result.items] == ["P-1", "P-2"]
    ds = seen["identifier"]
    assert ds.ScheduledProcedureStepSequence[0].Modality == "ES"  # type: ignore[attr-defined]
    assert seen["last"] == 0x05


def test_a_command_inside_a_data_set_aborts_the_association() -> None:
    seen: dict[str, object] = {}

    def script(conv: hp.Conversation) -> None:
        conv.accept()
        cid = conv.context_id(hp.MWL_FIND)
        msg_id, _ = _read_request(conv)
        conv.send(hp.pdata(cid, 0x03, hp.command(0x8020, hp.MWL_FIND, msg_id, 0xFF00, data_set=True)))
        conv.send(hp.pdata(cid, 0x00, b"\x10\x00\x10\x00"))  # first fragment of the identifier …
        conv.send(hp.pdata(cid, 0x03, hp.command(0x8020, hp.MWL_FIND, msg_id, 0x0000)))  # … then a command
        seen["answer"] = conv.read_pdu()

    with hp.hostile_peer(script) as peer, pytest.raises(NetworkError) as err:
        fetch(CONFIG, Peer.parse(f"EVIL@127.0.0.1:{peer.port}"), WorklistQuery())
    assert "command where the data set" in str(err.value.params), err.value.params
    pdu_type, body = seen["answer"]  # type: ignore[misc]
    assert pdu_type == 0x07 and body[2] == 2  # A-ABORT, source: service provider


def _pdv(cid: int, control: int, data: bytes) -> bytes:
    return struct.pack(">IBB", len(data) + 2, cid, control) + data


def test_several_messages_in_one_p_data_tf_are_each_read() -> None:
    """PS3.8 §9.3.5: one P-DATA-TF may hold several PDV items, of different messages: the rest of one answer's
    identifier, the next answer whole and the final status in one PDU."""

    def script(conv: hp.Conversation) -> None:
        conv.accept()
        cid = conv.context_id(hp.MWL_FIND)
        msg_id, _ = _read_request(conv)
        first = hp.encode(hp.mwl_answer("Erste^Anna", "P-1"), implicit=False)
        second = hp.encode(hp.mwl_answer("Zweite^Berta", "P-2"), implicit=False)
        pending = hp.command(0x8020, hp.MWL_FIND, msg_id, 0xFF00, data_set=True)
        conv.send(hp.pdata(cid, 0x03, pending) + hp.pdata(cid, 0x00, first[:40]))
        conv.send(hp.pdu(0x04, _pdv(cid, 0x02, first[40:]) + _pdv(cid, 0x03, pending) + _pdv(cid, 0x02, second)
                         + _pdv(cid, 0x03, hp.command(0x8020, hp.MWL_FIND, msg_id, 0x0000))))
        conv.read_pdu()

    with hp.hostile_peer(script) as peer:
        result = fetch(CONFIG, Peer.parse(f"EVIL@127.0.0.1:{peer.port}"), WorklistQuery())
    assert [i.patient_name for i in result.items] == ["Erste^Anna", "Zweite^Berta"]
