"""Issue 11, items 3 and 4: bursts pass camera JPEGs through; ``--sop`` makes exactly what it says.

PS3.3 A.8.5 (Multi-frame True Color SC), PS3.5 §8.2.1, §A.4 (one frame per fragment); DESIGN principle 3.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import media_factory as mf
import numpy as np
import peers
import pytest
from objects_check import check
from PIL import Image
from pydicom.encaps import generate_frames

from smartbox_next.cli import main

MF_SC = "1.2.840.10008.5.1.4.1.1.7.4"


def _camera_jpeg(path: Path, shade: int, size: tuple[int, int] = (64, 48), subsampling: int = 2) -> Path:
    y, x = np.mgrid[0:size[1], 0:size[0]]
    img = np.stack([(x * 3 + shade) % 256, (y * 4) % 256, np.full_like(x, shade)], -1).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, "JPEG", quality=88, subsampling=subsampling)
    path.write_bytes(buf.getvalue())
    return path


def _create(args: list[str], capsys: pytest.CaptureFixture[str]) -> Path:
    assert main(["create", *args, "--patient-id", "P-B1", "--patient-name", "Müller^Jürgen", "--json"]) == 0
    [row] = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    return Path(str(row["path"]))


def test_burst_of_camera_jpegs_is_passed_through(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                 standard_tables: Path) -> None:
    """create --burst re-encoded the camera JPEGs: a needless second lossy generation."""
    stills = [_camera_jpeg(tmp_path / f"b{i}.jpg", 40 * i) for i in range(3)]
    path = _create([*map(str, stills), "--out", str(tmp_path / "o"), "--burst", "--frame-time", "100"], capsys)
    ds = check(path, standard_tables)
    assert ds.SOPClassUID == MF_SC and int(ds.NumberOfFrames) == 3
    frames = list(generate_frames(ds.PixelData, number_of_frames=3))
    for frame, still in zip(frames, stills, strict=True):
        data = still.read_bytes()
        assert frame[: len(data)] == data and len(frame) - len(data) in (0, 1)  # the input's bytes, padded to even
    assert ds.ImageType[0] == "ORIGINAL" and "DerivationDescription" not in ds
    assert ds.LossyImageCompressionMethod == "ISO_10918_1" and float(ds.LossyImageCompressionRatio) > 1
    assert ds.PhotometricInterpretation == "YBR_FULL_422"


@pytest.mark.parametrize("mix", ["sizes", "sampling", "png"])
def test_mixed_burst_is_reencoded_once_and_says_so(tmp_path: Path, mix: str, capsys: pytest.CaptureFixture[str],
                                                   standard_tables: Path) -> None:
    a = _camera_jpeg(tmp_path / "a.jpg", 10)
    if mix == "sizes":  # the frames must be one size: a different one is refused, never scaled
        b = _camera_jpeg(tmp_path / "b.jpg", 90, size=(80, 48))
        assert main(["--lang", "en", "create", str(a), str(b), "--out", str(tmp_path / "o"), "--burst",
                     "--patient-id", "P-B2"]) == 1
        assert "80x48" in capsys.readouterr().err
        return
    if mix == "sampling":
        b = _camera_jpeg(tmp_path / "b.jpg", 90, subsampling=0)  # 4:4:4 among 4:2:0
    else:
        b = tmp_path / "b.png"
        Image.new("RGB", (64, 48), (30, 160, 90)).save(b)
    path = _create([str(a), str(b), "--out", str(tmp_path / "o"), "--burst"], capsys)
    ds = check(path, standard_tables)
    assert ds.ImageType[0] == "DERIVED"
    assert list(ds.LossyImageCompressionMethod) == ["ISO_10918_1", "ISO_10918_1"]
    assert len(ds.LossyImageCompressionRatio) == 2
    text = ds.DerivationDescription
    assert "2 still images" in text and ("re-encoded once" in text)
    assert ("chroma sampling" in text) if mix == "sampling" else ("not all inputs" in text)


def test_mf_sc_of_one_still_is_one_frame(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                        standard_tables: Path) -> None:
    """--sop mf-sc with a single still silently made another SOP class."""
    still = _camera_jpeg(tmp_path / "one.jpg", 70)
    path = _create([str(still), "--out", str(tmp_path / "o"), "--sop", "mf-sc"], capsys)
    ds = check(path, standard_tables)
    assert ds.SOPClassUID == MF_SC and int(ds.NumberOfFrames) == 1
    assert "FrameIncrementPointer" not in ds and "FrameLabelVector" not in ds  # 1C: Number of Frames > 1
    frame = next(generate_frames(ds.PixelData, number_of_frames=1))
    assert frame.rstrip(b"\0").endswith(b"\xff\xd9") and frame[:2] == b"\xff\xd8"


@pytest.mark.parametrize(("sop", "video"), [("video-endoscopic", False), ("video-photographic", False),
                                            ("vl-endoscopic", True), ("sc", True)])
def test_a_sop_class_that_does_not_fit_the_input_is_refused(tmp_path: Path, sop: str, video: bool,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    src = mf.h264_mp4(tmp_path / "c.mp4", frames=4) if video else _camera_jpeg(tmp_path / "s.jpg", 5)
    out = tmp_path / "o"
    for lang in ("de", "en"):
        assert main(["--lang", lang, "create", str(src), "--out", str(out), "--sop", sop, "--patient-id", "P-B3",
                     "--anatomic-region", "colon"]) == 1
        err = capsys.readouterr().err
        assert sop in err and str(src) in err and "→" in err
    assert not out.exists() or not list(out.rglob("*.dcm"))


def test_mf_sc_of_a_video_and_video_of_a_video(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                              standard_tables: Path) -> None:
    clip = mf.h264_mp4(tmp_path / "c.mp4", frames=5)
    for sop, uid in (("mf-sc", MF_SC), ("video-microscopic", "1.2.840.10008.5.1.4.1.1.77.1.2.1")):
        path = _create([str(clip), "--out", str(tmp_path / sop), "--sop", sop, "--anatomic-region", "colon"],
                       capsys)
        assert check(path, standard_tables).SOPClassUID == uid
    assert peers.read_back(path).Modality == "GM"
