"""The station's durable state, opened for a use case: outbox, worklist cache, exam journals, reconciliation.

Every path comes from :class:`~smartbox_next.spool.paths.StationPaths` (``station.data_dir``); the CLI and
the web UI call these instead of computing a file name.
"""

from __future__ import annotations

from collections.abc import Sequence

from smartbox_next.config import Config
from smartbox_next.exam.journal import resume_exam
from smartbox_next.exam.model import Exam
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
