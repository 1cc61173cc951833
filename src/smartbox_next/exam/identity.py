"""An exam from what the operator types: a patient given by hand, or an emergency identity.

The worklist case (patient and study from a scheduled step) is :func:`smartbox_next.worklist.mapping.to_exam`;
choosing between them is a use case (:mod:`smartbox_next.app.identity`). DICOM_RULES §7, unscheduled case:
a new Study Instance UID unless the operator names one to join.
"""

from __future__ import annotations

from smartbox_next.dicom.values import check_value
from smartbox_next.errors import AttributeValueError
from smartbox_next.exam.model import Exam, Patient, Study, emergency_patient


def manual_exam(*, uid_root: str, emergency_prefix: str, patient_name: str | None, patient_id: str | None,
                birth_date: str | None, sex: str | None, accession: str | None, study_uid: str | None,
                emergency: bool) -> Exam:
    """An exam from operator input, or an emergency identity (values checked against their VR first)."""
    for keyword, value in (("PatientName", patient_name), ("PatientID", patient_id),
                           ("PatientBirthDate", birth_date), ("AccessionNumber", accession)):
        if value:
            check_value(keyword, value)
    if emergency:
        patient = emergency_patient(emergency_prefix)
    elif patient_id:
        patient = Patient(patient_name=patient_name or "", patient_id=patient_id, birth_date=birth_date or "",
                          sex=sex or "")
    else:
        raise AttributeValueError("attr.missing", attribute="Patient ID (0010,0020)")
    if study_uid:
        check_value("StudyInstanceUID", study_uid)
    study = Study.new(uid_root=uid_root, study_instance_uid=study_uid, accession_number=accession or "")
    return Exam(patient, study, uid_root=uid_root)
