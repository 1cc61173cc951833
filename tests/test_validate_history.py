"""Issue 11, item 8: the project's own validator catches each *class* of defect the audit found.

Real objects from the builders are broken on purpose, one rule at a time, written to disk and checked with
``validate_file`` and ``smartbox validate``: each must fail, naming the rule and its section. The unbroken
object passes.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import media_factory as mf
import numpy as np
import pydicom
import pytest
from PIL import Image
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence as DicomSequence

from smartbox_next.capture.image import load_still
from smartbox_next.cli import main
from smartbox_next.config import Config
from smartbox_next.dicom import sop as sops
from smartbox_next.dicom.anatomy import REGION_NAMES
from smartbox_next.exam.model import Exam, Patient, Study
from smartbox_next.iod.created import write_object
from smartbox_next.iod.still import StillCapture, build_still
from smartbox_next.iod.validate import check_dataset, validate_file
from smartbox_next.iod.video import build_video_objects


def _exam() -> Exam:
    return Exam(Patient("Müller^Jürgen", "P-V1"), Study.new(), anatomic_region=REGION_NAMES["colon"])


@pytest.fixture(scope="module")
def objects(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A PNG stored as JPEG (DERIVED), a camera JPEG (ORIGINAL), a transcoded video (two lossy steps)."""
    tmp = tmp_path_factory.mktemp("validate-history")
    png, jpg = tmp / "a.png", tmp / "a.jpg"
    Image.fromarray(np.full((48, 64, 3), 90, dtype=np.uint8)).save(png)
    Image.fromarray(np.full((48, 64, 3), 90, dtype=np.uint8)).save(jpg, quality=90)
    out = {
        "derived": write_object(build_still(Config(), _exam(), StillCapture(image=load_still(png)),
                                            sops.VL_ENDOSCOPIC), tmp / "d").path,
        "original": write_object(build_still(Config(), _exam(), StillCapture(image=load_still(jpg)),
                                             sops.VL_ENDOSCOPIC), tmp / "o").path,
    }
    [video] = build_video_objects(Config(), _exam(), mf.webm(tmp / "v.webm", frames=5), sops.VIDEO_ENDOSCOPIC,
                                  tmp / "v")
    out["video"] = video.path
    return out


def _ratio_dropped(ds: Dataset) -> None:
    ds.LossyImageCompressionRatio = ds.LossyImageCompressionRatio[0]  # two methods, one ratio


def _second_step_original(ds: Dataset) -> None:
    ds.ImageType = ["ORIGINAL", "PRIMARY"]
    del ds.DerivationDescription


def _placeholder(ds: Dataset) -> None:
    ds.DerivationDescription = "Transcoded from vp8 ?@? 1280x720 25 fps in webm"


def _derived_silent(ds: Dataset) -> None:
    del ds.DerivationDescription
    del ds.DerivationCodeSequence


def _lossy_reset(ds: Dataset) -> None:
    ds.LossyImageCompression = "00"


def _last_method_not_the_syntax(ds: Dataset) -> None:
    ds.LossyImageCompressionMethod = ["ISO_14496_10", "ISO_13818_2"]


def _region_incomplete(ds: Dataset) -> None:
    item = Dataset()
    item.CodeValue, item.CodingSchemeDesignator = "14742008", "SCT"
    ds.AnatomicRegionSequence = DicomSequence([item])


def _region_missing(ds: Dataset) -> None:
    del ds.AnatomicRegionSequence


def _pydicom_root(ds: Dataset) -> None:
    ds.file_meta.ImplementationClassUID = "1.2.826.0.1.3680043.8.498.55257671782979782348894964714372992007"


BROKEN: list[tuple[str, str, Callable[[Dataset], None], str, str]] = [
    # (object, defect, mutation, text of the finding, section)
    ("video", "method-ratio-count", _ratio_dropped, "one method and one ratio per lossy step", "C.7.6.1.1.5.2"),
    ("video", "second-generation-original", _second_step_original, "a lossy copy of an image is DERIVED",
     "C.7.6.1.1.2"),
    ("video", "placeholder-description", _placeholder, "placeholder or internal notation", "PS3.3 C.7.6.1"),
    ("derived", "derived-without-description", _derived_silent, "neither Derivation Description", "C.7.6.1.1.2"),
    ("derived", "lossy-reset", _lossy_reset, "not \"01\"", "C.7.6.1.1.5"),
    ("video", "method-order", _last_method_not_the_syntax, "does not end with ISO_14496_10", "C.7.6.1.1.5.1"),
    ("original", "region-incomplete", _region_incomplete, "lacks Code Value, Coding Scheme Designator or Code "
     "Meaning", "C.8.12.1"),
    ("video", "video-without-region", _region_missing, "Anatomic Region Sequence (0008,2218) must have exactly one",
     "C.8.12.1"),
    ("original", "borrowed-implementation-uid", _pydicom_root, "lies under pydicom's registered root",
     "PS3.7 D.3.3.2"),
]


def test_unbroken_objects_pass(objects: dict[str, Path]) -> None:
    for path in objects.values():
        assert validate_file(path, use_dciodvfy=False).ok, path


@pytest.mark.parametrize(("kind", "defect", "mutate", "text", "section"), BROKEN, ids=[b[1] for b in BROKEN])
def test_each_defect_class_is_reported(objects: dict[str, Path], tmp_path: Path, kind: str, defect: str,
                                       mutate: Callable[[Dataset], None], text: str, section: str,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    ds = pydicom.dcmread(objects[kind])
    mutate(ds)
    broken = tmp_path / f"{defect}.dcm"
    ds.save_as(broken, enforce_file_format=True)
    report = validate_file(broken, use_dciodvfy=False)
    assert not report.ok
    hits = [e for e in report.errors if text in e]
    assert hits and all(section in e for e in hits), report.errors
    assert main(["validate", "--no-dciodvfy", "--no-dicom-validator", "--json", str(broken)]) == 1
    row = json.loads(capsys.readouterr().out.splitlines()[0])
    assert row["ok"] is False and any(text in e for e in row["errors"])


def test_rules_hold_in_memory_too(objects: dict[str, Path]) -> None:
    """check_dataset (used by builders' tests) finds the same class of defect without a file."""
    ds = pydicom.dcmread(objects["video"])
    _ratio_dropped(ds)
    assert any("per lossy step" in f.rule for f in check_dataset(ds))


def test_smartbox_validate_runs_dicom_validator(objects: dict[str, Path], tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str], standard_tables: Path) -> None:
    """The second validator is offered in ``smartbox validate`` when installed (tables cached in the data dir)."""
    import os

    data = Path(os.environ["SMARTBOX_STATION_DATA_DIR"]) / "standard"
    data.mkdir(parents=True, exist_ok=True)
    for cached in standard_tables.glob("*.json"):  # the session's conversion, not a second 20-s one
        (data / cached.name).write_bytes(cached.read_bytes())
    assert main(["validate", "--no-dciodvfy", "--json", str(objects["original"])]) == 0
    row = json.loads(capsys.readouterr().out.splitlines()[0])
    assert row["dicom_validator"] is True and row["ok"] is True
    ds = pydicom.dcmread(objects["original"])
    del ds.SOPInstanceUID  # Type 1 in SOP Common: dicom-validator reports it
    broken = tmp_path / "no-instance-uid.dcm"
    ds.save_as(broken, enforce_file_format=False)
    assert main(["validate", "--no-dciodvfy", "--json", str(broken)]) == 1
    row = json.loads(capsys.readouterr().out.splitlines()[0])
    assert any(e.startswith("dicom-validator: SOP Common: (0008,0018) is missing") for e in row["errors"]), row
