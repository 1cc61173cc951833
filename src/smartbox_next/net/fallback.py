"""Transfer-syntax fallback: turn an object into bytes *honestly encoded* in a syntax the PACS accepted.

Rules (PS3.5 §10, DICOM_RULES §4; issue 3): an object is never sent under a transfer syntax it is not encoded
in. So, for the syntax the peer accepted:

- **own syntax** — the file's data set bytes, streamed unchanged;
- **Explicit ↔ Implicit VR Little Endian** (PS3.5 A.1/A.2) — every element except Pixel Data is re-encoded
  (small), Pixel Data gets a new element header and its value is streamed unchanged from the file (both are
  little endian), so a 2 GB uncompressed object converts in constant memory;
- **JPEG Baseline/Extended → Explicit/Implicit VR LE** — decoded (Pillow) to RGB; Lossy Image Compression
  (0028,2110) stays "01" (PS3.3 C.7.6.1.1.5) and the method is recorded; SOP Instance UID unchanged;
- **video** — to the fragmentable/non-fragmentable twin by re-wrapping the same stream (PS3.5 §8.2.5-8.2.9;
  a single fragment is valid under both, several fragments are concatenated when ≤ 2³²-2 bytes), or to another
  video syntax through the :class:`VideoTranscoder` the caller passes (re-encoding, provided above the network
  layer); otherwise there is no honest conversion and the caller raises NoAcceptedContextError.

pydicom is imported inside the conversions that decode or re-encode elements, never by sending an object in
its own syntax: ``smartbox send`` loads no pydicom (nor numpy) unless a conversion is needed (issue 13).
"""

from __future__ import annotations

import os
import struct
from collections.abc import Sequence
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from smartbox_next.dicom.part10 import (
    ITEM_TAG,
    SEQUENCE_DELIMITER_TAG,
    FileRange,
    ObjectInfo,
    read_object_info,
    walk_items,
)
from smartbox_next.dicom.transfer_syntax import ALL_SYNTAXES, CONVERTIBLE_NATIVE, JPEG_DECODABLE, MAX_FRAGMENT
from smartbox_next.dicom.transfer_syntax import conversions as ts_conversions
from smartbox_next.errors import MediaError
from smartbox_next.net.stream import Payload, Segment

if TYPE_CHECKING:  # pydicom (and numpy with it) is imported by the conversions that need it, not by a send
    from pydicom.dataset import Dataset

MAX_DECODED_BYTES = 512 * 1024 * 1024  # refuse to decode JPEG objects larger than this in memory
PIXEL_DATA = 0x7FE00010
IMPLICIT_VR_LE = "1.2.840.10008.1.2"


class VideoTranscoder(Protocol):
    """Re-encodes a video object under another video transfer syntax.

    Implemented above the network layer (:class:`smartbox_next.delivery.video.Reencoder`, which knows the
    station's configuration) and handed down to :func:`smartbox_next.net.store.store_files`; ``None`` there
    means "re-wrap between twin syntaxes only".
    """

    def targets(self, transfer_syntax: str) -> Sequence[str]:
        """Video syntaxes an object in ``transfer_syntax`` can be re-encoded to, best first."""
        ...

    def transcode(self, path: Path, transfer_syntax: str, out_dir: Path) -> Path:
        """Write a new Part 10 file in ``transfer_syntax`` under ``out_dir`` (a new, DERIVED instance that
        records the lossy re-encode) and return its path; MediaError when it cannot."""
        ...


def conversions(transfer_syntax: str, transcoder: VideoTranscoder | None) -> list[str]:
    """Syntaxes an object in ``transfer_syntax`` can honestly be sent in besides its own, best first."""
    return ts_conversions(transfer_syntax, transcoder.targets if transcoder is not None else None)


def prepare(obj: ObjectInfo, target: str, work_dir: Path, transcoder: VideoTranscoder | None) -> Payload:
    """The data set of ``obj`` encoded in ``target`` (see module docstring); MediaError if impossible."""
    own = obj.transfer_syntax
    if target == own:
        return Payload((FileRange(obj.path, obj.dataset_offset, obj.dataset_length),), own)
    if own in CONVERTIBLE_NATIVE and target in CONVERTIBLE_NATIVE:
        return _native(obj, target)
    if own in JPEG_DECODABLE and target in CONVERTIBLE_NATIVE:
        return _decode_jpeg(obj, target)
    src, dst = ALL_SYNTAXES.get(own), ALL_SYNTAXES.get(target)
    if src is not None and dst is not None:
        if src.twin == target:
            return _rewrap(obj, target, fragmentable=dst.fragmentable)
        if transcoder is not None and target in transcoder.targets(own):
            out = transcoder.transcode(obj.path, target, Path(os.fspath(work_dir)))  # creates a lazy dir
            new = read_object_info(out)
            return Payload((FileRange(new.path, new.dataset_offset, new.dataset_length),), new.transfer_syntax,
                           conversion=f"video re-encoded to {target} as {new.sop_instance_uid}",
                           sop_instance_uid=new.sop_instance_uid)
    raise MediaError("send.no_conversion", path=str(obj.path), source=own, target=target)


def _encode(ds: Dataset, implicit: bool) -> bytes:
    from pydicom.filebase import DicomBytesIO
    from pydicom.filewriter import write_dataset

    fp = DicomBytesIO()
    fp.is_implicit_VR = implicit
    fp.is_little_endian = True
    write_dataset(fp, ds)
    return fp.getvalue()


def _native(obj: ObjectInfo, target: str) -> Payload:
    """Explicit ↔ Implicit VR LE with Pixel Data streamed from the file (PS3.5 §7.1, A.1, A.2)."""
    from pydicom.filereader import read_dataset

    src_implicit = obj.transfer_syntax == IMPLICIT_VR_LE
    dst_implicit = target == IMPLICIT_VR_LE
    with obj.path.open("rb") as fh:
        fh.seek(obj.dataset_offset)
        head = read_dataset(fh, src_implicit, True, stop_when=lambda tag, vr, length: tag == PIXEL_DATA)
        pixel_start = fh.tell()
        segments: list[Segment] = [_encode(head, dst_implicit)]
        if pixel_start < obj.size:
            raw = fh.read(8)
            tag = struct.unpack("<I", raw[:4])[0]
            if src_implicit:
                header_len, length = 8, struct.unpack("<I", raw[4:8])[0]
            else:
                extra = fh.read(4)
                header_len, length = 12, struct.unpack("<I", extra)[0]
            if tag != 0x00107FE0 or length == 0xFFFFFFFF:
                raise MediaError("send.no_conversion", path=str(obj.path), source=obj.transfer_syntax,
                                 target=target)
            vr = b"OW" if int(head.get("BitsAllocated", 8)) > 8 else b"OB"
            header = (struct.pack("<HHI", 0x7FE0, 0x0010, length) if dst_implicit
                      else struct.pack("<HH2sHI", 0x7FE0, 0x0010, vr, 0, length))
            value_start = pixel_start + header_len
            segments += [header, FileRange(obj.path, value_start, length)]
            fh.seek(value_start + length)
            rest = fh.read()
            if rest:
                tail = read_dataset(BytesIO(rest), src_implicit, True)
                segments.append(_encode(tail, dst_implicit))
    return Payload(tuple(segments), target, conversion=f"re-encoded {obj.transfer_syntax} -> {target}")


def _decode_jpeg(obj: ObjectInfo, target: str) -> Payload:
    """Decode JPEG pixel data to uncompressed RGB; keep Lossy Image Compression "01" (PS3.3 C.7.6.1.1.5)."""
    import pydicom

    try:
        ds = pydicom.dcmread(obj.path)
        frames = int(ds.get("NumberOfFrames", 1) or 1)
        decoded = int(ds.Rows) * int(ds.Columns) * int(ds.SamplesPerPixel) * frames * (int(ds.BitsAllocated) // 8)
        if decoded > MAX_DECODED_BYTES:
            raise MediaError("send.no_conversion", path=str(obj.path), source=obj.transfer_syntax, target=target)
        ds.decompress(decoding_plugin="pillow", generate_instance_uid=False)
    except MediaError:
        raise
    except Exception as exc:  # pydicom/Pillow raise many types for corrupt data
        raise MediaError("send.decode_failed", path=str(obj.path), detail=str(exc)) from None
    ds.LossyImageCompression = "01"
    if "LossyImageCompressionMethod" not in ds:
        ds.LossyImageCompressionMethod = "ISO_10918_1"
    ds.file_meta = pydicom.dataset.FileMetaDataset()
    body = _encode(_without_meta(ds), target == IMPLICIT_VR_LE)
    return Payload((body,), target, conversion=f"decoded {obj.transfer_syntax} -> {target}")


def _without_meta(ds: Dataset) -> Dataset:
    from pydicom.dataset import Dataset

    out = Dataset()
    for elem in ds:
        if elem.tag.group != 0x0002:
            out.add(elem)
    return out


def _rewrap(obj: ObjectInfo, target: str, *, fragmentable: bool) -> Payload:
    """Same video stream under its twin syntax (PS3.5 §8.2.5-8.2.9, A.4): bytes unchanged when one fragment."""
    whole = Payload((FileRange(obj.path, obj.dataset_offset, obj.dataset_length),), target,
                    conversion=f"re-wrapped {obj.transfer_syntax} -> {target}")
    if fragmentable:
        return whole  # a non-fragmentable stream (one fragment) is valid as is under the fragmentable twin
    from pydicom.filereader import read_dataset

    with obj.path.open("rb") as fh:
        fh.seek(obj.dataset_offset)
        read_dataset(fh, False, True, stop_when=lambda tag, vr, length: tag == PIXEL_DATA)
        pixel_start = fh.tell()
        fh.seek(pixel_start + 12)
        walk = walk_items(fh, obj.size)
    if not walk.delimited:
        raise MediaError("send.no_conversion", path=str(obj.path), source=obj.transfer_syntax, target=target)
    frags = [(item.offset, item.length) for item in walk.fragments]
    tail_start = walk.end
    if len(frags) <= 1:
        return whole
    total = sum(n for _, n in frags)
    if total > MAX_FRAGMENT or total % 2:
        raise MediaError("send.no_conversion", path=str(obj.path), source=obj.transfer_syntax, target=target)
    segments: list[Segment] = [
        FileRange(obj.path, obj.dataset_offset, pixel_start + 12 - obj.dataset_offset),
        struct.pack("<II", ITEM_TAG, 0),  # empty Basic Offset Table
        struct.pack("<II", ITEM_TAG, total),
        *(FileRange(obj.path, off, n) for off, n in frags),
        struct.pack("<II", SEQUENCE_DELIMITER_TAG, 0),
        FileRange(obj.path, tail_start, obj.size - tail_start),
    ]
    return Payload(tuple(segments), target, conversion=whole.conversion)
