"""Where outbox jobs go: the :class:`Destination` protocol and its implementations.

A destination takes a claimed batch of jobs and reports one :class:`JobOutcome` per job it attempted, as it
goes. The sending service (:mod:`smartbox_next.delivery.workers`) records each outcome in the outbox and
returns every job without an outcome to the queue — so a destination may stop early (``stop`` set, e.g.
SIGTERM) or fail unexpectedly without losing a job. Implementations:

- :class:`DimseDestination`: a PACS peer with role ``storage``; the batch goes over one association
  (``net.store.store_files``: streamed C-STORE, transfer-syntax fallback, video re-encoding when required).
- :class:`FolderDestination`: an atomic copy into a folder (a file share), ``outbox.folder``.
- :class:`~smartbox_next.delivery.dicomweb.DicomwebDestination`: a DICOMweb service (``url``) with role
  ``storage``; the batch goes out as STOW-RS requests (PS3.18 §10.5).

:func:`destinations` builds the configured ones: every peer with role ``storage`` (``Config.storage_peers``, then
``Config.storage_web_peers``) and the folder, if set and enabled.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

from smartbox_next.atomic import write_with
from smartbox_next.config import Config
from smartbox_next.delivery.dicomweb import DicomwebDestination
from smartbox_next.delivery.names import FOLDER_DESTINATION, destination_names, folder_of
from smartbox_next.delivery.protocol import Destination, JobOutcome
from smartbox_next.delivery.video import Reencoder
from smartbox_next.dicom.peer import Peer
from smartbox_next.errors import NetworkError, OutboxError, SmartboxError
from smartbox_next.net.link import LinkSettings
from smartbox_next.net.store import FileResult, ProgressCallback, store_files
from smartbox_next.spool.outbox import Job

__all__ = ["FOLDER_DESTINATION", "Destination", "DicomwebDestination", "DimseDestination", "FolderDestination",
           "JobOutcome", "destination_names", "destinations"]


class DimseDestination:
    """A Storage SCP: each batch over one association (PS3.4 Annex B; ``net.store.store_files``)."""

    def __init__(self, config: Config, name: str, peer: Peer, transcoder: Reencoder,
                 progress: ProgressCallback | None = None) -> None:
        self.config = config
        self.name = name
        self.peer = peer
        self.transcoder = transcoder
        self.progress = progress  # byte-level progress of each object (the station shows % and MB/s)

    def send(self, jobs: Sequence[Job], stop: threading.Event) -> Iterator[JobOutcome]:
        if stop.is_set():
            return
        result = store_files(LinkSettings.of(self.config.station, self.config.network), self.peer,
                             [j.path for j in jobs], transcoder=self.transcoder, progress=self.progress)
        for job, res in zip(jobs, result.results, strict=True):
            yield self._outcome(job, res)

    def _outcome(self, job: Job, res: FileResult) -> JobOutcome:
        if res.ok:
            return JobOutcome(job, warning=res.warning.text("en") if res.warning is not None else None)
        return JobOutcome(job, error=res.error or NetworkError("net.timeout", peer=self.name, operation="C-STORE"))

    def close(self) -> None:
        """Nothing held: an association lives for one batch."""


class FolderDestination:
    """A folder (file share): each object copied atomically under its spool file name."""

    def __init__(self, folder: Path, name: str = FOLDER_DESTINATION) -> None:
        self.folder = folder
        self.name = name

    def send(self, jobs: Sequence[Job], stop: threading.Event) -> Iterator[JobOutcome]:
        for job in jobs:
            if stop.is_set():
                return
            yield self._copy(job)

    def _copy(self, job: Job) -> JobOutcome:
        target = self.folder / job.path.name
        try:
            with job.path.open("rb") as src:
                write_with(lambda fh: shutil.copyfileobj(src, fh, 1024 * 1024), target)
        except (OSError, SmartboxError) as exc:
            detail = exc.text("en") if isinstance(exc, SmartboxError) else str(exc)
            return JobOutcome(job, error=OutboxError("outbox.folder_failed", retryable=True, folder=str(self.folder),
                                                     detail=detail))
        return JobOutcome(job)

    def close(self) -> None:
        """Nothing held."""


def destinations(config: Config, *, progress: ProgressCallback | None = None) -> list[Destination]:
    """Every enabled destination: the peers with role ``storage`` and the folder, if set and enabled.

    ``progress`` receives the byte-level progress of every object sent to a peer (the station UI)."""
    transcoder = Reencoder(config)
    out: list[Destination] = [DimseDestination(config, name, peer, transcoder, progress)
                              for name, peer in config.storage_peers().items()]
    out += [DicomwebDestination(config, name, peer) for name, peer in config.storage_web_peers().items()]
    folder = folder_of(config)
    if folder is not None:
        out.append(FolderDestination(folder))
    return out
