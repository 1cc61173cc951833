"""The one orchestrator: capture + exam -> datasets -> atomic files (later: spool + outbox).

``create_objects`` sniffs each input by content (never by name): stills go to :mod:`iod.still`,
video goes to the video builder. Every object is written atomically; a failed input leaves no file.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pydicom.dataset import Dataset

from smartbox_next.config import Config
from smartbox_next.errors import MediaError
from smartbox_next.iod import sop as sops
from smartbox_next.iod.still import StillCapture, build_still, pass_through
from smartbox_next.media.image import load_still
from smartbox_next.model import Exam
from smartbox_next.spool import write_dataset

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

    def as_json(self) -> dict[str, object]:
        return {
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
    """Write ``ds`` atomically into ``out_dir``."""
    path = write_dataset(ds, object_path(out_dir, ds))
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


VideoBuilder = Callable[[Config, Exam, Path, sops.SopClass, Path], list[CreatedObject]]
_video_builder: list[VideoBuilder] = []


def register_video_builder(builder: VideoBuilder) -> None:
    """The video module registers how video inputs become objects."""
    _video_builder[:] = [builder]


def create_objects(config: Config, exam: Exam, path: Path, out_dir: Path, sop_name: str | None = None,
                   conversion_type: str | None = None) -> list[CreatedObject]:
    """Create the object(s) for one input file."""
    if is_still_image(path):
        sop = still_sop(sop_name if sop_name in ("sc", "vl-endoscopic", "vl-photographic") else None, config)
        image = load_still(path)
        ds = build_still(config, exam, StillCapture(image=image, conversion_type=conversion_type), sop)
        passed = image.jpeg is not None and pass_through(image.jpeg, sop) is not None
        return [write_object(ds, out_dir, path, passed)]
    if not _video_builder:
        raise MediaError("still.not_image", path=str(path))
    sop = sops.BY_CLI_NAME.get(sop_name or "", sops.VIDEO_ENDOSCOPIC)
    if sop.kind is sops.SopKind.STILL:
        sop = sops.VIDEO_ENDOSCOPIC if sop.modality == "ES" else sops.VIDEO_PHOTOGRAPHIC
    return _video_builder[0](config, exam, path, sop, out_dir)
