"""Query identifiers as bytes: a small data set codec for C-FIND (PS3.5 §7; PS3.4 C.4.1.1.3), no pydicom.

A C-FIND identifier is a data set of a few dozen text elements and a few sequences. Encoding and decoding it
here is what lets ``smartbox worklist`` run without pydicom (and the numpy, requests and pixel handlers pydicom
imports): half a second before the first byte otherwise (issue 13).

* :class:`Element` — tag, VR and the value bytes as on the wire (padding included), or the items of a sequence;
  :class:`Identifier` — the elements of one data set or sequence item by tag.
* :func:`encode` — Explicit or Implicit VR Little Endian (PS3.5 §7.1.2, §7.1.3), elements in ascending tag order
  (§7.1), sequences and items of undefined length with their delimitation items (§7.5.1, §7.5.2) — pydicom
  reads it and writes back the very same bytes (tested).
* :func:`decode` — both encodings, sequences and items of defined or undefined length. **The bytes come from a
  peer**: every length is checked against what is left, nesting is at most :data:`MAX_DEPTH` levels, at most
  :data:`MAX_ELEMENTS` elements; what does not fit is an :class:`IdentifierError` naming the byte offset. Implicit
  VR takes the VR from :data:`TAGS` (the attributes the worklist reads); an unknown tag is ``UN``, or a sequence
  when its length is undefined (PS3.5 §6.2.2, note 4).
* :data:`TAGS` — keyword → (tag, VR) of the Modality Worklist attributes (PS3.4 Table K.6-1) and the code
  sequence macro (PS3.3 Table 8.8-1a); checked against pydicom's dictionary by the tests.

Text is not decoded here (that needs the Specific Character Set: :func:`smartbox_next.dicom.charset.decode_text`).
"""

from __future__ import annotations

import struct
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from smartbox_next.dicom.vr import EXPLICIT_LONG_LENGTH_VRS, EXPLICIT_SHORT_LENGTH_VRS

if TYPE_CHECKING:
    from pydicom.dataset import Dataset

MAX_DEPTH = 8
"""Nesting of sequences a peer's identifier may have (the worklist's deepest is 2)."""
MAX_ELEMENTS = 20_000
"""Elements (all levels) a peer's identifier may hold; the guard already bounds its bytes (4 MiB)."""
UNDEFINED = 0xFFFFFFFF
ITEM, ITEM_END, SEQUENCE_END = 0xFFFEE000, 0xFFFEE00D, 0xFFFEE0DD  # PS3.5 §7.5
SPECIFIC_CHARACTER_SET = 0x00080005

TAGS: dict[str, tuple[int, str]] = {
    "SpecificCharacterSet": (0x00080005, "CS"),
    "AccessionNumber": (0x00080050, "SH"),
    "Modality": (0x00080060, "CS"),
    "ReferringPhysicianName": (0x00080090, "PN"),
    "CodeValue": (0x00080100, "SH"),
    "CodingSchemeDesignator": (0x00080102, "SH"),
    "CodingSchemeVersion": (0x00080103, "SH"),
    "CodeMeaning": (0x00080104, "LO"),
    "LongCodeValue": (0x00080119, "UC"),
    "URNCodeValue": (0x00080120, "UR"),
    "ReferencedStudySequence": (0x00081110, "SQ"),
    "ReferencedSOPClassUID": (0x00081150, "UI"),
    "ReferencedSOPInstanceUID": (0x00081155, "UI"),
    "PatientName": (0x00100010, "PN"),
    "PatientID": (0x00100020, "LO"),
    "IssuerOfPatientID": (0x00100021, "LO"),
    "PatientBirthDate": (0x00100030, "DA"),
    "PatientSex": (0x00100040, "CS"),
    "OtherPatientIDsSequence": (0x00101002, "SQ"),
    "StudyInstanceUID": (0x0020000D, "UI"),
    "RequestingPhysician": (0x00321032, "PN"),
    "RequestedProcedureDescription": (0x00321060, "LO"),
    "RequestedProcedureCodeSequence": (0x00321064, "SQ"),
    "AdmissionID": (0x00380010, "LO"),
    "CurrentPatientLocation": (0x00380300, "LO"),
    "ScheduledStationAETitle": (0x00400001, "AE"),
    "ScheduledProcedureStepStartDate": (0x00400002, "DA"),
    "ScheduledProcedureStepStartTime": (0x00400003, "TM"),
    "ScheduledPerformingPhysicianName": (0x00400006, "PN"),
    "ScheduledProcedureStepDescription": (0x00400007, "LO"),
    "ScheduledProtocolCodeSequence": (0x00400008, "SQ"),
    "ScheduledProcedureStepID": (0x00400009, "SH"),
    "ScheduledStationName": (0x00400010, "SH"),
    "ScheduledProcedureStepLocation": (0x00400011, "SH"),
    "ScheduledProcedureStepStatus": (0x00400020, "CS"),
    "ScheduledProcedureStepSequence": (0x00400100, "SQ"),
    "RequestedProcedureID": (0x00401001, "SH"),
    "ReasonForTheRequestedProcedure": (0x00401002, "LO"),
    "RequestedProcedurePriority": (0x00401003, "SH"),
    "PlacerOrderNumberImagingServiceRequest": (0x00402016, "LO"),
    "FillerOrderNumberImagingServiceRequest": (0x00402017, "LO"),
}
"""The attributes the worklist query sends and its answers are read for (PS3.6 Table 6-1)."""
VR_OF = {tag: vr for tag, vr in TAGS.values()}
KEYWORD_OF = {tag: keyword for keyword, (tag, _vr) in TAGS.items()}


class IdentifierError(ValueError):
    """Bytes that are no data set this codec can read (a peer's fault, or a VR it cannot write)."""


@dataclass(frozen=True)
class Element:
    """One data element: its value bytes as on the wire (``value``), or the items of a sequence (``items``)."""

    tag: int
    vr: str
    value: bytes = b""
    items: tuple[Identifier, ...] = ()

    @property
    def keyword(self) -> str:
        return KEYWORD_OF.get(self.tag, f"({self.tag >> 16:04X},{self.tag & 0xFFFF:04X})")


@dataclass(frozen=True)
class Identifier:
    """The elements of a data set (or a sequence item), by tag; iteration in ascending tag order."""

    elements: Mapping[int, Element] = field(default_factory=dict)

    def __iter__(self) -> Iterator[Element]:
        return iter(sorted(self.elements.values(), key=lambda e: e.tag))

    def __len__(self) -> int:
        return len(self.elements)

    def get(self, keyword: str) -> Element | None:
        return self.elements.get(TAGS[keyword][0])

    def items_of(self, keyword: str) -> tuple[Identifier, ...]:
        """The items of sequence ``keyword``; () when absent or not a sequence."""
        elem = self.get(keyword)
        return elem.items if elem is not None else ()

    def raw(self, keyword: str) -> bytes:
        """The value bytes of ``keyword`` (b"" when absent or a sequence)."""
        elem = self.get(keyword)
        return elem.value if elem is not None else b""

    def ascii(self, keyword: str) -> str:
        """A value of the default repertoire (CS, UI, DA, …): ASCII bytes, padding and spaces stripped."""
        return self.raw(keyword).decode("latin-1").strip(" \x00")

    # --- pydicom, for the conformance statement and tests (the network path never needs it)

    def to_dataset(self) -> Dataset:
        """The same data set as a pydicom :class:`Dataset` (read back from our Explicit VR encoding)."""
        from pydicom.filebase import DicomBytesIO
        from pydicom.filereader import read_dataset

        fp = DicomBytesIO(encode(self, explicit=True))
        return read_dataset(fp, is_implicit_VR=False, is_little_endian=True)  # type: ignore[arg-type]

    @classmethod
    def from_dataset(cls, ds: Dataset) -> Identifier:
        """A pydicom :class:`Dataset` as bytes read by :func:`decode` (values already on the wire stay raw)."""
        from pydicom.filebase import DicomBytesIO
        from pydicom.filewriter import write_dataset

        implicit = ds.original_encoding[0]
        implicit = True if implicit is None else bool(implicit)
        fp = DicomBytesIO()
        fp.is_little_endian, fp.is_implicit_VR = True, implicit
        write_dataset(fp, ds)
        return decode(fp.getvalue(), explicit=not implicit)


def element(keyword: str, value: bytes | str = b"", items: tuple[Identifier, ...] | None = None) -> Element:
    """An element of :data:`TAGS`: ``value`` as bytes (a str must be ASCII), padded to even length by
    :func:`encode`; ``items`` for a sequence."""
    tag, vr = TAGS[keyword]
    if vr == "SQ":
        return Element(tag, vr, items=items or ())
    return Element(tag, vr, value.encode("ascii") if isinstance(value, str) else value)


def identifier(*elements: Element) -> Identifier:
    return Identifier({e.tag: e for e in elements})


# ------------------------------------------------------------------------------------------ encoding


def _padded(elem: Element) -> bytes:
    """Even length (PS3.5 §7.1.1): UI padded with NUL, text with a space, binary VRs with NUL."""
    if len(elem.value) % 2 == 0:
        return elem.value
    return elem.value + (b" " if elem.vr not in ("UI", "OB", "UN") else b"\x00")


def _header(tag: int, vr: str, length: int, explicit: bool) -> bytes:
    group, number = tag >> 16, tag & 0xFFFF
    if not explicit:
        return struct.pack("<HHI", group, number, length)
    if vr in EXPLICIT_SHORT_LENGTH_VRS:
        if length > 0xFFFF:
            raise IdentifierError(f"({group:04X},{number:04X}) {vr}: {length} bytes do not fit a 16-bit length")
        return struct.pack("<HH2sH", group, number, vr.encode("ascii"), length)
    if vr in EXPLICIT_LONG_LENGTH_VRS:
        return struct.pack("<HH2s2xI", group, number, vr.encode("ascii"), length)
    raise IdentifierError(f"({group:04X},{number:04X}): unknown VR {vr!r}")


def encode(ident: Identifier, *, explicit: bool) -> bytes:
    """The data set in Explicit or Implicit VR Little Endian (module docstring)."""
    out = bytearray()
    for elem in ident:
        if elem.vr == "SQ":
            out += _header(elem.tag, "SQ", UNDEFINED, explicit)
            for item in elem.items:
                out += struct.pack("<HHI", 0xFFFE, 0xE000, UNDEFINED)
                out += encode(item, explicit=explicit)
                out += struct.pack("<HHI", 0xFFFE, 0xE00D, 0)
            out += struct.pack("<HHI", 0xFFFE, 0xE0DD, 0)
        else:
            value = _padded(elem)
            out += _header(elem.tag, elem.vr, len(value), explicit) + value
    return bytes(out)


# ------------------------------------------------------------------------------------------ decoding


class _Reader:
    def __init__(self, data: bytes, explicit: bool) -> None:
        self.data = data
        self.explicit = explicit
        self.count = 0

    def fail(self, offset: int, what: str) -> IdentifierError:
        return IdentifierError(f"byte {offset}: {what}")

    def tag_at(self, offset: int) -> tuple[int, int]:
        if offset + 8 > len(self.data):
            raise self.fail(offset, "element header cut off")
        group, number, length = struct.unpack_from("<HHI", self.data, offset)
        return (group << 16) | number, length

    def dataset(self, offset: int, end: int | None, depth: int) -> tuple[Identifier, int]:
        """Elements from ``offset`` up to ``end`` (a defined length) or an Item Delimitation Item (``end`` None)."""
        elements: dict[int, Element] = {}
        limit = len(self.data) if end is None else end
        while offset < limit:
            tag, _length = self.tag_at(offset)
            if tag == ITEM_END:
                if end is not None:
                    raise self.fail(offset, "item delimitation in an item of defined length")
                return Identifier(elements), offset + 8
            if tag in (ITEM, SEQUENCE_END):
                raise self.fail(offset, "item tag outside a sequence")
            elem, offset = self.element(offset, tag, depth)
            if offset > limit:
                raise self.fail(offset, f"{elem.keyword} runs past the end of its item")
            elements[tag] = elem
            self.count += 1
            if self.count > MAX_ELEMENTS:
                raise self.fail(offset, f"more than {MAX_ELEMENTS} elements")
        if end is None and depth > 0:
            raise self.fail(offset, "item of undefined length without its delimitation item")
        return Identifier(elements), offset

    def element(self, offset: int, tag: int, depth: int) -> tuple[Element, int]:
        start = offset
        if self.explicit:
            if offset + 8 > len(self.data):
                raise self.fail(offset, "element header cut off")
            vr = self.data[offset + 4: offset + 6].decode("latin-1")
            if vr in EXPLICIT_SHORT_LENGTH_VRS:
                length = struct.unpack_from("<H", self.data, offset + 6)[0]
                offset += 8
            elif vr in EXPLICIT_LONG_LENGTH_VRS:
                if offset + 12 > len(self.data):
                    raise self.fail(offset, "element header cut off")
                length = struct.unpack_from("<I", self.data, offset + 8)[0]
                offset += 12
            else:
                raise self.fail(offset, f"unknown VR {vr!r}")
        else:
            length = struct.unpack_from("<I", self.data, offset + 4)[0]
            vr = VR_OF.get(tag, "SQ" if length == UNDEFINED else "UN")
            offset += 8
        as_un = self.explicit and vr == "UN"
        if as_un and tag in VR_OF:  # a known attribute sent as UN is read with its own VR (as pydicom does)
            vr = VR_OF[tag]
        if vr == "SQ" or (vr == "UN" and length == UNDEFINED):
            if depth >= MAX_DEPTH:
                raise self.fail(start, f"sequences nested deeper than {MAX_DEPTH}")
            if as_un:  # its items are Implicit VR Little Endian (PS3.5 §6.2.2)
                self.explicit = False
                try:
                    items, offset = self.sequence(offset, length, depth + 1)
                finally:
                    self.explicit = True
            else:
                items, offset = self.sequence(offset, length, depth + 1)
            return Element(tag, "SQ", items=items), offset
        if length == UNDEFINED:
            raise self.fail(start, f"undefined length for VR {vr}")
        if offset + length > len(self.data):
            raise self.fail(start, f"value of {length} bytes, {len(self.data) - offset} left")
        return Element(tag, vr, bytes(self.data[offset: offset + length])), offset + length

    def sequence(self, offset: int, length: int, depth: int) -> tuple[tuple[Identifier, ...], int]:
        end = None if length == UNDEFINED else offset + length
        if end is not None and end > len(self.data):
            raise self.fail(offset, f"sequence of {length} bytes, {len(self.data) - offset} left")
        items: list[Identifier] = []
        while end is None or offset < end:
            tag, item_length = self.tag_at(offset)
            if tag == SEQUENCE_END:
                if end is not None:
                    raise self.fail(offset, "sequence delimitation in a sequence of defined length")
                return tuple(items), offset + 8
            if tag != ITEM:
                raise self.fail(offset, f"({tag >> 16:04X},{tag & 0xFFFF:04X}) where a sequence item was expected")
            offset += 8
            if item_length == UNDEFINED:
                item, offset = self.dataset(offset, None, depth)
            else:
                if offset + item_length > (len(self.data) if end is None else end):
                    raise self.fail(offset, f"item of {item_length} bytes runs past its sequence")
                item, offset = self.dataset(offset, offset + item_length, depth)
            items.append(item)
        if offset != end:
            raise self.fail(offset, "sequence items run past the sequence")
        return tuple(items), offset


def decode(data: bytes, *, explicit: bool) -> Identifier:
    """A data set from a peer (module docstring); raises :class:`IdentifierError` for what does not fit."""
    ident, _ = _Reader(data, explicit).dataset(0, len(data), 0)
    return ident
