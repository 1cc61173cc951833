"""Is this the station's outbox? A lost or replaced database is told from a first start.

The spool holds a marker (``<spool>/.outbox-id``) naming the database that queues its objects. Opening the
outbox when the database is missing or empty (0 bytes) while the spool has objects or a marker — a deleted
file, a full disk that truncated it, a restore gone wrong — is refused: treating it as new would re-send
every spooled object with nothing but a log line to show for it (issue 17, item 7). A database whose identity
differs from the marker (another station's, or a restore of an unrelated one) is refused the same way.
``smartbox queue rebuild`` (:func:`smartbox_next.app.station.rebuild_outbox`) is the explicit way out.
"""

from __future__ import annotations

from pathlib import Path

from smartbox_next.atomic import atomic_file
from smartbox_next.errors import OutboxError
from smartbox_next.spool.files import spool_files
from smartbox_next.spool.outbox import Outbox
from smartbox_next.spool.paths import StationPaths

MARKER = ".outbox-id"


def marker_path(paths: StationPaths) -> Path:
    return paths.spool / MARKER


def database_present(paths: StationPaths) -> bool:
    db = paths.outbox
    return db.exists() and db.stat().st_size > 0


def check_before_open(paths: StationPaths) -> None:
    """Refuse to create a database where one was lost (raises OutboxError ``outbox.lost``); touches nothing."""
    if database_present(paths):
        return
    objects = len(spool_files(paths.spool))
    if objects or marker_path(paths).exists():
        raise OutboxError("outbox.lost", path=str(paths.outbox), objects=objects)


def check_after_open(paths: StationPaths, outbox: Outbox) -> None:
    """The opened database must be the one the spool names; a spool without a marker gets one now."""
    marker = marker_path(paths)
    identity = outbox.database_id()
    if marker.exists():
        named = marker.read_text("ascii", errors="replace").strip()
        if named != identity:
            raise OutboxError("outbox.replaced", path=str(paths.outbox), objects=len(spool_files(paths.spool)))
        return
    write_marker(paths, identity)


def write_marker(paths: StationPaths, identity: str) -> None:
    with atomic_file(marker_path(paths)) as fh:
        fh.write(identity.encode("ascii"))
