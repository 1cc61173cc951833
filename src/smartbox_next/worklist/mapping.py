"""How a worklist item becomes the :class:`~smartbox_next.exam.model.Exam` its captures belong to.

The scheduled-workflow mapping of PS3.17 Annex J / IHE SWF (DICOM_RULES §7): patient identity verbatim,
the worklist's Study Instance UID (never a new one), accession, referring physician, Study Description from
the Requested Procedure Description, Procedure Code Sequence, one Request Attributes item per Scheduled
Procedure Step, Referenced Study Sequence, generated Performed Procedure Step ID/start/description and a
Referenced PPS UID, Study ID from the Requested Procedure ID.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import datetime
from typing import Any, TypeVar

from pydicom.dataset import Dataset
from pydicom.sequence import Sequence as DicomSequence

from smartbox_next.dicom.sop import MODALITY_PERFORMED_PROCEDURE_STEP
from smartbox_next.dicom.uid import generate_uid, is_valid_uid
from smartbox_next.errors import WorklistError
from smartbox_next.exam.model import Exam, Patient, Study
from smartbox_next.worklist.item import ReferencedStudy, ScheduledStep, WorklistItem
from smartbox_next.worklist.regions import RegionMatch, RegionRules, region_for

_T = TypeVar("_T")


def to_exam(item: WorklistItem, *, uid_root: str, now: datetime | None = None,
            regions: RegionRules | None = None) -> Exam:
    """The exam every capture of this scheduled step belongs to (PS3.17 Annex J; DICOM_RULES §7).

    With ``regions`` the exam's anatomic region comes from the procedure (:mod:`.regions`; PS3.3 C.8.12.1):
    one region found is the exam's, several are kept as candidates (ambiguous), none leaves it unknown.

    Raises :class:`WorklistError` when the item cannot carry a safe identity: no Study Instance UID
    (a scheduled exam never gets a new one) or text that did not decode cleanly.
    """
    if item.encoding_doubtful:
        raise WorklistError("worklist.charset_doubtful", character_set=item.character_set,
                            item=item.item_id)
    if not item.study_instance_uid:
        raise WorklistError("worklist.no_study_uid", item=item.item_id)
    check_uids(item)
    now = now or datetime.now()
    patient = Patient(
        patient_name=item.patient_name,
        patient_id=item.patient_id,
        birth_date=item.birth_date,
        sex=item.sex,
        issuer_of_patient_id=item.issuer_of_patient_id,
        other_patient_ids=item.other_patient_ids,
    )
    sequences: dict[str, list[Dataset]] = {
        "RequestAttributesSequence": [_request_attributes(item, step) for step in item.steps or (ScheduledStep(),)],
    }
    if item.requested_procedure_codes:
        sequences["ProcedureCodeSequence"] = [c.to_dataset() for c in item.requested_procedure_codes]
    if item.referenced_studies:
        sequences["ReferencedStudySequence"] = [_ref_study(r) for r in item.referenced_studies]
    performed_protocols = _unique(c for s in item.steps for c in s.protocol_codes)
    if performed_protocols:
        sequences["PerformedProtocolCodeSequence"] = [c.to_dataset() for c in performed_protocols]
    pps = Dataset()
    pps.ReferencedSOPClassUID = MODALITY_PERFORMED_PROCEDURE_STEP
    pps.ReferencedSOPInstanceUID = generate_uid(uid_root)
    sequences["ReferencedPerformedProcedureStepSequence"] = [pps]
    pps_description = "; ".join(_unique(s.description for s in item.steps if s.description))[:64]
    attributes: dict[str, Any] = {
        "PerformedProcedureStepID": f"{now:%y%m%d%H%M%S}{secrets.token_hex(2).upper()}",
        "PerformedProcedureStepStartDate": f"{now:%Y%m%d}",
        "PerformedProcedureStepStartTime": f"{now:%H%M%S}",
        "PerformedProcedureStepDescription": pps_description or item.requested_procedure_description,
    }
    study = Study.new(
        uid_root=uid_root,
        study_instance_uid=item.study_instance_uid,
        accession_number=item.accession_number,
        referring_physician_name=item.referring_physician_name,
        study_id=item.requested_procedure_id,
        study_description=item.requested_procedure_description,
        sequences=sequences,
        attributes=attributes,
        now=now,
    )
    match = region_for(item, regions) if regions is not None else RegionMatch()
    return Exam(patient, study, uid_root=uid_root, anatomic_region=match.region,
                region_candidates=match.regions if match.ambiguous else ())

def check_uids(item: WorklistItem) -> None:
    """Refuse an item whose UIDs are not UIDs (PS3.5 §9.1) before any of them reaches a file name or an object.

    A broken or hostile RIS could send ``../../etc`` as Study Instance UID; it would name the exam journal.
    """
    uids = [("Study Instance UID (0020,000D)", item.study_instance_uid)]
    uids += [("Referenced SOP Instance UID (0008,1155)", r.sop_instance_uid) for r in item.referenced_studies]
    uids += [("Referenced SOP Class UID (0008,1150)", r.sop_class_uid) for r in item.referenced_studies]
    for attribute, value in uids:
        if value and not is_valid_uid(value):
            raise WorklistError("worklist.bad_uid", item=item.item_id, attribute=attribute, value=value)


def _request_attributes(item: WorklistItem, step: ScheduledStep) -> Dataset:
    """One Request Attributes Sequence item (PS3.3 Table 10-9) for a fulfilled SPS."""
    ra = Dataset()
    ra.AccessionNumber = item.accession_number
    ra.StudyInstanceUID = item.study_instance_uid
    if item.referenced_studies:
        ra.ReferencedStudySequence = DicomSequence([_ref_study(r) for r in item.referenced_studies])
    ra.RequestedProcedureID = item.requested_procedure_id
    if item.requested_procedure_description:
        ra.RequestedProcedureDescription = item.requested_procedure_description
    if item.requested_procedure_codes:
        ra.RequestedProcedureCodeSequence = DicomSequence([c.to_dataset() for c in item.requested_procedure_codes])
    if item.reason_for_requested_procedure:
        ra.ReasonForTheRequestedProcedure = item.reason_for_requested_procedure
    ra.ScheduledProcedureStepID = step.sps_id
    if step.description:
        ra.ScheduledProcedureStepDescription = step.description
    if step.protocol_codes:
        ra.ScheduledProtocolCodeSequence = DicomSequence([c.to_dataset() for c in step.protocol_codes])
    return ra


def scheduled_step_attributes(item: WorklistItem) -> list[Dataset]:
    """The Scheduled Step Attributes Sequence (0040,0270) items of an MPPS N-CREATE: one per fulfilled Scheduled
    Procedure Step of ``item`` (PS3.4 Table F.7.2-1; IHE RAD TF-2 4.6): Study Instance UID, Referenced Study
    Sequence, Accession Number, placer/filler order numbers, Requested Procedure ID / Description / Code Sequence,
    SPS ID / Description and Scheduled Protocol Code Sequence, all copied from the worklist answer."""
    out = []
    for step in item.steps or (ScheduledStep(),):
        ds = Dataset()
        ds.StudyInstanceUID = item.study_instance_uid
        ds.ReferencedStudySequence = DicomSequence([_ref_study(r) for r in item.referenced_studies])
        ds.AccessionNumber = item.accession_number
        if item.placer_order_number:
            ds.PlacerOrderNumberImagingServiceRequest = item.placer_order_number
        if item.filler_order_number:
            ds.FillerOrderNumberImagingServiceRequest = item.filler_order_number
        ds.RequestedProcedureID = item.requested_procedure_id
        if item.requested_procedure_codes:
            ds.RequestedProcedureCodeSequence = DicomSequence([c.to_dataset() for c in item.requested_procedure_codes])
        ds.RequestedProcedureDescription = item.requested_procedure_description
        ds.ScheduledProcedureStepID = step.sps_id
        ds.ScheduledProcedureStepDescription = step.description
        ds.ScheduledProtocolCodeSequence = DicomSequence([c.to_dataset() for c in step.protocol_codes])
        out.append(ds)
    return out


def protocol_name(item: WorklistItem) -> str:
    """The Protocol Name (0018,1030) of the performed series: the first scheduled protocol's meaning, else the
    first step's description, else the requested procedure's description ("" when the worklist has none)."""
    for step in item.steps:
        for code in step.protocol_codes:
            if code.meaning:
                return code.meaning[:64]
    for step in item.steps:
        if step.description:
            return step.description[:64]
    return item.requested_procedure_description[:64]


def _ref_study(ref: ReferencedStudy) -> Dataset:
    item = Dataset()
    item.ReferencedSOPClassUID = ref.sop_class_uid
    item.ReferencedSOPInstanceUID = ref.sop_instance_uid
    return item


def _unique(values: Iterable[_T]) -> list[_T]:
    return list(dict.fromkeys(values))
