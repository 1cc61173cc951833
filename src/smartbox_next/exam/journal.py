"""Exam state shared across processes: one small JSON file per Study Instance UID in the data folder.

Captures of one exam may be created by several ``smartbox create``/``export`` runs (and the UI later).
They must agree on Study Date/Time and the performed procedure step values (PS3.17 J.2: the same values
in every image of a step), continue series and instance numbering (PS3.3 C.7.3.1, C.7.6.1), and never
put a second patient on a study. The file is read and rewritten under an exclusive ``flock``.
"""

from __future__ import annotations

import fcntl
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

from pydicom.dataset import Dataset

from smartbox_next.atomic import atomic_file
from smartbox_next.errors import InputError
from smartbox_next.exam.model import Exam, Study

_PPS_KEYS = ("PerformedProcedureStepID", "PerformedProcedureStepStartDate", "PerformedProcedureStepStartTime",
             "PerformedProcedureStepDescription")


class FileJournal:
    """One exam's state file, locked for each read-modify-write."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.path.parent.mkdir(parents=True, exist_ok=True)

    @contextmanager
    def locked(self) -> Iterator[dict[str, Any]]:
        lock_path = self.path.with_suffix(".lock")
        with lock_path.open("a+b") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                state: dict[str, Any] = json.loads(self.path.read_text("utf-8")) if self.path.exists() else {}
                before = json.dumps(state, sort_keys=True)
                yield state
                text = json.dumps(state, sort_keys=True, ensure_ascii=False)
                if text != before:
                    with atomic_file(self.path) as fh:
                        fh.write(text.encode("utf-8"))
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)


def journal_path(exams_dir: Path, study_instance_uid: str) -> Path:
    return exams_dir / f"{study_instance_uid}.json"


def resume_exam(exams_dir: Path, exam: Exam, uid_root: str) -> Exam:
    """The exam continued from earlier runs for the same study, or started (and recorded) now.

    Raises InputError ``exam.patient_conflict`` when the study already holds objects of another patient.
    """
    journal = FileJournal(journal_path(exams_dir, exam.study.study_instance_uid))
    study = exam.study
    with journal.locked() as state:
        first = state.get("study")
        if first is None:
            state["study"] = {
                "patient_id": exam.patient.patient_id,
                "issuer": exam.patient.issuer_of_patient_id,
                "study_date": study.study_date,
                "study_time": study.study_time,
                "study_id": study.study_id,
                "attributes": {k: str(study.attributes[k]) for k in _PPS_KEYS if k in study.attributes},
                "pps_uid": _pps_uid(study),
            }
        else:
            if (first["patient_id"], first["issuer"]) != (exam.patient.patient_id, exam.patient.issuer_of_patient_id):
                raise InputError("exam.patient_conflict", study=study.study_instance_uid,
                                 patient_id=exam.patient.patient_id, other=first["patient_id"])
            study = _continued(study, first)
    return Exam(exam.patient, study, uid_root=uid_root, journal=journal)


def _pps_uid(study: Study) -> str:
    items = study.sequences.get("ReferencedPerformedProcedureStepSequence", ())
    return str(items[0].ReferencedSOPInstanceUID) if items else ""


def _continued(study: Study, first: dict[str, Any]) -> Study:
    attributes = dict(study.attributes)
    attributes.update(first.get("attributes", {}))
    sequences = dict(study.sequences)
    if first.get("pps_uid") and "ReferencedPerformedProcedureStepSequence" in sequences:
        item = Dataset()
        old = sequences["ReferencedPerformedProcedureStepSequence"][0]
        item.ReferencedSOPClassUID = old.ReferencedSOPClassUID
        item.ReferencedSOPInstanceUID = first["pps_uid"]
        sequences["ReferencedPerformedProcedureStepSequence"] = (item,)
    return replace(study, study_date=first["study_date"], study_time=first["study_time"],
                   study_id=first.get("study_id") or study.study_id,
                   attributes=MappingProxyType(attributes), sequences=MappingProxyType(sequences))
