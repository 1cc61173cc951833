"""The station's durable state, opened for a use case: outbox, worklist cache, exam journals, reconciliation.

Every path comes from :class:`~smartbox_next.spool.paths.StationPaths` (``station.data_dir``); the CLI and
the web UI call these instead of computing a file name.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from smartbox_next.config import Config
from smartbox_next.dicom.uid import is_valid_uid
from smartbox_next.exam.journal import resume_exam, study_override
from smartbox_next.exam.model import Exam, IdentityOverride
from smartbox_next.spool.files import spool_files
from smartbox_next.spool.guard import check_after_open, check_before_open, marker_path, write_marker
from smartbox_next.spool.lock import ServiceLock
from smartbox_next.spool.outbox import Outbox
from smartbox_next.spool.paths import StationPaths
from smartbox_next.spool.reconcile import Reconciled, reconcile

if TYPE_CHECKING:  # the worklist (pydicom) only for the commands that use it
    from smartbox_next.worklist.cache import WorklistCache


def paths(config: Config) -> StationPaths:
    """The station's files; the data folder exists (0700) when this returns."""
    return StationPaths.of(config.station).prepare()


def open_outbox(config: Config) -> Outbox:
    """The station's outbox: refuses a damaged database, and a lost or replaced one (never starts empty over it;
    :mod:`smartbox_next.spool.guard`)."""
    station = paths(config)
    check_before_open(station)
    outbox = Outbox(station.outbox)
    try:
        check_after_open(station, outbox)
    except BaseException:
        outbox.close()
        raise
    return outbox


@dataclass(frozen=True)
class RebuildPlan:
    """What ``queue rebuild`` does: which objects of the spool go out again, to which destinations."""

    objects: int
    destinations: tuple[str, ...]
    moved_aside: Path | None = None  # where the old database went (when rebuilt)


def rebuild_outbox(config: Config, destinations: Sequence[str], *, confirm: bool) -> RebuildPlan:
    """A new outbox for the spool, every spooled object queued again for ``destinations``.

    Without ``confirm`` only says what it would do. With it, the old database file (missing, empty, damaged or
    another one) is moved aside — never deleted — and every object in the spool is queued for every destination:
    objects a destination already has arrive there again, with the same SOP Instance UID.
    """
    station = paths(config)
    plan = RebuildPlan(objects=len(spool_files(station.spool)), destinations=tuple(destinations))
    if not confirm:
        return plan
    moved = None
    if station.outbox.exists():
        moved = station.outbox.with_name(f"{station.outbox.name}.lost-{time.strftime('%Y%m%d-%H%M%S')}")
        for suffix in ("", "-wal", "-shm"):
            old = Path(f"{station.outbox}{suffix}")
            if old.exists():
                os.replace(old, Path(f"{moved}{suffix}"))
    marker_path(station).unlink(missing_ok=True)
    outbox = Outbox(station.outbox)
    try:
        write_marker(station, outbox.database_id())
        reconcile(station.spool, outbox, destinations)
    finally:
        outbox.close()
    return replace(plan, moved_aside=moved)


def worklist_cache(config: Config) -> WorklistCache:
    """The offline copy of the last worklist answers."""
    from smartbox_next.worklist.cache import WorklistCache

    return WorklistCache(paths(config).worklist_cache)


def continue_exam(config: Config, exam: Exam) -> Exam:
    """The exam continued from earlier runs for the same study (journal), or recorded now."""
    return resume_exam(paths(config).exams, exam, config.uid.root)


def reconcile_station(config: Config, outbox: Outbox, destinations: Sequence[str]) -> Reconciled:
    """Start-up reconciliation of the station's spool with its outbox."""
    return reconcile(paths(config).spool, outbox, destinations)


def identity_override_of(config: Config, spooled: Path) -> IdentityOverride | None:
    """The identity override (``--override-worklist``) recorded for the study of a spooled object, if any.

    ``smartbox queue show`` tells it; the object's Study Instance UID is read from its header only.
    """
    import pydicom

    try:
        ds = pydicom.dcmread(spooled, stop_before_pixels=True, specific_tags=["StudyInstanceUID"])
    except (OSError, ValueError, pydicom.errors.InvalidDicomError):
        return None
    uid = str(ds.get("StudyInstanceUID", ""))
    return study_override(paths(config).exams, uid) if is_valid_uid(uid) else None


def service_lock(config: Config) -> ServiceLock:
    """The lock that makes a ``serve`` (or station) the only service of this data folder (hold it for life)."""
    return ServiceLock(paths(config).service_lock)
