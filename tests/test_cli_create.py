"""``smartbox create`` and ``smartbox demo`` end to end: exit codes, JSON, bilingual errors, no partial files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import peers
import pytest
from PIL import Image

from smartbox_next.cli import main

PATIENT = ["--patient-name", "Müller^Jürgen", "--patient-id", "P-1", "--birth-date", "19650412", "--sex", "M"]


def _jpeg(path: Path, size: tuple[int, int] = (64, 48)) -> Path:
    Image.fromarray(np.full((size[1], size[0], 3), 120, dtype=np.uint8)).save(path, quality=90)
    return path


def _json_lines(text: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_create_json_reports_each_object(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                         dciodvfy_tool: str) -> None:
    a, b = _jpeg(tmp_path / "a.jpg"), _jpeg(tmp_path / "b.jpg")
    out = tmp_path / "out"
    rc = main(["create", str(a), str(b), "--out", str(out), "--sop", "vl-endoscopic", *PATIENT,
               "--accession", "ACC-7", "--json"])
    assert rc == 0
    rows = _json_lines(capsys.readouterr().out)
    assert len(rows) == 2
    for row in rows:
        assert row["sop_class_uid"] == "1.2.840.10008.5.1.4.1.1.77.1.1"
        assert row["transfer_syntax"] == "1.2.840.10008.1.2.4.50"
        assert row["pass_through"] is True
        path = Path(str(row["path"]))
        assert peers.dciodvfy(path).errors == []
        ds = peers.read_back(path)
        assert ds.SOPInstanceUID == row["sop_instance_uid"]
        assert ds.AccessionNumber == "ACC-7"
    studies = {peers.read_back(Path(str(r["path"]))).StudyInstanceUID for r in rows}
    assert len(studies) == 1
    assert peers.dcentvfy([Path(str(r["path"])) for r in rows]).errors == []


def test_emergency_identity_is_unique_and_marked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = _jpeg(tmp_path / "a.jpg")
    ids = set()
    for _ in range(3):
        assert main(["create", str(src), "--out", str(tmp_path / "out"), "--emergency", "--json"]) == 0
        row = _json_lines(capsys.readouterr().out)[0]
        ds = peers.read_back(Path(str(row["path"])))
        assert ds.PatientID.startswith("EMERG-")
        assert ds.PatientBirthDate == ""  # never invented
        ids.add(ds.PatientID)
    assert len(ids) == 3


def _write(path: Path, content: bytes) -> Path:
    path.write_bytes(content)
    return path


BAD_INPUTS = {
    "empty": lambda d: _write(d / "empty.jpg", b""),
    "truncated-jpeg": lambda d: _write(d / "cut.jpg", _jpeg(d / "full.jpg").read_bytes()[:300]),
    "text-named-jpg": lambda d: _write(d / "notes.jpg", "Befund: unauffällig\n".encode()),
    "zero-size-png": lambda d: _write(d / "zero.png", bytes.fromhex(
        "89504e470d0a1a0a0000000d49484452000000000000000008020000000000000000")),
    "missing": lambda d: d / "does-not-exist.jpg",
}


@pytest.mark.parametrize("lang", ["de", "en"])
@pytest.mark.parametrize("kind", sorted(BAD_INPUTS))
def test_bad_input_exit_1_bilingual_no_partial_file(tmp_path: Path, kind: str, lang: str,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    src = BAD_INPUTS[kind](tmp_path)
    out = tmp_path / "out"
    rc = main(["--lang", lang, "create", str(src), "--out", str(out), *PATIENT])
    assert rc == 1
    err = capsys.readouterr().err
    assert err.startswith("Fehler: " if lang == "de" else "Error: ")
    assert "→" in err  # the hint: what to do
    assert str(src) in err
    leftovers = list(out.iterdir()) if out.exists() else []
    assert leftovers == []


def test_absurdly_large_image_is_refused_before_decoding(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # A valid JPEG header claiming 60000 × 60000 pixels (3.6 gigapixels), cut after the frame header.
    src = _jpeg(tmp_path / "small.jpg")
    data = bytearray(src.read_bytes())
    sof = data.find(b"\xff\xc0")
    data[sof + 5:sof + 9] = (60000).to_bytes(2, "big") * 2
    big = _write(tmp_path / "big.jpg", bytes(data))
    assert main(["--lang", "en", "create", str(big), "--out", str(tmp_path / "out"), *PATIENT]) == 1
    assert "too large" in capsys.readouterr().err


def test_other_inputs_still_processed_when_one_is_bad(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = _jpeg(tmp_path / "good.jpg")
    bad = _write(tmp_path / "bad.jpg", b"garbage")
    out = tmp_path / "out"
    assert main(["create", str(bad), str(good), "--out", str(out), *PATIENT, "--json"]) == 1
    assert len(list(out.glob("*.dcm"))) == 1


def test_bad_attribute_value_names_the_attribute(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = _jpeg(tmp_path / "a.jpg")
    rc = main(["--lang", "en", "create", str(src), "--out", str(tmp_path / "o"), "--patient-id", "P",
               "--birth-date", "20240230"])
    assert rc == 1
    assert "Patient's Birth Date (0010,0030)" in capsys.readouterr().err
    rc = main(["--lang", "de", "create", str(src), "--out", str(tmp_path / "o"), "--patient-id", "P" * 65])
    assert rc == 1
    assert "Patient ID (0010,0020) ist zu lang" in capsys.readouterr().err


def test_missing_identity_and_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = _jpeg(tmp_path / "a.jpg")
    assert main(["--lang", "en", "create", str(src), "--out", str(tmp_path / "o")]) == 1
    assert "Patient ID" in capsys.readouterr().err
    assert main(["create", str(src), "--out", str(tmp_path / "o"), "--sop", "nonsense"]) == 2
    assert main(["create"]) == 2


def test_demo_runs_end_to_end_on_embedded_defaults(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                   dciodvfy_tool: str) -> None:
    """README's first command: loopback worklist → still + video → validate → export → delivered."""
    assert main(["--lang", "en", "demo", "--out", str(tmp_path), "--json", "--keep"]) == 0
    rows = _json_lines(capsys.readouterr().out)
    objects = [r for r in rows if "summary" not in r]
    [summary] = [r["summary"] for r in rows if "summary" in r]
    assert {o["sop_class_uid"] for o in objects} == {"1.2.840.10008.5.1.4.1.1.77.1.1",  # VL Endoscopic
                                                     "1.2.840.10008.5.1.4.1.1.77.1.1.1"}  # Video Endoscopic
    assert all(o["valid"] is True and o["dciodvfy"] is True for o in objects)
    assert summary["ok"] is True and summary["sent"] == 2
    received = [Path(p) for p in summary["received_by_pacs"]]
    assert len(received) == 2
    for path in received:
        ds = peers.read_back(path)
        assert ds.PatientName == "Müller^Jürgen" and ds.AccessionNumber == "DEMO-ACC-001"
        # the region comes from the procedure ("Gastroskopie"), not from a default (issue 11)
        assert [(c.CodingSchemeDesignator, c.CodeValue) for c in ds.AnatomicRegionSequence] == [("SCT", "110861005")]
    assert peers.dcentvfy(received).errors == []


def test_second_run_continues_the_exam(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                       dcentvfy_tool: str) -> None:
    """Two ``create`` runs joining one study share Study Date/Time and continue series/instance numbers."""
    src = _jpeg(tmp_path / "a.jpg")
    uid = "1.2.826.0.1.3680043.8.498.7777"
    paths = []
    for _ in range(2):
        assert main(["create", str(src), "--out", str(tmp_path / "o"), *PATIENT, "--study-uid", uid, "--json",
                     "--sop", "vl-endoscopic"]) == 0
        paths.append(Path(str(_json_lines(capsys.readouterr().out)[0]["path"])))
    a, b = (peers.read_back(p) for p in paths)
    assert (a.StudyDate, a.StudyTime, a.StudyID) == (b.StudyDate, b.StudyTime, b.StudyID)
    assert a.SeriesInstanceUID == b.SeriesInstanceUID
    assert (a.InstanceNumber, b.InstanceNumber) == (1, 2)
    assert peers.dcentvfy(paths).errors == []


def test_study_of_another_patient_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = _jpeg(tmp_path / "a.jpg")
    uid = "1.2.826.0.1.3680043.8.498.7778"
    assert main(["create", str(src), "--out", str(tmp_path / "o"), *PATIENT, "--study-uid", uid]) == 0
    rc = main(["--lang", "en", "create", str(src), "--out", str(tmp_path / "o2"), "--patient-id", "OTHER",
               "--study-uid", uid])
    assert rc == 1
    assert "already holds objects of patient ID P-1" in capsys.readouterr().err
    assert not (tmp_path / "o2").exists() or not list((tmp_path / "o2").iterdir())


def test_burst_of_stills_becomes_one_multiframe_sc(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                   dciodvfy_tool: str) -> None:
    """PS3.3 A.8.5: a burst of stills as one Multi-frame True Color SC object with cine timing."""
    stills = [_jpeg(tmp_path / f"b{i}.jpg") for i in range(3)]
    rc = main(["create", *map(str, stills), "--out", str(tmp_path / "o"), *PATIENT, "--burst", "--frame-time", "200",
               "--json"])
    assert rc == 0
    [row] = _json_lines(capsys.readouterr().out)
    path = Path(str(row["path"]))
    ds = peers.read_back(path)
    assert ds.SOPClassUID == "1.2.840.10008.5.1.4.1.1.7.4"
    assert int(ds.NumberOfFrames) == 3 and float(ds.FrameTime) == 200.0
    assert peers.dciodvfy(path).errors == []
    assert main(["create", *map(str, stills), "--out", str(tmp_path / "o"), *PATIENT, "--burst", "--sop", "sc"]) == 2
