"""Nothing is ever lost: real ``smartbox`` processes, kill -9, real DCMTK storescp, scripted faults.

Each test runs the product as a separate process configured only by SMARTBOX_* environment variables,
with fast retries (initial delay 0.2 s, cap 1 s) so backoff is exercised without long waits.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import peers
import pytest
from fault_scp import fault_scp
from PIL import Image
from pydicom import dcmread

from smartbox_next.app.objects import export_objects
from smartbox_next.app.station import open_outbox
from smartbox_next.config import config_from_mapping
from smartbox_next.dicom.anatomy import REGION_NAMES
from smartbox_next.exam.model import Exam, Patient, Study
from smartbox_next.spool.outbox import JobState, Outbox
from smartbox_next.spool.paths import StationPaths

COLON = REGION_NAMES["colon"]  # the exam's region (PS3.3 C.8.12.1): video objects must name one

FAST_RETRY = {"SMARTBOX_RETRY_INITIAL_DELAY": "0.2", "SMARTBOX_RETRY_MAX_DELAY": "1", "SMARTBOX_RETRY_JITTER": "0.1",
              "SMARTBOX_NETWORK_DIMSE_TIMEOUT": "20", "SMARTBOX_NETWORK_ACSE_TIMEOUT": "5",
              "SMARTBOX_NETWORK_CONNECT_TIMEOUT": "2", "SMARTBOX_OUTBOX_MIN_FREE_MB": "10"}


def _env(data_dir: Path, peers_: dict[str, str], **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMARTBOX_")}
    env.update(FAST_RETRY)
    env["SMARTBOX_STATION_DATA_DIR"] = str(data_dir)
    env["SMARTBOX_STATION_LANGUAGE"] = "en"
    for name, address in peers_.items():
        env[f"SMARTBOX_PEERS_{name.upper()}"] = address
    env.update(extra)
    return env


def _smartbox(*args: str, env: dict[str, str]) -> list[str]:
    return [sys.executable, "-m", "smartbox_next", *args]


def _run(*args: str, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(_smartbox(*args, env=env), env=env, capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL, check=False)


def _jpegs(folder: Path, count: int, size: tuple[int, int] = (64, 48)) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for i in range(count):
        arr = np.full((size[1], size[0], 3), (i * 7) % 256, dtype=np.uint8)
        path = folder / f"img{i:04d}.jpg"
        Image.fromarray(arr).save(path, quality=85)
        out.append(path)
    return out


def _outbox(data_dir: Path) -> Outbox:
    return Outbox(data_dir / "outbox.sqlite")


def _wait(predicate: object, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise AssertionError("condition not reached in time")


def _pixel_hash(path: Path) -> tuple[str, str]:
    ds = dcmread(path)
    return str(ds.SOPInstanceUID), hashlib.sha256(ds.PixelData).hexdigest()


@pytest.fixture
def serve_process() -> Iterator[list[subprocess.Popen[str]]]:
    procs: list[subprocess.Popen[str]] = []
    yield procs
    for p in procs:
        if p.poll() is None:
            p.kill()
        p.wait(10)


def _start_serve(env: dict[str, str], procs: list[subprocess.Popen[str]]) -> subprocess.Popen[str]:
    proc = subprocess.Popen(_smartbox("serve", env=env), env=env, stdin=subprocess.DEVNULL,
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
    big = _jpegs(tmp_path / "in", 40, size=(1280, 960))
    with peers.storescp(tmp_path / "recv", extra_args=["+B"]) as scp:
        env = _env(data, {"pacs": scp.address})
        spooled = _export_in_process(data, big, ["pacs"])
        proc = _start_serve(env, serve_process)
        _wait(lambda: len(scp.received()) >= 3)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        assert 0 < len(scp.received()) < 40 or len(scp.received()) == 40
        done = _run("serve", "--until-idle", env=env)
        assert done.returncode == 0, done.stderr
        received = {_pixel_hash(p) for p in scp.received()}
        assert {_pixel_hash(p) for p in spooled} <= received
        states = {j.state for j in _outbox(data).jobs()}
        assert states == {JobState.SENT}


def test_pacs_down_then_back_is_delivered_after_backoff(tmp_path: Path,
                                                       serve_process: list[subprocess.Popen[str]]) -> None:
    data = tmp_path / "data"
    port = peers.free_port()
    env = _env(data, {"pacs": f"STORESCP@127.0.0.1:{port}"})
    spooled = _export_in_process(data, _jpegs(tmp_path / "in", 3), ["pacs"])
    _start_serve(env, serve_process)
    box = _outbox(data)
    _wait(lambda: all(j.attempts >= 2 and j.state is JobState.RETRY_WAIT for j in box.jobs()))
    assert {j.error_key for j in box.jobs()} == {"net.connect_failed"}
    with peers.storescp(tmp_path / "recv", port=port) as scp:
        _wait(lambda: all(j.state is JobState.SENT for j in box.jobs()))
        assert {_pixel_hash(p) for p in scp.received()} == {_pixel_hash(p) for p in spooled}


def test_a700_is_retried_and_delivered(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with fault_scp(statuses=[0xA700, 0xA700, 0x0000]) as scp:
        env = _env(data, {"pacs": scp.address})
        _export_in_process(data, _jpegs(tmp_path / "in", 1), ["pacs"])
        done = _run("serve", "--until-idle", env=env)
        assert done.returncode == 0, done.stderr
        [job] = _outbox(data).jobs()
        assert job.state is JobState.SENT and job.attempts == 3
        assert len(scp.received) == 3


def test_permanent_failure_stays_failed_until_queue_retry(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with fault_scp(statuses=[0xC000], comment="Kann Datensatz nicht lesen") as scp:
        env = _env(data, {"pacs": scp.address})
        _export_in_process(data, _jpegs(tmp_path / "in", 1), ["pacs"])
        assert _run("serve", "--until-idle", env=env).returncode == 0
        [job] = _outbox(data).jobs()
        assert job.state is JobState.FAILED and job.attempts == 1
        listing = _run("--lang", "de", "queue", "list", env=env)
        assert "C000" in listing.stdout or "c000" in listing.stdout.lower()
        assert "Kann Datensatz nicht lesen" in listing.stdout
    with peers.storescp(tmp_path / "recv", port=scp.port, aet=scp.aet) as real:
        assert _run("queue", "retry", str(job.id), env=env).returncode == 0
        assert _run("serve", "--until-idle", env=env).returncode == 0
        assert [j.state for j in _outbox(data).jobs()] == [JobState.SENT]
        assert len(real.received()) == 1


def test_kill_9_during_export_leaves_no_half_object(tmp_path: Path) -> None:
    data = tmp_path / "data"
    inputs = _jpegs(tmp_path / "in", 60, size=(1920, 1080))
    env = _env(data, {"pacs": "PACS@127.0.0.1:1"})
    proc = subprocess.Popen(_smartbox("export", *map(str, inputs), "--patient-id", "P1", env=env), env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    _wait(lambda: len(list(spool_dir_of(data).rglob("*.dcm"))) >= 5, timeout=60)
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
        env2 = _env(data, {"pacs": scp.address}, SMARTBOX_RETRY_MAX_ATTEMPTS="1")
        _run("serve", "--until-idle", env=env2)
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
    env = _env(data, {"pacs": "PACS@127.0.0.1:1"})
    before = db.read_bytes()
    for args in (("serve", "--until-idle"), ("queue", "list")):
        result = _run("--lang", "de", *args, env=env)
        assert result.returncode == 1
        assert "beschädigt" in result.stderr
    assert db.read_bytes() == before


def test_thousand_objects_three_destinations(tmp_path: Path) -> None:
    data = tmp_path / "data"
    src = _jpegs(tmp_path / "in", 1)[0]
    with peers.storescp(tmp_path / "r1", aet="ONE") as a, peers.storescp(tmp_path / "r2", aet="TWO") as b, \
            peers.storescp(tmp_path / "r3", aet="THREE") as c:
        env = _env(data, {"one": a.address, "two": b.address, "three": c.address})
        _export_in_process(data, [src] * 1000, ["one", "two", "three"])
        done = _run("serve", "--until-idle", env=env, timeout=300)
        assert done.returncode == 0, done.stderr
        box = _outbox(data)
        assert {s.destination: s.sent for s in box.stats()} == {"one": 1000, "two": 1000, "three": 1000}
        for scp in (a, b, c):
            assert len(scp.received()) == 1000
