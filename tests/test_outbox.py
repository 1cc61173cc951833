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
    assert outbox.purge(0).paths == []
    outbox.claim("archive")
    outbox.mark_failed(b, NetworkError("net.timeout", peer="x", operation="C-STORE"), POLICY)
    assert outbox.purge(0).paths == []  # archive still waits
    outbox.retry([b])
    outbox.claim("archive")
    outbox.mark_sent(b)
    assert outbox.purge(0).paths == [f]
    assert outbox.jobs() == []


# --- operator selection: never "everything" by accident -------------------------------------------------


def _three(tmp_path: Path, outbox: Outbox) -> list[int]:
    ids = outbox.enqueue(_file(tmp_path, "a.dcm"), "1.2.3", "1.2", ["pacs", "archive"])
    return ids + outbox.enqueue(_file(tmp_path, "b.dcm"), "1.2.4", "1.2", ["pacs"])


@pytest.mark.parametrize("operation", ["cancel", "retry"])
def test_nothing_selected_is_refused_not_everything(tmp_path: Path, outbox: Outbox, operation: str) -> None:
    _three(tmp_path, outbox)
    with pytest.raises(ValueError, match="no job selected"):
        getattr(outbox, operation)()
    with pytest.raises(ValueError, match="no job selected"):
        getattr(outbox, operation)((), "")
    with pytest.raises(ValueError, match="takes no job ids"):
        getattr(outbox, operation)([1], everything=True)
    assert {j.state for j in outbox.jobs()} == {JobState.QUEUED}


def test_cancel_everything_only_when_asked(tmp_path: Path, outbox: Outbox) -> None:
    _three(tmp_path, outbox)
    assert outbox.cancel(everything=True) == 3
    assert {j.state for j in outbox.jobs()} == {JobState.CANCELLED}
    assert outbox.retry(everything=True) == 3
    assert {j.state for j in outbox.jobs()} == {JobState.QUEUED}


def test_job_ids_and_destination_select_together(tmp_path: Path, outbox: Outbox) -> None:
    a_pacs, a_archive, b_pacs = _three(tmp_path, outbox)
    assert outbox.cancel([a_pacs, a_archive], "archive") == 1
    assert [j.id for j in outbox.jobs(states=[JobState.CANCELLED])] == [a_archive]
    assert outbox.cancel((), "pacs") == 2
    assert outbox.retry([b_pacs]) == 1
    assert {j.id: j.state for j in outbox.jobs()} == {a_pacs: JobState.CANCELLED, a_archive: JobState.CANCELLED,
                                                     b_pacs: JobState.QUEUED}


@pytest.mark.parametrize("operation", ["cancel", "retry"])
def test_unknown_job_is_an_error_and_changes_nothing(tmp_path: Path, outbox: Outbox, operation: str) -> None:
    first, *_ = _three(tmp_path, outbox)
    if operation == "retry":
        outbox.cancel([first])  # something retry could act on
    before = outbox.jobs()
    with pytest.raises(OutboxError) as info:
        getattr(outbox, operation)([first, 998, 999])
    assert info.value.key == "outbox.unknown_job"
    assert info.value.text("en") == "There is no job 998, 999."
    assert info.value.text("de") == "Es gibt keinen Auftrag 998, 999."
    assert outbox.jobs() == before


# --- purge: a capture not delivered everywhere is never deleted unless forced with its count -------------


def _capture_in(tmp_path: Path, outbox: Outbox, state: JobState, name: str = "open.dcm") -> Path:
    """A capture sent to pacs and in ``state`` for archive."""
    f = _file(tmp_path, name)
    pacs, archive = outbox.enqueue(f, f"1.2.{name}", "1.2", ["pacs", "archive"])
    outbox.claim("pacs")
    outbox.mark_sent(pacs)
    if state is JobState.QUEUED:
        return f
    outbox.claim("archive")
    if state is JobState.SENDING:
        return f
    if state is JobState.RETRY_WAIT:
        outbox.mark_failed(archive, NetworkError("net.timeout", peer="x", operation="C-STORE"), POLICY)
    elif state is JobState.FAILED:
        outbox.fail(archive, StoreError("store.failed", status=0xC000, comment="bad", peer="P", sop_instance_uid="x"))
    elif state is JobState.CANCELLED:
        outbox.release([archive])
        outbox.cancel([archive])
    assert [j.state for j in outbox.jobs("archive") if j.id == archive] == [state]
    return f


UNDELIVERED = [JobState.QUEUED, JobState.SENDING, JobState.RETRY_WAIT, JobState.FAILED, JobState.CANCELLED]


@pytest.mark.parametrize("state", UNDELIVERED)
def test_purge_never_deletes_an_undelivered_capture(tmp_path: Path, outbox: Outbox, clock: Clock,
                                                    state: JobState) -> None:
    _capture_in(tmp_path, outbox, state)
    clock.now += 10 * 365 * 86400  # whatever its age
    rows = outbox.jobs()
    assert outbox.purge(0).paths == []
    assert outbox.jobs() == rows  # the sent row of the other destination stays as well
    assert outbox.count_undelivered(0) == 1


def test_purge_honours_the_age_of_delivered_captures(tmp_path: Path, outbox: Outbox, clock: Clock) -> None:
    f = _file(tmp_path)
    [job] = outbox.enqueue(f, "1.2.3", "1.2", ["pacs"])
    outbox.claim("pacs")
    outbox.mark_sent(job)
    clock.now += 86400
    assert outbox.purge(2 * 86400).paths == []
    clock.now += 86400
    assert outbox.purge(2 * 86400).paths == [f]


def test_forced_purge_needs_the_exact_count(tmp_path: Path, outbox: Outbox, clock: Clock) -> None:
    open_a = _capture_in(tmp_path, outbox, JobState.CANCELLED, "a.dcm")
    open_b = _capture_in(tmp_path, outbox, JobState.FAILED, "b.dcm")
    done = _file(tmp_path, "done.dcm")
    [job] = outbox.enqueue(done, "1.2.9", "1.2", ["pacs"])
    outbox.claim("pacs")
    outbox.mark_sent(job)
    assert outbox.count_undelivered(0) == 2
    before = outbox.jobs()
    for wrong in (0, 1, 3):
        with pytest.raises(OutboxError) as info:
            outbox.purge(0, undelivered=wrong)
        assert info.value.key == "outbox.purge_count_mismatch"
        assert info.value.params == {"count": 2, "given": wrong}
        assert "2" in info.value.text("de") and "nichts gelöscht" in info.value.text("de")
        assert outbox.jobs() == before
    purged = outbox.purge(0, undelivered=2)
    assert purged.delivered == [done] and purged.undelivered == [open_a, open_b]
    assert outbox.jobs() == []


def test_forced_purge_keeps_younger_captures(tmp_path: Path, outbox: Outbox, clock: Clock) -> None:
    _capture_in(tmp_path, outbox, JobState.CANCELLED, "old.dcm")
    clock.now += 3 * 86400
    young = _capture_in(tmp_path, outbox, JobState.CANCELLED, "young.dcm")
    assert outbox.count_undelivered(86400) == 1
    assert [p.name for p in outbox.purge(86400, undelivered=1).undelivered] == ["old.dcm"]
    assert {j.path for j in outbox.jobs()} == {young}


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
