"""Issue 14, "done when": one exam from a worklist item, against Orthanc (storage + commitment) and the checking
MPPS SCP, with the RIS down at the start, ``serve`` killed between N-CREATE and N-SET, and the PACS down
during commitment. Afterwards: one N-CREATE and one N-SET that passed the fixture's checks, objects that
reference the performed procedure step, every object committed by Orthanc, and the spool emptied only after
the commitment.
"""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import peers
import pydicom
from mpps_scp import mpps_scp
from processes import jpegs, processes, start_smartbox, wait_for
from test_worklist_units import make_item
from workflow_station import UID_ROOT, ok, show, start_exam, station

__all__ = ["processes"]  # the fixture


def _db(data: Path, sql: str) -> list[tuple[Any, ...]]:
    try:
        with sqlite3.connect(data / "outbox.sqlite") as conn:
            return [tuple(r) for r in conn.execute(sql)]
    except sqlite3.OperationalError:  # a table not created yet
        return []


def _mpps(data: Path) -> list[tuple[str, str]]:
    return [(str(k), str(s)) for k, s in _db(data, "SELECT kind, state FROM messages WHERE kind LIKE 'mpps%' "
                                                   "ORDER BY id")]


def _committed(data: Path) -> int:
    return len(_db(data, "SELECT 1 FROM commitments WHERE state='committed'"))


def test_one_exam_through_outages_and_a_crash(tmp_path: Path, processes: list[subprocess.Popen[str]]) -> None:
    data = tmp_path / "data"
    study_uid = f"{UID_ROOT}.1414"
    wl_dir = tmp_path / "worklist"
    peers.write_worklist_item(wl_dir, "WLMSCP", make_item("Groß^Björn", acc="ACC-14", pid="P-14", study_uid=study_uid,
                                                          steps=({"sps_id": "SPS-14", "description": "ÖGD"},)), "a")
    listener, pacs_port, ris_port = peers.free_port(), peers.free_port(), peers.free_port()
    with peers.wlmscpfs(wl_dir) as wlm:
        orthanc = peers.orthanc(tmp_path / "orthanc", dicom_port=pacs_port,
                                modalities={"box": ("SMARTBOX", listener)})
        with orthanc as pacs:
            env = station(tmp_path, pacs=pacs.address, pacs_roles=("storage", "commitment"),
                          ris=f"RIS@127.0.0.1:{ris_port}", worklist=wlm.address, listener_port=listener)
            # 1. the RIS is down: the exam starts anyway, N-CREATE waits in the outbox
            view = start_exam(env, "--accession", "ACC-14")
            rows = [json.loads(line) for line in ok("export", *map(str, jpegs(tmp_path / "in", 3)), "--exam",
                                                     view["exam_id"], "--json", env=env).splitlines()]
            serve = start_smartbox("serve", env=env, procs=processes)
            wait_for(lambda: len(pacs.instances()) == 3 and _mpps(data) == [("mpps_create", "retry_wait")])
            # 2. the RIS comes back: N-CREATE goes out
            with mpps_scp(port=ris_port) as ris:
                wait_for(lambda: _mpps(data) == [("mpps_create", "sent")])
                # 3. serve is killed; the exam is completed meanwhile
                serve.send_signal(signal.SIGKILL)
                serve.wait(10)
                ok("exam", "complete", view["exam_id"], env=env)
                # 4. the PACS goes down before the commitment request
        assert "0 files removed" in ok("queue", "purge", "--older-than-days", "0", env=env)
        with mpps_scp(port=ris_port, known=ris.instances) as ris_again:
            serve = start_smartbox("serve", env=env, procs=processes)
            wait_for(lambda: _mpps(data) == [("mpps_create", "sent"), ("mpps_set", "sent")])
            wait_for(lambda: [s for (s,) in _db(data, "SELECT state FROM messages WHERE kind='commitment'")] ==
                     ["retry_wait"])
            assert "0 files removed" in ok("queue", "purge", "--older-than-days", "0", env=env)  # not committed
            # 5. the PACS is back (same port, same storage): the request goes out, Orthanc reports
            with peers.orthanc(tmp_path / "orthanc", dicom_port=pacs_port,
                               modalities={"box": ("SMARTBOX", listener)}) as pacs_again:
                wait_for(lambda: _committed(data) == 3)
                assert len(pacs_again.instances()) == 3
            serve.send_signal(signal.SIGTERM)
            assert serve.wait(30) == 0
    # the RIS got exactly one N-CREATE and one N-SET, both passing Table F.7.2-1
    assert [(op, status) for op, _u, status in ris.log] == [("N-CREATE", 0)]
    assert [(op, status) for op, _u, status in ris_again.log] == [("N-SET", 0)]
    assert ris.violations == [] and ris_again.violations == []
    create, final = ris.creates[0], ris_again.sets[0]
    assert create.ScheduledStepAttributesSequence[0].ScheduledProcedureStepID == "SPS-14"
    assert create.ScheduledStepAttributesSequence[0].StudyInstanceUID == study_uid
    listed = {r.ReferencedSOPInstanceUID for s in final.PerformedSeriesSequence for r in s.ReferencedImageSequence}
    assert listed == {row["sop_instance_uid"] for row in rows}
    for row in rows:
        ds = pydicom.dcmread(row["path"], stop_before_pixels=True)
        assert ds.ReferencedPerformedProcedureStepSequence[0].ReferencedSOPInstanceUID == view["pps_sop_instance_uid"]
        assert ds.PerformedProcedureStepID == create.PerformedProcedureStepID
        assert ds.StudyInstanceUID == study_uid
    shown = show(env, view["exam_id"])
    assert shown["commitment"][0]["complete"] and shown["state"] == "completed"
    # only now the spool empties
    assert "3 files removed" in ok("queue", "purge", "--older-than-days", "0", env=env)
    assert not any(Path(row["path"]).exists() for row in rows)
