"""Long recordings (small configurable limit), Multi-frame True Color SC, and an Orthanc round trip."""

from __future__ import annotations

from pathlib import Path

import media_factory as mf
import peers
import pydicom
import pytest
from test_video_objects import check_object, stream_of

from smartbox_next.config import Config, with_overrides
from smartbox_next.dicom import sop as sops
from smartbox_next.dicom.anatomy import REGION_NAMES
from smartbox_next.exam.model import Exam, Patient, Study
from smartbox_next.iod.multiframe import build_multiframe_from_stills, build_multiframe_from_video
from smartbox_next.iod.video import _fragments, build_video_objects

COLON = REGION_NAMES["colon"]  # the exam's region (PS3.3 C.8.12.1): video objects must name one

P = "1.2.840.10008.1.2.4."


@pytest.fixture
def exam() -> Exam:
    return Exam(Patient("Doe^Jane", "PID-2"), Study.new(), anatomic_region=COLON)


def long_clip(tmp_path: Path, fmt: str = "mp4") -> Path:
    make = mf.h264_mp4 if fmt == "mp4" else mf.h264_ts
    return make(tmp_path / f"long.{fmt}", frames=60, width=192, height=144, audio="aac",
                options={"profile": "high", "g": "10", "crf": "10"})


@pytest.mark.parametrize("fmt", ["mp4", "ts"])
def test_split_into_playable_parts(tmp_path: Path, exam: Exam, fmt: str) -> None:
    src = long_clip(tmp_path, fmt)
    limit = src.stat().st_size // 3 + 4096
    config = with_overrides(Config(), "video", max_fragment_bytes=limit)
    objs = build_video_objects(config, exam, src, sops.VIDEO_ENDOSCOPIC, tmp_path / "out")
    assert len(objs) >= 3 and all(o.parts == len(objs) for o in objs)
    datasets = [check_object(o, tmp_path) for o in objs]
    assert len({d.SeriesInstanceUID for d in datasets}) == 1
    assert [int(d.InstanceNumber) for d in datasets] == sorted(int(d.InstanceNumber) for d in datasets)
    assert sum(int(d.NumberOfFrames) for d in datasets) == 60
    for o in objs:
        _, spans = _fragments(o.path)
        assert len(spans) == 1 and spans[0][1] <= limit and o.transfer_syntax_uid == P + "102"
    assert peers.dcentvfy([o.path for o in objs]).errors == []


def test_fragmentable_mode_one_object(tmp_path: Path, exam: Exam) -> None:
    src = long_clip(tmp_path)
    limit = 8192
    config = with_overrides(Config(), "video", max_fragment_bytes=limit, long_video_mode="fragmentable")
    [obj] = build_video_objects(config, exam, src, sops.VIDEO_PHOTOGRAPHIC, tmp_path / "out")
    assert obj.transfer_syntax_uid == P + "102.1" and obj.pass_through
    _, spans = _fragments(obj.path)
    assert len(spans) > 1 and all(length <= limit for _, length in spans)
    check_object(obj, tmp_path)
    assert stream_of(obj.path, tmp_path / "s.bin").read_bytes().rstrip(b"\0") == src.read_bytes().rstrip(b"\0")


@pytest.mark.parametrize("encoding", ["jpeg", "uncompressed"])
def test_multiframe_sc_from_video(tmp_path: Path, exam: Exam, encoding: str) -> None:
    src = mf.h264_mp4(tmp_path / "clip.mp4", frames=8)
    config = with_overrides(Config(), "video", multiframe_encoding=encoding)
    obj = build_multiframe_from_video(config, exam, src, tmp_path / "out")
    ds = pydicom.dcmread(obj.path)
    assert ds.NumberOfFrames == 8 and ds.FrameTime == "40" and ds.SOPClassUID == sops.MF_TRUE_COLOR_SC.uid
    assert ds.PhotometricInterpretation == ("YBR_FULL_422" if encoding == "jpeg" else "RGB")
    frames = ds.pixel_array
    assert frames.shape == (8, 120, 160, 3) and frames[-1].mean() > frames[0].mean() + 40
    if encoding == "jpeg":
        assert ds.file_meta.TransferSyntaxUID == "1.2.840.10008.1.2.4.50"
        assert len(_fragments(obj.path)[1]) == 8  # one fragment per frame
    assert peers.dciodvfy(obj.path).errors == []


def test_multiframe_sc_from_stills(tmp_path: Path, exam: Exam) -> None:
    from PIL import Image

    paths = []
    for i in range(3):
        p = tmp_path / f"s{i}.jpg"
        Image.new("RGB", (96, 64), (40 + 80 * i, 90, 30)).save(p, quality=90)
        paths.append(p)
    obj = build_multiframe_from_stills(Config(), exam, paths, tmp_path / "out")
    ds = pydicom.dcmread(obj.path)
    assert ds.NumberOfFrames == 3 and ds.FrameIncrementPointer == 0x00182002
    assert ds.pixel_array.shape == (3, 64, 96, 3)
    assert peers.dciodvfy(obj.path).errors == []


def test_orthanc_round_trip_identical_bytes(tmp_path: Path, exam: Exam) -> None:
    from pynetdicom import AE

    src = mf.h264_mp4(tmp_path / "clip.mp4", frames=10, audio="aac")
    [obj] = build_video_objects(Config(), exam, src, sops.VIDEO_ENDOSCOPIC, tmp_path / "out")
    with peers.orthanc(tmp_path / "orthanc") as pacs:
        ae = AE(ae_title="SMARTBOX")
        ae.add_requested_context(obj.sop_class_uid, [obj.transfer_syntax_uid])
        assoc = ae.associate("127.0.0.1", pacs.dicom_port, ae_title=pacs.aet)
        try:
            assert assoc.is_established
            status = assoc.send_c_store(obj.path)
            assert status.Status == 0x0000
        finally:
            assoc.release()
        [iid] = pacs.instances()
        stored = tmp_path / "back.dcm"
        stored.write_bytes(pacs.get(f"/instances/{iid}/file"))
    assert stream_of(stored, tmp_path / "back.bin").read_bytes() == stream_of(obj.path, tmp_path / "o.bin").read_bytes()
    assert stream_of(stored, tmp_path / "b2.bin").read_bytes().rstrip(b"\0") == src.read_bytes().rstrip(b"\0")
    back = pydicom.dcmread(stored)
    assert back.SOPInstanceUID == obj.sop_instance_uid and back.file_meta.TransferSyntaxUID == P + "102"
