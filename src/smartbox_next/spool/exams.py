"""Exams and the objects created in them, kept in the outbox database (tables ``exams``, ``exam_objects``).

An exam is one Performed Procedure Step of one patient (PS3.3 B.17, PS3.4 F.7): it starts ``in_progress``, every
capture of it is recorded here in the same transaction that queues it for delivery, and it ends once —
``completed`` or ``discontinued`` (PS3.4 F.7.2.2.2: nothing is added after the final state). Keeping exams in the
outbox database makes "the exam ended" and "its final MPPS message is queued" one transaction, so a crash never
leaves one without the other.

Like the outbox, this module knows no DICOM objects: an exam is its id, state, PPS SOP Instance UID, Study
Instance UID, times and an opaque JSON ``data`` document that the use case (:mod:`smartbox_next.app.exams`)
writes and reads; objects are UIDs and paths.
"""

from __future__ import annotations

import json
import re
import secrets
import sqlite3
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from smartbox_next.errors import InputError
from smartbox_next.messages import Bilingual
from smartbox_next.spool.outbox import Outbox


class ExamState(StrEnum):
    """Where an exam is in its life cycle (the PPS status it reports, PS3.3 C.4.14 (0040,0252))."""

    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    DISCONTINUED = "discontinued"


ENDED = (ExamState.COMPLETED, ExamState.DISCONTINUED)

STATE_TEXT: dict[ExamState, Bilingual] = {
    ExamState.IN_PROGRESS: Bilingual("in progress", "läuft"),
    ExamState.COMPLETED: Bilingual("completed", "abgeschlossen"),
    ExamState.DISCONTINUED: Bilingual("discontinued", "abgebrochen"),
}
"""An exam state as a message parameter, in the operator's language."""

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base 32: no I, L, O, U (read aloud, typed by hand)
EXAM_ID = re.compile(r"^E[0-9]{6}-[0-9A-HJKMNP-TV-Z]{4}$")


def new_exam_id(now: float | None = None) -> str:
    """``E<YYMMDD>-<4 random characters>``, e.g. ``E250612-7K3Q``: short enough to type, also used as the
    Performed Procedure Step ID (SH, 16 characters)."""
    day = time.strftime("%y%m%d", time.localtime(time.time() if now is None else now))
    return f"E{day}-{''.join(secrets.choice(_ALPHABET) for _ in range(4))}"


def check_exam_id(value: str) -> str:
    """``value`` if it has the form of an exam id (it is about to be looked up), else InputError ``exam.bad_id``."""
    if not EXAM_ID.match(value):
        raise InputError("exam.bad_id", value=value)
    return value


@dataclass(frozen=True)
class ExamRecord:
    """One exam as stored."""

    id: str
    state: ExamState
    pps_uid: str
    study_uid: str
    data: dict[str, Any]
    started: float
    ended: float | None
    reason: str | None  # the discontinuation reason's code value (CID 9300), if one was given
    updated: float

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> ExamRecord:
        try:
            data = json.loads(row["data"])
        except (TypeError, ValueError):
            data = None
        if not isinstance(data, dict):
            raise InputError("exam.record_damaged", exam=row["id"])
        return cls(row["id"], ExamState(row["state"]), row["pps_uid"], row["study_uid"], data, row["started"],
                   row["ended"], row["reason"], row["updated"])


@dataclass(frozen=True)
class ExamObject:
    """One object created in an exam (a row of ``exam_objects``)."""

    sop_instance_uid: str
    sop_class_uid: str
    series_uid: str
    path: Path
    created: float


Also = Callable[[sqlite3.Connection], None]  # more writes in the same transaction (e.g. queueing a message)


class ExamIdTaken(ValueError):
    """The exam id drawn exists already (32**4 ids per day: rare); draw another."""


class ExamStore:
    """The exam tables of the station's outbox database (thread-safe like the outbox: one connection per thread)."""

    def __init__(self, outbox: Outbox, *, clock: Callable[[], float] = time.time) -> None:
        self.outbox = outbox
        self._clock = clock

    # ---------------------------------------------------------------- writing

    def create(self, exam_id: str, *, pps_uid: str, study_uid: str, data: dict[str, Any],
               also: Callable[[sqlite3.Connection], None] | None = None) -> ExamRecord:
        """A new exam ``in_progress`` under ``exam_id``; ``also(conn)`` runs in the same transaction (its first
        messages). Raises :class:`ExamIdTaken` when the id exists already (the caller draws another)."""
        now = self._clock()
        text = json.dumps(data, ensure_ascii=False, sort_keys=True)
        with self.outbox.transaction() as conn:
            if conn.execute("SELECT 1 FROM exams WHERE id=?", (exam_id,)).fetchone() is not None:
                raise ExamIdTaken(exam_id)
            conn.execute("INSERT INTO exams (id, state, pps_uid, study_uid, data, started, updated) "
                         "VALUES (?,?,?,?,?,?,?)", (exam_id, ExamState.IN_PROGRESS.value, pps_uid, study_uid,
                                                    text, now, now))
            if also is not None:
                also(conn)
        return self.get(exam_id)

    def recorder(self, exam_id: str, obj: ExamObject) -> Also:
        """The write that records ``obj`` in exam ``exam_id`` — for :meth:`Outbox.enqueue`'s ``also``, so the object
        is queued and recorded in one transaction. Raises InputError ``exam.not_in_progress`` (in that
        transaction, which is then rolled back) when the exam has ended meanwhile."""

        def record(conn: sqlite3.Connection) -> None:
            self._require_in_progress(conn, exam_id)
            conn.execute("INSERT OR IGNORE INTO exam_objects (sop_instance_uid, exam_id, sop_class_uid, series_uid, "
                         "path, created) VALUES (?,?,?,?,?,?)",
                         (obj.sop_instance_uid, exam_id, obj.sop_class_uid, obj.series_uid, str(obj.path),
                          obj.created))
            conn.execute("UPDATE exams SET updated=? WHERE id=?", (self._clock(), exam_id))

        return record

    def adopt(self, pps_uid: str, obj: ExamObject) -> str | None:
        """Record ``obj`` — a spooled object that references the step ``pps_uid`` but was never recorded (a crash
        between its write and its queueing) — in that exam, if it is still in progress; returns the exam id."""
        with self.outbox.transaction() as conn:
            row = conn.execute("SELECT id, state FROM exams WHERE pps_uid=?", (pps_uid,)).fetchone()
            if row is None or row["state"] != ExamState.IN_PROGRESS.value:
                return None
            conn.execute("INSERT OR IGNORE INTO exam_objects (sop_instance_uid, exam_id, sop_class_uid, series_uid, "
                         "path, created) VALUES (?,?,?,?,?,?)",
                         (obj.sop_instance_uid, row["id"], obj.sop_class_uid, obj.series_uid, str(obj.path),
                          obj.created))
            return str(row["id"])

    def end(self, exam_id: str, state: ExamState, *, reason: str | None = None,
            also: Callable[[sqlite3.Connection, ExamRecord, list[ExamObject]], None] | None = None) -> ExamRecord:
        """Set the final state (once: InputError ``exam.not_in_progress`` otherwise).

        ``also(conn, record, objects)`` runs in the same transaction with the exam as it was and every object
        created in it (to queue the final MPPS message with exactly that list).
        """
        if state not in ENDED:
            raise ValueError(f"{state} is not a final state")
        now = self._clock()
        with self.outbox.transaction() as conn:
            record = self._require_in_progress(conn, exam_id)
            conn.execute("UPDATE exams SET state=?, ended=?, reason=?, updated=? WHERE id=?",
                         (state.value, now, reason, now, exam_id))
            if also is not None:
                also(conn, record, self._objects(conn, exam_id))
        return self.get(exam_id)

    def update(self, exam_id: str, values: dict[str, Any]) -> ExamRecord:
        """Merge ``values`` into the ``data`` document of an exam in progress (InputError ``exam.not_in_progress``
        once it has ended: its objects and final messages are fixed)."""
        with self.outbox.transaction() as conn:
            record = self._require_in_progress(conn, exam_id)
            text = json.dumps({**record.data, **values}, ensure_ascii=False, sort_keys=True)
            conn.execute("UPDATE exams SET data=?, updated=? WHERE id=?", (text, self._clock(), exam_id))
        return self.get(exam_id)

    def forget(self, exam_id: str, sop_instance_uid: str) -> ExamObject:
        """Take an object out of an exam in progress again (the operator deleted it before it was sent).

        Refused (InputError ``exam.object_queued``) once a job exists for it: what may have reached a destination
        stays in the exam. Returns the row, so :meth:`recorder` can put it back (undo).
        """
        with self.outbox.transaction() as conn:
            self._require_in_progress(conn, exam_id)
            row = conn.execute("SELECT * FROM exam_objects WHERE exam_id=? AND sop_instance_uid=?",
                               (exam_id, sop_instance_uid)).fetchone()
            if row is None:
                raise InputError("exam.unknown_object", exam=exam_id, uid=sop_instance_uid)
            if conn.execute("SELECT 1 FROM jobs WHERE sop_instance_uid=? LIMIT 1",
                            (sop_instance_uid,)).fetchone() is not None:
                raise InputError("exam.object_queued", exam=exam_id, uid=sop_instance_uid)
            conn.execute("DELETE FROM exam_objects WHERE sop_instance_uid=?", (sop_instance_uid,))
            conn.execute("UPDATE exams SET updated=? WHERE id=?", (self._clock(), exam_id))
        return ExamObject(row["sop_instance_uid"], row["sop_class_uid"], row["series_uid"], Path(row["path"]),
                          row["created"])

    def _require_in_progress(self, conn: sqlite3.Connection, exam_id: str) -> ExamRecord:
        row = conn.execute("SELECT * FROM exams WHERE id=?", (exam_id,)).fetchone()
        if row is None:
            raise InputError("exam.unknown", exam=exam_id)
        record = ExamRecord.from_row(row)
        if record.state is not ExamState.IN_PROGRESS:
            raise InputError("exam.not_in_progress", exam=exam_id, state=STATE_TEXT[record.state])
        return record

    # ---------------------------------------------------------------- reading

    def get(self, exam_id: str) -> ExamRecord:
        """The exam ``exam_id`` (InputError ``exam.unknown`` when there is none)."""
        row = self.outbox.reader().execute("SELECT * FROM exams WHERE id=?", (exam_id,)).fetchone()
        if row is None:
            raise InputError("exam.unknown", exam=exam_id)
        return ExamRecord.from_row(row)

    def find(self, exam_id: str) -> ExamRecord | None:
        row = self.outbox.reader().execute("SELECT * FROM exams WHERE id=?", (exam_id,)).fetchone()
        return None if row is None else ExamRecord.from_row(row)

    def exams(self, states: Sequence[ExamState] = ()) -> list[ExamRecord]:
        """Every exam (or those in ``states``), oldest first."""
        sql, args = "SELECT * FROM exams", []
        if states:
            sql += f" WHERE state IN ({','.join('?' * len(states))})"
            args = [s.value for s in states]
        return [ExamRecord.from_row(r) for r in self.outbox.reader().execute(sql + " ORDER BY started, id", args)]

    def objects(self, exam_id: str) -> list[ExamObject]:
        """The objects created in exam ``exam_id``, in the order they were recorded."""
        return self._objects(self.outbox.reader(), exam_id)

    def exam_of(self, sop_instance_uid: str) -> str | None:
        """The exam an object was created in, if any."""
        row = self.outbox.reader().execute("SELECT exam_id FROM exam_objects WHERE sop_instance_uid=?",
                                           (sop_instance_uid,)).fetchone()
        return None if row is None else str(row[0])

    @staticmethod
    def _objects(conn: sqlite3.Connection, exam_id: str) -> list[ExamObject]:
        rows = conn.execute("SELECT * FROM exam_objects WHERE exam_id=? ORDER BY created, rowid", (exam_id,))
        return [ExamObject(r["sop_instance_uid"], r["sop_class_uid"], r["series_uid"], Path(r["path"]), r["created"])
                for r in rows]
