"""Video Endoscopic / Microscopic / Photographic objects (PS3.3 A.32.5, A.32.6, A.32.7), streamed.

The video stream (a conformant input file byte for byte, or PyAV's transcoded output) becomes the
encapsulated Pixel Data without being read into memory: :mod:`smartbox_next.iod.writer` writes the
header with pydicom, then the Pixel Data element, the Basic Offset Table item, one item per fragment and
the Sequence Delimitation Item (PS3.5 §A.4), the fragments copied from the file by the kernel
(``os.copy_file_range``). Non-fragmentable transfer syntaxes
get exactly one fragment and an empty Basic Offset Table (PS3.5 §8.2.5–8.2.9); a stream longer than one
fragment (``video.max_fragment_bytes``) is either re-muxed into several independently playable objects
of the same series (``long_video_mode = "split"``) or stored under the fragmentable twin syntax in
fragments of at most that size (``"fragmentable"``).

Modules: Patient, General Study/Series/Equipment/Acquisition/Image, Image Pixel, Cine (C.7.6.5),
Multi-frame (C.7.6.6), Acquisition Context (C.7.6.14), VL Image (C.8.12.1), SOP Common; no Modality LUT,
VOI LUT or Overlay (A.32.5.4 …).
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import tempfile
from datetime import datetime
from pathlib import Path

from pydicom.dataset import Dataset

from smartbox_next.capture.syntax import choose_syntax, evaluate, plan_h264, plan_mpeg2
from smartbox_next.capture.transcode import EncoderSettings, split_stream, transcode
from smartbox_next.capture.video import VideoInfo, probe
from smartbox_next.config import Config
from smartbox_next.dicom import sop as sops
from smartbox_next.dicom.part10 import FileRange, walk_items
from smartbox_next.dicom.transfer_syntax import (
    ALL_SYNTAXES,
    H264_HP42_3D,
    H264_STEREO,
    MAX_FRAGMENT,
    MPEG2_MPML,
    VideoSyntax,
)
from smartbox_next.dicom.uid import generate_uid
from smartbox_next.errors import InputError, MediaError
from smartbox_next.exam.model import Exam, Series
from smartbox_next.iod.cine import add_cine
from smartbox_next.iod.common import add_acquisition_context, file_meta, finalize, new_dataset, series_for
from smartbox_next.iod.created import CreatedObject
from smartbox_next.iod.history import History, source_steps, transcoded, video_ratio
from smartbox_next.iod.writer import copy_span, fragment_spans, write_encapsulated

log = logging.getLogger(__name__)



# --------------------------------------------------------------------------------------------- modules

def anatomic_region(exam: Exam, sop: sops.SopClass) -> Dataset:
    """The one Anatomic Region Sequence item (PS3.3 C.8.12.1; CID 4040 for endoscopy, A.32.5.4.3).

    The region is the exam's (operator, worklist entry or station default, :mod:`smartbox_next.app.identity`);
    without one the object is refused — a video object must name it, and it is never guessed.
    """
    if exam.anatomic_region is None:
        if exam.region_candidates:
            raise InputError("region.ambiguous", sop=sop.name,
                             regions=", ".join(r.meaning for r in exam.region_candidates))
        raise InputError("region.missing", sop=sop.name)
    return exam.anatomic_region.to_dataset()


def add_video_pixel_module(ds: Dataset, info: VideoInfo, syntax: VideoSyntax) -> None:
    """Image Pixel module for a video TS (PS3.5 §8.2.5–8.2.11): YBR_PARTIAL_420, 8/8/7, PR 0, PC 0."""
    ds.SamplesPerPixel = 3
    ds.PhotometricInterpretation = "YBR_PARTIAL_420"
    ds.PlanarConfiguration = 0
    ds.Rows = info.height
    ds.Columns = info.width
    ds.BitsAllocated = 8
    ds.BitsStored = 8
    ds.HighBit = 7
    ds.PixelRepresentation = 0
    base = syntax.twin if syntax.fragmentable and syntax.codec != "hevc" else syntax.uid
    if base == MPEG2_MPML.uid and info.sar not in (0, 1):
        # Pixel Aspect Ratio 1C (C.7.6.3.1.7): vertical / horizontal size; MP@ML only — absent for HL/H.264/HEVC
        ds.PixelAspectRatio = [info.sar.denominator, info.sar.numerator]
    if base in (H264_HP42_3D.uid, H264_STEREO.uid):
        ds.StereoPairsPresent = "YES"


def video_dataset(config: Config, exam: Exam, sop: sops.SopClass, info: VideoInfo, syntax: VideoSyntax, *,
                  history: History | None = None, content_time: datetime | None = None,
                  series: Series | None = None) -> Dataset:
    """Every attribute of the video object except Pixel Data (PS3.3 A.32.5/6/7 or A.8.5 for MF SC).

    ``history``: the stream's derivation history (:mod:`.history`); None = the stream as recorded, passed
    through (ORIGINAL, one lossy step: its own codec).
    """
    region = anatomic_region(exam, sop) if sop.vl else None  # refused before anything is built
    if history is None:
        history = History()
        history.add_lossy(syntax.lossy_method, video_ratio(info))
    ds = new_dataset(config, exam, sop, transfer_syntax_uid=syntax.uid, content_time=content_time,
                     series=series)
    add_video_pixel_module(ds, info, syntax)
    add_cine(ds, info)
    history.apply(ds)
    if region is not None:  # the sequence itself is written by new_dataset from the exam
        add_acquisition_context(ds)
    else:  # Multi-frame True Color SC carrying video (PS3.3 A.8.5): SC Equipment + SC Multi-frame Image
        ds.ConversionType = config.objects.conversion_type
        ds.BurnedInAnnotation = "NO"
    return ds


# ---------------------------------------------------------------------------------------------- writing

def fragments_of(path: Path, syntax: VideoSyntax, limit: int) -> list[FileRange]:
    """One span for a non-fragmentable syntax; even-sized spans of ≤ ``limit`` bytes for fragmentable ones.

    PS3.5 §8.2.5–8.2.11: the non-fragmentable MPEG-2/H.264/HEVC syntaxes carry the whole stream in one
    fragment after an empty Basic Offset Table (PS3.5 §A.4).
    """
    size = path.stat().st_size
    if not syntax.fragmentable or size <= limit:
        if size > MAX_FRAGMENT:
            raise ValueError("stream larger than one fragment under a non-fragmentable transfer syntax")
        return [FileRange(path, 0, size)]
    return fragment_spans(path, size, limit)


# --------------------------------------------------------------------------------------------- building

def _settings(config: Config) -> EncoderSettings:
    v = config.video
    return EncoderSettings(v.h264_preset, v.h264_crf, v.mpeg2_bit_rate)


def build_video_objects(config: Config, exam: Exam, path: Path, sop: sops.SopClass, out_dir: Path, *,
                        content_time: datetime | None = None) -> list[CreatedObject]:
    """Probe, decide (``media.syntax``), transcode or split when needed, and write the object(s).

    Returns one :class:`~smartbox_next.iod.created.CreatedObject` per written file. Bad input raises MediaError /
    UnsupportedMediaError before anything is written; a failure later removes the parts already written.
    """
    path = Path(path)
    if sop.kind is not sops.SopKind.VIDEO:
        raise ValueError(f"{sop.name} is not a video SOP class")
    info = probe(path)
    decision = choose_syntax(info, config.video)
    out_dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".video-", dir=out_dir))
    written: list[CreatedObject] = []
    try:
        if sop.vl:
            anatomic_region(exam, sop)  # refused before a long transcode, not after it
        stream, syntax, history = info, decision.syntax, None
        if decision.plan is not None:
            out = transcode(info, decision.plan, work / f"transcoded.{decision.plan.container}", _settings(config))
            stream = probe(out)
            violations = evaluate(stream)[decision.plan.syntax.uid]
            if violations:
                raise MediaError("media.transcode_failed", path=str(path), detail="; ".join(violations))
        limit = config.video.max_fragment_bytes
        parts = [stream]
        if stream.size > limit:
            if config.video.long_video_mode == "fragmentable":
                syntax = syntax if syntax.fragmentable else ALL_SYNTAXES[syntax.twin]
            else:
                parts = [probe(p) for p in split_stream(stream, limit, work)]
        series = series_for(exam, sop, config)
        for n, part in enumerate(parts, start=1):
            if decision.plan is not None:
                history = History()
                source_steps(history, info)
                transcoded(history, info, decision.plan, part)
            ds = video_dataset(config, exam, sop, part, syntax, history=history, content_time=content_time,
                               series=series)
            if len(parts) > 1:
                ds.ImageComments = f"Part {n} of {len(parts)} of one recording"
            finalize(ds, config)
            target = out_dir / f"{ds.SOPInstanceUID}.dcm"
            write_encapsulated(ds, fragments_of(part.path, syntax, limit), target)
            written.append(CreatedObject(target, str(ds.SOPClassUID), str(ds.SOPInstanceUID), syntax.uid,
                                         source=path, pass_through=decision.pass_through, frames=part.frame_count,
                                         size=target.stat().st_size, part=n, parts=len(parts),
                                         reason=decision.reason))
            log.info("video object %s written (%s, %d frames, part %d/%d)", ds.SOPInstanceUID, syntax.name,
                     part.frame_count, n, len(parts))
    except BaseException:
        for obj in written:
            with contextlib.suppress(OSError):
                obj.path.unlink()
        raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return written




# ------------------------------------------------------------------------------ sender fallback

def _fragments(path: Path) -> tuple[Dataset, list[tuple[int, int]]]:
    """Header (without Pixel Data) and (offset, length) of every fragment after the BOT (PS3.5 §A.4)."""
    import pydicom

    with path.open("rb") as fh:
        ds = pydicom.dcmread(fh, stop_before_pixels=True)
        head = fh.read(12)
        if len(head) < 12 or head[:4] != b"\xe0\x7f\x10\x00" or head[8:12] != b"\xff\xff\xff\xff":
            raise MediaError("media.not_video_object", path=str(path), detail="no encapsulated Pixel Data")
        walk = walk_items(fh, path.stat().st_size)
    if not walk.delimited:
        raise MediaError("media.truncated", path=str(path), detail=walk.problem or "Pixel Data ends early")
    return ds, [(item.offset, item.length) for item in walk.fragments]


def transcode_for(path: Path, target_ts: str, out_dir: Path, config: Config) -> Path:
    """The same video under another video transfer syntax, as a new object in ``out_dir`` (sender fallback).

    A fragmentable/non-fragmentable twin is re-wrapped (same bytes); MPEG-2 ↔ H.264 is re-encoded with PyAV
    with the configured encoder settings, and the new object (new SOP Instance UID under the configured root,
    same series) is DERIVED with the lossy methods in the order applied. A receiver that takes only MPEG-2
    MP@ML gets the picture scaled down to 720×576 (720×480 at NTSC rates) — unless ``video.allow_downscale``
    is false, then MediaError ``send.downscale_off`` says so.
    """
    target = ALL_SYNTAXES.get(target_ts)
    if target is None or target.codec == "hevc":
        raise MediaError("media.bad_target", ts=target_ts)
    src_ds, spans = _fragments(path)
    current = ALL_SYNTAXES.get(str(src_ds.file_meta.TransferSyntaxUID))
    if current is None:
        raise MediaError("media.not_video_object", path=str(path), detail=str(src_ds.file_meta.TransferSyntaxUID))
    out_dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".fallback-", dir=out_dir))
    try:
        stream = work / "stream.bin"
        with stream.open("wb") as out:
            for off, length in spans:
                copy_span(FileRange(path, off, length), out.fileno())
        info = probe(stream)
        history = History.from_dataset(src_ds)
        if target.uid in (current.twin, current.uid):
            final, changed = info, False  # re-wrapped: the same stream bytes
        else:
            plan = plan_h264(info) if target.codec == "h264" else plan_mpeg2(
                info, "main" if target.uid in (MPEG2_MPML.uid, MPEG2_MPML.twin) else "high")
            if plan.scaled and target.codec == "mpeg2" and not config.video.allow_downscale:
                raise MediaError("send.downscale_off", path=str(path), source=f"{info.width}x{info.height}",
                                 target=f"{plan.width}x{plan.height}", syntax=target.name)
            final = probe(transcode(info, plan, work / f"fallback.{plan.container}", _settings(config)))
            if not history.lossy:  # an object written before the history was complete: its own stream's step
                source_steps(history, info)
            transcoded(history, info, plan, final, purpose=" for a receiver")
            changed = True
        return _rewrite(src_ds, final, target, history if changed else None, out_dir, config)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _rewrite(src: Dataset, info: VideoInfo, target: VideoSyntax, history: History | None, out_dir: Path,
             config: Config) -> Path:

    ds = Dataset()
    for elem in src:
        ds.add(elem)
    uid = generate_uid(config.uid.root)
    ds.SOPInstanceUID = uid
    ds.file_meta = file_meta(str(src.SOPClassUID), uid, target.uid, config.station.ae_title)
    for keyword in ("PixelAspectRatio", "StereoPairsPresent"):
        if keyword in ds:
            delattr(ds, keyword)
    add_video_pixel_module(ds, info, target)
    add_cine(ds, info)
    if history is not None:
        history.apply(ds)
    finalize(ds, config)
    target_path = out_dir / f"{uid}.dcm"
    limit = config.video.max_fragment_bytes
    write_encapsulated(ds, fragments_of(info.path, target, limit), target_path)
    return target_path
