"""The derivation history of an object's pixels: what was done to them, in plain words, and every lossy step.

PS3.3 C.7.6.1.1.2 (Image Type): an image whose pixel values were derived from another image is DERIVED;
C.7.6.1.1.5 (Lossy Image Compression): "01" once any lossy step happened, never reset; Lossy Image Compression
Method (0028,2114) and Ratio (0028,2112) have one value per lossy step, in the same order, oldest first
(C.7.6.1.1.5.1/.2). General Image: Derivation Description (0008,2111) and Derivation Code Sequence (0008,9215),
codes of CID 7203 "Image Derivation" (PS3.16) where one exists (113040 Lossy Compression, 113085 Spatial
resampling).

A builder collects a :class:`History` while it works — the lossy steps that the source already carried and the
ones it applies, and every change of the pixel values (alpha composited, 16 → 8 bits, rotated, scaled,
colour-converted) — and :meth:`History.apply` writes all of these attributes from it, so they always agree.
The rule for DERIVED: the pixels were changed, or a lossy step was applied to an image that reached the
station as a file (a lossy copy of another image, DICOM_RULES §2.2). The first lossy encoding of pixels
straight from the sensor/grabber keeps the image ORIGINAL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pydicom.dataset import Dataset
from pydicom.multival import MultiValue
from pydicom.sequence import Sequence as DicomSequence

from smartbox_next.iod.common import put

if TYPE_CHECKING:  # PyAV is loaded only for video inputs; these helpers only read attributes
    from smartbox_next.capture.syntax import TranscodePlan
    from smartbox_next.capture.video import VideoInfo

LOSSY_COMPRESSION = ("113040", "DCM", "Lossy Compression")  # CID 7203
SPATIAL_RESAMPLING = ("113085", "DCM", "Spatial resampling")  # CID 7203


@dataclass(frozen=True)
class LossyStep:
    """One lossy encoding: Lossy Image Compression Method term and the ratio of that step (n of n:1)."""

    method: str
    ratio: float


def ratio_text(ratio: float) -> str:
    """A DS value for a compression ratio (≤ 16 characters)."""
    return f"{ratio:.4g}"[:16]


@dataclass
class History:
    """What happened to the pixels, oldest first; ``derived`` when the pixel values are not the source's."""

    lossy: list[LossyStep] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)
    codes: list[tuple[str, str, str]] = field(default_factory=list)
    derived: bool = False

    def add_lossy(self, method: str, ratio: float, *, derives: bool = False, what: str = "") -> None:
        """A lossy step; ``derives`` when it makes a lossy copy of an image handed in (not the first encoding
        of sensor pixels), then ``what`` says it in words and the code 113040 is recorded."""
        self.lossy.append(LossyStep(method, ratio))
        if derives:
            self.derived = True
            if what:
                self.changes.append(what)
            self.code(LOSSY_COMPRESSION)

    def change(self, what: str, code: tuple[str, str, str] | None = None) -> None:
        """The pixel values were changed (always DERIVED)."""
        self.derived = True
        self.changes.append(what)
        if code is not None:
            self.code(code)

    def code(self, code: tuple[str, str, str]) -> None:
        if code not in self.codes:
            self.codes.append(code)

    @property
    def description(self) -> str:
        text = "; ".join(dict.fromkeys(self.changes))
        return text[:1024]

    def apply(self, ds: Dataset, *, type2: bool = True) -> None:
        """Write Image Type value 1, Lossy Image Compression/Method/Ratio and the derivation attributes.

        ``type2``: write Lossy Image Compression "00" when nothing was lossy (VL Image: Type 2; SC: the
        project always says it).
        """
        image_type = [str(v) for v in (ds.get("ImageType") or ["ORIGINAL", "PRIMARY"])]
        image_type[0] = "DERIVED" if self.derived else "ORIGINAL"
        put(ds, "ImageType", image_type)
        if self.lossy:
            put(ds, "LossyImageCompression", "01")
            methods = [s.method for s in self.lossy]
            ratios = [ratio_text(s.ratio) for s in self.lossy]
            put(ds, "LossyImageCompressionMethod", methods if len(methods) > 1 else methods[0])
            put(ds, "LossyImageCompressionRatio", ratios if len(ratios) > 1 else ratios[0])
        elif type2:
            put(ds, "LossyImageCompression", "00")
        for keyword in ("DerivationDescription", "DerivationCodeSequence"):
            if keyword in ds:
                del ds[keyword]
        if self.derived:
            put(ds, "DerivationDescription", self.description or "derived from the source image")
            if self.codes:
                items = []
                for value, scheme, meaning in self.codes:
                    item = Dataset()
                    item.CodeValue, item.CodingSchemeDesignator, item.CodeMeaning = value, scheme, meaning
                    items.append(item)
                put(ds, "DerivationCodeSequence", DicomSequence(items))

    @classmethod
    def from_dataset(cls, ds: Dataset) -> History:
        """The history an existing object records (for a further step, e.g. the sender's re-encoding)."""
        methods = _values(ds, "LossyImageCompressionMethod")
        ratios = _values(ds, "LossyImageCompressionRatio")
        lossy = [LossyStep(str(m), float(str(r))) for m, r in zip(methods, ratios, strict=False)]
        text = str(ds.get("DerivationDescription", "") or "")
        codes = [(str(i.CodeValue), str(i.CodingSchemeDesignator), str(i.CodeMeaning))
                 for i in ds.get("DerivationCodeSequence", []) or []]
        image_type = _values(ds, "ImageType")
        derived = bool(image_type) and str(image_type[0]) == "DERIVED"
        return cls(lossy=lossy, changes=[text] if text else [], codes=codes, derived=derived)


def _values(ds: Dataset, keyword: str) -> list[object]:
    value = ds.get(keyword)
    if value is None or value == "":
        return []
    return list(value) if isinstance(value, MultiValue | list | tuple) else [value]


# ------------------------------------------------------------------------------------------------ video

VIDEO_METHODS = {"h264": "ISO_14496_10", "hevc": "ISO_23008_2", "mpeg2video": "ISO_13818_2",
                 "mpeg1video": "ISO_11172_2", "mpeg4": "ISO_14496_2", "mjpeg": "ISO_10918_1"}
"""FFmpeg codec -> Lossy Image Compression Method: the Defined Terms of C.7.6.1.1.5.1 where the standard has
one (ISO_10918_1, ISO_13818_2, ISO_14496_10, ISO_23008_2), the ISO number of the other ISO codecs."""


def video_method(info: VideoInfo) -> str | None:
    """The method term of a stream's codec; None for a lossless-only codec (FFV1, HuffYUV, raw video).

    A lossy codec without an ISO number (VP8, VP9, AV1, Theora …) is named by its own short name
    (C.7.6.1.1.5.1 lists Defined Terms, so further terms are allowed); never a placeholder.
    """
    if info.codec_lossless:
        return None
    return VIDEO_METHODS.get(info.codec) or re.sub(r"[^A-Z0-9_]", "_", info.codec.upper())[:16]


def video_ratio(info: VideoInfo) -> float:
    """Compression ratio of a stream: its frames as 8-bit 3-sample pixels over its bytes."""
    return info.width * info.height * 3 * info.frame_count / max(1, info.size)


def source_steps(history: History, info: VideoInfo) -> None:
    """The lossy step the source stream already carries (none for a lossless codec)."""
    method = video_method(info)
    if method is not None:
        history.add_lossy(method, video_ratio(info))


def transcoded(history: History, source: VideoInfo, plan: TranscodePlan, stream: VideoInfo, *,
               purpose: str = "") -> None:
    """A re-encoding of ``source`` by ``plan`` into ``stream``: the new lossy step and every change."""
    target = plan.syntax
    history.change(f"Transcoded{purpose} from {source.label()} to {target.name} ({stream.label()}) "
                   f"by SmartBox Next", LOSSY_COMPRESSION)
    history.lossy.append(LossyStep(target.lossy_method, video_ratio(stream)))
    if (plan.content_width, plan.content_height) != (source.width, source.height):
        padded = (plan.width, plan.height) != (plan.content_width, plan.content_height)
        history.change(f"picture scaled from {source.width}x{source.height} to {plan.content_width}x"
                       f"{plan.content_height}" + (f" and padded to {plan.width}x{plan.height}" if padded else ""),
                       SPATIAL_RESAMPLING)
    elif (plan.width, plan.height) != (source.width, source.height):
        history.change(f"picture padded from {source.width}x{source.height} to {plan.width}x{plan.height}")
    if source.frame_rate and plan.rate != source.frame_rate:
        history.change(f"frame rate changed from {float(source.frame_rate):.3f} to {float(plan.rate):.3f} fps")
