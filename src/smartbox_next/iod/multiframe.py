"""Multi-frame True Color Secondary Capture (PS3.3 A.8.5) from a video or from a burst of stills.

Frames are stored as baseline JPEG, one frame per fragment (PS3.5 §8.2.1, §A.4: YBR_FULL_422, filled
Basic Offset Table), or uncompressed RGB (Explicit VR Little Endian, PS3.5 §8.2 native). Frames are decoded
one at a time and appended to a work file next to the output; the object is then written from that file
(:mod:`smartbox_next.iod.writer`, kernel copy), so memory stays flat however long the video is.

Modules: Patient, General Study/Series, General Equipment, SC Equipment (C.8.6.1), General Acquisition,
General Image, Image Pixel, Cine (C.7.6.5, when frames are timed), Multi-frame (C.7.6.6), SC Multi-frame
Image (C.8.6.3: Burned In Annotation, Frame Increment Pointer), SC Multi-frame Vector (C.8.6.4), SOP Common.
Constraints A.8.5.4: SPP 3, 8/8/7, PR 0, PC 0, no VOI LUT / Overlay.
"""

from __future__ import annotations

import dataclasses
import io
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import av
from PIL import Image
from pydicom.uid import ExplicitVRLittleEndian, JPEGBaseline8Bit

from smartbox_next.capture.video import VideoInfo, probe
from smartbox_next.config import Config
from smartbox_next.dicom import sop as sops
from smartbox_next.dicom.part10 import FileRange
from smartbox_next.errors import MediaError
from smartbox_next.exam.model import Exam
from smartbox_next.iod.cine import add_cine
from smartbox_next.iod.common import add_lossy, finalize, new_dataset
from smartbox_next.iod.created import CreatedObject
from smartbox_next.iod.writer import write_encapsulated, write_native

JPEG_METHOD = "ISO_10918_1"
FRAME_LABEL_VECTOR = 0x00182002
VIDEO_METHODS = {"h264": "ISO_14496_10", "mpeg2video": "ISO_13818_2", "hevc": "ISO_23008_2", "mjpeg": JPEG_METHOD}


def _rgb_frames_from_video(info: VideoInfo) -> Iterator[Image.Image]:
    c: Any
    try:
        with av.open(str(info.path)) as c:
            stream = c.streams.video[0]
            stream.thread_type = "AUTO"
            for frame in c.decode(stream):
                yield frame.to_image()
    except av.error.FFmpegError as exc:
        raise MediaError("media.corrupt", path=str(info.path), detail=str(exc)) from None


def _rgb_frames_from_stills(paths: Iterable[Path]) -> Iterator[Image.Image]:
    for path in paths:
        try:
            with Image.open(path) as img:
                img.load()
                yield img.convert("RGB")
        except (OSError, ValueError, Image.DecompressionBombError) as exc:
            raise MediaError("media.still_unreadable", path=str(path), detail=str(exc)) from None


def _spool_frames(frames: Iterable[Image.Image], work: Path, encoding: str, quality: int,
                  names: list[str]) -> tuple[list[tuple[int, int]], tuple[int, int]]:
    """Append each frame (JPEG or raw RGB) to ``work``; return (offset, length) per frame and the size."""
    spans: list[tuple[int, int]] = []
    size: tuple[int, int] | None = None
    with work.open("wb") as fh:
        for n, img in enumerate(frames):
            if size is None:
                size = img.size
            elif img.size != size:
                name = names[n] if n < len(names) else f"frame {n + 1}"
                raise MediaError("media.frame_size_mismatch", path=name, size=f"{img.size[0]}x{img.size[1]}",
                                 expected=f"{size[0]}x{size[1]}")
            start = fh.tell()
            if encoding == "jpeg":
                buf = io.BytesIO()
                img.save(buf, format="JPEG", quality=quality, subsampling=2, optimize=False)  # baseline, 4:2:0
                fh.write(buf.getbuffer())
            else:
                fh.write(img.tobytes())
            spans.append((start, fh.tell() - start))
    if size is None:
        raise MediaError("media.no_frames", path=names[0] if names else "?")
    return spans, size


def _build(config: Config, exam: Exam, frames: Iterable[Image.Image], out_dir: Path, *, names: list[str],
           info: VideoInfo | None, frame_time_ms: float | None, derivation: str, source_method: str | None,
           content_time: datetime | None, source: Path | None) -> CreatedObject:
    encoding = config.video.multiframe_encoding
    out_dir.mkdir(parents=True, exist_ok=True)
    work_dir = Path(tempfile.mkdtemp(prefix=".mf-", dir=out_dir))
    try:
        work = work_dir / "frames.bin"
        spans, (width, height) = _spool_frames(frames, work, encoding, config.objects.jpeg_quality, names)
        ts = JPEGBaseline8Bit if encoding == "jpeg" else ExplicitVRLittleEndian
        sop = sops.MF_TRUE_COLOR_SC
        ds = new_dataset(config, exam, sop, transfer_syntax_uid=ts, content_time=content_time,
                         image_type=("DERIVED", "PRIMARY"))
        ds.ConversionType = config.objects.conversion_type  # SC Equipment (C.8.6.1), Type 1
        ds.SamplesPerPixel = 3
        ds.PhotometricInterpretation = "YBR_FULL_422" if encoding == "jpeg" else "RGB"
        ds.PlanarConfiguration = 0
        ds.Rows, ds.Columns = height, width
        ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 8, 7, 0
        ds.BurnedInAnnotation = "NO"
        n = len(spans)
        if info is not None:
            add_cine(ds, dataclasses.replace(info, frame_count=n, audio=()))
        else:
            ds.NumberOfFrames = n
            if frame_time_ms:
                ds.FrameIncrementPointer = 0x00181063
                ds.FrameTime = f"{frame_time_ms:.4f}".rstrip("0").rstrip(".")
            else:  # untimed burst: frames are labelled (C.8.6.3 Frame Increment Pointer, Frame Label Vector)
                ds.FrameIncrementPointer = FRAME_LABEL_VECTOR
                ds.FrameLabelVector = [f"FRAME {i}" for i in range(1, n + 1)]
        methods = [m for m in (source_method, JPEG_METHOD if encoding == "jpeg" else None) if m]
        if methods:
            raw = width * height * 3 * n
            add_lossy(ds, methods[0], raw / max(1, work.stat().st_size) if encoding == "jpeg" else None)
            ds.LossyImageCompressionMethod = methods if len(methods) > 1 else methods[0]
        elif info is not None:
            ds.LossyImageCompression = "01"  # every video codec is lossy; never reset (C.7.6.1.1.5)
        ds.DerivationDescription = derivation[:1024]
        finalize(ds, config)
        target = out_dir / f"{ds.SOPInstanceUID}.dcm"
        if encoding == "jpeg":  # one frame per fragment, filled Basic Offset Table (PS3.5 §A.4)
            write_encapsulated(ds, [FileRange(work, off, length) for off, length in spans], target, offsets=True)
        else:  # native OB value (PS3.5 §8.1.1), copied from the work file by the kernel
            write_native(ds, FileRange(work), target, vr="OB")
        return CreatedObject(target, sop.uid, str(ds.SOPInstanceUID), ts, source=source, pass_through=False,
                             frames=n, size=target.stat().st_size, reason=derivation)
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)


def build_multiframe_from_video(config: Config, exam: Exam, path: Path, out_dir: Path, *,
                                content_time: datetime | None = None) -> CreatedObject:
    """Every frame of the video ``path`` as one Multi-frame True Color SC object, with Cine timing."""
    info = probe(path)
    source_method = VIDEO_METHODS.get(info.codec)
    derivation = (f"Frames of {info.describe()} decoded and stored as "
                  f"{'baseline JPEG' if config.video.multiframe_encoding == 'jpeg' else 'uncompressed RGB'}")
    return _build(config, exam, _rgb_frames_from_video(info), out_dir, names=[str(path)], info=info,
                  frame_time_ms=None, derivation=derivation, source_method=source_method,
                  content_time=content_time, source=path)


def build_multiframe_from_stills(config: Config, exam: Exam, paths: list[Path], out_dir: Path, *,
                                 frame_time_ms: float | None = None,
                                 content_time: datetime | None = None) -> CreatedObject:
    """A burst of same-size stills as one Multi-frame True Color SC object (timed when ``frame_time_ms``)."""
    if not paths:
        raise MediaError("media.no_frames", path="")
    names = [str(p) for p in paths]
    source_method = JPEG_METHOD if any(_is_jpeg(p) for p in paths) else None
    derivation = f"{len(paths)} still images combined into one multi-frame object"
    return _build(config, exam, _rgb_frames_from_stills(paths), out_dir, names=names, info=None,
                  frame_time_ms=frame_time_ms, derivation=derivation, source_method=source_method,
                  content_time=content_time, source=paths[0])


def _is_jpeg(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            return fh.read(2) == b"\xff\xd8"
    except OSError:
        return False
