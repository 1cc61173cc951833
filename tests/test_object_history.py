"""Issue 11, item 1: a derivation history that never lies (PS3.3 C.7.6.1.1.2, C.7.6.1.1.5).

Every object is built -> written -> read back strictly and checked attribute by attribute, plus dciodvfy,
dicom-validator and the project's own rules (``objects_check.check``).
"""

from __future__ import annotations

import io
from pathlib import Path

import media_factory as mf
import numpy as np
import pytest
from objects_check import check
from PIL import Image

from smartbox_next.capture.image import load_still
from smartbox_next.config import Config, config_from_mapping
from smartbox_next.dicom import sop as sops
from smartbox_next.dicom.anatomy import REGION_NAMES
from smartbox_next.exam.model import Exam, Patient, Study
from smartbox_next.iod.created import write_object
from smartbox_next.iod.multiframe import build_multiframe_from_stills, build_multiframe_from_video
from smartbox_next.iod.still import StillCapture, build_still
from smartbox_next.iod.video import build_video_objects, transcode_for

JPEG = "ISO_10918_1"
H264 = "ISO_14496_10"
STILLS = [sops.SC, sops.VL_ENDOSCOPIC, sops.VL_PHOTOGRAPHIC]


def _exam() -> Exam:
    return Exam(Patient("Müller^Jürgen", "PID-H1", "19650412", "M"), Study.new(accession_number="ACC-H"),
                anatomic_region=REGION_NAMES["upper-gi"])


def _rgb(rows: int = 48, cols: int = 64) -> np.ndarray:
    y, x = np.mgrid[0:rows, 0:cols]
    return np.stack([(x * 4) % 256, (y * 5) % 256, ((x + y) * 3) % 256], axis=-1).astype(np.uint8)


def _png(path: Path, mode: str = "RGB") -> Path:
    Image.fromarray(_rgb()).convert(mode).save(path)
    return path


def _png16(path: Path, colour: bool) -> Path:
    if colour:  # 16-bit RGB PNG (Pillow writes 16-bit colour only from raw bytes): build it with PyAV's PNG encoder
        import av

        frame = av.VideoFrame.from_ndarray((_rgb().astype(np.uint16) * 257), format="rgb48le")
        codec = av.CodecContext.create("png", "w")
        codec.width, codec.height, codec.pix_fmt = frame.width, frame.height, "rgb48be"
        path.write_bytes(b"".join(bytes(p) for p in codec.encode(frame.reformat(format="rgb48be"))))
    else:
        Image.fromarray(_rgb()[:, :, 0].astype(np.uint16) * 200).save(path)  # mode I;16
    return path


def _values(ds: object, keyword: str) -> list[str]:
    value = getattr(ds, keyword, None)
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list | tuple) or (hasattr(value, "__iter__") and not \
        isinstance(value, str)) else [str(value)]


def _history(ds: object) -> tuple[str, list[str], list[str], str, list[str]]:
    """(Image Type 1, methods, ratios, description, derivation codes) of an object read back."""
    codes = [str(i.CodeValue) for i in getattr(ds, "DerivationCodeSequence", [])]
    return (str(ds.ImageType[0]), _values(ds, "LossyImageCompressionMethod"),  # type: ignore[attr-defined]
            _values(ds, "LossyImageCompressionRatio"), str(getattr(ds, "DerivationDescription", "")), codes)


@pytest.mark.parametrize("sop", STILLS, ids=lambda s: s.cli_name)
def test_png_with_alpha_stored_lossy_is_derived(tmp_path: Path, sop: sops.SopClass, standard_tables: Path) -> None:
    """still_alpha.png came out ORIGINAL\\PRIMARY although the alpha was composited and the object is lossy."""
    src = _png(tmp_path / "still_alpha.png", "RGBA")
    ds = build_still(Config(), _exam(), StillCapture(image=load_still(src)), sop)
    back = check(write_object(ds, tmp_path / "out").path, standard_tables)
    kind, methods, ratios, text, codes = _history(back)
    assert kind == "DERIVED"
    assert methods == [JPEG] and len(ratios) == 1 and float(ratios[0]) > 1
    assert "alpha" in text and "lossless PNG" in text and "lossy baseline JPEG" in text
    assert codes == ["113040"]  # CID 7203 Lossy Compression
    assert back.LossyImageCompression == "01"


@pytest.mark.parametrize("colour", [False, True], ids=["grey16", "rgb48"])
@pytest.mark.parametrize("sop", STILLS, ids=lambda s: s.cli_name)
def test_16_bit_png_is_derived_when_reduced(tmp_path: Path, sop: sops.SopClass, colour: bool,
                                            standard_tables: Path) -> None:
    src = _png16(tmp_path / "deep.png", colour)
    for encoding in ("jpeg", "uncompressed"):
        config = config_from_mapping({"objects": {"still_encoding": encoding}})
        ds = build_still(config, _exam(), StillCapture(image=load_still(src)), sop)
        back = check(write_object(ds, tmp_path / encoding).path, standard_tables)
        kind, methods, ratios, text, _ = _history(back)
        reduced = sop.vl or encoding == "jpeg" or colour
        if reduced:
            assert kind == "DERIVED" and "16 to 8 bits" in text, (encoding, text)
        else:  # SC uncompressed keeps the 16-bit grey samples exactly
            assert kind == "ORIGINAL" and back.BitsStored == 16 and text == ""
        assert len(methods) == len(ratios) == (1 if encoding == "jpeg" else 0)
        assert back.LossyImageCompression == ("01" if encoding == "jpeg" else "00")


def test_lossless_png_uncompressed_stays_original(tmp_path: Path, standard_tables: Path) -> None:
    src = _png(tmp_path / "plain.png")
    config = config_from_mapping({"objects": {"still_encoding": "uncompressed"}})
    back = check(write_object(build_still(config, _exam(), StillCapture(image=load_still(src)), sops.SC),
                              tmp_path).path, standard_tables)
    assert _history(back) == ("ORIGINAL", [], [], "", [])
    assert np.array_equal(back.pixel_array, _rgb())


def test_cmyk_jpeg_is_colour_converted_and_derived(tmp_path: Path, standard_tables: Path) -> None:
    src = tmp_path / "cmyk.jpg"
    Image.fromarray(_rgb()).convert("CMYK").save(src, quality=90)
    back = check(write_object(build_still(Config(), _exam(), StillCapture(image=load_still(src)),
                                          sops.VL_ENDOSCOPIC), tmp_path).path, standard_tables)
    kind, methods, ratios, text, codes = _history(back)
    assert kind == "DERIVED" and "CMYK" in text and methods == [JPEG, JPEG] and len(ratios) == 2
    assert codes == ["113040"]


def test_rotated_jpeg_says_both_steps(tmp_path: Path, standard_tables: Path) -> None:
    im = Image.fromarray(_rgb())
    exif = Image.Exif()
    exif[0x0112] = 6
    src = tmp_path / "rotated.jpg"
    im.save(src, quality=90, exif=exif.tobytes())
    back = check(write_object(build_still(Config(), _exam(), StillCapture(image=load_still(src)), sops.SC),
                              tmp_path).path, standard_tables)
    kind, methods, ratios, text, _ = _history(back)
    assert kind == "DERIVED" and methods == [JPEG, JPEG] and len(ratios) == 2
    assert "rotated upright (EXIF orientation 6)" in text and "re-encoded" in text


def test_multiframe_from_video_has_one_ratio_per_method(tmp_path: Path, standard_tables: Path) -> None:
    """Every Multi-frame SC from a video had two methods and one ratio."""
    src = mf.h264_mp4(tmp_path / "clip.mp4", frames=6)
    obj = build_multiframe_from_video(Config(), _exam(), src, tmp_path / "out")
    back = check(obj.path, standard_tables)
    kind, methods, ratios, text, codes = _history(back)
    assert kind == "DERIVED" and methods == [H264, JPEG] and len(ratios) == 2
    assert "H.264" in text and "colour-converted" in text and "?" not in text
    assert codes == ["113040"]


def test_multiframe_from_video_uncompressed(tmp_path: Path, standard_tables: Path) -> None:
    src = mf.h264_mp4(tmp_path / "clip.mp4", frames=4)
    config = config_from_mapping({"video": {"multiframe_encoding": "uncompressed"}})
    back = check(build_multiframe_from_video(config, _exam(), src, tmp_path / "out").path, standard_tables)
    kind, methods, ratios, _, _ = _history(back)
    assert kind == "DERIVED" and methods == [H264] and len(ratios) == 1 and back.LossyImageCompression == "01"


@pytest.mark.parametrize(("make", "source_method", "kw"), [
    (mf.webm, "VP8", {}),
    (mf.webm, "VP9", {"codec": "libvpx-vp9"}),
    (mf.mjpeg, JPEG, {}),
    (mf.h264_raw, H264, {}),
], ids=["vp8", "vp9", "mjpeg", "raw-h264"])
def test_transcoded_video_records_the_whole_lossy_history(tmp_path: Path, make: object, source_method: str,
                                                          kw: dict[str, object], standard_tables: Path) -> None:
    """A transcoded video recorded only the new step; a VP8 source gave 'vp8 ?@? 1280x720'."""
    src = make(tmp_path / "clip", frames=8, **kw)  # type: ignore[operator]
    [obj] = build_video_objects(Config(), _exam(), src, sops.VIDEO_ENDOSCOPIC, tmp_path / "out")
    back = check(obj.path, standard_tables)
    kind, methods, ratios, text, codes = _history(back)
    assert kind == "DERIVED" and methods == [source_method, H264] and len(ratios) == 2
    assert all(float(r) > 0 for r in ratios)
    assert text.startswith("Transcoded from ") and "?" not in text and "@" not in text and "None" not in text
    assert codes == ["113040"]


def test_transcode_that_scales_says_so(tmp_path: Path, standard_tables: Path) -> None:
    src = mf.webm(tmp_path / "small.webm", frames=6)
    config = config_from_mapping({"video": {"transcode_target": "mpeg2"}})
    [obj] = build_video_objects(config, _exam(), src, sops.VIDEO_ENDOSCOPIC, tmp_path / "out")
    back = check(obj.path, standard_tables)
    _, methods, ratios, text, codes = _history(back)
    assert methods == ["VP8", "ISO_13818_2"] and len(ratios) == 2
    assert "scaled from 160x120" in text and codes == ["113040", "113085"]  # Spatial resampling


def test_sender_fallback_appends_a_step_with_its_ratio(tmp_path: Path, standard_tables: Path) -> None:
    src = mf.webm(tmp_path / "clip.webm", frames=6)
    [obj] = build_video_objects(Config(), _exam(), src, sops.VIDEO_ENDOSCOPIC, tmp_path / "out")
    mpeg = transcode_for(obj.path, "1.2.840.10008.1.2.4.100", tmp_path / "fb", Config())
    back = check(mpeg, standard_tables)
    kind, methods, ratios, text, _ = _history(back)
    assert kind == "DERIVED" and methods == ["VP8", H264, "ISO_13818_2"] and len(ratios) == 3
    assert "for a receiver" in text and text.count("Transcoded") == 2


def test_pass_through_stays_original_with_one_step(tmp_path: Path, standard_tables: Path) -> None:
    jpeg = tmp_path / "camera.jpg"
    buf = io.BytesIO()
    Image.fromarray(_rgb()).save(buf, "JPEG", quality=90)
    jpeg.write_bytes(buf.getvalue())
    for sop in STILLS:
        back = check(write_object(build_still(Config(), _exam(), StillCapture(image=load_still(jpeg)), sop),
                                  tmp_path / sop.cli_name).path, standard_tables)
        kind, methods, ratios, text, codes = _history(back)
        assert (kind, methods, len(ratios), text, codes) == ("ORIGINAL", [JPEG], 1, "", [])
    video = mf.h264_mp4(tmp_path / "clip.mp4", frames=6)
    [obj] = build_video_objects(Config(), _exam(), video, sops.VIDEO_ENDOSCOPIC, tmp_path / "video")
    kind, methods, ratios, text, _ = _history(check(obj.path, standard_tables))
    assert (kind, methods, len(ratios), text) == ("ORIGINAL", [H264], 1, "")


def test_burst_of_pngs_is_compressed_once_and_says_so(tmp_path: Path, standard_tables: Path) -> None:
    paths = [_png(tmp_path / f"f{i}.png", "RGBA" if i == 1 else "RGB") for i in range(3)]
    back = check(build_multiframe_from_stills(Config(), _exam(), paths, tmp_path / "out").path, standard_tables)
    kind, methods, ratios, text, _ = _history(back)
    assert kind == "DERIVED" and methods == [JPEG] and len(ratios) == 1
    assert "3 still images (PNG)" in text and "alpha" in text
