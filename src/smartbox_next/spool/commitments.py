"""Storage Commitment state of each object at each destination that requires it (table ``commitments``).

A row exists for every object stored (C-STORE job ``sent``) at a destination that requires commitment; it moves
``pending`` → ``requested`` (in a commitment request, i.e. a Transaction UID; ``spool/messages.py``) →
``committed``, or ``failed`` (the archive reported a Failure Reason, PS3.3 C.14.1.1, or refused the request).
A failed object is sent again by C-STORE — its job goes back to ``queued`` — and requested again, at most
``commitment.max_resends`` times; it is ``failed`` for good after that, or at once for a reason a resend cannot
cure (0122, SOP class not supported). An object is *overdue* when it is not committed ``commitment.window_hours``
after its first request. Retention keeps every spool file with a row that is not ``committed``
(:meth:`smartbox_next.spool.outbox.Outbox.purge` with ``commitment``).

Requests are planned here (:meth:`CommitmentStore.plan`): objects whose C-STORE is done and whose exam has ended
(or that belong to no exam) are grouped by exam into requests of at most ``batch_size`` objects, between C-STORE
batches (not while one is in flight, so a batch's objects share one request); a request whose
report has not come ``report_timeout`` seconds after the archive accepted it is made again with a new Transaction
UID (a late report of the old one is still applied). Like the outbox, this module knows no DICOM encoding: the
caller builds each request's payload.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from smartbox_next.errors import SmartboxError
from smartbox_next.spool.messages import MessageKind, MessageStore
from smartbox_next.spool.outbox import Outbox

NOT_SUPPORTED = 0x0122  # Failure Reason "Referenced SOP Class not supported": a resend cannot cure it


class CommitState(StrEnum):
    PENDING = "pending"
    REQUESTED = "requested"
    COMMITTED = "committed"
    FAILED = "failed"


@dataclass(frozen=True)
class Commitment:
    """One object at one destination."""

    sop_instance_uid: str
    destination: str
    sop_class_uid: str
    state: CommitState
    transaction_uid: str | None
    first_requested: float | None
    requested: float | None  # when the archive accepted the current request
    resends: int
    failure_reason: int | None
    error_key: str | None
    error_params: dict[str, Any]
    updated: float

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Commitment:
        try:
            params = json.loads(row["error_params"]) if row["error_params"] else {}
        except ValueError:
            params = {}
        return cls(row["sop_instance_uid"], row["destination"], row["sop_class_uid"], CommitState(row["state"]),
                   row["transaction_uid"], row["first_requested"], row["requested"], row["resends"],
                   row["failure_reason"], row["error_key"], params if isinstance(params, dict) else {},
                   row["updated"])

    def overdue(self, now: float, window: float) -> bool:
        """Not committed ``window`` seconds after the first request (and not given up)."""
        return (self.state in (CommitState.PENDING, CommitState.REQUESTED) and self.first_requested is not None
                and now - self.first_requested > window)

    def shown_state(self, now: float, window: float) -> str:
        """``pending``, ``requested``, ``committed``, ``failed`` — or ``overdue``."""
        return "overdue" if self.overdue(now, window) else self.state.value

    def error(self) -> SmartboxError | None:
        if not self.error_key:
            return None
        return SmartboxError(self.error_key, **{k: v for k, v in self.error_params.items() if k != "retryable"})


def overdue_error(peer: str, count: int, hours: float) -> SmartboxError:
    """"``peer`` has not confirmed ``count`` object(s) within ``hours`` hours", singular for one."""
    return SmartboxError("commitment.overdue_one" if count == 1 else "commitment.overdue", peer=peer, count=count,
                         hours=f"{hours:g}")


@dataclass(frozen=True)
class ReportItem:
    """One instance of a commitment report: committed (``failure_reason`` None) or failed with the reason."""

    sop_class_uid: str
    sop_instance_uid: str
    failure_reason: int | None = None


@dataclass(frozen=True)
class Applied:
    """What a report changed."""

    committed: int
    resent: tuple[str, ...]  # SOP Instance UIDs queued again for C-STORE
    failed: tuple[str, ...]  # failed for good
    ignored: int  # items of an older request, about objects decided meanwhile


def _params(exc: SmartboxError) -> str:
    return json.dumps({k: v if isinstance(v, str | int | float | bool) or v is None else str(v)
                       for k, v in exc.params.items()}, ensure_ascii=False)


class CommitmentStore:
    """The ``commitments`` table of the station's outbox database."""

    def __init__(self, outbox: Outbox, *, clock: Callable[[], float] = time.time) -> None:
        self.outbox = outbox
        self.messages = MessageStore(outbox, clock=clock)
        self._clock = clock

    # ---------------------------------------------------------------- planning requests

    def plan(self, destination: str, *, batch_size: int, report_timeout: float, new_uid: Callable[[], str],
             payload: Callable[[str, Sequence[tuple[str, str]]], bytes]) -> list[str]:
        """Queue the commitment requests that are due for ``destination``; returns their Transaction UIDs.

        ``payload(transaction_uid, [(SOP Class UID, SOP Instance UID), …])`` encodes one request's data set.
        """
        now = self._clock()
        planned: list[str] = []
        with self.outbox.transaction() as conn:
            if conn.execute("SELECT 1 FROM jobs WHERE destination=? AND state='sending' LIMIT 1",
                            (destination,)).fetchone() is not None:
                return []  # a C-STORE batch is in flight: its objects join one request when it is done
            conn.execute("INSERT OR IGNORE INTO commitments (sop_instance_uid, destination, sop_class_uid, state, "
                         "updated) SELECT sop_instance_uid, destination, sop_class_uid, 'pending', ? FROM jobs "
                         "WHERE destination=? AND state='sent'", (now, destination))
            ready = conn.execute(
                "SELECT c.sop_instance_uid, c.sop_class_uid, eo.exam_id FROM commitments c "
                "JOIN jobs j ON j.sop_instance_uid=c.sop_instance_uid AND j.destination=c.destination "
                "LEFT JOIN exam_objects eo ON eo.sop_instance_uid=c.sop_instance_uid "
                "LEFT JOIN exams e ON e.id=eo.exam_id "
                "WHERE c.destination=? AND j.state='sent' AND ("
                "  (c.state='pending' AND (c.not_before IS NULL OR c.not_before<=?)"
                "   AND (eo.exam_id IS NULL OR e.state!='in_progress'))"
                "  OR (c.state='requested' AND EXISTS (SELECT 1 FROM messages m WHERE m.kind='commitment' AND "
                "      m.uid=c.transaction_uid AND m.state='sent' AND m.reported IS NULL AND m.sent<?))) "
                "ORDER BY eo.exam_id, c.rowid", (destination, now, now - report_timeout)).fetchall()
            groups: dict[str | None, list[tuple[str, str]]] = {}
            for row in ready:
                groups.setdefault(row["exam_id"], []).append((row["sop_class_uid"], row["sop_instance_uid"]))
            for exam_id, items in groups.items():
                for start in range(0, len(items), batch_size):
                    chunk = items[start:start + batch_size]
                    uid = new_uid()
                    self.messages.add(conn, kind=MessageKind.COMMITMENT, destination=destination, uid=uid,
                                      payload=payload(uid, chunk), exam_id=exam_id)
                    conn.executemany(
                        "UPDATE commitments SET state='requested', transaction_uid=?, requested=NULL, "
                        "first_requested=COALESCE(first_requested, ?), not_before=NULL, updated=? WHERE "
                        "sop_instance_uid=? AND destination=?",
                        [(uid, now, now, inst, destination) for _cls, inst in chunk])
                    planned.append(uid)
        return planned

    def accepted(self, conn: sqlite3.Connection, transaction_uid: str) -> None:
        """The archive accepted request ``transaction_uid`` (N-ACTION success): its report is awaited from now."""
        now = self._clock()
        conn.execute("UPDATE commitments SET requested=?, updated=? WHERE transaction_uid=? AND state='requested'",
                     (now, now, transaction_uid))

    def refused(self, conn: sqlite3.Connection, transaction_uid: str, exc: SmartboxError, *,
                retry_at: float | None) -> None:
        """The request failed for good (no report will come): its objects are requested again from ``retry_at``
        with a new request, or — ``retry_at`` None — they are failed with ``exc``."""
        now = self._clock()
        if retry_at is not None:
            conn.execute("UPDATE commitments SET state='pending', transaction_uid=NULL, not_before=?, updated=? "
                         "WHERE transaction_uid=? AND state='requested'", (retry_at, now, transaction_uid))
        else:
            conn.execute("UPDATE commitments SET state='failed', error_key=?, error_params=?, updated=? "
                         "WHERE transaction_uid=? AND state='requested'",
                         (exc.key, _params(exc), now, transaction_uid))

    # ---------------------------------------------------------------- applying reports

    def apply(self, conn: sqlite3.Connection, transaction_uid: str, destination: str, items: Sequence[ReportItem],
              *, max_resends: int) -> Applied:
        """Apply a validated report of request ``transaction_uid`` (inside the caller's transaction).

        A committed item commits its object whatever request it was in; a failed item counts only while its
        object still waits for this very request (a late report of an older request cannot undo a newer one).
        """
        now = self._clock()
        committed, ignored = 0, 0
        resent: list[str] = []
        failed: list[str] = []
        for item in items:
            row = conn.execute("SELECT * FROM commitments WHERE sop_instance_uid=? AND destination=?",
                               (item.sop_instance_uid, destination)).fetchone()
            if row is None:
                ignored += 1
                continue
            current = Commitment.from_row(row)
            if item.failure_reason is None:
                if current.state is not CommitState.COMMITTED:
                    # the last failure reason stays: committed after a re-send, and why it was needed
                    conn.execute("UPDATE commitments SET state='committed', error_key=NULL, error_params=NULL, "
                                 "updated=? WHERE sop_instance_uid=? AND destination=?",
                                 (now, item.sop_instance_uid, destination))
                    # retention counts from the commitment: the job's last change is now
                    conn.execute("UPDATE jobs SET updated=? WHERE sop_instance_uid=? AND destination=?",
                                 (now, item.sop_instance_uid, destination))
                committed += 1
                continue
            if current.state is not CommitState.REQUESTED or current.transaction_uid != transaction_uid:
                ignored += 1
                continue
            if item.failure_reason == NOT_SUPPORTED or current.resends >= max_resends:
                exc = SmartboxError("commitment.failed", peer=destination, sop_instance_uid=item.sop_instance_uid,
                                    reason=item.failure_reason, code=f"0x{item.failure_reason:04X}",
                                    resends=current.resends)
                conn.execute("UPDATE commitments SET state='failed', failure_reason=?, error_key=?, error_params=?, "
                             "updated=? WHERE sop_instance_uid=? AND destination=?",
                             (item.failure_reason, exc.key, _params(exc), now, item.sop_instance_uid, destination))
                failed.append(item.sop_instance_uid)
                continue
            conn.execute("UPDATE commitments SET state='pending', transaction_uid=NULL, failure_reason=?, "
                         "resends=resends+1, updated=? WHERE sop_instance_uid=? AND destination=?",
                         (item.failure_reason, now, item.sop_instance_uid, destination))
            conn.execute("UPDATE jobs SET state='queued', attempts=0, next_attempt=?, first_failure=NULL, "
                         "error_key=NULL, error_params=NULL, updated=? WHERE sop_instance_uid=? AND destination=? "
                         "AND state='sent'", (now, now, item.sop_instance_uid, destination))
            resent.append(item.sop_instance_uid)
        return Applied(committed, tuple(resent), tuple(failed), ignored)

    # ---------------------------------------------------------------- reading

    def commitments(self, destination: str | None = None, uids: Sequence[str] = ()) -> list[Commitment]:
        sql, args = "SELECT * FROM commitments WHERE 1=1", []
        if destination is not None:
            sql += " AND destination=?"
            args.append(destination)
        if uids:
            sql += f" AND sop_instance_uid IN ({','.join('?' * len(uids))})"
            args.extend(uids)
        return [Commitment.from_row(r) for r in self.outbox.reader().execute(sql + " ORDER BY rowid", args)]

    def overdue_count(self, *, window: float) -> int:
        """Objects overdue now: not committed ``window`` seconds after their first request (and not given up) —
        a change that comes with time alone, which the station announces to its page."""
        limit = self._clock() - window
        row = self.outbox.reader().execute(
            "SELECT COUNT(*) FROM commitments WHERE state IN ('pending', 'requested') AND first_requested IS NOT "
            "NULL AND first_requested < ?", (limit,)).fetchone()
        return int(row[0])

    def outstanding(self, destinations: Sequence[str], *, linger: float) -> int:
        """Work a one-shot ``serve --until-idle`` waits for: objects ready to be requested, and requests accepted
        less than ``linger`` seconds ago whose report has not come yet."""
        if not destinations:
            return 0
        now = self._clock()
        marks = ",".join("?" * len(destinations))
        ready = self.outbox.reader().execute(
            f"SELECT COUNT(*) FROM jobs j LEFT JOIN commitments c ON c.sop_instance_uid=j.sop_instance_uid AND "
            f"c.destination=j.destination LEFT JOIN exam_objects eo ON eo.sop_instance_uid=j.sop_instance_uid "
            f"LEFT JOIN exams e ON e.id=eo.exam_id WHERE j.destination IN ({marks}) AND j.state='sent' AND "
            f"(c.state IS NULL OR (c.state='pending' AND (c.not_before IS NULL OR c.not_before<=?))) AND "
            f"(eo.exam_id IS NULL OR e.state!='in_progress')", (*destinations, now)).fetchone()[0]
        waiting = self.outbox.reader().execute(
            f"SELECT COUNT(*) FROM messages WHERE kind='commitment' AND destination IN ({marks}) AND state='sent' "
            f"AND reported IS NULL AND sent>?", (*destinations, now - linger)).fetchone()[0]
        return int(ready) + int(waiting)
