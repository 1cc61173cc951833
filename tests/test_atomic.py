"""Atomic writes: a reader never sees a partial object; a failure leaves no file and no temp file."""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

import pytest
from pydicom import dcmread
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, SecondaryCaptureImageStorage

from smartbox_next import atomic
from smartbox_next.dicom.uid import generate_uid
from smartbox_next.errors import InputError
from smartbox_next.iod.writer import write_dataset_file


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def small_dataset() -> Dataset:
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = SecondaryCaptureImageStorage
    ds.SOPClassUID = SecondaryCaptureImageStorage
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.PatientName = "Müller^Jürgen"
    ds.SpecificCharacterSet = "ISO_IR 192"
    return ds


def test_write_with(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "a.bin"
    assert atomic.write_with(lambda fh: fh.write(b"x" * 10_000), target) == target
    assert target.read_bytes() == b"x" * 10_000
    assert listing(target.parent) == ["a.bin"]


def test_write_dataset_reads_back(tmp_path: Path) -> None:
    ds = small_dataset()
    path = write_dataset_file(ds, tmp_path / "x.dcm", durable=False)
    back = dcmread(path)
    assert back.SOPInstanceUID == ds.SOPInstanceUID and back.PatientName == "Müller^Jürgen"
    assert path.read_bytes()[128:132] == b"DICM"
    assert listing(tmp_path) == ["x.dcm"]


class Boom(Exception):
    pass


def half_writer(fh: BinaryIO) -> None:
    fh.write(b"partial" * 1000)
    fh.flush()
    raise Boom("writer failed midway")


def test_failing_writer_leaves_nothing(tmp_path: Path) -> None:
    target = tmp_path / "obj.dcm"
    with pytest.raises(Boom):
        atomic.write_with(half_writer, target)
    assert listing(tmp_path) == []


def test_failing_writer_keeps_old_file(tmp_path: Path) -> None:
    target = tmp_path / "obj.dcm"
    target.write_bytes(b"old")
    with pytest.raises(Boom):
        atomic.write_with(half_writer, target)
    assert target.read_bytes() == b"old"
    assert listing(tmp_path) == ["obj.dcm"]


def test_tmp_file_is_hidden_next_to_target_while_writing(tmp_path: Path) -> None:
    seen: list[list[str]] = []

    def writer(fh: BinaryIO) -> None:
        fh.write(b"abc")
        seen.append(listing(tmp_path))

    atomic.write_with(writer, tmp_path / "obj.dcm")
    assert len(seen[0]) == 1 and seen[0][0].startswith(".obj.dcm.") and seen[0][0].endswith(atomic.TMP_SUFFIX)
    assert listing(tmp_path) == ["obj.dcm"]


def test_keyboard_interrupt_cleans_up(tmp_path: Path) -> None:
    def writer(fh: BinaryIO) -> None:
        fh.write(b"abc")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        atomic.write_with(writer, tmp_path / "obj.dcm")
    assert listing(tmp_path) == []


def test_os_error_while_writing_becomes_input_error(tmp_path: Path) -> None:
    def writer(fh: BinaryIO) -> None:
        fh.write(b"abc")
        raise OSError(28, "No space left on device")

    with pytest.raises(InputError) as info:
        atomic.write_with(writer, tmp_path / "obj.dcm")
    assert info.value.key == "input.output_unwritable"
    assert str(info.value).endswith("obj.dcm: the disk is full")  # worded per language, not Python's strerror
    assert info.value.text("de").endswith("obj.dcm kann nicht geschrieben werden: der Datenträger ist voll")
    assert listing(tmp_path) == []


def test_failing_rename_cleans_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_replace(src: object, dst: object) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(atomic.os, "replace", no_replace)
    with pytest.raises(InputError):
        atomic.write_with(lambda fh: fh.write(b"abc"), tmp_path / "obj.dcm")
    assert listing(tmp_path) == []


def test_failing_dataset_write_leaves_nothing(tmp_path: Path) -> None:
    ds = small_dataset()
    del ds.file_meta.TransferSyntaxUID  # enforce_file_format refuses it after the preamble may be written
    with pytest.raises(Exception):  # noqa: B017 - whatever pydicom raises, nothing must be left
        write_dataset_file(ds, tmp_path / "x.dcm")
    assert listing(tmp_path) == []


def test_unwritable_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def denied(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(atomic.tempfile, "mkstemp", denied)
    with pytest.raises(InputError) as info:
        atomic.write_with(lambda fh: fh.write(b"x"), tmp_path / "a.dcm")
    assert info.value.key == "input.output_unwritable" and str(info.value).endswith(": permission denied")
    assert info.value.text("de").endswith(": keine Berechtigung")
    assert listing(tmp_path) == []


def test_folder_is_a_file(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_bytes(b"")
    with pytest.raises(InputError) as info:
        atomic.write_with(lambda fh: fh.write(b"x"), blocker / "a.dcm")
    assert info.value.key == "input.output_unwritable"
    assert listing(tmp_path) == ["file"]
