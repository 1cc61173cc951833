"""The Modality Performed Procedure Step IOD (PS3.3 B.17) as the SCU sends it: N-CREATE and final N-SET.

:func:`n_create` builds the attribute list of the N-CREATE (PS3.4 F.7.2.1, Table F.7.2-1 "Req. Type N-CREATE"):
every Type 1 attribute with a value, every Type 2 attribute present (empty where unknown), Type 3 only where this
station has a value; status IN PROGRESS. Attributes that are set later (end date/time, Performed Series Sequence,
the discontinuation reason) are created here, empty: "only attributes that are specified at N-CREATE may later
be updated through the N-SET" (Table F.7.2-1, note 5).

:func:`n_set_final` builds the final N-SET (PS3.4 F.7.2.2): status COMPLETED or DISCONTINUED, end date/time, the
Performed Series Sequence — whole, every series with every instance created in the exam in Referenced Image
Sequence (all our IODs are images, video included), at least one series even when nothing was captured (note 2)
— and, when discontinued with a reason, the Discontinuation Reason Code Sequence (CID 9300). Nothing "Not allowed"
in N-SET is sent. Values are checked against their VR (PS3.5 Table 6.2-1) and the Specific Character Set is
set only when a value needs more than ASCII (Type 1C); the N-SET uses the N-CREATE's (PS3.4 F.7.2.2.1).

Scheduled case: one Scheduled Step Attributes Sequence item per fulfilled Scheduled Procedure Step, made from the
worklist answer (:func:`smartbox_next.worklist.mapping.scheduled_step_attributes`). Unscheduled case
(F.7.2.1.2 note 3): one item with the exam's (generated) Study Instance UID, every Type 2 attribute empty.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pydicom.dataset import Dataset
from pydicom.multival import MultiValue
from pydicom.sequence import Sequence as DicomSequence

from smartbox_next.config import Config
from smartbox_next.dicom.codes import DISCONTINUATION_REASONS
from smartbox_next.dicom.uid import generate_uid
from smartbox_next.dicom.vr import REPERTOIRE_VRS
from smartbox_next.exam.model import Patient, Study
from smartbox_next.iod.common import choose_character_set

IN_PROGRESS, COMPLETED, DISCONTINUED = "IN PROGRESS", "COMPLETED", "DISCONTINUED"

_STEP_TYPE2 = ("AccessionNumber", "RequestedProcedureID", "RequestedProcedureDescription", "ScheduledProcedureStepID",
               "ScheduledProcedureStepDescription")
_STEP_SEQUENCES2 = ("ReferencedStudySequence", "ScheduledProtocolCodeSequence")


@dataclass(frozen=True)
class PerformedSeries:
    """One series of the exam and the instances created in it (for the Performed Series Sequence)."""

    series_instance_uid: str
    instances: tuple[tuple[str, str], ...]  # (SOP Class UID, SOP Instance UID)


def unscheduled_step(study_instance_uid: str, accession_number: str = "") -> Dataset:
    """The Scheduled Step Attributes item of an unscheduled step (PS3.4 F.7.2.1.2 note 3; IHE RAD TF-2 4.6)."""
    item = Dataset()
    item.StudyInstanceUID = study_instance_uid
    item.ReferencedStudySequence = DicomSequence([])
    item.AccessionNumber = accession_number
    for keyword in _STEP_TYPE2[1:]:
        setattr(item, keyword, "")
    item.ScheduledProtocolCodeSequence = DicomSequence([])
    return item


def complete_step(item: Dataset) -> Dataset:
    """``item`` with every Type 2 attribute of a Scheduled Step Attributes item present (empty if missing)."""
    out = Dataset()
    for elem in item:
        out.add(elem)
    for keyword in _STEP_TYPE2:
        if keyword not in out:
            setattr(out, keyword, "")
    for keyword in _STEP_SEQUENCES2:
        if keyword not in out:
            setattr(out, keyword, DicomSequence([]))
    return out


def n_create(config: Config, patient: Patient, study: Study, steps: Sequence[Dataset], *,
             protocol_name: str) -> Dataset:
    """The N-CREATE attribute list of this exam's step (PS3.4 Table F.7.2-1), status IN PROGRESS.

    ``study`` carries the step's PPS ID / start date / time / description (``Study.attributes``) and the
    Procedure Code and Performed Protocol Code Sequences; ``steps`` are the Scheduled Step Attributes items
    (:func:`unscheduled_step` when not scheduled). ``protocol_name`` (later sent in the N-SET) takes part in the
    choice of the character set, which both messages share.
    """
    st, a = config.station, study.attributes
    ds = Dataset()
    ds.ScheduledStepAttributesSequence = DicomSequence([complete_step(s) for s in steps])
    ds.PatientName = patient.patient_name
    ds.PatientID = patient.patient_id
    if patient.issuer_of_patient_id:
        ds.IssuerOfPatientID = patient.issuer_of_patient_id
    if patient.other_patient_ids:
        items = []
        for other in patient.other_patient_ids:
            item = Dataset()
            item.PatientID = other
            item.TypeOfPatientID = "TEXT"
            items.append(item)
        ds.OtherPatientIDsSequence = DicomSequence(items)
    ds.PatientBirthDate = patient.birth_date
    ds.PatientSex = patient.sex
    ds.ReferencedPatientSequence = DicomSequence([])
    ds.PerformedProcedureStepID = str(a["PerformedProcedureStepID"])
    ds.PerformedStationAETitle = st.ae_title
    ds.PerformedStationName = st.station_name
    ds.PerformedLocation = config.mpps.performed_location
    ds.PerformedProcedureStepStartDate = str(a["PerformedProcedureStepStartDate"])
    ds.PerformedProcedureStepStartTime = str(a["PerformedProcedureStepStartTime"])
    ds.PerformedProcedureStepStatus = IN_PROGRESS
    ds.PerformedProcedureStepDescription = str(a.get("PerformedProcedureStepDescription", ""))
    ds.PerformedProcedureTypeDescription = ""
    ds.ProcedureCodeSequence = DicomSequence([_copy(c) for c in study.sequences.get("ProcedureCodeSequence", ())])
    ds.PerformedProcedureStepEndDate = ""
    ds.PerformedProcedureStepEndTime = ""
    ds.PerformedProcedureStepDiscontinuationReasonCodeSequence = DicomSequence([])
    ds.Modality = config.objects.modality
    ds.StudyID = study.study_id
    ds.PerformedProtocolCodeSequence = DicomSequence(
        [_copy(c) for c in study.sequences.get("PerformedProtocolCodeSequence", ())])
    ds.PerformedSeriesSequence = DicomSequence([])
    _character_set(ds, config, extra=(protocol_name,))
    return ds


def n_set_final(config: Config, *, status: str, end_date: str, end_time: str, series: Sequence[PerformedSeries],
                protocol_name: str, character_set: str | None, reason: str | None = None) -> Dataset:
    """The final N-SET attribute list (PS3.4 F.7.2.2.2): ``status`` COMPLETED or DISCONTINUED.

    ``series`` lists every series with every instance created in the exam; with none, one empty series is
    reported (Table F.7.2-1 note 2). ``character_set`` is the N-CREATE's Specific Character Set (None: ASCII).
    ``reason`` is a code value of CID 9301 (DISCONTINUED only).
    """
    if status not in (COMPLETED, DISCONTINUED):
        raise ValueError(f"final status must be COMPLETED or DISCONTINUED, not {status!r}")
    if reason is not None and (status != DISCONTINUED or reason not in DISCONTINUATION_REASONS):
        raise ValueError(f"discontinuation reason {reason!r} with status {status}")
    ds = Dataset()
    ds.PerformedProcedureStepStatus = status
    ds.PerformedProcedureStepEndDate = end_date
    ds.PerformedProcedureStepEndTime = end_time
    items = []
    for s in series or (PerformedSeries(generate_uid(config.uid.root), ()),):
        item = Dataset()
        item.PerformingPhysicianName = ""
        item.ProtocolName = protocol_name
        item.OperatorsName = ""
        item.SeriesInstanceUID = s.series_instance_uid
        item.SeriesDescription = ""
        item.RetrieveAETitle = ""
        refs = []
        for sop_class, sop_instance in s.instances:
            ref = Dataset()
            ref.ReferencedSOPClassUID = sop_class
            ref.ReferencedSOPInstanceUID = sop_instance
            refs.append(ref)
        item.ReferencedImageSequence = DicomSequence(refs)
        item.ReferencedNonImageCompositeSOPInstanceSequence = DicomSequence([])
        items.append(item)
    ds.PerformedSeriesSequence = DicomSequence(items)
    if reason is not None:
        code = DISCONTINUATION_REASONS[reason]
        item = Dataset()
        item.CodeValue = code.value
        item.CodingSchemeDesignator = code.scheme
        item.CodeMeaning = code.meaning
        ds.PerformedProcedureStepDiscontinuationReasonCodeSequence = DicomSequence([item])
    if character_set:
        ds.SpecificCharacterSet = character_set
    choose_character_set(ds, config.objects.character_set)  # checks every value against its VR
    return ds


def _character_set(ds: Dataset, config: Config, extra: Sequence[str] = ()) -> None:
    """Check every value (raises AttributeValueError); Specific Character Set only when text needs it (1C).

    ``extra`` are Protocol Name values the N-SET will carry: the N-SET shares the N-CREATE's character set.
    """
    probe = Dataset()
    for elem in ds:
        probe.add(elem)
    for i, text in enumerate(extra):
        item = Dataset()
        item.ProtocolName = text
        probe.add_new(0x00091000 + i, "SQ", DicomSequence([item]))  # private probe, never sent
    chosen = choose_character_set(probe, config.objects.character_set)
    if not _ascii(probe):
        ds.SpecificCharacterSet = chosen


def _ascii(ds: Dataset) -> bool:
    for elem in ds:
        if elem.VR == "SQ":
            if not all(_ascii(i) for i in elem.value):
                return False
        elif elem.VR in REPERTOIRE_VRS and elem.value is not None:
            values = elem.value if isinstance(elem.value, MultiValue) else [elem.value]
            if not all(str(v).isascii() for v in values):
                return False
    return True


def _copy(item: Dataset) -> Dataset:
    out = Dataset()
    for elem in item:
        out.add(elem)
    return out
