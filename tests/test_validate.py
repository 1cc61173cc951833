"""The validator catches broken objects and passes a good one; `smartbox validate` with dciodvfy."""

from __future__ import annotations

import io
import json
import struct
from pathlib import Path

import peers
import pytest
from PIL import Image
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate
from pydicom.sequence import Sequence
from pydicom.uid import generate_uid

from smartbox_next.cli import main
from smartbox_next.iod.validate import Finding, Severity, check_dataset, validate_file

VL_ENDO = "1.2.840.10008.5.1.4.1.1.77.1.1"
VIDEO_ENDO = "1.2.840.10008.5.1.4.1.1.77.1.1.1"
SC = "1.2.840.10008.5.1.4.1.1.7"
JPEG_BASELINE = "1.2.840.10008.1.2.4.50"
H264 = "1.2.840.10008.1.2.4.102"
H264_FRAG = "1.2.840.10008.1.2.4.102.1"


def _jpeg(mode: str = "RGB", **kwargs: object) -> bytes:
    buf = io.BytesIO()
    Image.new(mode, (64, 48), (120, 60, 30) if mode == "RGB" else 100).save(buf, "JPEG", quality=90, **kwargs)
    return buf.getvalue()


def _code(value: str, scheme: str, meaning: str) -> Dataset:
    item = Dataset()
    item.CodeValue, item.CodingSchemeDesignator, item.CodeMeaning = value, scheme, meaning
    return item


def vl_endoscopic(jpeg: bytes | None = None) -> Dataset:
    """A VL Endoscopic Image with a baseline JPEG, meant to pass every check (PS3.3 A.32.1)."""
    ds = Dataset()
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.ImageType = ["ORIGINAL", "PRIMARY"]
    ds.SOPClassUID, ds.SOPInstanceUID = VL_ENDO, generate_uid()
    ds.StudyDate, ds.StudyTime, ds.ContentDate, ds.ContentTime = "20240101", "080000", "20240101", "080100"
    ds.AccessionNumber, ds.Modality, ds.Manufacturer = "ACC1", "ES", "Test"
    ds.ReferringPhysicianName = ""
    ds.PatientName, ds.PatientID, ds.PatientBirthDate, ds.PatientSex = "Müller^Jürgen", "P1", "19700101", "M"
    ds.StudyInstanceUID, ds.SeriesInstanceUID = generate_uid(), generate_uid()
    ds.StudyID, ds.SeriesNumber, ds.InstanceNumber = "1", 1, 1
    ds.PatientOrientation = ""
    ds.Laterality = None
    ds.AcquisitionContextSequence = Sequence()
    ds.SamplesPerPixel, ds.PhotometricInterpretation, ds.PlanarConfiguration = 3, "YBR_FULL_422", 0
    ds.Rows, ds.Columns = 48, 64
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 8, 7, 0
    ds.LossyImageCompression, ds.LossyImageCompressionMethod = "01", "ISO_10918_1"
    ds.PixelData = encapsulate([jpeg or _jpeg()])
    ds["PixelData"].VR = "OB"
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID, ds.file_meta.MediaStorageSOPInstanceUID = VL_ENDO, ds.SOPInstanceUID
    ds.file_meta.TransferSyntaxUID = JPEG_BASELINE
    ds.file_meta.ImplementationClassUID = "1.2.826.0.1.3680043.10.1"
    return ds


def video_endoscopic(fragments: list[bytes], ts: str = H264) -> Dataset:
    """A Video Endoscopic Image around fake stream bytes (the validator does not decode video)."""
    ds = vl_endoscopic()
    ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID = VIDEO_ENDO
    ds.file_meta.TransferSyntaxUID = ts
    ds.PhotometricInterpretation = "YBR_PARTIAL_420"
    ds.Rows, ds.Columns = 1080, 1920
    ds.NumberOfFrames, ds.FrameTime, ds.FrameIncrementPointer = 50, 40.0, 0x00181063
    ds.LossyImageCompressionMethod = "ISO_14496_10"
    ds.AnatomicRegionSequence = [_code("14742008", "SCT", "Large intestine")]
    items = b"\xfe\xff\x00\xe0\x00\x00\x00\x00"
    for frag in fragments:
        items += b"\xfe\xff\x00\xe0" + struct.pack("<I", len(frag)) + frag
    ds.PixelData = items + b"\xfe\xff\xdd\xe0\x00\x00\x00\x00"
    ds["PixelData"].VR = "OB"
    return ds


def _errors(ds: Dataset) -> list[Finding]:
    return [f for f in check_dataset(ds) if f.severity is Severity.ERROR]


def _has(findings: list[Finding], text: str) -> bool:
    return any(text in f.rule for f in findings)


def test_good_object_passes() -> None:
    assert _errors(vl_endoscopic()) == []


def test_good_video_passes() -> None:
    assert _errors(video_endoscopic([b"\x00\x00\x00\x01" * 8])) == []


def test_odd_fragment_is_caught() -> None:
    findings = _errors(video_endoscopic([b"\x00\x00\x01"], ts=H264_FRAG))
    assert _has(findings, "fragment 1 has length 3")
    assert all(f.section.startswith("PS3.5") for f in findings)


def test_two_fragments_under_non_fragmentable_h264() -> None:
    two = [b"\x00\x00\x00\x01" * 4, b"\x00\x00\x00\x01" * 4]
    assert _has(_errors(video_endoscopic(two, ts=H264)), "non-fragmentable")
    assert _errors(video_endoscopic(two, ts=H264_FRAG)) == []


def test_video_rules() -> None:
    ds = video_endoscopic([b"\x00\x00\x00\x01" * 8])
    ds.Modality = "XC"
    ds.PhotometricInterpretation = "YBR_FULL_422"
    ds.PixelAspectRatio = [1, 1]
    ds.WindowCenter, ds.WindowWidth = 128, 256
    del ds.AnatomicRegionSequence
    ds.FrameIncrementPointer = 0x00181065  # Frame Time Vector, absent
    errors = _errors(ds)
    for text in ("Modality must be ES", "not allowed for video", "Pixel Aspect Ratio", "VOI LUT",
                 "Anatomic Region Sequence", "Frame Increment Pointer points"):
        assert _has(errors, text), text


def test_non_empty_bot_for_video() -> None:
    ds = video_endoscopic([b"\x00\x00\x00\x01" * 8])
    ds.PixelData = b"\xfe\xff\x00\xe0\x04\x00\x00\x00\x00\x00\x00\x00" + ds.PixelData[8:]
    assert _has(_errors(ds), "Basic Offset Table must be empty")


def test_rgb_jpeg_in_vl_endoscopic() -> None:
    ds = vl_endoscopic(_jpeg(keep_rgb=True))
    ds.PhotometricInterpretation = "RGB"
    errors = _errors(ds)
    assert _has(errors, "VL IODs require YBR_FULL_422")
    assert all(f.section for f in errors)


def test_pi_must_describe_the_jpeg_stream() -> None:
    ds = vl_endoscopic(_jpeg(keep_rgb=True))  # RGB stream labelled YBR_FULL_422
    assert _has(_errors(ds), "does not describe the RGB JPEG stream")


def test_progressive_under_baseline_ts() -> None:
    assert _has(_errors(vl_endoscopic(_jpeg(progressive=True))), "carries a progressive stream")


def test_missing_lossy_image_compression() -> None:
    ds = vl_endoscopic()
    del ds.LossyImageCompression
    del ds.LossyImageCompressionMethod
    errors = _errors(ds)
    assert _has(errors, "Lossy Image Compression (0028,2110) is not")
    assert _has(errors, "Method (0028,2114) is absent")
    assert _has(errors, "Type 2 in the VL Image module")


def test_meta_uid_charset_and_bits() -> None:
    ds = vl_endoscopic()
    ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    del ds.file_meta.ImplementationClassUID
    with pytest.warns(UserWarning, match="Invalid value for VR UI"):
        ds.SeriesInstanceUID = "1.2.03.4"
    ds.SpecificCharacterSet = "LATIN1"
    ds.HighBit = 6
    ds.ImageType = ["ORIGINAL", "OTHER"]
    errors = _errors(ds)
    for text in ("Media Storage SOP Instance UID differs", "Implementation Class UID is missing",
                 "'1.2.03.4' is not a valid UID", "'LATIN1' is not a defined term", "inconsistent Bits",
                 "Image Type value 2"):
        assert _has(errors, text), text


def test_jpeg_fragment_spanning_frames() -> None:
    ds = vl_endoscopic()
    frame = _jpeg()
    ds.NumberOfFrames = 2
    ds.PixelData = encapsulate([frame + frame])  # two frames in one fragment
    assert _has(_errors(ds), "must not span two frames")


def test_sc_needs_conversion_type() -> None:
    ds = vl_endoscopic()
    ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID = SC
    assert _has(_errors(ds), "Conversion Type")
    ds.ConversionType = "DV"
    assert not _has(_errors(ds), "Conversion Type")


def test_validate_file_walks_items(tmp_path: Path) -> None:
    path = tmp_path / "odd.dcm"
    ds = video_endoscopic([b"\x00\x00\x01"], ts=H264_FRAG)
    ds.save_as(path, enforce_file_format=True)
    report = validate_file(path, use_dciodvfy=False)
    assert not report.ok
    assert any("fragment 1 has length 3" in e for e in report.errors)
    good = tmp_path / "good.dcm"
    vl_endoscopic().save_as(good, enforce_file_format=True)
    assert validate_file(good, use_dciodvfy=False).ok


def test_validate_file_without_preamble_and_meta(tmp_path: Path) -> None:
    path = tmp_path / "bare.dcm"
    ds = vl_endoscopic()
    ds.PixelData = b"\x00" * (48 * 64 * 3)
    ds["PixelData"].VR = "OB"
    ds.PhotometricInterpretation = "RGB"
    del ds.file_meta
    ds.save_as(path, implicit_vr=True, little_endian=True, enforce_file_format=False)
    report = validate_file(path, use_dciodvfy=False)
    assert any("preamble" in e for e in report.errors)
    assert any("File Meta Information is missing" in e for e in report.errors)


def test_cli_good_and_bad_with_dciodvfy(dciodvfy_tool: str, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "good.dcm"
    vl_endoscopic().save_as(good, enforce_file_format=True)
    assert peers.dciodvfy(good).errors == []
    assert main(["validate", str(good)]) == 0
    assert ": OK" in capsys.readouterr().out
    bad = tmp_path / "bad.dcm"
    ds = vl_endoscopic()
    del ds.Rows  # dciodvfy: Type 1 missing
    ds.PhotometricInterpretation = "RGB"  # ours: RGB JPEG in a VL IOD
    ds.save_as(bad, enforce_file_format=True)
    assert main(["validate", "--json", str(good), str(bad)]) == 1
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [entry["ok"] for entry in lines] == [True, False]
    assert lines[1]["dciodvfy"] is True and lines[1]["iod"]
    assert any(e.startswith("dciodvfy: Error") and "Rows" in e for e in lines[1]["errors"])
    assert any("VL IODs require YBR_FULL_422" in e for e in lines[1]["errors"])


def test_cli_not_dicom(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "x.dcm"
    path.write_text("not dicom")
    assert main(["--lang", "en", "validate", "--no-dciodvfy", str(path)]) == 1
    out, err = capsys.readouterr()
    assert out == f"{path}: not checked\n"
    assert err == (f"Error: {path} is not a DICOM file: no 'DICM' after the 128-byte preamble (PS3.10 §7.1).\n"
                   "  → Choose a DICOM file (e.g. one written by 'smartbox create'); images and videos are turned "
                   "into DICOM objects with 'smartbox create'.\n")
    assert "force" not in err


def test_cli_missing_and_empty_files_in_german(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "leer.dcm"
    empty.write_bytes(b"")
    assert main(["--lang", "de", "validate", "--no-dciodvfy", str(tmp_path / "fehlt.dcm"), str(empty)]) == 1
    out, err = capsys.readouterr()
    assert out == f"{tmp_path / 'fehlt.dcm'}: nicht geprüft\n{empty}: nicht geprüft\n"
    assert err == (f"Fehler: Die Datei {tmp_path / 'fehlt.dcm'} existiert nicht oder kann nicht gelesen werden.\n"
                   "  → Bitte Pfad und Dateirechte prüfen.\n"
                   f"Fehler: {empty} ist keine DICOM-Datei: die Datei ist leer.\n"
                   "  → Bitte eine DICOM-Datei wählen (z. B. eine von 'smartbox create' geschriebene); Bilder und "
                   "Videos werden mit 'smartbox create' zu DICOM-Objekten.\n")


def test_validate_file_does_not_load_the_video(tmp_path: Path) -> None:
    import tracemalloc

    ds = video_endoscopic([b"\x00\x00"])
    del ds.PixelData
    path = tmp_path / "big.dcm"
    ds.save_as(path, enforce_file_format=True)
    size = 32 << 20
    with path.open("ab") as fh:
        fh.write(b"\xe0\x7f\x10\x00OB\x00\x00\xff\xff\xff\xff")
        fh.write(b"\xfe\xff\x00\xe0\x00\x00\x00\x00")
        fh.write(b"\xfe\xff\x00\xe0" + struct.pack("<I", size))
        chunk = b"\x00\x00\x00\x01" * (1 << 18)
        for _ in range(size // len(chunk)):
            fh.write(chunk)
        fh.write(b"\xfe\xff\xdd\xe0\x00\x00\x00\x00")
    tracemalloc.start()
    try:
        report = validate_file(path, use_dciodvfy=False)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert report.ok, report.errors
    assert peak < size // 8
