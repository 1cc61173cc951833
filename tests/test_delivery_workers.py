"""The sending service against the Destination protocol, with fake destinations (no peer, no network):
batching, marking per outcome, retry scheduling, release on stop or unexpected error, destinations independent;
and ``destinations(config)`` built from the storage-role peers and the folder."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest

from smartbox_next.config import Config, config_from_mapping
from smartbox_next.delivery.destination import (
    FOLDER_DESTINATION,
    DimseDestination,
    FolderDestination,
    JobOutcome,
    destination_names,
    destinations,
)
from smartbox_next.delivery.workers import SenderService
from smartbox_next.errors import NetworkError, OutboxError, StoreError
from smartbox_next.spool.outbox import Job, JobState, Outbox

Decide = Callable[[Job], JobOutcome]


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


class FakeDestination:
    """Reports ``decide(job)`` for every job, in order; stops when ``stop`` is set; records the batches."""

    def __init__(self, name: str, decide: Decide | None = None) -> None:
        self.name = name
        self.decide: Decide = decide or (lambda job: JobOutcome(job))
        self.batches: list[list[str]] = []
        self.closed = 0

    def send(self, jobs: Sequence[Job], stop: threading.Event) -> Iterator[JobOutcome]:
        self.batches.append([j.sop_instance_uid for j in jobs])
        for job in jobs:
            if stop.is_set():
                return
            yield self.decide(job)

    def close(self) -> None:
        self.closed += 1


RETRYABLE = StoreError("store.failed", retryable=True, status=0xA700, comment="full", peer="PACS",
                       sop_instance_uid="x")
PERMANENT = StoreError("store.failed", status=0xC000, comment="bad", peer="PACS", sop_instance_uid="x")


def _config(batch_size: int = 4, **retry: float) -> Config:
    return config_from_mapping({"outbox": {"batch_size": batch_size},
                                "retry": {"initial_delay": 10, "max_delay": 100, "jitter": 0, "max_attempts": 3,
                                          **retry}})


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def outbox(tmp_path: Path, clock: Clock) -> Iterator[Outbox]:
    box = Outbox(tmp_path / "outbox.sqlite", clock=clock)
    yield box
    box.close()


def _queue(tmp_path: Path, outbox: Outbox, count: int, destinations_: Sequence[str] = ("pacs",)) -> list[str]:
    uids = []
    for i in range(count):
        path = tmp_path / f"obj{i:03d}.dcm"
        path.write_bytes(b"x" * 100)
        uid = f"1.2.3.{i}"
        outbox.enqueue(path, uid, "1.2.840.10008.5.1.4.1.1.7", destinations_)
        uids.append(uid)
    return uids


def _states(outbox: Outbox, destination: str | None = None) -> dict[str, JobState]:
    return {j.sop_instance_uid: j.state for j in outbox.jobs(destination)}


# --- one round at a time (no threads) -----------------------------------------------------------------


def test_batch_size_is_honoured(tmp_path: Path, outbox: Outbox) -> None:
    uids = _queue(tmp_path, outbox, 10)
    dest = FakeDestination("pacs")
    service = SenderService(_config(batch_size=4), outbox, [dest])
    rounds = [service.step(dest) for _ in range(4)]
    assert rounds == ["done", "done", "done", "idle"]
    assert [len(b) for b in dest.batches] == [4, 4, 2]
    assert [uid for batch in dest.batches for uid in batch] == uids  # each once, oldest first
    assert set(_states(outbox).values()) == {JobState.SENT}


def test_jobs_are_marked_per_outcome(tmp_path: Path, outbox: Outbox, clock: Clock) -> None:
    ok, warned, retry, permanent = _queue(tmp_path, outbox, 4)
    decisions = {ok: JobOutcome, warned: lambda j: JobOutcome(j, warning="Coercion of data elements (B000)"),
                 retry: lambda j: JobOutcome(j, error=RETRYABLE), permanent: lambda j: JobOutcome(j, error=PERMANENT)}
    dest = FakeDestination("pacs", lambda job: decisions[job.sop_instance_uid](job))
    heard: list[tuple[str, str, str]] = []
    service = SenderService(_config(), outbox, [dest], listener=lambda d, job, what: heard.append(
        (d, job.sop_instance_uid, what)))
    assert service.step(dest) == "done"
    jobs = {j.sop_instance_uid: j for j in outbox.jobs()}
    assert jobs[ok].state is JobState.SENT and jobs[ok].warning is None and jobs[ok].attempts == 1
    assert jobs[warned].state is JobState.SENT and jobs[warned].warning == "Coercion of data elements (B000)"
    assert jobs[retry].state is JobState.RETRY_WAIT and jobs[retry].next_attempt == clock.now + 10
    assert jobs[retry].error_key == "store.failed" and jobs[retry].error_params["status"] == 0xA700
    assert jobs[permanent].state is JobState.FAILED and jobs[permanent].attempts == 1
    assert heard == [*(("pacs", uid, "sending") for uid in (ok, warned, retry, permanent)),
                     ("pacs", ok, "sent"), ("pacs", warned, "sent"), ("pacs", retry, "retry_wait"),
                     ("pacs", permanent, "failed")]


def test_retry_wait_is_scheduled_then_claimed_when_due_then_failed(tmp_path: Path, outbox: Outbox,
                                                                    clock: Clock) -> None:
    _queue(tmp_path, outbox, 1)
    dest = FakeDestination("pacs", lambda job: JobOutcome(job, error=RETRYABLE))
    service = SenderService(_config(), outbox, [dest])
    waits = []
    for _ in range(2):
        assert service.step(dest) == "done"
        [job] = outbox.jobs()
        assert job.state is JobState.RETRY_WAIT
        waits.append(job.next_attempt - clock.now)
        assert service.step(dest) == "idle"  # not due yet
        clock.now = job.next_attempt
    assert waits == [10, 20]  # exponential back-off, jitter 0
    assert service.step(dest) == "done"
    [job] = outbox.jobs()
    assert job.state is JobState.FAILED and job.attempts == 3  # retry.max_attempts
    assert len(dest.batches) == 3 and service.step(dest) == "idle"


def test_missing_file_fails_without_reaching_the_destination(tmp_path: Path, outbox: Outbox) -> None:
    first, gone = _queue(tmp_path, outbox, 2)
    (tmp_path / "obj001.dcm").unlink()
    dest = FakeDestination("pacs")
    service = SenderService(_config(), outbox, [dest])
    assert service.step(dest) == "done"
    assert dest.batches == [[first]]
    jobs = {j.sop_instance_uid: j for j in outbox.jobs()}
    assert jobs[first].state is JobState.SENT
    assert jobs[gone].state is JobState.FAILED and jobs[gone].error_key == "outbox.file_missing"


def test_stop_mid_batch_returns_the_unsent_jobs_to_queued(tmp_path: Path, outbox: Outbox) -> None:
    uids = _queue(tmp_path, outbox, 4)
    stop = threading.Event()

    def sent_then_stop(job: Job) -> JobOutcome:
        stop.set()  # SIGTERM arrives while the first object is in flight
        return JobOutcome(job)

    dest = FakeDestination("pacs", sent_then_stop)
    service = SenderService(_config(), outbox, [dest], stop=stop)
    assert service.step(dest) == "done"
    assert len(dest.batches[0]) == 4
    states = _states(outbox)
    assert states[uids[0]] is JobState.SENT
    assert [states[u] for u in uids[1:]] == [JobState.QUEUED] * 3
    assert [j.attempts for j in outbox.jobs()][1:] == [0, 0, 0]  # released, not counted as an attempt


def test_unexpected_error_returns_the_unreported_jobs_to_queued(tmp_path: Path, outbox: Outbox) -> None:
    uids = _queue(tmp_path, outbox, 3)

    def first_then_crash(job: Job) -> JobOutcome:
        if job.sop_instance_uid != uids[0]:
            raise RuntimeError("bug in a destination")
        return JobOutcome(job)

    dest = FakeDestination("pacs", first_then_crash)
    service = SenderService(_config(), outbox, [dest])
    assert service.step(dest) == "error"
    assert _states(outbox) == {uids[0]: JobState.SENT, uids[1]: JobState.QUEUED, uids[2]: JobState.QUEUED}
    assert [j.attempts for j in outbox.jobs()] == [1, 0, 0]
    assert service.step(dest) == "error"  # claimed again: nothing is lost, nothing stays "sending"
    assert JobState.SENDING not in _states(outbox).values()


def test_destination_raising_before_any_outcome_releases_the_whole_batch(tmp_path: Path, outbox: Outbox) -> None:
    _queue(tmp_path, outbox, 3)

    class Broken(FakeDestination):
        def send(self, jobs: Sequence[Job], stop: threading.Event) -> Iterator[JobOutcome]:
            raise OSError("no route")

    dest = Broken("pacs")
    assert SenderService(_config(), outbox, [dest]).step(dest) == "error"
    assert set(_states(outbox).values()) == {JobState.QUEUED}


def test_an_outcome_for_a_job_outside_the_batch_is_a_bug_and_releases_the_rest(tmp_path: Path,
                                                                                 outbox: Outbox) -> None:
    uids = _queue(tmp_path, outbox, 2)

    class Twice(FakeDestination):
        def send(self, jobs: Sequence[Job], stop: threading.Event) -> Iterator[JobOutcome]:
            yield JobOutcome(jobs[0])
            yield JobOutcome(jobs[0])
            yield JobOutcome(jobs[1])

    dest = Twice("pacs")
    assert SenderService(_config(), outbox, [dest]).step(dest) == "error"
    assert _states(outbox) == {uids[0]: JobState.SENT, uids[1]: JobState.QUEUED}


def test_one_destinations_failure_leaves_another_untouched(tmp_path: Path, outbox: Outbox) -> None:
    _queue(tmp_path, outbox, 3, ["pacs", "archive"])

    def crash(job: Job) -> JobOutcome:
        raise RuntimeError("bug")

    broken, fine = FakeDestination("pacs", crash), FakeDestination("archive")
    service = SenderService(_config(), outbox, [broken, fine])
    assert service.step(broken) == "error"
    assert service.step(fine) == "done"
    assert set(_states(outbox, "archive").values()) == {JobState.SENT}
    assert set(_states(outbox, "pacs").values()) == {JobState.QUEUED}


def test_pending_counts_only_the_served_destinations(tmp_path: Path, outbox: Outbox) -> None:
    _queue(tmp_path, outbox, 2, ["pacs", "gone"])  # "gone": a peer that lost its storage role
    dest = FakeDestination("pacs")
    service = SenderService(_config(), outbox, [dest])
    assert service.pending() == 2
    service.step(dest)
    assert service.pending() == 0
    assert set(_states(outbox, "gone").values()) == {JobState.QUEUED}


# --- worker threads ---------------------------------------------------------------------------------------


def test_a_hanging_or_failing_destination_never_blocks_another(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "outbox.sqlite")  # real clock: the workers wait on it
    uids = _queue(tmp_path, outbox, 10, ["hung", "broken", "ok"])
    unblock, hung_entered, all_sent = threading.Event(), threading.Event(), threading.Event()
    sent: list[str] = []

    def hang(job: Job) -> JobOutcome:
        hung_entered.set()
        unblock.wait()
        return JobOutcome(job)

    def crash(job: Job) -> JobOutcome:
        raise RuntimeError("bug")

    def listener(dest: str, job: Job, what: str) -> None:
        if dest == "ok" and what == "sent":
            sent.append(job.sop_instance_uid)
            if len(sent) == len(uids):
                all_sent.set()

    hung, broken, ok = FakeDestination("hung", hang), FakeDestination("broken", crash), FakeDestination("ok")
    service = SenderService(_config(batch_size=3, initial_delay=3600), outbox, [hung, broken, ok],
                            listener=listener, poll=0.05)
    service.start()
    try:
        assert hung_entered.wait(60) and all_sent.wait(60)  # safety limits, not timing assertions
    finally:
        service.stop.set()
        unblock.set()
        service.join()
    assert sent == uids
    assert set(_states(outbox, "ok").values()) == {JobState.SENT}
    hung_states = [j.state for j in outbox.jobs("hung")]
    assert hung_states.count(JobState.SENT) == 1 and set(hung_states[1:]) == {JobState.QUEUED}  # stop: released
    assert set(_states(outbox, "broken").values()) == {JobState.QUEUED}
    assert (hung.closed, broken.closed, ok.closed) == (1, 1, 1)
    outbox.close()


# --- destinations(config) ---------------------------------------------------------------------------------


def test_destinations_are_the_storage_peers_and_the_folder(tmp_path: Path) -> None:
    config = config_from_mapping({
        "worklist": {"peer": "ris"},
        "outbox": {"folder": str(tmp_path / "share")},
        "peers": {"ris": "RIS@10.1.2.9:104",  # legacy: worklist only
                  "legacy": "OLD@10.1.2.5:104",  # legacy: storage
                  "pacs": {"address": "PACS@10.1.2.3:104", "roles": ["storage", "commitment"]},
                  "mpps": {"address": "MPPS@10.1.2.7:104", "roles": ["mpps"]},
                  "commit": {"address": "SC@10.1.2.8:104", "roles": ["commitment"]},
                  "manual": {"address": "M@10.1.2.6:104", "roles": []}}})
    dests = destinations(config)
    assert [d.name for d in dests] == ["legacy", "pacs", FOLDER_DESTINATION] == destination_names(config)
    assert [type(d) for d in dests] == [DimseDestination, DimseDestination, FolderDestination]
    assert isinstance(dests[1], DimseDestination) and str(dests[1].peer) == "PACS@10.1.2.3:104"
    assert isinstance(dests[2], FolderDestination) and dests[2].folder == tmp_path / "share"


def test_disabled_folder_and_no_storage_peer_mean_no_destination(tmp_path: Path) -> None:
    config = config_from_mapping({"outbox": {"folder": str(tmp_path), "folder_enabled": False},
                                  "peers": {"ris": {"address": "RIS@h:104", "roles": ["worklist"]}}})
    assert destinations(config) == [] and destination_names(config) == []


def test_dimse_destination_sends_nothing_once_stopped(tmp_path: Path, outbox: Outbox) -> None:
    config = config_from_mapping({"peers": {"pacs": "PACS@127.0.0.1:1"}})
    _queue(tmp_path, outbox, 1)
    [dest] = destinations(config)
    stop = threading.Event()
    stop.set()
    assert list(dest.send(outbox.claim("pacs"), stop)) == []  # no association attempted, no outcome


def test_folder_destination_copies_and_reports_a_share_that_fails(tmp_path: Path, outbox: Outbox) -> None:
    _queue(tmp_path, outbox, 2)
    jobs = outbox.claim("pacs")
    share = tmp_path / "share"
    share.mkdir()
    outcomes = list(FolderDestination(share).send(jobs, threading.Event()))
    assert [o.ok for o in outcomes] == [True, True]
    assert sorted(p.name for p in share.iterdir()) == ["obj000.dcm", "obj001.dcm"]
    blocked = tmp_path / "not-a-folder"
    blocked.write_bytes(b"")
    [failed, _] = FolderDestination(blocked).send(jobs, threading.Event())
    assert isinstance(failed.error, OutboxError) and failed.error.key == "outbox.folder_failed"
    assert failed.error.retryable and "Ordner" in failed.error.text("de")


def test_folder_destination_stops_between_objects(tmp_path: Path, outbox: Outbox) -> None:
    _queue(tmp_path, outbox, 3)
    stop = threading.Event()
    sent = []
    for outcome in FolderDestination(tmp_path / "share").send(outbox.claim("pacs"), stop):
        sent.append(outcome)
        stop.set()
    assert len(sent) == 1


def test_retryable_network_failure_is_retried_not_failed(tmp_path: Path, outbox: Outbox) -> None:
    _queue(tmp_path, outbox, 1)
    error = NetworkError("net.timeout", peer="PACS", operation="C-STORE")
    dest = FakeDestination("pacs", lambda job: JobOutcome(job, error=error))
    SenderService(_config(), outbox, [dest]).step(dest)
    [job] = outbox.jobs()
    assert job.state is JobState.RETRY_WAIT and job.error_key == "net.timeout"
