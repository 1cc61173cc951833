"""Live capture without the UI: the test pattern moves, a lost source recovers, a still is a baseline 4:2:0 JPEG
encoded once and passed through, a recording is H.264 High Profile ≤ Level 4.1 with pre-record, wrapped byte for
byte, and the ring buffer keeps whole GOPs within its limits."""

from __future__ import annotations

import time
from pathlib import Path

import av
import numpy as np
import pytest
from processes import wait_for

from smartbox_next.app.demo import make_demo_video
from smartbox_next.capture.image import StillImage
from smartbox_next.capture.jpeg import parse_jpeg
from smartbox_next.capture.live.frames import FrameHub, LiveFrame, still_jpeg
from smartbox_next.capture.live.pattern import TestPattern
from smartbox_next.capture.live.preview import PreviewEncoder
from smartbox_next.capture.live.recorder import EncoderSettings, LiveRecorder, PacketRing, _Packet
from smartbox_next.capture.live.sources import LiveSource, SourceSpec
from smartbox_next.capture.syntax import choose_syntax
from smartbox_next.capture.video import probe
from smartbox_next.config import Config
from smartbox_next.dicom import sop as sops
from smartbox_next.dicom.anatomy import parse_region
from smartbox_next.errors import InputError
from smartbox_next.exam.identity import manual_exam
from smartbox_next.iod.still import StillCapture, build_still
from smartbox_next.iod.video import build_video_objects


def _exam() -> object:
    exam = manual_exam(uid_root="", emergency_prefix="EMERG", patient_name="Test^Tina", patient_id="T1",
                       birth_date=None, sex="F", accession=None, study_uid=None, emergency=False)
    exam.anatomic_region = parse_region("colon")
    return exam


def test_source_specs() -> None:
    assert SourceSpec.parse("testpattern:1920x1080@25").describe() == "testpattern:1920x1080@25"
    assert SourceSpec.parse("v4l2:/dev/video0", input_format="mjpeg").input_format == "mjpeg"
    assert SourceSpec.parse("file:/x.mp4").target == "/x.mp4"
    for bad in ("camera", "file:", "testpattern:100x@25", "testpattern:99x99@25", "v4l2"):
        with pytest.raises(InputError):
            SourceSpec.parse(bad)


def test_the_test_pattern_moves_and_shows_the_time() -> None:
    pattern = TestPattern(320, 240, 25)
    a, b = pattern.frame(0, wall=0.0), pattern.frame(12, wall=0.0)
    assert a.shape == (360, 320) and not np.array_equal(a, b)
    c = pattern.frame(0, wall=3600.0)
    assert not np.array_equal(a, c)  # the clock alone changes the picture


def test_a_lost_source_reports_it_and_recovers(tmp_path: Path) -> None:
    clip = tmp_path / "loop.mp4"
    states: list[str] = []
    hub = FrameHub()
    source = LiveSource(SourceSpec.parse(f"file:{clip}"), hub, on_state=lambda s: states.append(s.state),
                        retry_s=0.2)
    source.start()
    try:
        wait_for(lambda: source.status.state == "lost", timeout=10)
        assert "not found" in source.status.detail
        make_demo_video(clip, seconds=1)
        wait_for(lambda: source.status.state == "live", timeout=20)
        wait_for(lambda: (hub.latest() is not None and hub.latest().seq > 30), timeout=20)  # type: ignore[union-attr]
        assert states[0] == "lost" and states[-1] == "live"
    finally:
        source.stop()


def test_a_still_is_baseline_420_encoded_once_and_passed_through() -> None:
    frame = LiveFrame(av.VideoFrame.from_ndarray(TestPattern(640, 360, 25).frame(5), format="yuv420p"), 1,
                      time.time(), 25.0)
    jpeg, camera = still_jpeg(frame, 92)
    assert not camera
    info = parse_jpeg(jpeg)
    assert info.sof_marker == 0xC0 and [(c.h, c.v) for c in info.components] == [(2, 2), (1, 1), (1, 1)]
    still = StillImage("frame", jpeg, "jpeg", info)
    ds = build_still(Config(), _exam(), StillCapture(image=still), sops.VL_ENDOSCOPIC)  # type: ignore[arg-type]
    assert ds.file_meta.TransferSyntaxUID == "1.2.840.10008.1.2.4.50"
    assert jpeg in bytes(ds.PixelData)  # the same bytes, encapsulated
    assert ds.ImageType[0] == "ORIGINAL" and ds.LossyImageCompression == "01"


def test_the_preview_is_a_small_jpeg_encoded_once_per_frame() -> None:
    hub = FrameHub()
    preview = PreviewEncoder(hub, max_width=320)
    frame = LiveFrame(av.VideoFrame.from_ndarray(TestPattern(1280, 720, 25).frame(1), format="yuv420p"), 7,
                      time.time(), 25.0)
    data = preview.jpeg(frame)
    assert data[:2] == b"\xff\xd8" and preview.jpeg(frame) is data and preview.encoded == 1
    info = parse_jpeg(data)
    assert (info.columns, info.rows) == (320, 180)


def test_a_recording_with_pre_record_is_h264_high_and_wrapped_byte_for_byte(tmp_path: Path) -> None:
    hub = FrameHub()
    source = LiveSource(SourceSpec.parse("testpattern:640x360@25"), hub)
    recorder = LiveRecorder(hub, EncoderSettings(), pre_record_max_s=5)
    source.start()
    try:
        recorder.arm()
        time.sleep(3.0)
        got = recorder.start(tmp_path / "rec.mp4", 2.0)
        assert 2.0 <= got <= 3.5
        time.sleep(1.0)
        rec = recorder.stop()
    finally:
        recorder.close()
        source.stop()
    assert rec.dropped == 0 and 2.9 <= rec.duration_s <= 5.0, rec
    info = probe(rec.path)
    assert (info.codec, info.profile, info.width, info.height) == ("h264", "High", 640, 360)
    assert info.level is not None and info.level <= 41 and info.frame_count == rec.frames
    decision = choose_syntax(info, Config().video)
    assert decision.pass_through and decision.syntax.uid == "1.2.840.10008.1.2.4.102"
    with av.open(str(rec.path)) as c:  # every frame decodes with the file's own parameters
        assert sum(1 for _ in c.decode(video=0)) == rec.frames
    created = build_video_objects(Config(), _exam(), rec.path, sops.VIDEO_ENDOSCOPIC, tmp_path)  # type: ignore[arg-type]
    assert len(created) == 1 and created[0].pass_through
    assert rec.path.read_bytes() in created[0].path.read_bytes()


def test_without_pre_record_the_file_starts_with_a_forced_keyframe(tmp_path: Path) -> None:
    hub = FrameHub()
    source = LiveSource(SourceSpec.parse("testpattern:320x240@25"), hub)
    recorder = LiveRecorder(hub, EncoderSettings(), pre_record_max_s=0)
    source.start()
    try:
        time.sleep(0.5)
        assert recorder.start(tmp_path / "now.mp4", 0) == 0
        time.sleep(1.0)
        rec = recorder.stop()
    finally:
        recorder.close()
        source.stop()
    assert rec.frames >= 15 and rec.pre_record_s < 0.5
    assert probe(rec.path).frame_count == rec.frames


def test_the_ring_buffer_keeps_whole_gops_within_its_limits() -> None:
    ring = PacketRing(max_s=2.0, max_bytes=10_000_000)
    for i in range(250):  # 10 s at 25 fps, a keyframe every second
        ring.append(_Packet(i, i % 25 == 0, b"x" * 1000, i / 25))
    kept = ring.since(100.0, 10.0)
    assert kept[0].key and 2.0 <= (249 - kept[0].pts) / 25 <= 3.0
    assert ring.since(1.5, 249 / 25)[0].pts == 200  # newest keyframe at least 1.5 s old
    small = PacketRing(max_s=60.0, max_bytes=30_000)
    for i in range(250):
        small.append(_Packet(i, i % 25 == 0, b"x" * 1000, i / 25))
    assert small.bytes <= 30_000 + 25_000 and small.since(100.0, 10.0)[0].key
