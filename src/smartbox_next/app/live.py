"""The running capture station: one process holds the data folder's service lock and runs the live source, the
recorder, the sending service and the station's use cases that the web API (``smartbox_next.web``) calls.

Threads: the source (frames into the hub), the recorder's encoder, one sender worker per destination, the
workflow service's MPPS and commitment workers and its listener (as in ``smartbox serve``), a connection checker
(C-ECHO of every peer, for the status lamps) and a janitor (deleted captures whose undo time ran out). Everything
the UI shows is read from the outbox database and these parts; every change is announced on :class:`Events`
(the page listens with Server-Sent Events and reloads what changed).

Only one exam is open at the station at a time (the one in progress; after a restart the newest one in
progress is open again). Its captures are held until "Alle senden" or the end of the exam
(:mod:`smartbox_next.app.captures`).
"""

from __future__ import annotations

import io
import logging
import queue
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from PIL import Image

from smartbox_next.app import captures as caps
from smartbox_next.app.exams import EMERGENCY_KINDS, ExamView, complete_exam, list_exams, set_region, show_exam
from smartbox_next.app.exams import start_exam as start_exam_use_case
from smartbox_next.app.identity import Identity, exam_for
from smartbox_next.app.services import Services, start_services
from smartbox_next.app.station import open_outbox, reconcile_station, service_lock
from smartbox_next.app.station_views import UI_REGIONS, check_connections, exam_json, worklist_json
from smartbox_next.capture.live.frames import FrameHub, still_jpeg
from smartbox_next.capture.live.memory import frame_threshold, pin_mmap_threshold
from smartbox_next.capture.live.preview import PreviewEncoder
from smartbox_next.capture.live.recorder import EncoderSettings, LiveRecorder, Recorded
from smartbox_next.capture.live.sources import LiveSource, SourceSpec, SourceStatus
from smartbox_next.config import Config
from smartbox_next.delivery.destination import destinations
from smartbox_next.dicom import sop as sops
from smartbox_next.dicom.anatomy import REGION_NAMES
from smartbox_next.errors import InputError, OutboxError, SmartboxError
from smartbox_next.net.store import ProgressEvent
from smartbox_next.spool.commitments import CommitmentStore
from smartbox_next.spool.exams import ExamState, ExamStore
from smartbox_next.spool.lock import ServiceLock
from smartbox_next.spool.outbox import Job, Outbox
from smartbox_next.spool.reconcile import Reconciled

LOG = logging.getLogger(__name__)

FRESH_FRAME_S = 2.0  # a still needs a frame at most this old (else: no picture)
OVERDUE_CHECK_S = 5.0  # how often the janitor looks for objects whose commitment became overdue


class Events:
    """Change notices for the UI: every subscriber gets each ``(kind, data)`` (a slow one loses the oldest and
    is told to reload everything)."""

    def __init__(self, backlog: int = 200) -> None:
        self._lock = threading.Lock()
        self._subscribers: list[queue.Queue[tuple[str, dict[str, Any]]]] = []
        self.backlog = backlog

    def publish(self, kind: str, data: dict[str, Any] | None = None) -> None:
        with self._lock:
            subscribers = list(self._subscribers)
        for q in subscribers:
            try:
                q.put_nowait((kind, data or {}))
            except queue.Full:
                try:
                    while True:
                        q.get_nowait()
                except queue.Empty:
                    pass
                q.put_nowait(("resync", {}))

    def subscribe(self) -> queue.Queue[tuple[str, dict[str, Any]]]:
        q: queue.Queue[tuple[str, dict[str, Any]]] = queue.Queue(maxsize=self.backlog)
        with self._lock:
            self._subscribers.append(q)
        return q

    def unsubscribe(self, q: queue.Queue[tuple[str, dict[str, Any]]]) -> None:
        with self._lock:
            if q in self._subscribers:
                self._subscribers.remove(q)

    @property
    def subscribers(self) -> int:
        with self._lock:
            return len(self._subscribers)


def _thumbnail(jpeg: bytes, width: int = 320) -> bytes:
    """A small JPEG of a still (decoded at reduced scale: fast)."""
    opened = Image.open(io.BytesIO(jpeg))
    opened.draft("RGB", (width, width))
    im = opened.convert("RGB")
    im.thumbnail((width, width * 3 // 4))
    out = io.BytesIO()
    im.save(out, format="JPEG", quality=80)
    return out.getvalue()


class LiveStation:
    """The station's running parts and use cases (see the module docstring)."""

    def __init__(self, config: Config, *, source: SourceSpec | None = None, echo_interval: float = 30.0) -> None:
        self.config = config
        live = config.live
        self.source_spec = source or SourceSpec.parse(live.source, width=live.width, height=live.height,
                                                      fps=live.frame_rate, input_format=live.v4l2_format)
        self.events = Events()
        self.hub = FrameHub()
        self.preview = PreviewEncoder(self.hub, max_width=live.preview_width)
        self.recorder = LiveRecorder(
            self.hub, EncoderSettings(codec=live.codec, preset=live.preset, crf=live.crf, max_kbit=live.max_kbit),
            pre_record_max_s=live.pre_record_max_s, on_event=self._recorder_event)
        self._pinned_for: tuple[int, int] = (0, 0)  # the frame size the mmap threshold is set for
        self.source = LiveSource(self.source_spec, self.hub, on_state=self._source_state)
        self.echo_interval = echo_interval
        self.stop_event = threading.Event()
        self._ops = threading.RLock()
        self._lock: ServiceLock | None = None
        self.outbox: Outbox | None = None
        self._services: Services | None = None
        self._threads: list[threading.Thread] = []
        self._meta: dict[str, caps.ObjectMeta] = {}
        self._progress: dict[str, caps.Progress] = {}
        self._progress_seen: dict[str, tuple[float, int]] = {}
        self._progress_published = 0.0
        self._deleted: dict[str, caps.Deleted] = {}
        self._recording: dict[str, Any] | None = None
        self._saving = 0
        self.lamps: dict[str, dict[str, Any]] = {}
        self._worklist: dict[str, dict[str, Any]] = {}
        self._last_worklist: dict[str, Any] | None = None
        self._last_exam: str | None = None  # the exam ended last (its cards: sent → archived), shown on demand
        self.timings: dict[str, float] = {}
        self.started = time.time()

    # ------------------------------------------------------------------ life cycle

    @property
    def thumbs(self) -> Path:
        return caps.work_folder(self.config, "thumbs")

    def db(self) -> Outbox:
        if self.outbox is None:
            raise RuntimeError("the station is not started")
        return self.outbox

    def start(self) -> Reconciled:
        """Take the service lock, open and reconcile the outbox, start the workflow service (MPPS, commitment,
        listener), the sender, the source and the checkers — the same services ``smartbox serve`` runs
        (:mod:`smartbox_next.app.services`). A listener that cannot open its port (ConfigError) and a
        configuration without any destination (OutboxError) are raised before anything runs."""
        self._lock = service_lock(self.config)
        self._lock.acquire()
        try:
            self.outbox = open_outbox(self.config)
            dests = destinations(self.config, progress=self._on_progress)
            if not dests:  # as serve: a photo that cannot go anywhere is refused at start, not at the press
                raise OutboxError("outbox.no_destinations")
            report = reconcile_station(self.config, self.outbox, [d.name for d in dests])
            for stale in caps.work_folder(self.config, "deleted").iterdir():  # undo ended with the last run
                stale.unlink(missing_ok=True)
            self._services = start_services(self.config, self.outbox, dests, stop=self.stop_event,
                                            on_job=self._on_job, on_event=self._on_workflow)
            self._services.sender.start()
            self.source.start()
            for target, name in ((self._check_connections, "station-echo"), (self._janitor, "station-janitor")):
                t = threading.Thread(target=target, name=name, daemon=True)
                t.start()
                self._threads.append(t)
            if self.open_exam_id() is not None:
                self._arm()
            ended = [r for r in self.exam_store().exams([ExamState.COMPLETED, ExamState.DISCONTINUED])
                     if r.ended is not None]
            self._last_exam = max(ended, key=lambda r: (r.ended or 0, r.id)).id if ended else None
        except BaseException:
            self.stop_event.set()
            if self._services is not None:
                self._services.join(30)
            self.source.stop()
            if self.outbox is not None:
                self.outbox.close()
            self._lock.release()
            raise
        return report

    def notices(self) -> list[tuple[str, dict[str, Any]]]:
        """What to tell at start about commitment reports (the listener) and peers, as ``serve`` does."""
        return self._services.notices() if self._services is not None else []

    def stop(self) -> None:
        """Stop everything: a running recording is finished and kept, objects in flight finish sending."""
        if self._recording is not None:
            try:
                self.stop_recording(self._recording["exam"], wait=True)
            except SmartboxError:
                LOG.exception("recording could not be saved at shutdown")
        self.stop_event.set()
        self.recorder.close()
        self.source.stop()
        if self._services is not None:
            self._services.join(30)
        for t in self._threads:
            t.join(5)
        if self.outbox is not None:
            self.outbox.close()
        if self._lock is not None:
            self._lock.release()

    # ------------------------------------------------------------------ events from the parts

    def _source_state(self, status: SourceStatus) -> None:
        # buffers larger than the live frame return to the OS (capture/live/memory.py): set when the source goes
        # live, before its first frame is published, and again when it comes back with another size
        size = (status.width, status.height)
        if status.state == "live" and status.width and status.height and size != self._pinned_for:
            self._pinned_for = size
            pin_mmap_threshold(frame_threshold(*size))
        self.events.publish("source", status.as_json())

    def _recorder_event(self, kind: str, data: dict[str, Any]) -> None:
        if kind == "recording_ended" and self._recording is not None:  # the picture changed size
            self._saving += 1
            threading.Thread(target=self._finish_recording, args=(self.recorder.stop(),), daemon=True).start()
        self.events.publish("notice", {"key": data.get("reason", ""), **self._error_texts(data.get("reason", ""))})

    def _error_texts(self, key: str) -> dict[str, str]:
        err = SmartboxError(key) if key else None
        return {"en": err.text("en"), "de": err.text("de"), "hint_en": err.hint("en"),
                "hint_de": err.hint("de")} if err else {}

    def _on_job(self, destination: str, job: Job, what: str) -> None:
        self._progress.pop(job.sop_instance_uid, None)
        self._progress_seen.pop(job.sop_instance_uid, None)
        self.events.publish("job", {"uid": job.sop_instance_uid, "destination": destination, "state": what})

    def _on_workflow(self, key: str, params: dict[str, Any]) -> None:
        """The workflow service sent an MPPS message or applied a commitment report: the page reloads."""
        self.events.publish("workflow", {"key": key})

    def _on_progress(self, event: ProgressEvent) -> None:
        uid = event.path.stem
        now = time.monotonic()
        last = self._progress_seen.get(uid)
        rate = 0.0
        if last is not None and now > last[0]:
            rate = (event.object_bytes - last[1]) / (now - last[0])
            old = self._progress.get(uid)
            rate = rate if old is None or old.rate == 0 else 0.7 * old.rate + 0.3 * rate
        if last is None or now - last[0] >= 0.1 or event.done:
            self._progress_seen[uid] = (now, event.object_bytes)
            self._progress[uid] = caps.Progress(event.object_bytes, event.object_total, max(0.0, rate))
        if event.done or now - self._progress_published >= 0.25:
            self._progress_published = now
            prog = self._progress.get(uid)
            self.events.publish("progress", {"uid": uid, "percent": prog.percent if prog else 100,
                                             "rate_mb_s": round((prog.rate if prog else 0) / 1e6, 1)})

    # ------------------------------------------------------------------ background

    def _check_connections(self) -> None:
        while not self.stop_event.is_set():
            changed = check_connections(self.config, self.lamps)
            if changed:
                self.events.publish("lamps", {})
            self.stop_event.wait(self.echo_interval)

    def _janitor(self) -> None:
        overdue, checked = 0, 0.0
        try:
            while not self.stop_event.wait(0.5):
                now = time.time()
                if now - checked >= OVERDUE_CHECK_S:
                    checked = now
                    try:
                        overdue = self._announce_overdue(overdue)
                    except Exception:  # the janitor must go on purging deleted captures
                        LOG.exception("overdue commitments could not be counted")
                self._expire_deleted(now)
        finally:
            if self.outbox is not None:
                self.outbox.close()  # this thread's connection

    def _announce_overdue(self, before: int) -> int:
        """Objects become "commitment overdue" with time alone (no report, no job changes): tell the page."""
        if not self.config.commitment_peers():
            return before
        count = CommitmentStore(self.db()).overdue_count(window=self.config.commitment.window_hours * 3600)
        if count != before:
            self.events.publish("workflow", {"key": "commitment.overdue"})
        return count

    def _expire_deleted(self, now: float) -> None:
        for token, deleted in list(self._deleted.items()):
            if deleted.expires <= now:
                self._deleted.pop(token, None)
                caps.purge_deleted(deleted)
                (self.thumbs / f"{deleted.row.sop_instance_uid}.jpg").unlink(missing_ok=True)
                self.events.publish("undo_expired", {"token": token})

    def _arm(self) -> None:
        if self.config.live.pre_record_max_s > 0:
            self.recorder.arm()

    # ------------------------------------------------------------------ exams

    def open_exam_id(self) -> str | None:
        """The exam open at the station: the newest one in progress."""
        running = list_exams(self.config, self.db(), states=[ExamState.IN_PROGRESS.value])
        return running[-1].exam_id if running else None

    def _require_open(self, exam_id: str) -> None:
        current = self.open_exam_id()
        if current != exam_id:
            view = show_exam(self.config, self.db(), exam_id)  # unknown / ended: its own error
            if not view.in_progress:
                from smartbox_next.spool.exams import STATE_TEXT

                raise InputError("exam.not_in_progress", exam=exam_id, state=STATE_TEXT[ExamState(view.state)])
            raise InputError("station.exam_open", exam=current or "-")

    def start_exam(self, *, accession: str | None = None, worklist_item: str | None = None,
                   emergency: str | None = None, region: str | None = None) -> ExamView:
        """Open an exam for a worklist entry (item or accession) or an emergency (``male|female|child``)."""
        if sum(x is not None for x in (accession, worklist_item, emergency)) != 1:
            raise InputError("station.bad_request", detail="exactly one of accession, worklist_item, emergency")
        if emergency is not None and emergency not in EMERGENCY_KINDS:
            raise InputError("station.bad_request", detail=f"emergency: one of {', '.join(EMERGENCY_KINDS)}")
        with self._ops:
            current = self.open_exam_id()
            if current is not None:
                raise InputError("station.exam_open", exam=current)
            identity = Identity(accession=accession, worklist_item=worklist_item, emergency=emergency is not None,
                                anatomic_region=region)
            chosen = exam_for(self.config, identity)
            view = start_exam_use_case(self.config, self.db(), chosen, emergency_kind=emergency)
            self._arm()
        self.events.publish("exam", {"exam": view.exam_id})
        return view

    def set_region(self, exam_id: str, region: str) -> ExamView:
        with self._ops:
            self._require_open(exam_id)
            view = set_region(self.config, self.db(), exam_id, region)
        self.events.publish("exam", {"exam": exam_id})
        return view

    def take_still(self, exam_id: str) -> dict[str, Any]:
        """Press → the still object is written and recorded in the exam (held); returns its state."""
        pressed = time.perf_counter()
        frame = self.hub.latest()
        if frame is None or self.source.status.state != "live" or time.time() - frame.captured > FRESH_FRAME_S:
            raise InputError("live.no_picture")
        with self._ops:
            self._require_open(exam_id)
            jpeg, camera = still_jpeg(frame, self.config.objects.jpeg_quality)
            made = caps.hold_still(self.config, self.db(), exam_id, jpeg)
            written = time.perf_counter()
            for m in made:
                (self.thumbs / f"{m.sop_instance_uid}.jpg").write_bytes(_thumbnail(jpeg))
        self.timings["still_ms"] = (written - pressed) * 1000
        LOG.info("still %s written in %.0f ms (%s)", made[0].sop_instance_uid, self.timings["still_ms"],
                 "camera JPEG" if camera else "encoded once from the frame")
        self.events.publish("exam", {"exam": exam_id})
        return {"sop_instance_uids": [m.sop_instance_uid for m in made], "ms": round(self.timings["still_ms"], 1),
                "camera_jpeg": camera}

    def _region_known(self, view: ExamView) -> bool:
        return bool(view.anatomic_region or self.config.objects.anatomic_region)

    def start_recording(self, exam_id: str, pre_record_s: float | None = None) -> dict[str, Any]:
        with self._ops:
            self._require_open(exam_id)
            if self._recording is not None:
                raise InputError("live.recording_running")
            view = show_exam(self.config, self.db(), exam_id)
            if not self._region_known(view):
                raise InputError("region.missing", sop=sops.VIDEO_ENDOSCOPIC.name)
            frame = self.hub.latest()
            if frame is None or self.source.status.state != "live":
                raise InputError("live.no_picture")
            pre = self.config.live.pre_record_s if pre_record_s is None else max(0.0, float(pre_record_s))
            path = caps.work_folder(self.config, "recordings") / f"{uuid.uuid4().hex}.mp4"
            got = self.recorder.start(path, pre)
            self._recording = {"exam": exam_id, "started": time.time(), "pre_record_s": round(got, 1),
                               "asked_s": pre, "thumb": _thumbnail(self.preview.jpeg(frame))}
        self.events.publish("recording", {"exam": exam_id, "active": True})
        return self.recording_state() or {}

    def recording_state(self) -> dict[str, Any] | None:
        rec = self._recording
        if rec is None:
            return None
        return {"exam": rec["exam"], "active": True, "elapsed_s": round(self.recorder.elapsed(), 1),
                "pre_record_s": rec["pre_record_s"], "started": rec["started"]}

    def stop_recording(self, exam_id: str, *, wait: bool = False) -> dict[str, Any]:
        """End the recording; its object is built in the background (``saving``), or now with ``wait``."""
        with self._ops:
            if self._recording is None or self._recording["exam"] != exam_id:
                raise InputError("live.not_recording")
            recorded = self.recorder.stop()
            self._saving += 1
        self.events.publish("recording", {"exam": exam_id, "active": False})
        if wait:
            self._finish_recording(recorded)
        else:
            threading.Thread(target=self._finish_recording, args=(recorded,), name="station-save",
                             daemon=True).start()
        return {"duration_s": round(recorded.duration_s, 2), "frames": recorded.frames,
                "pre_record_s": round(recorded.pre_record_s, 1), "dropped": recorded.dropped, "saving": not wait}

    def _finish_recording(self, recorded: Recorded) -> None:
        rec, self._recording = self._recording, None
        exam_id = rec["exam"] if rec else None
        try:
            if exam_id is None or recorded.frames == 0:
                recorded.path.unlink(missing_ok=True)
                return
            with self._ops:
                made = caps.hold_recording(self.config, self.db(), exam_id, recorded.path)
                for m in made:
                    (self.thumbs / f"{m.sop_instance_uid}.jpg").write_bytes(rec["thumb"] if rec else b"")
            LOG.info("recording of exam %s saved as %d object(s)", exam_id, len(made))
        except SmartboxError as exc:
            LOG.error("recording of exam %s not saved: %s", exam_id, exc.key)
            self.events.publish("notice", {"key": exc.key, "en": exc.text("en"), "de": exc.text("de"),
                                           "hint_en": exc.hint("en"), "hint_de": exc.hint("de")})
        finally:
            self._saving -= 1
            self.events.publish("exam", {"exam": exam_id})

    def send(self, exam_id: str) -> int:
        with self._ops:
            count = caps.send_held(self.config, self.db(), exam_id)
        self.events.publish("exam", {"exam": exam_id})
        self.events.publish("queue", {})
        return count

    def complete(self, exam_id: str) -> ExamView:
        """Send what is held, then end the exam as completed (its final MPPS message, when configured)."""
        self._require_open(exam_id)
        if self._recording is not None and self._recording["exam"] == exam_id:
            self.stop_recording(exam_id, wait=True)
        deadline = time.monotonic() + 600
        while self._saving and time.monotonic() < deadline:  # a video being saved belongs to this exam
            time.sleep(0.05)
        with self._ops:
            self._require_open(exam_id)
            caps.send_held(self.config, self.db(), exam_id)
            view = complete_exam(self.config, self.db(), exam_id)
            self.recorder.disarm()
            self._last_exam = exam_id
        self.events.publish("exam", {"exam": exam_id, "ended": True})
        self.events.publish("queue", {})
        return view

    def delete_capture(self, exam_id: str, uid: str) -> caps.Deleted:
        with self._ops:
            self._require_open(exam_id)
            deleted = caps.delete_capture(self.config, self.db(), exam_id, uid, undo_s=self.config.live.undo_s)
            self._deleted[deleted.token] = deleted
        self.events.publish("exam", {"exam": exam_id})
        return deleted

    def undo(self, token: str) -> None:
        with self._ops:
            deleted = self._deleted.pop(token, None)
            if deleted is None or deleted.expires <= time.time():
                raise InputError("station.undo_expired")
            caps.restore_capture(self.config, self.db(), deleted)
        self.events.publish("exam", {"exam": deleted.exam_id})

    def thumbnail(self, uid: str) -> bytes | None:
        if not uid.replace(".", "").isdigit() or len(uid) > 64:
            return None
        path = self.thumbs / f"{uid}.jpg"
        return path.read_bytes() if path.is_file() else None

    def capture_states(self, exam_id: str, lang: str) -> list[caps.CaptureState]:
        view = show_exam(self.config, self.db(), exam_id)
        for c in view.captures:
            if c.sop_instance_uid not in self._meta:
                self._meta[c.sop_instance_uid] = caps.object_meta(Path(c.path), c.sop_class_uid)
        return caps.capture_states(self.config, self.db(), exam_id, lang=lang, meta=self._meta,
                                   progress=dict(self._progress), commitment=self.commitment(view))

    def commitment(self, view: ExamView) -> dict[str, tuple[str, SmartboxError | None]] | None:
        """Per capture: ``committed`` by every archive requiring commitment, ``unconfirmed`` (failed or overdue at
        one) or ``waiting``; None while no destination requires commitment (:func:`caps.commitment_of`)."""
        return caps.commitment_of(self.config, self.db(), [c.sop_instance_uid for c in view.captures])

    def committed(self, view: ExamView) -> dict[str, bool] | None:
        """Per capture: committed by every archive requiring it (None while no commitment is configured)."""
        states = self.commitment(view)
        return None if states is None else {uid: state == "committed" for uid, (state, _err) in states.items()}

    def exam_json(self, exam_id: str, lang: str) -> dict[str, Any]:
        return exam_json(self, exam_id, lang)

    # ------------------------------------------------------------------ worklist

    def worklist(self, range_: str, lang: str, *, refresh: bool = False, max_age: float = 60.0) -> dict[str, Any]:
        """Today's or this week's worklist; asked again when older than ``max_age`` s or on ``refresh``."""
        key = f"{range_}/{lang}"
        cached = self._worklist.get(key)
        if refresh or cached is None or time.time() - cached["asked_at"] > max_age:
            cached = worklist_json(self.config, range_, lang)
            self._worklist[key] = cached
            self._last_worklist = cached
            self.events.publish("worklist", {"range": range_})
        return cached

    def last_worklist(self) -> dict[str, Any] | None:
        return self._last_worklist

    def last_exam(self) -> dict[str, Any] | None:
        """The exam ended last at this station (id and patient), whose captures the page can still show."""
        if self._last_exam is None:
            return None
        record = self.exam_store().find(self._last_exam)
        if record is None:
            return None
        return {"id": record.id, "patient": record.data.get("patient", {}).get("patient_name", "")}

    # ------------------------------------------------------------------ helpers for the views

    def ops(self) -> threading.RLock:
        return self._ops

    def saving(self) -> int:
        return self._saving

    def region_key(self, code: str | None) -> str | None:
        """The UI name of a region code (``colon`` …), when it is one the station offers."""
        if not code:
            return None
        for name in UI_REGIONS:
            if str(REGION_NAMES[name]) == code:
                return name
        return None

    def exam_store(self) -> ExamStore:
        return ExamStore(self.db())

    def with_config(self, **sections: Any) -> None:  # pragma: no cover - tests only
        self.config = replace(self.config, **sections)


StationFactory = Callable[[Config], LiveStation]
