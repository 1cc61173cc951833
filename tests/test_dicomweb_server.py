"""STOW-RS against the scripted origin server (``web_server.py``): per-instance outcomes, 409/202/429, a server
that stalls mid-body, the outbox's guarantees, and a 2 GB upload into a slow reader with the sender's memory
sampled (a real ``smartbox send`` process)."""

from __future__ import annotations

import hashlib
import json
import struct
import subprocess
import threading
import time
from pathlib import Path

import psutil
import pydicom
import pytest
from fault_scp import make_native
from processes import processes, start_smartbox, station_env  # noqa: F401  (processes: a fixture)
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import generate_uid
from web_server import PartInfo, StowServer, answer, slow, stall, status_only, stow_server

from smartbox_next.config import Config, config_from_mapping
from smartbox_next.delivery.destination import JobOutcome
from smartbox_next.delivery.dicomweb import DicomwebDestination, store_web
from smartbox_next.delivery.direct import Retry, deliver
from smartbox_next.delivery.retry import RetryPolicy
from smartbox_next.delivery.workers import SenderService
from smartbox_next.dicom.webpeer import WebPeer
from smartbox_next.dicomweb.client import WebClient, WebSettings
from smartbox_next.net.store import Outcome, ProgressEvent
from smartbox_next.spool.outbox import JobState, Outbox

GIB = 1024 ** 3
VIDEO_ENDOSCOPIC = "1.2.840.10008.5.1.4.1.1.77.1.1.1"
H264_FRAGMENTABLE = "1.2.840.10008.1.2.4.102.1"


def _config(**dicomweb: object) -> Config:
    return config_from_mapping({"retry": {"initial_delay": 0, "max_delay": 0, "jitter": 0},
                                "dicomweb": {"objects_per_request": 4, **dicomweb}})


def _objects(folder: Path, n: int, nbytes: int = 20_000) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for i in range(n):
        path = folder / f"obj{i:02d}.dcm"
        make_native(path, nbytes=nbytes, seed=i)
        out.append(path)
    return out


def _uid(path: Path) -> str:
    return str(pydicom.dcmread(path, stop_before_pixels=True).SOPInstanceUID)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def big_video(path: Path, size: int) -> Path:
    """A Video Endoscopic Part 10 file of ``size`` bytes whose one fragment is a hole (sparse: no disk, no time)."""
    ds = Dataset()
    ds.SOPClassUID, ds.SOPInstanceUID = VIDEO_ENDOSCOPIC, generate_uid()
    ds.StudyInstanceUID, ds.SeriesInstanceUID = generate_uid(), generate_uid()
    ds.PatientName, ds.PatientID, ds.Modality = "Test^Big", "BIG1", "ES"
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = H264_FRAGMENTABLE
    ds.file_meta.MediaStorageSOPClassUID, ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPClassUID, ds.SOPInstanceUID
    ds.save_as(path, enforce_file_format=True)
    head = path.stat().st_size
    fragment = size - head - 12 - 8 - 8 - 8
    fragment -= fragment % 2
    with path.open("r+b") as fh:
        fh.seek(head)
        fh.write(struct.pack("<HH2sHI", 0x7FE0, 0x0010, b"OB", 0, 0xFFFFFFFF))  # Pixel Data, undefined length
        fh.write(struct.pack("<HHI", 0xFFFE, 0xE000, 0))  # empty Basic Offset Table
        fh.write(struct.pack("<HHI", 0xFFFE, 0xE000, fragment))
        fh.seek(fragment, 1)
        fh.write(struct.pack("<HHI", 0xFFFE, 0xE0DD, 0))  # Sequence Delimitation Item
    return path


@pytest.fixture
def server() -> StowServer:
    with stow_server() as s:
        yield s  # type: ignore[misc]


def _peer(server: StowServer, **kw: object) -> WebPeer:
    return WebPeer(url=server.url, name="web", **kw)  # type: ignore[arg-type]


# --- several objects per request, progress, byte identity ----------------------------------------------------


def test_small_objects_share_requests_on_one_connection_byte_identical(server: StowServer, tmp_path: Path) -> None:
    paths = _objects(tmp_path / "in", 10)
    events: list[ProgressEvent] = []
    client = WebClient(_peer(server), WebSettings.of(_config().network, _config().dicomweb))
    try:
        batch = store_web(_peer(server), client, paths, progress=events.append)
    finally:
        client.close()
    assert batch.ok and [r.outcome for r in batch.results] == [Outcome.STORED] * 10
    assert [len(r.instances) for r in server.requests] == [4, 4, 2]  # dicomweb.objects_per_request = 4
    assert all(r.complete and r.headers["content-type"].startswith('multipart/related; type="application/dicom"')
               and "transfer-encoding" not in r.headers for r in server.requests)
    assert {_uid(p): _sha(p) for p in paths} == {u: part.sha256 for u, part in server.stored.items()}
    done = [e for e in events if e.done]
    assert [e.index for e in done] == list(range(10)) and done[-1].batch_bytes == done[-1].batch_total
    assert [e.batch_bytes for e in events] == sorted(e.batch_bytes for e in events)


# --- 409 / 202: one failed instance never hides the others --------------------------------------------------


def test_409_failed_sop_sequence_fails_only_that_instance(server: StowServer, tmp_path: Path) -> None:
    paths = _objects(tmp_path / "in", 3)
    bad = _uid(paths[1])

    def judge(parts: list[PartInfo]) -> tuple[int, dict[str, int | None], dict[str, int]]:
        if any(p.sop_instance_uid == bad for p in parts):  # one bad instance: the server stores none of them
            return 409, {}, {bad: 0xA900}
        return 200, {p.sop_instance_uid: None for p in parts}, {}

    server.then(answer(judge), answer(judge))
    result = deliver(_config(), _peer(server), paths, sleep=lambda s: None,
                     policy=RetryPolicy(max_attempts=3, initial_delay=0, jitter=0))
    outcomes = {r.sop_instance_uid: r for r in result.results}
    assert outcomes[bad].outcome is Outcome.FAILED and outcomes[bad].error is not None
    assert outcomes[bad].error.key == "store.does_not_match" and not outcomes[bad].retryable
    assert outcomes[bad].status == 0xA900
    assert [r.outcome for u, r in outcomes.items() if u != bad] == [Outcome.STORED, Outcome.STORED]
    assert [len(r.instances) for r in server.requests] == [3, 2]  # the others went again, without the bad one
    assert set(server.stored) == {_uid(p) for p in paths} - {bad}


def test_409_without_reasons_sends_each_object_alone(server: StowServer, tmp_path: Path) -> None:
    paths = _objects(tmp_path / "in", 3)
    bad = _uid(paths[2])

    def judge(parts: list[PartInfo]) -> tuple[int, dict[str, int | None], dict[str, int]]:
        if any(p.sop_instance_uid == bad for p in parts):
            return 409, {}, {}  # no per-instance information at all
        return 200, {p.sop_instance_uid: None for p in parts}, {}

    server.then(*[answer(judge)] * 4)
    client = WebClient(_peer(server), WebSettings())
    try:
        batch = store_web(_peer(server), client, paths)
    finally:
        client.close()
    assert [len(r.instances) for r in server.requests] == [3, 1, 1, 1]
    assert [r.outcome for r in batch.results] == [Outcome.STORED, Outcome.STORED, Outcome.FAILED]
    assert batch.results[2].error is not None and batch.results[2].error.key == "dicomweb.conflict"


def test_202_warnings_and_failures_through_the_outbox(server: StowServer, tmp_path: Path) -> None:
    paths = _objects(tmp_path / "in", 3)
    ok, warned, busy = (_uid(p) for p in paths)
    server.then(answer(lambda parts: (202, {ok: None, warned: 0xB000}, {busy: 0xA700})))
    config = _config()
    outbox = Outbox(tmp_path / "outbox.db")
    for p in paths:
        outbox.enqueue(p, _uid(p), "1.2.840.10008.5.1.4.1.1.7", ["web"])
    dest = DicomwebDestination(config, "web", _peer(server))
    try:
        assert SenderService(config, outbox, [dest]).step(dest) == "done"
    finally:
        dest.close()
    jobs = {j.sop_instance_uid: j for j in outbox.jobs()}
    assert jobs[ok].state is JobState.SENT and jobs[ok].warning is None
    assert jobs[warned].state is JobState.SENT and "0xB000" in (jobs[warned].warning or "")
    assert jobs[busy].state is JobState.RETRY_WAIT and jobs[busy].error_key == "store.out_of_resources"
    outbox.close()


# --- 429 with Retry-After -------------------------------------------------------------------------------------


class _Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_429_retry_after_is_honoured_by_the_outbox(server: StowServer, tmp_path: Path) -> None:
    [path] = _objects(tmp_path / "in", 1)
    server.then(status_only(429, retry_after="120"))
    clock = _Clock()
    config = config_from_mapping({"retry": {"initial_delay": 1, "max_delay": 5, "jitter": 0}})
    outbox = Outbox(tmp_path / "outbox.db", clock=clock)
    [job_id] = outbox.enqueue(path, _uid(path), "1.2.840.10008.5.1.4.1.1.7", ["web"])
    dest = DicomwebDestination(config, "web", _peer(server))
    service = SenderService(config, outbox, [dest])
    try:
        service.step(dest)
        job = outbox.job(job_id)
        assert job is not None and job.state is JobState.RETRY_WAIT and job.error_key == "dicomweb.busy"
        assert job.next_attempt == clock.now + 120  # not the policy's 1 s (capped at 5): the server asked for 120
        assert job.error_params["retry_after"] == 120.0
        clock.now += 119
        assert service.step(dest) == "idle" and len(server.requests) == 1  # not asked again before its time
        clock.now += 1
        assert service.step(dest) == "done"
    finally:
        dest.close()
    job = outbox.job(job_id)
    assert job is not None and job.state is JobState.SENT and len(server.requests) == 2
    outbox.close()


# --- a server that stalls mid-body -----------------------------------------------------------------------------


def test_server_stalling_mid_body_is_a_retryable_timeout_then_delivered(server: StowServer, tmp_path: Path) -> None:
    path = big_video(tmp_path / "video.dcm", 96 * 1024 * 1024)
    server.then(stall(after_bytes=4 * 1024 * 1024))
    config = config_from_mapping({"network": {"network_timeout": 1.0}})
    attempts: list[str] = []

    def on_retry(retry: Retry) -> None:
        attempts.append(f"{retry.attempt}:{retry.objects}")

    result = deliver(config, _peer(server), [path], sleep=lambda s: None, on_retry=on_retry,
                     policy=RetryPolicy(max_attempts=2, initial_delay=0, jitter=0))
    assert attempts == ["1:1"]  # the stalled attempt failed retryably ...
    assert result.ok and result.attempts == 2  # ... and the next one delivered it
    assert 4 * 1024 * 1024 <= server.requests[0].total < path.stat().st_size and not server.requests[0].complete
    assert server.stored[_uid(path)].size == path.stat().st_size and server.requests[1].complete


def test_stalled_write_is_reported_as_timeout(server: StowServer, tmp_path: Path) -> None:
    path = big_video(tmp_path / "video.dcm", 64 * 1024 * 1024)
    server.then(stall(after_bytes=1024 * 1024))
    settings = WebSettings(write_timeout=0.5)
    client = WebClient(_peer(server), settings)
    try:
        [r] = store_web(_peer(server), client, [path]).results
    finally:
        client.close()
    assert r.error is not None and r.error.key == "net.timeout" and r.retryable
    assert "STOW-RS" in r.error.text("en")


# --- credentials and verification against the scripted server -------------------------------------------------


def test_verify_stored_confirms_by_qido_before_the_job_is_sent(tmp_path: Path) -> None:
    with stow_server() as server:
        paths = _objects(tmp_path / "in", 2)
        lost = _uid(paths[1])

        def judge(parts: list[PartInfo]) -> tuple[int, dict[str, int | None], dict[str, int]]:
            return 200, {p.sop_instance_uid: None for p in parts}, {}

        server.then(answer(judge))
        config = _config(verify_timeout=0)
        outbox = Outbox(tmp_path / "outbox.db")
        for p in paths:
            outbox.enqueue(p, _uid(p), "1.2.840.10008.5.1.4.1.1.7", ["web"])
        dest = DicomwebDestination(config, "web", _peer(server, verify_stored=True))

        class Forgetful(dict[str, PartInfo]):  # the archive accepts the second object but never indexes it
            def __setitem__(self, key: str, value: PartInfo) -> None:
                if key != lost:
                    super().__setitem__(key, value)

        server.stored = Forgetful()
        try:
            SenderService(config, outbox, [dest]).step(dest)
            jobs = {j.sop_instance_uid: j for j in outbox.jobs()}
            assert jobs[_uid(paths[0])].state is JobState.SENT
            assert jobs[lost].state is JobState.RETRY_WAIT and jobs[lost].error_key == "dicomweb.not_confirmed"
            assert any("SOPInstanceUID=" + lost in q for q in server.queries)
            # next attempt: asks first; found now (indexed late) -> sent without sending the object again
            dict.__setitem__(server.stored, lost, PartInfo("1.2.840.10008.5.1.4.1.1.7", lost, 1, ""))
            job = outbox.jobs(states=[JobState.RETRY_WAIT])[0]
            outcomes = list(dest.send([job], threading.Event()))
        finally:
            dest.close()
            outbox.close()
        assert outcomes == [JobOutcome(job)] and len(server.requests) == 1


# --- 2 GB into a slow reader: flat sender memory ----------------------------------------------------------------


def test_2gb_upload_into_slow_reader_keeps_sender_rss_flat(tmp_path: Path,
                                                            processes: list[subprocess.Popen[str]]) -> None:  # noqa: F811
    path = big_video(tmp_path / "huge.dcm", 2 * GIB)
    with stow_server() as server:
        server.then(slow(rate=250 * 1024 * 1024))
        env = station_env(tmp_path / "station", SMARTBOX_NETWORK_NETWORK_TIMEOUT="60")
        proc = start_smartbox("send", str(path), "--to", server.url, "--json", "--attempts", "1", env=env,
                              procs=processes)
        watched = psutil.Process(proc.pid)
        peak = 0
        while proc.poll() is None:
            try:
                peak = max(peak, watched.memory_info().rss)
            except psutil.NoSuchProcess:
                break
            time.sleep(0.05)
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    summary = [json.loads(line) for line in out.splitlines() if '"summary"' in line]
    assert summary and summary[0]["stored"] == 1
    [request] = server.requests
    assert request.complete and request.parts[0].size == path.stat().st_size
    assert request.headers["content-length"] == str(request.total)
    print(f"sender peak RSS {peak / 1e6:.0f} MB")
    assert peak <= 100 * 1024 * 1024, f"sender peak RSS {peak / 1e6:.0f} MB for a 2 GB object"

