"""Storage Commitment SCU (issue 14, items 3-6): Orthanc commits what the station stored, the spool keeps every
object until then, failures are sent again, and reports arrive either way the standard allows.

Orthanc 1.10 is the real commitment SCP: it answers the N-ACTION and reports at once on a *new* association to
the station's listener (its ``DicomModalities`` names the station). The scripted archive (tests/commitment_scp.py)
covers what Orthanc cannot do on demand: a report on the same association, no report at all, a report after the
station was killed and restarted, hostile reports. Real processes throughout, except the report checks, which
call the service's report handler directly with crafted reports.
"""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import peers
import pytest
from commitment_scp import COMMITMENT, COMMITMENT_INSTANCE, commit_scp, report_dataset
from processes import jpegs, processes, run_smartbox, start_smartbox, wait_for
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence as DicomSequence
from pynetdicom import AE
from workflow_station import UID_ROOT, ok, queue, show, start_exam, station

from smartbox_next.app.station import open_outbox
from smartbox_next.config import config_from_mapping
from smartbox_next.delivery.workflow import WorkflowService, _same_host
from smartbox_next.dicom.payload import to_bytes
from smartbox_next.net.adapter import EventReport
from smartbox_next.net.commitment import action_information
from smartbox_next.spool.commitments import CommitmentStore
from smartbox_next.spool.messages import MessageStore

__all__ = ["processes"]  # the fixture

SC = "1.2.840.10008.5.1.4.1.1.7"


def _db(data: Path, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    with sqlite3.connect(data / "outbox.sqlite") as conn:
        return [tuple(r) for r in conn.execute(sql, args)]


def _commitments(data: Path) -> list[str]:
    try:
        return [str(s) for (s,) in _db(data, "SELECT state FROM commitments ORDER BY rowid")]
    except sqlite3.OperationalError:  # not created yet (no serve has opened the database)
        return []


def _requests(data: Path) -> list[tuple[str, str]]:
    return [(str(u), str(s)) for u, s in _db(data, "SELECT uid, state FROM messages WHERE kind='commitment' "
                                                   "ORDER BY id")]


def _sent_jobs(data: Path) -> int:
    return len(_db(data, "SELECT 1 FROM jobs WHERE state='sent'"))


def _orthanc(tmp_path: Path, listener: int, **kw: Any) -> Any:
    return peers.orthanc(tmp_path / "orthanc", modalities={"box": ("SMARTBOX", listener)}, **kw)


# ------------------------------------------------------------------------------------------ Orthanc


def test_orthanc_commits_the_exam_and_only_then_the_spool_is_emptied(
        tmp_path: Path, processes: list[subprocess.Popen[str]]) -> None:
    listener = peers.free_port()
    data = tmp_path / "data"
    with _orthanc(tmp_path, listener) as pacs:
        env = station(tmp_path, pacs=pacs.address, pacs_roles=("storage", "commitment"), listener_port=listener)
        view = start_exam(env, "--emergency", "male")
        ok("export", *map(str, jpegs(tmp_path / "in", 3)), "--exam", view["exam_id"], env=env)
        serve = start_smartbox("serve", env=env, procs=processes)
        wait_for(lambda: _sent_jobs(data) == 3)
        assert _requests(data) == []  # the exam is still in progress: nothing to commit yet
        files = [Path(c["path"]) for c in show(env, view["exam_id"])["captures"]]
        assert "3 files removed" not in ok("queue", "purge", "--older-than-days", "0", env=env)
        assert all(f.exists() for f in files)  # stored, not committed: kept
        ok("exam", "complete", view["exam_id"], env=env)
        wait_for(lambda: _commitments(data) == ["committed"] * 3)
        assert len(pacs.instances()) == 3
        serve.send_signal(signal.SIGTERM)
        out, err = serve.communicate(timeout=30)  # status lines for people on stdout
        assert "Listening for storage commitment reports" in out and "3 committed" in out, (out, err)
    shown = show(env, view["exam_id"])
    assert shown["commitment"] == [{"destination": "pacs", "total": 3, "committed": 3, "waiting": 0, "failed": 0,
                                    "overdue": 0, "complete": True}]
    assert {r["commitment"] for r in queue(env)} == {"committed"}
    listed = ok("queue", "list", env=env).splitlines()
    assert listed[0].split()[-1] == "Commitment" and [r.split()[-1] for r in listed[2:5]] == ["committed"] * 3, listed
    assert json.loads(ok("queue", "show", "1", "--json", env=env))["commitment"] == "committed"
    assert "3 files removed" in ok("queue", "purge", "--older-than-days", "0", env=env)
    assert not any(f.exists() for f in files)


def test_an_instance_the_archive_lacks_is_sent_again_and_committed(
        tmp_path: Path, processes: list[subprocess.Popen[str]]) -> None:
    listener = peers.free_port()
    data = tmp_path / "data"
    with _orthanc(tmp_path, listener) as pacs:
        env = station(tmp_path, pacs=pacs.address, pacs_roles=("storage", "commitment"), listener_port=listener)
        view = start_exam(env, "--emergency", "female")
        rows = [json.loads(line) for line in ok("export", *map(str, jpegs(tmp_path / "in", 3)), "--exam",
                                                 view["exam_id"], "--json", env=env).splitlines()]
        serve = start_smartbox("serve", env=env, procs=processes)
        wait_for(lambda: _sent_jobs(data) == 3)
        lost = rows[1]["sop_instance_uid"]
        [found] = json.loads(pacs.post("/tools/lookup", lost))
        pacs._request(f"/instances/{found['ID']}", method="DELETE")  # the archive loses one object
        assert len(pacs.instances()) == 2
        ok("exam", "complete", view["exam_id"], env=env)
        wait_for(lambda: _commitments(data) == ["committed"] * 3)
        assert len(pacs.instances()) == 3  # sent again by C-STORE
        requests = _requests(data)
        assert len(requests) == 2 and len({u for u, _s in requests}) == 2  # a new Transaction UID for the re-send
        assert _db(data, "SELECT sop_instance_uid, resends, failure_reason FROM commitments WHERE resends>0") == [
            (lost, 1, 0x0112)]
        serve.send_signal(signal.SIGTERM)
        out, _ = serve.communicate(timeout=30)
    assert "1 sent again" in out and "3 committed" not in out.split("1 sent again")[0], out


def test_pacs_down_during_commitment(tmp_path: Path, processes: list[subprocess.Popen[str]]) -> None:
    listener, dicom_port = peers.free_port(), peers.free_port()
    data = tmp_path / "data"
    with _orthanc(tmp_path, listener, dicom_port=dicom_port) as pacs:
        env = station(tmp_path, pacs=pacs.address, pacs_roles=("storage", "commitment"), listener_port=listener)
        view = start_exam(env, "--emergency", "male")
        ok("export", *map(str, jpegs(tmp_path / "in", 2)), "--exam", view["exam_id"], env=env)
        serve = start_smartbox("serve", env=env, procs=processes)
        wait_for(lambda: _sent_jobs(data) == 2)
    ok("exam", "complete", view["exam_id"], env=env)  # the archive is down now
    wait_for(lambda: [s for _u, s in _requests(data)] == ["retry_wait"])
    assert _commitments(data) == ["requested", "requested"]
    assert {r["commitment"] for r in queue(env)} == {"requested"}
    with _orthanc(tmp_path, listener, dicom_port=dicom_port):  # back, with what it had stored
        wait_for(lambda: _commitments(data) == ["committed", "committed"])
    assert len(_requests(data)) == 1  # the same request, sent again
    serve.send_signal(signal.SIGTERM)
    assert serve.wait(30) == 0


# ------------------------------------------------------------------------------------------ scripted archive


def test_a_report_on_the_same_association(tmp_path: Path) -> None:
    with commit_scp(mode="same") as archive:
        env = station(tmp_path, pacs=archive.address, pacs_roles=("storage", "commitment"))  # no listener
        ok("export", *map(str, jpegs(tmp_path / "in", 2)), "--patient-id", "P1", env=env)
        result = run_smartbox("-v", "serve", "--until-idle", env=env)
        assert result.returncode == 0, result.stderr
        assert archive.answers == [0x0000] * len(archive.requests) and archive.requests  # each report answered
    assert _commitments(tmp_path / "data") == ["committed", "committed"]
    assert "(association)" in result.stderr and "listener.port is 0" in result.stdout  # log / status line


def test_a_report_on_a_second_association_after_restart(tmp_path: Path,
                                                       processes: list[subprocess.Popen[str]]) -> None:
    """The station is killed after the archive accepted the request; the report comes after the restart and is
    matched by its Transaction UID from the database."""
    listener = peers.free_port()
    data = tmp_path / "data"
    with commit_scp(mode="later") as archive:
        env = station(tmp_path, pacs=archive.address, pacs_roles=("storage", "commitment"), listener_port=listener,
                      SMARTBOX_COMMITMENT_WAIT_ON_ASSOCIATION="0")
        ok("export", *map(str, jpegs(tmp_path / "in", 2)), "--patient-id", "P1", env=env)
        serve = start_smartbox("serve", env=env, procs=processes)
        wait_for(lambda: [s for _u, s in _requests(data)] == ["sent"])
        serve.send_signal(signal.SIGKILL)
        serve.wait(10)
        [(tx, _s)] = _requests(data)
        assert archive.report(tx, port=listener, ae_title="SMARTBOX") is None  # nobody listens now
        serve = start_smartbox("serve", env=env, procs=processes)
        wait_for(lambda: archive.report(tx, port=listener, ae_title="SMARTBOX") == 0x0000)
        wait_for(lambda: _commitments(data) == ["committed", "committed"])
        assert len(archive.requests) == 1  # nothing asked twice
        serve.send_signal(signal.SIGTERM)
        assert serve.wait(30) == 0


def test_the_listener_accepts_only_configured_peers_and_answers_echo(
        tmp_path: Path, processes: list[subprocess.Popen[str]]) -> None:
    listener = peers.free_port()
    with commit_scp(mode="never") as archive:
        env = station(tmp_path, pacs=archive.address, pacs_roles=("storage", "commitment"), listener_port=listener)
        serve = start_smartbox("serve", env=env, procs=processes)
        wait_for(lambda: _listening(listener))
        for calling, expected in (("ARCHIVE", True), ("INTRUDER", False)):
            ae = AE(ae_title=calling)
            ae.add_requested_context("1.2.840.10008.1.1")
            assoc = ae.associate("127.0.0.1", listener, ae_title="SMARTBOX")
            try:
                assert assoc.is_established is expected, calling
                if expected:
                    assert int(assoc.send_c_echo().Status) == 0x0000
                else:
                    assert assoc.is_rejected
            finally:
                if assoc.is_established:
                    assoc.release()
                ae.shutdown()
        serve.send_signal(signal.SIGTERM)
        assert serve.wait(30) == 0


def _listening(port: int) -> bool:
    import socket

    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def test_no_report_makes_the_objects_overdue_and_a_late_report_still_counts(
        tmp_path: Path, processes: list[subprocess.Popen[str]]) -> None:
    listener = peers.free_port()
    data = tmp_path / "data"
    with commit_scp(mode="never") as archive:
        env = station(tmp_path, pacs=archive.address, pacs_roles=("storage", "commitment"), listener_port=listener,
                      SMARTBOX_COMMITMENT_WAIT_ON_ASSOCIATION="0", SMARTBOX_COMMITMENT_WINDOW_HOURS="0.001",
                      SMARTBOX_COMMITMENT_REPORT_TIMEOUT="1")
        view = start_exam(env, "--emergency", "male")
        ok("export", str(jpegs(tmp_path / "in", 1)[0]), "--exam", view["exam_id"], env=env)
        ok("exam", "complete", view["exam_id"], env=env)
        serve = start_smartbox("serve", env=env, procs=processes)
        wait_for(lambda: len(archive.requests) >= 2)  # no report within report_timeout: asked again, new UID
        first, second = archive.requests[0][0], archive.requests[1][0]
        assert first != second
        wait_for(lambda: {r["commitment"] for r in queue(env)} == {"overdue"})
        de = run_smartbox("--lang", "de", "exam", "show", view["exam_id"], env=env)
        assert "überfällig" in de.stdout and "listener.port" in de.stdout, de.stdout
        listed = ok("queue", "list", env=env).splitlines()
        assert listed[0].split()[-1] == "Commitment" and listed[2].split()[-1] == "overdue", listed
        assert archive.report(first, port=listener, ae_title="SMARTBOX") == 0x0000  # the old request's report
        wait_for(lambda: _commitments(data) == ["committed"])
        serve.send_signal(signal.SIGTERM)
        assert serve.wait(30) == 0


def test_a_refused_request_fails_its_objects_and_keeps_them(tmp_path: Path) -> None:
    with commit_scp(mode="same", action_status=0x0122) as archive:
        env = station(tmp_path, pacs=archive.address, pacs_roles=("storage", "commitment"))
        ok("export", str(jpegs(tmp_path / "in", 1)[0]), "--patient-id", "P1", env=env)
        ok("serve", "--until-idle", env=env)
        assert len(archive.requests) == 1
    assert _commitments(tmp_path / "data") == ["failed"]
    assert [s for _u, s in _requests(tmp_path / "data")] == ["failed"]
    assert "0 files removed" in ok("queue", "purge", "--older-than-days", "0", env=env)


# ------------------------------------------------------------------------------------------ hostile reports


@pytest.fixture
def waiting(tmp_path: Path) -> Any:
    """A station with one object stored at 'pacs' and its commitment request accepted, waiting for the report."""
    cfg = config_from_mapping({"station": {"data_dir": str(tmp_path / "data")}, "uid": {"root": UID_ROOT},
                               "peers": {"pacs": {"address": "ARCHIVE@127.0.0.1:11112",
                                                  "roles": ["storage", "commitment"]}}})
    outbox = open_outbox(cfg)
    for name, uid in (("x.dcm", f"{UID_ROOT}.100"), ("y.dcm", f"{UID_ROOT}.101")):
        (tmp_path / name).write_bytes(b"x")
        outbox.enqueue(tmp_path / name, uid, SC, ["pacs"])
    for job in outbox.claim("pacs"):
        outbox.mark_sent(job.id)
    store = CommitmentStore(outbox)
    [tx] = store.plan("pacs", batch_size=10, report_timeout=3600, new_uid=lambda: f"{UID_ROOT}.900",
                      payload=lambda uid, items: to_bytes(action_information(uid, items)))
    [message] = MessageStore(outbox).messages()
    MessageStore(outbox).claim("pacs", (message.kind,))
    MessageStore(outbox).mark_sent(message.id, also=lambda conn: store.accepted(conn, tx))
    service = WorkflowService(cfg, outbox)
    yield service, tx, store
    outbox.close()


def _report(info: Dataset | None, event_type: int = 1, **kw: Any) -> EventReport:
    fields: dict[str, Any] = {"calling_ae": "ARCHIVE", "host": "127.0.0.1", "sop_class_uid": COMMITMENT,
                              "sop_instance_uid": COMMITMENT_INSTANCE, "event_type_id": event_type,
                              "information": info}
    fields.update(kw)
    return EventReport(**fields)


def _honest(tx: str, ok_: tuple[str, ...] = (f"{UID_ROOT}.100", f"{UID_ROOT}.101"),
            bad: tuple[tuple[str, int], ...] = ()) -> tuple[int, Dataset]:
    return report_dataset(tx, [(SC, u) for u in ok_], [(SC, u, r) for u, r in bad])


def test_hostile_reports_are_refused_and_change_nothing(waiting: Any) -> None:
    service, tx, store = waiting
    event, info = _honest(tx)
    unrequested = _honest(tx, ok_=(f"{UID_ROOT}.100", f"{UID_ROOT}.101", f"{UID_ROOT}.666"))[1]
    missing = _honest(tx, ok_=(f"{UID_ROOT}.100",))[1]
    twice = _honest(tx, ok_=(f"{UID_ROOT}.100", f"{UID_ROOT}.100", f"{UID_ROOT}.101"))[1]
    bad_uid = _honest(tx)[1]
    bad_uid.ReferencedSOPSequence[0].ReferencedSOPInstanceUID = "1.2.x"
    _, failed_in_1 = _honest(tx, ok_=(f"{UID_ROOT}.100",), bad=((f"{UID_ROOT}.101", 0x0110),))
    no_reason = _honest(tx, ok_=(f"{UID_ROOT}.100",), bad=((f"{UID_ROOT}.101", 0x0110),))[1]
    del no_reason.FailedSOPSequence[0].FailureReason
    unknown = _honest(f"{UID_ROOT}.999")[1]
    not_a_sequence = Dataset()
    not_a_sequence.TransactionUID = tx
    not_a_sequence.ReferencedSOPSequence = DicomSequence([])
    not_a_sequence.add_new(0x00081198, "LO", "nonsense")  # Failed SOP Sequence as text
    cases = [
        (_report(info, sop_class_uid="1.2.840.10008.5.1.4.1.1.7"), 0x0118),
        (_report(info, sop_instance_uid="1.2.3.4"), 0x0112),
        (_report(info, event_type=3), 0x0113),
        (_report(None), 0x0115),
        (_report(unrequested), 0x0115),
        (_report(missing), 0x0115),
        (_report(twice), 0x0115),
        (_report(bad_uid), 0x0115),
        (_report(failed_in_1, event_type=1), 0x0115),
        (_report(info, event_type=2), 0x0115),
        (_report(no_reason, event_type=2), 0x0115),
        (_report(unknown), 0x0115),
        (_report(not_a_sequence), 0x0115),
        (_report(info, calling_ae="OTHER"), 0x0110),
    ]
    for report, status in cases:
        assert service.handle_report(report, via="listener") == status, report
    hostile_host = _report(info, host="10.9.9.9")
    assert service.handle_report(hostile_host, via="listener") == 0x0110  # not the peer's host
    assert [c.state.value for c in store.commitments()] == ["requested", "requested"]  # nothing changed
    assert service.handle_report(_report(info), via="listener") == 0x0000
    assert [c.state.value for c in store.commitments()] == ["committed", "committed"]
    assert service.handle_report(_report(info), via="listener") == 0x0000  # again: applied once, answered ok
    assert event == 1  # the honest report: all committed


def test_a_failure_report_queues_the_object_again(waiting: Any) -> None:
    service, tx, store = waiting
    event, info = _honest(tx, ok_=(f"{UID_ROOT}.100",), bad=((f"{UID_ROOT}.101", 0x0112),))
    assert service.handle_report(_report(info, event_type=event), via="association") == 0x0000
    states = {c.sop_instance_uid: (c.state.value, c.resends, c.failure_reason) for c in store.commitments()}
    assert states == {f"{UID_ROOT}.100": ("committed", 0, None), f"{UID_ROOT}.101": ("pending", 1, 0x0112)}
    jobs = {j.sop_instance_uid: j.state.value for j in service.outbox.jobs()}
    assert jobs == {f"{UID_ROOT}.100": "sent", f"{UID_ROOT}.101": "queued"}  # C-STORE again


def test_same_host_resolves_names() -> None:
    assert _same_host("127.0.0.1", "127.0.0.1") and _same_host("localhost", "127.0.0.1")
    assert not _same_host("127.0.0.1", "10.9.9.9") and not _same_host("no-such-host.invalid", "127.0.0.1")
