"""Still-image objects: Secondary Capture (PS3.3 A.8.1), VL Endoscopic (A.32.1), VL Photographic (A.32.4).

A conformant camera JPEG is encapsulated byte for byte (DESIGN principle 3):
SOF0 8-bit → JPEG Baseline 1.2.840.10008.1.2.4.50, SOF1 8/12-bit → JPEG Extended .51 (PS3.5 §8.2.1),
with the Photometric Interpretation of the stream itself (YBR_FULL_422 for YCbCr, MONOCHROME2 for one
component, RGB only for an RGB stream in SC — the VL IODs forbid it, PS3.3 C.8.12.1.1.2).
Everything else is decoded and re-encoded as baseline JPEG or stored uncompressed (Explicit VR LE),
as configured; the derivation history (:mod:`.history`) says what was done: a lossy copy of an image handed in
(a second lossy step, or a lossless PNG/BMP/TIFF stored as JPEG) and every change of the pixel values
(rotated, alpha composited, colour-converted, 16 → 8 bits) make the image DERIVED (PS3.3 C.7.6.1.1.2).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pydicom import config as pydicom_config
from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset
from pydicom.uid import ExplicitVRLittleEndian, JPEGBaseline8Bit, JPEGExtended12Bit

from smartbox_next.capture.image import Pixels, StillImage, decode, encode_baseline_jpeg, to_8bit
from smartbox_next.capture.jpeg import ColorSpace, JpegInfo, JpegProcess
from smartbox_next.config import Config
from smartbox_next.dicom import sop as sops
from smartbox_next.errors import MediaError
from smartbox_next.exam.model import Exam
from smartbox_next.iod.common import add_acquisition_context, finalize, new_dataset, put
from smartbox_next.iod.history import History
from smartbox_next.iod.writer import PIXEL_DATA, encapsulate_frame

JPEG_METHOD = "ISO_10918_1"


@dataclass(frozen=True)
class StillCapture:
    """What the station captured: an encoded file, or raw pixels from a grabber."""

    image: StillImage | None = None
    pixels: Pixels | None = None
    conversion_type: str | None = None  # SC Conversion Type; None = configured default
    content_time: datetime | None = None

    @property
    def name(self) -> str:
        return self.image.name if self.image else "raw frame"


@dataclass(frozen=True)
class PassThrough:
    """How a JPEG goes in unchanged: transfer syntax and photometric interpretation."""

    transfer_syntax_uid: str
    photometric: str


def pass_through(info: JpegInfo, sop: sops.SopClass) -> PassThrough | None:
    """The pass-through plan for a JPEG, or None when it must be decoded (PS3.5 §8.2.1, §10.3)."""
    if info.arithmetic or info.hierarchical or info.exif_orientation not in (None, 1):
        return None
    if info.process is JpegProcess.BASELINE and info.precision == 8:
        ts = JPEGBaseline8Bit
    elif info.process is JpegProcess.EXTENDED and info.precision in (8, 12) and info.sof_marker == 0xC1:
        if sop.vl and info.precision != 8:
            return None  # VL Image: Bits Allocated 8 only (C.8.12.1.1)
        ts = JPEGExtended12Bit
    else:
        return None
    spp = info.samples_per_pixel
    if spp == 1 and info.color_space is ColorSpace.GRAY:
        return PassThrough(ts, "MONOCHROME2")
    if spp == 3 and info.color_space is ColorSpace.YCBCR:
        return PassThrough(ts, "YBR_FULL_422")
    if spp == 3 and info.color_space is ColorSpace.RGB and not sop.vl:
        return PassThrough(ts, "RGB")
    return None


def _pixel_module(ds: Dataset, rows: int, columns: int, spp: int, photometric: str, bits_stored: int) -> None:
    """Image Pixel module (PS3.3 C.7.6.3)."""
    put(ds, "SamplesPerPixel", spp)
    put(ds, "PhotometricInterpretation", photometric)
    if spp > 1:
        put(ds, "PlanarConfiguration", 0)
    put(ds, "Rows", rows)
    put(ds, "Columns", columns)
    put(ds, "BitsAllocated", 8 if bits_stored <= 8 else 16)
    put(ds, "BitsStored", bits_stored)
    put(ds, "HighBit", bits_stored - 1)
    put(ds, "PixelRepresentation", 0)


def _encapsulated(ds: Dataset, frame: bytes) -> None:
    """Pixel Data = one-entry Basic Offset Table + the frame as one fragment (PS3.5 §A.4), copied once.

    The same bytes as ``pydicom.encaps.encapsulate([frame])``; ``iod.writer`` writes them after the header.
    """
    elem = DataElement(PIXEL_DATA, "OB", encapsulate_frame(frame), validation_mode=pydicom_config.IGNORE)
    elem.is_undefined_length = True
    ds[PIXEL_DATA] = elem


def build_still(config: Config, exam: Exam, capture: StillCapture, sop: sops.SopClass = sops.SC) -> Dataset:
    """A validated still object for ``capture`` (raises InputError subclasses on bad input)."""
    if sop.kind is not sops.SopKind.STILL:
        raise ValueError(f"{sop.name} is not a still-image SOP class")
    image = capture.image
    plan = pass_through(image.jpeg, sop) if image is not None and image.jpeg is not None else None
    if image is not None and image.jpeg is not None and plan is not None:
        ds = new_dataset(config, exam, sop, transfer_syntax_uid=plan.transfer_syntax_uid,
                         content_time=capture.content_time)
        info = image.jpeg
        _pixel_module(ds, info.rows, info.columns, info.samples_per_pixel, plan.photometric, info.precision)
        _encapsulated(ds, image.data)
        raw = info.rows * info.columns * info.samples_per_pixel * (1 if info.precision == 8 else 2)
        history = History()
        history.add_lossy(JPEG_METHOD, raw / len(image.data))  # the camera's own encoding, bytes unchanged
        history.apply(ds)
        if info.icc_profile and info.samples_per_pixel == 3:
            ds.ICCProfile = info.icc_profile  # must equal the APP2 profile (PS3.5 §8.2.1)
    else:
        ds = _decoded_still(config, exam, capture, sop)
    _iod_modules(ds, config, exam, capture, sop)
    return finalize(ds, config)


def _decoded_still(config: Config, exam: Exam, capture: StillCapture, sop: sops.SopClass) -> Dataset:
    """Decode, then re-encode as baseline JPEG or store uncompressed, recording the history (:mod:`.history`).

    DERIVED when the pixel values changed (rotated, alpha composited, colour-converted, 16 → 8 bits) or when
    an image handed in as a file is stored lossy (a lossy copy of another image, PS3.3 C.7.6.1.1.2); raw pixels
    from a grabber encoded once stay ORIGINAL (the capture's own encoding, DICOM_RULES §2.2).
    """
    image = capture.image
    if image is not None:
        if image.jpeg is not None and image.jpeg.process is JpegProcess.LOSSLESS and image.jpeg.precision > 8:
            raise MediaError("still.cannot_decode", path=image.name, detail="lossless JPEG over 8 bits")
        pixels = decode(image)
    elif capture.pixels is not None:
        pixels = capture.pixels
    else:
        raise ValueError("capture has neither image nor pixels")
    history = History()
    if image is not None and pixels.source_lossy:
        raw_size = pixels.rows * pixels.columns * pixels.samples_per_pixel * (pixels.bits // 8)
        history.add_lossy(JPEG_METHOD, raw_size / len(image.data))
    if sop.vl or config.objects.still_encoding == "jpeg":
        pixels = to_8bit(pixels)  # VL Image: 8 bits (C.8.12.1); baseline JPEG: 8 bits (PS3.5 §8.2.1)
    for change in pixels.changes:
        history.change(change)
    spp = pixels.samples_per_pixel
    raw_size = pixels.rows * pixels.columns * spp * (pixels.bits // 8)
    if config.objects.still_encoding == "jpeg":
        frame = encode_baseline_jpeg(pixels, config.objects.jpeg_quality)
        ds = new_dataset(config, exam, sop, transfer_syntax_uid=JPEGBaseline8Bit, content_time=capture.content_time)
        _pixel_module(ds, pixels.rows, pixels.columns, spp, "MONOCHROME2" if spp == 1 else "YBR_FULL_422", 8)
        _encapsulated(ds, frame)
        if image is None:  # grabbed pixels: the first (capture) encoding
            history.add_lossy(JPEG_METHOD, raw_size / len(frame))
        else:
            source = f"{'lossy' if pixels.source_lossy else 'lossless'} {pixels.source_format or 'image'} source"
            verb = "re-encoded" if pixels.source_lossy else "compressed"
            history.add_lossy(JPEG_METHOD, raw_size / len(frame), derives=True,
                              what=f"{source} decoded and {verb} as lossy baseline JPEG (quality "
                                   f"{config.objects.jpeg_quality})")
    else:
        ds = new_dataset(config, exam, sop, transfer_syntax_uid=ExplicitVRLittleEndian,
                         content_time=capture.content_time)
        _pixel_module(ds, pixels.rows, pixels.columns, spp, "MONOCHROME2" if spp == 1 else "RGB", pixels.bits)
        ds.PixelData = pixels.array.tobytes()
        ds["PixelData"].VR = "OB" if pixels.bits == 8 else "OW"
    history.apply(ds)
    return ds


def _iod_modules(ds: Dataset, config: Config, exam: Exam, capture: StillCapture, sop: sops.SopClass) -> None:
    """The modules that differ per IOD: SC Equipment + SC Image, or Acquisition Context + VL Image.

    Every still carries the exam's Anatomic Region Sequence when the region is known (``common.new_dataset``).
    """
    if sop.vl:
        add_acquisition_context(ds)  # PS3.3 C.7.6.14, Type 2
        if "LossyImageCompression" not in ds:
            put(ds, "LossyImageCompression", "00")  # VL Image: Type 2 (C.8.12.1)
        return
    # SC Equipment (PS3.3 C.8.6.1) and SC Image (C.8.6.2)
    put(ds, "ConversionType", capture.conversion_type or config.objects.conversion_type)
    put(ds, "SecondaryCaptureDeviceManufacturer", config.device.manufacturer)
    put(ds, "SecondaryCaptureDeviceManufacturerModelName", config.device.model_name)
    put(ds, "SecondaryCaptureDeviceSoftwareVersions", config.device.software_versions)
    put(ds, "DateOfSecondaryCapture", ds.InstanceCreationDate)
    put(ds, "TimeOfSecondaryCapture", ds.InstanceCreationTime)
    if "LossyImageCompression" not in ds:
        put(ds, "LossyImageCompression", "00")
