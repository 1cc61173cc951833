"""Which patient and study a capture belongs to: from the worklist, typed by hand, or an emergency identity.

The one use case behind ``smartbox create``/``export`` identity options and (next) the station UI's patient
choice. Captures of one study share it across runs (:func:`smartbox_next.app.station.continue_exam`).

Never a wrong-patient object (issue 11): when the operator types a patient *and* names a worklist entry
(``--worklist-item``, or ``--accession`` while a worklist is configured), the two are compared (name, patient
ID, birth date, sex); if they differ nothing is created (``identity.worklist_conflict``, showing both) unless
the operator says ``--override-worklist``. That override is logged without patient data and recorded with
the exam (journal), so ``smartbox queue show`` tells.

The anatomic region (PS3.3 C.8.12.1) is chosen here too, in this order: ``--anatomic-region``; the worklist
entry (:mod:`smartbox_next.worklist.regions`); the station default ``objects.anatomic_region``. An entry naming
several regions leaves it open (the builder of a video object then refuses: the operator chooses).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime

from smartbox_next.app.station import continue_exam, worklist_cache
from smartbox_next.config import Config
from smartbox_next.dicom.anatomy import Region, parse_region
from smartbox_next.errors import InputError, NetworkError, WorklistError
from smartbox_next.exam.identity import manual_exam
from smartbox_next.exam.model import Exam, IdentityOverride, Patient
from smartbox_next.messages import Bilingual, printable
from smartbox_next.worklist.item import WorklistResult, merge_steps
from smartbox_next.worklist.mapping import to_exam
from smartbox_next.worklist.regions import RegionRules, normalise
from smartbox_next.worklist.service import lookup, resolve_peer

LOG = logging.getLogger(__name__)

_FIELD_NAMES = {"PatientName": "Patient's Name", "PatientID": "Patient ID", "PatientBirthDate": "Birth Date",
                "PatientSex": "Sex"}


@dataclass(frozen=True)
class Identity:
    """What the operator said about the patient (every field optional; see :func:`exam_for`)."""

    patient_name: str | None = None
    patient_id: str | None = None
    birth_date: str | None = None
    sex: str | None = None
    accession: str | None = None
    study_uid: str | None = None
    emergency: bool = False
    worklist_item: str | None = None
    from_peer: str | None = None
    anatomic_region: str | None = None
    override_worklist: bool = False

    @property
    def by_hand(self) -> bool:
        return bool(self.patient_name or self.patient_id or self.emergency or self.study_uid)

    @property
    def typed_patient(self) -> bool:
        return bool(self.patient_name or self.patient_id or self.birth_date or self.sex)

    @property
    def from_worklist(self) -> bool:
        """A worklist item ID, or an accession number with nothing typed about the patient."""
        return bool(self.worklist_item or (self.accession and not self.by_hand))


@dataclass(frozen=True)
class ChosenExam:
    """The exam, and the worklist answer it came from (None when typed by hand)."""

    exam: Exam
    worklist: WorklistResult | None = None


def worklist_exam(config: Config, *, accession: str | None, item_id: str | None,
                  from_peer: str | None) -> ChosenExam:
    """The exam of the worklist entry with this accession number or item ID.

    Answers of one Requested Procedure (several SPS) are merged into one exam with one Request Attributes
    item per step; answers of different patients or studies are refused (``worklist.ambiguous``).
    """
    peer = resolve_peer(config, from_peer)
    result = lookup(config, peer=peer, cache=worklist_cache(config), accession_number=accession or "",
                    item_id=item_id or "")
    if not result.items:
        what = (Bilingual(f"accession number {printable(accession)}", f"der Auftragsnummer {printable(accession)}")
                if accession else Bilingual(f"ID {printable(item_id or '')}", f"der ID {printable(item_id or '')}"))
        raise WorklistError("worklist.not_found", what=what, peer=str(peer))
    item = merge_steps(list(result.items))
    exam = to_exam(item, uid_root=config.uid.root, regions=RegionRules.from_config(config.procedure_regions))
    return ChosenExam(exam, result)


def _same_name(typed: str, listed: str) -> bool:
    """PN values compared as a person reads them: case, umlaut spelling and trailing empty components aside."""
    def norm(name: str) -> list[str]:
        parts = [normalise(p) for p in name.split("=")[0].split("^")]
        while parts and not parts[-1]:
            parts.pop()
        return parts

    return norm(typed) == norm(listed)


def _differences(typed: Patient, listed: Patient) -> list[str]:
    """The attributes (keywords) the operator typed that differ from the worklist entry's."""
    out = []
    if typed.patient_name and not _same_name(typed.patient_name, listed.patient_name):
        out.append("PatientName")
    if typed.patient_id and typed.patient_id.strip() != listed.patient_id.strip():
        out.append("PatientID")
    if typed.birth_date and typed.birth_date != listed.birth_date:
        out.append("PatientBirthDate")
    if typed.sex and typed.sex != listed.sex:
        out.append("PatientSex")
    return out


def _describe(p: Patient) -> str:
    """Both identities are shown to the operator (never logged)."""
    return f"{p.patient_name or '-'}, ID {p.patient_id or '-'}, {p.birth_date or '-'}, {p.sex or '-'}"


def _typed(identity: Identity) -> Patient:
    return Patient(identity.patient_name or "", identity.patient_id or "", identity.birth_date or "",
                   identity.sex or "")


def _checked(config: Config, identity: Identity, chosen: ChosenExam) -> ChosenExam:
    """The worklist exam when the typed identity agrees with it; refused, or overridden, when it does not."""
    exam = chosen.exam
    typed, listed = _typed(identity), exam.patient
    fields = _differences(typed, listed)
    if not fields:
        return chosen
    item = chosen.worklist.items[0].item_id if chosen.worklist and chosen.worklist.items else ""
    if not identity.override_worklist:
        raise InputError("identity.worklist_conflict", item=item, accession=exam.study.accession_number or "-",
                         fields=", ".join(_FIELD_NAMES[f] for f in fields), typed=_describe(typed),
                         worklist=_describe(listed))
    patient = replace(listed, patient_name=typed.patient_name or listed.patient_name,
                      patient_id=typed.patient_id or listed.patient_id,
                      birth_date=typed.birth_date or listed.birth_date, sex=typed.sex or listed.sex)
    if "PatientID" in fields:  # the worklist's issuer and other IDs belong to the worklist's ID, not this one
        patient = replace(patient, issuer_of_patient_id="", other_patient_ids=())
    override = IdentityOverride(item, tuple(fields), datetime.now().isoformat(timespec="seconds"))
    LOG.warning("identity override: the operator's identity replaces worklist entry %s in %s (--override-worklist)",
                item, ", ".join(fields))
    return ChosenExam(Exam(patient, exam.study, uid_root=config.uid.root, anatomic_region=exam.anatomic_region,
                           override=override, region_candidates=exam.region_candidates), chosen.worklist)


def _typed_with_accession(config: Config, identity: Identity) -> ChosenExam | None:
    """The worklist entry an accession refers to, checked against the typed identity; None when no worklist is
    configured or the accession is not in it (then it is the operator's own accession number)."""
    if not (identity.accession and identity.typed_patient) or identity.emergency:
        return None
    if not identity.from_peer and not config.worklist_source():
        return None
    try:
        chosen = worklist_exam(config, accession=identity.accession, item_id=None, from_peer=identity.from_peer)
    except WorklistError as exc:
        if exc.key == "worklist.not_found":
            return None
        if identity.override_worklist:
            return None
        raise InputError("identity.worklist_unverified", accession=identity.accession,
                         detail=Bilingual(exc.text("en"), exc.text("de"))) from exc
    except NetworkError as exc:
        if identity.override_worklist:
            return None
        raise InputError("identity.worklist_unverified", accession=identity.accession,
                         detail=Bilingual(exc.text("en"), exc.text("de"))) from exc
    if identity.study_uid and identity.study_uid != chosen.exam.study.study_instance_uid:
        raise InputError("identity.worklist_conflict", item=chosen.worklist.items[0].item_id
                         if chosen.worklist and chosen.worklist.items else "",
                         accession=identity.accession, fields="Study Instance UID",
                         typed=identity.study_uid, worklist=chosen.exam.study.study_instance_uid)
    return _checked(config, identity, chosen)


def exam_for(config: Config, identity: Identity) -> ChosenExam:
    """The exam for ``identity``, continued across runs for the same study (exam journal)."""
    region = parse_region(identity.anatomic_region) if identity.anatomic_region else None
    if identity.from_worklist:
        chosen = worklist_exam(config, accession=None if identity.worklist_item else identity.accession,
                               item_id=identity.worklist_item, from_peer=identity.from_peer)
        if identity.typed_patient:
            chosen = _checked(config, identity, chosen)
    else:
        checked = _typed_with_accession(config, identity)
        chosen = checked or ChosenExam(manual_exam(
            uid_root=config.uid.root, emergency_prefix=config.objects.emergency_prefix,
            patient_name=identity.patient_name, patient_id=identity.patient_id, birth_date=identity.birth_date,
            sex=identity.sex, accession=identity.accession, study_uid=identity.study_uid,
            emergency=identity.emergency))
    return ChosenExam(continue_exam(config, with_region(config, chosen.exam, region)), chosen.worklist)


def with_region(config: Config, exam: Exam, operator: Region | None = None) -> Exam:
    """The exam's anatomic region: the operator's, else the worklist entry's, else the station default
    (``objects.anatomic_region``) — the default only when the entry named none (not when it named several)."""
    if operator is not None:
        exam.anatomic_region, exam.region_candidates = operator, ()
    elif exam.anatomic_region is None and not exam.region_candidates and config.objects.anatomic_region:
        exam.anatomic_region = parse_region(config.objects.anatomic_region)
    return exam
