"""The one orchestrator: capture + exam -> datasets -> atomic files (later: spool + outbox).

``create_objects`` sniffs each input by content (never by name): stills go to :mod:`iod.still`,
video goes to the video builder. Every object is written atomically; a failed input leaves no file.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from smartbox_next.atomic import share_as_umask_allows
from smartbox_next.capture.image import load_still
from smartbox_next.config import Config
from smartbox_next.dicom import sop as sops
from smartbox_next.errors import InputError, MediaError, OutboxError
from smartbox_next.exam.model import Exam
from smartbox_next.iod.created import CreatedObject, write_object
from smartbox_next.iod.still import StillCapture, build_still, pass_through
from smartbox_next.messages import Bilingual, os_reason
from smartbox_next.spool.files import check_free_space
from smartbox_next.spool.outbox import Outbox
from smartbox_next.spool.paths import StationPaths, private_dir, study_folder

LOG = logging.getLogger(__name__)

_STILL_MAGIC = (b"\xff\xd8", b"\x89PNG\r\n\x1a\n", b"BM", b"II*\x00", b"MM\x00*", b"GIF8")


_HEAD = 512


def _head(path: Path) -> bytes:
    try:
        with path.open("rb") as fh:
            return fh.read(_HEAD)
    except FileNotFoundError:
        raise MediaError("input.not_found", path=str(path)) from None
    except OSError as exc:
        raise MediaError("input.unreadable", path=str(path), detail=os_reason(exc)) from None


def is_still_image(path: Path) -> bool:
    """True when the file starts like an image format (JPEG, PNG, BMP, TIFF, GIF)."""
    head = _head(path)
    return any(head.startswith(m) for m in _STILL_MAGIC)


def looks_like_video(head: bytes) -> bool:
    """True when ``head`` (the first bytes of a file) starts like a container or stream the video probe reads:
    ISO BMFF (MP4, MOV), MPEG-TS/M2TS, MPEG-PS, an MPEG-2 or H.264/HEVC elementary stream, Matroska/WebM, AVI,
    FLV, Ogg, ASF, YUV4MPEG2."""
    if head[4:8] in (b"ftyp", b"moov", b"mdat", b"free", b"wide", b"skip", b"pnot"):
        return True
    if head[:1] == b"\x47" and (len(head) <= 188 or head[188:189] == b"\x47"):  # MPEG-TS sync bytes
        return True
    if head[4:5] == b"\x47" and (len(head) <= 196 or head[196:197] == b"\x47"):  # M2TS (192-byte packets)
        return True
    if head.startswith((b"\x00\x00\x01\xba", b"\x00\x00\x01\xb3", b"\x00\x00\x00\x01", b"\x00\x00\x01")):
        return True  # MPEG-PS, MPEG-2 video, Annex B H.264/HEVC
    return head.startswith((b"\x1a\x45\xdf\xa3", b"FLV", b"OggS", b"\x30\x26\xb2\x75", b"YUV4MPEG2")) or (
        head[:4] == b"RIFF" and head[8:12] == b"AVI ")


def _not_media_reason(head: bytes) -> Bilingual:
    if not head:
        return Bilingual("the file is empty", "die Datei ist leer")
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        text = ""
    if text and all(c.isprintable() or c in "\r\n\t" for c in text.rstrip("\ufffd")):
        return Bilingual("it holds text", "sie enthält Text")
    return Bilingual("its content matches no image or video format", "ihr Inhalt passt zu keinem Bild- oder "
                     "Videoformat")


def check_media(path: Path) -> bool:
    """True for a still image, False for a video; raises MediaError ``input.not_media`` (empty, text, or no
    known format) or ``input.not_found`` — judged by content, never by the file name."""
    head = _head(path)
    if any(head.startswith(m) for m in _STILL_MAGIC):
        return True
    if looks_like_video(head):
        return False
    raise MediaError("input.not_media", path=str(path), reason=_not_media_reason(head))


def still_sop(name: str | None, config: Config) -> sops.SopClass:
    """The still SOP class for a CLI name (default: configured)."""
    return sops.BY_CLI_NAME[name or config.objects.sop]


def create_objects(config: Config, exam: Exam, path: Path, out_dir: Path, sop_name: str | None = None,
                   conversion_type: str | None = None, *, private: bool = False) -> list[CreatedObject]:
    """Create the object(s) for one input file: ``private`` (0600, the spool) or with the mode the user's umask
    gives a new file (a folder the operator chose, ``smartbox create --out``)."""
    created = _create(config, exam, path, out_dir, sop_name, conversion_type)
    if not private:
        for obj in created:
            share_as_umask_allows(obj.path)
    return created


def create_burst(config: Config, exam: Exam, stills: list[Path], out_dir: Path,
                 frame_time_ms: float | None = None) -> CreatedObject:
    """One Multi-frame True Color SC object of ``stills`` (same size, in order), with the user's umask's mode."""
    from smartbox_next.iod.multiframe import build_multiframe_from_stills

    for still in stills:
        _head(still)  # a missing or unreadable input is named as such
    obj = build_multiframe_from_stills(config, exam, stills, out_dir, frame_time_ms=frame_time_ms)
    share_as_umask_allows(obj.path)
    return obj


def _create(config: Config, exam: Exam, path: Path, out_dir: Path, sop_name: str | None,
            conversion_type: str | None) -> list[CreatedObject]:
    """The object(s) of one input, of exactly the SOP class asked for (``--sop``).

    A still becomes a still object (default ``objects.sop``) or, with ``mf-sc``, a one-frame Multi-frame True
    Color SC object; a video becomes a video object (default Video Endoscopic) or, with ``mf-sc``, a Multi-frame
    True Color SC object of its frames. A still asked to be a video object, or a video asked to be a still
    object, is refused (``objects.sop_needs_video`` / ``objects.sop_needs_still``): the SOP class is never
    changed silently. The input is judged by its content (``check_media``), never by its name.
    """
    asked = sops.BY_CLI_NAME[sop_name] if sop_name else None
    if check_media(path):
        if asked is not None and asked.kind is sops.SopKind.VIDEO:
            raise InputError("objects.sop_needs_video", sop=asked.cli_name, path=str(path))
        if asked is sops.MF_TRUE_COLOR_SC:
            from smartbox_next.iod.multiframe import build_multiframe_from_stills

            return [build_multiframe_from_stills(config, exam, [path], out_dir)]
        sop = asked or still_sop(None, config)
        image = load_still(path)
        ds = build_still(config, exam, StillCapture(image=image, conversion_type=conversion_type), sop)
        passed = image.jpeg is not None and pass_through(image.jpeg, sop) is not None
        return [write_object(ds, out_dir, path, passed)]
    from smartbox_next.iod.video import build_video_objects  # PyAV is loaded only for video inputs

    if asked is not None and asked.kind is sops.SopKind.STILL:
        raise InputError("objects.sop_needs_still", sop=asked.cli_name, path=str(path))
    if asked is sops.MF_TRUE_COLOR_SC:
        from smartbox_next.iod.multiframe import build_multiframe_from_video

        return [build_multiframe_from_video(config, exam, path, out_dir)]
    return build_video_objects(config, exam, path, asked or sops.VIDEO_ENDOSCOPIC, out_dir)


# ------------------------------------------------------------------------------ store-and-forward

@dataclass(frozen=True)
class Exported:
    """One exported object and its job ids (one per destination)."""

    created: CreatedObject
    job_ids: list[int]


def export_objects(config: Config, outbox: Outbox, exam: Exam, path: Path, destinations: list[str],
                   sop_name: str | None = None) -> list[Exported]:
    """Create the object(s) for ``path`` in the spool and queue them for every destination.

    The disk guard runs first; each object is durable on disk before its rows are committed, so a crash
    in between leaves a complete object that start-up reconciliation queues (DESIGN principle 4).
    """
    if not destinations:
        raise OutboxError("outbox.no_destinations")
    spool = StationPaths.of(config.station).prepare().spool
    folder = private_dir(study_folder(spool, exam.study.study_instance_uid))
    try:
        size = path.stat().st_size
    except OSError:
        raise MediaError("input.not_found", path=str(path)) from None
    check_free_space(spool.parent, config.outbox.min_free_mb, size)
    out = []
    for created in create_objects(config, exam, path, folder, sop_name, private=True):
        ids = outbox.enqueue(created.path, created.sop_instance_uid, created.sop_class_uid, destinations,
                             accession=exam.study.accession_number, patient=exam.patient.patient_name)
        out.append(Exported(created, ids))
    return out
