"""Our own rule checks on a DICOM object, plus dicom3tools ``dciodvfy`` when installed.

``check_dataset`` applies the rules of docs DICOM_RULES.md that dciodvfy does not check (encapsulation,
photometric interpretation per transfer syntax and IOD, lossy attributes, video constraints);
``validate_file`` adds file-level checks (PS3.10 §7.1 preamble, encoding vs. transfer syntax) and
walks the encapsulated Pixel Data item headers by seeking: it never loads a video into memory.
"""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import pydicom
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError
from pydicom.multival import MultiValue

from smartbox_next.capture.jpeg import parse_jpeg
from smartbox_next.dicom import sop
from smartbox_next.dicom.charset import DEFINED_TERMS
from smartbox_next.dicom.transfer_syntax import (
    H264,
    HEVC,
    JPEG_ALL,
    JPEG_LOSSY,
    LOSSY_TS,
    METHOD_FOR,
    MPEG2,
    NATIVE,
    NON_FRAGMENTABLE,
    VIDEO_TS,
)
from smartbox_next.dicom.uid import PYDICOM_ROOT
from smartbox_next.errors import MediaError
from smartbox_next.iod.validate_pixels import PixelLayout, layout_from_bytes, read_pixel_layout

__all__ = ["Finding", "PixelLayout", "Report", "Severity", "check_dataset", "read_pixel_layout",
           "validate_file"]

FIRST_FRAME_LIMIT = 64 << 20  # read frame 1 of a JPEG object for header checks only up to this size
VL_PI = frozenset({"MONOCHROME2", "RGB", "YBR_FULL_422", "YBR_PARTIAL_420", "YBR_RCT", "YBR_ICT"})
FORBIDDEN_IN_VIDEO = {  # PS3.3 A.32.5.4 / A.32.6.4 / A.32.7.4
    0x00283000: "Modality LUT", 0x00281052: "Modality LUT", 0x00281053: "Modality LUT",
    0x00281054: "Modality LUT", 0x00281050: "VOI LUT", 0x00281051: "VOI LUT", 0x00283010: "VOI LUT",
    0x00700001: "Graphic Annotation",
}
UID_RE = re.compile(r"(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*")


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Finding:
    """One broken rule: severity, what is wrong, and the standard section that says so."""

    severity: Severity
    rule: str
    section: str

    def __str__(self) -> str:
        return f"{self.severity.value.capitalize()} - {self.rule} [{self.section}]"


@dataclass(frozen=True)
class Report:
    """Verdict on one file: our findings plus dciodvfy's error and warning lines."""

    path: Path
    findings: tuple[Finding, ...]
    dciodvfy_ran: bool = False
    iod: str | None = None
    dciodvfy_errors: tuple[str, ...] = ()
    dciodvfy_warnings: tuple[str, ...] = ()
    standard_ran: bool = False  # dicom-validator (iod.validate_standard)
    standard_errors: tuple[str, ...] = ()
    standard_notes: tuple[str, ...] = ()

    @property
    def errors(self) -> list[str]:
        own = [str(f) for f in self.findings if f.severity is Severity.ERROR]
        return (own + [f"dciodvfy: {e}" for e in self.dciodvfy_errors]
                + [f"dicom-validator: {e}" for e in self.standard_errors])

    @property
    def warnings(self) -> list[str]:
        own = [str(f) for f in self.findings if f.severity is Severity.WARNING]
        return (own + [f"dciodvfy: {w}" for w in self.dciodvfy_warnings]
                + [f"dicom-validator: {n}" for n in self.standard_notes])

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict[str, Any]:
        return {"path": str(self.path), "ok": self.ok, "iod": self.iod, "dciodvfy": self.dciodvfy_ran,
                "dicom_validator": self.standard_ran, "errors": self.errors, "warnings": self.warnings}


# -------------------------------------------------------------------------------------- the rules


class _Rules:
    def __init__(self) -> None:
        self.findings: list[Finding] = []

    def error(self, rule: str, section: str) -> None:
        self.findings.append(Finding(Severity.ERROR, rule, section))

    def warn(self, rule: str, section: str) -> None:
        self.findings.append(Finding(Severity.WARNING, rule, section))


def _str(ds: Dataset, keyword: str) -> str:
    value = ds.get(keyword)
    return "" if value is None else str(value).strip()


def _int(ds: Dataset, keyword: str) -> int | None:
    value = ds.get(keyword)
    try:
        return None if value in (None, "") else int(value)
    except (TypeError, ValueError):
        return None


def _values(ds: Dataset, keyword: str) -> list[Any]:
    value = ds.get(keyword)
    if value is None or value == "":
        return []
    return list(value) if isinstance(value, (MultiValue, list, tuple)) else [value]


def _uids(ds: Dataset) -> Iterator[tuple[str, str]]:
    for elem in ds.iterall():
        if elem.VR == "UI" and elem.value not in (None, ""):
            values = elem.value if elem.VM > 1 else [elem.value]
            for v in values:
                yield elem.keyword or str(elem.tag), str(v)


def _check_meta(r: _Rules, ds: Dataset) -> None:
    sec = "PS3.10 §7.1"
    meta = getattr(ds, "file_meta", None)
    if meta is None or len(meta) == 0:
        r.error("File Meta Information is missing", sec)
        return
    if meta.get("FileMetaInformationVersion", b"\x00\x01") != b"\x00\x01":  # pydicom adds it on write
        r.error("(0002,0001) File Meta Information Version must be 00 01", sec)
    if _str(meta, "MediaStorageSOPClassUID") != _str(ds, "SOPClassUID"):
        r.error("(0002,0002) Media Storage SOP Class UID differs from (0008,0016) SOP Class UID", sec)
    if _str(meta, "MediaStorageSOPInstanceUID") != _str(ds, "SOPInstanceUID"):
        r.error("(0002,0003) Media Storage SOP Instance UID differs from (0008,0018) SOP Instance UID", sec)
    if not _str(meta, "TransferSyntaxUID"):
        r.error("(0002,0010) Transfer Syntax UID is missing", sec)
    if not _str(meta, "ImplementationClassUID"):
        r.error("(0002,0012) Implementation Class UID is missing", "PS3.10 §7.1; PS3.7 D.3.3.2")
    if len(_str(meta, "ImplementationVersionName")) > 16:
        r.error("(0002,0013) Implementation Version Name is longer than 16 characters", "PS3.7 D.3.3.2")
    version = _str(meta, "ImplementationVersionName").upper()
    if _str(meta, "ImplementationClassUID").startswith(PYDICOM_ROOT) and not version.startswith("PYDICOM"):
        r.error(f"(0002,0012) Implementation Class UID lies under pydicom's registered root {PYDICOM_ROOT.rstrip('.')}"
                f" but the implementation is '{version or '(unnamed)'}': an implementation names itself with its "
                "own UID", "PS3.7 D.3.3.2; PS3.5 §9")


def _check_uids_charset(r: _Rules, ds: Dataset) -> None:
    meta = getattr(ds, "file_meta", None)
    for source in (ds, meta) if meta is not None else (ds,):
        for name, uid in _uids(source):
            if len(uid) > 64 or not UID_RE.fullmatch(uid):
                r.error(f"{name} '{uid}' is not a valid UID (digits and dots, no leading zeros, ≤ 64)",
                        "PS3.5 §9.1")
    charset = ds.get("SpecificCharacterSet")
    if charset is None:
        r.warn("Specific Character Set (0008,0005) is absent (the project always writes it)",
               "PS3.3 C.12.1.1.2")
        return
    terms = [str(t or "") for t in _values(ds, "SpecificCharacterSet")] or [""]
    for i, term in enumerate(terms):
        if term.strip() == "" and i == 0 and len(terms) > 1:
            continue
        if term.strip() not in DEFINED_TERMS:
            r.error(f"Specific Character Set term '{term}' is not a defined term", "PS3.3 C.12.1.1.2")
    if len(terms) > 1 and any(t in {"ISO_IR 192", "GB18030", "GBK"} for t in terms):
        r.error("ISO_IR 192, GB18030 and GBK must be the only value of Specific Character Set",
                "PS3.3 C.12.1.1.2")


def _check_encapsulation(r: _Rules, ds: Dataset, ts: str, px: PixelLayout) -> None:
    sec = "PS3.5 §A.4"
    if ts in NATIVE:
        if px.undefined_length:
            r.error(f"Pixel Data is encapsulated but the transfer syntax {ts} is native", "PS3.5 §8.2")
        return
    if not px.undefined_length:
        r.error("encapsulated Pixel Data must have undefined length", sec)
        return
    for problem in px.problems:
        r.error(f"encapsulated Pixel Data: {problem}", sec)
    if px.bot is None:
        r.error("encapsulated Pixel Data has no Basic Offset Table item", sec)
        return
    if px.bot_length % 4:
        r.error("Basic Offset Table length is not a multiple of 4", sec)
    if not px.delimited and not px.problems:
        r.error("encapsulated Pixel Data does not end with a Sequence Delimitation Item", sec)
    if not px.fragments:
        r.error("encapsulated Pixel Data has no fragment", sec)
        return
    for i, frag in enumerate(px.fragments, start=1):
        if frag.length % 2 or frag.length < 2:
            r.error(f"fragment {i} has length {frag.length}; fragments must be even and ≥ 2 bytes", sec)
    if ts in NON_FRAGMENTABLE and len(px.fragments) != 1:
        r.error(f"{len(px.fragments)} fragments under non-fragmentable transfer syntax {ts}; "
                "the whole stream must be one fragment", "PS3.5 §8.2.5-8.2.9")
    if ts in VIDEO_TS and px.bot_length:
        r.error("Basic Offset Table must be empty for video", "PS3.5 §8.2.5, §A.4.5")
    frames = _int(ds, "NumberOfFrames") or 1
    if ts in JPEG_ALL:
        _check_jpeg_frames(r, ts, px, frames)


def _check_jpeg_frames(r: _Rules, ts: str, px: PixelLayout, frames: int) -> None:
    sec = "PS3.5 §A.4.1, §8.2.1"
    starts = [f for f in px.fragments if f.head == b"\xff\xd8"]
    if px.bot and len(px.bot) != frames:
        r.error(f"Basic Offset Table has {len(px.bot)} entries for {frames} frames", sec)
    elif px.bot:
        offsets = {f.offset for f in px.fragments}
        if any(o not in offsets for o in px.bot):
            r.error("a Basic Offset Table entry does not point to a fragment start", sec)
    if px.fragments[0].head != b"\xff\xd8":
        r.error("the first fragment does not start a JPEG stream (SOI FFD8)", sec)
    if len(starts) != frames:
        r.error(f"{len(starts)} JPEG streams (SOI) in the fragments for {frames} frames: a fragment must not "
                "span two frames", sec)
    if not (px.fragments[-1].tail[-2:] == b"\xff\xd9" or px.fragments[-1].tail[-3:-1] == b"\xff\xd9"):
        r.error("the last fragment does not end a JPEG stream (EOI FFD9)", sec)


def _check_jpeg_stream(r: _Rules, ds: Dataset, ts: str, px: PixelLayout) -> None:
    """Compare the first frame's SOF with the transfer syntax and the Image Pixel attributes."""
    if ts not in JPEG_LOSSY or px.first_frame is None:
        return
    try:
        info = parse_jpeg(px.first_frame, name="Pixel Data frame 1")
    except MediaError as exc:
        r.error(f"frame 1 is not a readable JPEG stream ({exc.key})", "PS3.5 §A.4.1")
        return
    if JPEG_LOSSY[ts] == "baseline" and info.sof_marker != 0xC0:
        r.error(f"JPEG Baseline transfer syntax carries a {info.process.value} stream (SOF{info.sof_marker - 0xC0})",
                "PS3.5 §8.2.1")
    if JPEG_LOSSY[ts] == "extended" and info.sof_marker == 0xC0:
        r.error("a baseline (SOF0) stream is labelled JPEG Extended (.51)", "PS3.5 §8.2.1")
    if (info.rows, info.columns) != (_int(ds, "Rows"), _int(ds, "Columns")):
        r.error(f"Rows/Columns {_int(ds, 'Rows')}x{_int(ds, 'Columns')} differ from the JPEG "
                f"{info.rows}x{info.columns}", "PS3.5 §8.2.1")
    if info.samples_per_pixel != _int(ds, "SamplesPerPixel"):
        r.error("Samples per Pixel differs from the JPEG's component count", "PS3.5 §8.2.1")
    if info.precision != _int(ds, "BitsStored"):
        r.error(f"Bits Stored {_int(ds, 'BitsStored')} differs from the JPEG precision {info.precision}",
                "PS3.5 §8.2.1")
    expected = {"YCbCr": "YBR_FULL_422", "RGB": "RGB"}.get(info.color_space.value)
    pi = _str(ds, "PhotometricInterpretation")
    if expected and pi != expected:
        r.error(f"Photometric Interpretation {pi} does not describe the {info.color_space.value} JPEG stream "
                f"({expected})", "PS3.5 §8.2.1; PS3.3 C.7.6.3.1.2")


def _check_pixel_module(r: _Rules, ds: Dataset, ts: str, sop_uid: str) -> None:
    ba, bs, hb, pr = (_int(ds, k) for k in ("BitsAllocated", "BitsStored", "HighBit", "PixelRepresentation"))
    spp, pi = _int(ds, "SamplesPerPixel"), _str(ds, "PhotometricInterpretation")
    sec = "PS3.3 C.7.6.3"
    if None in (ba, bs, hb, pr, spp) or not pi:
        r.error("Image Pixel module incomplete (BA/BS/HB/PR/SPP/PI)", sec)
        return
    assert ba is not None and bs is not None and hb is not None
    if hb != bs - 1 or bs > ba or pr not in (0, 1):
        r.error(f"inconsistent Bits Allocated/Stored/High Bit/Pixel Representation {ba}/{bs}/{hb}/{pr}", sec)
    if (pi.startswith("MONOCHROME") and spp != 1) or ((pi == "RGB" or pi.startswith("YBR")) and spp != 3):
        r.error(f"Samples per Pixel {spp} does not fit Photometric Interpretation {pi}", "PS3.3 C.7.6.3.1.2")
    if spp and spp > 1 and "PlanarConfiguration" not in ds:
        r.error("Planar Configuration (0028,0006) is required when Samples per Pixel > 1", sec)
    if ts in JPEG_LOSSY:
        if pi not in {"YBR_FULL_422", "RGB", "MONOCHROME1", "MONOCHROME2"}:
            r.error(f"Photometric Interpretation {pi} is not allowed for JPEG lossy", "PS3.5 §8.2.1")
        if (JPEG_LOSSY[ts] == "baseline" and bs != 8) or bs not in (8, 12):
            r.error(f"Bits Stored {bs} is not allowed for {ts}", "PS3.5 §8.2.1")
    if ts in VIDEO_TS:
        mono_ok = ts in MPEG2 and pi == "MONOCHROME2"
        if pi != "YBR_PARTIAL_420" and not mono_ok:
            r.error(f"Photometric Interpretation {pi} is not allowed for video; use YBR_PARTIAL_420",
                    "PS3.5 §8.2.5-8.2.11")
        if (ts in H264 | HEVC or ts.startswith("1.2.840.10008.1.2.4.101")) and "PixelAspectRatio" in ds:
            r.error("Pixel Aspect Ratio (0028,0034) must be absent for H.264/HEVC and MPEG-2 MP@HL",
                    "PS3.5 §8.2.6-8.2.11")
    if ts in NATIVE and pi == "YBR_PARTIAL_420":
        r.error("YBR_PARTIAL_420 is only allowed with encapsulated (compressed) pixel data", "PS3.3 C.7.6.3.1.2")
    if ts in LOSSY_TS:
        methods = [str(m) for m in _values(ds, "LossyImageCompressionMethod")]
        if _str(ds, "LossyImageCompression") != "01":
            r.error("lossy transfer syntax but Lossy Image Compression (0028,2110) is not \"01\"",
                    "PS3.3 C.7.6.1.1.5")
        if not methods:
            r.error("lossy transfer syntax but Lossy Image Compression Method (0028,2114) is absent",
                    "PS3.3 C.7.6.1.1.5")
        elif METHOD_FOR.get(ts) and methods[-1] != METHOD_FOR[ts]:
            r.error(f"Lossy Image Compression Method {methods} does not end with {METHOD_FOR[ts]}, the encoding "
                    "of the pixels as stored (one value per lossy step, oldest first)", "PS3.3 C.7.6.1.1.5.1")
    _check_iod_pixels(r, ds, ts, sop_uid, pi, (ba, bs, hb, pr), spp)


def _check_iod_pixels(r: _Rules, ds: Dataset, ts: str, sop_uid: str, pi: str,
                      bits: tuple[int | None, ...], spp: int | None) -> None:
    cls = sop.BY_UID.get(sop_uid)
    if cls is None:
        return
    if cls.vl:
        if pi not in VL_PI:
            r.error(f"Photometric Interpretation {pi} is not allowed in the VL Image module", "PS3.3 C.8.12.1")
        if ts in JPEG_LOSSY and pi == "RGB":
            r.error("VL IODs require YBR_FULL_422 for JPEG lossy (RGB is for uncompressed/lossless)",
                    "PS3.3 C.8.12.1.1.1")
    if cls.vl or cls is sop.MF_TRUE_COLOR_SC:
        if bits != (8, 8, 7, 0):
            r.error(f"BA/BS/HB/PR must be 8/8/7/0 in {cls.name}, found {'/'.join(map(str, bits))}",
                    cls.section)
        if _int(ds, "PlanarConfiguration") not in (None, 0):
            r.error("Planar Configuration must be 0", cls.section)
    if cls is sop.MF_TRUE_COLOR_SC:
        if spp != 3:
            r.error("Multi-frame True Color SC requires Samples per Pixel 3", "PS3.3 A.8.5.4")
        allowed = ({"YBR_FULL_422"} if ts in JPEG_LOSSY else {"YBR_PARTIAL_420"} if ts in VIDEO_TS
                   else {"RGB"} if ts in NATIVE else set())
        if allowed and pi not in allowed:
            r.error(f"Photometric Interpretation {pi} is not allowed here; expected {sorted(allowed)}",
                    "PS3.3 A.8.5.4")


PLACEHOLDER = re.compile(r"\?|@|\{|\}|\bNone\b|\bnan\b|<[A-Za-z_]+>")


def _check_history(r: _Rules, ds: Dataset) -> None:
    """The derivation history must agree with itself (PS3.3 C.7.6.1.1.2, C.7.6.1.1.5; DICOM_RULES §2.2)."""
    sec = "PS3.3 C.7.6.1.1.5"
    methods = [str(m) for m in _values(ds, "LossyImageCompressionMethod")]
    ratios = _values(ds, "LossyImageCompressionRatio")
    lossy = _str(ds, "LossyImageCompression")
    if methods and ratios and len(methods) != len(ratios):
        r.error(f"Lossy Image Compression Method has {len(methods)} values but Lossy Image Compression Ratio "
                f"{len(ratios)}: one method and one ratio per lossy step, in the same order",
                "PS3.3 C.7.6.1.1.5.1, C.7.6.1.1.5.2")
    if (methods or ratios) and lossy != "01":
        r.error(f"Lossy Image Compression Method/Ratio are present but Lossy Image Compression is "
                f"'{lossy or '(absent)'}', not \"01\"", sec)
    image_type = [str(v) for v in _values(ds, "ImageType")]
    first = image_type[0] if image_type else ""
    if len(methods) > 1 and first == "ORIGINAL":
        r.error(f"{len(methods)} lossy steps ({', '.join(methods)}) but Image Type is ORIGINAL: a lossy copy of "
                "an image is DERIVED", "PS3.3 C.7.6.1.1.2; DICOM_RULES §2.2")
    description = _str(ds, "DerivationDescription")
    if first == "DERIVED" and not description and not ds.get("DerivationCodeSequence"):
        r.error("Image Type is DERIVED but neither Derivation Description (0008,2111) nor Derivation Code "
                "Sequence (0008,9215) says how", "PS3.3 C.7.6.1.1.2, C.7.6.1")
    if description and first != "DERIVED":
        r.warn(f"Derivation Description is present but Image Type value 1 is '{first or '(absent)'}', not "
                "DERIVED", "PS3.3 C.7.6.1.1.2")
    if PLACEHOLDER.search(description):
        r.error(f"Derivation Description carries a placeholder or internal notation: '{description[:80]}'",
                "PS3.3 C.7.6.1 (Derivation Description: a text description of how the image was derived)")


def _check_region(r: _Rules, ds: Dataset, cls: sop.SopClass) -> None:
    """Every Anatomic Region item is a complete code; Video Endoscopic uses CID 4040 (C.8.12.1, A.32.5.4.3)."""
    from smartbox_next.dicom.anatomy import region_from_dataset

    for item in ds.get("AnatomicRegionSequence") or []:
        region = region_from_dataset(item)
        if not (region.value and region.scheme and region.meaning):
            r.error("an Anatomic Region Sequence item lacks Code Value, Coding Scheme Designator or Code Meaning",
                    "PS3.3 C.8.12.1; Table 8.8-1a")
        elif cls is sop.VIDEO_ENDOSCOPIC and not region.in_cid_4040:
            r.warn(f"Anatomic Region {region} is not a code of CID 4040 Endoscopy Anatomic Region (extensible)",
                   "PS3.3 A.32.5.4.3; PS3.16 CID 4040")


def _check_iod(r: _Rules, ds: Dataset, sop_uid: str) -> None:
    cls = sop.BY_UID.get(sop_uid)
    if cls is None:
        r.warn(f"SOP Class {sop_uid or '(none)'} is not one this product creates; IOD rules skipped",
               "PS3.4 B.5")
        return
    modality = _str(ds, "Modality")
    if cls.modality and modality != cls.modality:
        r.error(f"Modality must be {cls.modality} for {cls.name}, found '{modality}'", cls.section)
    if cls.vl:
        image_type = [str(v) for v in _values(ds, "ImageType")]
        if len(image_type) < 2:
            r.error("Image Type (0008,0008) needs at least two values", "PS3.3 C.8.12.1.1.6")
        else:
            if image_type[0] not in ("ORIGINAL", "DERIVED"):
                r.error(f"Image Type value 1 '{image_type[0]}' must be ORIGINAL or DERIVED", "PS3.3 C.8.12.1.1.6")
            if image_type[1] not in ("PRIMARY", "SECONDARY"):
                r.error(f"Image Type value 2 '{image_type[1]}' must be PRIMARY or SECONDARY", "PS3.3 C.8.12.1.1.6")
            if len(image_type) > 2 and image_type[2] not in ("STEREO L", "STEREO R", ""):
                r.warn(f"Image Type value 3 '{image_type[2]}' should be absent, STEREO L or STEREO R",
                       "PS3.3 C.8.12.1.1.7")
        if "LossyImageCompression" not in ds:
            r.error("Lossy Image Compression (0028,2110) is Type 2 in the VL Image module", "PS3.3 C.8.12.1")
    if cls in (sop.SC, sop.MF_TRUE_COLOR_SC) and not _str(ds, "ConversionType"):
        r.error("Conversion Type (0008,0064) is Type 1 in the SC Equipment module", "PS3.3 C.8.6.1")
    if cls is sop.MF_TRUE_COLOR_SC:
        if _str(ds, "BurnedInAnnotation") not in ("YES", "NO"):
            r.error("Burned In Annotation (0028,0301) must be YES or NO", "PS3.3 C.8.6.3")
        for tag, module in FORBIDDEN_IN_VIDEO.items():
            if module == "VOI LUT" and tag in ds:
                r.error(f"the {module} module must not be present", "PS3.3 A.8.5.4")
    if cls.kind is sop.SopKind.VIDEO or "NumberOfFrames" in ds:
        _check_multiframe(r, ds, cls)
    _check_history(r, ds)
    _check_region(r, ds, cls)
    overlay = any(elem.tag.group & 0xFF00 == 0x6000 for elem in ds)
    if overlay and (cls.kind is sop.SopKind.VIDEO or cls is sop.MF_TRUE_COLOR_SC):
        r.error("the Overlay Plane module must not be present", cls.section)


def _check_multiframe(r: _Rules, ds: Dataset, cls: sop.SopClass) -> None:
    frames = _int(ds, "NumberOfFrames")
    if frames is None or frames < 1:
        r.error("Number of Frames (0028,0008) must be present and > 0", "PS3.3 C.7.6.6")
    pointers = _values(ds, "FrameIncrementPointer")
    if cls.kind is sop.SopKind.VIDEO and not pointers:
        r.error("Frame Increment Pointer (0028,0009) is Type 1 in the Multi-frame module", "PS3.3 C.7.6.6")
    for ptr in pointers:
        elem = ds.get(int(ptr))
        if elem is None or elem.value in (None, "", b""):
            r.error(f"Frame Increment Pointer points to {pydicom.tag.Tag(int(ptr))}, which is absent or empty",
                    "PS3.3 C.7.6.6.1.1")
    if cls.kind is sop.SopKind.VIDEO:
        regions = ds.get("AnatomicRegionSequence")
        if regions is None or len(regions) != 1:
            r.error("Anatomic Region Sequence (0008,2218) must have exactly one item in a video object",
                    "PS3.3 C.8.12.1")
        for tag, module in FORBIDDEN_IN_VIDEO.items():
            if tag in ds:
                r.error(f"the {module} module must not be present", cls.section)


def check_dataset(ds: Dataset, *, pixel: PixelLayout | None = None) -> list[Finding]:
    """Apply the project's rules to ``ds`` (with its file meta); ``pixel`` overrides the in-memory Pixel Data."""
    r = _Rules()
    _check_meta(r, ds)
    _check_uids_charset(r, ds)
    ts = _str(getattr(ds, "file_meta", Dataset()), "TransferSyntaxUID")
    if not ts and getattr(ds, "original_encoding", None) == (True, True):
        ts = "1.2.840.10008.1.2"  # bare dataset read as Implicit VR LE
    sop_uid = _str(ds, "SOPClassUID")
    if pixel is None and "PixelData" in ds:
        value = ds.PixelData if isinstance(ds.PixelData, (bytes, bytearray)) else b""
        pixel = (PixelLayout(undefined_length=False, vr=ds["PixelData"].VR, length=len(value)) if ts in NATIVE
                 else layout_from_bytes(value, first_frame_limit=FIRST_FRAME_LIMIT if ts in JPEG_LOSSY else None))
    if pixel is not None and ts:
        _check_encapsulation(r, ds, ts, pixel)
        _check_jpeg_stream(r, ds, ts, pixel)
    elif "PixelData" not in ds and pixel is None and ("Rows" in ds):
        r.error("Pixel Data (7FE0,0010) is missing", "PS3.3 C.7.6.3")
    if pixel is not None or "PixelData" in ds or "Rows" in ds:
        _check_pixel_module(r, ds, ts, sop_uid)
    _check_iod(r, ds, sop_uid)
    return r.findings


# ------------------------------------------------------------------------------------------- files


def _dciodvfy(path: Path) -> tuple[bool, str | None, list[str], list[str]]:
    exe = shutil.which("dciodvfy")
    if exe is None:
        return False, None, [], []
    proc = subprocess.run([exe, str(path)], capture_output=True, text=True, errors="replace", timeout=600,
                          stdin=subprocess.DEVNULL, check=False)
    errors: list[str] = []
    warnings: list[str] = []
    iod = None
    for line in (proc.stderr + proc.stdout).splitlines():
        text = line.strip()
        match = re.match(r"^(?:.*?\s-\s)?(Error|Warning)\s-\s", text)
        if match:
            (errors if match.group(1) == "Error" else warnings).append(text)
        elif iod is None and re.fullmatch(r"[A-Za-z0-9_]+", text):
            iod = text
    return True, iod, errors, warnings


def validate_file(path: Path, *, use_dciodvfy: bool = True, standard_tables: Path | None = None) -> Report:
    """Validate one Part 10 file; raises MediaError ``validate.unreadable`` when it is not DICOM.

    With ``standard_tables`` (a cache folder) and dicom-validator installed, that second validator runs too
    (:mod:`.validate_standard`).
    """
    path = Path(path)
    try:
        with path.open("rb") as fh:
            size = path.stat().st_size
            preamble = fh.read(132)
            fh.seek(0)
            try:
                ds = pydicom.dcmread(fh, stop_before_pixels=True)
            except InvalidDicomError:  # no preamble/meta: read the bare dataset, report what is missing
                fh.seek(0)
                ds = pydicom.dcmread(fh, stop_before_pixels=True, force=True)
                if "SOPClassUID" not in ds:
                    raise
            ts = _str(getattr(ds, "file_meta", Dataset()), "TransferSyntaxUID")
            pixel = read_pixel_layout(fh, size, first_frame_limit=FIRST_FRAME_LIMIT if ts in JPEG_LOSSY else None)
    except (OSError, InvalidDicomError, EOFError, ValueError, struct.error) as exc:
        raise MediaError("validate.unreadable", path=str(path), detail=str(exc) or type(exc).__name__) from exc
    findings = check_dataset(ds, pixel=pixel)
    if len(preamble) < 132 or preamble[128:132] != b"DICM":
        findings.insert(0, Finding(Severity.ERROR, "no 128-byte preamble followed by 'DICM'", "PS3.10 §7.1"))
    implicit, _little = getattr(ds, "original_encoding", (None, None))
    ts = _str(getattr(ds, "file_meta", Dataset()), "TransferSyntaxUID")
    if ts and implicit is not None and implicit != (ts == "1.2.840.10008.1.2"):
        findings.append(Finding(Severity.ERROR, f"the dataset encoding ({'implicit' if implicit else 'explicit'} "
                                f"VR) does not match Transfer Syntax {ts}", "PS3.10 §7.1; PS3.5 §10"))
    ran, iod, errors, warnings = _dciodvfy(path) if use_dciodvfy else (False, None, [], [])
    standard = None
    if standard_tables is not None:
        from smartbox_next.iod import validate_standard

        if validate_standard.available():
            standard = validate_standard.validate_standard(path, standard_tables)
    return Report(path=path, findings=tuple(findings), dciodvfy_ran=ran, iod=iod,
                  dciodvfy_errors=tuple(errors), dciodvfy_warnings=tuple(warnings),
                  standard_ran=standard is not None, standard_errors=standard.errors if standard else (),
                  standard_notes=standard.notes if standard else ())
