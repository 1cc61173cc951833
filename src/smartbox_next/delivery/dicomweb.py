"""DICOMweb destinations: the outbox's :class:`~smartbox_next.delivery.destination.Destination` over STOW-RS.

- :class:`DicomwebDestination` — a peer with ``url`` and role ``storage``: each claimed batch goes out as STOW-RS
  requests over one kept-alive connection (:func:`smartbox_next.dicomweb.store.stow_files`), one outcome per job
  as soon as its request is answered. With ``verify_stored`` a stored instance counts as delivered only once a
  QIDO-RS query finds it (waiting up to ``dicomweb.verify_timeout``); until then the job waits for a retry
  (``dicomweb.not_confirmed``, retryable) and the next attempt first asks again before sending anything — the
  DICOMweb counterpart of storage commitment, so retention never deletes what the archive cannot find.
- :func:`store_web` — one pass for ``smartbox send`` (:mod:`smartbox_next.delivery.direct`), with the same
  results and progress events as C-STORE.
- :func:`web_echo` — ``smartbox echo`` of a DICOMweb peer (QIDO-RS).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

import pydicom

from smartbox_next.config import Config
from smartbox_next.delivery.protocol import JobOutcome
from smartbox_next.dicom.webpeer import WebPeer
from smartbox_next.dicomweb.client import WebClient, WebSettings
from smartbox_next.dicomweb.query import EchoResult, echo, find_instance
from smartbox_next.dicomweb.store import InstanceResult, StowProgress, stow_files
from smartbox_next.errors import MediaError, NetworkError, SmartboxError, WebServiceError
from smartbox_next.net.store import BatchResult, FileResult, Outcome, ProgressCallback, ProgressEvent
from smartbox_next.spool.outbox import Job

LOG = logging.getLogger(__name__)

_OUTCOMES = {"stored": Outcome.STORED, "warning": Outcome.WARNING, "failed": Outcome.FAILED}
NOT_CONFIRMED = "dicomweb.not_confirmed"


def client_for(config: Config, peer: WebPeer, *, environ: Mapping[str, str] | None = None) -> WebClient:
    """A client for ``peer`` with the station's timeouts and request grouping."""
    return WebClient(peer, WebSettings.of(config.network, config.dicomweb), environ=environ)


class DicomwebDestination:
    """A DICOMweb origin server (PS3.18 §10.5); see the module docstring."""

    def __init__(self, config: Config, name: str, peer: WebPeer, *, client: WebClient | None = None,
                 sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic) -> None:
        self.name = name
        self.peer = peer
        self.client = client or client_for(config, peer)
        self._sleep = sleep
        self._clock = clock

    def send(self, jobs: Sequence[Job], stop: threading.Event) -> Iterator[JobOutcome]:
        if stop.is_set():
            return
        by_path = {job.path: job for job in jobs}
        to_send: list[Job] = []
        for job in jobs:
            if self.peer.verify_stored and job.error_key == NOT_CONFIRMED:
                outcome = self._confirm(job, wait=False)
                if outcome.ok:
                    yield outcome
                    continue
            to_send.append(job)
        for result in stow_files(self.client, [j.path for j in to_send], stop=stop):
            job = by_path[result.path]
            if result.ok and self.peer.verify_stored:
                outcome = self._confirm(job, wait=True, warning=result.warning)
            elif result.ok:
                outcome = JobOutcome(job, warning=result.warning.text("en") if result.warning else None)
            else:
                assert result.error is not None
                outcome = JobOutcome(job, error=result.error)
            yield outcome

    def _confirm(self, job: Job, *, wait: bool, warning: SmartboxError | None = None) -> JobOutcome:
        """QIDO-RS: is the instance there? Polls until ``verify_timeout`` when ``wait`` (indexing may lag)."""
        try:
            study = study_instance_uid(job.path)
        except MediaError as exc:
            return JobOutcome(job, error=exc)
        deadline = self._clock() + (self.client.settings.verify_timeout if wait else 0.0)
        delay = 0.1
        while True:
            try:
                if find_instance(self.client, study, job.sop_instance_uid, job.sop_class_uid):
                    LOG.info("%s: job %d (%s) confirmed by QIDO-RS", self.name, job.id, job.sop_instance_uid)
                    return JobOutcome(job, warning=warning.text("en") if warning else None)
            except NetworkError as exc:
                return JobOutcome(job, error=exc)
            if self._clock() + delay > deadline:
                return JobOutcome(job, error=WebServiceError(NOT_CONFIRMED, retryable=True, peer=str(self.peer),
                                                             sop_instance_uid=job.sop_instance_uid))
            self._sleep(delay)
            delay = min(delay * 2, 2.0)

    def close(self) -> None:
        self.client.close()


def study_instance_uid(path: Path) -> str:
    """The Study Instance UID of a Part 10 file (read up to it; pixel data is never touched)."""
    try:
        ds = pydicom.dcmread(path, stop_before_pixels=True, specific_tags=["StudyInstanceUID"])
        return str(ds.StudyInstanceUID)
    except (OSError, AttributeError, pydicom.errors.InvalidDicomError) as exc:
        raise MediaError("send.not_dicom", path=str(path), reason=str(exc)) from None


def _file_result(r: InstanceResult) -> FileResult:
    return FileResult(r.path, _OUTCOMES[r.outcome], r.sop_instance_uid, status=r.reason,
                      comment=f"HTTP {r.http_status}" if r.http_status is not None else "", error=r.error,
                      transfer_syntax=r.transfer_syntax, bytes_sent=r.bytes_sent, warning=r.warning)


def store_web(peer: WebPeer, client: WebClient, paths: Sequence[Path], *,
              progress: ProgressCallback | None = None) -> BatchResult:
    """Send ``paths`` once over STOW-RS (no retries): one :class:`FileResult` per path, in order."""
    started = time.monotonic()
    label = str(peer)

    def on_progress(ev: StowProgress) -> None:
        if progress is not None:
            progress(ProgressEvent(label, ev.path, ev.index, ev.count, ev.object_bytes, ev.object_total,
                                   ev.batch_bytes, ev.batch_total, done=ev.done, outcome=ev.outcome))

    results = {r.path: _file_result(r) for r in stow_files(client, paths, progress=on_progress)}
    ordered = [results.get(Path(p)) or FileResult(Path(p), Outcome.FAILED, error=NetworkError(
        "net.aborted", peer=label, operation="STOW-RS", source="local")) for p in paths]
    return BatchResult(peer=peer, results=ordered, seconds=time.monotonic() - started)


def web_echo(config: Config, peer: WebPeer) -> EchoResult:
    """QIDO-RS round trip to ``peer`` (reachability and credentials); raises the project error when it fails."""
    client = client_for(config, peer)
    try:
        return echo(client)
    finally:
        client.close()
