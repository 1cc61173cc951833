"""The exam life cycle (issue 14, item 1): start, capture into, complete or discontinue an exam; list and show.

The API (``app.exams``) in-process against the station's real outbox database, the CLI as a real process, and a
worklist exam against DCMTK wlmscpfs. Every object of an exam carries the exam's PPS values and reference.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import peers
import pydicom
import pytest
from processes import jpegs, run_smartbox, station_env
from test_worklist_units import UID_ROOT, make_item

from smartbox_next.app.exams import (
    capture,
    complete_exam,
    discontinue_exam,
    list_exams,
    show_exam,
    start_exam,
)
from smartbox_next.app.identity import Identity, exam_for
from smartbox_next.app.station import open_outbox
from smartbox_next.config import Config, config_from_mapping
from smartbox_next.dicom.sop import MODALITY_PERFORMED_PROCEDURE_STEP
from smartbox_next.errors import InputError
from smartbox_next.spool.exams import EXAM_ID, ExamStore
from smartbox_next.spool.outbox import SCHEMA_VERSION, Outbox


def _config(tmp_path: Path, **extra: Any) -> Config:
    return config_from_mapping({"station": {"data_dir": str(tmp_path / "data")}, "uid": {"root": UID_ROOT},
                                "outbox": {"folder": str(tmp_path / "share"), "min_free_mb": 1}, **extra})


def _read(path: str | Path) -> pydicom.Dataset:
    return pydicom.dcmread(path, stop_before_pixels=True)


def test_an_exam_starts_takes_captures_and_completes(tmp_path: Path) -> None:
    cfg = _config(tmp_path)
    outbox = open_outbox(cfg)
    try:
        view = start_exam(cfg, outbox, exam_for(cfg, Identity(emergency=True)), emergency_kind="female")
        assert EXAM_ID.match(view.exam_id) and view.state == "in_progress" and view.source == "emergency"
        assert view.pps_id == view.exam_id and view.pps_sop_instance_uid.startswith(UID_ROOT)
        images = jpegs(tmp_path / "in", 3)
        for path in images:
            [exported] = capture(cfg, outbox, view.exam_id, path)
            assert exported.job_ids
        shown = show_exam(cfg, outbox, view.exam_id)
        assert len(shown.captures) == 3
        objs = [_read(c.path) for c in shown.captures]
        for ds in objs:
            ref = ds.ReferencedPerformedProcedureStepSequence[0]
            assert (ref.ReferencedSOPClassUID, ref.ReferencedSOPInstanceUID) == (
                MODALITY_PERFORMED_PROCEDURE_STEP, view.pps_sop_instance_uid)
            assert ds.PerformedProcedureStepID == view.exam_id
            assert ds.PatientSex == "F" and ds.PatientID == view.patient_id
            assert ds.StudyInstanceUID == view.study_instance_uid
        assert len({(ds.PerformedProcedureStepStartDate, ds.PerformedProcedureStepStartTime) for ds in objs}) == 1
        assert [c.series_instance_uid for c in shown.captures] == [ds.SeriesInstanceUID for ds in objs]
        done = complete_exam(cfg, outbox, view.exam_id)
        assert done.state == "completed" and done.ended and len(done.captures) == 3
        with pytest.raises(InputError) as refused:
            capture(cfg, outbox, view.exam_id, images[0])
        assert refused.value.key == "exam.not_in_progress"
        with pytest.raises(InputError):
            discontinue_exam(cfg, outbox, view.exam_id)
        assert len(list(ExamStore(outbox).objects(view.exam_id))) == 3  # nothing recorded after the end
    finally:
        outbox.close()


def test_exams_persist_and_are_listed_by_state(tmp_path: Path) -> None:
    cfg = _config(tmp_path)
    outbox = open_outbox(cfg)
    first = start_exam(cfg, outbox, exam_for(cfg, Identity(patient_id="P1", patient_name="Test^Eins")))
    second = start_exam(cfg, outbox, exam_for(cfg, Identity(emergency=True)), emergency_kind="child")
    discontinue_exam(cfg, outbox, second.exam_id, reason="110514")
    outbox.close()
    outbox = open_outbox(cfg)  # another process, later
    try:
        assert [v.exam_id for v in list_exams(cfg, outbox)] == [first.exam_id, second.exam_id]
        assert [v.exam_id for v in list_exams(cfg, outbox, states=["in_progress"])] == [first.exam_id]
        gone = show_exam(cfg, outbox, second.exam_id)
        assert (gone.state, gone.discontinuation_reason, gone.source) == ("discontinued", "110514", "emergency")
        assert show_exam(cfg, outbox, first.exam_id).source == "manual"
        with pytest.raises(InputError) as bad:
            discontinue_exam(cfg, outbox, first.exam_id, reason="123")
        assert bad.value.key == "exam.bad_reason" and "110513" in bad.value.text("en")
        for wrong, key in (("E000000-AAAA", "exam.unknown"), ("../x", "exam.bad_id")):
            with pytest.raises(InputError) as err:
                show_exam(cfg, outbox, wrong)
            assert err.value.key == key
    finally:
        outbox.close()


def test_two_exams_of_one_study_have_their_own_step_and_series(tmp_path: Path, dcentvfy_tool: str) -> None:
    """A step repeated later in the same study: new PPS, own series, numbering and study values go on."""
    cfg = _config(tmp_path)
    outbox = open_outbox(cfg)
    try:
        identity = Identity(patient_id="P7", patient_name="Test^Sieben", study_uid=f"{UID_ROOT}.77")
        one = start_exam(cfg, outbox, exam_for(cfg, identity))
        capture(cfg, outbox, one.exam_id, jpegs(tmp_path / "a", 1)[0])
        complete_exam(cfg, outbox, one.exam_id)
        two = start_exam(cfg, outbox, exam_for(cfg, identity))
        capture(cfg, outbox, two.exam_id, jpegs(tmp_path / "b", 1)[0])
        [a] = [_read(c.path) for c in show_exam(cfg, outbox, one.exam_id).captures]
        [b] = [_read(c.path) for c in show_exam(cfg, outbox, two.exam_id).captures]
        assert one.pps_sop_instance_uid != two.pps_sop_instance_uid
        assert a.ReferencedPerformedProcedureStepSequence[0].ReferencedSOPInstanceUID == one.pps_sop_instance_uid
        assert b.ReferencedPerformedProcedureStepSequence[0].ReferencedSOPInstanceUID == two.pps_sop_instance_uid
        assert (a.PerformedProcedureStepID, b.PerformedProcedureStepID) == (one.exam_id, two.exam_id)
        assert a.SeriesInstanceUID != b.SeriesInstanceUID and (a.SeriesNumber, b.SeriesNumber) == (1, 2)
        assert (a.StudyDate, a.StudyTime) == (b.StudyDate, b.StudyTime)
        paths = [Path(c.path) for e in (one, two) for c in show_exam(cfg, outbox, e.exam_id).captures]
        assert peers.dcentvfy(paths).errors == []
    finally:
        outbox.close()


def test_another_patient_never_joins_the_study_of_an_exam(tmp_path: Path) -> None:
    cfg = _config(tmp_path)
    outbox = open_outbox(cfg)
    try:
        start_exam(cfg, outbox, exam_for(cfg, Identity(patient_id="P1", study_uid=f"{UID_ROOT}.5")))
        with pytest.raises(InputError) as conflict:
            start_exam(cfg, outbox, exam_for(cfg, Identity(patient_id="P2", study_uid=f"{UID_ROOT}.5")))
        assert conflict.value.key == "exam.patient_conflict"
    finally:
        outbox.close()


def test_a_version_1_database_is_migrated_with_its_jobs(tmp_path: Path) -> None:
    db = tmp_path / "outbox.sqlite"
    spool_file = tmp_path / "x.dcm"
    spool_file.write_bytes(b"x")
    with _old_database(db) as conn:  # a v1 database, as shipped
        conn.execute("INSERT INTO jobs (sop_instance_uid, sop_class_uid, destination, path, size, state, created,"
                     " updated) VALUES ('1.2.3', '1.2.840.10008.5.1.4.1.1.7', 'pacs', ?, 1, 'sent', 0, 0)",
                     (str(spool_file),))
    outbox = Outbox(db)
    try:
        assert int(outbox.reader().execute("PRAGMA user_version").fetchone()[0]) == SCHEMA_VERSION
        assert [j.sop_instance_uid for j in outbox.jobs()] == ["1.2.3"]
        assert ExamStore(outbox).exams() == []
    finally:
        outbox.close()
    outbox = Outbox(db)  # opening again changes nothing
    outbox.close()


class _old_database:
    """The schema of the first release (user_version 1), as an existing station has it."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __enter__(self) -> sqlite3.Connection:
        self.conn = sqlite3.connect(self.path)
        self.conn.executescript("""
CREATE TABLE jobs (id INTEGER PRIMARY KEY, sop_instance_uid TEXT NOT NULL, sop_class_uid TEXT NOT NULL,
    destination TEXT NOT NULL, path TEXT NOT NULL, size INTEGER NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('queued','sending','sent','retry_wait','failed','cancelled')),
    attempts INTEGER NOT NULL DEFAULT 0, next_attempt REAL NOT NULL DEFAULT 0, created REAL NOT NULL,
    updated REAL NOT NULL, first_failure REAL, error_key TEXT, error_params TEXT, warning TEXT,
    UNIQUE (sop_instance_uid, destination));
CREATE INDEX jobs_due ON jobs (destination, state, next_attempt);
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
PRAGMA user_version = 1;
""")
        return self.conn

    def __exit__(self, *exc: object) -> None:
        self.conn.commit()
        self.conn.close()


def test_a_database_of_a_newer_version_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "outbox.sqlite"
    Outbox(db).close()
    with sqlite3.connect(db) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(Exception) as refused:
        Outbox(db)
    assert getattr(refused.value, "key", "") == "outbox.corrupt" and "newer" in str(refused.value)


# ------------------------------------------------------------------------------------------ the CLI


def test_the_cli_runs_an_exam(tmp_path: Path) -> None:
    env = station_env(tmp_path / "data", SMARTBOX_OUTBOX_FOLDER=str(tmp_path / "share"))
    started = run_smartbox("exam", "start", "--emergency", "male", "--json", env=env)
    assert started.returncode == 0, started.stderr
    view = json.loads(started.stdout)
    exam_id = view["exam_id"]
    images = jpegs(tmp_path / "in", 2)
    exported = run_smartbox("export", *map(str, images), "--exam", exam_id, "--json", env=env)
    assert exported.returncode == 0, exported.stderr
    rows = [json.loads(line) for line in exported.stdout.splitlines()]
    assert len(rows) == 2 and all(r["exam"] == exam_id for r in rows)
    assert _read(rows[0]["path"]).ReferencedPerformedProcedureStepSequence[0].ReferencedSOPInstanceUID == view[
        "pps_sop_instance_uid"]
    done = run_smartbox("exam", "complete", exam_id, env=env)
    assert done.returncode == 0 and f"Exam {exam_id} completed with 2 captures" in done.stdout, done.stderr
    shown = run_smartbox("exam", "show", exam_id, "--json", env=env)
    assert json.loads(shown.stdout)["state"] == "completed" and len(json.loads(shown.stdout)["captures"]) == 2
    listed = run_smartbox("exam", "list", env=env)
    assert exam_id in listed.stdout and "completed" in listed.stdout
    late = run_smartbox("export", str(images[0]), "--exam", exam_id, env=env)
    assert late.returncode == 1 and "has ended" in late.stderr
    de = run_smartbox("--lang", "de", "exam", "discontinue", exam_id, env=env)
    assert de.returncode == 1 and "ist beendet (abgeschlossen)" in de.stderr and "bitte" in de.stderr


@pytest.mark.parametrize("args", [("exam", "start"), ("exam", "start", "--emergency", "male", "--accession", "A1"),
                                  ("export", "x.jpg", "--exam", "E250101-AAAA", "--patient-id", "P1")])
def test_cli_usage_errors(tmp_path: Path, args: tuple[str, ...]) -> None:
    result = run_smartbox(*args, env=station_env(tmp_path / "data"))
    assert result.returncode == 2, result.stderr
    assert "--" in result.stderr


def test_an_exam_from_the_worklist(tmp_path: Path) -> None:
    wl_dir = tmp_path / "worklist"
    study_uid = f"{UID_ROOT}.9001"
    peers.write_worklist_item(wl_dir, "WLMSCP", make_item("Müller^Jürgen", charset="ISO_IR 192", acc="ACC-EX",
                                                          pid="P-EX", study_uid=study_uid), "ex")
    with peers.wlmscpfs(wl_dir) as wlm:
        env = station_env(tmp_path / "data", {"ris": wlm.address}, SMARTBOX_WORKLIST_PEER="ris",
                          SMARTBOX_OUTBOX_FOLDER=str(tmp_path / "share"), SMARTBOX_UID_ROOT=UID_ROOT)
        started = run_smartbox("exam", "start", "--accession", "ACC-EX", "--json", env=env)
    assert started.returncode == 0, started.stderr
    view = json.loads(started.stdout)
    assert (view["source"], view["accession_number"], view["study_instance_uid"]) == ("worklist", "ACC-EX", study_uid)
    assert view["worklist_item"]
    exported = run_smartbox("export", str(jpegs(tmp_path / "in", 1)[0]), "--exam", view["exam_id"], "--json",
                            env=env)  # the worklist is not asked again: the exam knows its patient
    assert exported.returncode == 0, exported.stderr
    ds = _read(json.loads(exported.stdout)["path"])
    assert (str(ds.PatientName), ds.StudyInstanceUID, ds.AccessionNumber) == ("Müller^Jürgen", study_uid, "ACC-EX")
    assert ds.RequestAttributesSequence[0].ScheduledProcedureStepID == "SPS-ACC-EX-1"
    assert ds.PerformedProcedureStepID == view["exam_id"]


def test_the_exam_keeps_its_anatomic_region_for_every_capture(tmp_path: Path) -> None:
    from media_factory import h264_mp4

    env = station_env(tmp_path / "data", SMARTBOX_OUTBOX_FOLDER=str(tmp_path / "share"))
    started = run_smartbox("exam", "start", "--emergency", "female", "--anatomic-region", "rectum", "--json", env=env)
    assert started.returncode == 0, started.stderr
    exam_id = json.loads(started.stdout)["exam_id"]
    exported = run_smartbox("export", str(h264_mp4(tmp_path / "clip.mp4")), "--exam", exam_id, "--json", env=env)
    assert exported.returncode == 0, exported.stderr
    ds = _read(json.loads(exported.stdout.splitlines()[0])["path"])
    assert ds.AnatomicRegionSequence[0].CodeValue == "34402009"  # chosen at the start, used by a later process


def test_an_object_written_just_before_a_crash_is_recorded_in_its_exam(tmp_path: Path) -> None:
    """The crash came between the object's atomic write and the transaction that queues and records it: start-up
    reconciliation queues it, and — as it references the exam's step — records it in the exam."""
    from smartbox_next.app.exams import _exam_model
    from smartbox_next.app.objects import create_objects
    from smartbox_next.spool.paths import StationPaths, study_folder

    cfg = _config(tmp_path)
    outbox = open_outbox(cfg)
    try:
        view = start_exam(cfg, outbox, exam_for(cfg, Identity(emergency=True)))
        capture(cfg, outbox, view.exam_id, jpegs(tmp_path / "a", 1)[0])
        record = ExamStore(outbox).get(view.exam_id)
        folder = study_folder(StationPaths.of(cfg.station).spool, record.study_uid)
        [lost] = create_objects(cfg, _exam_model(cfg, record), jpegs(tmp_path / "b", 1)[0], folder)  # not queued
    finally:
        outbox.close()
    env = station_env(tmp_path / "data", SMARTBOX_OUTBOX_FOLDER=str(tmp_path / "share"), SMARTBOX_UID_ROOT=UID_ROOT)
    served = run_smartbox("serve", "--until-idle", env=env)
    assert served.returncode == 0 and "1 files queued" in served.stdout, (served.stdout, served.stderr)
    shown = json.loads(run_smartbox("exam", "show", view.exam_id, "--json", env=env).stdout)
    assert [c["sop_instance_uid"] for c in shown["captures"]][-1] == lost.sop_instance_uid
    assert (tmp_path / "share" / lost.path.name).exists()
