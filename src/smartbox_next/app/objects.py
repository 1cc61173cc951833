"""The one orchestrator: capture + exam -> datasets -> atomic files (later: spool + outbox).

``create_objects`` sniffs each input by content (never by name): stills go to :mod:`iod.still`,
video goes to the video builder. Every object is written atomically; a failed input leaves no file.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from smartbox_next.capture.image import load_still
from smartbox_next.config import Config
from smartbox_next.dicom import sop as sops
from smartbox_next.errors import InputError, MediaError, OutboxError
from smartbox_next.exam.model import Exam
from smartbox_next.iod.created import CreatedObject, write_object
from smartbox_next.iod.still import StillCapture, build_still, pass_through
from smartbox_next.spool.files import check_free_space
from smartbox_next.spool.outbox import Outbox
from smartbox_next.spool.paths import StationPaths, study_folder

LOG = logging.getLogger(__name__)

_STILL_MAGIC = (b"\xff\xd8", b"\x89PNG\r\n\x1a\n", b"BM", b"II*\x00", b"MM\x00*", b"GIF8")


def is_still_image(path: Path) -> bool:
    """True when the file starts like an image format (JPEG, PNG, BMP, TIFF, GIF)."""
    try:
        with path.open("rb") as fh:
            head = fh.read(8)
    except OSError:
        raise MediaError("input.not_found", path=str(path)) from None
    return any(head.startswith(m) for m in _STILL_MAGIC)


def still_sop(name: str | None, config: Config) -> sops.SopClass:
    """The still SOP class for a CLI name (default: configured)."""
    return sops.BY_CLI_NAME[name or config.objects.sop]


def create_objects(config: Config, exam: Exam, path: Path, out_dir: Path, sop_name: str | None = None,
                   conversion_type: str | None = None) -> list[CreatedObject]:
    """Create the object(s) for one input file, of exactly the SOP class asked for (``--sop``).

    A still becomes a still object (default ``objects.sop``) or, with ``mf-sc``, a one-frame Multi-frame True
    Color SC object; a video becomes a video object (default Video Endoscopic) or, with ``mf-sc``, a Multi-frame
    True Color SC object of its frames. A still asked to be a video object, or a video asked to be a still
    object, is refused (``objects.sop_needs_video`` / ``objects.sop_needs_still``): the SOP class is never
    changed silently.
    """
    asked = sops.BY_CLI_NAME[sop_name] if sop_name else None
    if is_still_image(path):
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
    spool = StationPaths.of(config.station).spool
    folder = study_folder(spool, exam.study.study_instance_uid)
    try:
        size = path.stat().st_size
    except OSError:
        raise MediaError("input.not_found", path=str(path)) from None
    check_free_space(spool.parent, config.outbox.min_free_mb, size)
    out = []
    for created in create_objects(config, exam, path, folder, sop_name):
        ids = outbox.enqueue(created.path, created.sop_instance_uid, created.sop_class_uid, destinations)
        out.append(Exported(created, ids))
    return out
