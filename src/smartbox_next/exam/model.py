"""Domain values: Patient, Study, Series, Exam.

Patient and Study are frozen values (from arguments, an emergency identity or a worklist item);
an :class:`Exam` is the one mutable object: it hands out one series per SOP class / media kind and
counts instance numbers up, thread-safely, so every capture of an exam shares the study
(PS3.3 C.7.2.1, C.7.3.1; DICOM_RULES §7).
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Protocol

from smartbox_next.dicom.anatomy import Region
from smartbox_next.dicom.uid import generate_uid

if TYPE_CHECKING:  # pydicom is loaded by the object builders, not by commands that only read exams
    from pydicom.dataset import Dataset


@dataclass(frozen=True)
class Patient:
    """Patient module values (PS3.3 C.7.1.1). Strings are unencoded Python text."""

    patient_name: str
    patient_id: str
    birth_date: str = ""
    sex: str = ""
    issuer_of_patient_id: str = ""
    other_patient_ids: tuple[str, ...] = ()
    emergency: bool = False


EMERGENCY_KINDS: dict[str, str] = {"male": "M", "female": "F", "child": ""}
"""``--emergency male|female|child`` -> Patient's Sex (PS3.3 C.7.1.1; a child's sex stays unknown, Type 2 empty)."""


def emergency_patient(prefix: str, now: datetime | None = None) -> Patient:
    """A generated, clearly marked identity for an unscheduled emergency capture.

    The ID is ``<prefix>-<YYYYMMDDHHMMSS>-<8 random hex>``: unique across processes without
    coordination; no birth date or sex is invented (Type 2, left empty).
    """
    now = now or datetime.now()
    pid = f"{prefix}-{now:%Y%m%d%H%M%S}-{secrets.token_hex(4).upper()}"
    if len(pid) > 64:
        pid = pid[-64:]
    return Patient(patient_name=f"EMERGENCY^{pid[-8:]}", patient_id=pid, emergency=True)


def _freeze(seqs: Mapping[str, list[Dataset]] | None) -> Mapping[str, tuple[Dataset, ...]]:
    return MappingProxyType({k: tuple(v) for k, v in (seqs or {}).items()})


@dataclass(frozen=True)
class Study:
    """General Study values (PS3.3 C.7.2.1) plus what a worklist item carries into every object.

    ``sequences`` maps a DICOM keyword (e.g. ``RequestAttributesSequence``, ``ProcedureCodeSequence``,
    ``ReferencedStudySequence``, ``IssuerOfAccessionNumberSequence``) to its items; ``attributes``
    maps further keywords (e.g. ``PerformedProcedureStepID``) to values, written as given.
    """

    study_instance_uid: str
    study_date: str
    study_time: str
    accession_number: str = ""
    referring_physician_name: str = ""
    study_id: str = ""
    study_description: str = ""
    sequences: Mapping[str, tuple[Dataset, ...]] = field(default_factory=lambda: MappingProxyType({}))
    attributes: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    @classmethod
    def new(
        cls,
        *,
        uid_root: str = "",
        study_instance_uid: str | None = None,
        accession_number: str = "",
        referring_physician_name: str = "",
        study_id: str = "",
        study_description: str = "",
        sequences: Mapping[str, list[Dataset]] | None = None,
        attributes: Mapping[str, Any] | None = None,
        now: datetime | None = None,
    ) -> Study:
        """A study starting now; a new Study Instance UID unless one is given (worklist or operator)."""
        now = now or datetime.now()
        return cls(
            study_instance_uid=study_instance_uid or generate_uid(uid_root),
            study_date=f"{now:%Y%m%d}",
            study_time=f"{now:%H%M%S}",
            accession_number=accession_number,
            referring_physician_name=referring_physician_name,
            study_id=study_id or f"{now:%y%m%d%H%M%S}",
            study_description=study_description,
            sequences=_freeze(sequences),
            attributes=MappingProxyType(dict(attributes or {})),
        )


@dataclass(frozen=True)
class Series:
    """General Series values (PS3.3 C.7.3.1)."""

    series_instance_uid: str
    series_number: int
    modality: str
    series_description: str = ""


@dataclass(frozen=True)
class IdentityOverride:
    """The operator's identity was used although it differs from the worklist entry (``--override-worklist``).

    Kept with the exam (journal) so that ``smartbox queue show`` tells; holds no patient data.
    """

    worklist_item: str
    fields: tuple[str, ...]  # PatientName, PatientID, PatientBirthDate, PatientSex that differed
    at: str  # when (ISO 8601, local time)


class ExamJournal(Protocol):
    """Where an exam's allocations live across processes (see :mod:`smartbox_next.exam.journal`)."""

    def locked(self) -> AbstractContextManager[dict[str, Any]]: ...


class Exam:
    """One examination of one patient: shared study, one series per kind, increasing instance numbers.

    With a ``journal`` the series and instance numbers are shared by every process working on the same
    study (a second ``smartbox create`` for the same accession continues the numbering).
    """

    def __init__(self, patient: Patient, study: Study, *, uid_root: str = "",
                 journal: ExamJournal | None = None, anatomic_region: Region | None = None,
                 override: IdentityOverride | None = None,
                 region_candidates: tuple[Region, ...] = ()) -> None:
        self.patient = patient
        self.study = study
        self.anatomic_region = anatomic_region  # Anatomic Region Sequence (PS3.3 C.8.12.1); None = not known
        self.override = override
        self.region_candidates = region_candidates  # several regions named by the worklist entry (ambiguous)
        self._uid_root = uid_root
        self._journal = journal
        self._lock = threading.Lock()
        self._series: dict[str, Series] = {}
        self._instances: dict[str, int] = {}

    @contextmanager
    def _synced(self) -> Iterator[None]:
        with self._lock:
            if self._journal is None:
                yield
                return
            with self._journal.locked() as state:
                self._series = {k: Series(**v) for k, v in state.get("series", {}).items()}
                self._instances = dict(state.get("instances", {}))
                yield
                state["series"] = {k: asdict(v) for k, v in self._series.items()}
                state["instances"] = dict(self._instances)

    def series_for(self, kind: str, modality: str, description: str = "") -> Series:
        """The series for a media kind / SOP class (created on first use, numbered 1, 2, …)."""
        with self._synced():
            series = self._series.get(kind)
            if series is None:
                series = Series(
                    series_instance_uid=generate_uid(self._uid_root),
                    series_number=len(self._series) + 1,
                    modality=modality,
                    series_description=description,
                )
                self._series[kind] = series
            return series

    def next_instance_number(self, series: Series) -> int:
        """1, 2, 3 … within ``series``."""
        with self._synced():
            n = self._instances.get(series.series_instance_uid, 0) + 1
            self._instances[series.series_instance_uid] = n
            return n

    @property
    def series(self) -> tuple[Series, ...]:
        with self._synced():
            return tuple(self._series.values())
