"""The exam life cycle: start an exam, capture into it, complete or discontinue it, list and show exams.

This is the API the CLI (``smartbox exam …``, ``smartbox export --exam``) and the station UI use. Every function
takes the loaded :class:`~smartbox_next.config.Config` and the station's open :class:`~smartbox_next.spool.outbox.
Outbox` (``app.station.open_outbox``) and returns plain values (:class:`ExamView`, :class:`CaptureView`), never
database rows or DICOM data sets.

An exam is one Performed Procedure Step (PS3.3 B.17): its Performed Procedure Step SOP Instance UID, ID (= the
exam id) and start date/time are fixed when it starts and carried by every object created in it (Referenced
Performed Procedure Step Sequence (0008,1111), PPS ID/Start Date/Time/Description; PS3.17 J.2, DICOM_RULES §7).
The patient and study come from the worklist (scheduled), from an emergency identity, or from the operator
(:func:`smartbox_next.app.identity.exam_for`). A study may hold several exams (a step repeated later): each
exam gets its own series (a series belongs to one performed step), numbered on within the study; study-level
values stay those of the study's first objects (the exam journal, :mod:`smartbox_next.exam.journal`).

Flow for the UI: ``chosen = exam_for(config, identity)`` (show the patient, the operator confirms), then
``start_exam(config, outbox, chosen)``; ``capture(config, outbox, exam_id, path)`` per capture;
``complete_exam`` or ``discontinue_exam`` at the end; ``show_exam`` / ``list_exams`` at any time.

Listing and showing exams reads only the outbox database: pydicom, the object builders, the MPPS IOD and the
worklist stage are imported by the functions that build or read objects (``smartbox exam list`` stays light,
issue 13).
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from smartbox_next.app.station import continue_exam, paths
from smartbox_next.config import Config
from smartbox_next.delivery.names import destination_names
from smartbox_next.dicom.anatomy import Region, parse_region
from smartbox_next.dicom.codes import DISCONTINUATION_REASONS
from smartbox_next.dicom.sop import MODALITY_PERFORMED_PROCEDURE_STEP
from smartbox_next.dicom.uid import generate_uid
from smartbox_next.errors import InputError, MediaError, OutboxError
from smartbox_next.exam.journal import FileJournal, journal_path
from smartbox_next.exam.model import EMERGENCY_KINDS as EMERGENCY_KINDS  # here since the CLI needs it without us
from smartbox_next.exam.model import Exam, ExamJournal, IdentityOverride, Patient, Series, Study
from smartbox_next.spool.commitments import CommitmentStore, CommitState
from smartbox_next.spool.exams import (
    STATE_TEXT,
    ExamIdTaken,
    ExamObject,
    ExamRecord,
    ExamState,
    ExamStore,
    check_exam_id,
    new_exam_id,
)
from smartbox_next.spool.files import check_free_space
from smartbox_next.spool.messages import MessageKind, MessageStore
from smartbox_next.spool.outbox import Outbox
from smartbox_next.spool.paths import study_folder

if TYPE_CHECKING:
    from smartbox_next.app.identity import ChosenExam
    from smartbox_next.app.objects import Exported

LOG = logging.getLogger(__name__)

_PPS_KEYS = ("PerformedProcedureStepID", "PerformedProcedureStepStartDate", "PerformedProcedureStepStartTime",
             "PerformedProcedureStepDescription")
_RPPS = "ReferencedPerformedProcedureStepSequence"


# ------------------------------------------------------------------------------------------ views


@dataclass(frozen=True)
class CaptureView:
    """One object created in an exam."""

    sop_instance_uid: str
    sop_class_uid: str
    series_instance_uid: str
    path: str
    created: str  # local time, ISO 8601

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class MppsView:
    """One MPPS message of an exam to one peer."""

    peer: str
    operation: str  # "N-CREATE" | "N-SET"
    state: str  # queued | sending | sent | retry_wait | failed
    attempts: int
    error_key: str | None
    error: str | None  # in the requested language
    hint: str | None

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class CommitmentView:
    """How many of an exam's objects a destination requiring commitment has committed."""

    destination: str
    total: int
    committed: int
    waiting: int  # not stored yet, or requested and not reported yet
    failed: int
    overdue: int  # waiting longer than commitment.window_hours since the first request

    @property
    def complete(self) -> bool:
        return self.total > 0 and self.committed == self.total

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "complete": self.complete}


@dataclass(frozen=True)
class ExamView:
    """An exam as the CLI and the UI show it."""

    exam_id: str
    state: str  # "in_progress" | "completed" | "discontinued"
    pps_sop_instance_uid: str
    pps_id: str
    study_instance_uid: str
    accession_number: str
    patient_id: str
    patient_name: str
    source: str  # "worklist" | "emergency" | "manual"
    worklist_item: str | None
    started: str  # local time, ISO 8601
    ended: str | None
    discontinuation_reason: str | None  # code value of CID 9301, when given
    captures: tuple[CaptureView, ...]
    anatomic_region: str | None = None  # SCHEME:VALUE:Meaning of the exam's region, when known
    mpps: tuple[MppsView, ...] = ()
    commitment: tuple[CommitmentView, ...] = ()

    @property
    def in_progress(self) -> bool:
        return self.state == ExamState.IN_PROGRESS.value

    def as_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["captures"] = [c.as_json() for c in self.captures]
        out["mpps"] = [m.as_json() for m in self.mpps]
        out["commitment"] = [c.as_json() for c in self.commitment]
        return out


def _when(epoch: float | None) -> str | None:
    return None if epoch is None else time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(epoch))


def _mpps_views(outbox: Outbox, record: ExamRecord, lang: str) -> tuple[MppsView, ...]:
    out = []
    for m in MessageStore(outbox).messages(exam_id=record.id, kinds=(MessageKind.MPPS_CREATE, MessageKind.MPPS_SET)):
        err = m.error()
        out.append(MppsView(m.destination, "N-CREATE" if m.kind is MessageKind.MPPS_CREATE else "N-SET",
                            m.state.value, m.attempts, m.error_key, err.text(lang) if err else None,
                            err.hint(lang) if err else None))
    return tuple(out)


def _commitment_views(config: Config, outbox: Outbox, objects: Sequence[ExamObject]) -> tuple[CommitmentView, ...]:
    uids = [o.sop_instance_uid for o in objects]
    if not uids:
        return ()
    rows = {(c.sop_instance_uid, c.destination): c for c in CommitmentStore(outbox).commitments(uids=uids)}
    window, now = config.commitment.window_hours * 3600, time.time()
    out = []
    for dest in config.commitment_peers():
        states = [rows.get((u, dest)) for u in uids]
        committed = sum(1 for c in states if c is not None and c.state is CommitState.COMMITTED)
        failed = sum(1 for c in states if c is not None and c.state is CommitState.FAILED)
        overdue = sum(1 for c in states if c is not None and c.overdue(now, window))
        out.append(CommitmentView(dest, len(uids), committed, len(uids) - committed - failed, failed, overdue))
    return tuple(out)


def _view(record: ExamRecord, objects: Sequence[ExamObject], config: Config | None = None,
          outbox: Outbox | None = None, lang: str = "en") -> ExamView:
    data = record.data
    patient, study = data["patient"], data["study"]
    return ExamView(
        exam_id=record.id, state=record.state.value, pps_sop_instance_uid=record.pps_uid,
        pps_id=str(study["attributes"].get("PerformedProcedureStepID", record.id)),
        study_instance_uid=record.study_uid, accession_number=study.get("accession_number", ""),
        patient_id=patient["patient_id"], patient_name=patient["patient_name"], source=data.get("source", "manual"),
        worklist_item=data.get("worklist_item"), started=_when(record.started) or "", ended=_when(record.ended),
        discontinuation_reason=record.reason, anatomic_region=data.get("anatomic_region"),
        captures=tuple(CaptureView(o.sop_instance_uid, o.sop_class_uid, o.series_uid, str(o.path),
                                   _when(o.created) or "") for o in objects),
        mpps=_mpps_views(outbox, record, lang) if outbox is not None else (),
        commitment=_commitment_views(config, outbox, objects) if config is not None and outbox is not None else ())


# ------------------------------------------------------------------------------------------ the record


def _patient_data(p: Patient) -> dict[str, Any]:
    return {**asdict(p), "other_patient_ids": list(p.other_patient_ids)}


def _study_data(s: Study) -> dict[str, Any]:
    return {"study_instance_uid": s.study_instance_uid, "study_date": s.study_date, "study_time": s.study_time,
            "accession_number": s.accession_number, "referring_physician_name": s.referring_physician_name,
            "study_id": s.study_id, "study_description": s.study_description,
            "attributes": {k: str(v) for k, v in s.attributes.items()},
            "sequences": {k: [i.to_json_dict() for i in items] for k, items in s.sequences.items()}}


def _region_data(region: Region | None) -> dict[str, str] | None:
    return None if region is None else {"scheme": region.scheme, "value": region.value, "meaning": region.meaning}


def _exam_extras(exam: Exam) -> dict[str, Any]:
    """What an exam knows besides patient and study: the anatomic region (or the worklist's candidates) and an
    identity override, kept so that every capture of the exam gets the same."""
    override = exam.override
    return {"anatomic_region": _region_data(exam.anatomic_region),
            "region_candidates": [_region_data(r) for r in exam.region_candidates],
            "override": None if override is None else {"worklist_item": override.worklist_item,
                                                       "fields": list(override.fields), "at": override.at}}


def _extras(data: dict[str, Any]) -> dict[str, Any]:
    region = data.get("anatomic_region")
    override = data.get("override")
    return {"anatomic_region": Region(**region) if region else None,
            "region_candidates": tuple(Region(**r) for r in data.get("region_candidates", ()) if r),
            "override": IdentityOverride(override["worklist_item"], tuple(override["fields"]), override["at"])
            if override else None}


def _restore(data: dict[str, Any]) -> tuple[Patient, Study]:
    """The patient and study an exam record holds (as :func:`_patient_data` / :func:`_study_data` wrote them)."""
    from pydicom.dataset import Dataset

    p = dict(data["patient"])
    p["other_patient_ids"] = tuple(p.get("other_patient_ids", ()))
    s = dict(data["study"])
    sequences = {k: tuple(Dataset.from_json(i) for i in items) for k, items in s.pop("sequences", {}).items()}
    attributes = s.pop("attributes", {})
    return Patient(**p), Study(**s, sequences=MappingProxyType(sequences), attributes=MappingProxyType(attributes))


def _with_step(study: Study, pps_uid: str, pps_id: str, now: float, description: str) -> Study:
    """``study`` carrying this step's PPS values and reference (they win over any earlier step's)."""
    from pydicom.dataset import Dataset

    attributes = {k: v for k, v in study.attributes.items() if k not in _PPS_KEYS}
    attributes["PerformedProcedureStepID"] = pps_id
    attributes["PerformedProcedureStepStartDate"] = time.strftime("%Y%m%d", time.localtime(now))
    attributes["PerformedProcedureStepStartTime"] = time.strftime("%H%M%S", time.localtime(now))
    if description:
        attributes["PerformedProcedureStepDescription"] = description
    ref = Dataset()
    ref.ReferencedSOPClassUID = MODALITY_PERFORMED_PROCEDURE_STEP
    ref.ReferencedSOPInstanceUID = pps_uid
    sequences = dict(study.sequences)
    sequences[_RPPS] = (ref,)
    return replace(study, attributes=MappingProxyType(attributes), sequences=MappingProxyType(sequences))


class _StepExam(Exam):
    """An exam whose series belong to one performed step: a study may hold several steps, a series never spans
    two (the PPS is a series-level reference, PS3.3 C.7.3.1). Numbering goes on across the study (journal)."""

    def __init__(self, patient: Patient, study: Study, *, step: str, uid_root: str, journal: ExamJournal,
                 **extras: Any) -> None:
        super().__init__(patient, study, uid_root=uid_root, journal=journal, **extras)
        self._step = step

    def series_for(self, kind: str, modality: str, description: str = "") -> Series:
        return super().series_for(f"{self._step}/{kind}", modality, description)


def _exam_model(config: Config, record: ExamRecord) -> Exam:
    """The :class:`Exam` captures of ``record`` are built with (study values continued from the journal)."""
    from smartbox_next.app.identity import with_region

    patient, study = _restore(record.data)
    extras = _extras(record.data.get("exam", {}))
    continued = continue_exam(config, Exam(patient, study, uid_root=config.uid.root, **extras))
    own = replace(continued.study,
                  attributes=MappingProxyType({**continued.study.attributes,
                                               **{k: v for k, v in study.attributes.items() if k in _PPS_KEYS}}),
                  sequences=MappingProxyType({**continued.study.sequences, _RPPS: study.sequences[_RPPS]}))
    journal = FileJournal(journal_path(paths(config).exams, study.study_instance_uid))
    exam = _StepExam(continued.patient, own, step=record.pps_uid, uid_root=config.uid.root, journal=journal,
                     anatomic_region=continued.anatomic_region, override=continued.override,
                     region_candidates=continued.region_candidates)
    region = record.data.get("anatomic_region")  # the operator may name it later (set_region)
    return with_region(config, exam, parse_region(region) if region else None)


# ------------------------------------------------------------------------------------------ use cases


def start_exam(config: Config, outbox: Outbox, chosen: ChosenExam, *, emergency_kind: str | None = None) -> ExamView:
    """Open an exam for the chosen patient and study (:func:`~smartbox_next.app.identity.exam_for`).

    A new Performed Procedure Step SOP Instance UID and start time are drawn; the PPS ID is the exam id.
    ``emergency_kind`` (``male``, ``female``, ``child``; emergency identities only) sets the Patient's Sex.
    """
    from smartbox_next.dicom.payload import to_bytes
    from smartbox_next.iod import mpps
    from smartbox_next.worklist.item import merge_steps
    from smartbox_next.worklist.mapping import protocol_name, scheduled_step_attributes

    exam = chosen.exam
    patient = exam.patient
    if emergency_kind is not None:
        if not patient.emergency or emergency_kind not in EMERGENCY_KINDS:
            raise ValueError(f"emergency kind {emergency_kind!r} for a non-emergency patient or unknown kind")
        patient = replace(patient, sex=EMERGENCY_KINDS[emergency_kind])
    source = "worklist" if chosen.worklist is not None else "emergency" if patient.emergency else "manual"
    item_id = chosen.worklist.items[0].item_id if chosen.worklist is not None and chosen.worklist.items else None
    description = str(exam.study.attributes.get("PerformedProcedureStepDescription", "")
                      or exam.study.study_description)
    if chosen.worklist is not None and chosen.worklist.items:
        item = merge_steps(list(chosen.worklist.items))
        steps, protocol = scheduled_step_attributes(item), protocol_name(item) or config.mpps.protocol_name
    else:
        steps = [mpps.unscheduled_step(exam.study.study_instance_uid, exam.study.accession_number)]
        protocol = config.mpps.protocol_name
    pps_uid = generate_uid(config.uid.root)
    store, messages = ExamStore(outbox), MessageStore(outbox)
    for _ in range(20):
        exam_id = new_exam_id()
        now = time.time()
        study = _with_step(exam.study, pps_uid, exam_id, now, description)
        create = mpps.n_create(config, patient, study, steps, protocol_name=protocol)
        data = {"source": source, "worklist_item": item_id, "patient": _patient_data(patient),
                "study": _study_data(study), "exam": _exam_extras(exam),
                "anatomic_region": str(exam.anatomic_region) if exam.anatomic_region is not None else None,
                "mpps": {"protocol_name": protocol, "character_set": str(create.get("SpecificCharacterSet", ""))}}
        payload = to_bytes(create)

        def queue_create(conn: sqlite3.Connection, exam_id: str = exam_id, payload: bytes = payload) -> None:
            for name in config.mpps_peers():
                messages.add(conn, kind=MessageKind.MPPS_CREATE, destination=name, uid=pps_uid, payload=payload,
                             exam_id=exam_id)

        try:
            record = store.create(exam_id, pps_uid=pps_uid, study_uid=study.study_instance_uid, data=data,
                                  also=queue_create)
        except ExamIdTaken:
            continue
        LOG.info("exam %s started (PPS %s, study %s; MPPS to %s)", record.id, pps_uid, study.study_instance_uid,
                 ", ".join(config.mpps_peers()) or "none")
        return _view(record, [], config, outbox)
    raise RuntimeError("no free exam id after 20 draws")  # pragma: no cover - 32**4 ids per day


def capture(config: Config, outbox: Outbox, exam_id: str, path: Path, *,
            sop_name: str | None = None, hold: bool = False) -> list[Exported]:
    """Create the object(s) for ``path`` in exam ``exam_id`` and queue them for every destination.

    ``hold``: record the objects in the exam but queue nothing yet (the station sends on request,
    :mod:`smartbox_next.app.captures`); their job ids are then empty.

    Refused (InputError ``exam.not_in_progress``) once the exam has ended (PS3.4 F.7.2.2.2: no new instances
    after the final state). Each object is recorded in the exam in the transaction that queues it; an object
    whose exam ended while it was being built is deleted again, never queued half-recorded.
    """
    import pydicom

    from smartbox_next.app.objects import Exported, create_objects

    store = ExamStore(outbox)
    record = store.get(check_exam_id(exam_id))
    if record.state is not ExamState.IN_PROGRESS:
        raise InputError("exam.not_in_progress", exam=record.id, state=STATE_TEXT[record.state])
    destinations = destination_names(config)
    if not destinations:
        raise OutboxError("outbox.no_destinations")
    exam = _exam_model(config, record)
    spool = paths(config).spool
    folder = study_folder(spool, record.study_uid)
    try:
        size = path.stat().st_size
    except OSError:
        raise MediaError("input.not_found", path=str(path)) from None
    check_free_space(spool.parent, config.outbox.min_free_mb, size)
    created = create_objects(config, exam, path, folder, sop_name)
    out: list[Exported] = []
    try:
        for obj in created:
            series_uid = str(pydicom.dcmread(obj.path, stop_before_pixels=True,
                                             specific_tags=["SeriesInstanceUID"]).SeriesInstanceUID)
            row = ExamObject(obj.sop_instance_uid, obj.sop_class_uid, series_uid, obj.path, time.time())
            if hold:
                with outbox.transaction() as conn:
                    store.recorder(record.id, row)(conn)
                ids: list[int] = []
            else:
                ids = outbox.enqueue(obj.path, obj.sop_instance_uid, obj.sop_class_uid, destinations,
                                     also=store.recorder(record.id, row))
            out.append(Exported(obj, ids))
    except InputError:
        for obj in created[len(out):]:
            obj.path.unlink(missing_ok=True)
        raise
    return out


def complete_exam(config: Config, outbox: Outbox, exam_id: str) -> ExamView:
    """End exam ``exam_id`` as COMPLETED (once; InputError ``exam.not_in_progress`` afterwards).

    The final N-SET — every series with every object recorded in the exam — is queued in the same transaction
    for every peer its N-CREATE was queued for.
    """
    return _end(config, outbox, exam_id, ExamState.COMPLETED, None)


def discontinue_exam(config: Config, outbox: Outbox, exam_id: str, *, reason: str | None = None) -> ExamView:
    """End exam ``exam_id`` as DISCONTINUED, with a reason of CID 9301 (its code value) if given."""
    if reason is not None and reason not in DISCONTINUATION_REASONS:
        raise InputError("exam.bad_reason", value=reason, allowed=", ".join(DISCONTINUATION_REASONS))
    return _end(config, outbox, exam_id, ExamState.DISCONTINUED, reason)


def _end(config: Config, outbox: Outbox, exam_id: str, state: ExamState, reason: str | None) -> ExamView:
    store, messages = ExamStore(outbox), MessageStore(outbox)

    def queue_set(conn: sqlite3.Connection, record: ExamRecord, objects: list[ExamObject]) -> None:
        peers = [r["destination"] for r in conn.execute(
            "SELECT destination FROM messages WHERE exam_id=? AND kind='mpps_create' ORDER BY id", (record.id,))]
        if not peers:
            return
        from smartbox_next.dicom.payload import to_bytes  # pydicom: only when there is an N-SET to send
        from smartbox_next.iod import mpps

        series: dict[str, list[tuple[str, str]]] = {}
        for obj in objects:
            series.setdefault(obj.series_uid, []).append((obj.sop_class_uid, obj.sop_instance_uid))
        ended = time.localtime(time.time())
        info = record.data.get("mpps", {})
        final = mpps.n_set_final(
            config, status=mpps.COMPLETED if state is ExamState.COMPLETED else mpps.DISCONTINUED,
            end_date=time.strftime("%Y%m%d", ended), end_time=time.strftime("%H%M%S", ended),
            series=[mpps.PerformedSeries(uid, tuple(refs)) for uid, refs in series.items()],
            protocol_name=str(info.get("protocol_name") or config.mpps.protocol_name),
            character_set=str(info.get("character_set") or "") or None, reason=reason)
        payload = to_bytes(final)
        for name in peers:
            messages.add(conn, kind=MessageKind.MPPS_SET, destination=name, uid=record.pps_uid, payload=payload,
                         exam_id=record.id)

    record = store.end(check_exam_id(exam_id), state, reason=reason, also=queue_set)
    LOG.info("exam %s %s (reason %s)", record.id, state.value, reason or "-")
    return _view(record, store.objects(record.id), config, outbox)


def show_exam(config: Config, outbox: Outbox, exam_id: str, *, lang: str = "en") -> ExamView:
    """Exam ``exam_id`` with its captures, MPPS messages and commitment state (error texts in ``lang``).

    InputError ``exam.unknown`` when there is none.
    """
    store = ExamStore(outbox)
    record = store.get(check_exam_id(exam_id))
    return _view(record, store.objects(record.id), config, outbox, lang)


def list_exams(config: Config, outbox: Outbox, *, states: Sequence[str] = (), lang: str = "en") -> list[ExamView]:
    """Every exam (or those in ``states``), oldest first."""
    store = ExamStore(outbox)
    return [_view(r, store.objects(r.id), config, outbox, lang) for r in store.exams([ExamState(s) for s in states])]


def adopt_orphans(outbox: Outbox, paths: Sequence[Path]) -> list[str]:
    """Start-up reconciliation, exam part: a spooled object queued only now (a crash came between its write and
    its queueing) belongs to the exam whose step it references; it is recorded there while the exam is in
    progress, so the final N-SET lists it. Returns the exams that got an object."""
    import pydicom
    import pydicom.errors

    store = ExamStore(outbox)
    adopted = []
    for path in paths:
        try:
            ds = pydicom.dcmread(path, stop_before_pixels=True,
                                 specific_tags=["SOPClassUID", "SOPInstanceUID", "SeriesInstanceUID",
                                                "ReferencedPerformedProcedureStepSequence"])
            ref = ds.ReferencedPerformedProcedureStepSequence[0].ReferencedSOPInstanceUID
            obj = ExamObject(str(ds.SOPInstanceUID), str(ds.SOPClassUID), str(ds.SeriesInstanceUID), path,
                             path.stat().st_mtime)
        except (OSError, AttributeError, IndexError, KeyError, pydicom.errors.InvalidDicomError):
            continue  # no step referenced (a one-shot export), or not readable: nothing to adopt
        exam_id = store.adopt(str(ref), obj)
        if exam_id is not None:
            LOG.warning("object %s was written but not recorded before a crash; recorded in exam %s now",
                        obj.sop_instance_uid, exam_id)
            adopted.append(exam_id)
        else:
            LOG.warning("object %s references step %s, which is not an exam in progress here; queued, not recorded",
                        obj.sop_instance_uid, ref)
    return adopted
def set_region(config: Config, outbox: Outbox, exam_id: str, region: str) -> ExamView:
    """Name the anatomic region of an exam in progress (a name like ``colon`` or ``SCHEME:VALUE:Meaning``), for
    the objects created from now on (a video object needs one; the station asks when the worklist named none)."""
    chosen = parse_region(region)
    store = ExamStore(outbox)
    record = store.update(check_exam_id(exam_id), {"anatomic_region": str(chosen)})
    LOG.info("exam %s: anatomic region %s", record.id, chosen)
    return _view(record, store.objects(record.id), config, outbox)
