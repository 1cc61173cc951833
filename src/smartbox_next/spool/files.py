"""Atomic writes of DICOM files: temp file in the target folder, fsync, rename, fsync the folder.

A reader never sees a half-written object, and a crash leaves at most a ``.tmp`` file behind
(DESIGN principle 4: the disk is the truth).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from pydicom.dataset import Dataset

from smartbox_next.errors import InputError, SpoolFullError

TMP_SUFFIX = ".tmp"


def fsync_dir(folder: Path) -> None:
    """Make a rename in ``folder`` durable."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_file(path: Path, *, durable: bool = True) -> Iterator[BinaryIO]:
    """Open a temp file next to ``path``; on success it is fsynced and renamed to ``path``."""
    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TMP_SUFFIX, dir=folder)
    except OSError as exc:
        raise InputError("input.output_unwritable", path=str(folder), detail=exc.strerror or str(exc)) from None
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
            raise InputError("input.output_unwritable", path=str(path), detail=exc.strerror or str(exc)) from None
        raise


def write_dataset(ds: Dataset, path: Path, *, durable: bool = True) -> Path:
    """Write ``ds`` (with file meta) atomically to ``path`` (PS3.10 file format)."""
    with atomic_file(path, durable=durable) as fh:
        ds.save_as(fh, enforce_file_format=True)
    return path


def write_with(writer: Callable[[BinaryIO], None], path: Path, *, durable: bool = True) -> Path:
    """Atomically write whatever ``writer`` writes to the file object it is given."""
    with atomic_file(path, durable=durable) as fh:
        writer(fh)
    return path


def free_mb(folder: Path) -> int:
    """Free space (MB) on the file system holding ``folder`` (or its nearest existing parent)."""
    probe = folder
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    return int(shutil.disk_usage(probe).free // (1024 * 1024))


def check_free_space(folder: Path, min_free_mb: int, needed_bytes: int = 0) -> None:
    """Refuse a new capture before the disk fills (raises SpoolFullError; writes nothing)."""
    free = free_mb(folder)
    needed = min_free_mb + (needed_bytes + 1024 * 1024 - 1) // (1024 * 1024)
    if free < needed:
        raise SpoolFullError("outbox.spool_full", free_mb=free, needed_mb=needed)


def spool_files(spool_dir: Path) -> list[Path]:
    """Complete objects in the spool (temp files of interrupted writes are not objects)."""
    if not spool_dir.exists():
        return []
    return sorted(p for p in spool_dir.rglob("*.dcm") if p.is_file())


def remove_stale_temp_files(spool_dir: Path) -> int:
    """Delete ``.tmp`` leftovers of writes interrupted by a crash; they never became objects."""
    count = 0
    if spool_dir.exists():
        for tmp in spool_dir.rglob(f"*{TMP_SUFFIX}"):
            with contextlib.suppress(OSError):
                tmp.unlink()
                count += 1
    return count
