"""The sending service: one worker thread per destination claims due jobs, sends, marks the outcome.

The workers know destinations only as the :class:`~smartbox_next.delivery.destination.Destination` protocol
(DIMSE, folder, …). One round (:meth:`SenderService.step`) claims up to ``outbox.batch_size`` due jobs, fails
those whose spool file is gone, hands the rest to the destination and records each outcome as it arrives:
sent, or — classified by ``exc.retryable`` only — rescheduled by the retry policy (``retry.RetryPolicy``; the
next attempt time is in the database, so a restart keeps it) or failed. Jobs the destination did not report
(stop requested, unexpected error) go back to ``queued`` without counting an attempt. On stop (SIGTERM/SIGINT)
workers finish the object in flight and return unsent claims to ``queued``. A destination that fails or hangs
holds only its own worker: every destination has its own thread.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from smartbox_next.config import Config
from smartbox_next.delivery.destination import Destination, JobOutcome
from smartbox_next.delivery.retry import RetryPolicy
from smartbox_next.errors import OutboxError, SmartboxError
from smartbox_next.spool.outbox import PENDING, Job, JobState, Outbox

LOG = logging.getLogger(__name__)

Listener = Callable[[str, Job, str], None]  # (destination, job, "sending" | "sent" | "retry_wait" | "failed")


@dataclass(frozen=True)
class Waiting:
    """What ``run_until_idle`` waits for while nothing is due: ``jobs`` pending, the earliest of them ``next`` (a
    job in ``retry_wait``, its time in the job), or None while jobs are being sent or due now."""

    jobs: int
    next: Job | None


WaitCallback = Callable[[Waiting], None]
Round = Literal["idle", "done", "error"]  # nothing due | a batch handled | the destination failed unexpectedly


class SenderService:
    """Runs one worker per destination until ``stop`` is set."""

    def __init__(self, config: Config, outbox: Outbox, dests: Sequence[Destination], *,
                 stop: threading.Event | None = None, listener: Listener | None = None,
                 poll: float = 0.5) -> None:
        self.outbox = outbox
        self.dests = list(dests)
        self.stop = stop or threading.Event()
        self.listener = listener
        self.poll = poll
        self.batch_size = config.outbox.batch_size
        self.policy = RetryPolicy.from_config(config.retry)
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        for dest in self.dests:
            t = threading.Thread(target=self._worker, args=(dest,), name=f"sender-{dest.name}", daemon=True)
            t.start()
            self._threads.append(t)

    def join(self, timeout: float | None = None) -> None:
        for t in self._threads:
            t.join(timeout)

    def run_until_idle(self, timeout: float = 60.0, *, on_wait: WaitCallback | None = None,
                       also_pending: Callable[[], int] | None = None) -> None:
        """Send until no job of these destinations is due or waiting (tests and one-shot delivery).

        ``on_wait`` hears what the service waits for whenever that changes (a job's next attempt, the number of
        jobs pending), so a one-shot run never waits silently for a backoff timer. ``also_pending`` counts other
        work the run waits for too (the workflow service's messages and commitments).
        """
        deadline = time.monotonic() + timeout
        self.start()
        told: Waiting | None = None
        try:
            while time.monotonic() < deadline and not self.stop.is_set():
                if self.pending() == 0 and (also_pending is None or also_pending() == 0):
                    break
                if on_wait is not None:
                    waiting = self.waiting()
                    if waiting.next is not None and waiting != told:
                        on_wait(waiting)
                        told = waiting
                time.sleep(0.05)
        finally:
            self.stop.set()
            self.join()

    def waiting(self) -> Waiting:
        """The pending jobs of these destinations and, when none is being sent or due, the one due next."""
        names = {d.name for d in self.dests}
        jobs = [j for j in self.outbox.jobs(states=PENDING) if j.destination in names]
        now = time.time()
        if any(j.state is JobState.SENDING or j.next_attempt <= now for j in jobs):
            return Waiting(len(jobs), None)
        return Waiting(len(jobs), min(jobs, key=lambda j: (j.next_attempt, j.id)) if jobs else None)

    def pending(self) -> int:
        """Jobs of these destinations still queued, sending or waiting (jobs of other destinations do not count:
        a peer that lost its storage role must not keep ``serve --until-idle`` running)."""
        names = {d.name for d in self.dests}
        return sum(s.pending for s in self.outbox.stats() if s.destination in names)

    # ---------------------------------------------------------------- worker

    def _worker(self, dest: Destination) -> None:
        try:
            while not self.stop.is_set():
                result = self.step(dest)
                if result == "idle":
                    due = self.outbox.next_due(dest.name)
                    self.stop.wait(self.poll if due is None else max(0.0, min(self.poll, due - time.time())))
                elif result == "error":
                    self.stop.wait(self.policy.initial_delay)
        finally:
            try:
                dest.close()
            finally:
                self.outbox.close()

    def step(self, dest: Destination) -> Round:
        """One round for ``dest``: claim a batch, send it, record every outcome (see the module docstring)."""
        jobs = self.outbox.claim(dest.name, self.batch_size)
        if not jobs:
            return "idle"
        unreported = {job.id: job for job in jobs}
        for job in jobs:
            self._notify(dest, job, "sending")
        try:
            present: list[Job] = []
            for job in jobs:
                if job.path.exists():
                    present.append(job)
                else:
                    self._failed(dest, job, OutboxError("outbox.file_missing", path=str(job.path)))
                    del unreported[job.id]
            if present:
                for outcome in dest.send(present, self.stop):
                    if outcome.job.id not in unreported:
                        raise RuntimeError(f"outcome for job {outcome.job.id}, which is not waiting in this batch")
                    self._record(dest, outcome)
                    del unreported[outcome.job.id]
        except Exception:  # never let a worker die silently; keep jobs safe
            LOG.exception("sender %s: unexpected error; %d job(s) returned to the queue", dest.name, len(unreported))
            self.outbox.release(list(unreported))
            return "error"
        if unreported:
            LOG.info("sender %s: stopping; %d job(s) returned to the queue", dest.name, len(unreported))
            self.outbox.release(list(unreported))
        return "done"

    def _record(self, dest: Destination, outcome: JobOutcome) -> None:
        job = outcome.job
        if outcome.error is None:
            self.outbox.mark_sent(job.id, outcome.warning)
            LOG.info("sent job %d (%s, accession %s) to %s", job.id, job.sop_instance_uid, job.accession or "-",
                     dest.name, extra={"event": "sent", "job": job.id, "destination": dest.name,
                                       "sop_instance_uid": job.sop_instance_uid, "accession_number": job.accession})
            self._notify(dest, job, "sent")
        else:
            self._failed(dest, job, outcome.error)

    def _failed(self, dest: Destination, job: Job, exc: SmartboxError) -> None:
        updated = self.outbox.mark_failed(job.id, exc, self.policy)
        # INFO: the outcome of a job is routine for the service, and its listener tells the people (``serve`` on
        # stdout, in their language); a log collector tells a final failure by its "event" field
        LOG.info("job %d to %s: %s (%s, attempt %d of %d): %s", job.id, dest.name, exc.key, updated.state.value,
                    updated.attempts, self.policy.max_attempts, exc.text("en"),
                    extra={"event": updated.state.value, "job": job.id, "destination": dest.name,
                           "sop_instance_uid": job.sop_instance_uid, "accession_number": job.accession,
                           "attempt": updated.attempts, "max_attempts": self.policy.max_attempts,
                           "next_attempt": updated.next_attempt if updated.state is JobState.RETRY_WAIT else None,
                           "error_key": exc.key})
        self._notify(dest, updated, updated.state.value)

    def _notify(self, dest: Destination, job: Job, what: str) -> None:
        if self.listener is not None:
            self.listener(dest.name, job, what)
