"""Still-image objects: every SOP class × input kind validated by dciodvfy, strict read-back, own checks.

PS3.3 A.8.1 (SC), A.32.1 (VL Endoscopic), A.32.4 (VL Photographic); PS3.5 §8.2.1 (JPEG pass-through).
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import peers
import pytest
from PIL import Image
from pydicom.encaps import generate_frames

from smartbox_next.capture.image import frame_from_array, frame_from_raw, load_still
from smartbox_next.config import Config, config_from_mapping
from smartbox_next.dicom import sop as sops
from smartbox_next.errors import MediaError
from smartbox_next.exam.model import Exam, Patient, Study
from smartbox_next.iod.created import write_object
from smartbox_next.iod.still import StillCapture, build_still
from smartbox_next.iod.validate import validate_file

STILL_SOPS = [sops.SC, sops.VL_ENDOSCOPIC, sops.VL_PHOTOGRAPHIC]


def _pixels(rows: int = 96, cols: int = 128) -> np.ndarray:
    y, x = np.mgrid[0:rows, 0:cols]
    return np.stack([(x * 2) % 256, (y * 2) % 256, ((x + y) * 3) % 256], axis=-1).astype(np.uint8)


def _save(tmp: Path, name: str, **kwargs: object) -> Path:
    path = tmp / name
    mode = kwargs.pop("mode", "RGB")
    im = Image.fromarray(_pixels()).convert(str(mode))
    im.save(path, **kwargs)  # type: ignore[arg-type]
    return path


def _exif_rotated(tmp: Path) -> Path:
    im = Image.fromarray(_pixels())
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° CW to display
    path = tmp / "rotated.jpg"
    im.save(path, quality=90, exif=exif.tobytes())
    return path


INPUTS = {
    "jpeg-420": lambda t: _save(t, "a.jpg", quality=90, subsampling=2),
    "jpeg-444": lambda t: _save(t, "b.jpg", quality=90, subsampling=0),
    "jpeg-grey": lambda t: _save(t, "g.jpg", quality=90, mode="L"),
    "jpeg-progressive": lambda t: _save(t, "p.jpg", quality=90, progressive=True),
    "jpeg-cmyk": lambda t: _save(t, "c.jpg", quality=90, mode="CMYK"),
    "jpeg-exif-rotated": _exif_rotated,
    "png": lambda t: _save(t, "i.png"),
    "png-rgba": lambda t: _save(t, "ia.png", mode="RGBA"),
}
PASS_THROUGH = {"jpeg-420", "jpeg-444", "jpeg-grey"}


def _exam(config: Config) -> Exam:
    patient = Patient("Müller^Jürgen", "PID-ß1", "19650412", "M")
    return Exam(patient, Study.new(uid_root=config.uid.root, accession_number="ACC1"))


def _validate(path: Path) -> None:
    result = peers.dciodvfy(path)
    assert result.errors == [], result.raw
    peers.read_back(path)
    report = validate_file(path, use_dciodvfy=False)
    assert report.ok, report.errors


@pytest.mark.parametrize("encoding", ["jpeg", "uncompressed"])
@pytest.mark.parametrize("kind", sorted(INPUTS))
@pytest.mark.parametrize("sop", STILL_SOPS, ids=lambda s: s.cli_name)
def test_every_sop_and_input_is_valid(tmp_path: Path, sop: sops.SopClass, kind: str, encoding: str,
                                      dciodvfy_tool: str) -> None:
    config = config_from_mapping({"objects": {"still_encoding": encoding}})
    source = INPUTS[kind](tmp_path)
    ds = build_still(config, _exam(config), StillCapture(image=load_still(source)), sop)
    created = write_object(ds, tmp_path / "out")
    _validate(created.path)
    back = peers.read_back(created.path)
    assert back.SOPClassUID == sop.uid
    assert back.PatientName == "Müller^Jürgen"
    assert back.SpecificCharacterSet == "ISO_IR 100"
    if sop.modality:
        assert back.Modality == sop.modality
    if kind in PASS_THROUGH:
        assert back.file_meta.TransferSyntaxUID == "1.2.840.10008.1.2.4.50"
        assert back.ImageType[0] == "ORIGINAL"
        fragment = next(generate_frames(back.PixelData, number_of_frames=1))
        data = source.read_bytes()
        assert fragment[: len(data)] == data and len(fragment) - len(data) in (0, 1)
        assert back.LossyImageCompression == "01"
        assert back.LossyImageCompressionMethod == "ISO_10918_1"
    if sop.vl:
        assert back.PhotometricInterpretation != "RGB" or back.file_meta.TransferSyntaxUID == "1.2.840.10008.1.2.1"
        assert "AcquisitionContextSequence" in back
    else:
        assert back.ConversionType == "DV"
    if kind == "jpeg-exif-rotated":
        assert back.ImageType[0] == "DERIVED"
        assert (back.Rows, back.Columns) == (128, 96)  # rotated upright
        assert "EXIF" in back.DerivationDescription


@pytest.mark.parametrize("sop", STILL_SOPS, ids=lambda s: s.cli_name)
def test_raw_frames(tmp_path: Path, sop: sops.SopClass, dciodvfy_tool: str) -> None:
    config = config_from_mapping({})
    arr = _pixels()
    for pixels in (frame_from_array(arr), frame_from_raw(arr.tobytes(), 128, 96, "rgb24"),
                   frame_from_array(arr[:, :, 0].copy())):
        ds = build_still(config, _exam(config), StillCapture(pixels=pixels), sop)
        created = write_object(ds, tmp_path)
        _validate(created.path)
        assert peers.read_back(created.path).ImageType[0] == "ORIGINAL"


def test_uncompressed_keeps_pixels_exactly(tmp_path: Path) -> None:
    config = config_from_mapping({"objects": {"still_encoding": "uncompressed"}})
    arr = _pixels()
    ds = build_still(config, _exam(config), StillCapture(pixels=frame_from_array(arr)), sops.SC)
    back = peers.read_back(write_object(ds, tmp_path).path)
    assert back.PhotometricInterpretation == "RGB"
    assert np.array_equal(back.pixel_array, arr)
    assert back.LossyImageCompression == "00"


def test_decoded_lossy_jpeg_keeps_lossy_history(tmp_path: Path) -> None:
    config = config_from_mapping({"objects": {"still_encoding": "uncompressed"}})
    src = INPUTS["jpeg-progressive"](tmp_path)
    ds = build_still(config, _exam(config), StillCapture(image=load_still(src)), sops.VL_ENDOSCOPIC)
    assert ds.LossyImageCompression == "01"  # never reset (PS3.3 C.7.6.1.1.5)
    assert ds.file_meta.TransferSyntaxUID == "1.2.840.10008.1.2.1"


def test_rgb_jpeg_goes_through_for_sc_but_not_vl(tmp_path: Path) -> None:
    out = io.BytesIO()
    Image.fromarray(_pixels()).save(out, format="JPEG", quality=90, keep_rgb=True)
    path = tmp_path / "rgb.jpg"
    path.write_bytes(out.getvalue())
    still = load_still(path)
    assert still.jpeg is not None and still.jpeg.color_space.value == "RGB"
    config = config_from_mapping({})
    sc = build_still(config, _exam(config), StillCapture(image=still), sops.SC)
    assert sc.PhotometricInterpretation == "RGB"
    vl = build_still(config, _exam(config), StillCapture(image=still), sops.VL_ENDOSCOPIC)
    assert vl.PhotometricInterpretation == "YBR_FULL_422"
    assert vl.ImageType[0] == "DERIVED"  # a lossy copy of a lossy image (PS3.3 C.7.6.1.1.5)


def test_utf8_when_latin1_is_not_enough(tmp_path: Path, dciodvfy_tool: str) -> None:
    config = config_from_mapping({})
    exam = Exam(Patient("Łukasz^Żółć", "P2"), Study.new())
    ds = build_still(config, exam, StillCapture(pixels=frame_from_array(_pixels())), sops.VL_PHOTOGRAPHIC)
    path = write_object(ds, tmp_path).path
    _validate(path)
    back = peers.read_back(path)
    assert back.SpecificCharacterSet == "ISO_IR 192"
    assert back.PatientName == "Łukasz^Żółć"


def test_exam_shares_study_and_counts_instances(tmp_path: Path) -> None:
    config = config_from_mapping({})
    exam = _exam(config)
    jpeg = INPUTS["jpeg-420"](tmp_path)
    objs = [build_still(config, exam, StillCapture(image=load_still(jpeg)), s) for s in
            (sops.VL_ENDOSCOPIC, sops.VL_ENDOSCOPIC, sops.SC, sops.VL_ENDOSCOPIC)]
    assert len({o.StudyInstanceUID for o in objs}) == 1
    assert [o.InstanceNumber for o in objs] == [1, 2, 1, 3]
    assert objs[0].SeriesInstanceUID == objs[1].SeriesInstanceUID != objs[2].SeriesInstanceUID
    assert len({o.SOPInstanceUID for o in objs}) == 4


@pytest.mark.parametrize("content", [b"", b"hello, not an image\n", b"\xff\xd8\xff\xe0\x00\x10JFIF"])
def test_bad_input_raises_media_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "bad.jpg"
    path.write_bytes(content)
    with pytest.raises(MediaError) as info:
        load_still(path)
    assert info.value.text("de") != info.value.text("en")


def test_absurd_raw_frame_is_refused() -> None:
    with pytest.raises(MediaError) as info:
        frame_from_raw(b"", 0, 10, "rgb24")
    assert info.value.key == "still.zero_size"
    with pytest.raises(MediaError):
        frame_from_array(np.zeros((4, 4, 4), dtype=np.uint8))


def test_extended_sof1_passes_through_as_jpeg_extended(tmp_path: Path, dciodvfy_tool: str) -> None:
    """An 8-bit SOF1 stream (Huffman, extended sequential) goes in unchanged under .51 (PS3.5 §8.2.1)."""
    data = bytearray(INPUTS["jpeg-420"](tmp_path).read_bytes())
    sof = data.find(b"\xff\xc0")
    data[sof + 1] = 0xC1
    path = tmp_path / "ext.jpg"
    path.write_bytes(bytes(data))
    config = config_from_mapping({})
    for sop in STILL_SOPS:
        ds = build_still(config, _exam(config), StillCapture(image=load_still(path)), sop)
        created = write_object(ds, tmp_path / "out")
        _validate(created.path)
        back = peers.read_back(created.path)
        assert back.file_meta.TransferSyntaxUID == "1.2.840.10008.1.2.4.51"
        assert (back.BitsAllocated, back.BitsStored, back.HighBit) == (8, 8, 7)
        assert next(generate_frames(back.PixelData, number_of_frames=1))[: len(data)] == bytes(data)
