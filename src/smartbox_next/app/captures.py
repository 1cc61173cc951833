"""The station's captures: made and kept in the exam until the operator sends them, deleted with undo, and their
delivery state per capture.

A capture taken at the station is a complete object at once — written atomically into the spool and recorded in
its exam (:func:`smartbox_next.app.exams.capture` with ``hold``) — but it is queued only when the operator taps
"Alle senden" or ends the exam: until then it can be deleted (a blurred photo never reaches the archive). A
deleted capture leaves the exam and moves out of the spool into the station's work folder; undo puts it back;
after the undo time it is removed. A crash never loses a capture that was not deleted: start-up reconciliation
queues every spooled object without a job (nothing waits silently forever).

States shown per capture (:func:`capture_states`): ``created`` (held) → ``waiting`` → ``sending`` (%, MB/s) →
``sent`` (→ ``archived`` once every archive that requires Storage Commitment committed it, or ``unconfirmed`` when
one reported a failure or is overdue), or ``retry`` / ``failed``. A capture that waits or failed carries a plain
reason for the nurse (:func:`plain_reason`: "Archiv nicht erreichbar – Aufnahme ist sicher gespeichert …") and the
technical message with what to do for IT (the card's details, the queue screen).
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pydicom

from smartbox_next.app.exams import capture, show_exam
from smartbox_next.app.station import paths
from smartbox_next.config import Config
from smartbox_next.delivery.names import destination_names
from smartbox_next.dicom import sop as sops
from smartbox_next.errors import SmartboxError
from smartbox_next.messages import say
from smartbox_next.messages.numbers import size_text
from smartbox_next.spool.commitments import CommitmentStore, CommitState, overdue_error
from smartbox_next.spool.exams import ExamObject, ExamStore, check_exam_id
from smartbox_next.spool.outbox import Job, JobState, Outbox

VIDEO_CLASSES = frozenset(s.uid for s in sops.ALL if s.kind is sops.SopKind.VIDEO)


def work_folder(config: Config, *parts: str) -> Path:
    """A folder under the station's work folder (created)."""
    folder = paths(config).station_work.joinpath(*parts)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@dataclass(frozen=True)
class Made:
    """One object a capture produced (a long video may produce several)."""

    sop_instance_uid: str
    sop_class_uid: str
    path: Path
    pass_through: bool | None


def hold_still(config: Config, outbox: Outbox, exam_id: str, jpeg: bytes) -> list[Made]:
    """The still object of ``jpeg`` (a baseline JPEG encoded once from the frame, passed through unchanged),
    recorded in the exam and held (not queued)."""
    tmp = work_folder(config, "tmp") / f"{uuid.uuid4().hex}.jpg"
    tmp.write_bytes(jpeg)
    try:
        made = capture(config, outbox, exam_id, tmp, hold=True)
    finally:
        tmp.unlink(missing_ok=True)
    return [Made(m.created.sop_instance_uid, m.created.sop_class_uid, m.created.path, m.created.pass_through)
            for m in made]


def hold_recording(config: Config, outbox: Outbox, exam_id: str, recording: Path) -> list[Made]:
    """The video object(s) of a finished recording (wrapped byte for byte), recorded in the exam and held.
    The recording file is removed once the objects are written."""
    try:
        made = capture(config, outbox, exam_id, recording, hold=True)
    finally:
        recording.unlink(missing_ok=True)
    return [Made(m.created.sop_instance_uid, m.created.sop_class_uid, m.created.path, m.created.pass_through)
            for m in made]


def held(outbox: Outbox, exam_id: str) -> list[ExamObject]:
    """The exam's captures not queued yet."""
    return [o for o in ExamStore(outbox).objects(check_exam_id(exam_id)) if not outbox.instance_known(
        o.sop_instance_uid)]


def send_held(config: Config, outbox: Outbox, exam_id: str) -> int:
    """Queue every held capture of the exam for every destination; returns how many were queued."""
    names = destination_names(config)
    if not names:
        from smartbox_next.errors import OutboxError

        raise OutboxError("outbox.no_destinations")
    waiting = held(outbox, exam_id)
    for obj in waiting:
        outbox.enqueue(obj.path, obj.sop_instance_uid, obj.sop_class_uid, names)
    return len(waiting)


@dataclass(frozen=True)
class Deleted:
    """A capture the operator deleted; :func:`restore_capture` puts it back until the undo time is over."""

    token: str
    exam_id: str
    row: ExamObject
    trash: Path
    expires: float


def delete_capture(config: Config, outbox: Outbox, exam_id: str, sop_instance_uid: str, *,
                   undo_s: float) -> Deleted:
    """Take a held capture out of the exam and the spool (InputError ``exam.object_queued`` once queued)."""
    row = ExamStore(outbox).forget(check_exam_id(exam_id), sop_instance_uid)
    trash = work_folder(config, "deleted") / row.path.name
    os.replace(row.path, trash)
    return Deleted(uuid.uuid4().hex, exam_id, row, trash, time.time() + undo_s)


def restore_capture(config: Config, outbox: Outbox, deleted: Deleted) -> None:
    """Undo :func:`delete_capture`: the file goes back into the spool and the capture into its exam."""
    os.replace(deleted.trash, deleted.row.path)
    store = ExamStore(outbox)
    try:
        with outbox.transaction() as conn:
            store.recorder(deleted.exam_id, deleted.row)(conn)
    except BaseException:
        os.replace(deleted.row.path, deleted.trash)
        raise


def purge_deleted(deleted: Deleted) -> None:
    """The undo time is over: the deleted capture's file is removed."""
    deleted.trash.unlink(missing_ok=True)


# ------------------------------------------------------------------------------------------ states


@dataclass(frozen=True)
class Progress:
    """Bytes of one capture on their way to a destination."""

    sent: int
    total: int
    rate: float  # bytes per second, smoothed

    @property
    def percent(self) -> int:
        return 0 if self.total <= 0 else min(100, int(100 * self.sent / self.total))


@dataclass(frozen=True)
class CaptureState:
    """One capture as the station shows it."""

    sop_instance_uid: str
    kind: str  # "photo" | "video"
    number: int  # 1-based within the exam, per kind
    created: float
    size: int
    duration_s: float | None
    state: str  # created | waiting | sending | retry | sent | archived | unconfirmed | failed | cancelled
    percent: int = 0
    rate_mb_s: float = 0.0
    next_attempt: float | None = None
    error_key: str | None = None
    error: str | None = None  # the technical message (for IT: the card's details, the queue screen)
    hint: str | None = None
    reason: str | None = None  # the plain reason the card shows (retry, failed, unconfirmed)
    size_text: str = ""
    destinations: tuple[tuple[str, str], ...] = ()  # (destination, job state)
    job_ids: tuple[int, ...] = ()

    def as_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["destinations"] = [{"destination": d, "state": s} for d, s in self.destinations]
        out["job_ids"] = list(self.job_ids)
        return out


@dataclass(frozen=True)
class ObjectMeta:
    """What a capture's header says (read once per capture)."""

    kind: str
    size: int
    duration_s: float | None


def object_meta(path: Path, sop_class_uid: str) -> ObjectMeta:
    """Kind, size and (video) duration of a spooled object, from its header only."""
    try:
        size = path.stat().st_size
    except OSError:
        size = 0
    if sop_class_uid not in VIDEO_CLASSES and sop_class_uid != sops.MF_TRUE_COLOR_SC.uid:
        return ObjectMeta("photo", size, None)
    duration = None
    try:
        ds = pydicom.dcmread(path, stop_before_pixels=True, specific_tags=["NumberOfFrames", "FrameTime"])
        duration = int(ds.NumberOfFrames) * float(ds.FrameTime) / 1000.0
    except (OSError, ValueError, AttributeError, pydicom.errors.InvalidDicomError):
        pass
    return ObjectMeta("video", size, duration)


def _aggregate(jobs: Sequence[Job]) -> str:
    states = {j.state for j in jobs}
    if not jobs:
        return "created"
    if JobState.FAILED in states:
        return "failed"
    if JobState.SENDING in states:
        return "sending"
    if JobState.RETRY_WAIT in states:
        return "retry"
    if JobState.QUEUED in states:
        return "waiting"
    if states == {JobState.CANCELLED}:
        return "cancelled"
    return "sent"


# error keys (prefixes) that mean "the archive cannot be reached now": the network, the peer's process, TLS
_UNREACHABLE = ("net.connect_failed", "net.aborted", "net.timeout", "net.rejected.congestion",
                "net.rejected.local_limit", "net.peer.", "net.tls.", "dicomweb.busy", "dicomweb.server_error",
                "dicomweb.http_failed", "dicomweb.tls_failed")
# … and those that mean "it answers, but does not take this object" (refusals, statuses, conversions)
_REFUSED = ("net.", "store.", "dicomweb.", "send.")


def plain_reason(state: str, error_key: str | None, lang: str) -> str | None:
    """The short reason a nurse reads on a capture that waits (``retry``), failed or is ``unconfirmed``: what
    happened in plain words, and that the capture is safe (the technical message stays for IT)."""
    if state == "unconfirmed":
        return say("station.reason_unconfirmed", lang)
    if state not in ("retry", "failed"):
        return None
    key = error_key or ""
    kind = "unreachable" if key.startswith(_UNREACHABLE) else "refused" if key.startswith(_REFUSED) else "other"
    return say(f"station.reason_{kind}_{state}", lang)


def commitment_of(config: Config, outbox: Outbox, uids: Sequence[str], *,
                  now: float | None = None) -> dict[str, tuple[str, SmartboxError | None]] | None:
    """Per capture its Storage Commitment at every destination that requires one (a storage peer with role
    ``commitment``): ``committed`` (by all of them), ``unconfirmed`` (failed, or overdue ``commitment.window_hours``
    after the first request, at one of them; with the stored error when there is one) or ``waiting``.
    None when no destination requires commitment."""
    required = list(config.commitment_peers())
    if not required:
        return None
    rows = {(c.sop_instance_uid, c.destination): c for c in CommitmentStore(outbox).commitments(uids=uids)} \
        if uids else {}
    window, when = config.commitment.window_hours * 3600, time.time() if now is None else now
    out: dict[str, tuple[str, SmartboxError | None]] = {}
    for uid in uids:
        found = [rows.get((uid, dest)) for dest in required]
        bad = [c for c in found if c is not None and (c.state is CommitState.FAILED or c.overdue(when, window))]
        if bad:
            overdue = overdue_error(bad[0].destination, 1, config.commitment.window_hours)
            out[uid] = ("unconfirmed", bad[0].error() or overdue)
        elif all(c is not None and c.state is CommitState.COMMITTED for c in found):
            out[uid] = ("committed", None)
        else:
            out[uid] = ("waiting", None)
    return out


def capture_states(config: Config, outbox: Outbox, exam_id: str, *, lang: str,
                   meta: Mapping[str, ObjectMeta], progress: Mapping[str, Progress],
                   commitment: Mapping[str, tuple[str, SmartboxError | None]] | None = None) -> list[CaptureState]:
    """Every capture of the exam with its delivery state (texts in ``lang``).

    ``meta`` holds :func:`object_meta` per SOP Instance UID (the caller caches it), ``progress`` the bytes in
    flight, ``commitment`` what :func:`commitment_of` says (None: no archive requires commitment).
    """
    view = show_exam(config, outbox, exam_id)
    by_uid: dict[str, list[Job]] = {}
    for job in outbox.jobs_for([c.sop_instance_uid for c in view.captures]):
        by_uid.setdefault(job.sop_instance_uid, []).append(job)
    out: list[CaptureState] = []
    counters = {"photo": 0, "video": 0}
    for c in view.captures:
        m = meta.get(c.sop_instance_uid) or object_meta(Path(c.path), c.sop_class_uid)
        counters[m.kind] += 1
        jobs = by_uid.get(c.sop_instance_uid, [])
        state = _aggregate(jobs)
        err: SmartboxError | None = None
        failing = [j for j in jobs if j.state in (JobState.FAILED, JobState.RETRY_WAIT)]
        if failing:
            err = failing[0].error()
        if state == "sent" and commitment is not None:
            committed, why = commitment.get(c.sop_instance_uid, ("waiting", None))
            state = {"committed": "archived", "unconfirmed": "unconfirmed"}.get(committed, state)
            err = why if state == "unconfirmed" else err
        prog = progress.get(c.sop_instance_uid)
        retry_at = min((j.next_attempt for j in jobs if j.state is JobState.RETRY_WAIT), default=None)
        out.append(CaptureState(
            c.sop_instance_uid, m.kind, counters[m.kind], time.mktime(time.strptime(c.created, "%Y-%m-%dT%H:%M:%S")),
            m.size, m.duration_s, state,
            percent=100 if state in ("sent", "archived", "unconfirmed") else (
                prog.percent if prog and state == "sending" else 0),
            rate_mb_s=round(prog.rate / 1e6, 1) if prog and state == "sending" else 0.0,
            next_attempt=retry_at, error_key=err.key if err else None, error=err.text(lang) if err else None,
            hint=err.hint(lang) if err else None, reason=plain_reason(state, err.key if err else None, lang),
            size_text=size_text(m.size, lang),
            destinations=tuple((j.destination, j.state.value) for j in jobs), job_ids=tuple(j.id for j in jobs)))
    return out
