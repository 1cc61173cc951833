"""Nothing is ever lost: real ``smartbox`` processes, kill -9, real DCMTK storescp, scripted faults.

Each test runs the product as a separate process configured only by SMARTBOX_* environment variables,
with fast retries (initial delay 0.2 s, cap 1 s) so backoff is exercised without long waits.
"""

from __future__ import annotations

import hashlib
import signal
import subprocess
from pathlib import Path

import peers
from fault_scp import fault_scp
from processes import jpegs, processes, run_smartbox, smartbox_argv, station_env, wait_for
from pydicom import dcmread

from smartbox_next.app.objects import export_objects
from smartbox_next.app.station import open_outbox
from smartbox_next.config import config_from_mapping
from smartbox_next.dicom.anatomy import REGION_NAMES
from smartbox_next.exam.model import Exam, Patient, Study
from smartbox_next.spool.outbox import JobState, Outbox
from smartbox_next.spool.paths import StationPaths

COLON = REGION_NAMES["colon"]  # the exam's region (PS3.3 C.8.12.1): video objects must name one


def _outbox(data_dir: Path) -> Outbox:
    return Outbox(data_dir / "outbox.sqlite")


def _pixel_hash(path: Path) -> tuple[str, str]:
    ds = dcmread(path)
    return str(ds.SOPInstanceUID), hashlib.sha256(ds.PixelData).hexdigest()


serve_process = processes  # the fixture of tests/processes.py: every process started is killed at the end


def _start_serve(env: dict[str, str], procs: list[subprocess.Popen[str]]) -> subprocess.Popen[str]:
    proc = subprocess.Popen(smartbox_argv("serve"), env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    procs.append(proc)
    return proc


def _export_in_process(data_dir: Path, paths: list[Path], destinations: list[str]) -> list[Path]:
    config = config_from_mapping({"station": {"data_dir": str(data_dir)}, "outbox": {"min_free_mb": 10}})
    outbox = open_outbox(config)
    exam = Exam(Patient("Müller^Jürgen", "P-REL"), Study.new(), anatomic_region=COLON)
    created = []
    for path in paths:
        for item in export_objects(config, outbox, exam, path, destinations):
            created.append(item.created.path)
    outbox.close()
    return created


def test_kill_9_during_send_then_restart_delivers_everything_byte_identical(
        tmp_path: Path, serve_process: list[subprocess.Popen[str]], storescu_tool: str) -> None:
    data = tmp_path / "data"
    big = jpegs(tmp_path / "in", 40, size=(1280, 960))
    with peers.storescp(tmp_path / "recv", extra_args=["+B"]) as scp:
        env = station_env(data, {"pacs": scp.address})
        spooled = _export_in_process(data, big, ["pacs"])
        proc = _start_serve(env, serve_process)
        wait_for(lambda: len(scp.received()) >= 3)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        assert 0 < len(scp.received()) < 40 or len(scp.received()) == 40
        done = run_smartbox("serve", "--until-idle", env=env)
        assert done.returncode == 0, done.stderr
        received = {_pixel_hash(p) for p in scp.received()}
        assert {_pixel_hash(p) for p in spooled} <= received
        states = {j.state for j in _outbox(data).jobs()}
        assert states == {JobState.SENT}


def test_pacs_down_then_back_is_delivered_after_backoff(tmp_path: Path,
                                                       serve_process: list[subprocess.Popen[str]]) -> None:
    data = tmp_path / "data"
    port = peers.free_port()
    env = station_env(data, {"pacs": f"STORESCP@127.0.0.1:{port}"})
    spooled = _export_in_process(data, jpegs(tmp_path / "in", 3), ["pacs"])
    _start_serve(env, serve_process)
    box = _outbox(data)
    wait_for(lambda: all(j.attempts >= 2 and j.state is JobState.RETRY_WAIT for j in box.jobs()))
    assert {j.error_key for j in box.jobs()} == {"net.connect_failed"}
    with peers.storescp(tmp_path / "recv", port=port) as scp:
        wait_for(lambda: all(j.state is JobState.SENT for j in box.jobs()))
        assert {_pixel_hash(p) for p in scp.received()} == {_pixel_hash(p) for p in spooled}


def test_a700_is_retried_and_delivered(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with fault_scp(statuses=[0xA700, 0xA700, 0x0000]) as scp:
        env = station_env(data, {"pacs": scp.address})
        _export_in_process(data, jpegs(tmp_path / "in", 1), ["pacs"])
        done = run_smartbox("serve", "--until-idle", env=env)
        assert done.returncode == 0, done.stderr
        [job] = _outbox(data).jobs()
        assert job.state is JobState.SENT and job.attempts == 3
        assert len(scp.received) == 3


def test_permanent_failure_stays_failed_until_queue_retry(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with fault_scp(statuses=[0xC000], comment="Kann Datensatz nicht lesen") as scp:
        env = station_env(data, {"pacs": scp.address})
        _export_in_process(data, jpegs(tmp_path / "in", 1), ["pacs"])
        failed = run_smartbox("serve", "--until-idle", env=env)
        assert failed.returncode == 1  # one-shot delivery that failed for good: exit 1, the job named
        assert "failed for good after 1 of 20 attempts" in failed.stdout
        assert failed.stderr.endswith("Failed for good in this run (1): #1; details: 'smartbox queue show N'.\n")
        [job] = _outbox(data).jobs()
        assert job.state is JobState.FAILED and job.attempts == 1
        listing = run_smartbox("--lang", "de", "queue", "list", env=env)
        assert "C000" in listing.stdout or "c000" in listing.stdout.lower()
        assert "Kann Datensatz nicht lesen" in listing.stdout
    with peers.storescp(tmp_path / "recv", port=scp.port, aet=scp.aet) as real:
        assert run_smartbox("queue", "retry", str(job.id), env=env).returncode == 0
        assert run_smartbox("serve", "--until-idle", env=env).returncode == 0
        assert [j.state for j in _outbox(data).jobs()] == [JobState.SENT]
        assert len(real.received()) == 1


def test_kill_9_during_export_leaves_no_half_object(tmp_path: Path) -> None:
    data = tmp_path / "data"
    inputs = jpegs(tmp_path / "in", 60, size=(1920, 1080))
    env = station_env(data, {"pacs": "PACS@127.0.0.1:1"})
    proc = subprocess.Popen(smartbox_argv("export", *map(str, inputs), "--patient-id", "P1"), env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    wait_for(lambda: len(list(spool_dir_of(data).rglob("*.dcm"))) >= 5, timeout=60)
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    files = list(spool_dir_of(data).rglob("*.dcm"))
    for f in files:
        dcmread(f).PixelData  # complete, readable objects only  # noqa: B018
    box = _outbox(data)
    for job in box.jobs():
        assert job.path.exists()
    # start-up reconciliation: temp files gone, every complete object queued, none twice
    with fault_scp(statuses=[0xA700]) as scp:
        env2 = station_env(data, {"pacs": scp.address}, SMARTBOX_RETRY_MAX_ATTEMPTS="1")
        run_smartbox("serve", "--until-idle", env=env2)
    assert not list(spool_dir_of(data).rglob("*.tmp"))
    rows = _outbox(data).jobs()
    assert sorted(str(j.path) for j in rows) == sorted(str(f) for f in files)


def spool_dir_of(data: Path) -> Path:
    return StationPaths(data).spool


def test_corrupt_outbox_refuses_to_start(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    db = data / "outbox.sqlite"
    db.write_bytes(b"SQLite format 3\x00" + b"\x13" * 5000)
    env = station_env(data, {"pacs": "PACS@127.0.0.1:1"})
    before = db.read_bytes()
    for args in (("serve", "--until-idle"), ("queue", "list")):
        result = run_smartbox("--lang", "de", *args, env=env)
        assert result.returncode == 1
        assert "beschädigt" in result.stderr
    assert db.read_bytes() == before


def test_thousand_objects_three_destinations(tmp_path: Path) -> None:
    data = tmp_path / "data"
    src = jpegs(tmp_path / "in", 1)[0]
    with peers.storescp(tmp_path / "r1", aet="ONE") as a, peers.storescp(tmp_path / "r2", aet="TWO") as b, \
            peers.storescp(tmp_path / "r3", aet="THREE") as c:
        env = station_env(data, {"one": a.address, "two": b.address, "three": c.address})
        _export_in_process(data, [src] * 1000, ["one", "two", "three"])
        done = run_smartbox("serve", "--until-idle", env=env, timeout=300)
        assert done.returncode == 0, done.stderr
        box = _outbox(data)
        assert {s.destination: s.sent for s in box.stats()} == {"one": 1000, "two": 1000, "three": 1000}
        for scp in (a, b, c):
            assert len(scp.received()) == 1000
