"""Parse a JPEG's marker segments without decoding it (ISO/IEC 10918-1 Annex B, JFIF, Adobe, Exif, ICC).

The parser reads the header segments up to the first Start Of Scan, then only the file's tail to
find the End Of Image marker: it never reads the entropy-coded data. It answers what the DICOM
encoder needs (PS3.5 §8.2.1, §A.4.1): the coding process (SOF0 baseline → 1.2.840.10008.1.2.4.50,
SOF1 extended → .51, …), precision, size, components and sampling, and the colour space the stream
is encoded in, which decides Photometric Interpretation (PS3.3 C.7.6.3.1.2): YCbCr → YBR_FULL_422,
RGB → RGB, grey → MONOCHROME2. It also reports the Exif orientation and the embedded ICC profile.

Colour-space rules follow libjpeg (jdapimin.c): 1 component = grey; 3 components = YCbCr when a JFIF
APP0 is present, else per the Adobe APP14 transform flag (0 = RGB, 1 = YCbCr), else RGB only when the
component ids are 'R','G','B'; 4 components = CMYK, or YCCK when the Adobe transform flag is 2.

Every failure is a :class:`~smartbox_next.errors.MediaError` with a key from
:mod:`smartbox_next.messages.image` and the file named in ``path``.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import BinaryIO

from smartbox_next.errors import MediaError

__all__ = ["ColorSpace", "JpegComponent", "JpegInfo", "JpegProcess", "parse_jpeg"]

SOI, EOI, SOS, DHP = 0xD8, 0xD9, 0xDA, 0xDE
SOF55 = 0xF7  # JPEG-LS (ISO/IEC 14495-1)
TAIL_SCAN = 64 * 1024  # bytes at the end of the file searched for EOI (allows trailing data)
_STANDALONE = frozenset({0x01, *range(0xD0, 0xD8)})  # TEM, RST0-7: no length field


class JpegProcess(StrEnum):
    """Coding process named by the SOF marker (ISO/IEC 10918-1 Table B.1)."""

    BASELINE = "baseline"  # SOF0
    EXTENDED = "extended"  # SOF1, SOF5, SOF9, SOF13
    PROGRESSIVE = "progressive"  # SOF2, SOF6, SOF10, SOF14
    LOSSLESS = "lossless"  # SOF3, SOF7, SOF11, SOF15
    JPEG_LS = "jpeg-ls"  # SOF55


class ColorSpace(StrEnum):
    """Colour space of the encoded samples (not of the decoded output)."""

    GRAY = "GRAY"
    YCBCR = "YCbCr"
    RGB = "RGB"
    CMYK = "CMYK"
    YCCK = "YCCK"
    UNKNOWN = "UNKNOWN"


_SOF: dict[int, tuple[JpegProcess, bool, bool]] = {  # marker -> process, arithmetic, differential
    0xC0: (JpegProcess.BASELINE, False, False),
    0xC1: (JpegProcess.EXTENDED, False, False),
    0xC2: (JpegProcess.PROGRESSIVE, False, False),
    0xC3: (JpegProcess.LOSSLESS, False, False),
    0xC5: (JpegProcess.EXTENDED, False, True),
    0xC6: (JpegProcess.PROGRESSIVE, False, True),
    0xC7: (JpegProcess.LOSSLESS, False, True),
    0xC9: (JpegProcess.EXTENDED, True, False),
    0xCA: (JpegProcess.PROGRESSIVE, True, False),
    0xCB: (JpegProcess.LOSSLESS, True, False),
    0xCD: (JpegProcess.EXTENDED, True, True),
    0xCE: (JpegProcess.PROGRESSIVE, True, True),
    0xCF: (JpegProcess.LOSSLESS, True, True),
    SOF55: (JpegProcess.JPEG_LS, False, False),
}


@dataclass(frozen=True)
class JpegComponent:
    """One frame component: id, horizontal/vertical sampling factor, quantization table."""

    id: int
    h: int
    v: int
    tq: int


@dataclass(frozen=True)
class JpegInfo:
    """What the marker segments of one JPEG say; produced by :func:`parse_jpeg`."""

    sof_marker: int
    process: JpegProcess
    arithmetic: bool
    hierarchical: bool
    precision: int
    rows: int
    columns: int
    components: tuple[JpegComponent, ...]
    jfif: bool
    adobe: bool
    adobe_transform: int | None
    color_space: ColorSpace
    exif_orientation: int | None
    icc_profile: bytes | None
    has_sos: bool
    has_eoi: bool
    file_size: int
    trailing_bytes: int

    @property
    def samples_per_pixel(self) -> int:
        return len(self.components)

    @property
    def is_baseline(self) -> bool:
        """SOF0: the only process JPEG Baseline (1.2.840.10008.1.2.4.50) may carry (PS3.5 §8.2.1)."""
        return self.sof_marker == 0xC0

    @property
    def sampling(self) -> tuple[tuple[int, int], ...]:
        """(H, V) sampling factors per component."""
        return tuple((c.h, c.v) for c in self.components)

    @property
    def subsampling(self) -> str | None:
        """"4:4:4", "4:2:2", "4:2:0", "4:4:0", "4:1:1" or "other" for 3-component images, else None."""
        if len(self.components) != 3:
            return None
        (h0, v0), rest = self.sampling[0], self.sampling[1:]
        if any(s != rest[0] for s in rest):
            return "other"
        h1, v1 = rest[0]
        if h0 % h1 or v0 % v1:
            return "other"
        return {(1, 1): "4:4:4", (2, 1): "4:2:2", (2, 2): "4:2:0", (1, 2): "4:4:0",
                (4, 1): "4:1:1"}.get((h0 // h1, v0 // v1), "other")


# ------------------------------------------------------------------------------------------- reading


class _Reader:
    """Bounded reads from a binary stream; running out of bytes is a truncation."""

    def __init__(self, fh: BinaryIO, size: int, name: str) -> None:
        self.fh, self.size, self.name = fh, size, name

    @property
    def pos(self) -> int:
        return self.fh.tell()

    def read(self, n: int) -> bytes:
        data = self.fh.read(n)
        if len(data) != n:
            raise MediaError("image.truncated", path=self.name, size=self.size)
        return data

    def skip(self, n: int) -> None:
        if self.pos + n > self.size:
            raise MediaError("image.truncated", path=self.name, size=self.size)
        self.fh.seek(n, io.SEEK_CUR)

    def corrupt(self, offset: int | None = None) -> MediaError:
        return MediaError("image.corrupt", path=self.name, offset=self.pos if offset is None else offset)


@contextmanager
def _open(source: bytes | bytearray | memoryview | Path | str, name: str | None) -> Iterator[_Reader]:
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        yield _Reader(io.BytesIO(data), len(data), name or "<bytes>")
        return
    path = Path(source)
    label = name or str(path)
    try:
        fh = path.open("rb")
    except OSError as exc:
        raise MediaError("image.unreadable", path=label, detail=exc.strerror or str(exc)) from exc
    with fh:
        try:
            size = path.stat().st_size
            yield _Reader(fh, size, label)
        except OSError as exc:
            raise MediaError("image.unreadable", path=label, detail=exc.strerror or str(exc)) from exc


def _next_marker(r: _Reader) -> int:
    start = r.pos
    if r.read(1) != b"\xff":
        raise r.corrupt(start)
    code = 0xFF
    while code == 0xFF:  # fill bytes (B.1.1.2)
        code = r.read(1)[0]
    if code == 0x00:
        raise r.corrupt(start)
    return code


# ------------------------------------------------------------------------------------ APP segments


def _exif_orientation(payload: bytes) -> int | None:
    """Orientation (0x0112) from IFD0 of an Exif APP1 payload; None when absent or malformed."""
    if not payload.startswith(b"Exif\x00\x00"):
        return None
    tiff = payload[6:]
    if len(tiff) < 8:
        return None
    order = tiff[:2]
    if order == b"II":
        endian = "<"
    elif order == b"MM":
        endian = ">"
    else:
        return None
    magic, ifd = struct.unpack(endian + "HI", tiff[2:8])
    if magic != 42 or ifd + 2 > len(tiff):
        return None
    (count,) = struct.unpack(endian + "H", tiff[ifd:ifd + 2])
    for i in range(count):
        entry = ifd + 2 + 12 * i
        if entry + 12 > len(tiff):
            return None
        tag, typ, n = struct.unpack(endian + "HHI", tiff[entry:entry + 8])
        if tag != 0x0112:
            continue
        if typ == 3 and n >= 1:  # SHORT, stored left-justified in the value field
            (value,) = struct.unpack(endian + "H", tiff[entry + 8:entry + 10])
        elif typ == 4 and n >= 1:  # LONG (non-standard but seen)
            (value,) = struct.unpack(endian + "I", tiff[entry + 8:entry + 12])
        else:
            return None
        return int(value) if 1 <= value <= 8 else None
    return None


def _icc_profile(chunks: dict[int, bytes], total: int | None) -> bytes | None:
    """Join ICC_PROFILE APP2 chunks (ICC.1 Annex B.4); None when incomplete or inconsistent."""
    if not chunks or total is None or sorted(chunks) != list(range(1, total + 1)):
        return None
    return b"".join(chunks[i] for i in range(1, total + 1))


# -------------------------------------------------------------------------------------------- parse


def _color_space(ncomp: int, ids: list[int], jfif: bool, transform: int | None) -> ColorSpace:
    if ncomp == 1:
        return ColorSpace.GRAY
    if ncomp == 3:
        if jfif:
            return ColorSpace.YCBCR
        if transform is not None:
            return ColorSpace.RGB if transform == 0 else ColorSpace.YCBCR
        if ids == [0x52, 0x47, 0x42]:  # 'R', 'G', 'B'
            return ColorSpace.RGB
        return ColorSpace.YCBCR
    if ncomp == 4:
        return ColorSpace.YCCK if transform == 2 else ColorSpace.CMYK
    return ColorSpace.UNKNOWN


def _parse_sof(r: _Reader, marker: int, payload: bytes, offset: int) -> tuple[int, int, int,
                                                                           tuple[JpegComponent, ...]]:
    if len(payload) < 6:
        raise r.corrupt(offset)
    precision, rows, columns, ncomp = struct.unpack(">BHHB", payload[:6])
    if ncomp == 0 or len(payload) != 6 + 3 * ncomp:
        raise r.corrupt(offset)
    comps = []
    for i in range(ncomp):
        cid, hv, tq = payload[6 + 3 * i:9 + 3 * i]
        h, v = hv >> 4, hv & 0x0F
        if marker != SOF55 and not (1 <= h <= 4 and 1 <= v <= 4):
            raise r.corrupt(offset)
        comps.append(JpegComponent(id=cid, h=h, v=v, tq=tq))
    if not 2 <= precision <= 16:
        raise r.corrupt(offset)
    return precision, rows, columns, tuple(comps)


def _find_eoi(r: _Reader, scan_start: int) -> tuple[bool, int]:
    """Look for EOI in the last bytes after the first scan header; return (found, trailing bytes)."""
    start = max(scan_start, r.size - TAIL_SCAN)
    r.fh.seek(start)
    tail = r.fh.read(r.size - start)
    idx = tail.rfind(b"\xff\xd9")
    if idx < 0:
        return False, 0
    return True, len(tail) - idx - 2


def parse_jpeg(source: bytes | bytearray | memoryview | Path | str, *, name: str | None = None) -> JpegInfo:
    """Parse the marker segments of a JPEG (bytes or file path) up to the first scan, plus its end.

    Raises MediaError: ``image.unreadable``, ``image.empty``, ``image.not_jpeg``, ``image.truncated``
    (file ends inside a header segment, or no EOI after the scan), ``image.corrupt`` (invalid marker
    structure), ``image.no_frame`` (no SOF before SOS/EOI), ``image.zero_size`` (rows or columns 0;
    DNL-defined heights are not supported).
    """
    with _open(source, name) as r:
        if r.size == 0:
            raise MediaError("image.empty", path=r.name)
        if r.size < 2 or r.read(2) != b"\xff\xd8":
            raise MediaError("image.not_jpeg", path=r.name)
        sof: tuple[int, int, int, int, tuple[JpegComponent, ...]] | None = None
        jfif = adobe = hierarchical = False
        transform: int | None = None
        orientation: int | None = None
        icc_chunks: dict[int, bytes] = {}
        icc_total: int | None = None
        while True:
            offset = r.pos
            marker = _next_marker(r)
            if marker in _STANDALONE:
                continue
            if marker in (SOI, EOI):
                if marker == EOI and sof is None:
                    raise MediaError("image.no_frame", path=r.name)
                raise r.corrupt(offset)
            (length,) = struct.unpack(">H", r.read(2))
            if length < 2:
                raise r.corrupt(offset)
            body = length - 2
            if marker == SOS:
                if sof is None:
                    raise MediaError("image.no_frame", path=r.name)
                header = r.read(body)
                if not header or len(header) != 4 + 2 * header[0]:
                    raise r.corrupt(offset)
                break
            if marker in _SOF:
                payload = r.read(body)
                if sof is None:
                    sof = (marker, *_parse_sof(r, marker, payload, offset))
                hierarchical = hierarchical or _SOF[marker][2]
            elif marker == DHP:
                hierarchical = True
                r.skip(body)
            elif marker == 0xE0:
                payload = r.read(body)
                jfif = jfif or payload.startswith(b"JFIF\x00")
            elif marker == 0xE1:
                payload = r.read(body)
                if orientation is None:
                    orientation = _exif_orientation(payload)
            elif marker == 0xE2:
                payload = r.read(body)
                if payload.startswith(b"ICC_PROFILE\x00") and len(payload) >= 14:
                    seq, total = payload[12], payload[13]
                    if icc_total not in (None, total):
                        icc_total = -1  # inconsistent chunk counts: ignore the profile
                    elif icc_total is None:
                        icc_total = total
                    icc_chunks.setdefault(seq, payload[14:])
            elif marker == 0xEE:
                payload = r.read(body)
                if payload.startswith(b"Adobe") and len(payload) >= 12:
                    adobe, transform = True, payload[11]
            else:
                r.skip(body)
        marker_, precision, rows, columns, comps = sof
        if rows == 0 or columns == 0:
            raise MediaError("image.zero_size", path=r.name, rows=rows, columns=columns)
        has_eoi, trailing = _find_eoi(r, r.pos)
        if not has_eoi:
            raise MediaError("image.truncated", path=r.name, size=r.size)
        process, arithmetic, differential = _SOF[marker_]
        return JpegInfo(
            sof_marker=marker_, process=process, arithmetic=arithmetic,
            hierarchical=hierarchical or differential, precision=precision, rows=rows, columns=columns,
            components=comps, jfif=jfif, adobe=adobe, adobe_transform=transform,
            color_space=_color_space(len(comps), [c.id for c in comps], jfif, transform),
            exif_orientation=orientation, icc_profile=_icc_profile(icc_chunks, icc_total),
            has_sos=True, has_eoi=True, file_size=r.size, trailing_bytes=trailing,
        )
