"""Atomic file writes: temp file in the target folder, fsync, rename, fsync the folder.

Files are created private to the user (0600: the spool, journals and caches hold patient data); objects for a
folder the operator chose get the umask's mode afterwards (:func:`share_as_umask_allows`).
A reader never sees a half-written file, and a crash leaves at most a hidden ``.tmp`` file behind
(DESIGN principle 4: the disk is the truth). The writer holds an exclusive ``flock`` on its temp file until
the rename, so cleanup in another process can tell a live write from a crashed one (:func:`is_being_written`).
The base of every durable write: objects (``iod.writer``), the spool, the exam journal and the worklist cache.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from smartbox_next.errors import InputError
from smartbox_next.messages import os_reason

TMP_SUFFIX = ".tmp"


def fsync_dir(folder: Path) -> None:
    """Make a rename in ``folder`` durable."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _locked_temp(path: Path) -> tuple[int, str]:
    """A new temp file next to ``path``, exclusively locked by us ("somebody is writing this").

    Cleanup in another process deletes only unlocked temp files; between creating the file and locking it that
    cleanup could take it, so after locking we check that the path still names our file, else start again.
    """
    while True:
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TMP_SUFFIX, dir=path.parent)
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            if os.stat(name).st_ino == os.fstat(fd).st_ino:
                return fd, name
        except FileNotFoundError:
            pass
        os.close(fd)


@contextlib.contextmanager
def atomic_file(path: Path, *, durable: bool = True) -> Iterator[BinaryIO]:
    """Open a temp file next to ``path``; on success it is fsynced and renamed to ``path``."""
    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = _locked_temp(path)
    except OSError as exc:
        raise InputError("input.output_unwritable", path=str(folder), detail=os_reason(exc)) from None
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            if durable:
                os.fsync(fh.fileno())
        os.replace(tmp, path)
        if durable:
            fsync_dir(folder)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if isinstance(exc, OSError):
            raise InputError("input.output_unwritable", path=str(path), detail=os_reason(exc)) from None
        raise


def write_with(writer: Callable[[BinaryIO], None], path: Path, *, durable: bool = True) -> Path:
    """Atomically write whatever ``writer`` writes to the file object it is given."""
    with atomic_file(path, durable=durable) as fh:
        writer(fh)
    return path


def current_umask() -> int:
    """The process's umask, read without changing it (``/proc/self/status``; elsewhere set and restored)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o077)
    os.umask(mask)
    return mask


def share_as_umask_allows(path: Path) -> None:
    """Give a file written by :func:`atomic_file` (always created 0600, private) the mode an ordinary new file of
    the user gets (``0666 & ~umask``): for objects written to a folder the operator chose (``create --out``)."""
    try:
        os.chmod(path, 0o666 & ~current_umask())
    except OSError as exc:
        raise InputError("input.output_unwritable", path=str(path), detail=os_reason(exc)) from None


def is_being_written(path: Path) -> bool:
    """True while another process (or thread) holds the temp file ``path`` open in :func:`atomic_file`."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False
