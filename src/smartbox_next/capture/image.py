"""Still images: sniff, decode (Pillow), apply EXIF orientation, re-encode as baseline JPEG.

No DICOM knowledge here. :func:`load_still` reads a file into a :class:`StillImage`: the encoded
bytes (kept for pass-through), the kind (jpeg, png, other) and, for JPEG, the marker information.
:func:`decode` returns 8-bit (or 16-bit grey) pixels upright; :func:`encode_baseline_jpeg` makes a
SOF0 JFIF stream. Size limits guard against absurd inputs before anything is decoded.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageOps

from smartbox_next.capture.jpeg import JpegInfo, parse_jpeg
from smartbox_next.errors import MediaError

MAX_SIDE = 65535  # Rows/Columns are US (PS3.5 Table 6.2-1)
MAX_PIXELS = 200_000_000
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True)
class StillImage:
    """An encoded still as handed to the station."""

    name: str
    data: bytes
    kind: str  # "jpeg" | "png" | "other"
    jpeg: JpegInfo | None = None


@dataclass(frozen=True)
class Pixels:
    """Decoded pixels: (rows, cols) grey or (rows, cols, 3) RGB; uint8, or uint16 for 16-bit grey."""

    array: NDArray[np.uint8] | NDArray[np.uint16]
    rotated: bool = False  # an EXIF orientation was applied
    changes: tuple[str, ...] = ()  # what was done to the pixel values after decoding, in plain words
    source_lossy: bool = False  # the encoded source was lossy (JPEG, JPEG-compressed TIFF)
    source_format: str = ""  # "JPEG", "PNG", "TIFF", "BMP", "GIF" ("" = raw frame)

    @property
    def rows(self) -> int:
        return int(self.array.shape[0])

    @property
    def columns(self) -> int:
        return int(self.array.shape[1])

    @property
    def samples_per_pixel(self) -> int:
        return 1 if self.array.ndim == 2 else int(self.array.shape[2])

    @property
    def bits(self) -> int:
        return 16 if self.array.dtype == np.uint16 else 8


def check_size(name: str, rows: int, columns: int) -> None:
    """Refuse zero-size and absurdly large images before decoding them."""
    if rows <= 0 or columns <= 0:
        raise MediaError("still.zero_size", path=name, rows=rows, columns=columns)
    if rows > MAX_SIDE or columns > MAX_SIDE or rows * columns > MAX_PIXELS:
        raise MediaError("still.too_large", path=name, rows=rows, columns=columns, maximum=MAX_SIDE,
                         max_pixels=MAX_PIXELS)


def read_file(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        raise MediaError("input.not_found", path=str(path)) from None


def load_still(path: Path) -> StillImage:
    """Read and sniff a still (by content, never by file name)."""
    return still_from_bytes(read_file(path), str(path))


def still_from_bytes(data: bytes, name: str) -> StillImage:
    """Sniff encoded bytes: JPEG (markers parsed), PNG, or another format Pillow reads."""
    if not data:
        raise MediaError("image.empty", path=name)
    if data[:2] == b"\xff\xd8":
        info = parse_jpeg(data, name=name)
        check_size(name, info.rows, info.columns)
        return StillImage(name, data, "jpeg", info)
    if data.startswith(_PNG_MAGIC):
        return StillImage(name, data, "png")
    try:
        with Image.open(io.BytesIO(data)) as im:
            im.verify()
    except Exception:
        raise MediaError("still.not_image", path=name) from None
    return StillImage(name, data, "other")


def decode(still: StillImage) -> Pixels:
    """Decode to upright 8-bit RGB or grey (16-bit grey kept), applying EXIF orientation."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            im: Image.Image = Image.open(io.BytesIO(still.data))
            check_size(still.name, im.height, im.width)
            im.load()
    except MediaError:
        raise
    except Exception as exc:
        raise MediaError("still.cannot_decode", path=still.name, detail=_reason(exc)) from None
    orientation = im.getexif().get(0x0112, 1)
    rotated = orientation not in (None, 1)
    fmt = str(im.format or "")
    lossy = (still.jpeg is not None and still.jpeg.process.value != "lossless") or (
        fmt == "TIFF" and str(im.info.get("compression", "")) in ("jpeg", "tiff_jpeg"))
    changes: list[str] = []
    if rotated:
        changes.append(f"rotated upright (EXIF orientation {orientation})")
        im = ImageOps.exif_transpose(im)
    if fmt == "PNG" and len(still.data) > 24 and still.data[24] == 16 and im.mode in ("RGB", "RGBA", "LA"):
        changes.append("reduced from 16 to 8 bits per sample")  # Pillow reads 16-bit colour PNG as 8 bits
    arr, converted = _to_array(im, still.name)
    return Pixels(arr, rotated=rotated, changes=(*changes, *converted), source_lossy=lossy, source_format=fmt)


def _reason(exc: Exception) -> str:
    return str(exc) or type(exc).__name__


def _to_array(im: Image.Image, name: str) -> tuple[NDArray[np.uint8] | NDArray[np.uint16], list[str]]:
    """The pixels as an array, and what had to be changed to get there (alpha, colour space, range)."""
    changes: list[str] = []
    if im.mode in ("I;16", "I;16B", "I;16L", "I") and "A" not in im.getbands():
        arr = np.asarray(im)
        if arr.dtype != np.uint16:
            if arr.size and (int(arr.min()) < 0 or int(arr.max()) > 65535):
                changes.append("values clipped to the 16-bit range 0 … 65535")
            arr = np.clip(arr, 0, 65535).astype(np.uint16)
        return arr, changes
    if im.mode in ("L", "1"):
        return np.asarray(im.convert("L"), dtype=np.uint8), changes
    if im.mode in ("LA", "RGBA", "PA") or (im.mode == "P" and "transparency" in im.info):
        background = Image.new("RGBA", im.size, (0, 0, 0, 255))
        im = Image.alpha_composite(background, im.convert("RGBA"))
        changes.append("alpha channel (transparency) composited onto black")
    if im.mode in ("CMYK", "YCbCr", "LAB", "HSV"):
        changes.append(f"colour-converted from {im.mode} to RGB")
        im = im.convert("RGB")
    try:
        return np.asarray(im.convert("RGB"), dtype=np.uint8), changes
    except Exception as exc:
        raise MediaError("still.cannot_decode", path=name, detail=_reason(exc)) from None


def frame_from_raw(data: bytes, width: int, height: int, fmt: str) -> Pixels:
    """Pixels from raw bytes: ``rgb24`` (R,G,B interleaved) or ``gray8``."""
    spp = {"rgb24": 3, "gray8": 1}.get(fmt)
    if spp is None:
        raise MediaError("still.bad_frame", detail=f"unknown format {fmt!r} (rgb24 | gray8)")
    check_size("raw frame", height, width)
    if len(data) != width * height * spp:
        raise MediaError("still.bad_frame",
                         detail=f"{len(data)} bytes, expected {width}×{height}×{spp} = {width * height * spp}")
    arr = np.frombuffer(data, dtype=np.uint8).reshape((height, width) if spp == 1 else (height, width, 3))
    return Pixels(arr)


def frame_from_array(arr: NDArray[np.generic]) -> Pixels:
    """Pixels from a numpy array: uint8 (rows, cols) or (rows, cols, 3); uint16 (rows, cols)."""
    ok_shape = arr.ndim == 2 or (arr.ndim == 3 and arr.shape[2] == 3)
    if not ok_shape or arr.dtype not in (np.uint8, np.uint16) or (arr.dtype == np.uint16 and arr.ndim != 2):
        raise MediaError("still.bad_frame", detail=f"shape {arr.shape}, dtype {arr.dtype}")
    check_size("raw frame", int(arr.shape[0]), int(arr.shape[1]))
    return Pixels(np.ascontiguousarray(arr))


def to_8bit(pixels: Pixels) -> Pixels:
    """Scale 16-bit grey to 8 bits (for IODs that require BA 8, PS3.3 C.8.12.1)."""
    if pixels.bits == 8:
        return pixels
    arr = pixels.array.astype(np.uint32)
    top = int(arr.max()) or 1
    return replace(pixels, array=(arr * 255 // top).astype(np.uint8),
                   changes=(*pixels.changes, f"reduced from 16 to 8 bits per sample (0 … {top} scaled to 0 … 255)"))


def encode_baseline_jpeg(pixels: Pixels, quality: int) -> bytes:
    """Baseline (SOF0) JPEG, 4:2:0 YCbCr for colour, without JFIF-irrelevant extras."""
    arr = to_8bit(pixels).array
    im = Image.fromarray(arr, mode="L" if arr.ndim == 2 else "RGB")
    out = io.BytesIO()
    im.save(out, format="JPEG", quality=quality, subsampling=2, progressive=False, optimize=False)
    return out.getvalue()
