"""The one orchestrator: capture + exam -> datasets -> atomic files (later: spool + outbox).

``create_objects`` sniffs each input by content (never by name): stills go to :mod:`iod.still`,
video goes to the video builder. Every object is written atomically; a failed input leaves no file.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pydicom.dataset import Dataset

from smartbox_next.capture.image import load_still
from smartbox_next.config import Config
from smartbox_next.dicom import sop as sops
from smartbox_next.errors import MediaError, OutboxError
from smartbox_next.exam.model import Exam
from smartbox_next.iod.still import StillCapture, build_still, pass_through
from smartbox_next.iod.writer import write_dataset_file
from smartbox_next.spool.files import check_free_space
from smartbox_next.spool.outbox import Outbox
from smartbox_next.spool.paths import StationPaths

LOG = logging.getLogger(__name__)

_STILL_MAGIC = (b"\xff\xd8", b"\x89PNG\r\n\x1a\n", b"BM", b"II*\x00", b"MM\x00*", b"GIF8")


@dataclass(frozen=True)
class CreatedObject:
    """What ``create`` reports per object."""

    path: Path
    sop_class_uid: str
    sop_instance_uid: str
    transfer_syntax_uid: str
    source: Path | None = None
    pass_through: bool | None = None
    extra: Mapping[str, object] = field(default_factory=dict)  # builder-specific report (e.g. video frames)

    def as_json(self) -> dict[str, object]:
        return {**self.extra,
            "path": str(self.path),
            "sop_class_uid": self.sop_class_uid,
            "sop_instance_uid": self.sop_instance_uid,
            "transfer_syntax": self.transfer_syntax_uid,
            "source": str(self.source) if self.source else None,
            "pass_through": self.pass_through,
        }


def object_path(out_dir: Path, ds: Dataset) -> Path:
    """Where an object goes: ``<out_dir>/<SOP Instance UID>.dcm`` (unique, idempotent)."""
    return out_dir / f"{ds.SOPInstanceUID}.dcm"


def write_object(ds: Dataset, out_dir: Path, source: Path | None = None,
                 pass_through: bool | None = None) -> CreatedObject:
    """Write ``ds`` atomically into ``out_dir`` (temp file, fsync, rename, fsync of the folder).

    The Pixel Data bytes go out in one write after pydicom's header (``iod.writer``), same bytes as pydicom.
    """
    path = write_dataset_file(ds, object_path(out_dir, ds))
    return CreatedObject(path, str(ds.SOPClassUID), str(ds.SOPInstanceUID),
                         str(ds.file_meta.TransferSyntaxUID), source, pass_through)


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
    """Create the object(s) for one input file."""
    if is_still_image(path):
        sop = still_sop(sop_name if sop_name in ("sc", "vl-endoscopic", "vl-photographic") else None, config)
        image = load_still(path)
        ds = build_still(config, exam, StillCapture(image=image, conversion_type=conversion_type), sop)
        passed = image.jpeg is not None and pass_through(image.jpeg, sop) is not None
        return [write_object(ds, out_dir, path, passed)]
    from smartbox_next.iod.video import build_video_objects  # PyAV is loaded only for video inputs

    sop = sops.BY_CLI_NAME.get(sop_name or "", sops.VIDEO_ENDOSCOPIC)
    if sop.kind is sops.SopKind.STILL:
        sop = sops.VIDEO_ENDOSCOPIC if sop.modality == "ES" else sops.VIDEO_PHOTOGRAPHIC
    return [CreatedObject(v.path, v.sop_class_uid, v.sop_instance_uid, v.transfer_syntax_uid, path, v.pass_through,
                          extra=v.as_json()) for v in build_video_objects(config, exam, path, sop, out_dir)]


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
    folder = spool / exam.study.study_instance_uid
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
