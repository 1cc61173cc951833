"""The station's durable state, opened for a use case: outbox, worklist cache, exam journals, reconciliation.

Every path comes from :class:`~smartbox_next.spool.paths.StationPaths` (``station.data_dir``); the CLI and
the web UI call these instead of computing a file name.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from smartbox_next.config import Config
from smartbox_next.dicom.uid import is_valid_uid
from smartbox_next.exam.journal import resume_exam, study_override
from smartbox_next.exam.model import Exam, IdentityOverride
from smartbox_next.spool.outbox import Outbox
from smartbox_next.spool.paths import StationPaths
from smartbox_next.spool.reconcile import Reconciled, reconcile
from smartbox_next.worklist.cache import WorklistCache


def paths(config: Config) -> StationPaths:
    return StationPaths.of(config.station)


def open_outbox(config: Config) -> Outbox:
    """The station's outbox (refuses a damaged database, never starts empty over it)."""
    return Outbox(paths(config).outbox)


def worklist_cache(config: Config) -> WorklistCache:
    """The offline copy of the last worklist answers."""
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
