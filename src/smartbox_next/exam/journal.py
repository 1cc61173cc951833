"""Exam state shared across processes: one small JSON file per Study Instance UID in the data folder.

Captures of one exam may be created by several ``smartbox create``/``export`` runs (and the UI later).
They must agree on Study Date/Time and the performed procedure step values (PS3.17 J.2: the same values
in every image of a step), continue series and instance numbering (PS3.3 C.7.3.1, C.7.6.1), and never
put a second patient on a study. The file is read and rewritten under an exclusive ``flock``.

The file is named by a hash of the (validated) Study Instance UID, never by the UID itself: the UID may
come from a worklist server, and a value from a peer never becomes a path (issue 17). A file that is not
a journal (garbage, empty, wrong types) is refused with a message naming it; other studies are unaffected.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

from smartbox_next.atomic import atomic_file
from smartbox_next.dicom.uid import is_valid_uid
from smartbox_next.errors import InputError
from smartbox_next.exam.model import Exam, IdentityOverride, Study

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
                state = self._read()
                before = json.dumps(state, sort_keys=True)
                yield state
                text = json.dumps(state, sort_keys=True, ensure_ascii=False)
                if text != before:
                    with atomic_file(self.path) as fh:
                        fh.write(text.encode("utf-8"))
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)


    def _read(self) -> dict[str, Any]:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return {}
        except OSError as exc:
            raise InputError("exam.journal_damaged", path=str(self.path), detail=exc.strerror or str(exc)) from None
        try:
            state = json.loads(raw.decode("utf-8"))
            problem = _problem(state)
        except (UnicodeDecodeError, ValueError) as exc:
            problem = f"not JSON ({type(exc).__name__})" if raw.strip() else "empty file"
            state = {}
        if problem:
            raise InputError("exam.journal_damaged", path=str(self.path), detail=problem)
        return dict(state)


_STUDY_TEXT = ("patient_id", "issuer", "study_date", "study_time", "study_id", "pps_uid")
_SERIES_TEXT = ("series_instance_uid", "modality", "series_description")


def _problem(state: Any) -> str:
    """What makes ``state`` not a journal ("" when it is one)."""
    if not isinstance(state, dict):
        return "not a JSON object"
    study = state.get("study", {})
    if not isinstance(study, dict) or any(not isinstance(study.get(k, ""), str) for k in _STUDY_TEXT):
        return "'study' is not a table of texts"
    if not isinstance(study.get("attributes", {}), dict):
        return "'study.attributes' is not a table"
    series = state.get("series", {})
    if not isinstance(series, dict) or any(
            not isinstance(s, dict) or set(s) != {*_SERIES_TEXT, "series_number"}
            or any(not isinstance(s[k], str) for k in _SERIES_TEXT) or type(s["series_number"]) is not int
            for s in series.values()):
        return "'series' is not a table of series"
    instances = state.get("instances", {})
    if not isinstance(instances, dict) or any(type(n) is not int for n in instances.values()):
        return "'instances' is not a table of numbers"
    return ""


def journal_path(exams_dir: Path, study_instance_uid: str) -> Path:
    """``<exams_dir>/<hash of the UID>.json``; refuses a value that is not a UID (PS3.5 §9.1).

    A journal of an earlier version (named by the UID itself) is renamed to the hashed name once.
    """
    if not is_valid_uid(study_instance_uid):
        raise InputError("exam.bad_study_uid", value=study_instance_uid)
    path = exams_dir / f"{hashlib.sha256(study_instance_uid.encode('ascii')).hexdigest()[:40]}.json"
    legacy = exams_dir / f"{study_instance_uid}.json"
    if not path.exists() and legacy.is_file() and not legacy.is_symlink():
        os.replace(legacy, path)
        Path(f"{legacy}.lock".replace(".json.lock", ".lock")).unlink(missing_ok=True)
    return path


def resume_exam(exams_dir: Path, exam: Exam, uid_root: str) -> Exam:
    """The exam continued from earlier runs for the same study, or started (and recorded) now.

    Raises InputError ``exam.patient_conflict`` when the study already holds objects of another patient.
    An identity override (``--override-worklist``) is recorded with the study and stays known to later runs.
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
        if exam.override is not None:
            state["study"]["override"] = {"worklist_item": exam.override.worklist_item,
                                          "fields": list(exam.override.fields), "at": exam.override.at}
        override = recorded_override(state)
    return Exam(exam.patient, study, uid_root=uid_root, journal=journal, anatomic_region=exam.anatomic_region,
                override=override, region_candidates=exam.region_candidates)


def recorded_override(state: dict[str, Any]) -> IdentityOverride | None:
    """The identity override recorded in a journal's state, if any."""
    raw = state.get("study", {}).get("override")
    if not isinstance(raw, dict):
        return None
    fields = raw.get("fields", [])
    return IdentityOverride(str(raw.get("worklist_item", "")),
                            tuple(str(f) for f in fields) if isinstance(fields, list) else (),
                            str(raw.get("at", "")))


def study_override(exams_dir: Path, study_instance_uid: str) -> IdentityOverride | None:
    """The identity override recorded for a study (None when none, or no journal)."""
    path = journal_path(exams_dir, study_instance_uid)
    if not path.exists():
        return None
    with FileJournal(path).locked() as state:
        return recorded_override(state)


def _pps_uid(study: Study) -> str:
    items = study.sequences.get("ReferencedPerformedProcedureStepSequence", ())
    return str(items[0].ReferencedSOPInstanceUID) if items else ""


def _continued(study: Study, first: dict[str, Any]) -> Study:
    attributes = dict(study.attributes)
    attributes.update(first.get("attributes", {}))
    sequences = dict(study.sequences)
    if first.get("pps_uid") and "ReferencedPerformedProcedureStepSequence" in sequences:
        from pydicom.dataset import Dataset  # only when a study is continued

        item = Dataset()
        old = sequences["ReferencedPerformedProcedureStepSequence"][0]
        item.ReferencedSOPClassUID = old.ReferencedSOPClassUID
        item.ReferencedSOPInstanceUID = first["pps_uid"]
        sequences["ReferencedPerformedProcedureStepSequence"] = (item,)
    return replace(study, study_date=first["study_date"], study_time=first["study_time"],
                   study_id=first.get("study_id") or study.study_id,
                   attributes=MappingProxyType(attributes), sequences=MappingProxyType(sequences))
