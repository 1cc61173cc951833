"""What the station's screens show, as plain JSON-ready data: the status line, the worklist, an exam with its
captures, the sending queue with its connection lamps, and the settings (the effective configuration without
secrets). Texts are in the requested language (``de`` or ``en``); the page's own labels come from
:func:`ui_texts`.
"""

from __future__ import annotations

import contextlib
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from smartbox_next import __version__
from smartbox_next.app.exams import show_exam
from smartbox_next.app.station import worklist_cache
from smartbox_next.config import Config, as_toml_dict
from smartbox_next.delivery.names import FOLDER_DESTINATION, destination_names
from smartbox_next.dicom.peer import PeerRole
from smartbox_next.errors import ConfigError, NetworkError, SmartboxError
from smartbox_next.messages import TEXTS
from smartbox_next.messages.numbers import size_text
from smartbox_next.net.echo import echo
from smartbox_next.net.link import LinkSettings
from smartbox_next.spool.outbox import PENDING, JobState
from smartbox_next.worklist.item import WorklistItem, age_text
from smartbox_next.worklist.query import WorklistQuery
from smartbox_next.worklist.service import query_worklist, resolve_peer

UI_REGIONS = ("colon", "lower-gi", "upper-gi", "biliary", "bronchus", "pharynx-larynx", "bladder", "joint",
              "abdomen")
"""The regions the station offers to choose (names of :data:`smartbox_next.dicom.anatomy.REGION_NAMES`)."""


class LiveStation(Protocol):
    """What the views read of the running station (:class:`smartbox_next.app.live.LiveStation`)."""

    config: Config
    lamps: dict[str, dict[str, Any]]
    started: float
    source: Any
    source_spec: Any

    def db(self) -> Any: ...

    def open_exam_id(self) -> str | None: ...

    def last_worklist(self) -> dict[str, Any] | None: ...

    def last_exam(self) -> dict[str, Any] | None: ...

    def recording_state(self) -> dict[str, Any] | None: ...

    def exam_store(self) -> Any: ...

    def capture_states(self, exam_id: str, lang: str) -> list[Any]: ...

    def region_key(self, code: str | None) -> str | None: ...

    def saving(self) -> int: ...


def ui_texts(lang: str) -> dict[str, str]:
    """Every ``ui.*`` label in ``lang`` (templates with ``{name}`` placeholders; the page fills them in)."""
    return {k[3:]: (t.de if lang == "de" else t.en) for k, t in TEXTS.items() if k.startswith("ui.")}


def _error(exc: SmartboxError, lang: str) -> dict[str, str]:
    return {"key": exc.key, "message": exc.text(lang), "hint": exc.hint(lang)}


# ------------------------------------------------------------------------------------------ status


def status_json(station: LiveStation, lang: str) -> dict[str, Any]:
    """The frame of every screen: pending captures and bytes, the open exam, source, lamps, the worklist state."""
    outbox = station.db()
    stats = outbox.stats()
    pending = sum(s.pending for s in stats)
    pending_bytes = sum(s.pending_bytes for s in stats)
    open_exam = station.open_exam_id()
    held_n = held_bytes = 0
    if open_exam is not None:
        from smartbox_next.app.captures import held

        for obj in held(outbox, open_exam):
            held_n += 1
            with contextlib.suppress(OSError):
                held_bytes += obj.path.stat().st_size
    last = station.last_worklist()
    return {
        "server_time": time.time(), "version": __version__, "lang": lang, "station": station.config.station.name,
        "pending": pending + held_n, "pending_mb": round((pending_bytes + held_bytes) / 1e6, 2),
        "pending_size": size_text(pending_bytes + held_bytes, lang),
        "failed": sum(s.failed for s in stats), "open_exam": open_exam, "last_exam": station.last_exam(),
        "source": station.source.status.as_json(),
        "recording": station.recording_state(), "lamps": list(station.lamps.values()),
        "worklist": {"configured": bool(_worklist_peer(station.config)),
                     "online": last is not None and not last.get("stale") and not last.get("error"),
                     "fetched_at": last.get("fetched_at") if last else None},
        "pre_record_choices": pre_record_choices(station.config),
        "pre_record_default": min(station.config.live.pre_record_s, station.config.live.pre_record_max_s),
        "undo_s": station.config.live.undo_s,
    }


def pre_record_choices(config: Config) -> list[int]:
    """The pre-record buttons: the configured seconds the ring buffer can hold (always with 0 = off)."""
    live = config.live
    return sorted({0, *(int(p) for p in live.pre_record_choices.split(",") if int(p) <= live.pre_record_max_s)})


# ------------------------------------------------------------------------------------------ worklist


def _worklist_peer(config: Config) -> str:
    try:
        return config.worklist_source()
    except ConfigError:
        return ""


def week_range(today: date | None = None) -> str:
    """Monday to Sunday of this week as a DA range (PS3.4 C.2.2.2.5)."""
    day = today or date.today()
    monday = day - timedelta(days=day.weekday())
    return f"{monday:%Y%m%d}-{monday + timedelta(days=6):%Y%m%d}"


def _item_json(item: WorklistItem) -> dict[str, Any]:
    step = item.first_step
    return {"item_id": item.item_id, "patient_name": item.patient_name, "patient_id": item.patient_id,
            "birth_date": item.birth_date, "sex": item.sex, "accession": item.accession_number,
            "procedure": item.requested_procedure_description or step.description,
            "scheduled_date": step.start_date, "scheduled_time": step.start_time[:4],
            "location": step.location, "doubtful": item.encoding_doubtful}


def worklist_json(config: Config, range_: str, lang: str) -> dict[str, Any]:
    """The worklist of today or this week: from the worklist server, or its offline copy marked stale."""
    peer_name = _worklist_peer(config)
    out: dict[str, Any] = {"configured": bool(peer_name), "range": range_, "items": [], "stale": False,
                           "fetched_at": None, "asked_at": time.time()}
    if not peer_name:
        return out
    spec = week_range() if range_ == "week" else "today"
    try:
        peer = resolve_peer(config)
        result = query_worklist(config, WorklistQuery.from_options(config, date_spec=spec), peer=peer,
                                cache=worklist_cache(config))
    except SmartboxError as exc:
        out["error"] = _error(exc, lang)
        return out
    items = sorted(result.items, key=lambda i: (i.first_step.start_date, i.first_step.start_time,
                                                i.patient_name))
    out.update(items=[_item_json(i) for i in items], stale=result.stale,
               fetched_at=result.fetched_at.timestamp(), truncated=result.truncated, peer=result.peer)
    if result.stale:
        out["stale_age"] = age_text(result.age(), lang)
        out["stale_reason"] = result.reason
    return out


# ------------------------------------------------------------------------------------------ exam


def exam_json(station: LiveStation, exam_id: str, lang: str) -> dict[str, Any]:
    """An exam with its patient, captures and their states, the recording and counts for the buttons."""
    config, outbox = station.config, station.db()
    view = show_exam(config, outbox, exam_id)
    record = station.exam_store().get(exam_id)
    patient = record.data.get("patient", {})
    study = record.data.get("study", {})
    states = station.capture_states(exam_id, lang)
    held = [c for c in states if c.state == "created"]
    unsent = [c for c in states if c.state not in ("sent", "archived", "unconfirmed", "cancelled")]
    data: dict[str, Any] = {
        "id": view.exam_id, "state": view.state, "started": view.started, "ended": view.ended,
        "source": view.source, "pps_id": view.pps_id, "accession": view.accession_number,
        "patient": {"name": view.patient_name, "id": view.patient_id, "birth_date": patient.get("birth_date", ""),
                    "sex": patient.get("sex", ""), "emergency": bool(patient.get("emergency"))},
        "procedure": study.get("study_description", ""),
        "region": view.anatomic_region or config.objects.anatomic_region or None,
        "region_key": station.region_key(view.anatomic_region),
        "region_choices": [{"key": k, "code": str(v)} for k, v in _regions()],
        "captures": [c.as_json() for c in states],
        "counts": {"total": len(states), "held": len(held), "unsent": len(unsent),
                   "failed": sum(1 for c in states if c.state == "failed"),
                   "in_transit": sum(1 for c in states if c.state in ("waiting", "sending", "retry"))},
        "recording": station.recording_state() if (station.recording_state() or {}).get("exam") == exam_id
        else None,
        "saving": station.saving(),
    }
    mpps = getattr(view, "mpps", ())
    data["mpps"] = [m.as_json() for m in mpps] if mpps else []
    commitment = getattr(view, "commitment", ())
    data["commitment"] = [c.as_json() for c in commitment] if commitment else []
    return data


def _regions() -> list[tuple[str, Any]]:
    from smartbox_next.dicom.anatomy import REGION_NAMES

    return [(k, REGION_NAMES[k]) for k in UI_REGIONS]


# ------------------------------------------------------------------------------------------ queue


def queue_json(station: LiveStation, lang: str, *, everything: bool = False) -> dict[str, Any]:
    """The jobs (pending and failed; with ``everything`` the last 200 sent ones too), per-destination numbers
    and the connection lamps."""
    outbox = station.db()
    states = [*list(PENDING), JobState.FAILED, JobState.CANCELLED]
    jobs = outbox.jobs(states=states)
    if everything:
        jobs = sorted(jobs + outbox.jobs(states=[JobState.SENT])[-200:], key=lambda j: j.id)
    store = station.exam_store()
    exams: dict[str, Any] = {}
    rows = []
    for job in jobs:
        exam_id = store.exam_of(job.sop_instance_uid)
        if exam_id and exam_id not in exams:
            rec = store.find(exam_id)
            exams[exam_id] = rec.data.get("patient", {}).get("patient_name", "") if rec else ""
        err = job.error()
        rows.append({"id": job.id, "destination": job.destination, "state": job.state.value, "size": job.size,
                     "size_text": size_text(job.size, lang),
                     "attempts": job.attempts, "next_attempt": job.next_attempt if job.state is JobState.RETRY_WAIT
                     else None, "updated": job.updated, "exam": exam_id, "patient": exams.get(exam_id or "", ""),
                     "kind": "video" if job.sop_class_uid in _video_classes() else "photo",
                     "error": err.text(lang) if err else None, "hint": err.hint(lang) if err else None})
    return {"jobs": rows, "lamps": list(station.lamps.values()),
            "destinations": [{"destination": s.destination, "pending": s.pending, "pending_mb":
                              round(s.pending_bytes / 1e6, 1), "sent": s.sent, "failed": s.failed,
                              "retry_wait": s.retry_wait} for s in outbox.stats()]}


def _video_classes() -> frozenset[str]:
    from smartbox_next.app.captures import VIDEO_CLASSES

    return VIDEO_CLASSES


# ------------------------------------------------------------------------------------------ connections


def peers_to_check(config: Config) -> dict[str, str]:
    """Name -> role (``storage`` | ``worklist``) of every peer the station uses."""
    out = {name: PeerRole.STORAGE.value for name in config.storage_peers()}
    wl = _worklist_peer(config)
    if wl:
        out[wl] = PeerRole.WORKLIST.value
    return out


def echo_json(config: Config, name: str, lang: str) -> dict[str, Any]:
    """C-ECHO of a configured peer (``Verbindung testen``)."""
    from smartbox_next.errors import InputError

    roles = peers_to_check(config)
    if name == FOLDER_DESTINATION and FOLDER_DESTINATION in destination_names(config):
        folder = Path(config.outbox.folder).expanduser()
        ok = folder.is_dir()
        return {"name": name, "role": "folder", "ok": ok, "ms": 0.0, "checked": time.time(),
                "address": str(folder), "error": None if ok else {"key": "", "message": str(folder), "hint": ""}}
    if name not in roles:
        raise InputError("station.unknown_peer", name=name)
    peer = config.peer(name)
    started = time.monotonic()
    try:
        result = echo(LinkSettings.of(config.station, config.network), peer)
    except (NetworkError, SmartboxError) as exc:
        return {"name": name, "role": roles[name], "ok": False, "ms": round((time.monotonic() - started) * 1000, 1),
                "checked": time.time(), "address": str(peer), "error": _error(exc, lang)}
    return {"name": name, "role": roles[name], "ok": True, "ms": round(result.echo_ms + result.association_ms, 1),
            "checked": time.time(), "address": str(peer), "error": None}


def check_connections(config: Config, lamps: dict[str, dict[str, Any]]) -> bool:
    """Refresh ``lamps`` (name -> last echo) for every peer; True when a lamp changed colour."""
    changed = False
    targets = dict(peers_to_check(config))
    if FOLDER_DESTINATION in destination_names(config):
        targets[FOLDER_DESTINATION] = "folder"
    for name in targets:
        result = echo_json(config, name, "en")
        result.pop("error", None)
        before = lamps.get(name)
        if before is None or before.get("ok") != result["ok"]:
            changed = True
        lamps[name] = result
    return changed


# ------------------------------------------------------------------------------------------ settings


_SECRETS = {("web", "password_hash"), ("web", "tls_private_key"), ("network", "tls_private_key")}


def settings_json(station: LiveStation) -> dict[str, Any]:
    """The effective configuration (secrets shown as set / not set), the peers to test, the source."""
    data = as_toml_dict(station.config)
    for section, key in _SECRETS:
        if data.get(section, {}).get(key):
            data[section][key] = "••••••"
    return {"configuration": data, "peers": [{"name": n, "role": r, "address": str(station.config.peer(n))}
                                             for n, r in peers_to_check(station.config).items()],
            "source": station.source_spec.describe(), "version": __version__,
            "started": datetime.fromtimestamp(station.started).isoformat(timespec="seconds")}
