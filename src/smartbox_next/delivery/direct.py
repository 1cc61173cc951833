"""Deliver objects to one or many destinations: retries per :mod:`smartbox_next.delivery.retry`, one worker per peer.

- :func:`collect_paths` expands files and folders (recursive, sorted); what is not DICOM is reported by
  :func:`~smartbox_next.net.store.store_files` as a failed, non-retryable outcome, not fatal for the rest.
- :func:`deliver` sends a batch to one peer and re-sends only the objects whose failure is retryable
  (``exc.retryable``: A7xx, transient rejection, abort, timeout), with exponential backoff and jitter, until
  the policy gives up.
- :func:`send_to_many` runs :func:`deliver` for every peer at once, one thread each (DESIGN "boring
  concurrency"), or one process each for ``smartbox send`` (:mod:`.forked`): a failure at one destination never
  stops the others.

A peer is a DIMSE one (C-STORE, :func:`~smartbox_next.net.store.store_files`) or a DICOMweb one (STOW-RS,
:func:`~smartbox_next.delivery.dicomweb.store_web`, one kept-alive connection across the retries).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from smartbox_next.config import Config
from smartbox_next.delivery.retry import RetryPolicy
from smartbox_next.delivery.video import Reencoder
from smartbox_next.dicom.peer import Peer
from smartbox_next.dicom.webpeer import WebPeer
from smartbox_next.errors import NetworkError, SmartboxError
from smartbox_next.net.link import LinkSettings
from smartbox_next.net.store import BatchResult, FileResult, Outcome, ProgressCallback, store_files

LOG = logging.getLogger(__name__)

AnyPeer = Peer | WebPeer


@dataclass(frozen=True)
class Retry:
    """A retry about to happen: attempt ``attempt`` of ``max_attempts`` failed for ``objects`` objects (the
    first one's ``error``); the next attempt starts in ``wait`` seconds."""

    peer: AnyPeer
    attempt: int
    max_attempts: int
    wait: float
    objects: int
    error: SmartboxError


RetryCallback = Callable[[Retry], None]


def collect_paths(items: Iterable[Path]) -> list[Path]:
    """Files as given, folders expanded recursively (sorted); hidden files inside folders are skipped."""
    out: list[Path] = []
    for item in items:
        item = Path(item)
        if item.is_dir():
            out += sorted(p for p in item.rglob("*")
                          if p.is_file() and not any(part.startswith(".") for part in p.relative_to(item).parts))
        else:
            out.append(item)
    return list(dict.fromkeys(out))


def deliver(config: Config, peer: AnyPeer, paths: Sequence[Path], *, progress: ProgressCallback | None = None,
            policy: RetryPolicy | None = None, on_retry: RetryCallback | None = None,
            sleep: Callable[[float], None] = time.sleep,
            clock: Callable[[], float] = time.monotonic) -> BatchResult:
    """Send ``paths`` to ``peer``, retrying the retryable failures per ``policy`` (default: the configured one)."""
    policy = policy or RetryPolicy.from_config(config.retry)
    if isinstance(peer, WebPeer):
        # the DICOMweb client loads httpx and pydicom: only for a DICOMweb peer (a C-STORE send loads neither)
        from smartbox_next.delivery.dicomweb import client_for, store_web

        client = client_for(config, peer)
        try:
            return _retrying(peer, paths, lambda todo: store_web(peer, client, todo, progress=progress), policy,
                             on_retry, sleep, clock)
        finally:
            client.close()
    transcoder = Reencoder(config)
    settings = LinkSettings.of(config.station, config.network)
    dimse = peer
    return _retrying(peer, paths, lambda todo: store_files(settings, dimse, todo, progress=progress,
                                                           transcoder=transcoder), policy, on_retry, sleep, clock)


def _retrying(peer: AnyPeer, paths: Sequence[Path], once: Callable[[list[Path]], BatchResult], policy: RetryPolicy,
              on_retry: RetryCallback | None, sleep: Callable[[float], None],
              clock: Callable[[], float]) -> BatchResult:
    start = clock()
    results: dict[Path, FileResult] = {}
    pending = [Path(p) for p in paths]
    attempt = 0
    while pending:
        attempt += 1
        batch = once(pending)
        for r in batch.results:
            results[r.path] = r
        again = [r for r in batch.results if r.outcome is Outcome.FAILED and r.retryable]
        if not again:
            break
        assert again[0].error is not None
        wait = policy.next_delay(again[0].error, attempt, clock() - start)
        if wait is None:
            break
        LOG.info("%s: %d object(s) to retry in %.1f s (attempt %d failed: %s)", peer, len(again), wait, attempt,
                 again[0].error.key)
        if on_retry is not None:
            on_retry(Retry(peer, attempt, policy.max_attempts, wait, len(again), again[0].error))
        sleep(wait)
        pending = [r.path for r in again]
    return BatchResult(peer=peer, results=[results[Path(p)] for p in paths], seconds=clock() - start,
                       attempts=attempt)


def send_to_many(config: Config, peers: Sequence[AnyPeer], paths: Sequence[Path], *,
                 progress: ProgressCallback | None = None, policy: RetryPolicy | None = None,
                 on_retry: RetryCallback | None = None,
                 sleep: Callable[[float], None] = time.sleep, processes: bool = False) -> list[BatchResult]:
    """Deliver ``paths`` to every peer in parallel; results in ``peers`` order.

    One worker thread per peer, or with ``processes`` (``smartbox send``, a single-threaded process) one worker
    process per peer when there are several (:mod:`smartbox_next.delivery.forked`: the GIL costs threads up
    to 40 % with large objects).
    """
    if processes and len(peers) > 1:
        from smartbox_next.delivery.forked import deliver_in_processes

        def one(peer: AnyPeer, each: ProgressCallback | None, retried: Callable[[Retry], None] | None) -> BatchResult:
            return deliver(config, peer, paths, progress=each, policy=policy, on_retry=retried, sleep=sleep)

        return deliver_in_processes(one, peers, paths, progress=progress, on_retry=on_retry)
    results: list[BatchResult | None] = [None] * len(peers)

    def work(i: int, peer: AnyPeer) -> None:
        try:
            results[i] = deliver(config, peer, paths, progress=progress, policy=policy, on_retry=on_retry,
                                 sleep=sleep)
        except Exception as exc:  # a bug must not take the other destinations down
            LOG.exception("sending to %s failed unexpectedly", peer)
            error = NetworkError("net.aborted", retryable=True, peer=str(peer), operation="send",
                                 source=type(exc).__name__)
            results[i] = BatchResult.failed(peer, paths, error)

    if len(peers) == 1:
        work(0, peers[0])
    else:
        threads = [threading.Thread(target=work, args=(i, p), name=f"send-{p.name or p}", daemon=True)
                   for i, p in enumerate(peers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    return [r for r in results if r is not None]
