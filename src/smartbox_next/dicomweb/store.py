"""STOW-RS user agent (PS3.18 §10.5): a batch of Part 10 files, streamed, with one outcome per file.

:func:`stow_files` reads each file's File Meta Information (the UIDs; the data set is never parsed), plans the
requests (:func:`plan_requests`: small objects together up to ``objects_per_request`` and ``request_bytes``, an
object of at least ``request_bytes`` alone), posts each as ``multipart/related; type="application/dicom"`` to
``{base}/studies`` with a known Content-Length, the files streamed (:mod:`.multipart`), and yields the outcome of
every file as soon as its request is answered (:mod:`.response` translates the answer).

One failed instance never hides the others: outcomes are per instance from the Store Instances Response Module;
an instance the answer does not mention is retried (``dicomweb.not_reported``); and when a request of several
objects fails as a whole without saying which one is to blame (400, 409 without per-instance reasons, 413),
each object is sent again alone at once, so only the guilty one fails. A transport failure fails the objects of
that request (retryable); the next request opens a new connection — except when nothing answers at all
(connection refused, TLS refused), then every object not yet tried shares that outcome without waiting for the
same failure again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from smartbox_next.dicom.part10 import ObjectInfo, read_object_info
from smartbox_next.dicomweb.client import ACCEPT_STORE, Answer, WebClient, WebSettings
from smartbox_next.dicomweb.multipart import FileChangedError, MultipartBody
from smartbox_next.dicomweb.response import (
    StoreReport,
    http_error,
    instance_failure,
    instance_warning,
    parse_store_response,
    retry_after_seconds,
)
from smartbox_next.errors import (
    ConfigError,
    ConnectError,
    MediaError,
    NetworkError,
    SmartboxError,
    WebServiceError,
)

LOG = logging.getLogger(__name__)

Outcome = Literal["stored", "warning", "failed"]
_SPLIT = (400, 409, 413)  # request-level failures that may be one object's fault: re-send each alone


@dataclass
class InstanceResult:
    """One file's outcome at one DICOMweb service."""

    path: Path
    outcome: Outcome
    sop_instance_uid: str = ""
    sop_class_uid: str = ""
    transfer_syntax: str = ""
    http_status: int | None = None
    reason: int | None = None  # Warning Reason / Failure Reason of the response module, when given
    error: SmartboxError | None = None
    warning: SmartboxError | None = None
    bytes_sent: int = 0
    retrieve_url: str = ""

    @property
    def ok(self) -> bool:
        return self.outcome != "failed"

    @property
    def retryable(self) -> bool:
        return self.error is not None and self.error.retryable


@dataclass(frozen=True)
class StowProgress:
    """Byte-level progress of one object within a batch (``done``: its outcome is known)."""

    path: Path
    index: int
    count: int
    object_bytes: int
    object_total: int
    batch_bytes: int
    batch_total: int
    done: bool = False
    outcome: str = ""


ProgressCallback = Callable[[StowProgress], None]


def plan_requests(objects: Sequence[ObjectInfo], settings: WebSettings) -> list[list[ObjectInfo]]:
    """Group ``objects`` into requests (in order): small ones together, an object ≥ ``request_bytes`` alone."""
    groups: list[list[ObjectInfo]] = []
    current: list[ObjectInfo] = []
    size = 0
    for obj in objects:
        if obj.size >= settings.request_bytes:
            if current:
                groups.append(current)
                current, size = [], 0
            groups.append([obj])
            continue
        if current and (len(current) >= settings.objects_per_request or size + obj.size > settings.request_bytes):
            groups.append(current)
            current, size = [], 0
        current.append(obj)
        size += obj.size
    if current:
        groups.append(current)
    return groups


class _Batch:
    """Progress bookkeeping of one :func:`stow_files` call."""

    def __init__(self, paths: Sequence[Path], objects: Sequence[ObjectInfo], progress: ProgressCallback | None) -> None:
        self.index = {Path(p): i for i, p in enumerate(paths)}
        self.count = len(paths)
        self.total = sum(o.size for o in objects)
        self.finished = 0
        self.progress = progress

    def bytes_cb(self, group: Sequence[ObjectInfo]) -> Callable[[int, int], None]:
        def cb(i: int, n: int) -> None:
            if self.progress is not None:
                obj = group[i]
                before = sum(o.size for o in group[:i])
                self.progress(StowProgress(obj.path, self.index[obj.path], self.count, n, obj.size, self.total,
                                           self.finished + before + n))
        return cb

    def done(self, result: InstanceResult, size: int) -> None:
        self.finished += size
        if self.progress is not None and result.path in self.index:
            self.progress(StowProgress(result.path, self.index[result.path], self.count, result.bytes_sent,
                                       size, self.total, self.finished, done=True, outcome=result.outcome))


def stow_files(client: WebClient, paths: Sequence[Path], *, progress: ProgressCallback | None = None,
               stop: threading.Event | None = None) -> Iterator[InstanceResult]:
    """Store ``paths`` once (no retries), yielding each file's outcome as its request is answered.

    Never raises for one object's failure. Stops before the next request once ``stop`` is set (the files not
    reported are the caller's to return to the queue).
    """
    objects: list[ObjectInfo] = []
    for path in paths:
        try:
            objects.append(read_object_info(Path(path)))
        except MediaError as exc:
            yield InstanceResult(Path(path), "failed", error=exc)
    batch = _Batch(paths, objects, progress)
    unreachable: SmartboxError | None = None
    for group in plan_requests(objects, client.settings):
        if stop is not None and stop.is_set():
            return
        if unreachable is not None:
            results = [_failed(obj, unreachable) for obj in group]
        else:
            results = list(_post(client, group, batch))
            first = results[0].error if results else None
            if isinstance(first, ConnectError) or (
                    isinstance(first, NetworkError) and first.key == "dicomweb.tls_failed" and not first.retryable):
                unreachable = first
        sizes = {o.path: o.size for o in group}
        for result in results:
            batch.done(result, sizes.get(result.path, 0))
            yield result


def _failed(obj: ObjectInfo, error: SmartboxError, http_status: int | None = None,
            reason: int | None = None) -> InstanceResult:
    return InstanceResult(obj.path, "failed", obj.sop_instance_uid, obj.sop_class_uid, obj.transfer_syntax,
                          http_status=http_status, reason=reason, error=error)


def _post(client: WebClient, group: Sequence[ObjectInfo], batch: _Batch) -> Iterator[InstanceResult]:
    """One request for ``group``; re-sends members alone when the answer blames nobody (see module docstring)."""
    body = MultipartBody.of([o.path for o in group])
    current = [0]
    on_bytes = batch.bytes_cb(group)

    def on_part(i: int, n: int) -> None:
        current[0] = i
        on_bytes(i, n)

    headers = {"Content-Type": body.content_type, "Content-Length": str(body.length), "Accept": ACCEPT_STORE}
    try:
        answer = client.request("POST", "studies", operation="STOW-RS", headers=headers,
                                content=body.chunks(on_part))
    except FileChangedError as exc:
        bad = group[current[0]]
        yield _failed(bad, MediaError("send.file_changed", retryable=True, path=str(bad.path), detail=str(exc)))
        rest = [o for o in group if o is not bad]
        if rest:
            yield from _post(client, rest, batch)
        return
    except (NetworkError, ConfigError) as exc:  # before OSError: ResponseTimeoutError is a TimeoutError too
        LOG.info("%s: STOW-RS of %d object(s) failed: %s", client.peer, len(group), exc.key)
        for obj in group:
            yield _failed(obj, exc)
        return
    except OSError as exc:  # a file vanished or cannot be read: only that request's objects are concerned
        for obj in group:
            yield _failed(obj, MediaError("send.file_changed", retryable=True, path=str(obj.path), detail=str(exc)))
        return
    results = interpret(answer, group, str(client.peer), client.peer.endpoint("studies"), body.length)
    if results is None:
        LOG.info("%s: HTTP %d for %d objects without per-instance reasons: sending each alone", client.peer,
                 answer.status, len(group))
        for obj in group:
            yield from _post(client, [obj], batch)
        return
    stored = sum(1 for r in results if r.ok)
    LOG.info("%s: STOW-RS HTTP %d: %d of %d stored", client.peer, answer.status, stored, len(group))
    sent = {o.path: o.size for o in group}
    for r in results:
        r.bytes_sent = sent.get(r.path, 0)
        yield r


def interpret(answer: Answer, group: Sequence[ObjectInfo], peer: str, url: str,
              body_bytes: int) -> list[InstanceResult] | None:
    """Per-instance outcomes of a store answer (PS3.18 Table 10.5.3-1, Annex I); None: re-send each alone."""
    status = answer.status
    report = parse_store_response(answer.body, answer.content_type) if answer.body else StoreReport()
    if 200 <= status <= 299:
        everything_stored = status != 202
        return [_per_instance(obj, report, status, peer, missing_ok=everything_stored) for obj in group]
    if status == 409 and report.mentions_instances:
        return [_per_instance(obj, report, status, peer, missing_ok=False) for obj in group]
    if status in _SPLIT and len(group) > 1:
        return None
    detail = answer.body[:300].decode("utf-8", "replace").strip() if not report.mentions_instances else ""
    retry_after = retry_after_seconds(answer.retry_after, time.time())
    return [_failed(obj, http_error(status, peer=peer, operation="STOW-RS", url=url, detail=detail,
                                    retry_after=retry_after, location=answer.location, body_bytes=body_bytes,
                                    sop_instance_uid=obj.sop_instance_uid), http_status=status)
            for obj in group]


def _per_instance(obj: ObjectInfo, report: StoreReport, status: int, peer: str, *, missing_ok: bool) -> InstanceResult:
    uid = obj.sop_instance_uid
    failed = report.failed.get(uid)
    if failed is not None:
        error = instance_failure(failed.reason, peer=peer, sop_instance_uid=uid, transfer_syntax=obj.transfer_syntax,
                                 http_status=status)
        return _failed(obj, error, status, failed.reason)
    ref = report.referenced.get(uid)
    if ref is None and not missing_ok:
        return _failed(obj, WebServiceError("dicomweb.not_reported", retryable=True, peer=peer, http_status=status,
                                            sop_instance_uid=uid), status)
    result = InstanceResult(obj.path, "stored", uid, obj.sop_class_uid, obj.transfer_syntax, http_status=status,
                            retrieve_url=(ref.retrieve_url if ref else "") or report.retrieve_url)
    if ref is not None and ref.reason is not None:
        result.outcome, result.reason = "warning", ref.reason
        result.warning = instance_warning(ref.reason, peer=peer, sop_instance_uid=uid, http_status=status)
        LOG.warning("%s", result.warning)
    return result
