"""The streaming writer (``iod.writer``) writes exactly the bytes pydicom writes for the same dataset.

Encapsulated Pixel Data (PS3.5 §A.4: empty or filled Basic Offset Table, odd fragments padded, sequence
delimiter), native Pixel Data (PS3.5 §8.1.1), elements after Pixel Data, the kernel-copy fallbacks, and the
dataset left as it was.
"""

from __future__ import annotations

import copy
import errno
import io
import os
from collections.abc import Callable
from pathlib import Path

import media_factory as mf
import numpy as np
import pydicom
import pytest
from PIL import Image
from pydicom.dataset import Dataset
from pydicom.encaps import encapsulate
from pydicom.uid import UID, ExplicitVRLittleEndian, ImplicitVRLittleEndian

from smartbox_next.capture.image import frame_from_array, load_still
from smartbox_next.capture.syntax import choose_syntax
from smartbox_next.capture.video import probe
from smartbox_next.config import Config, with_overrides
from smartbox_next.dicom import sop as sops
from smartbox_next.dicom.anatomy import REGION_NAMES
from smartbox_next.dicom.part10 import FileRange
from smartbox_next.dicom.transfer_syntax import ALL_SYNTAXES
from smartbox_next.exam.model import Exam, Patient, Study
from smartbox_next.iod import writer
from smartbox_next.iod.common import finalize
from smartbox_next.iod.created import write_object
from smartbox_next.iod.still import StillCapture, build_still
from smartbox_next.iod.video import fragments_of, video_dataset
from smartbox_next.iod.writer import write_dataset_file, write_encapsulated, write_native

COLON = REGION_NAMES["colon"]  # the exam's region (PS3.3 C.8.12.1): video objects must name one


@pytest.fixture
def exam() -> Exam:
    return Exam(Patient("Müller^Jürgen", "PID-1", "19650412", "M"), Study.new(accession_number="ACC1"),
                anatomic_region=COLON)


def pydicom_bytes(ds: Dataset, pixel_data: bytes, *, vr: str = "OB") -> bytes:
    """pydicom's own encoding of ``ds`` with ``pixel_data`` (a copy: ``ds`` is not touched)."""
    other = copy.deepcopy(ds)
    other.PixelData = pixel_data
    other["PixelData"].VR = vr
    buf = io.BytesIO()
    other.save_as(buf, enforce_file_format=True)
    return buf.getvalue()


def video_ds(config: Config, exam: Exam, clip: Path) -> tuple[Dataset, str]:
    info = probe(clip)
    syntax = choose_syntax(info, config.video).syntax
    ds = video_dataset(config, exam, sops.VIDEO_ENDOSCOPIC, info, syntax)
    finalize(ds, config)
    return ds, syntax.uid


@pytest.mark.parametrize("pad", [0, 1], ids=["even", "odd"])
def test_video_object_is_pydicoms_encoding(tmp_path: Path, exam: Exam, pad: int) -> None:
    clip = mf.h264_mp4(tmp_path / "clip.mp4", frames=10)
    data = clip.read_bytes()
    if len(data) % 2 != pad:
        data += b"\x00"  # a trailing pad byte after the last box is still a valid MP4 for the probe
        clip.write_bytes(data)
    config = Config()
    ds, _ = video_ds(config, exam, clip)
    before = copy.deepcopy(ds)
    out = write_encapsulated(ds, fragments_of(clip, ALL_SYNTAXES[str(ds.file_meta.TransferSyntaxUID)],
                                              config.video.max_fragment_bytes), tmp_path / "v.dcm")
    assert out.read_bytes() == pydicom_bytes(ds, encapsulate([data], has_bot=False))
    assert ds == before and "PixelData" not in ds
    back = pydicom.dcmread(out)
    assert back.NumberOfFrames == 10


def test_fragments_and_filled_offset_table(tmp_path: Path, exam: Exam) -> None:
    clip = mf.h264_mp4(tmp_path / "clip.mp4", frames=5)
    ds, _ = video_ds(Config(), exam, clip)
    src = tmp_path / "frames.bin"
    frames = [os.urandom(n) for n in (1001, 2000, 7, 4096)]
    src.write_bytes(b"".join(frames))
    spans, pos = [], 0
    for f in frames:
        spans.append(FileRange(src, pos, len(f)))
        pos += len(f)
    for offsets in (False, True):
        out = write_encapsulated(ds, spans, tmp_path / f"f{offsets}.dcm", offsets=offsets)
        assert out.read_bytes() == pydicom_bytes(ds, encapsulate(frames, has_bot=offsets))
    mixed = write_encapsulated(ds, [frames[0], spans[1], bytearray(frames[2]), spans[3]], tmp_path / "m.dcm")
    assert mixed.read_bytes() == pydicom_bytes(ds, encapsulate(frames, has_bot=False))


def test_elements_after_pixel_data(tmp_path: Path, exam: Exam) -> None:
    clip = mf.h264_mp4(tmp_path / "clip.mp4", frames=5)
    ds, _ = video_ds(Config(), exam, clip)
    ds.DataSetTrailingPadding = b"\x00" * 6  # (FFFC,FFFC) comes after Pixel Data
    out = write_encapsulated(ds, [FileRange(clip)], tmp_path / "t.dcm")
    assert out.read_bytes() == pydicom_bytes(ds, encapsulate([clip.read_bytes()], has_bot=False))
    assert "DataSetTrailingPadding" in ds


@pytest.mark.parametrize("ts", [ExplicitVRLittleEndian, ImplicitVRLittleEndian])
@pytest.mark.parametrize("size", [48, 47])
def test_native(tmp_path: Path, exam: Exam, ts: str, size: int) -> None:
    clip = mf.h264_mp4(tmp_path / "clip.mp4", frames=5)
    ds, _ = video_ds(Config(), exam, clip)
    ds.file_meta.TransferSyntaxUID = UID(ts)
    value = os.urandom(size)
    from_bytes = write_native(ds, value, tmp_path / "b.dcm")
    expected = pydicom_bytes(ds, value)
    assert from_bytes.read_bytes() == expected
    src = tmp_path / "px.bin"
    src.write_bytes(value)
    from_file = write_native(ds, FileRange(src), tmp_path / "f.dcm")
    assert from_file.read_bytes() == expected  # odd: padded, with the even length (PS3.5 §7.1.1)
    assert len(pydicom.dcmread(from_file).PixelData) == size + size % 2


def _jpeg(tmp_path: Path) -> Path:
    y, x = np.mgrid[0:120, 0:160]
    arr = np.stack([x % 256, y % 256, (x + y) % 256], -1).astype(np.uint8)
    path = tmp_path / "cam.jpg"
    Image.fromarray(arr).save(path, quality=90, subsampling=2)
    return path


@pytest.mark.parametrize("sop", [sops.SC, sops.VL_ENDOSCOPIC])
def test_still_is_pydicoms_encoding(tmp_path: Path, exam: Exam, sop: sops.SopClass) -> None:
    config = Config()
    jpeg = build_still(config, exam, StillCapture(image=load_still(_jpeg(tmp_path))), sop)
    y, x = np.mgrid[0:31, 0:33]  # odd native length
    raw = frame_from_array(np.stack([x, y, x + y], -1).astype(np.uint8))
    native_config = with_overrides(config, "objects", still_encoding="uncompressed")
    native = build_still(native_config, exam, StillCapture(pixels=raw), sops.SC)
    for n, ds in enumerate((jpeg, native)):
        expected = io.BytesIO()
        ds.save_as(expected, enforce_file_format=True)
        before = copy.deepcopy(ds)
        out = write_dataset_file(ds, tmp_path / f"{n}.dcm")
        assert out.read_bytes() == expected.getvalue()
        assert ds == before


def _failing(err: int) -> Callable[..., int]:
    def fail(*_: object) -> int:
        raise OSError(err, os.strerror(err))
    return fail


@pytest.mark.parametrize("broken", [("_copy_file_range",), ("_copy_file_range", "_sendfile")])
def test_kernel_copy_falls_back(tmp_path: Path, exam: Exam, monkeypatch: pytest.MonkeyPatch,
                                broken: tuple[str, ...]) -> None:
    clip = mf.h264_mp4(tmp_path / "clip.mp4", frames=5)
    ds, _ = video_ds(Config(), exam, clip)
    expected = write_encapsulated(ds, [FileRange(clip)], tmp_path / "kernel.dcm").read_bytes()
    for name in broken:
        monkeypatch.setattr(writer, name, _failing(errno.EXDEV))
    monkeypatch.setattr(writer, "READ_CHUNK", 1000)
    assert write_encapsulated(ds, [FileRange(clip)], tmp_path / "fallback.dcm").read_bytes() == expected


def test_failed_write_leaves_nothing(tmp_path: Path, exam: Exam, monkeypatch: pytest.MonkeyPatch) -> None:
    clip = mf.h264_mp4(tmp_path / "clip.mp4", frames=5)
    ds, _ = video_ds(Config(), exam, clip)
    out = tmp_path / "out"
    monkeypatch.setattr(writer, "_copy_file_range", _failing(errno.EIO))
    with pytest.raises(Exception):  # noqa: B017 - InputError (output unwritable) from spool.atomic_file
        write_encapsulated(ds, [FileRange(clip)], out / "x.dcm")
    assert list(out.iterdir()) == []
    assert "PixelData" not in ds


def test_chunked_copy_with_writeback(tmp_path: Path, exam: Exam, monkeypatch: pytest.MonkeyPatch) -> None:
    clip = mf.h264_mp4(tmp_path / "clip.mp4", frames=5)
    ds, _ = video_ds(Config(), exam, clip)
    expected = write_encapsulated(ds, [FileRange(clip)], tmp_path / "one.dcm").read_bytes()
    calls: list[int] = []
    real = writer.start_writeback

    def counting(fd: int) -> None:
        calls.append(fd)
        real(fd)

    monkeypatch.setattr(writer, "start_writeback", counting)
    monkeypatch.setattr(writer, "COPY_CHUNK", 1000)
    assert write_encapsulated(ds, [FileRange(clip)], tmp_path / "chunked.dcm").read_bytes() == expected
    assert len(calls) >= clip.stat().st_size // 1000


@pytest.mark.parametrize("name", ["Müller^Jürgen", "Wang^Xiaoming=王^小明"])
def test_still_object_is_what_setattr_and_encapsulate_give(tmp_path: Path, name: str) -> None:
    """The fast build (``put``, one-copy encapsulation, one-walk finalize) + writer == the plain pydicom way."""
    exam = Exam(Patient(name, "PID-1", "19650412", "M"), Study.new(accession_number="ACC1"), anatomic_region=COLON)
    jpeg = _jpeg(tmp_path)
    ds = build_still(Config(), exam, StillCapture(image=load_still(jpeg)), sops.SC)
    ref = Dataset()
    ref.file_meta = copy.deepcopy(ds.file_meta)
    for elem in ds:
        if elem.keyword != "PixelData":
            setattr(ref, elem.keyword, copy.deepcopy(elem.value))
    ref.PixelData = encapsulate([jpeg.read_bytes()])
    ref["PixelData"].VR = "OB"
    expected = io.BytesIO()
    ref.save_as(expected, enforce_file_format=True)
    written = write_object(ds, tmp_path / "out").path
    assert written.read_bytes() == expected.getvalue()
    assert ds.SpecificCharacterSet == ("ISO_IR 100" if name.isascii() or "王" not in name else "ISO_IR 192")


@pytest.mark.parametrize("vr", ["OB", "OW"])
def test_in_memory_native_pixel_data(tmp_path: Path, exam: Exam, vr: str) -> None:
    clip = mf.h264_mp4(tmp_path / "clip.mp4", frames=5)
    ds, _ = video_ds(Config(), exam, clip)
    ds.file_meta.TransferSyntaxUID = UID(ExplicitVRLittleEndian)
    value = os.urandom(64)
    assert write_native(ds, value, tmp_path / "n.dcm", vr=vr).read_bytes() == pydicom_bytes(ds, value, vr=vr)
    ds.PixelData = value
    ds["PixelData"].VR = vr
    assert write_dataset_file(ds, tmp_path / "d.dcm").read_bytes() == pydicom_bytes(ds, value, vr=vr)
