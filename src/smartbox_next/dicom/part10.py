"""Part 10 files without a DICOM library: the File Meta Information (PS3.10 §7.1) read with ``struct``.

What sending, reconciliation and the outbox need of a file (SOP Class/Instance UID, Transfer Syntax UID, where
the data set starts) comes from group 0002 alone, so none of them imports pydicom for it.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from smartbox_next.dicom.vr import EXPLICIT_LONG_LENGTH_VRS
from smartbox_next.errors import MediaError
from smartbox_next.messages import Bilingual, os_reason


@dataclass(frozen=True)
class FileRange:
    """``length`` bytes of the file ``path`` from ``offset`` (a fragment, a data set, a native value): moved by
    the kernel or in bounded blocks, never read whole. ``length`` -1 means "to the end of the file"."""

    path: Path
    offset: int = 0
    length: int = -1

    def resolved(self) -> FileRange:
        """The range with its real length (``length`` -1 becomes the rest of the file)."""
        if self.length >= 0:
            return self
        return FileRange(self.path, self.offset, os.stat(self.path).st_size - self.offset)


@dataclass(frozen=True)
class ObjectInfo:
    """What sending needs to know of a Part 10 file, read from its File Meta Information (PS3.10 §7.1)."""

    path: Path
    sop_class_uid: str
    sop_instance_uid: str
    transfer_syntax: str
    dataset_offset: int  # first byte after the File Meta Information
    size: int  # file size in bytes

    @property
    def dataset_length(self) -> int:
        return self.size - self.dataset_offset


def _ui(value: bytes) -> str:
    return value.decode("ascii", "replace").rstrip("\x00 ")


EMPTY = Bilingual("the file is empty", "die Datei ist leer")
NO_DICM = Bilingual("no 'DICM' after the 128-byte preamble (PS3.10 §7.1)",
                    "kein 'DICM' nach der 128-Byte-Präambel (PS3.10 §7.1)")
_MALFORMED = Bilingual("its File Meta Information is damaged", "ihre File Meta Information ist beschädigt")
_NO_UIDS = Bilingual("its File Meta Information lacks the SOP Class/Instance or Transfer Syntax UID",
                     "ihrer File Meta Information fehlt die SOP Class/Instance oder Transfer Syntax UID")


def has_dicm_prefix(path: Path) -> bool:
    """Whether ``path`` starts like a DICOM Part 10 file: 128-byte preamble, then ``DICM`` (PS3.10 §7.1).
    Raises OSError when it cannot be read."""
    with path.open("rb") as fh:
        head = fh.read(132)
    return len(head) == 132 and head[128:] == b"DICM"


def read_object_info(path: Path) -> ObjectInfo:
    """Parse the preamble and File Meta Information (explicit VR LE, group 0002) without touching the data set.

    Raises MediaError ``send.not_dicom`` when ``path`` is not a DICOM Part 10 file with the three UIDs sending
    needs (Media Storage SOP Class/Instance UID, Transfer Syntax UID).
    """
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            head = fh.read(132)
            if len(head) < 132 or head[128:132] != b"DICM":
                raise MediaError("send.not_dicom", path=str(path), reason=NO_DICM if head else EMPTY)
            values: dict[int, bytes] = {}
            pos = 132
            while True:
                hdr = fh.read(8)
                if len(hdr) < 8:
                    break
                group, elem = struct.unpack("<HH", hdr[:4])
                if group != 0x0002:
                    break
                vr = hdr[4:6].decode("ascii", "replace")
                if vr in EXPLICIT_LONG_LENGTH_VRS:
                    extra = fh.read(4)
                    if len(extra) < 4:
                        break
                    (length,) = struct.unpack("<I", extra)
                    header_len = 12
                else:
                    (length,) = struct.unpack("<H", hdr[6:8])
                    header_len = 8
                if length == 0xFFFFFFFF or length > 1 << 20:
                    raise MediaError("send.not_dicom", path=str(path), reason=_MALFORMED)
                values[elem] = fh.read(length)
                pos += header_len + length
    except OSError as exc:
        raise MediaError("send.not_dicom", path=str(path), reason=os_reason(exc)) from None
    try:
        return ObjectInfo(path=path, sop_class_uid=_ui(values[0x0002]), sop_instance_uid=_ui(values[0x0003]),
                          transfer_syntax=_ui(values[0x0010]), dataset_offset=pos, size=size)
    except KeyError:
        raise MediaError("send.not_dicom", path=str(path), reason=_NO_UIDS) from None


# ------------------------------------------------------------------------------ encapsulated Pixel Data items

ITEM_TAG = 0xE000FFFE  # (FFFE,E000) read as one little-endian uint32
SEQUENCE_DELIMITER_TAG = 0xE0DDFFFE  # (FFFE,E0DD)
UNDEFINED_LENGTH = 0xFFFFFFFF


@dataclass(frozen=True)
class Item:
    """One item of encapsulated Pixel Data: where its value starts in the file, and its length."""

    offset: int
    length: int


@dataclass(frozen=True)
class ItemWalk:
    """The items of an encapsulated Pixel Data value (PS3.5 §A.4), found by reading their headers only.

    ``items`` holds the Basic Offset Table first, then the fragments. ``delimited``: the walk ended at a
    Sequence Delimitation Item of length 0. ``problem``: why the structure is malformed (None if it is not;
    a value that simply ends early is not delimited and has no problem). ``end``: the file offset after the
    last header (and value) walked — after the delimiter when ``delimited``.
    """

    items: tuple[Item, ...]
    delimited: bool
    problem: str | None
    end: int

    @property
    def fragments(self) -> tuple[Item, ...]:
        return self.items[1:]


def walk_items(fh: BinaryIO, end: int) -> ItemWalk:
    """Walk item headers from the current position (the first byte after the Pixel Data element header) up to
    ``end``, seeking over every value. The one walker of encapsulated Pixel Data (validation, the sender's
    re-wrapping, the video fallback)."""
    items: list[Item] = []
    while fh.tell() + 8 <= end:
        tag, length = struct.unpack("<II", fh.read(8))
        if tag == SEQUENCE_DELIMITER_TAG:
            if length:
                return ItemWalk(tuple(items), False, "Sequence Delimitation Item has a non-zero length", fh.tell())
            return ItemWalk(tuple(items), True, None, fh.tell())
        if tag != ITEM_TAG:
            return ItemWalk(tuple(items), False,
                            f"unexpected tag ({tag & 0xFFFF:04X},{tag >> 16:04X}) instead of an item", fh.tell())
        if length == UNDEFINED_LENGTH or fh.tell() + length > end:
            return ItemWalk(tuple(items), False, "an item runs past the end of the file", fh.tell())
        items.append(Item(fh.tell(), length))
        fh.seek(length, os.SEEK_CUR)
    return ItemWalk(tuple(items), False, None, fh.tell())
