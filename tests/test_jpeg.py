"""JPEG marker parser: every field, from Pillow-made files, hand-made variants and fuzzing."""

from __future__ import annotations

import io
import struct
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from smartbox_next.capture.jpeg import ColorSpace, JpegInfo, JpegProcess, parse_jpeg
from smartbox_next.errors import MediaError


def _jpeg(mode: str = "RGB", size: tuple[int, int] = (33, 17), **kwargs: Any) -> bytes:
    buf = io.BytesIO()
    color: Any = (200, 100, 50, 10)[: len(mode)] if mode != "L" else 128
    Image.new(mode, size, color).save(buf, "JPEG", **kwargs)
    return buf.getvalue()


def _with_sof(data: bytes, marker: int, precision: int | None = None) -> bytes:
    """Relabel the SOF0 of a Pillow JPEG (the parser does not decode, so the scan may stay)."""
    idx = data.index(b"\xff\xc0")
    out = bytearray(data)
    out[idx + 1] = marker
    if precision is not None:
        out[idx + 4] = precision
    return bytes(out)


def _insert_after_soi(data: bytes, marker: int, payload: bytes) -> bytes:
    return data[:2] + bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload + data[2:]


def test_baseline_420_jfif() -> None:
    info = parse_jpeg(_jpeg())
    assert isinstance(info, JpegInfo)
    assert (info.sof_marker, info.process, info.is_baseline) == (0xC0, JpegProcess.BASELINE, True)
    assert not info.arithmetic and not info.hierarchical
    assert (info.precision, info.rows, info.columns, info.samples_per_pixel) == (8, 17, 33, 3)
    assert [c.id for c in info.components] == [1, 2, 3]
    assert info.sampling == ((2, 2), (1, 1), (1, 1))
    assert info.subsampling == "4:2:0"
    assert info.jfif and not info.adobe and info.adobe_transform is None
    assert info.color_space is ColorSpace.YCBCR
    assert info.exif_orientation is None and info.icc_profile is None
    assert info.has_sos and info.has_eoi and info.trailing_bytes == 0


def test_444_and_422() -> None:
    assert parse_jpeg(_jpeg(subsampling=0)).subsampling == "4:4:4"
    info = parse_jpeg(_jpeg(subsampling=1))
    assert info.sampling == ((2, 1), (1, 1), (1, 1)) and info.subsampling == "4:2:2"


def test_progressive() -> None:
    info = parse_jpeg(_jpeg(progressive=True))
    assert (info.sof_marker, info.process, info.is_baseline) == (0xC2, JpegProcess.PROGRESSIVE, False)
    assert info.color_space is ColorSpace.YCBCR


def test_greyscale() -> None:
    info = parse_jpeg(_jpeg("L", (16, 8)))
    assert info.color_space is ColorSpace.GRAY
    assert info.samples_per_pixel == 1 and info.subsampling is None
    assert (info.rows, info.columns) == (8, 16)


def test_rgb_without_transform_via_adobe_marker() -> None:
    info = parse_jpeg(_jpeg(keep_rgb=True))
    assert info.adobe and info.adobe_transform == 0 and not info.jfif
    assert [chr(c.id) for c in info.components] == ["R", "G", "B"]
    assert info.color_space is ColorSpace.RGB
    assert info.subsampling == "4:4:4"


def test_rgb_component_ids_without_adobe() -> None:
    data = _jpeg(keep_rgb=True)
    start = data.index(b"\xff\xee")
    (length,) = struct.unpack(">H", data[start + 2:start + 4])
    stripped = data[:start] + data[start + 2 + length:]
    info = parse_jpeg(stripped)
    assert not info.adobe and info.color_space is ColorSpace.RGB


def test_adobe_transform_one_means_ycbcr() -> None:
    adobe = b"Adobe" + struct.pack(">HHHB", 100, 0, 0, 1)
    full = _jpeg()
    app0_end = 2 + 2 + struct.unpack(">H", full[4:6])[0]
    no_jfif = full[:2] + full[app0_end:]
    info = parse_jpeg(_insert_after_soi(no_jfif, 0xEE, adobe))
    assert info.adobe_transform == 1 and info.color_space is ColorSpace.YCBCR and not info.jfif


def test_cmyk_and_ycck() -> None:
    info = parse_jpeg(_jpeg("CMYK", (8, 8)))
    assert info.samples_per_pixel == 4 and info.adobe and info.adobe_transform == 0
    assert info.color_space is ColorSpace.CMYK
    data = bytearray(_jpeg("CMYK", (8, 8)))
    idx = data.index(b"\xff\xee\x00\x0eAdobe")
    data[idx + 4 + 11] = 2
    assert parse_jpeg(bytes(data)).color_space is ColorSpace.YCCK


@pytest.mark.parametrize("byte_order", ["<", ">"])
def test_exif_orientation_both_byte_orders(byte_order: str) -> None:
    tiff = (b"II" if byte_order == "<" else b"MM") + struct.pack(byte_order + "HI", 42, 8)
    entries = [struct.pack(byte_order + "HHI", 0x010F, 2, 4) + b"Cam\x00",
               struct.pack(byte_order + "HHIH", 0x0112, 3, 1, 6) + b"\x00\x00"]
    tiff += struct.pack(byte_order + "H", len(entries)) + b"".join(entries) + b"\x00\x00\x00\x00"
    info = parse_jpeg(_insert_after_soi(_jpeg(), 0xE1, b"Exif\x00\x00" + tiff))
    assert info.exif_orientation == 6


def test_exif_orientation_from_pillow() -> None:
    exif = Image.Exif()
    exif[0x0112] = 6
    assert parse_jpeg(_jpeg(exif=exif.tobytes())).exif_orientation == 6


def test_malformed_exif_is_ignored() -> None:
    info = parse_jpeg(_insert_after_soi(_jpeg(), 0xE1, b"Exif\x00\x00II*\x00\xff\xff\xff\x7f"))
    assert info.exif_orientation is None


def test_icc_profile_single_and_split() -> None:
    small = bytes(range(256)) * 4
    assert parse_jpeg(_jpeg(icc_profile=small)).icc_profile == small
    big = bytes((i * 7) % 251 for i in range(150_000))  # > 65519 bytes: Pillow writes 3 chunks
    data = _jpeg(icc_profile=big)
    assert data.count(b"ICC_PROFILE\x00") == 3
    assert parse_jpeg(data).icc_profile == big


def test_relabelled_processes() -> None:
    base = _jpeg()
    cases = {0xC1: (JpegProcess.EXTENDED, False, False), 0xC3: (JpegProcess.LOSSLESS, False, False),
             0xC9: (JpegProcess.EXTENDED, True, False), 0xCA: (JpegProcess.PROGRESSIVE, True, False),
             0xCB: (JpegProcess.LOSSLESS, True, False), 0xC5: (JpegProcess.EXTENDED, False, True),
             0xF7: (JpegProcess.JPEG_LS, False, False)}
    for marker, (process, arithmetic, hierarchical) in cases.items():
        info = parse_jpeg(_with_sof(base, marker))
        assert (info.sof_marker, info.process, info.arithmetic, info.hierarchical) == (
            marker, process, arithmetic, hierarchical), hex(marker)
        assert not info.is_baseline


def test_extended_12_bit() -> None:
    info = parse_jpeg(_with_sof(_jpeg("L", (8, 8)), 0xC1, precision=12))
    assert (info.process, info.precision) == (JpegProcess.EXTENDED, 12)


def test_dhp_marks_hierarchical() -> None:
    info = parse_jpeg(_insert_after_soi(_jpeg(), 0xDE, struct.pack(">BHHB", 8, 17, 33, 3) + b"\x01\x11\x00" * 3))
    assert info.hierarchical and info.process is JpegProcess.BASELINE


def test_trailing_bytes_after_eoi() -> None:
    assert parse_jpeg(_jpeg() + b"\x00" * 10).trailing_bytes == 10


def test_path_input(tmp_path: Path) -> None:
    path = tmp_path / "x.jpg"
    path.write_bytes(_jpeg())
    assert parse_jpeg(path) == parse_jpeg(path.read_bytes())
    assert parse_jpeg(str(path)).rows == 17


def _error(data: bytes | Path, **kwargs: Any) -> MediaError:
    with pytest.raises(MediaError) as info:
        parse_jpeg(data, **kwargs)
    return info.value


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.jpg"
    path.write_bytes(b"")
    err = _error(path)
    assert err.key == "image.empty" and err.params["path"] == str(path)
    assert str(path) in err.text("de") and err.hint("de")


def test_missing_file(tmp_path: Path) -> None:
    assert _error(tmp_path / "nope.jpg").key == "image.unreadable"


def test_text_file_named_jpg(tmp_path: Path) -> None:
    path = tmp_path / "notes.jpg"
    path.write_text("hello, not a picture\n")
    assert _error(path).key == "image.not_jpeg"
    assert _error(b"\xff").key == "image.not_jpeg"


@pytest.mark.parametrize("cut", [3, 10, 100, 300])
def test_truncated(cut: int) -> None:
    data = _jpeg()
    assert len(data) > cut + 2
    err = _error(data[:cut], name="cam.jpg")
    assert err.key in {"image.truncated", "image.corrupt"}
    assert err.params["path"] == "cam.jpg"


def test_truncated_scan_without_eoi() -> None:
    data = _jpeg("RGB", (64, 64))
    assert _error(data[:-2]).key == "image.truncated"


def test_no_frame_and_zero_size() -> None:
    assert _error(b"\xff\xd8\xff\xd9").key == "image.no_frame"
    data = bytearray(_jpeg())
    idx = data.index(b"\xff\xc0")
    data[idx + 5:idx + 7] = b"\x00\x00"  # rows 0 (DNL-defined height)
    err = _error(bytes(data))
    assert err.key == "image.zero_size" and err.params["rows"] == 0


def test_bad_segment_length_is_corrupt() -> None:
    data = bytearray(_jpeg())
    data[4:6] = b"\x00\x01"  # APP0 length < 2
    assert _error(bytes(data)).key == "image.corrupt"


VALID = _jpeg(size=(8, 8))
KEYS = {"image.empty", "image.not_jpeg", "image.truncated", "image.corrupt", "image.no_frame", "image.zero_size"}


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.binary(max_size=512))
def test_fuzz_random_bytes_only_media_error(data: bytes) -> None:
    try:
        info = parse_jpeg(data)
    except MediaError as err:
        assert err.key in KEYS
        return
    assert info.rows > 0 and info.columns > 0 and info.has_eoi


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.lists(st.tuples(st.integers(0, len(VALID) - 1), st.integers(0, 255)), max_size=6),
       st.integers(0, len(VALID)))
def test_fuzz_mutated_jpeg_only_media_error(edits: list[tuple[int, int]], cut: int) -> None:
    data = bytearray(VALID)
    for pos, value in edits:
        data[pos] = value
    try:
        info = parse_jpeg(bytes(data[:cut]))
    except MediaError as err:
        assert err.key in KEYS
        return
    assert info.rows > 0 and info.columns > 0 and info.has_eoi
