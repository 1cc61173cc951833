"""The outbox: a persistent SQLite (WAL) job table, one row per (SOP Instance UID, destination).

States: ``queued`` → ``sending`` → ``sent``; a retryable failure → ``retry_wait`` with the persisted
next attempt time; a permanent failure (or retries exhausted) → ``failed`` with the error key and its
parameters, so the UI can show it in either language; ``cancelled`` by the operator (the capture is kept: a
purge deletes only captures every destination has, unless forced with a confirmed count). At start-up rows
left in ``sending`` (a crash) return to ``queued``. Knows nothing of DICOM objects: jobs hold paths,
UIDs and destinations (DESIGN: dependency direction). A damaged database refuses to open — it is never
silently replaced by an empty one.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

from smartbox_next.errors import OutboxError, SmartboxError, SpoolFullError

LOG = logging.getLogger(__name__)


class Backoff(Protocol):
    """When to try again (``delivery.retry.RetryPolicy``): seconds to wait, or None to give up."""

    def next_delay(self, exc: BaseException, attempt: int, elapsed: float) -> float | None: ...


class _Never:
    def next_delay(self, exc: BaseException, attempt: int, elapsed: float) -> float | None:
        return None


_NEVER = _Never()


class JobState(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    RETRY_WAIT = "retry_wait"
    FAILED = "failed"
    CANCELLED = "cancelled"


PENDING = (JobState.QUEUED, JobState.SENDING, JobState.RETRY_WAIT)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id INTEGER PRIMARY KEY,
    sop_instance_uid TEXT NOT NULL,
    sop_class_uid TEXT NOT NULL,
    destination TEXT NOT NULL,
    path TEXT NOT NULL,
    size INTEGER NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('queued','sending','sent','retry_wait','failed','cancelled')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt REAL NOT NULL DEFAULT 0,
    created REAL NOT NULL,
    updated REAL NOT NULL,
    first_failure REAL,
    error_key TEXT,
    error_params TEXT,
    warning TEXT,
    accession TEXT NOT NULL DEFAULT '',
    patient TEXT NOT NULL DEFAULT '',
    UNIQUE (sop_instance_uid, destination)
);
CREATE INDEX IF NOT EXISTS jobs_due ON jobs (destination, state, next_attempt);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
# columns added after version 1 (a version 1 database gets them on open, empty)
_ADDED_COLUMNS = {"accession": "TEXT NOT NULL DEFAULT ''", "patient": "TEXT NOT NULL DEFAULT ''"}

# Schema versions after the first (PRAGMA user_version): each step is applied once, in order, in one transaction
# with the version bump, so an existing database is migrated on its next open and a crash leaves it at either
# version. Version 2: exams and the objects created in them (the exam life cycle, spool/exams.py).
_MIGRATIONS: tuple[tuple[int, str], ...] = (
    (2, """
CREATE TABLE IF NOT EXISTS exams (
    id TEXT PRIMARY KEY,
    state TEXT NOT NULL CHECK (state IN ('in_progress','completed','discontinued')),
    pps_uid TEXT NOT NULL UNIQUE,
    study_uid TEXT NOT NULL,
    data TEXT NOT NULL,
    started REAL NOT NULL,
    ended REAL,
    reason TEXT,
    updated REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS exam_objects (
    sop_instance_uid TEXT PRIMARY KEY,
    exam_id TEXT NOT NULL REFERENCES exams (id),
    sop_class_uid TEXT NOT NULL,
    series_uid TEXT NOT NULL,
    path TEXT NOT NULL,
    created REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS exam_objects_exam ON exam_objects (exam_id);
"""),
    # Version 3: workflow messages (MPPS N-CREATE/N-SET, Storage Commitment N-ACTION; spool/messages.py) and the
    # commitment state of each object at each destination that requires commitment (spool/commitments.py).
    (3, """
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY,
    exam_id TEXT,
    kind TEXT NOT NULL CHECK (kind IN ('mpps_create','mpps_set','commitment')),
    destination TEXT NOT NULL,
    uid TEXT NOT NULL,
    payload BLOB NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('queued','sending','sent','retry_wait','failed','cancelled')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt REAL NOT NULL DEFAULT 0,
    created REAL NOT NULL,
    updated REAL NOT NULL,
    first_failure REAL,
    error_key TEXT,
    error_params TEXT,
    warning TEXT,
    sent REAL,
    reported REAL,
    unknown_outcome INTEGER NOT NULL DEFAULT 0,
    UNIQUE (kind, destination, uid)
);
CREATE INDEX IF NOT EXISTS messages_due ON messages (destination, kind, state, next_attempt);
CREATE INDEX IF NOT EXISTS messages_exam ON messages (exam_id);
CREATE TABLE IF NOT EXISTS commitments (
    sop_instance_uid TEXT NOT NULL,
    destination TEXT NOT NULL,
    sop_class_uid TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending','requested','committed','failed')),
    transaction_uid TEXT,
    first_requested REAL,
    requested REAL,
    resends INTEGER NOT NULL DEFAULT 0,
    not_before REAL,
    failure_reason INTEGER,
    error_key TEXT,
    error_params TEXT,
    updated REAL NOT NULL,
    PRIMARY KEY (sop_instance_uid, destination)
);
CREATE INDEX IF NOT EXISTS commitments_state ON commitments (destination, state);
CREATE INDEX IF NOT EXISTS commitments_transaction ON commitments (transaction_uid);
"""),
)
SCHEMA_VERSION = _MIGRATIONS[-1][0]


@dataclass(frozen=True)
class Job:
    """One object for one destination."""

    id: int
    sop_instance_uid: str
    sop_class_uid: str
    destination: str
    path: Path
    size: int
    state: JobState
    attempts: int
    next_attempt: float
    created: float
    updated: float
    first_failure: float | None
    error_key: str | None
    error_params: dict[str, Any]
    warning: str | None
    accession: str = ""  # Accession Number of the object's study ("" when unknown)
    patient: str = ""  # Patient's Name (PN, ^-separated): patient data, shown only when asked for

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Job:
        key, params = _stored_reason(row)
        return cls(row["id"], row["sop_instance_uid"], row["sop_class_uid"], row["destination"], Path(row["path"]),
                   row["size"], JobState(row["state"]), row["attempts"], row["next_attempt"], row["created"],
                   row["updated"], row["first_failure"], key, params, row["warning"], row["accession"],
                   row["patient"])

    def error(self) -> SmartboxError | None:
        """The stored failure as an error object (for text in either language)."""
        if not self.error_key:
            return None
        params = {k: v for k, v in self.error_params.items() if k not in ("key", "retryable")}
        return SmartboxError(self.error_key, **params)

    def as_json(self, *, show_patient: bool = False) -> dict[str, Any]:
        """The job for machines; the patient's name only with ``show_patient``."""
        err = self.error()
        out = {"id": self.id, "sop_instance_uid": self.sop_instance_uid, "destination": self.destination,
               "accession_number": self.accession, "path": str(self.path), "size": self.size,
               "state": self.state.value, "attempts": self.attempts, "next_attempt": self.next_attempt,
               "created": self.created, "updated": self.updated, "error_key": self.error_key,
               "error_params": {k: v for k, v in self.error_params.items() if k not in ("key", "retryable")} or None,
               "error_en": err.text("en") if err else None, "error_de": err.text("de") if err else None,
               "warning": self.warning}
        if show_patient:
            out["patient_name"] = self.patient
        return out


@dataclass(frozen=True)
class Purged:
    """The spool files a purge released: those every destination has, and (forced only) those it had not."""

    delivered: list[Path]
    undelivered: list[Path]

    @property
    def paths(self) -> list[Path]:
        return [*self.delivered, *self.undelivered]


@dataclass(frozen=True)
class DestinationStats:
    destination: str
    pending: int
    pending_bytes: int
    sent: int
    failed: int
    retry_wait: int


def _stored_reason(row: sqlite3.Row) -> tuple[str | None, dict[str, Any]]:
    """The error key and parameters of a row; a damaged parameter column becomes ``outbox.reason_damaged``
    (the job itself is intact and can be retried) instead of a crash of every command that lists jobs."""
    key, raw = row["error_key"], row["error_params"]
    if not raw:
        return key, {}
    try:
        params = json.loads(raw)
    except (TypeError, ValueError):
        params = None
    if isinstance(params, dict) and all(isinstance(k, str) for k in params):
        return key, params
    LOG.warning("job %s: stored error parameters are damaged", row["id"])
    return "outbox.reason_damaged", {"job": row["id"], "original": str(key or "-")}


def _json_params(params: dict[str, Any]) -> str:
    return json.dumps({k: v if isinstance(v, str | int | float | bool) or v is None else str(v)
                       for k, v in params.items()}, ensure_ascii=False)


def _private(path: Path) -> None:
    """The database (it names patients and accession numbers) readable by the service user only: created 0600
    before SQLite opens it (SQLite gives its -wal and -shm files the database's mode); an existing one of ours
    that is open to others is closed (0600)."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    except OSError:
        return  # SQLite's own open reports the problem in the outbox's words
    try:
        info = os.fstat(fd)
        if info.st_mode & 0o077 and info.st_uid == os.getuid():
            os.fchmod(fd, 0o600)
            for suffix in ("-wal", "-shm"):
                side = Path(f"{path}{suffix}")
                if side.exists():
                    os.chmod(side, 0o600)
    finally:
        os.close(fd)


def _disk_full(exc: sqlite3.OperationalError) -> bool:
    """SQLite's SQLITE_FULL ("database or disk is full"): the disk, not damage."""
    return "disk is full" in str(exc)


class Outbox:
    """Thread-safe access to the job table (one connection per thread; WAL; synchronous=FULL)."""

    def __init__(self, path: Path, *, clock: Any = time.time) -> None:
        self.path = path
        self._clock = clock
        self._local = threading.local()
        path.parent.mkdir(parents=True, exist_ok=True)
        existed = path.exists() and path.stat().st_size > 0
        _private(path)
        deadline = time.monotonic() + 60
        while True:
            try:
                self._open(existed)
                return
            except sqlite3.OperationalError as exc:  # another process holds a lock: wait, it is not damage
                if _disk_full(exc):
                    raise SpoolFullError("outbox.disk_full", path=str(path)) from None
                if ("locked" not in str(exc) and "busy" not in str(exc)) or time.monotonic() > deadline:
                    raise OutboxError("outbox.corrupt", path=str(path), detail=str(exc)) from None
                self.close()
                time.sleep(0.05)
            except sqlite3.DatabaseError as exc:
                raise OutboxError("outbox.corrupt", path=str(path), detail=str(exc)) from None

    def _open(self, existed: bool) -> None:
        conn = self._conn()
        if existed:
            result = conn.execute("PRAGMA quick_check").fetchone()[0]
            if result != "ok":
                raise OutboxError("outbox.corrupt", path=str(self.path), detail=str(result))
        conn.executescript(_SCHEMA)
        self._migrate(conn)
        self._add_columns(conn)

    def _migrate(self, conn: sqlite3.Connection) -> None:
        """Bring the schema to :data:`SCHEMA_VERSION` (a database of a newer version is refused, not touched)."""
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        if version > SCHEMA_VERSION:
            raise OutboxError("outbox.corrupt", path=str(self.path),
                              detail=f"schema version {version} is newer than this program's {SCHEMA_VERSION}")
        for target, script in _MIGRATIONS:
            if version >= target:
                continue
            conn.execute("BEGIN IMMEDIATE")
            try:
                if int(conn.execute("PRAGMA user_version").fetchone()[0]) < target:  # another process was first
                    for statement in (s.strip() for s in script.split(";")):
                        if statement:
                            conn.execute(statement)
                    conn.execute(f"PRAGMA user_version = {target}")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
            version = target

    def _add_columns(self, conn: sqlite3.Connection) -> None:
        """Columns added to ``jobs`` after version 1 (idempotent: a new database has them already)."""
        present = {r["name"] for r in conn.execute("PRAGMA table_info(jobs)")}
        for column, definition in _ADDED_COLUMNS.items():
            if column not in present:
                try:
                    conn.execute(f"ALTER TABLE jobs ADD COLUMN {column} {definition}")
                except sqlite3.OperationalError as exc:  # another process added it a moment ago
                    if "duplicate column" not in str(exc):
                        raise

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=True)
            self._local.conn = conn
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
        return conn

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        conn = self._conn()
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        except sqlite3.OperationalError as exc:
            if _disk_full(exc):
                raise SpoolFullError("outbox.disk_full", path=str(self.path)) from None
            raise

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (``BEGIN IMMEDIATE`` … ``COMMIT``, rolled back on error) on this thread's
        connection: for the modules that keep their tables in this database (``spool/exams.py``)."""
        with self._tx() as conn:
            yield conn

    def reader(self) -> sqlite3.Connection:
        """This thread's connection, for reads outside a transaction (rows are ``sqlite3.Row``)."""
        return self._conn()

    def database_id(self) -> str:
        """This database's identity (created with it): the spool's marker names it, so a lost or replaced
        database is told from a first start (:mod:`smartbox_next.spool.guard`)."""
        with self._tx() as conn:
            conn.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('id', ?)", (uuid.uuid4().hex,))
            return str(conn.execute("SELECT value FROM meta WHERE key='id'").fetchone()[0])

    def instance_known(self, sop_instance_uid: str) -> bool:
        """Whether any job exists for this object."""
        return self._conn().execute("SELECT 1 FROM jobs WHERE sop_instance_uid=? LIMIT 1",
                                    (sop_instance_uid,)).fetchone() is not None

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    # ---------------------------------------------------------------- writing

    def enqueue(self, path: Path, sop_instance_uid: str, sop_class_uid: str, destinations: Sequence[str], *,
                also: Callable[[sqlite3.Connection], None] | None = None,
                accession: str = "", patient: str = "") -> list[int]:
        """One queued job per destination; idempotent for (SOP Instance UID, destination).

        ``also`` runs inside the same transaction first (e.g. recording the object in its exam), so the object
        is queued and recorded together or not at all. ``accession`` and ``patient`` label the job for the
        operator (``queue list``); they are not used for sending.
        """
        now = self._clock()
        size = path.stat().st_size
        ids = []
        with self._tx() as conn:
            if also is not None:
                also(conn)
            for dest in destinations:
                conn.execute(
                    "INSERT OR IGNORE INTO jobs (sop_instance_uid, sop_class_uid, destination, path, size, state,"
                    " next_attempt, created, updated, accession, patient) VALUES (?,?,?,?,?,'queued',?,?,?,?,?)",
                    (sop_instance_uid, sop_class_uid, dest, str(path), size, now, now, now, accession, patient))
                row = conn.execute("SELECT id FROM jobs WHERE sop_instance_uid=? AND destination=?",
                                   (sop_instance_uid, dest)).fetchone()
                ids.append(int(row["id"]))
        return ids

    def recover(self) -> int:
        """After a crash: jobs left in ``sending`` go back to ``queued``. Returns how many."""
        with self._tx() as conn:
            cur = conn.execute("UPDATE jobs SET state='queued', updated=? WHERE state='sending'", (self._clock(),))
            return cur.rowcount

    def claim(self, destination: str, limit: int = 64) -> list[Job]:
        """Atomically take due jobs of ``destination`` (queued, or retry_wait whose time has come)."""
        now = self._clock()
        with self._tx() as conn:
            rows = conn.execute(
                "SELECT * FROM jobs WHERE destination=? AND state IN ('queued','retry_wait') AND next_attempt<=?"
                " ORDER BY next_attempt, id LIMIT ?", (destination, now, limit)).fetchall()
            ids = [r["id"] for r in rows]
            conn.executemany("UPDATE jobs SET state='sending', updated=? WHERE id=?", [(now, i) for i in ids])
        return [Job.from_row(r) for r in conn.execute(
            f"SELECT * FROM jobs WHERE id IN ({','.join('?' * len(ids))}) ORDER BY id", ids)] if ids else []

    def mark_sent(self, job_id: int, warning: str | None = None) -> None:
        with self._tx() as conn:
            conn.execute("UPDATE jobs SET state='sent', attempts=attempts+1, updated=?, warning=?, error_key=NULL,"
                         " error_params=NULL WHERE id=?", (self._clock(), warning, job_id))

    def mark_failed(self, job_id: int, exc: SmartboxError, policy: Backoff) -> Job:
        """Record a failure: ``retry_wait`` with the next attempt time, or ``failed`` (decided by the policy)."""
        now = self._clock()
        with self._tx() as conn:
            row = conn.execute("SELECT * FROM jobs WHERE id=?", (job_id,)).fetchone()
            attempts = int(row["attempts"]) + 1
            first = row["first_failure"] if row["first_failure"] is not None else now
            wait = policy.next_delay(exc, attempts, now - first)
            state = JobState.FAILED if wait is None else JobState.RETRY_WAIT
            conn.execute("UPDATE jobs SET state=?, attempts=?, next_attempt=?, first_failure=?, updated=?,"
                         " error_key=?, error_params=? WHERE id=?",
                         (state.value, attempts, now + (wait or 0), first, now, exc.key, _json_params(exc.params),
                          job_id))
            return Job.from_row(conn.execute("SELECT * FROM jobs WHERE id=?", (job_id,)).fetchone())

    def fail(self, job_id: int, exc: SmartboxError) -> Job:
        """Record a permanent failure (no retry, whatever ``exc.retryable`` says)."""
        return self.mark_failed(job_id, exc, _NEVER)

    def release(self, job_ids: Sequence[int]) -> None:
        """Return claimed jobs to ``queued`` without counting an attempt (graceful shutdown)."""
        with self._tx() as conn:
            conn.executemany("UPDATE jobs SET state='queued', updated=? WHERE id=? AND state='sending'",
                             [(self._clock(), i) for i in job_ids])

    def retry(self, job_ids: Sequence[int] = (), destination: str | None = None, *, everything: bool = False) -> int:
        """Operator: failed / retry_wait / cancelled jobs back to ``queued`` now, attempts reset.

        Selects ``job_ids`` (all of them must exist), the jobs of ``destination``, both (``AND``), or — only when
        asked with ``everything`` — every job; selecting nothing is refused, never taken as "all".
        """
        with self._tx() as conn:
            where, args = self._select(conn, job_ids, destination, everything)
            cur = conn.execute(
                f"UPDATE jobs SET state='queued', attempts=0, next_attempt=0, first_failure=NULL, updated=? WHERE"
                f" state IN ('failed','retry_wait','cancelled') AND {where}", (self._clock(), *args))
            return cur.rowcount

    def cancel(self, job_ids: Sequence[int] = (), destination: str | None = None, *, everything: bool = False) -> int:
        """Operator: jobs not sent yet (queued, retry_wait, failed) -> ``cancelled``; selection as :meth:`retry`.

        The spool file stays: :meth:`purge` never deletes a capture with a cancelled job unless forced.
        """
        with self._tx() as conn:
            where, args = self._select(conn, job_ids, destination, everything)
            cur = conn.execute(f"UPDATE jobs SET state='cancelled', updated=? WHERE state IN "
                               f"('queued','retry_wait','failed') AND {where}", (self._clock(), *args))
            return cur.rowcount

    @staticmethod
    def _select(conn: sqlite3.Connection, job_ids: Sequence[int], destination: str | None,
                everything: bool) -> tuple[str, tuple[Any, ...]]:
        if everything:
            if job_ids or destination:
                raise ValueError("everything=True selects every job; it takes no job ids or destination")
            return "1=1", ()
        if not job_ids and not destination:
            raise ValueError("no job selected: pass job ids, a destination, or everything=True")
        clauses: list[str] = []
        args: list[Any] = []
        if job_ids:
            marks = ",".join("?" * len(job_ids))
            known = {r[0] for r in conn.execute(f"SELECT id FROM jobs WHERE id IN ({marks})", tuple(job_ids))}
            unknown = [str(i) for i in dict.fromkeys(job_ids) if i not in known]
            if unknown:
                raise OutboxError("outbox.unknown_job", job=", ".join(unknown))
            clauses.append(f"id IN ({marks})")
            args.extend(job_ids)
        if destination:
            clauses.append("destination=?")
            args.append(destination)
        return " AND ".join(clauses), tuple(args)

    _CAPTURES = ("SELECT path, SUM(state != 'sent') AS open FROM jobs GROUP BY path HAVING MAX(updated) <= ?"
                 " ORDER BY MIN(id)")

    @classmethod
    def _captures_sql(cls, commitment: Sequence[str]) -> str:
        """:data:`_CAPTURES`; with ``commitment`` destinations, a job there is open until its object is committed
        (table ``commitments``, spool/commitments.py): retention by commitment."""
        if not commitment:
            return cls._CAPTURES
        marks = ",".join("?" * len(commitment))
        return ("SELECT path, SUM(state != 'sent' OR (destination IN (" + marks + ") AND NOT EXISTS (SELECT 1 FROM "
                "commitments c WHERE c.sop_instance_uid=jobs.sop_instance_uid AND c.destination=jobs.destination AND "
                "c.state='committed'))) AS open FROM jobs GROUP BY path HAVING MAX(updated) <= ? ORDER BY MIN(id)")

    def count_undelivered(self, older_than: float, *, commitment: Sequence[str] = ()) -> int:
        """Captures (spool files) some destination does not have yet — a job queued, sending, retry_wait, failed
        or cancelled, or (``commitment`` destinations) not committed — whose last change is at least
        ``older_than`` seconds ago."""
        cutoff = self._clock() - older_than
        return sum(1 for row in self._conn().execute(self._captures_sql(commitment), (*commitment, cutoff))
                   if row["open"])

    def purge(self, older_than: float, *, undelivered: int | None = None, commitment: Sequence[str] = ()) -> Purged:
        """Forget captures whose jobs are all ``sent`` and unchanged for ``older_than`` seconds; return their spool
        files (the caller deletes them).

        A capture some destination does not have yet (see :meth:`count_undelivered`) is never purged — whatever
        ``older_than`` — unless ``undelivered`` is given and equals the number of such captures the purge would
        take (the operator's confirmation); a different number raises ``outbox.purge_count_mismatch`` and
        nothing is deleted. At ``commitment`` destinations a capture counts as delivered only once committed.
        DESIGN principle 4: nothing is lost by accident.
        """
        cutoff = self._clock() - older_than
        with self._tx() as conn:
            rows = conn.execute(self._captures_sql(commitment), (*commitment, cutoff)).fetchall()
            delivered = [r["path"] for r in rows if not r["open"]]
            open_ = [r["path"] for r in rows if r["open"]]
            if undelivered is not None and undelivered != len(open_):
                raise OutboxError("outbox.purge_count_mismatch", count=len(open_), given=undelivered)
            gone = delivered + (open_ if undelivered is not None else [])
            conn.executemany("DELETE FROM commitments WHERE sop_instance_uid IN (SELECT sop_instance_uid FROM jobs "
                             "WHERE path=?)", [(p,) for p in gone])
            conn.executemany("DELETE FROM jobs WHERE path=?", [(p,) for p in gone])
        return Purged(delivered=[Path(p) for p in delivered],
                      undelivered=[Path(p) for p in open_] if undelivered is not None else [])

    # ---------------------------------------------------------------- reading

    def jobs(self, destination: str | None = None, states: Sequence[JobState] = ()) -> list[Job]:
        sql, args = "SELECT * FROM jobs WHERE 1=1", []
        if destination:
            sql += " AND destination=?"
            args.append(destination)
        if states:
            sql += f" AND state IN ({','.join('?' * len(states))})"
            args.extend(s.value for s in states)
        return [Job.from_row(r) for r in self._conn().execute(sql + " ORDER BY id", args)]

    def job(self, job_id: int) -> Job | None:
        row = self._conn().execute("SELECT * FROM jobs WHERE id=?", (job_id,)).fetchone()
        return Job.from_row(row) if row else None

    def jobs_for(self, sop_instance_uids: Sequence[str]) -> list[Job]:
        """Every job of these objects (any destination, any state), by id."""
        uids = list(dict.fromkeys(sop_instance_uids))
        out: list[Job] = []
        for i in range(0, len(uids), 500):  # SQLite's parameter limit
            part = uids[i:i + 500]
            out += [Job.from_row(r) for r in self._conn().execute(
                f"SELECT * FROM jobs WHERE sop_instance_uid IN ({','.join('?' * len(part))}) ORDER BY id", part)]
        return sorted(out, key=lambda j: j.id)

    def paths(self) -> set[Path]:
        return {Path(r[0]) for r in self._conn().execute("SELECT DISTINCT path FROM jobs")}

    def next_due(self, destination: str) -> float | None:
        row = self._conn().execute("SELECT MIN(next_attempt) FROM jobs WHERE destination=? AND state IN "
                                   "('queued','retry_wait')", (destination,)).fetchone()
        return None if row[0] is None else float(row[0])

    def stats(self) -> list[DestinationStats]:
        rows = self._conn().execute(
            "SELECT destination, SUM(state IN ('queued','sending','retry_wait')) AS pending,"
            " SUM(CASE WHEN state IN ('queued','sending','retry_wait') THEN size ELSE 0 END) AS pending_bytes,"
            " SUM(state='sent') AS sent, SUM(state='failed') AS failed, SUM(state='retry_wait') AS retry_wait"
            " FROM jobs GROUP BY destination ORDER BY destination").fetchall()
        return [DestinationStats(r["destination"], int(r["pending"] or 0), int(r["pending_bytes"] or 0),
                                 int(r["sent"] or 0), int(r["failed"] or 0), int(r["retry_wait"] or 0)) for r in rows]
