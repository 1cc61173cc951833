"""The spool folder: free-space guard, the complete objects in it, and leftovers of interrupted writes.

Objects get into the spool by :mod:`smartbox_next.atomic` writes only, so a file named ``*.dcm`` is complete.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path

from smartbox_next.atomic import TMP_SUFFIX, is_being_written
from smartbox_next.errors import SpoolFullError


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
    """Complete objects in the spool (temp files of interrupted writes are not objects).

    Tolerates files and folders that appear or vanish during the scan (an export or a purge running at once).
    """
    found: list[Path] = []
    for folder, _dirs, names in os.walk(spool_dir, onerror=lambda exc: None):
        found += [Path(folder) / n for n in names if n.endswith(".dcm") and not n.startswith(".")]
    return sorted(p for p in found if p.is_file() and not p.is_symlink())


def remove_stale_temp_files(spool_dir: Path) -> int:
    """Delete ``.tmp`` leftovers of writes interrupted by a crash; they never became objects.

    A temp file another live process is still writing (it holds the file's lock, :mod:`smartbox_next.atomic`)
    is never touched.
    """
    count = 0
    for folder, _dirs, names in os.walk(spool_dir, onerror=lambda exc: None):
        for name in names:
            tmp = Path(folder) / name
            if not name.endswith(TMP_SUFFIX) or tmp.is_symlink():
                continue
            with contextlib.suppress(OSError):
                if is_being_written(tmp):
                    continue
                tmp.unlink()
                count += 1
    return count
