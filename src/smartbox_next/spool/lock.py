"""One service per data folder: ``serve`` (and the station) hold an exclusive lock for their whole life.

Two services on one folder would each reset the other's in-flight jobs to queued at start-up and send them
again (issue 17, item 3). The lock is an ``flock`` on ``<data>/service.lock``, released by the kernel when the
process ends — also after ``kill -9`` — so a crash never leaves a stale lock. The file names the holder's PID.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from types import TracebackType

from smartbox_next.errors import OutboxError


class ServiceLock:
    """``with ServiceLock(path):`` — raises OutboxError ``outbox.already_serving`` when another process holds it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "?"
            os.close(fd)
            raise OutboxError("outbox.already_serving", pid=holder, folder=str(self.path.parent)) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing drops the flock
            self._fd = None

    def __enter__(self) -> ServiceLock:
        self.acquire()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.release()
