"""MPPS SCU (issue 14, items 2 and 4): N-CREATE at exam start, N-SET at its end, checked by an SCP that knows
PS3.4 Table F.7.2-1 (tests/mpps_scp.py), delivered in order through RIS outages, crashes and odd answers.

Real processes (``smartbox exam``, ``export``, ``serve``) against the checking MPPS SCP, DCMTK wlmscpfs and
storescp. Every test asserts the SCP found no departure from Table F.7.2-1.
"""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
from datetime import datetime
from pathlib import Path

import peers
import pydicom
import pytest
from media_factory import h264_mp4
from mpps_scp import CREATE_TREE, MPPS, MppsScp, mpps_scp
from processes import jpegs, processes, run_smartbox, start_smartbox, wait_for
from pydicom.dataset import Dataset
from test_worklist_units import make_item
from workflow_station import UID_ROOT, ok, show, start_exam, station

from smartbox_next.app.exams import complete_exam, discontinue_exam
from smartbox_next.app.exams import start_exam as start_exam_api
from smartbox_next.app.identity import ChosenExam, Identity, exam_for
from smartbox_next.app.station import open_outbox
from smartbox_next.config import config_from_mapping
from smartbox_next.dicom.payload import from_bytes
from smartbox_next.dicom.peer import Peer
from smartbox_next.errors import MppsError
from smartbox_next.net.link import LinkSettings
from smartbox_next.net.mpps import classify, send_mpps
from smartbox_next.spool.messages import MessageKind, MessageStore
from smartbox_next.worklist.item import WorklistItem, WorklistResult
from smartbox_next.worklist.mapping import to_exam

__all__ = ["processes"]  # the fixture


def _messages(data: Path) -> list[tuple[str, str, str]]:
    """(kind, destination, state) of every workflow message, straight from the station's database."""
    with sqlite3.connect(data / "outbox.sqlite") as conn:
        return [(str(k), str(d), str(s)) for k, d, s in
                conn.execute("SELECT kind, destination, state FROM messages ORDER BY id")]


def _states(data: Path) -> list[str]:
    return [s for _k, _d, s in _messages(data)]


# ------------------------------------------------------------------------------------------ the data sets


def _scheduled_item() -> WorklistItem:
    ds = make_item("Müller^Jürgen", charset="ISO_IR 192", acc="ACC-MPPS", pid="P-MPPS", study_uid=f"{UID_ROOT}.31",
                   steps=({"sps_id": "SPS-1", "description": "Gastroskopie"},
                          {"sps_id": "SPS-2", "description": "Koloskopie"}))
    ds.PlacerOrderNumberImagingServiceRequest = "PLACER-7"
    ds.FillerOrderNumberImagingServiceRequest = "FILLER-9"
    return WorklistItem.from_dataset(ds)


def _config(tmp_path: Path, ris: str) -> object:
    return config_from_mapping({"station": {"data_dir": str(tmp_path / "data")}, "uid": {"root": UID_ROOT},
                                "outbox": {"folder": str(tmp_path / "share"), "min_free_mb": 1},
                                "peers": {"ris": {"address": ris, "roles": ["mpps"]}}})


def _queued(cfg: object, kind: MessageKind) -> list[Dataset]:
    outbox = open_outbox(cfg)  # type: ignore[arg-type]
    try:
        return [from_bytes(m.payload) for m in MessageStore(outbox).messages(kinds=(kind,))]
    finally:
        outbox.close()


def _deliver(cfg: object, ris: MppsScp) -> None:
    """Send every queued message to the fixture in order (no serve: the data sets themselves are under test)."""
    outbox = open_outbox(cfg)  # type: ignore[arg-type]
    try:
        for m in MessageStore(outbox).messages():
            op = "N-CREATE" if m.kind is MessageKind.MPPS_CREATE else "N-SET"
            send_mpps(LinkSettings(), Peer.parse(ris.address), op, m.uid, from_bytes(m.payload))
    finally:
        outbox.close()


def test_a_scheduled_exam_creates_and_completes_its_step_as_table_f721_requires(tmp_path: Path) -> None:
    item = _scheduled_item()
    with mpps_scp() as ris:
        cfg = _config(tmp_path, ris.address)
        chosen = ChosenExam(to_exam(item, uid_root=UID_ROOT), WorklistResult((item,), "WL", datetime.now()))
        outbox = open_outbox(cfg)  # type: ignore[arg-type]
        try:
            view = start_exam_api(cfg, outbox, chosen)  # type: ignore[arg-type]
            complete_exam(cfg, outbox, view.exam_id)  # type: ignore[arg-type]
        finally:
            outbox.close()
        _deliver(cfg, ris)
        assert ris.violations == []
        assert [(op, status) for op, _uid, status in ris.log] == [("N-CREATE", 0), ("N-SET", 0)]
    create, final = ris.creates[0], ris.sets[0]
    steps = create.ScheduledStepAttributesSequence
    assert [s.ScheduledProcedureStepID for s in steps] == ["SPS-1", "SPS-2"]
    assert [s.ScheduledProcedureStepDescription for s in steps] == ["Gastroskopie", "Koloskopie"]
    for s in steps:
        assert (s.StudyInstanceUID, s.AccessionNumber, s.RequestedProcedureID) == (f"{UID_ROOT}.31", "ACC-MPPS", "RP1")
        assert (s.PlacerOrderNumberImagingServiceRequest, s.FillerOrderNumberImagingServiceRequest) == (
            "PLACER-7", "FILLER-9")
        assert s.RequestedProcedureCodeSequence[0].CodeValue == "GAS01"
        assert s.ReferencedStudySequence[0].ReferencedSOPInstanceUID == f"{UID_ROOT}.31"
        assert s.ScheduledProtocolCodeSequence[0].CodeMeaning.startswith("Protokoll")
    assert (str(create.PatientName), create.PatientID, create.PatientBirthDate) == ("Müller^Jürgen", "P-MPPS",
                                                                                   "19650412")
    assert create.SpecificCharacterSet == "ISO_IR 100"  # Latin-1 fits: the configured set (Type 1C)
    assert (create.PerformedProcedureStepID, create.PerformedProcedureStepStatus) == (view.exam_id, "IN PROGRESS")
    assert create.PerformedStationAETitle == "SMARTBOX" and create.Modality == "ES"
    assert create.ProcedureCodeSequence[0].CodeMeaning == "Gastroskopie mit Biopsie"
    assert create.PerformedProcedureStepDescription == "Gastroskopie; Koloskopie"
    assert final.PerformedProcedureStepStatus == "COMPLETED" and final.PerformedProcedureStepEndDate
    assert len(final.PerformedSeriesSequence) == 1  # nothing captured: one empty series (Table F.7.2-1 note 2)
    assert final.PerformedSeriesSequence[0].ProtocolName == "Protokoll 1 größer"
    assert final.SpecificCharacterSet == create.SpecificCharacterSet  # PS3.4 F.7.2.2.1


def test_an_emergency_exam_is_the_unscheduled_case(tmp_path: Path) -> None:
    with mpps_scp() as ris:
        cfg = _config(tmp_path, ris.address)
        outbox = open_outbox(cfg)  # type: ignore[arg-type]
        try:
            view = start_exam_api(cfg, outbox, exam_for(cfg, Identity(emergency=True)),  # type: ignore[arg-type]
                                  emergency_kind="male")
            discontinue_exam(cfg, outbox, view.exam_id, reason="110514")  # type: ignore[arg-type]
        finally:
            outbox.close()
        _deliver(cfg, ris)
        assert ris.violations == []
    [step] = ris.creates[0].ScheduledStepAttributesSequence
    assert step.StudyInstanceUID == view.study_instance_uid  # generated (PS3.4 F.7.2.1.2 note 3)
    assert all(step.get(k) == "" for k in ("AccessionNumber", "RequestedProcedureID", "ScheduledProcedureStepID"))
    assert len(step.ReferencedStudySequence) == 0 and len(step.ScheduledProtocolCodeSequence) == 0
    assert "SpecificCharacterSet" not in ris.creates[0]  # ASCII only
    assert (ris.creates[0].PatientSex, ris.creates[0].PatientID) == ("M", view.patient_id)
    final = ris.sets[0]
    assert final.PerformedProcedureStepStatus == "DISCONTINUED"
    code = final.PerformedProcedureStepDiscontinuationReasonCodeSequence[0]
    assert (code.CodeValue, code.CodingSchemeDesignator, code.CodeMeaning) == (
        "110514", "DCM", "Incorrect worklist entry selected")


def test_the_fixture_really_checks(tmp_path: Path) -> None:
    """A wrong N-CREATE and a wrong N-SET are caught (the fixture is no mock that accepts everything)."""
    bad = Dataset()
    bad.PerformedProcedureStepStatus = "COMPLETED"
    bad.PatientName = "X"
    with mpps_scp() as ris:
        peer = Peer.parse(ris.address)
        with pytest.raises(MppsError) as refused:
            send_mpps(LinkSettings(), peer, "N-CREATE", f"{UID_ROOT}.1", bad)
        assert refused.value.key == "mpps.invalid_attribute"
        good_create = _queued_create(tmp_path, ris)
        send_mpps(LinkSettings(), peer, "N-CREATE", f"{UID_ROOT}.2", good_create)
        forbidden = Dataset()
        forbidden.PatientName = "Other^Patient"  # Not allowed in N-SET
        forbidden.PerformedProcedureStepStatus = "COMPLETED"
        send_mpps(LinkSettings(), peer, "N-SET", f"{UID_ROOT}.2", forbidden)
        with pytest.raises(MppsError) as unknown:
            send_mpps(LinkSettings(), peer, "N-SET", f"{UID_ROOT}.3", forbidden)
        assert unknown.value.key == "mpps.refused" and unknown.value.status == 0x0112
    text = "\n".join(ris.violations)
    for expected in ("PerformedProcedureStepID is Type 1 in N-CREATE", "Scheduled", "IN PROGRESS",
                     "PatientName is Not allowed in N-SET", "Final State", "never created"):
        assert expected in text, (expected, text)
    assert "ScheduledStepAttributesSequence" in CREATE_TREE and MPPS.endswith(".3.3")


def _queued_create(tmp_path: Path, ris: MppsScp) -> Dataset:
    cfg = _config(tmp_path, ris.address)
    outbox = open_outbox(cfg)  # type: ignore[arg-type]
    try:
        start_exam_api(cfg, outbox, exam_for(cfg, Identity(patient_id="P9")))  # type: ignore[arg-type]
    finally:
        outbox.close()
    return _queued(cfg, MessageKind.MPPS_CREATE)[0]


@pytest.mark.parametrize(("code", "op", "retried", "key", "retryable"), [
    (0x0000, "N-CREATE", False, None, None),
    (0xB000, "N-SET", False, None, None),
    (0x0111, "N-CREATE", True, None, None),
    (0x0111, "N-CREATE", False, "mpps.duplicate", False),
    (0x0110, "N-CREATE", False, "mpps.processing_failure", True),
    (0x0110, "N-SET", False, "mpps.not_in_progress", False),
    (0x0110, "N-SET", True, "mpps.final_unknown", False),
    (0x0106, "N-CREATE", False, "mpps.invalid_attribute", False),
    (0x0213, "N-SET", False, "mpps.busy", True),
    (0xA701, "N-CREATE", False, "mpps.busy", True),
    (0x0211, "N-CREATE", False, "mpps.protocol_error", True),
    (0x0122, "N-CREATE", False, "mpps.refused", False),
])
def test_status_handling(code: int, op: str, retried: bool, key: str | None, retryable: bool | None) -> None:
    status = Dataset()
    status.Status = code
    status.ErrorComment = "why"
    warning, error = classify(status, op, Peer.parse("RIS@127.0.0.1:1"), retried=retried)  # type: ignore[arg-type]
    assert (error.key if error else None) == key
    if error is not None:
        assert error.retryable is retryable and "why" in error.text("en") and error.text("de") != error.text("en")
    else:
        assert (warning is None) == (code == 0x0000)


# ------------------------------------------------------------------------------------------ with serve


def test_an_exam_from_the_worklist_end_to_end(tmp_path: Path) -> None:
    """Worklist -> exam -> stills and a video -> N-CREATE, objects, N-SET listing every object (video too)."""
    wl_dir = tmp_path / "worklist"
    peers.write_worklist_item(wl_dir, "WLMSCP", make_item("Weiß^Käthe", acc="ACC-E2E", pid="P-E2E",
                                                          study_uid=f"{UID_ROOT}.41"), "e2e")
    with peers.wlmscpfs(wl_dir) as wlm, peers.storescp(tmp_path / "recv") as pacs, mpps_scp() as ris:
        env = station(tmp_path, pacs=pacs.address, ris=ris.address, worklist=wlm.address)
        view = start_exam(env, "--accession", "ACC-E2E")
        captures = [*map(str, jpegs(tmp_path / "in", 2)), str(h264_mp4(tmp_path / "clip.mp4"))]
        rows = [json.loads(line) for line in ok("export", *captures, "--exam", view["exam_id"], "--json",
                                                 env=env).splitlines()]
        ok("exam", "complete", view["exam_id"], env=env)
        ok("serve", "--until-idle", env=env)
        assert ris.violations == []
        assert [(op, status) for op, _u, status in ris.log] == [("N-CREATE", 0), ("N-SET", 0)]
        assert len(pacs.received()) == 3
    uids = {r["sop_instance_uid"] for r in rows}
    final = ris.sets[0]
    listed = {ref.ReferencedSOPInstanceUID for s in final.PerformedSeriesSequence for ref in s.ReferencedImageSequence}
    assert listed == uids  # every object created in the exam, the video included
    assert {s.SeriesInstanceUID for s in final.PerformedSeriesSequence} == {
        pydicom.dcmread(r["path"], stop_before_pixels=True).SeriesInstanceUID for r in rows}
    create = ris.creates[0]
    for row in rows:
        ds = pydicom.dcmread(row["path"], stop_before_pixels=True)
        assert ds.ReferencedPerformedProcedureStepSequence[0].ReferencedSOPInstanceUID == view["pps_sop_instance_uid"]
        assert (ds.PerformedProcedureStepID, ds.PerformedProcedureStepStartDate, ds.PerformedProcedureStepStartTime) \
            == (create.PerformedProcedureStepID, create.PerformedProcedureStepStartDate,
                create.PerformedProcedureStepStartTime)
        assert ds.StudyInstanceUID == create.ScheduledStepAttributesSequence[0].StudyInstanceUID
    shown = show(env, view["exam_id"])
    assert [(m["operation"], m["state"]) for m in shown["mpps"]] == [("N-CREATE", "sent"), ("N-SET", "sent")]


def test_ris_down_during_the_exam_mpps_goes_out_later_in_order(tmp_path: Path,
                                                               processes: list[subprocess.Popen[str]]) -> None:
    port = peers.free_port()
    env = station(tmp_path, pacs=None, ris=f"RIS@127.0.0.1:{port}",
                  SMARTBOX_OUTBOX_FOLDER=str(tmp_path / "share"))
    view = start_exam(env, "--emergency", "female")
    ok("export", *map(str, jpegs(tmp_path / "in", 2)), "--exam", view["exam_id"], env=env)
    serve = start_smartbox("serve", env=env, procs=processes)
    wait_for(lambda: _states(tmp_path / "data") == ["retry_wait"])  # the RIS is down: N-CREATE waits
    ok("exam", "complete", view["exam_id"], env=env)
    assert _states(tmp_path / "data")[1] in ("queued", "retry_wait")  # N-SET waits behind N-CREATE
    with mpps_scp(port=port) as ris:
        wait_for(lambda: _states(tmp_path / "data") == ["sent", "sent"])
        assert [op for op, _u, _s in ris.log] == ["N-CREATE", "N-SET"]
        assert ris.violations == []
        assert len(ris.sets[0].PerformedSeriesSequence[0].ReferencedImageSequence) == 2
    serve.send_signal(signal.SIGTERM)
    assert serve.wait(30) == 0


def test_kill_9_of_serve_between_n_create_and_n_set(tmp_path: Path, processes: list[subprocess.Popen[str]]) -> None:
    with mpps_scp() as ris:
        env = station(tmp_path, ris=ris.address, SMARTBOX_OUTBOX_FOLDER=str(tmp_path / "share"))
        view = start_exam(env, "--emergency", "child")
        serve = start_smartbox("serve", env=env, procs=processes)
        wait_for(lambda: _states(tmp_path / "data") == ["sent"])
        serve.send_signal(signal.SIGKILL)
        serve.wait(10)
        ok("export", str(jpegs(tmp_path / "in", 1)[0]), "--exam", view["exam_id"], env=env)
        ok("exam", "complete", view["exam_id"], env=env)
        ok("serve", "--until-idle", env=env)
        assert [(op, s) for op, _u, s in ris.log] == [("N-CREATE", 0), ("N-SET", 0)]
        assert ris.violations == [] and ris.status_of(view["pps_sop_instance_uid"]) == "COMPLETED"


def test_processing_failure_then_success_is_retried(tmp_path: Path) -> None:
    with mpps_scp(create=(0x0110, 0x0000)) as ris:
        env = station(tmp_path, ris=ris.address, SMARTBOX_OUTBOX_FOLDER=str(tmp_path / "share"))
        view = start_exam(env, "--emergency", "male")
        ok("exam", "complete", view["exam_id"], env=env)
        ok("serve", "--until-idle", env=env)
        assert [(op, s) for op, _u, s in ris.log] == [("N-CREATE", 0x0110), ("N-CREATE", 0), ("N-SET", 0)]
        assert ris.violations == []


def test_a_refused_n_create_means_no_n_set(tmp_path: Path) -> None:
    with mpps_scp(create=(0x0106,)) as ris:
        env = station(tmp_path, ris=ris.address, SMARTBOX_OUTBOX_FOLDER=str(tmp_path / "share"))
        view = start_exam(env, "--emergency", "male")
        ok("serve", "--until-idle", env=env)
        ok("exam", "complete", view["exam_id"], env=env)
        ok("serve", "--until-idle", env=env)
        assert [op for op, _u, _s in ris.log] == ["N-CREATE"]  # never an N-SET for a step never created
    assert _states(tmp_path / "data") == ["failed", "failed"]
    shown = show(env, view["exam_id"])
    assert [m["error_key"] for m in shown["mpps"]] == ["mpps.invalid_attribute", "mpps.not_created"]
    de = run_smartbox("--lang", "de", "exam", "show", view["exam_id"], env=env)
    assert "abgelehnt" in de.stdout and "nie angelegt" in de.stdout, de.stdout


def test_a_silent_ris_the_repeated_n_create_counts_as_created(tmp_path: Path) -> None:
    """No answer (timeout): the N-CREATE is sent again; 0111 then means the first one got through."""
    with mpps_scp(create=("silent", 0x0000)) as ris:
        env = station(tmp_path, ris=ris.address, SMARTBOX_OUTBOX_FOLDER=str(tmp_path / "share"),
                      SMARTBOX_NETWORK_DIMSE_TIMEOUT="2")
        view = start_exam(env, "--emergency", "female")
        ok("exam", "complete", view["exam_id"], env=env)
        ok("serve", "--until-idle", env=env)
        assert [(op, s) for op, _u, s in ris.log] == [("N-CREATE", "silent"), ("N-CREATE", 0x0111), ("N-SET", 0)]
        assert ris.violations == [] and ris.status_of(view["pps_sop_instance_uid"]) == "COMPLETED"


def test_a_silent_ris_on_the_final_n_set_is_reported_not_assumed(tmp_path: Path) -> None:
    with mpps_scp(set_=("silent", 0x0000)) as ris:
        env = station(tmp_path, ris=ris.address, SMARTBOX_OUTBOX_FOLDER=str(tmp_path / "share"),
                      SMARTBOX_NETWORK_DIMSE_TIMEOUT="2")
        view = start_exam(env, "--emergency", "female")
        ok("exam", "complete", view["exam_id"], env=env)
        ok("serve", "--until-idle", env=env)
        assert [(op, s) for op, _u, s in ris.log] == [("N-CREATE", 0), ("N-SET", "silent"), ("N-SET", 0x0110)]
        assert ris.violations == []
    assert show(env, view["exam_id"])["mpps"][1]["error_key"] == "mpps.final_unknown"
