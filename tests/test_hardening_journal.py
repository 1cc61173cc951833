"""Hardening: damaged exam journals explain themselves instead of crashing (issue 17, item 6, first half).

Real processes: ``smartbox create`` joins a study, the study's journal file is damaged in various ways, and
the next capture of that study is refused with a bilingual message naming the file and what to do — while
another study keeps working, and nothing half-made is left.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image
from processes import run_smartbox, station_env

STUDY = "1.2.826.0.1.3680043.8.498.777"
OTHER = "1.2.826.0.1.3680043.8.498.778"


def _jpeg(path: Path) -> Path:
    Image.new("RGB", (64, 48), (20, 160, 90)).save(path, "JPEG", quality=90)
    return path


def _create(tmp: Path, study: str, lang: str = "en") -> tuple[int, str]:
    env = station_env(tmp / "data", lang=lang)
    result = run_smartbox("create", str(_jpeg(tmp / "s.jpg")), "--out", str(tmp / "out"), "--patient-id", "P-1",
                          "--patient-name", "Muster^Max", "--study-uid", study, env=env)
    return result.returncode, result.stderr


DAMAGE = {
    "garbage": b"\x00\xff\x13garbage{{{",
    "empty": b"",
    "not json": b"this is not json",
    "wrong type": json.dumps([1, 2, 3]).encode(),
    "wrong series": json.dumps({"study": {"patient_id": "P-1"}, "series": {"vl": {"series_number": "one"}}}).encode(),
    "wrong instances": json.dumps({"instances": {"1.2.3": "many"}}).encode(),
    "wrong study": json.dumps({"study": {"patient_id": 7}}).encode(),
}


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_a_damaged_journal_is_explained_and_other_studies_go_on(tmp_path: Path, damage: str) -> None:
    rc, err = _create(tmp_path, STUDY)
    assert rc == 0, err
    [journal] = list((tmp_path / "data" / "exams").glob("*.json"))
    assert STUDY not in journal.name  # named by a hash, never by a value from outside
    journal.write_bytes(DAMAGE[damage])
    before = sorted((tmp_path / "out").glob("*.dcm"))
    for lang, word, hint in (("en", "damaged", "move the file aside"), ("de", "beschädigt", "beiseitezulegen")):
        rc, err = _create(tmp_path, STUDY, lang)
        assert rc == 1
        assert word in err and str(journal) in err and hint in err, err
        assert "Traceback" not in err
    assert sorted((tmp_path / "out").glob("*.dcm")) == before
    assert journal.read_bytes() == DAMAGE[damage]  # evidence kept for IT, never overwritten
    rc, err = _create(tmp_path, OTHER)
    assert rc == 0, err


def test_a_journal_of_the_old_layout_is_taken_over(tmp_path: Path) -> None:
    """Journals named <UID>.json by earlier versions keep the study's numbering after an update."""
    exams = tmp_path / "data" / "exams"
    exams.mkdir(parents=True)
    state = {"study": {"patient_id": "P-1", "issuer": "", "study_date": "20260101", "study_time": "080000",
                       "study_id": "S1", "attributes": {}, "pps_uid": ""},
             "series": {"sc": {"series_instance_uid": "1.2.3.4", "series_number": 4, "modality": "ES",
                               "series_description": ""}},
             "instances": {"1.2.3.4": 7}}
    (exams / f"{STUDY}.json").write_text(json.dumps(state))
    rc, err = _create(tmp_path, STUDY)
    assert rc == 0, err
    import pydicom

    [obj] = list((tmp_path / "out").glob("*.dcm"))
    ds = pydicom.dcmread(obj)
    assert (ds.SeriesInstanceUID, ds.SeriesNumber, ds.InstanceNumber, ds.StudyDate) == ("1.2.3.4", 4, 8, "20260101")
    assert not (exams / f"{STUDY}.json").exists()
