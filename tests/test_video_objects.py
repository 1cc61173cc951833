"""Video objects end to end: generated clips -> objects -> dciodvfy, strict read-back, own encapsulation
checks, byte identity on pass-through, first/last frame decoded back with PyAV, bad input, CLI."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import media_factory as mf
import numpy as np
import peers
import pydicom
import pytest
from pydicom.config import RAISE

from smartbox_next.capture.syntax import evaluate
from smartbox_next.capture.video import probe
from smartbox_next.cli import main
from smartbox_next.config import Config, with_overrides
from smartbox_next.dicom import sop as sops
from smartbox_next.dicom.anatomy import REGION_NAMES
from smartbox_next.dicom.transfer_syntax import ALL_SYNTAXES
from smartbox_next.errors import MediaError
from smartbox_next.exam.model import Exam, Patient, Study
from smartbox_next.iod.created import CreatedObject
from smartbox_next.iod.video import _fragments, build_video_objects, transcode_for

COLON = REGION_NAMES["colon"]  # the exam's region (PS3.3 C.8.12.1): video objects must name one

P = "1.2.840.10008.1.2.4."
DCIODVFY_KNOWS = {P + s for s in ("100", "101", "102", "103", "104", "105", "106")}  # dicom3tools 2022-06


@pytest.fixture(autouse=True)
def strict_reading() -> Iterator[None]:
    old = pydicom.config.settings.reading_validation_mode
    pydicom.config.settings.reading_validation_mode = RAISE
    yield
    pydicom.config.settings.reading_validation_mode = old


@pytest.fixture
def exam() -> Exam:
    return Exam(Patient("Müller^Jürgen", "PID-1", "19650412", "M"), Study.new(accession_number="ACC1"),
                anatomic_region=COLON)


def stream_of(obj: Path, dest: Path) -> Path:
    """The concatenated fragments (the encapsulated stream) of a stored object."""
    _, spans = _fragments(obj)
    with obj.open("rb") as fh, dest.open("wb") as out:
        for off, length in spans:
            fh.seek(off)
            out.write(fh.read(length))
    return dest


def check_object(obj: CreatedObject, tmp: Path, source: Path | None = None) -> pydicom.Dataset:
    """What dciodvfy does not see, plus dciodvfy itself and decoding back."""
    ds = pydicom.dcmread(obj.path)
    ts = str(ds.file_meta.TransferSyntaxUID)
    syntax = ALL_SYNTAXES[ts]
    assert ts == obj.transfer_syntax_uid
    assert ds.PhotometricInterpretation == "YBR_PARTIAL_420" and ds.SamplesPerPixel == 3
    assert (ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation, ds.PlanarConfiguration) == \
        (8, 8, 7, 0, 0)
    assert ds.FrameIncrementPointer == 0x00181063 and float(ds.FrameTime) > 0
    assert ds.LossyImageCompression == "01"
    assert len(ds.AnatomicRegionSequence) == 1 and "AcquisitionContextSequence" in ds
    if syntax.codec in ("h264", "hevc"):
        assert "PixelAspectRatio" not in ds
    _, spans = _fragments(obj.path)
    with obj.path.open("rb") as fh:
        fh.seek(spans[0][0] - 16)
        assert fh.read(8) == b"\xfe\xff\x00\xe0\x00\x00\x00\x00"  # empty Basic Offset Table
    if not syntax.fragmentable:
        assert len(spans) == 1
    assert all(length % 2 == 0 for _, length in spans)
    stream = stream_of(obj.path, tmp / f"{obj.sop_instance_uid}.stream")
    info = probe(stream)
    assert evaluate(info)[syntax.twin if syntax.fragmentable and syntax.codec != "hevc" else ts] == []
    assert (ds.Rows, ds.Columns, int(ds.NumberOfFrames)) == (info.height, info.width, info.frame_count)
    frames = mf.decode_frames(stream)
    assert len(frames) == int(ds.NumberOfFrames)
    if source is not None:
        original = mf.decode_frames(source)
        for got, want in ((frames[0], original[0]), (frames[-1], original[-1])):
            if got.shape == want.shape:
                assert np.abs(got.astype(int) - want.astype(int)).mean() < 12
        assert frames[-1].mean() > frames[0].mean() + 40  # the ramp: last frame brighter than the first
    if ts in DCIODVFY_KNOWS:
        result = peers.dciodvfy(obj.path)
        assert result.errors == [], result.raw
    return ds


CASES = [
    ("h264.mp4", mf.h264_mp4, {"audio": "aac"}, sops.VIDEO_ENDOSCOPIC, P + "102", True),
    ("h264.ts", mf.h264_ts, {"audio": "aac"}, sops.VIDEO_PHOTOGRAPHIC, P + "102", True),
    ("mpeg2.mpg", mf.mpeg2, {"fmt": "vob", "audio": "libmp3lame", "frames": 12}, sops.VIDEO_MICROSCOPIC, P + "100",
     True),
    ("mpeg2.ts", mf.mpeg2, {"frames": 12}, sops.VIDEO_ENDOSCOPIC, P + "100", True),
    ("hevc.mp4", mf.hevc, {"frames": 12}, sops.VIDEO_ENDOSCOPIC, P + "107", True),
    ("raw.h264", mf.h264_raw, {}, sops.VIDEO_ENDOSCOPIC, P + "102", False),
    ("vp8.webm", mf.webm, {}, sops.VIDEO_PHOTOGRAPHIC, P + "102", False),
    ("vp9.webm", mf.webm, {"codec": "libvpx-vp9", "audio": "libopus"}, sops.VIDEO_MICROSCOPIC, P + "102", False),
    ("mjpeg.avi", mf.mjpeg, {}, sops.VIDEO_ENDOSCOPIC, P + "102", False),
]


@pytest.mark.parametrize(("name", "make", "kw", "sop", "ts", "passed"), CASES, ids=[c[0] for c in CASES])
def test_video_object(tmp_path: Path, exam: Exam, name: str, make: object, kw: dict[str, object],
                      sop: sops.SopClass, ts: str, passed: bool) -> None:
    src = make(tmp_path / name, **kw)  # type: ignore[operator]
    [obj] = build_video_objects(Config(), exam, src, sop, tmp_path / "out")
    assert (obj.transfer_syntax_uid, obj.pass_through) == (ts, passed)
    ds = check_object(obj, tmp_path, src)
    assert ds.Modality == sop.modality and ds.SOPClassUID == sop.uid
    if passed:
        assert stream_of(obj.path, tmp_path / "s.bin").read_bytes().rstrip(b"\0") == src.read_bytes().rstrip(b"\0")
        assert ds.ImageType[0] == "ORIGINAL"
    else:
        assert ds.ImageType[0] == "DERIVED" and "Transcoded" in ds.DerivationDescription
        methods = list(ds.LossyImageCompressionMethod)  # the source's lossy step, then ours (C.7.6.1.1.5)
        assert methods[-1] == "ISO_14496_10" and len(methods) == 2
        assert len(ds.LossyImageCompressionRatio) == len(methods)
        assert "?" not in ds.DerivationDescription
    if "audio" in kw:
        seq = ds.MultiplexedAudioChannelsDescriptionCodeSequence
        assert seq[0].ChannelMode == "STEREO" and seq[0].ChannelSourceSequence[0].CodeValue == "109112"
    else:
        assert "MultiplexedAudioChannelsDescriptionCodeSequence" not in ds
    assert not list((tmp_path / "out").glob(".video-*"))  # work files removed


def test_transcode_to_mpeg2_and_frame_time_2997(tmp_path: Path, exam: Exam) -> None:
    src = mf.webm(tmp_path / "ntsc.webm", rate=__import__("fractions").Fraction(30000, 1001), frames=15)
    config = with_overrides(Config(), "video", transcode_target="mpeg2")
    [obj] = build_video_objects(config, exam, src, sops.VIDEO_ENDOSCOPIC, tmp_path / "out")
    ds = check_object(obj, tmp_path)
    assert obj.transfer_syntax_uid == P + "100" and list(ds.LossyImageCompressionMethod) == ["VP8", "ISO_13818_2"]
    assert ds.FrameTime == "33.3667" and ds.CineRate == 30 and (ds.Rows, ds.Columns) == (480, 720)


def test_sender_fallback_transcode_for(tmp_path: Path, exam: Exam) -> None:
    src = mf.h264_mp4(tmp_path / "a.mp4", frames=10)
    [obj] = build_video_objects(Config(), exam, src, sops.VIDEO_ENDOSCOPIC, tmp_path / "out")
    mpeg = transcode_for(obj.path, P + "100", tmp_path / "fb", Config())
    ds = pydicom.dcmread(mpeg)
    assert ds.file_meta.TransferSyntaxUID == P + "100" and ds.SOPInstanceUID != obj.sop_instance_uid
    assert list(ds.LossyImageCompressionMethod) == ["ISO_14496_10", "ISO_13818_2"]
    assert peers.dciodvfy(mpeg).errors == []
    twin = transcode_for(obj.path, P + "102.1", tmp_path / "fb", Config())
    assert stream_of(twin, tmp_path / "t.bin").read_bytes().rstrip(b"\0") == src.read_bytes().rstrip(b"\0")


def _text(path: Path) -> Path:
    path.write_text("this is not a video\n")
    return path


def _truncated(path: Path) -> Path:
    full = mf.h264_mp4(path.with_name("full.mp4"), frames=10, options={"profile": "high"},
                       fmt_options={"movflags": "+faststart"})
    data = full.read_bytes()
    path.write_bytes(data[: len(data) * 2 // 3])
    return path


def _audio_only(path: Path) -> Path:
    import av

    with av.open(str(path), "w", format="mp4") as out:
        a = out.add_stream("aac", rate=48000)
        a.layout = "stereo"
        for i in range(20):
            frame = av.AudioFrame.from_ndarray(np.zeros((2, 1024), dtype=np.float32), format="fltp", layout="stereo")
            frame.sample_rate, frame.pts = 48000, i * 1024
            for p in a.encode(frame):
                out.mux(p)
        for p in a.encode(None):
            out.mux(p)
    return path


def _zero_frames(path: Path) -> Path:
    """An MPEG-TS with PAT/PMT declaring an H.264 stream, but no video packet."""
    data = mf.h264_ts(path.with_name("full.ts"), frames=5).read_bytes()
    path.write_bytes(data[: 188 * 3])
    return path


@pytest.mark.parametrize(("make", "key"), [
    (_text, "media.unreadable"), (_truncated, "media.truncated"), (_audio_only, "media.no_video"),
    (_zero_frames, "media.no_frames"),
], ids=["text-named-mp4", "truncated", "audio-only", "zero-frames"])
def test_bad_input(tmp_path: Path, exam: Exam, make: object, key: str) -> None:
    src = make(tmp_path / "clip.mp4")  # type: ignore[operator]
    out = tmp_path / "out"
    with pytest.raises(MediaError) as exc:
        build_video_objects(Config(), exam, src, sops.VIDEO_ENDOSCOPIC, out)
    assert exc.value.key == key
    assert exc.value.text("de") != exc.value.text("en") and exc.value.hint("de")
    assert not out.exists() or not list(out.iterdir())


def test_cli_create_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = mf.h264_mp4(tmp_path / "clip.mp4", frames=10)
    code = main(["--lang", "en", "create", str(src), "--out", str(tmp_path / "out"), "--sop", "video-microscopic",
                 "--patient-id", "P1", "--patient-name", "Doe^Jane", "--anatomic-region", "colon", "--json"])
    assert code == 0
    row = json.loads(capsys.readouterr().out.splitlines()[0])
    assert row["transfer_syntax"] == P + "102" and row["pass_through"] is True
    assert row["sop_class_uid"] == sops.VIDEO_MICROSCOPIC.uid and Path(row["path"]).is_file()
