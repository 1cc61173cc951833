"""Walk encapsulated Pixel Data item headers by seeking (PS3.5 §A.4), never loading the pixels.

Used by :mod:`smartbox_next.iod.validate`: the layout records the Basic Offset Table, every fragment's
position and length with its first 2 and last 3 bytes (SOI/EOI checks), and optionally the bytes of
frame 1 (bounded) so a JPEG header can be compared with the Image Pixel attributes.
"""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass, field, replace
from typing import BinaryIO

from smartbox_next.dicom.part10 import walk_items
from smartbox_next.dicom.vr import EXPLICIT_LONG_LENGTH_VRS, EXPLICIT_SHORT_LENGTH_VRS

__all__ = ["Fragment", "PixelLayout", "layout_from_bytes", "read_pixel_layout"]



@dataclass(frozen=True)
class Fragment:
    """One encapsulated item after the Basic Offset Table: position, length, first and last bytes."""

    offset: int  # from the first byte of the first item after the BOT (as BOT offsets count)
    length: int
    head: bytes
    tail: bytes


@dataclass(frozen=True)
class PixelLayout:
    """The Pixel Data element as found by walking item headers (PS3.5 §A.4)."""

    undefined_length: bool
    vr: str | None
    length: int  # defined length, or total bytes of the items
    bot: tuple[int, ...] | None = None  # None = no first item at all
    bot_length: int = 0
    fragments: tuple[Fragment, ...] = ()
    delimited: bool = False
    problems: tuple[str, ...] = ()
    first_frame: bytes | None = field(default=None, repr=False)


def _walk_items(fh: BinaryIO, end: int, first_frame_limit: int | None) -> PixelLayout:
    """Walk the items of an undefined-length OB Pixel Data starting at the current position."""
    start = fh.tell()
    walk = walk_items(fh, end)
    bot: tuple[int, ...] | None = None
    bot_length = 0
    frags: list[Fragment] = []
    base = 0
    if walk.items:
        table = walk.items[0]
        bot_length = table.length
        fh.seek(table.offset)
        raw = fh.read(table.length) if table.length <= 1 << 20 else b""
        bot = struct.unpack(f"<{len(raw) // 4}I", raw[: len(raw) // 4 * 4])
        base = table.offset + table.length
        for item in walk.fragments:
            fh.seek(item.offset)
            head = fh.read(min(item.length, 2))
            fh.seek(item.offset + max(item.length - 3, 0))
            tail = fh.read(min(item.length, 3))
            frags.append(Fragment(offset=item.offset - 8 - base, length=item.length, head=head, tail=tail))
    first_frame = None
    if frags and first_frame_limit is not None:
        first = frags
        for i, frag in enumerate(frags[1:], start=1):  # frame 1 = fragments up to the next SOI
            if frag.head == b"\xff\xd8":
                first = frags[:i]
                break
        if sum(f.length for f in first) <= first_frame_limit:
            first_frame = _read_fragments(fh, base, first)
    fh.seek(walk.end)
    return PixelLayout(undefined_length=True, vr="OB", length=walk.end - start, bot=bot,
                       bot_length=bot_length, fragments=tuple(frags), delimited=walk.delimited,
                       problems=(walk.problem,) if walk.problem else (), first_frame=first_frame)


def _read_fragments(fh: BinaryIO, base: int, frags: list[Fragment]) -> bytes:
    out = bytearray()
    for frag in frags:
        fh.seek(base + frag.offset + 8)
        out += fh.read(frag.length)
    return bytes(out)


def read_pixel_layout(fh: BinaryIO, end: int, *, first_frame_limit: int | None = None) -> PixelLayout | None:
    """Find Pixel Data from the current position and walk its items; None if absent.

    Only item headers (plus 2 leading and 3 trailing bytes per fragment) are read; with
    ``first_frame_limit`` the fragments of frame 1 are read too when they total at most that many bytes.
    """
    while fh.tell() + 8 <= end:
        pos = fh.tell()
        group, elem = struct.unpack("<HH", fh.read(4))
        vr = fh.read(2).decode("latin-1")
        if vr in EXPLICIT_LONG_LENGTH_VRS:
            fh.read(2)
            (length,) = struct.unpack("<I", fh.read(4))
        elif vr in EXPLICIT_SHORT_LENGTH_VRS:
            (length,) = struct.unpack("<H", fh.read(2))
        else:  # implicit VR: the 2 "VR" bytes belong to a 4-byte length
            fh.seek(pos + 4)
            (length,) = struct.unpack("<I", fh.read(4))
            vr = ""
        if (group, elem) == (0x7FE0, 0x0010):
            if length == 0xFFFFFFFF:
                return _walk_items(fh, end, first_frame_limit)
            return PixelLayout(undefined_length=False, vr=vr or None, length=length)
        if length == 0xFFFFFFFF or group > 0x7FE0:
            return None
        fh.seek(fh.tell() + length)
    return None


def layout_from_bytes(value: bytes | bytearray, *, first_frame_limit: int | None = None) -> PixelLayout:
    """Layout of an in-memory Pixel Data value (encapsulated when it starts with an item tag).

    pydicom adds the Sequence Delimitation Item when writing, so its absence here is not a problem.
    """
    if value[:4] != b"\xfe\xff\x00\xe0":
        return PixelLayout(undefined_length=False, vr=None, length=len(value))
    layout = _walk_items(io.BytesIO(bytes(value)), len(value), first_frame_limit)
    return layout if layout.problems else replace(layout, delimited=True)
