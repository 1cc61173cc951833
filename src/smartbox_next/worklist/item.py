"""Modality Worklist values: the query, one answered item, and how an item becomes an :class:`Exam`.

* :class:`WorklistQuery` — the matching keys of PS3.4 Table K.6-1 the station uses (SPS start date or
  range, modality, Scheduled Station AE Title, patient name with wildcards, patient ID, accession),
  built from the configuration's defaults; :meth:`WorklistQuery.matches` applies the same keys locally.
* :class:`WorklistItem` — one C-FIND response (PS3.4 K.6.1.2: one response per matching Scheduled
  Procedure Step), decoded with the response's **own** Specific Character Set (PS3.3 C.12.1.1.2,
  PS3.5 §6.1) or, when it has none, with the configured fallback. A value that does not decode
  cleanly never passes silently: the item is marked ``encoding_doubtful`` and refuses to become an exam.
* :meth:`WorklistItem.to_exam` — the scheduled-workflow mapping of PS3.17 Annex J / IHE SWF
  (DICOM_RULES §7): patient identity verbatim, the worklist's Study Instance UID (never a new one),
  accession, referring physician, Study Description from the Requested Procedure Description,
  Procedure Code Sequence, one Request Attributes item per Scheduled Procedure Step, Referenced Study
  Sequence, generated Performed Procedure Step ID/start/description and a Referenced PPS UID,
  Study ID from the Requested Procedure ID.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, fields, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from smartbox_next.dicom.charset import CODECS, LATIN1, UTF8, code_extensions, decode_text
from smartbox_next.dicom.identifier import Identifier
from smartbox_next.dicom.vr import REPERTOIRE_VRS
from smartbox_next.errors import WorklistError

if TYPE_CHECKING:
    from pydicom.dataset import Dataset

LOG = logging.getLogger(__name__)



# ------------------------------------------------------------------------------------------ the item


@dataclass(frozen=True)
class Code:
    """A coded entry (PS3.3 Table 8.8-1a): Code Value, Coding Scheme Designator/Version, Code Meaning."""

    value: str
    scheme: str
    meaning: str
    scheme_version: str = ""

    @classmethod
    def from_identifier(cls, item: Identifier, text: _Text) -> Code:
        value = text(item, "CodeValue") or text(item, "LongCodeValue") or text(item, "URNCodeValue")
        return cls(value=value, scheme=text(item, "CodingSchemeDesignator"), meaning=text(item, "CodeMeaning"),
                   scheme_version=text(item, "CodingSchemeVersion"))

    def to_dataset(self) -> Dataset:
        from pydicom.dataset import Dataset

        ds = Dataset()
        if len(self.value) > 16:
            ds.LongCodeValue = self.value
        else:
            ds.CodeValue = self.value
        ds.CodingSchemeDesignator = self.scheme
        if self.scheme_version:
            ds.CodingSchemeVersion = self.scheme_version
        ds.CodeMeaning = self.meaning
        return ds


@dataclass(frozen=True)
class ScheduledStep:
    """One item of the Scheduled Procedure Step Sequence (0040,0100) (PS3.4 Table K.6-1)."""

    sps_id: str = ""
    description: str = ""
    start_date: str = ""
    start_time: str = ""
    modality: str = ""
    station_ae_title: str = ""
    station_name: str = ""
    location: str = ""
    performing_physician_name: str = ""
    status: str = ""
    protocol_codes: tuple[Code, ...] = ()

    @classmethod
    def from_identifier(cls, item: Identifier, text: _Text) -> ScheduledStep:
        return cls(**{name: text(item, keyword) for name, keyword in _STEP_TEXTS.items()},
                   protocol_codes=_codes(item, "ScheduledProtocolCodeSequence", text))


_STEP_TEXTS = {
    "sps_id": "ScheduledProcedureStepID", "description": "ScheduledProcedureStepDescription",
    "start_date": "ScheduledProcedureStepStartDate", "start_time": "ScheduledProcedureStepStartTime",
    "modality": "Modality", "station_ae_title": "ScheduledStationAETitle", "station_name": "ScheduledStationName",
    "location": "ScheduledProcedureStepLocation", "performing_physician_name": "ScheduledPerformingPhysicianName",
    "status": "ScheduledProcedureStepStatus"}
"""The text fields of :class:`ScheduledStep` and the attributes they are read from (PS3.4 Table K.6-1)."""

_ITEM_TEXTS = {
    "patient_name": "PatientName", "patient_id": "PatientID", "issuer_of_patient_id": "IssuerOfPatientID",
    "birth_date": "PatientBirthDate", "sex": "PatientSex", "study_instance_uid": "StudyInstanceUID",
    "accession_number": "AccessionNumber", "referring_physician_name": "ReferringPhysicianName",
    "requesting_physician": "RequestingPhysician", "requested_procedure_id": "RequestedProcedureID",
    "requested_procedure_description": "RequestedProcedureDescription",
    "requested_procedure_priority": "RequestedProcedurePriority",
    "reason_for_requested_procedure": "ReasonForTheRequestedProcedure", "admission_id": "AdmissionID",
    "current_patient_location": "CurrentPatientLocation",
    "placer_order_number": "PlacerOrderNumberImagingServiceRequest",
    "filler_order_number": "FillerOrderNumberImagingServiceRequest"}
"""The text fields of :class:`WorklistItem` and the attributes they are read from (PS3.4 Table K.6-1)."""


@dataclass(frozen=True)
class ReferencedStudy:
    """An item of the Referenced Study Sequence (0008,1110)."""

    sop_class_uid: str
    sop_instance_uid: str


@dataclass(frozen=True)
class WorklistItem:
    """One Modality Worklist answer (PS3.4 K.6.1.2), with text decoded to Python strings.

    ``character_set`` is the Specific Character Set the values were decoded with;
    ``character_set_declared`` says whether the SCP sent it (else the configured fallback was used);
    ``encoding_doubtful`` marks values that did not decode cleanly (never passed on silently).
    """

    patient_name: str = ""
    patient_id: str = ""
    issuer_of_patient_id: str = ""
    other_patient_ids: tuple[str, ...] = ()
    birth_date: str = ""
    sex: str = ""
    study_instance_uid: str = ""
    accession_number: str = ""
    referring_physician_name: str = ""
    requesting_physician: str = ""
    requested_procedure_id: str = ""
    requested_procedure_description: str = ""
    requested_procedure_codes: tuple[Code, ...] = ()
    requested_procedure_priority: str = ""
    reason_for_requested_procedure: str = ""
    referenced_studies: tuple[ReferencedStudy, ...] = ()
    admission_id: str = ""
    current_patient_location: str = ""
    steps: tuple[ScheduledStep, ...] = ()
    placer_order_number: str = ""  # Placer Order Number / Imaging Service Request (0040,2016)
    filler_order_number: str = ""  # Filler Order Number / Imaging Service Request (0040,2017)
    character_set: str = ""
    character_set_declared: bool = True
    encoding_doubtful: bool = False

    # -------------------------------------------------------------------------- construction

    @classmethod
    def from_identifier(cls, ds: Identifier, fallback_character_set: str = LATIN1) -> WorklistItem:
        """Decode one C-FIND identifier with its own (0008,0005), else ``fallback_character_set``."""
        charsets = _declared_charsets(ds)
        if charsets and charsets[0] == "" and len(charsets) > 1:  # PS3.3 C.12.1.1.2: empty value 1 = default
            charsets[0] = "ISO 2022 IR 6"
        unknown = [term for term in charsets if term not in CODECS]
        if charsets and not unknown:
            used = "\\".join(charsets)
            is_declared = True
        else:
            # none declared, or a term nobody knows (e.g. "ISO_IR 999"): read as the configured fallback, and
            # only if the text decodes cleanly with it (never a silent default)
            declared_text = "\\".join(charsets)
            charsets = [fallback_character_set]
            used = f"{fallback_character_set} (declared: {declared_text})" if unknown else fallback_character_set
            is_declared = False
        text = _Text(charsets)
        texts: dict[str, Any] = {name: text(ds, keyword) for name, keyword in _ITEM_TEXTS.items()}
        item = cls(
            **texts,
            other_patient_ids=tuple(
                pid for it in ds.items_of("OtherPatientIDsSequence") if (pid := text(it, "PatientID"))
            ),
            requested_procedure_codes=_codes(ds, "RequestedProcedureCodeSequence", text),
            referenced_studies=tuple(
                ReferencedStudy(text(it, "ReferencedSOPClassUID"), text(it, "ReferencedSOPInstanceUID"))
                for it in ds.items_of("ReferencedStudySequence")
            ),
            steps=tuple(ScheduledStep.from_identifier(it, text)
                        for it in ds.items_of("ScheduledProcedureStepSequence")),
            character_set=used,
            character_set_declared=is_declared,
        )
        doubtful = text.doubtful or (not is_declared and _looks_like_utf8(ds, charsets))
        if doubtful:
            LOG.warning("worklist answer: text does not decode cleanly with %s (%s)", used,
                        "declared" if is_declared else "configured fallback; the SCP sent no character set")
        return replace(item, encoding_doubtful=doubtful) if doubtful else item

    @classmethod
    def from_dataset(cls, ds: Dataset, fallback_character_set: str = LATIN1) -> WorklistItem:
        """A pydicom data set (the conformance statement's probe, tests) read as if it came off the wire."""
        return cls.from_identifier(Identifier.from_dataset(ds), fallback_character_set)

    # -------------------------------------------------------------------------- identity

    @property
    def item_id(self) -> str:
        """A short stable ID for ``--worklist-item`` (hash of study, procedure, steps, patient, accession)."""
        parts = [self.study_instance_uid, self.requested_procedure_id, self.accession_number, self.patient_id,
                 *(f"{s.sps_id}/{s.start_date}{s.start_time}/{s.station_ae_title}" for s in self.steps)]
        return hashlib.sha1("\x1f".join(parts).encode("utf-8")).hexdigest()[:10].upper()

    @property
    def first_step(self) -> ScheduledStep:
        return self.steps[0] if self.steps else ScheduledStep()

    # -------------------------------------------------------------------------- serialisation

    def to_json(self) -> dict[str, Any]:
        """Plain data (for ``--json`` and the offline cache); ``from_json`` reverses it."""
        data = asdict(self)
        data["item_id"] = self.item_id
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> WorklistItem:
        values: dict[str, Any] = {f.name: data[f.name] for f in fields(cls) if f.name in data}
        values["other_patient_ids"] = tuple(values.get("other_patient_ids", ()))
        values["requested_procedure_codes"] = tuple(Code(**c) for c in values.get("requested_procedure_codes", ()))
        values["referenced_studies"] = tuple(ReferencedStudy(**r) for r in values.get("referenced_studies", ()))
        steps = []
        for s in values.get("steps", ()):
            step = dict(s)
            step["protocol_codes"] = tuple(Code(**c) for c in step.get("protocol_codes", ()))
            steps.append(ScheduledStep(**step))
        values["steps"] = tuple(steps)
        return cls(**values)


def merge_steps(items: Sequence[WorklistItem]) -> WorklistItem:
    """One item holding the steps of several answers of the same Requested Procedure (PS3.17 J.4 GROUP).

    wlmscpfs answers each SPS separately; Orthanc may put several into one answer. Raises
    :class:`WorklistError` when the answers belong to different patients or studies.
    """
    if not items:
        raise ValueError("merge_steps needs at least one item")
    first = items[0]
    steps: list[ScheduledStep] = []
    seen: set[tuple[str, str, str]] = set()
    for item in items:
        if (item.patient_id, item.study_instance_uid) != (first.patient_id, first.study_instance_uid):
            raise WorklistError("worklist.ambiguous", count=len(items),
                                items=", ".join(i.item_id for i in items))
        for step in item.steps:
            key = (step.sps_id, step.start_date, step.start_time)
            if key not in seen:
                seen.add(key)
                steps.append(step)
    return replace(first, steps=tuple(steps), encoding_doubtful=any(i.encoding_doubtful for i in items))


def age_text(age: timedelta, lang: str) -> str:
    """``3 h 12 min`` / ``45 s`` — the age of a cached list, for operators."""
    seconds = max(0, int(age.total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} {'d' if lang == 'en' else 'Tg.'} {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min"
    return f"{secs} s"


@dataclass(frozen=True)
class WorklistResult:
    """What a worklist query produced: fresh from the SCP, or stale from the offline cache."""

    items: tuple[WorklistItem, ...]
    peer: str
    fetched_at: datetime
    truncated: bool = False  # the result limit was reached and C-CANCEL sent
    stale: bool = False
    reason: str = ""  # why the cache was used (message key of the network error)

    def age(self, now: datetime | None = None) -> timedelta:
        return (now or datetime.now()) - self.fetched_at


# ------------------------------------------------------------------------------------------ decoding


class _Text:
    """Reads the text of an attribute in the answer's character sets; remembers a value that did not decode."""

    def __init__(self, charsets: Sequence[str]) -> None:
        self.charsets = list(charsets)
        self.doubtful = False

    def __call__(self, ds: Identifier, keyword: str) -> str:
        elem = ds.get(keyword)
        if elem is None or not elem.value:
            return ""
        if elem.vr in REPERTOIRE_VRS:
            text, clean = decode_text(elem.value, self.charsets, elem.vr)
            self.doubtful = self.doubtful or not clean
        else:  # the default repertoire (CS, UI, DA, TM, AE, …): ASCII as pydicom reads it (ISO 8859-1)
            text = elem.value.decode("latin-1")
        values = [v.strip(" \x00") for v in text.split("\\")] if elem.vr not in ("ST", "LT", "UT") else [text]
        return "\\".join(values).strip(" \x00")


def _declared_charsets(ds: Identifier) -> list[str]:
    """The values of (0008,0005), or [] when absent or empty (PS3.3 C.12.1.1.2)."""
    values = [v.strip(" \x00") for v in ds.raw("SpecificCharacterSet").decode("latin-1").split("\\")]
    return values if any(values) else []


def _raw_texts(ds: Identifier) -> Iterable[bytes]:
    """Undecoded bytes of every repertoire-sensitive value, sequences included."""
    for elem in ds:
        if elem.vr == "SQ":
            for item in elem.items:
                yield from _raw_texts(item)
        elif elem.vr in REPERTOIRE_VRS:
            yield elem.value


def _looks_like_utf8(ds: Identifier, charsets: Sequence[str]) -> bool:
    """Undeclared, read with a single-byte fallback, yet valid UTF-8 with multi-byte sequences: mojibake."""
    if charsets[0] == UTF8 or code_extensions(charsets):
        return False
    for raw in _raw_texts(ds):
        if raw.isascii():
            continue
        try:
            raw.decode("utf-8", "strict")
        except UnicodeDecodeError:
            continue
        return True
    return False


def _codes(ds: Identifier, keyword: str, text: _Text) -> tuple[Code, ...]:
    return tuple(code for it in ds.items_of(keyword)
                 if (code := Code.from_identifier(it, text)).value or code.meaning)
