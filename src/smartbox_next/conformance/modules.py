"""Which IOD module an attribute of our objects belongs to (PS3.3 C.7, C.8.6, C.8.12, C.12; PS3.10 §7.1).

A reference table of the standard, not of our behaviour: the attributes themselves come from the built
objects (:mod:`smartbox_next.conformance.objects`); a test fails when an object carries an attribute this
table does not place, so it cannot silently fall behind the builders.
"""

from __future__ import annotations

from smartbox_next.dicom.sop import MF_TRUE_COLOR_SC, SopClass

_MODULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("File Meta Information (PS3.10 §7.1)", (
        "FileMetaInformationGroupLength", "FileMetaInformationVersion", "MediaStorageSOPClassUID",
        "MediaStorageSOPInstanceUID", "TransferSyntaxUID", "ImplementationClassUID", "ImplementationVersionName",
        "SourceApplicationEntityTitle")),
    ("SOP Common (C.12.1)", (
        "SpecificCharacterSet", "InstanceCreationDate", "InstanceCreationTime", "SOPClassUID", "SOPInstanceUID",
        "TimezoneOffsetFromUTC")),
    ("Patient (C.7.1.1)", (
        "PatientName", "PatientID", "IssuerOfPatientID", "PatientBirthDate", "PatientSex", "OtherPatientIDsSequence")),
    ("General Study (C.7.2.1)", (
        "StudyInstanceUID", "StudyDate", "StudyTime", "ReferringPhysicianName", "StudyID", "AccessionNumber",
        "StudyDescription", "ProcedureCodeSequence", "ReferencedStudySequence")),
    ("General Series (C.7.3.1)", (
        "Modality", "SeriesInstanceUID", "SeriesNumber", "Laterality", "ReferencedPerformedProcedureStepSequence",
        "PerformedProcedureStepStartDate", "PerformedProcedureStepStartTime", "PerformedProcedureStepID",
        "PerformedProcedureStepDescription", "PerformedProtocolCodeSequence", "RequestAttributesSequence")),
    ("General Equipment (C.7.5.1)", (
        "Manufacturer", "InstitutionName", "StationName", "InstitutionalDepartmentName", "ManufacturerModelName",
        "DeviceSerialNumber", "SoftwareVersions")),
    ("SC Equipment (C.8.6.1)", (
        "ConversionType", "SecondaryCaptureDeviceManufacturer", "SecondaryCaptureDeviceManufacturerModelName",
        "SecondaryCaptureDeviceSoftwareVersions")),
    ("General Acquisition (C.7.10.1)", ("AcquisitionDateTime",)),
    ("General Image (C.7.6.1)", (
        "InstanceNumber", "PatientOrientation", "ContentDate", "ContentTime", "ImageType", "DerivationDescription",
        "DerivationCodeSequence", "BurnedInAnnotation", "LossyImageCompression", "LossyImageCompressionRatio",
        "LossyImageCompressionMethod")),
    ("SC Image (C.8.6.2)", ("DateOfSecondaryCapture", "TimeOfSecondaryCapture")),
    ("Image Pixel (C.7.6.3)", (
        "SamplesPerPixel", "PhotometricInterpretation", "PlanarConfiguration", "Rows", "Columns", "PixelAspectRatio",
        "BitsAllocated", "BitsStored", "HighBit", "PixelRepresentation", "PixelData")),
    ("Cine (C.7.6.5)", (
        "FrameTime", "StartTrim", "StopTrim", "RecommendedDisplayFrameRate", "CineRate", "EffectiveDuration",
        "ActualFrameDuration", "PreferredPlaybackSequencing", "MultiplexedAudioChannelsDescriptionCodeSequence")),
    ("Multi-frame (C.7.6.6)", ("NumberOfFrames", "FrameIncrementPointer", "StereoPairsPresent")),
    ("SC Multi-frame Vector (C.8.6.4)", ("FrameLabelVector",)),
    ("Acquisition Context (C.7.6.14)", ("AcquisitionContextSequence",)),
    ("VL Image (C.8.12.1)", ("AnatomicRegionSequence",)),
)
MODULE_OF: dict[str, str] = {kw: name for name, kws in _MODULES for kw in kws}
MODULE_ORDER: tuple[str, ...] = tuple(name for name, _ in _MODULES)

# The VL Image module (C.8.12.1) restates these General Image / Image Pixel attributes with stricter types.
_VL_IMAGE = frozenset({"ImageType", "PhotometricInterpretation", "BitsAllocated", "BitsStored", "HighBit",
                       "PixelRepresentation", "SamplesPerPixel", "PlanarConfiguration", "ContentTime",
                       "LossyImageCompression", "LossyImageCompressionRatio", "LossyImageCompressionMethod"})
# SC Multi-frame Image (C.8.6.3) carries these for Multi-frame True Color SC.
_SC_MULTIFRAME = frozenset({"BurnedInAnnotation", "FrameIncrementPointer"})


def module_of(keyword: str, sop: SopClass) -> str | None:
    """The module ``keyword`` belongs to in ``sop``'s IOD, or None when the table does not know it."""
    if sop.vl and keyword in _VL_IMAGE:
        return "VL Image (C.8.12.1)"
    if sop is MF_TRUE_COLOR_SC and keyword in _SC_MULTIFRAME:
        return "SC Multi-frame Image (C.8.6.3)"
    return MODULE_OF.get(keyword)


def module_rank(name: str) -> int:
    extra = ("SC Multi-frame Image (C.8.6.3)",)
    order = (*MODULE_ORDER, *extra)
    return order.index(name) if name in order else len(order)
