"""Outbox job table: idempotent rows, claiming, retry scheduling, crash recovery, purge, damaged database."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from smartbox_next.delivery.retry import RetryPolicy
from smartbox_next.errors import NetworkError, OutboxError, StoreError
from smartbox_next.spool.outbox import JobState, Outbox


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def outbox(tmp_path: Path, clock: Clock) -> Outbox:
    return Outbox(tmp_path / "outbox.sqlite", clock=clock)


def _file(tmp_path: Path, name: str = "a.dcm", size: int = 1000) -> Path:
    path = tmp_path / name
    path.write_bytes(b"x" * size)
    return path


POLICY = RetryPolicy(max_attempts=3, initial_delay=10, max_delay=100, max_total=10_000, jitter=0.0)


def test_enqueue_is_idempotent_per_instance_and_destination(tmp_path: Path, outbox: Outbox) -> None:
    f = _file(tmp_path)
    first = outbox.enqueue(f, "1.2.3", "1.2.840.10008.5.1.4.1.1.7", ["pacs", "archive"])
    again = outbox.enqueue(f, "1.2.3", "1.2.840.10008.5.1.4.1.1.7", ["pacs", "archive", "folder"])
    assert again[:2] == first
    assert len(outbox.jobs()) == 3
    stats = {s.destination: s for s in outbox.stats()}
    assert stats["pacs"].pending == 1 and stats["pacs"].pending_bytes == 1000


def test_claim_is_exclusive_under_threads(tmp_path: Path, outbox: Outbox) -> None:
    for i in range(200):
        outbox.enqueue(_file(tmp_path, f"{i}.dcm", 10), f"1.2.{i}", "1.2", ["pacs"])
    claimed: list[int] = []
    lock = threading.Lock()

    def work() -> None:
        while jobs := outbox.claim("pacs", 7):
            with lock:
                claimed.extend(j.id for j in jobs)
        outbox.close()

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(claimed) == sorted(j.id for j in outbox.jobs())  # each exactly once


def test_retryable_failure_waits_with_backoff_then_fails(tmp_path: Path, outbox: Outbox, clock: Clock) -> None:
    [job_id] = outbox.enqueue(_file(tmp_path), "1.2.3", "1.2", ["pacs"])
    exc = StoreError("store.failed", retryable=True, status=0xA700, comment="full", peer="PACS",
                     sop_instance_uid="1.2.3")
    delays = []
    for _ in range(3):
        [job] = outbox.claim("pacs")
        assert job.state is JobState.SENDING
        updated = outbox.mark_failed(job_id, exc, POLICY)
        delays.append(updated.next_attempt - clock.now)
        assert outbox.claim("pacs") == []  # not due yet
        clock.now = updated.next_attempt
    assert delays[:2] == [10, 20]
    final = outbox.job(job_id)
    assert final is not None and final.state is JobState.FAILED and final.attempts == 3
    assert final.error_key == "store.failed" and final.error_params["status"] == 0xA700
    err = final.error()
    assert err is not None and err.text("de") != err.text("en")


def test_permanent_failure_fails_at_once_and_retry_requeues(tmp_path: Path, outbox: Outbox) -> None:
    [job_id] = outbox.enqueue(_file(tmp_path), "1.2.3", "1.2", ["pacs"])
    outbox.claim("pacs")
    job = outbox.mark_failed(job_id, StoreError("store.failed", status=0xC000, comment="bad", peer="P",
                                                sop_instance_uid="1.2.3"), POLICY)
    assert job.state is JobState.FAILED and job.attempts == 1
    assert outbox.retry([job_id]) == 1
    [again] = outbox.claim("pacs")
    assert again.id == job_id and again.attempts == 0


def test_recover_returns_sending_to_queued(tmp_path: Path, outbox: Outbox) -> None:
    outbox.enqueue(_file(tmp_path), "1.2.3", "1.2", ["pacs"])
    outbox.claim("pacs")
    reopened = Outbox(outbox.path)
    assert reopened.recover() == 1
    assert [j.state for j in reopened.jobs()] == [JobState.QUEUED]


def test_purge_frees_a_file_only_when_every_destination_has_it(tmp_path: Path, outbox: Outbox) -> None:
    f = _file(tmp_path)
    a, b = outbox.enqueue(f, "1.2.3", "1.2", ["pacs", "archive"])
    outbox.claim("pacs")
    outbox.mark_sent(a)
    assert outbox.purge(0) == []
    outbox.claim("archive")
    outbox.mark_failed(b, NetworkError("net.timeout", peer="x", operation="C-STORE"), POLICY)
    assert outbox.purge(0) == []  # archive still waits
    outbox.retry([b])
    outbox.claim("archive")
    outbox.mark_sent(b)
    assert outbox.purge(0) == [f]


def test_damaged_database_is_refused_not_replaced(tmp_path: Path) -> None:
    path = tmp_path / "outbox.sqlite"
    box = Outbox(path)
    box.enqueue(_file(tmp_path), "1.2.3", "1.2", ["pacs"])
    box.close()
    data = bytearray(path.read_bytes())
    data[100:4000] = b"\xde\xad" * 1950
    path.write_bytes(bytes(data))
    with pytest.raises(OutboxError) as info:
        Outbox(path)
    assert info.value.key == "outbox.corrupt"
    assert path.read_bytes() == bytes(data)  # untouched
    assert "beschädigt" in info.value.text("de")


def test_not_a_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "outbox.sqlite"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(OutboxError):
        Outbox(path)
    with pytest.raises(sqlite3.DatabaseError):
        sqlite3.connect(path).execute("SELECT 1 FROM jobs").fetchall()
