"""C-STORE SCU (PS3.4 Annex B, PS3.7 §9.1.1): one pass over a batch, streamed, with per-object outcomes.

``store_each(settings, peer, paths, progress=..., stop=...)`` reads each file's File Meta Information, plans
the associations (:mod:`smartbox_next.net.contexts`, ≤128 contexts each, one association per plan — not one per
file), and sends every object on a context accepted with a transfer syntax it is honestly encoded in
(:mod:`smartbox_next.net.fallback`), streamed from disk (:mod:`smartbox_next.net.stream`) over the native
upper layer (:mod:`smartbox_next.net.store_session`: no pynetdicom, no pydicom unless a conversion needs it;
the C-STORE-RQ command set of :func:`smartbox_next.net.pdu.store_command`). It yields each
object's :class:`FileResult` **as soon as it is known** — its C-STORE response arrived, or it failed — so the
outbox marks it at once and a crash re-sends at most the object in flight. It never raises for one object's
failure: a result is stored / warning (status recorded) / failed (with the project exception, whose
``retryable`` drives retries in :mod:`smartbox_next.delivery.direct` and the outbox). Once ``stop()`` is true
(SIGTERM) the association is aborted and nothing more is yielded: the object in flight and the rest have no
result (the outbox keeps them queued). ``store_files`` collects the results of one pass into a
:class:`BatchResult`, in the order of ``paths``.

Status handling (PS3.4 B.2.3, PS3.7 Annex C, DICOM_RULES §5): 0000 stored; 0001, Bxxx, 0107, 0116 stored
with warning; A7xx out of resources (retryable); 0210-0212 protocol errors (retryable on a new association);
A9xx, Cxxx, 0117, 0122, 0124 and anything else are permanent failures carrying the status and the PACS's
Error Comment (0000,0902).
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

from smartbox_next.dicom.part10 import ObjectInfo, read_object_info
from smartbox_next.dicom.peer import Peer
from smartbox_next.dicom.webpeer import WebPeer
from smartbox_next.errors import (
    MediaError,
    NetworkError,
    NoAcceptedContextError,
    SmartboxError,
    StoreError,
)
from smartbox_next.net import fallback
from smartbox_next.net.contexts import AssociationPlan, plan_associations
from smartbox_next.net.link import LinkSettings
from smartbox_next.net.pdu import store_command
from smartbox_next.net.store_session import StopCheck, Stopped, StoreSession, open_store_session
from smartbox_next.net.stream import Payload, send_message

LOG = logging.getLogger(__name__)


class Outcome(Enum):
    """What became of one object at one destination."""

    STORED = "stored"
    WARNING = "warning"  # stored, the PACS reported a warning status
    FAILED = "failed"


@dataclass
class FileResult:
    """One object's outcome at one peer."""

    path: Path
    outcome: Outcome
    sop_instance_uid: str = ""
    status: int | None = None  # DIMSE status when the peer answered
    comment: str = ""  # Error Comment (0000,0902) when given
    error: SmartboxError | None = None
    transfer_syntax: str = ""  # as sent
    conversion: str = ""  # fallback applied, "" = sent as stored
    bytes_sent: int = 0
    warning: SmartboxError | None = None  # the recorded warning (store.warning) for WARNING outcomes

    @property
    def ok(self) -> bool:
        return self.outcome is not Outcome.FAILED

    @property
    def retryable(self) -> bool:
        return self.error is not None and self.error.retryable


@dataclass
class BatchResult:
    """All outcomes of a batch at one peer (a DICOMweb one too: ``delivery.dicomweb.store_web``)."""

    peer: Peer | WebPeer
    results: list[FileResult] = field(default_factory=list)
    seconds: float = 0.0
    attempts: int = 1

    @classmethod
    def failed(cls, peer: Peer | WebPeer, paths: Sequence[Path], error: SmartboxError) -> BatchResult:
        """Every object of ``paths`` failed at ``peer`` with ``error`` (a worker that could not finish)."""
        return cls(peer=peer, results=[FileResult(Path(p), Outcome.FAILED, error=error) for p in paths])

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.results)

    def count(self, outcome: Outcome) -> int:
        return sum(1 for r in self.results if r.outcome is outcome)

    @property
    def bytes_sent(self) -> int:
        return sum(r.bytes_sent for r in self.results)


@dataclass(frozen=True)
class ProgressEvent:
    """Byte-level progress of one object within a batch to one peer."""

    peer: str
    path: Path
    index: int  # position of the object in the batch (0-based)
    count: int  # objects in the batch
    object_bytes: int
    object_total: int
    batch_bytes: int  # bytes of all objects finished or in flight so far
    batch_total: int  # sum of the data-set sizes of the batch (as stored on disk)
    done: bool = False  # the object is finished (result known)
    outcome: str = ""


ProgressCallback = Callable[[ProgressEvent], None]

_WARNINGS = (0x0001, 0x0107, 0x0116)


def classify_status(status: int, comment: str, peer: Peer, sop_instance_uid: str) -> tuple[Outcome, StoreError | None]:
    """Map a C-STORE response status (PS3.4 B.2.3, PS3.7 Annex C) to an outcome and, if not plain success, an error."""
    params: dict[str, Any] = {"peer": str(peer), "status": status, "code": f"0x{status:04X}", "comment": comment or "-",
              "sop_instance_uid": sop_instance_uid}
    if status == 0x0000:
        return Outcome.STORED, None
    if status in _WARNINGS or 0xB000 <= status <= 0xBFFF:
        return Outcome.WARNING, StoreError("store.warning", **params)
    if 0xA700 <= status <= 0xA7FF:
        return Outcome.FAILED, StoreError("store.out_of_resources", retryable=True, **params)
    if 0xA900 <= status <= 0xA9FF:
        key = "store.does_not_match"
    elif 0xC000 <= status <= 0xCFFF:
        key = "store.cannot_understand"
    elif status == 0x0122:
        key = "store.sop_class_not_supported"
    elif status == 0x0124:
        key = "store.not_authorized"
    elif status == 0x0117:
        key = "store.invalid_instance"
    elif status in (0x0210, 0x0211, 0x0212):
        return Outcome.FAILED, StoreError("store.protocol_error", retryable=True, **params)
    else:
        key = "store.failed"
    return Outcome.FAILED, StoreError(key, retryable=False, **params)


class _Batch:
    """Progress bookkeeping for one pass."""

    def __init__(self, peer: Peer, objects: Sequence[ObjectInfo], progress: ProgressCallback | None,
                 index: dict[Path, int], count: int) -> None:
        self.peer = str(peer)
        self.progress = progress
        self.index = index
        self.count = count
        self.total = sum(o.dataset_length for o in objects)
        self.finished = 0

    def bytes_cb(self, obj: ObjectInfo, payload_total: int) -> Callable[[int], None]:
        def cb(n: int) -> None:
            if self.progress is not None:
                self.progress(ProgressEvent(self.peer, obj.path, self.index[obj.path], self.count, n, payload_total,
                                            self.finished + min(n, obj.dataset_length), self.total))
        return cb

    def done(self, obj: ObjectInfo, result: FileResult) -> None:
        self.finished += obj.dataset_length
        if self.progress is not None:
            self.progress(ProgressEvent(self.peer, obj.path, self.index[obj.path], self.count, result.bytes_sent,
                                        result.bytes_sent, self.finished, self.total, done=True,
                                        outcome=result.outcome.value))


def store_files(settings: LinkSettings, peer: Peer, paths: Sequence[Path], *,
                progress: ProgressCallback | None = None,
                transcoder: fallback.VideoTranscoder | None = None) -> BatchResult:
    """Send ``paths`` to ``peer`` once (no retries); one outcome per path, in order. Never raises for an object.

    ``transcoder`` re-encodes video for a PACS that accepts none of the object's own syntaxes (None: re-wrap
    between twin syntaxes only).
    """
    started = time.monotonic()
    results = {r.path: r for r in store_each(settings, peer, paths, progress=progress, transcoder=transcoder)}
    ordered = [results[Path(p)] for p in paths]
    return BatchResult(peer=peer, results=ordered, seconds=time.monotonic() - started)


def store_each(settings: LinkSettings, peer: Peer, paths: Sequence[Path], *,
               progress: ProgressCallback | None = None, transcoder: fallback.VideoTranscoder | None = None,
               stop: StopCheck | None = None) -> Iterator[FileResult]:
    """Send ``paths`` to ``peer`` once (no retries), yielding each object's result as soon as it is known.

    Every path gets exactly one result unless ``stop()`` becomes true: then the association is aborted
    (A-ABORT, PS3.8 §9.3.8) and the object in flight and those after it get none.
    """
    objects: list[ObjectInfo] = []
    for path in paths:
        try:
            objects.append(read_object_info(Path(path)))
        except MediaError as exc:
            yield FileResult(Path(path), Outcome.FAILED, error=exc)
    index = {Path(p): i for i, p in enumerate(paths)}
    batch = _Batch(peer, objects, progress, index, len(paths))
    targets = transcoder.targets if transcoder is not None else None
    for plan in plan_associations(objects, targets):
        if stop is not None and stop():
            return
        for obj, result in _send_plan(settings, peer, plan, batch, transcoder, stop):
            batch.done(obj, result)
            yield result


def _send_plan(settings: LinkSettings, peer: Peer, plan: AssociationPlan, batch: _Batch,
               transcoder: fallback.VideoTranscoder | None,
               stop: StopCheck | None) -> Iterator[tuple[ObjectInfo, FileResult]]:
    """Send one plan's objects, re-associating after a local read failure; yields each result when known."""
    pending = list(plan.objects)
    while pending:
        try:
            with open_store_session(settings, peer, plan.contexts(), stop=stop) as session:
                while pending:
                    obj = pending[0]
                    result, reopen = _send_one(settings, session, obj, batch, transcoder)
                    pending.pop(0)
                    if result.outcome is Outcome.FAILED:
                        LOG.info("%s: %s failed: %s", peer, obj.sop_instance_uid, result.error)
                    yield obj, result  # the caller records it now, while the association stays open
                    if reopen:
                        session.abandon()
                        break
                    if pending and stop is not None and stop():
                        raise Stopped  # aborted, not released: a peer slow to answer A-RELEASE must not hold us
        except Stopped:
            LOG.info("%s: stopped; association aborted, %d object(s) not sent", peer, len(pending))
            return
        except NetworkError as exc:
            # association could not be opened, or broke: every object not yet tried shares the outcome
            for obj in pending:
                error = exc
                if isinstance(exc, NoAcceptedContextError):
                    error = NoAcceptedContextError("net.sop_class_refused", peer=str(peer),
                                                   sop_class=obj.sop_class_uid, path=str(obj.path))
                yield obj, FileResult(obj.path, Outcome.FAILED, obj.sop_instance_uid, error=error)
            pending = []


def _choose(session: StoreSession, obj: ObjectInfo,
            transcoder: fallback.VideoTranscoder | None) -> tuple[int, str] | NoAcceptedContextError:
    """The context to send ``obj`` on: its own syntax if accepted, else the first accepted conversion."""
    accepted: dict[tuple[str, str], int] = {}
    for cx in session.accepted_contexts:
        accepted.setdefault((cx.abstract_syntax, cx.transfer_syntax), cx.context_id)
    candidates = [obj.transfer_syntax, *fallback.conversions(obj.transfer_syntax, transcoder)]
    for ts in candidates:
        if (obj.sop_class_uid, ts) in accepted:
            return accepted[(obj.sop_class_uid, ts)], ts
    peer = str(session.peer)
    if not any(sop == obj.sop_class_uid for sop, _ in accepted):
        return NoAcceptedContextError("net.sop_class_refused", peer=peer, sop_class=obj.sop_class_uid,
                                      path=str(obj.path))
    return NoAcceptedContextError("net.no_transfer_syntax", peer=peer, sop_class=obj.sop_class_uid,
                                  transfer_syntax=obj.transfer_syntax, possible=", ".join(candidates))


class _LazyDir(os.PathLike[str]):
    """A temporary directory created only if a fallback needs one (video re-encoding), removed on exit."""

    def __init__(self) -> None:
        self._path: Path | None = None

    def __fspath__(self) -> str:
        if self._path is None:
            self._path = Path(tempfile.mkdtemp(prefix="smartbox-send-"))
        return str(self._path)

    def __truediv__(self, other: str) -> Path:
        return Path(os.fspath(self)) / other

    def __enter__(self) -> Path:
        return self  # type: ignore[return-value]  # path-like: Path(work) / name works lazily

    def __exit__(self, *exc: object) -> None:
        if self._path is not None:
            shutil.rmtree(self._path, ignore_errors=True)


def _send_one(settings: LinkSettings, session: StoreSession, obj: ObjectInfo, batch: _Batch,
              transcoder: fallback.VideoTranscoder | None) -> tuple[FileResult, bool]:
    """Send one object; returns its result and whether the association must be replaced (local failure)."""
    result = FileResult(obj.path, Outcome.FAILED, obj.sop_instance_uid)
    choice = _choose(session, obj, transcoder)
    if isinstance(choice, NoAcceptedContextError):
        result.error = choice
        return result, False
    context_id, ts = choice
    with _LazyDir() as work:
        try:
            payload: Payload = fallback.prepare(obj, ts, work, transcoder)
        except MediaError as exc:
            result.error = exc
            return result, False
        result.transfer_syntax, result.conversion = payload.transfer_syntax, payload.conversion
        if payload.conversion:
            LOG.info("%s: sending %s as %s (%s)", session.peer, obj.sop_instance_uid, ts, payload.conversion)
        message_id = session.next_message_id()
        # A lossy re-encode is a new instance (PS3.3 C.7.6.1.1.5): the command names the UID actually sent.
        command = store_command(message_id, obj.sop_class_uid, payload.sop_instance_uid or obj.sop_instance_uid)
        on_bytes = batch.bytes_cb(obj, payload.length)
        on_bytes(0)
        try:
            send_message(session, context_id, command, payload, on_bytes, timeout=settings.network_timeout)
            result.bytes_sent = payload.length
            response = session.wait_response(message_id, "C-STORE")
        except NetworkError:
            raise  # ResponseTimeoutError is also an OSError; the association is gone either way
        except OSError as exc:  # the file changed under us: the message is incomplete, drop the association
            result.error = MediaError("send.file_changed", path=str(obj.path), detail=str(exc))
            return result, True
    status, comment = response.status, response.comment
    outcome, error = classify_status(status, comment, session.peer, obj.sop_instance_uid)
    result.outcome, result.status, result.comment = outcome, status, comment
    if outcome is Outcome.WARNING:
        result.warning = error
        LOG.warning("%s", error)
    else:
        result.error = error
    return result, False
