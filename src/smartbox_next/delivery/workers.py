"""The sending service: one worker thread per destination claims due jobs, sends, marks the outcome.

A PACS destination sends a claimed batch over one association (``net.store.store_files``); a folder
destination copies atomically. Failures are classified by ``exc.retryable`` only and rescheduled by the
retry policy (``retry.RetryPolicy``) — the next attempt time is in the database, so a restart keeps it.
On stop (SIGTERM/SIGINT) workers finish the object in flight and return unsent claims to ``queued``.
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from smartbox_next.atomic import write_with
from smartbox_next.config import Config
from smartbox_next.delivery.retry import RetryPolicy
from smartbox_next.delivery.video import Reencoder
from smartbox_next.dicom.peer import Peer
from smartbox_next.errors import NetworkError, OutboxError, SmartboxError
from smartbox_next.net.store import FileResult, store_files
from smartbox_next.spool.outbox import Job, Outbox

LOG = logging.getLogger(__name__)
FOLDER_DESTINATION = "folder"


@dataclass(frozen=True)
class Destination:
    """Where jobs go: a PACS peer or a folder."""

    name: str
    peer: Peer | None = None
    folder: Path | None = None


def destinations(config: Config) -> list[Destination]:
    """Every enabled destination: configured peers (not the worklist SCP) and the folder, if set."""
    out = [Destination(name, peer=peer) for name, peer in config.peers.items() if name != config.worklist.peer]
    if config.outbox.folder and config.outbox.folder_enabled:
        out.append(Destination(FOLDER_DESTINATION, folder=Path(config.outbox.folder).expanduser()))
    return out


Listener = Callable[[str, Job, str], None]  # (destination, job, "sent" | "retry_wait" | "failed")


class SenderService:
    """Runs one worker per destination until ``stop`` is set."""

    def __init__(self, config: Config, outbox: Outbox, dests: Sequence[Destination], *,
                 stop: threading.Event | None = None, listener: Listener | None = None,
                 poll: float = 0.5) -> None:
        self.config = config
        self.outbox = outbox
        self.dests = list(dests)
        self.stop = stop or threading.Event()
        self.listener = listener
        self.poll = poll
        self.policy = RetryPolicy.from_config(config.retry)
        self.transcoder = Reencoder(config)
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        for dest in self.dests:
            t = threading.Thread(target=self._worker, args=(dest,), name=f"sender-{dest.name}", daemon=True)
            t.start()
            self._threads.append(t)

    def join(self, timeout: float | None = None) -> None:
        for t in self._threads:
            t.join(timeout)

    def run_until_idle(self, timeout: float = 60.0) -> None:
        """Send until no job is due or waiting (tests and one-shot delivery)."""
        deadline = time.monotonic() + timeout
        self.start()
        try:
            while time.monotonic() < deadline:
                pending = sum(s.pending for s in self.outbox.stats())
                if pending == 0:
                    break
                time.sleep(0.05)
        finally:
            self.stop.set()
            self.join()

    # ---------------------------------------------------------------- worker

    def _worker(self, dest: Destination) -> None:
        outbox = self.outbox
        try:
            while not self.stop.is_set():
                jobs = outbox.claim(dest.name, self.config.outbox.batch_size)
                if not jobs:
                    due = outbox.next_due(dest.name)
                    wait = self.poll if due is None else max(0.0, min(self.poll, due - time.time()))
                    self.stop.wait(wait)
                    continue
                try:
                    self._send(dest, jobs)
                except Exception:  # never let a worker die silently; keep jobs safe
                    LOG.exception("sender %s: unexpected error; jobs returned to the queue", dest.name)
                    outbox.release([j.id for j in jobs])
                    self.stop.wait(self.policy.initial_delay)
        finally:
            outbox.close()

    def _send(self, dest: Destination, jobs: list[Job]) -> None:
        present: list[Job] = []
        for job in jobs:
            if job.path.exists():
                present.append(job)
            else:
                self._failed(dest, job, OutboxError("outbox.file_missing", path=str(job.path)))
        if not present:
            return
        if dest.peer is not None:
            result = store_files(self.config, dest.peer, [j.path for j in present], transcoder=self.transcoder)
            for job, res in zip(present, result.results, strict=True):
                self._record(dest, job, res)
        elif dest.folder is not None:
            for job in present:
                self._copy(dest, dest.folder, job)

    def _record(self, dest: Destination, job: Job, res: FileResult) -> None:
        if res.ok:
            warning = res.warning.text("en") if res.warning is not None else None
            self.outbox.mark_sent(job.id, warning)
            LOG.info("sent job %d (%s) to %s", job.id, job.sop_instance_uid, dest.name)
            self._notify(dest, job, "sent")
        else:
            err = res.error or NetworkError("net.timeout", peer=dest.name, operation="C-STORE")
            self._failed(dest, job, err)

    def _copy(self, dest: Destination, folder: Path, job: Job) -> None:
        target = folder / job.path.name
        try:
            with job.path.open("rb") as src:
                write_with(lambda fh: shutil.copyfileobj(src, fh, 1024 * 1024), target)
        except (OSError, SmartboxError) as exc:
            detail = exc.text("en") if isinstance(exc, SmartboxError) else str(exc)
            self._failed(dest, job, OutboxError("outbox.folder_failed", retryable=True, folder=str(folder),
                                                detail=detail))
            return
        self.outbox.mark_sent(job.id)
        self._notify(dest, job, "sent")

    def _failed(self, dest: Destination, job: Job, exc: SmartboxError) -> None:
        updated = self.outbox.mark_failed(job.id, exc, self.policy)
        LOG.warning("job %d to %s: %s (%s, attempt %d)", job.id, dest.name, exc.key, updated.state.value,
                    updated.attempts)
        self._notify(dest, updated, updated.state.value)

    def _notify(self, dest: Destination, job: Job, what: str) -> None:
        if self.listener is not None:
            self.listener(dest.name, job, what)
