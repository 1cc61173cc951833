"""Workflow messages as durable jobs: MPPS N-CREATE / N-SET and Storage Commitment N-ACTION (table ``messages``).

Like the outbox's C-STORE jobs, a message is persisted — with its data set, encoded once — before it is sent, and
moves ``queued`` → ``sending`` → ``sent``, or ``retry_wait`` (the next attempt time stored) / ``failed`` (error key
and parameters stored, shown in either language). After a crash, messages left ``sending`` go back to ``queued``.

**Order per exam.** The MPPS messages of one exam to one destination go out strictly in the order they were
queued: a message is claimed only when every earlier MPPS message of its exam to that destination is ``sent``
(N-CREATE before N-SET). When one fails for good, every later one of that exam and destination fails with it
(``mpps.not_created``): there is no N-SET for a step the RIS never created (PS3.4 F.7.2.2.2).

A commitment message is one Storage Commitment request; its ``uid`` is the request's Transaction UID (PS3.4
J.3.2.1.2), by which a report is matched — also one that arrives after a restart — and ``reported`` says when
the report was applied. The module knows no DICOM: payloads are opaque bytes.
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
from smartbox_next.spool.outbox import Backoff, JobState, Outbox


class MessageKind(StrEnum):
    MPPS_CREATE = "mpps_create"  # N-CREATE of a Modality Performed Procedure Step (PS3.4 F.7.2.1)
    MPPS_SET = "mpps_set"  # N-SET of its final state (PS3.4 F.7.2.2)
    COMMITMENT = "commitment"  # N-ACTION Request Storage Commitment (PS3.4 J.3.2.1)


MPPS_KINDS = (MessageKind.MPPS_CREATE, MessageKind.MPPS_SET)
PENDING = (JobState.QUEUED, JobState.SENDING, JobState.RETRY_WAIT)


class _Never:
    def next_delay(self, exc: BaseException, attempt: int, elapsed: float) -> float | None:
        return None


@dataclass(frozen=True)
class Message:
    """One message to one destination."""

    id: int
    exam_id: str | None
    kind: MessageKind
    destination: str
    uid: str  # PPS SOP Instance UID (MPPS) or Transaction UID (commitment)
    payload: bytes
    state: JobState
    attempts: int
    next_attempt: float
    created: float
    updated: float
    first_failure: float | None
    error_key: str | None
    error_params: dict[str, Any]
    warning: str | None
    sent: float | None
    reported: float | None
    unknown_outcome: bool  # an earlier attempt may have reached the peer (timeout or abort after sending)

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Message:
        try:
            params = json.loads(row["error_params"]) if row["error_params"] else {}
        except ValueError:
            params = {}
        return cls(row["id"], row["exam_id"], MessageKind(row["kind"]), row["destination"], row["uid"],
                   bytes(row["payload"]), JobState(row["state"]), row["attempts"], row["next_attempt"], row["created"],
                   row["updated"], row["first_failure"], row["error_key"],
                   params if isinstance(params, dict) else {}, row["warning"], row["sent"], row["reported"],
                   bool(row["unknown_outcome"]))

    def error(self) -> SmartboxError | None:
        """The stored failure as an error object (for text in either language)."""
        if not self.error_key:
            return None
        return SmartboxError(self.error_key, **{k: v for k, v in self.error_params.items() if k != "retryable"})

    def as_json(self) -> dict[str, Any]:
        err = self.error()
        return {"id": self.id, "exam": self.exam_id, "kind": self.kind.value, "destination": self.destination,
                "uid": self.uid, "state": self.state.value, "attempts": self.attempts,
                "next_attempt": self.next_attempt, "sent": self.sent, "reported": self.reported,
                "error_key": self.error_key, "error_en": err.text("en") if err else None,
                "error_de": err.text("de") if err else None, "warning": self.warning}


def _params(exc: SmartboxError) -> str:
    return json.dumps({k: v if isinstance(v, str | int | float | bool) or v is None else str(v)
                       for k, v in exc.params.items()}, ensure_ascii=False)


class MessageStore:
    """The ``messages`` table of the station's outbox database (thread-safe: one connection per thread)."""

    def __init__(self, outbox: Outbox, *, clock: Callable[[], float] = time.time) -> None:
        self.outbox = outbox
        self._clock = clock

    # ---------------------------------------------------------------- writing

    def add(self, conn: sqlite3.Connection, *, kind: MessageKind, destination: str, uid: str, payload: bytes,
            exam_id: str | None = None) -> int:
        """Queue a message inside the caller's transaction (``conn``); idempotent for (kind, destination, uid).

        An MPPS message behind one that failed for good is queued as failed (``mpps.not_created``).
        """
        now = self._clock()
        conn.execute("INSERT OR IGNORE INTO messages (exam_id, kind, destination, uid, payload, state, next_attempt, "
                     "created, updated) VALUES (?,?,?,?,?,'queued',?,?,?)",
                     (exam_id, kind.value, destination, uid, payload, now, now, now))
        row = conn.execute("SELECT id FROM messages WHERE kind=? AND destination=? AND uid=?",
                           (kind.value, destination, uid)).fetchone()
        message_id = int(row["id"])
        if kind in MPPS_KINDS and exam_id is not None and self._blocked(conn, message_id):
            self._fail_later(conn, message_id, exam_id, destination, inclusive=True)
        return message_id

    @staticmethod
    def _blocked(conn: sqlite3.Connection, message_id: int) -> bool:
        """An earlier MPPS message of the same exam and destination failed or was cancelled."""
        return conn.execute(
            "SELECT 1 FROM messages p, messages m WHERE m.id=? AND p.exam_id=m.exam_id AND p.destination=m.destination"
            " AND p.id<m.id AND p.kind IN ('mpps_create','mpps_set') AND p.state IN ('failed','cancelled') LIMIT 1",
            (message_id,)).fetchone() is not None

    def _fail_later(self, conn: sqlite3.Connection, message_id: int, exam_id: str, destination: str, *,
                    inclusive: bool = False) -> None:
        """Fail the MPPS messages of ``exam_id`` to ``destination`` after ``message_id`` (and it, ``inclusive``)."""
        exc = SmartboxError("mpps.not_created", exam=exam_id, peer=destination)
        now = self._clock()
        op = ">=" if inclusive else ">"
        conn.execute(f"UPDATE messages SET state='failed', error_key=?, error_params=?, updated=? WHERE exam_id=? AND "
                     f"destination=? AND kind IN ('mpps_create','mpps_set') AND id {op} ? AND state IN "
                     f"('queued','retry_wait')", (exc.key, _params(exc), now, exam_id, destination, message_id))

    def claim(self, destination: str, kinds: Sequence[MessageKind]) -> Message | None:
        """Atomically take the next due message of ``destination`` (of ``kinds``) whose predecessors are sent."""
        now = self._clock()
        marks = ",".join("?" * len(kinds))
        with self.outbox.transaction() as conn:
            row = conn.execute(
                f"SELECT * FROM messages m WHERE m.destination=? AND m.kind IN ({marks}) AND m.state IN "
                f"('queued','retry_wait') AND m.next_attempt<=? AND (m.exam_id IS NULL OR m.kind='commitment' OR NOT "
                f"EXISTS (SELECT 1 FROM messages p WHERE p.exam_id=m.exam_id AND p.destination=m.destination AND "
                f"p.id<m.id AND p.kind IN ('mpps_create','mpps_set') AND p.state!='sent')) "
                f"ORDER BY m.next_attempt, m.id LIMIT 1", (destination, *[k.value for k in kinds], now)).fetchone()
            if row is None:
                return None
            conn.execute("UPDATE messages SET state='sending', updated=? WHERE id=?", (now, row["id"]))
            claimed = conn.execute("SELECT * FROM messages WHERE id=?", (row["id"],)).fetchone()
        return Message.from_row(claimed)

    def mark_sent(self, message_id: int, warning: str | None = None,
                  also: Callable[[sqlite3.Connection], None] | None = None) -> None:
        """The peer accepted the message (``also`` runs in the same transaction)."""
        now = self._clock()
        with self.outbox.transaction() as conn:
            conn.execute("UPDATE messages SET state='sent', attempts=attempts+1, sent=?, updated=?, warning=?, "
                         "error_key=NULL, error_params=NULL WHERE id=?", (now, now, warning, message_id))
            if also is not None:
                also(conn)

    def mark_failed(self, message_id: int, exc: SmartboxError, policy: Backoff,
                    also: Callable[[sqlite3.Connection, Message], None] | None = None, *,
                    unknown_outcome: bool = False) -> Message:
        """Record a failure: ``retry_wait`` with the next attempt time, or ``failed`` (decided by the policy).

        ``unknown_outcome``: the message may have reached the peer (remembered for every later attempt). A failed
        MPPS message fails the later MPPS messages of its exam and destination with it. ``also(conn, message)``
        runs in the same transaction with the updated message.
        """
        now = self._clock()
        with self.outbox.transaction() as conn:
            row = conn.execute("SELECT * FROM messages WHERE id=?", (message_id,)).fetchone()
            attempts = int(row["attempts"]) + 1
            first = row["first_failure"] if row["first_failure"] is not None else now
            wait = policy.next_delay(exc, attempts, now - first)
            state = JobState.FAILED if wait is None else JobState.RETRY_WAIT
            conn.execute("UPDATE messages SET state=?, attempts=?, next_attempt=?, first_failure=?, updated=?, "
                         "error_key=?, error_params=?, unknown_outcome=MAX(unknown_outcome, ?) WHERE id=?",
                         (state.value, attempts, now + (wait or 0), first, now, exc.key, _params(exc),
                          int(unknown_outcome), message_id))
            if state is JobState.FAILED and row["kind"] in {k.value for k in MPPS_KINDS} and row["exam_id"]:
                self._fail_later(conn, message_id, row["exam_id"], row["destination"])
            message = Message.from_row(conn.execute("SELECT * FROM messages WHERE id=?", (message_id,)).fetchone())
            if also is not None:
                also(conn, message)
        return message

    def fail(self, message_id: int, exc: SmartboxError,
             also: Callable[[sqlite3.Connection, Message], None] | None = None) -> Message:
        """Record a permanent failure (no retry, whatever ``exc.retryable`` says)."""
        return self.mark_failed(message_id, exc, _Never(), also)

    def release(self, message_id: int) -> None:
        """Return a claimed message to ``queued`` without counting an attempt (stop requested)."""
        with self.outbox.transaction() as conn:
            conn.execute("UPDATE messages SET state='queued', updated=? WHERE id=? AND state='sending'",
                         (self._clock(), message_id))

    def recover(self) -> int:
        """After a crash: messages left ``sending`` go back to ``queued`` (their outcome is unknown: sent again)."""
        with self.outbox.transaction() as conn:
            return conn.execute("UPDATE messages SET state='queued', updated=? WHERE state='sending'",
                                (self._clock(),)).rowcount

    def mark_reported(self, conn: sqlite3.Connection, message_id: int) -> None:
        """The report of this commitment request was applied (inside the caller's transaction). A request still
        waiting for a retry is settled too: the archive evidently has it."""
        now = self._clock()
        conn.execute("UPDATE messages SET reported=?, updated=?, state=CASE WHEN state IN ('queued','retry_wait',"
                     "'failed') THEN 'sent' ELSE state END, sent=COALESCE(sent, ?) WHERE id=?",
                     (now, now, now, message_id))

    # ---------------------------------------------------------------- reading

    def messages(self, *, exam_id: str | None = None, destination: str | None = None,
                 kinds: Sequence[MessageKind] = (), states: Sequence[JobState] = ()) -> list[Message]:
        sql, args = "SELECT * FROM messages WHERE 1=1", []
        if exam_id is not None:
            sql += " AND exam_id=?"
            args.append(exam_id)
        if destination is not None:
            sql += " AND destination=?"
            args.append(destination)
        if kinds:
            sql += f" AND kind IN ({','.join('?' * len(kinds))})"
            args.extend(k.value for k in kinds)
        if states:
            sql += f" AND state IN ({','.join('?' * len(states))})"
            args.extend(s.value for s in states)
        return [Message.from_row(r) for r in self.outbox.reader().execute(sql + " ORDER BY id", args)]

    def message(self, message_id: int) -> Message | None:
        row = self.outbox.reader().execute("SELECT * FROM messages WHERE id=?", (message_id,)).fetchone()
        return None if row is None else Message.from_row(row)

    def transaction(self, transaction_uid: str) -> Message | None:
        """The commitment request with this Transaction UID (any destination), if it exists."""
        row = self.outbox.reader().execute("SELECT * FROM messages WHERE kind='commitment' AND uid=?",
                                           (transaction_uid,)).fetchone()
        return None if row is None else Message.from_row(row)

    def next_due(self, destination: str, kinds: Sequence[MessageKind]) -> float | None:
        row = self.outbox.reader().execute(
            f"SELECT MIN(next_attempt) FROM messages WHERE destination=? AND kind IN ({','.join('?' * len(kinds))}) "
            f"AND state IN ('queued','retry_wait')", (destination, *[k.value for k in kinds])).fetchone()
        return None if row[0] is None else float(row[0])

    def pending(self, destinations: Sequence[str], kinds: Sequence[MessageKind]) -> int:
        """Messages of these destinations and kinds still queued, sending or waiting for a retry."""
        if not destinations or not kinds:
            return 0
        row = self.outbox.reader().execute(
            f"SELECT COUNT(*) FROM messages WHERE destination IN ({','.join('?' * len(destinations))}) AND kind IN "
            f"({','.join('?' * len(kinds))}) AND state IN ('queued','sending','retry_wait')",
            (*destinations, *[k.value for k in kinds])).fetchone()
        return int(row[0])
