"""The DICOM Upper Layer's PDUs and the DIMSE command sets the native requestor needs, encoded and parsed: bytes
in, bytes out, no sockets (the association that sends them is :mod:`smartbox_next.net.ulp`).

* A-ASSOCIATE-RQ (PS3.8 §9.3.2, Table 9-11) with its presentation context items and the user information item
  (PS3.7 D.3.3); A-ASSOCIATE-AC parsed against what was proposed (§9.3.3); A-RELEASE-RQ/RP (§9.3.6, §9.3.7).
* P-DATA-TF (§9.3.5) fragments of a command set, and the PDV items of a received one (Annex E).
* The C-ECHO-RQ, C-STORE-RQ, C-FIND-RQ and C-CANCEL-RQ command sets (PS3.7 §9.3.5.1, §9.3.1.1, §9.3.2;
  Implicit VR Little Endian, §6.3.1),
  byte for byte what pynetdicom encodes (tested); a received command set parsed into its elements.
"""

from __future__ import annotations

import logging
import struct
from collections.abc import Iterator, Sequence

from smartbox_next.dicom.uid import IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME
from smartbox_next.net.link import MAX_CONTEXTS, VERIFICATION_CONTEXT, AcceptedContext, Context

LOG = logging.getLogger(__name__)

APPLICATION_CONTEXT_NAME = "1.2.840.10008.3.1.1.1"
"""The DICOM Application Context Name (PS3.7 A.2.1)."""
PROTOCOL_VERSION = 0x0001  # PS3.8 Table 9-11: bit 0 set
A_ASSOCIATE_RQ, A_ASSOCIATE_AC, A_ASSOCIATE_RJ, P_DATA_TF = 0x01, 0x02, 0x03, 0x04
A_RELEASE_RQ, A_RELEASE_RP, A_ABORT = 0x05, 0x06, 0x07
SOURCE_USER, SOURCE_PROVIDER = 0, 2  # A-ABORT source (PS3.8 Table 9-26)
REASON_UNEXPECTED_PDU = 2
C_STORE_RQ, C_STORE_RSP = 0x0001, 0x8001  # Command Field (PS3.7 §9.3.1)
C_ECHO_RQ, C_ECHO_RSP = 0x0030, 0x8030  # Command Field (PS3.7 §9.3.5)
C_FIND_RQ, C_FIND_RSP, C_CANCEL_RQ = 0x0020, 0x8020, 0x0FFF  # Command Field (PS3.7 §9.3.2, §9.3.2.3)
NO_DATA_SET = 0x0101  # Command Data Set Type: no data set (PS3.7 §9.3.5.1)
DATA_SET_PRESENT = 0x0001  # any other value means "present" (PS3.7 E.1-1); 0x0001 is what pynetdicom sends
PRIORITY_MEDIUM = 0x0000  # Priority (0000,0700): MEDIUM (PS3.7 E.1-1)
# command elements (group 0000, PS3.7 Annex E)
GROUP_LENGTH, AFFECTED_SOP_CLASS_UID, COMMAND_FIELD = 0x0000, 0x0002, 0x0100
MESSAGE_ID, MESSAGE_ID_BEING_RESPONDED_TO, PRIORITY, COMMAND_DATA_SET_TYPE = 0x0110, 0x0120, 0x0700, 0x0800
STATUS, ERROR_COMMENT, AFFECTED_SOP_INSTANCE_UID = 0x0900, 0x0902, 0x1000
DIMSE_COMMANDS = frozenset({0x0001, 0x0010, 0x0020, 0x0021, 0x0030, 0x0FFF, 0x0100, 0x0110, 0x0120, 0x0130,
                            0x0140, 0x0150}) | frozenset(c | 0x8000 for c in (0x0001, 0x0010, 0x0020, 0x0021,
                                                                              0x0030, 0x0100, 0x0110, 0x0120,
                                                                              0x0130, 0x0140, 0x0150))
"""Command Field values PS3.7 defines (Table E.1-1): requests and their responses (0x8000 set), C-CANCEL."""
UNLIMITED_PDV = 1024 * 1024  # our largest PDV when the peer announces Maximum Length 0 (no limit, PS3.8 D.1)

# ------------------------------------------------------------------------------------------ encoding


def pdu(pdu_type: int, body: bytes) -> bytes:
    """A PDU: type, reserved, PDU length (big endian) and the body (PS3.8 §9.3.1)."""
    return struct.pack(">BBI", pdu_type, 0x00, len(body)) + body


def _item(item_type: int, data: bytes) -> bytes:
    """An item or sub-item: type, reserved, item length (2 bytes, big endian), value (PS3.8 §9.3.2.1-3)."""
    return struct.pack(">BBH", item_type, 0x00, len(data)) + data


def _ae_title(title: str) -> bytes:
    """An AE title field: 16 bytes, padded with spaces (PS3.8 Table 9-11, PS3.5 AE)."""
    return title.encode("ascii").ljust(16, b" ")


def _uid(uid: str) -> bytes:
    """A UID in a PDU item: its characters, never padded (PS3.8 §9.3.2.2.1, Annex F)."""
    return uid.encode("ascii")


def user_information(max_pdu: int) -> bytes:
    """User information item (50H, PS3.8 §9.3.2.3, PS3.7 D.3.3): Maximum Length (51H, D.1), Implementation
    Class UID (52H) and Implementation Version Name (55H, PS3.7 D.3.3.2)."""
    return _item(0x50, _item(0x51, struct.pack(">I", max_pdu)) + _item(0x52, _uid(IMPLEMENTATION_CLASS_UID))
                 + _item(0x55, IMPLEMENTATION_VERSION_NAME.encode("ascii")))


def associate_rq(calling_ae: str, called_ae: str, contexts: Sequence[Context], max_pdu: int) -> bytes:
    """The A-ASSOCIATE-RQ PDU (PS3.8 §9.3.2): ``contexts`` under IDs 1, 3, 5, … in order (§9.3.2.2)."""
    if len(contexts) > MAX_CONTEXTS:
        raise ValueError("at most 128 presentation contexts per association (PS3.8 9.3.2.2)")
    body = bytearray(struct.pack(">HH", PROTOCOL_VERSION, 0))
    body += _ae_title(called_ae) + _ae_title(calling_ae) + bytes(32)
    body += _item(0x10, _uid(APPLICATION_CONTEXT_NAME))
    for i, cx in enumerate(contexts):
        sub = _item(0x30, _uid(cx.abstract_syntax)) + b"".join(_item(0x40, _uid(ts)) for ts in cx.transfer_syntaxes)
        body += _item(0x20, bytes([2 * i + 1, 0, 0, 0]) + sub)
    body += user_information(max_pdu)
    return pdu(A_ASSOCIATE_RQ, bytes(body))


def release_rq() -> bytes:
    """A-RELEASE-RQ (PS3.8 §9.3.6): four reserved bytes."""
    return pdu(A_RELEASE_RQ, bytes(4))


def release_rp() -> bytes:
    """A-RELEASE-RP (PS3.8 §9.3.7): four reserved bytes."""
    return pdu(A_RELEASE_RP, bytes(4))


def _element(element: int, value: bytes) -> bytes:
    """One command element of group 0000 in Implicit VR Little Endian (PS3.5 §7.1.3): tag, length, value."""
    return struct.pack("<HHI", 0x0000, element, len(value)) + value


def _us(value: int) -> bytes:
    return struct.pack("<H", value)


def _ui(uid: str) -> bytes:
    """A UI value padded to even length with one NUL (PS3.5 §6.2, Table 6.2-1)."""
    raw = uid.encode("ascii")
    return raw + b"\x00" if len(raw) % 2 else raw


def command_set(elements: Sequence[tuple[int, bytes]]) -> bytes:
    """A command set (PS3.7 §6.3, §9.3): Command Group Length (0000,0000) UL, then ``elements`` (element number,
    encoded value) in ascending order."""
    body = b"".join(_element(e, v) for e, v in sorted(elements))
    return _element(GROUP_LENGTH, struct.pack("<I", len(body))) + body


def echo_command(message_id: int) -> bytes:
    """The C-ECHO-RQ command set (PS3.7 §9.3.5.1, Table 9.3-12) for the Verification SOP Class, no data set."""
    return command_set([(AFFECTED_SOP_CLASS_UID, _ui(VERIFICATION_CONTEXT.abstract_syntax)),
                        (COMMAND_FIELD, _us(C_ECHO_RQ)), (MESSAGE_ID, _us(message_id)),
                        (COMMAND_DATA_SET_TYPE, _us(NO_DATA_SET))])


def store_command(message_id: int, sop_class_uid: str, sop_instance_uid: str) -> bytes:
    """The C-STORE-RQ command set (PS3.7 §9.3.1.1, Table 9.3-1): priority MEDIUM, a data set follows (it is
    streamed after the command, :mod:`smartbox_next.net.stream`). Byte for byte pynetdicom's encoding (tested)."""
    return command_set([(AFFECTED_SOP_CLASS_UID, _ui(sop_class_uid)), (COMMAND_FIELD, _us(C_STORE_RQ)),
                        (MESSAGE_ID, _us(message_id)), (PRIORITY, _us(PRIORITY_MEDIUM)),
                        (COMMAND_DATA_SET_TYPE, _us(DATA_SET_PRESENT)),
                        (AFFECTED_SOP_INSTANCE_UID, _ui(sop_instance_uid))])


def find_command(message_id: int, sop_class_uid: str) -> bytes:
    """The C-FIND-RQ command set (PS3.7 §9.3.2.1, Table 9.3-3): priority MEDIUM, the identifier follows.
    Byte for byte pynetdicom's encoding (tested)."""
    return command_set([(AFFECTED_SOP_CLASS_UID, _ui(sop_class_uid)), (COMMAND_FIELD, _us(C_FIND_RQ)),
                        (MESSAGE_ID, _us(message_id)), (PRIORITY, _us(PRIORITY_MEDIUM)),
                        (COMMAND_DATA_SET_TYPE, _us(DATA_SET_PRESENT))])


def cancel_command(message_id: int) -> bytes:
    """The C-CANCEL-RQ command set (PS3.7 §9.3.2.3, Table 9.3-5) for request ``message_id``, no data set."""
    return command_set([(COMMAND_FIELD, _us(C_CANCEL_RQ)), (MESSAGE_ID_BEING_RESPONDED_TO, _us(message_id)),
                        (COMMAND_DATA_SET_TYPE, _us(NO_DATA_SET))])


def pdata_tf(context_id: int, message: bytes, peer_max_pdu: int, *, command: bool = True) -> list[bytes]:
    """A command set (or, ``command=False``, a data set) as P-DATA-TF PDUs of one PDV each (PS3.8 §9.3.5,
    Annex E.2: control header bit 0 command, bit 1 last fragment), each within the peer's Maximum Length (D.1:
    the PDV item header counts 6 bytes)."""
    limit = UNLIMITED_PDV if peer_max_pdu <= 0 else max(1, min(UNLIMITED_PDV, peer_max_pdu - 6))
    frags = [message[i: i + limit] for i in range(0, len(message), limit)] or [b""]
    kind = 0x01 if command else 0x00
    return [pdu(P_DATA_TF, struct.pack(">IBB", len(f) + 2, context_id, kind | (0x02 if i == len(frags) - 1 else 0))
                + f) for i, f in enumerate(frags)]


# ------------------------------------------------------------------------------------------ decoding


def parse_command(data: bytes) -> dict[int, bytes]:
    """The elements of a command set in Implicit VR Little Endian (PS3.7 §6.3.1): element number -> value.

    Raises ValueError when the bytes are no command set (another group, a length beyond the end, undefined
    length): command sets have neither sequences nor undefined lengths.
    """
    out: dict[int, bytes] = {}
    offset = 0
    while offset < len(data):
        if offset + 8 > len(data):
            raise ValueError(f"element header cut off at byte {offset}")
        group, element, length = struct.unpack_from("<HHI", data, offset)
        if group != 0x0000:
            raise ValueError(f"element ({group:04X},{element:04X}) outside the command group")
        end = offset + 8 + length
        if end > len(data):
            raise ValueError(f"element (0000,{element:04X}) announces {length} bytes, {len(data) - offset - 8} left")
        out[element] = data[offset + 8: end]
        offset = end
    return out


def us_value(elements: dict[int, bytes], element: int) -> int | None:
    raw = elements.get(element)
    return struct.unpack("<H", raw)[0] if raw is not None and len(raw) == 2 else None


def parse_associate_ac(body: bytes, proposed: Sequence[Context]) -> tuple[tuple[AcceptedContext, ...], int]:
    """The accepted presentation contexts and the peer's Maximum Length of an A-ASSOCIATE-AC body (PS3.8 §9.3.3,
    Tables 9-17, 9-18; D.1). The item structure has passed the guard (items tile the PDU exactly).

    A context counts only when its result is 0 (acceptance) and it names one transfer syntax we proposed under
    that ID; others are skipped (the peer is not trusted). Raises ValueError for an item that does not decode.
    """
    ours = {2 * i + 1: cx for i, cx in enumerate(proposed)}
    accepted: list[AcceptedContext] = []
    peer_max = 0
    offset = 68  # protocol version, reserved, AE titles (echoed, not checked: PS3.8 §9.3.3.2), reserved
    while offset + 4 <= len(body):
        item_type, length = body[offset], struct.unpack_from(">H", body, offset + 2)[0]
        value = body[offset + 4: offset + 4 + length]
        offset += 4 + length
        if item_type == 0x10:  # application context (Table 9-12): the one of the request (PS3.7 A.2.1)
            name = _ascii_uid(value)
            if name != APPLICATION_CONTEXT_NAME:
                raise ValueError(f"application context name {name[:64]!r}")
        elif item_type == 0x21:  # presentation context (Table 9-18): ID, reserved, result, reserved, TS sub-item
            cid, result = value[0], value[2]
            syntaxes = [_ascii_uid(v) for t, v in _sub_items(value[4:]) if t == 0x40]
            mine = ours.get(cid)
            if result != 0:
                continue
            if mine is None or len(syntaxes) != 1 or syntaxes[0] not in mine.transfer_syntaxes:
                LOG.warning("ignoring accepted context %s (%s): not one of the proposed transfer syntaxes",
                            cid, syntaxes)
                continue
            accepted.append(AcceptedContext(cid, mine.abstract_syntax, syntaxes[0]))
        elif item_type == 0x50:
            for sub_type, sub in _sub_items(value):
                if sub_type == 0x51:  # Maximum Length (D.1)
                    if len(sub) != 4:
                        raise ValueError(f"Maximum Length sub-item of {len(sub)} bytes")
                    peer_max = struct.unpack(">I", sub)[0]
    return tuple(accepted), peer_max


def _sub_items(data: bytes) -> Iterator[tuple[int, bytes]]:
    offset = 0
    while offset + 4 <= len(data):
        sub_type, length = data[offset], struct.unpack_from(">H", data, offset + 2)[0]
        yield sub_type, data[offset + 4: offset + 4 + length]
        offset += 4 + length


def _ascii_uid(raw: bytes) -> str:
    try:
        return raw.rstrip(b"\x00 ").decode("ascii")
    except UnicodeDecodeError:
        raise ValueError("a UID that is not ASCII") from None


def pdvs(body: bytes) -> Iterator[tuple[int, int, bytes]]:
    """(context ID, message control header, fragment) of each PDV item (PS3.8 §9.3.5.1; checked by the guard)."""
    offset = 0
    while offset + 6 <= len(body):
        length = struct.unpack_from(">I", body, offset)[0]
        yield body[offset + 4], body[offset + 5], body[offset + 6: offset + 4 + length]
        offset += 4 + length
