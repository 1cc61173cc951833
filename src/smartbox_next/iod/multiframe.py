"""Multi-frame True Color Secondary Capture (PS3.3 A.8.5) from a video or from a burst of stills.

Frames are stored as baseline JPEG, one frame per fragment (PS3.5 §8.2.1, §A.4: YBR_FULL_422, filled
Basic Offset Table), or uncompressed RGB (Explicit VR Little Endian, PS3.5 §8.2 native).

A burst of camera JPEGs — baseline, 8-bit YCbCr, all of one size and chroma sampling, upright, without data
after the end of the image — goes in unchanged: each input's bytes become its own fragment, copied from the
file by the kernel (DESIGN principle 3: no needless second lossy generation); the object stays ORIGINAL.
Any other burst (mixed sizes or sampling, PNG, progressive …) is decoded and re-encoded once, and the object
says so (DERIVED, both lossy steps). Frames of a video are decoded one at a time and appended to a work file
next to the output; memory stays flat however long the video is.

The derivation history (:mod:`.history`) records every lossy step with its own ratio, in order, and every
change of the pixel values (PS3.3 C.7.6.1.1.2, C.7.6.1.1.5).

Modules: Patient, General Study/Series, General Equipment, SC Equipment (C.8.6.1), General Acquisition,
General Image, Image Pixel, Cine (C.7.6.5, when frames are timed), Multi-frame (C.7.6.6), SC Multi-frame
Image (C.8.6.3: Burned In Annotation, Frame Increment Pointer 1C when Number of Frames > 1), SC Multi-frame
Vector (C.8.6.4, when Number of Frames > 1), SOP Common. Constraints A.8.5.4: SPP 3, 8/8/7, PR 0, PC 0, no
VOI LUT / Overlay. One still makes a one-frame object.
"""

from __future__ import annotations

import dataclasses
import io
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from PIL import Image
from pydicom.uid import ExplicitVRLittleEndian, JPEGBaseline8Bit

from smartbox_next.capture.image import Pixels, check_size, decode, load_still, to_8bit
from smartbox_next.capture.jpeg import ColorSpace, JpegInfo, parse_jpeg
from smartbox_next.config import Config
from smartbox_next.dicom import sop as sops
from smartbox_next.dicom.part10 import FileRange
from smartbox_next.errors import MediaError
from smartbox_next.exam.model import Exam
from smartbox_next.iod.cine import add_cine
from smartbox_next.iod.common import finalize, new_dataset
from smartbox_next.iod.created import CreatedObject
from smartbox_next.iod.history import History
from smartbox_next.iod.writer import write_encapsulated, write_native

JPEG_METHOD = "ISO_10918_1"
FRAME_LABEL_VECTOR = 0x00182002
FRAME_TIME = 0x00181063


@dataclass(frozen=True)
class Frames:
    """Where the frames are: one span per frame (a file range), their size, and what decoding changed."""

    spans: list[FileRange]
    width: int
    height: int
    encoding: str  # jpeg | uncompressed


def _rgb(pixels: Pixels, changes: list[str]) -> Image.Image:
    """8-bit RGB for SPP 3 (A.8.5.4), recording what that changed."""
    if pixels.bits != 8:
        pixels = to_8bit(pixels)
    changes.extend(pixels.changes)
    if pixels.samples_per_pixel == 1:
        changes.append("greyscale converted to RGB (three equal samples)")
        return Image.fromarray(pixels.array, mode="L").convert("RGB")
    return Image.fromarray(pixels.array, mode="RGB")


def _spool(frames: Iterable[Image.Image], work: Path, encoding: str, quality: int,
           names: list[str]) -> tuple[list[FileRange], tuple[int, int]]:
    """Append each frame (JPEG or raw RGB) to ``work``; return one span per frame and the size."""
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
    return [FileRange(work, off, length) for off, length in spans], size


def _passes_through(info: JpegInfo | None) -> bool:
    """A camera JPEG that can be a Multi-frame True Color SC frame unchanged (PS3.5 §8.2.1, A.8.5.4)."""
    return (info is not None and info.sof_marker == 0xC0 and info.precision == 8 and not info.arithmetic
            and info.samples_per_pixel == 3 and info.color_space is ColorSpace.YCBCR
            and info.exif_orientation in (None, 1) and info.has_eoi and info.trailing_bytes == 0)


def _sampling(info: JpegInfo) -> tuple[tuple[int, int], ...]:
    return tuple((c.h, c.v) for c in info.components)


def _jpeg_info(path: Path) -> JpegInfo | None:
    """The marker information of a JPEG file (header and tail only), None for another format."""
    try:
        with path.open("rb") as fh:
            if fh.read(2) != b"\xff\xd8":
                return None
    except OSError:
        raise MediaError("input.not_found", path=str(path)) from None
    try:
        return parse_jpeg(path, name=str(path))
    except MediaError:
        return None  # decoding reports what is wrong with it


def burst_plan(infos: list[JpegInfo | None]) -> str:
    """"" when every still can go in unchanged, else why not (in words, for the Derivation Description)."""
    if not all(_passes_through(i) for i in infos):
        return "not all inputs are upright baseline 8-bit YCbCr JPEG images"
    first = infos[0]
    assert first is not None
    if any(i is not None and (i.rows, i.columns) != (first.rows, first.columns) for i in infos):
        return "the inputs differ in size"
    if any(i is not None and _sampling(i) != _sampling(first) for i in infos):
        return "the inputs differ in chroma sampling"
    if any(i is not None and i.icc_profile != first.icc_profile for i in infos):
        return "the inputs carry different ICC profiles"
    return ""


def _dataset(config: Config, exam: Exam, frames: Frames, *, n: int, info: Any, frame_time_ms: float | None,
             content_time: datetime | None, history: History) -> Any:
    sop = sops.MF_TRUE_COLOR_SC
    ts = JPEGBaseline8Bit if frames.encoding == "jpeg" else ExplicitVRLittleEndian
    ds = new_dataset(config, exam, sop, transfer_syntax_uid=ts, content_time=content_time)
    ds.ConversionType = config.objects.conversion_type  # SC Equipment (C.8.6.1), Type 1
    ds.SamplesPerPixel = 3
    ds.PhotometricInterpretation = "YBR_FULL_422" if frames.encoding == "jpeg" else "RGB"
    ds.PlanarConfiguration = 0
    ds.Rows, ds.Columns = frames.height, frames.width
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 8, 7, 0
    ds.BurnedInAnnotation = "NO"
    if info is not None and n > 1:
        add_cine(ds, dataclasses.replace(info, frame_count=n, audio=()))
    else:
        ds.NumberOfFrames = n
        if n > 1 and frame_time_ms:
            ds.FrameIncrementPointer = FRAME_TIME
            ds.FrameTime = f"{frame_time_ms:.4f}".rstrip("0").rstrip(".")
        elif n > 1:  # untimed burst: frames are labelled (C.8.6.3 Frame Increment Pointer, C.8.6.4)
            ds.FrameIncrementPointer = FRAME_LABEL_VECTOR
            ds.FrameLabelVector = [f"FRAME {i}" for i in range(1, n + 1)]
    history.apply(ds)
    return ds


def _write(config: Config, ds: Any, frames: Frames, out_dir: Path, source: Path | None,
           pass_through: bool) -> CreatedObject:
    finalize(ds, config)
    target = out_dir / f"{ds.SOPInstanceUID}.dcm"
    if frames.encoding == "jpeg":  # one frame per fragment, filled Basic Offset Table (PS3.5 §A.4)
        write_encapsulated(ds, frames.spans, target, offsets=True)
    else:  # native OB value (PS3.5 §8.1.1), copied from the work file by the kernel
        write_native(ds, frames.spans[0] if len(frames.spans) == 1 else _whole(frames.spans), target, vr="OB")
    return CreatedObject(target, sops.MF_TRUE_COLOR_SC.uid, str(ds.SOPInstanceUID),
                         str(ds.file_meta.TransferSyntaxUID), source=source, pass_through=pass_through,
                         frames=len(frames.spans), size=target.stat().st_size,
                         reason=str(ds.get("DerivationDescription", "")))


def _whole(spans: list[FileRange]) -> FileRange:
    """The spans of one work file, back to back, as one range."""
    first = spans[0]
    return FileRange(first.path, first.offset, sum(s.length for s in spans))


def build_multiframe_from_video(config: Config, exam: Exam, path: Path, out_dir: Path, *,
                                content_time: datetime | None = None) -> CreatedObject:
    """Every frame of the video ``path`` as one Multi-frame True Color SC object, with Cine timing."""
    import av

    from smartbox_next.capture.video import probe
    from smartbox_next.iod.history import source_steps

    info = probe(path)
    encoding = config.video.multiframe_encoding
    pix_fmt: list[str] = []

    def frames() -> Iterator[Image.Image]:
        c: Any
        try:
            with av.open(str(info.path)) as c:
                stream = c.streams.video[0]
                stream.thread_type = "AUTO"
                for frame in c.decode(stream):
                    if not pix_fmt:
                        pix_fmt.append(str(frame.format.name))
                    yield frame.to_image()
        except av.error.FFmpegError as exc:
            raise MediaError("media.corrupt", path=str(info.path), detail=str(exc)) from None

    out_dir.mkdir(parents=True, exist_ok=True)
    work_dir = Path(tempfile.mkdtemp(prefix=".mf-", dir=out_dir))
    try:
        spans, (width, height) = _spool(frames(), work_dir / "frames.bin", encoding, config.objects.jpeg_quality,
                                        [str(path)])
        history = History()
        source_steps(history, info)
        fmt = pix_fmt[0] if pix_fmt else info.pix_fmt
        history.change(f"frames of {info.label()} decoded"
                       + ("" if fmt in ("rgb24", "bgr24") else f" and colour-converted from {fmt} to RGB"))
        _jpeg_step(history, config, encoding, spans, width, height, "frames compressed")
        data = Frames(spans, width, height, encoding)
        ds = _dataset(config, exam, data, n=len(spans), info=info, frame_time_ms=None, content_time=content_time,
                      history=history)
        return _write(config, ds, data, out_dir, path, False)
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)


def _jpeg_step(history: History, config: Config, encoding: str, spans: list[FileRange], width: int, height: int,
               what: str) -> None:
    """The station's JPEG encoding of decoded frames: a lossy copy of the source (DERIVED, 113040)."""
    if encoding == "jpeg":
        raw = width * height * 3 * len(spans)
        history.add_lossy(JPEG_METHOD, raw / max(1, sum(s.length for s in spans)), derives=True,
                          what=f"{what} as lossy baseline JPEG (quality {config.objects.jpeg_quality})")


def build_multiframe_from_stills(config: Config, exam: Exam, paths: list[Path], out_dir: Path, *,
                                 frame_time_ms: float | None = None,
                                 content_time: datetime | None = None) -> CreatedObject:
    """A burst of same-size stills as one Multi-frame True Color SC object (timed when ``frame_time_ms``).

    Camera JPEGs of one size and sampling are passed through (one input = one fragment, bytes unchanged);
    anything else is decoded one at a time and, per ``video.multiframe_encoding``, re-encoded once or stored
    uncompressed.
    """
    if not paths:
        raise MediaError("media.no_frames", path="")
    names = [str(p) for p in paths]
    infos = [_jpeg_info(p) for p in paths]
    encoding = config.video.multiframe_encoding
    why = burst_plan(infos) if encoding == "jpeg" else "video.multiframe_encoding = uncompressed"
    out_dir.mkdir(parents=True, exist_ok=True)
    if not why:
        first = infos[0]
        assert first is not None
        for p, info in zip(paths, infos, strict=True):
            assert info is not None
            check_size(str(p), info.rows, info.columns)
        spans = [FileRange(p, 0, p.stat().st_size) for p in paths]
        history = History()
        raw = first.rows * first.columns * 3 * len(spans)
        history.add_lossy(JPEG_METHOD, raw / max(1, sum(s.length for s in spans)))  # the camera's encoding
        data = Frames(spans, first.columns, first.rows, "jpeg")
        ds = _dataset(config, exam, data, n=len(spans), info=None, frame_time_ms=frame_time_ms,
                      content_time=content_time, history=history)
        if first.icc_profile:
            ds.ICCProfile = first.icc_profile  # equal in every frame's APP2 (PS3.5 §8.2.1)
        return _write(config, ds, data, out_dir, paths[0], True)
    work_dir = Path(tempfile.mkdtemp(prefix=".mf-", dir=out_dir))
    try:
        changes: list[str] = []
        kinds: list[str] = []
        lossy: list[tuple[int, int]] = []  # (raw bytes, encoded bytes) of every lossy source

        def frames() -> Iterator[Image.Image]:
            for path in paths:
                still = load_still(path)
                pixels = decode(still)
                kinds.append(pixels.source_format or "image")
                if pixels.source_lossy:
                    lossy.append((pixels.rows * pixels.columns * pixels.samples_per_pixel, len(still.data)))
                yield _rgb(pixels, changes)

        spans, (width, height) = _spool(frames(), work_dir / "frames.bin", encoding, config.objects.jpeg_quality,
                                        names)
        history = History()
        if lossy:
            history.add_lossy(JPEG_METHOD, sum(r for r, _ in lossy) / max(1, sum(e for _, e in lossy)))
        for change in dict.fromkeys(changes):
            history.change(change)
        verb = "re-encoded once" if lossy else "compressed"
        images = f"{len(paths)} still image{'s' if len(paths) > 1 else ''} ({', '.join(sorted(set(kinds)))})"
        _jpeg_step(history, config, encoding, spans, width, height, f"{images} decoded, because {why}, and {verb}")
        data = Frames(spans, width, height, encoding)
        ds = _dataset(config, exam, data, n=len(spans), info=None, frame_time_ms=frame_time_ms,
                      content_time=content_time, history=history)
        return _write(config, ds, data, out_dir, paths[0], False)
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)
