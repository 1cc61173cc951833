"""What creating an object produced: the one result type of every builder (still, video, multi-frame).

``smartbox create --json`` prints :meth:`CreatedObject.as_json`; the outbox queues ``path`` and the UIDs;
the station UI shows it. Multi-frame objects add frames, size and, for a split recording, part n of m.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydicom.dataset import Dataset

from smartbox_next.iod.writer import write_dataset_file


@dataclass(frozen=True)
class CreatedObject:
    """One object written to disk (atomically)."""

    path: Path
    sop_class_uid: str
    sop_instance_uid: str
    transfer_syntax_uid: str
    source: Path | None = None
    pass_through: bool | None = None  # the encoded pixels are the input's own bytes (JPEG, video stream)
    frames: int | None = None  # multi-frame objects only
    size: int = 0
    part: int = 1  # 1-based part number when a long recording was split
    parts: int = 1
    reason: str = ""  # why this transfer syntax / what was done

    def as_json(self) -> dict[str, object]:
        out: dict[str, object] = {
            "path": str(self.path),
            "sop_class_uid": self.sop_class_uid,
            "sop_instance_uid": self.sop_instance_uid,
            "transfer_syntax": self.transfer_syntax_uid,
            "source": str(self.source) if self.source else None,
            "pass_through": self.pass_through,
        }
        if self.frames is not None:
            out.update(frames=self.frames, bytes=self.size, part=self.part, parts=self.parts, reason=self.reason)
        return out


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
