"""Several destinations at once, one worker *process* each (issue 13, item 4): ``smartbox send --to a --to b``.

Threads share one GIL, and every PDU of a large object is two system calls that drop and retake it: three
destinations in one process cost 2.5–2.7× one destination for a 500 MB object, three processes 1.9× (DCMTK's
three storescu: 2.2–2.8×; ``bench/store.py``). So :func:`deliver_in_processes` forks one child per destination
that runs the caller's delivery (:func:`smartbox_next.delivery.direct.deliver`: the same retries, the same
results) and sends what it
reports back over a pipe: progress events, retries, and at the end its :class:`BatchResult`. The parent calls
the caller's callbacks from one reader thread per child, as the worker threads did.

* **Fork only a single-threaded process** (the CLI before its first thread): a lock held by another thread at
  the fork would stay locked in the child for ever. A caller with threads gets a RuntimeError, not a hang.
* **A child never outlives its parent**: it asks the kernel for SIGKILL when the parent dies
  (``PR_SET_PDEATHSIG``), and checks the parent once more after asking (it may have died in between). Ctrl-C
  reaches the whole process group: a child ends quietly, the parent stops the rest and re-raises.
* **A child that dies without a result** (killed, a crash) is that destination's failure — every object failed
  and retryable, naming the exit code — never a lost destination or a hang.
* Standard streams are flushed before the fork, so that nothing buffered in the parent is written twice.
"""

from __future__ import annotations

import ctypes
import logging
import multiprocessing
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from smartbox_next.errors import NetworkError
from smartbox_next.net.store import BatchResult, ProgressCallback

LOG = logging.getLogger(__name__)
PR_SET_PDEATHSIG = 1  # prctl(2)


Deliver = Callable[[Any, ProgressCallback | None, Callable[[Any], None] | None], BatchResult]
"""One destination's whole delivery: (peer, progress callback, retry callback) -> its result."""


def deliver_in_processes(deliver: Deliver, peers: Sequence[Any], paths: Sequence[Path], *,
                         progress: ProgressCallback | None = None,
                         on_retry: Callable[[Any], None] | None = None) -> list[BatchResult]:
    """``deliver`` (:func:`smartbox_next.delivery.direct.deliver` with its settings) for every peer in a child
    process each; results in ``peers`` order (module docstring). Raises RuntimeError when the calling process
    runs other threads."""
    if threading.active_count() > 1:
        raise RuntimeError("deliver_in_processes forks: the calling process must run no other thread "
                           f"(it runs {threading.active_count()})")
    sys.stdout.flush()
    sys.stderr.flush()
    context = multiprocessing.get_context("fork")
    children: list[tuple[Any, Connection]] = []
    try:
        for peer in peers:
            reader, writer = context.Pipe(duplex=False)
            child = context.Process(target=_child, args=(writer, os.getpid(), deliver, peer, list(paths),
                                                         progress is not None, on_retry is not None),
                                    name=f"send-{peer}", daemon=True)
            child.start()
            writer.close()
            children.append((child, reader))
        results: list[BatchResult | None] = [None] * len(peers)

        def pump(i: int, reader: Connection) -> None:
            while True:
                try:
                    kind, value = reader.recv()
                except (EOFError, OSError):
                    return
                if kind == "progress" and progress is not None:
                    progress(value)
                elif kind == "retry" and on_retry is not None:
                    on_retry(value)
                elif kind == "done":
                    results[i] = value

        readers = [threading.Thread(target=pump, args=(i, reader), name=f"send-events-{i}", daemon=True)
                   for i, (_child_process, reader) in enumerate(children)]
        for t in readers:
            t.start()
        for t in readers:
            t.join()
        out = []
        for i, (child, _reader) in enumerate(children):
            child.join()
            result = results[i]
            if result is None:
                # INFO: the operator reads it as the destination's bilingual error (net.worker_ended)
                LOG.info("the worker for %s ended without a result (exit code %s)", peers[i], child.exitcode)
                result = BatchResult.failed(peers[i], paths, NetworkError(
                    "net.worker_ended", retryable=True, peer=str(peers[i]), code=child.exitcode))
            out.append(result)
        return out
    finally:
        for child, reader in children:
            if child.is_alive():
                child.kill()
            child.join(5)
            reader.close()


def _die_with(parent: int) -> None:
    """SIGKILL when the parent dies (Linux prctl), and end now if it already has."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    if os.getppid() != parent:
        os._exit(1)


def _child(writer: Connection, parent: int, deliver: Deliver, peer: Any, paths: list[Path], want_progress: bool,
           want_retries: bool) -> None:
    _die_with(parent)
    try:
        result = deliver(peer, (lambda ev: writer.send(("progress", ev))) if want_progress else None,
                         (lambda retry: writer.send(("retry", retry))) if want_retries else None)
    except KeyboardInterrupt:  # Ctrl-C reached the whole process group: the parent reports it
        os._exit(130)
    except Exception as exc:  # a bug must not take the other destinations down (as with threads)
        LOG.exception("sending to %s failed unexpectedly", peer)
        result = BatchResult.failed(peer, paths, NetworkError("net.aborted", retryable=True, peer=str(peer),
                                                              operation="send", source=type(exc).__name__))
    writer.send(("done", result))
    writer.close()
