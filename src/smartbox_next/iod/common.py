"""Modules every object shares: Patient, General Study, General Series, General Equipment,
General Image/Acquisition, SOP Common, File Meta and the character set.

Builders call :func:`new_dataset` first, add their image modules, then :func:`finalize`, which picks
the Specific Character Set (PS3.3 C.12.1.1.2) and checks every value against its VR, in one walk.

Attributes are set with :func:`put` (tag and VR from the data dictionary, cached): it skips pydicom's
per-element value validation, which only warns, because :func:`finalize` checks every text value
against its VR and raises (PS3.5 Table 6.2-1; ``iod.values``). That halves the cost of building the
~45 attributes of a still (DESIGN: a camera JPEG becomes an object in a few milliseconds).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pydicom import config as pydicom_config
from pydicom.datadict import dictionary_VR, tag_for_keyword
from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.multival import MultiValue
from pydicom.sequence import Sequence as DicomSequence
from pydicom.tag import BaseTag
from pydicom.uid import UID

from smartbox_next.config import Config
from smartbox_next.dicom.charset import LATIN1, UTF8
from smartbox_next.dicom.sop import SopClass
from smartbox_next.dicom.uid import IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME, generate_uid
from smartbox_next.dicom.values import check_value
from smartbox_next.dicom.vr import CHECKED_VRS, REPERTOIRE_VRS
from smartbox_next.exam.model import Exam, Series


@functools.cache
def _spec(keyword: str) -> tuple[BaseTag, str]:
    tag = tag_for_keyword(keyword)
    if tag is None:
        raise AttributeError(f"unknown DICOM keyword {keyword!r}")
    return BaseTag(tag), dictionary_VR(tag)


def put(ds: Dataset, keyword: str, value: Any) -> None:
    """``setattr(ds, keyword, value)`` for a dictionary attribute, without pydicom's warning-only validation.

    Same element, same encoding; :func:`finalize` checks the value against its VR afterwards and raises.
    """
    tag, vr = _spec(keyword)
    if " or " in vr:  # ambiguous VR (US or SS …): let pydicom decide as setattr does
        setattr(ds, keyword, value)
        return
    ds[tag] = DataElement(tag, vr, value, validation_mode=pydicom_config.IGNORE)


def _tz_offset(now: datetime) -> str:
    offset = now.astimezone().utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    sign = "+" if minutes >= 0 else "-"
    minutes = abs(minutes)
    return f"{sign}{minutes // 60:02d}{minutes % 60:02d}"


def file_meta(sop_class_uid: str, sop_instance_uid: str, transfer_syntax_uid: str, ae_title: str) -> FileMetaDataset:
    """File Meta Information (PS3.10 §7.1); group length is written by pydicom."""
    meta = FileMetaDataset()
    meta.FileMetaInformationVersion = b"\x00\x01"
    meta.MediaStorageSOPClassUID = UID(sop_class_uid)
    meta.MediaStorageSOPInstanceUID = UID(sop_instance_uid)
    meta.TransferSyntaxUID = UID(transfer_syntax_uid)
    meta.ImplementationClassUID = UID(IMPLEMENTATION_CLASS_UID)
    meta.ImplementationVersionName = IMPLEMENTATION_VERSION_NAME
    meta.SourceApplicationEntityTitle = ae_title
    return meta


def series_for(exam: Exam, sop: SopClass, config: Config, kind: str | None = None) -> Series:
    """The exam's series for this SOP class (one series per SOP class / media kind)."""
    modality = sop.modality or config.objects.modality
    return exam.series_for(kind or sop.cli_name, modality)


def new_dataset(
    config: Config,
    exam: Exam,
    sop: SopClass,
    *,
    transfer_syntax_uid: str,
    series: Series | None = None,
    content_time: datetime | None = None,
    image_type: Sequence[str] = ("ORIGINAL", "PRIMARY"),
) -> Dataset:
    """A dataset with every module shared by our IODs, Type 1 and 2 attributes included.

    Modules: SOP Common (C.12.1), Patient (C.7.1.1), General Study (C.7.2.1), General Series (C.7.3.1),
    General Equipment (C.7.5.1), General Acquisition (C.7.10.1), General Image (C.7.6.1).
    ``content_time`` is when the pixels were captured (Content Date/Time, Acquisition DateTime).
    """
    now = datetime.now()
    captured = content_time or now
    series = series or series_for(exam, sop, config)
    ds = Dataset()
    sop_instance_uid = generate_uid(config.uid.root)
    ds.file_meta = file_meta(sop.uid, sop_instance_uid, transfer_syntax_uid, config.station.ae_title)
    put(ds, "SpecificCharacterSet", LATIN1)

    # SOP Common (PS3.3 C.12.1)
    put(ds, "SOPClassUID", sop.uid)
    put(ds, "SOPInstanceUID", sop_instance_uid)
    put(ds, "InstanceCreationDate", f"{now:%Y%m%d}")
    put(ds, "InstanceCreationTime", f"{now:%H%M%S}")
    put(ds, "TimezoneOffsetFromUTC", _tz_offset(now))

    _patient(ds, exam)
    _study(ds, exam)

    # General Series (PS3.3 C.7.3.1)
    put(ds, "Modality", series.modality)
    put(ds, "SeriesInstanceUID", series.series_instance_uid)
    put(ds, "SeriesNumber", series.series_number)
    region = exam.anatomic_region
    if region is None or region.paired:
        # Type 2C (C.7.3.1): required for a paired body part; the capture does not know the side, so empty. Absent
        # when the object names a region that is not paired (dciodvfy: present when the condition is unsatisfied).
        put(ds, "Laterality", "")
    if series.series_description:
        put(ds, "SeriesDescription", series.series_description)

    _equipment(ds, config)

    # General Acquisition (C.7.10.1) and General Image (C.7.6.1)
    put(ds, "AcquisitionDateTime", f"{captured:%Y%m%d%H%M%S}")
    put(ds, "InstanceNumber", exam.next_instance_number(series))
    put(ds, "PatientOrientation", "")
    put(ds, "ContentDate", f"{captured:%Y%m%d}")
    put(ds, "ContentTime", f"{captured:%H%M%S}")
    put(ds, "ImageType", list(image_type))
    if region is not None:
        # Anatomic Region Sequence (0008,2218): VL Image 1C (C.8.12.1), General Image 3 (C.7.6.1, General Anatomy
        # Optional Macro) — written whenever the exam's region is known, never guessed
        put(ds, "AnatomicRegionSequence", DicomSequence([region.to_dataset()]))
    return ds


def _patient(ds: Dataset, exam: Exam) -> None:
    """Patient module (PS3.3 C.7.1.1): name, ID, birth date, sex are Type 2."""
    p = exam.patient
    put(ds, "PatientName", p.patient_name)
    put(ds, "PatientID", p.patient_id)
    if p.issuer_of_patient_id:
        put(ds, "IssuerOfPatientID", p.issuer_of_patient_id)
    put(ds, "PatientBirthDate", p.birth_date)
    put(ds, "PatientSex", p.sex)
    if p.other_patient_ids:
        items = []
        for other in p.other_patient_ids:
            item = Dataset()
            item.PatientID = other
            item.TypeOfPatientID = "TEXT"
            items.append(item)
        ds.OtherPatientIDsSequence = DicomSequence(items)


def _study(ds: Dataset, exam: Exam) -> None:
    """General Study module (PS3.3 C.7.2.1) and the worklist attributes the Study carries (DICOM_RULES §7)."""
    s = exam.study
    put(ds, "StudyInstanceUID", s.study_instance_uid)
    put(ds, "StudyDate", s.study_date)
    put(ds, "StudyTime", s.study_time)
    put(ds, "ReferringPhysicianName", s.referring_physician_name)
    put(ds, "StudyID", s.study_id)
    put(ds, "AccessionNumber", s.accession_number)
    if s.study_description:
        put(ds, "StudyDescription", s.study_description)
    for keyword, value in s.attributes.items():
        setattr(ds, keyword, value)  # worklist keywords: pydicom resolves and validates them as before
    for keyword, items in s.sequences.items():
        setattr(ds, keyword, DicomSequence([_copy(i) for i in items]))


def _copy(item: Dataset) -> Dataset:
    out = Dataset()
    for elem in item:
        if elem.VR == "SQ":
            out.add_new(elem.tag, "SQ", DicomSequence([_copy(i) for i in elem.value]))
        else:
            out.add_new(elem.tag, elem.VR, elem.value)
    return out


def _equipment(ds: Dataset, config: Config) -> None:
    """General Equipment module (PS3.3 C.7.5.1); Manufacturer is Type 2."""
    d, st = config.device, config.station
    put(ds, "Manufacturer", d.manufacturer)
    if st.institution_name:
        put(ds, "InstitutionName", st.institution_name)
    if st.institution_department:
        put(ds, "InstitutionalDepartmentName", st.institution_department)
    put(ds, "StationName", st.name)  # station.station_name, else the AE title
    put(ds, "ManufacturerModelName", d.model_name)
    if d.device_serial_number:
        put(ds, "DeviceSerialNumber", d.device_serial_number)
    put(ds, "SoftwareVersions", d.software_versions)


def add_acquisition_context(ds: Dataset) -> None:
    """Acquisition Context module (PS3.3 C.7.6.14): the sequence is Type 2, may be empty."""
    put(ds, "AcquisitionContextSequence", DicomSequence([]))


def add_lossy(ds: Dataset, method: str, ratio: float | None = None) -> None:
    """Lossy Image Compression "01" with method and ratio (PS3.3 C.7.6.1.1.5); never reset once set."""
    put(ds, "LossyImageCompression", "01")
    put(ds, "LossyImageCompressionMethod", method)
    if ratio is not None and ratio > 0:
        put(ds, "LossyImageCompressionRatio", f"{ratio:.4g}"[:16])


def _walk(ds: Dataset) -> bool:
    """Check every text value of ``ds`` and its items against its VR; True when all text fits Latin-1."""
    latin1 = True
    for elem in ds:
        vr = elem.VR
        if vr == "SQ":
            for item in elem.value:
                latin1 = _walk(item) and latin1
            continue
        value = elem.value
        if vr not in CHECKED_VRS or value is None or value == "":
            continue
        if elem.keyword:
            check_value(elem.keyword, value, vr)
        if latin1 and vr in REPERTOIRE_VRS:
            for text in (value if isinstance(value, MultiValue) else (value,)):
                text = str(text)
                if not text.isascii():
                    try:
                        text.encode("latin-1")
                    except UnicodeEncodeError:
                        latin1 = False
                        break
    return latin1


def choose_character_set(ds: Dataset, configured: str) -> str:
    """ISO_IR 100 when every text value fits Latin-1 and that is configured, else ISO_IR 192 (UTF-8).

    Also checks every value against its VR (raises AttributeValueError): one walk for both.
    """
    latin1 = _walk(ds)
    return UTF8 if configured == UTF8 or not latin1 else LATIN1


def finalize(ds: Dataset, config: Config) -> Dataset:
    """Check every value against its VR (raises AttributeValueError) and set the Specific Character Set.

    One walk over the dataset and its sequence items (PS3.5 Table 6.2-1; PS3.3 C.12.1.1.2).
    """
    put(ds, "SpecificCharacterSet", choose_character_set(ds, config.objects.character_set))
    return ds
