"""THE transfer-syntax table (PS3.5 §8, §10, Annex A; PS3.6 Table A-1) and the honest conversions between syntaxes.

* the families: native (uncompressed), JPEG, MPEG-2, H.264, HEVC — which are lossy, which are fragmentable;
* every video transfer syntax as a :class:`VideoSyntax` (codec, fragmentable twin, lossy method, section);
* :func:`conversions`: the syntaxes an object can be sent in besides its own without lying about its encoding
  (PS3.5 §10; DICOM_RULES §4) — Explicit ↔ Implicit VR LE, decoded JPEG, the fragmentable twin of a video
  stream, and whatever video re-encodings the caller can do.

Which stream *fits* which video syntax (profile, level, size, rate) is capture's business
(:mod:`smartbox_next.capture.syntax`); this module holds only the standard's facts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

EXPLICIT_VR_LE = "1.2.840.10008.1.2.1"
IMPLICIT_VR_LE = "1.2.840.10008.1.2"
JPEG_BASELINE = "1.2.840.10008.1.2.4.50"
JPEG_EXTENDED = "1.2.840.10008.1.2.4.51"

NATIVE = frozenset({IMPLICIT_VR_LE, EXPLICIT_VR_LE, "1.2.840.10008.1.2.1.99", "1.2.840.10008.1.2.2"})
"""Uncompressed (and deflated) syntaxes: Pixel Data native (PS3.5 §8.1)."""
JPEG_LOSSY = {JPEG_BASELINE: "baseline", JPEG_EXTENDED: "extended"}
JPEG_ALL = frozenset({*JPEG_LOSSY, "1.2.840.10008.1.2.4.57", "1.2.840.10008.1.2.4.70"})
MPEG2 = frozenset({f"1.2.840.10008.1.2.4.{n}" for n in ("100", "100.1", "101", "101.1")})
H264 = frozenset({f"1.2.840.10008.1.2.4.{n}{s}" for n in range(102, 107) for s in ("", ".1")})
HEVC = frozenset({"1.2.840.10008.1.2.4.107", "1.2.840.10008.1.2.4.108"})
VIDEO_TS = MPEG2 | H264 | HEVC
NON_FRAGMENTABLE = frozenset({f"1.2.840.10008.1.2.4.{n}" for n in range(100, 107)})
LOSSY_TS = frozenset({*JPEG_LOSSY, *VIDEO_TS, "1.2.840.10008.1.2.4.81", "1.2.840.10008.1.2.4.91",
                      "1.2.840.10008.1.2.4.203"})
METHOD_FOR = {**dict.fromkeys(JPEG_LOSSY, "ISO_10918_1"), **dict.fromkeys(MPEG2, "ISO_13818_2"),
              **dict.fromkeys(H264, "ISO_14496_10"), **dict.fromkeys(HEVC, "ISO_23008_2")}

MAX_FRAGMENT = 2**32 - 2  # PS3.5 §A.4: item length is 32 bit, even; 0xFFFFFFFF is "undefined"


@dataclass(frozen=True)
class VideoSyntax:
    """A video transfer syntax (PS3.6 Table A-1) and what it carries."""

    uid: str
    name: str
    codec: str  # mpeg2 | h264 | hevc
    fragmentable: bool
    twin: str  # the fragmentable (or non-fragmentable) twin UID; same UID for HEVC
    lossy_method: str  # Lossy Image Compression Method (0028,2114), PS3.3 C.7.6.1.1.5
    section: str


def _vs(uid: str, name: str, codec: str, fragmentable: bool, twin: str, section: str) -> VideoSyntax:
    method = {"mpeg2": "ISO_13818_2", "h264": "ISO_14496_10", "hevc": "ISO_23008_2"}[codec]
    return VideoSyntax(uid, name, codec, fragmentable, twin, method, section)


_P = "1.2.840.10008.1.2.4."
MPEG2_MPML = _vs(_P + "100", "MPEG2 Main Profile / Main Level", "mpeg2", False, _P + "100.1", "PS3.5 §8.2.5")
MPEG2_MPHL = _vs(_P + "101", "MPEG2 Main Profile / High Level", "mpeg2", False, _P + "101.1", "PS3.5 §8.2.6")
H264_HP41 = _vs(_P + "102", "MPEG-4 AVC/H.264 High Profile / Level 4.1", "h264", False, _P + "102.1",
                "PS3.5 §8.2.7")
H264_BD = _vs(_P + "103", "MPEG-4 AVC/H.264 BD-compatible High Profile / Level 4.1", "h264", False, _P + "103.1",
              "PS3.5 §8.2.7")
H264_HP42_2D = _vs(_P + "104", "MPEG-4 AVC/H.264 High Profile / Level 4.2 For 2D Video", "h264", False,
                   _P + "104.1", "PS3.5 §8.2.8")
H264_HP42_3D = _vs(_P + "105", "MPEG-4 AVC/H.264 High Profile / Level 4.2 For 3D Video", "h264", False,
                   _P + "105.1", "PS3.5 §8.2.8")
H264_STEREO = _vs(_P + "106", "MPEG-4 AVC/H.264 Stereo High Profile / Level 4.2", "h264", False, _P + "106.1",
                  "PS3.5 §8.2.9")
HEVC_MAIN = _vs(_P + "107", "HEVC/H.265 Main Profile / Level 5.1", "hevc", True, _P + "107", "PS3.5 §8.2.10")
HEVC_MAIN10 = _vs(_P + "108", "HEVC/H.265 Main 10 Profile / Level 5.1", "hevc", True, _P + "108", "PS3.5 §8.2.11")

_BASE = (MPEG2_MPML, MPEG2_MPHL, H264_HP41, H264_BD, H264_HP42_2D, H264_HP42_3D, H264_STEREO)
FRAGMENTABLE: dict[str, VideoSyntax] = {
    s.twin: VideoSyntax(s.twin, "Fragmentable " + s.name, s.codec, True, s.uid, s.lossy_method, s.section)
    for s in _BASE
}
ALL_SYNTAXES: dict[str, VideoSyntax] = {s.uid: s for s in (*_BASE, HEVC_MAIN, HEVC_MAIN10)} | FRAGMENTABLE

_NAMES = {
    IMPLICIT_VR_LE: "Implicit VR Little Endian",
    EXPLICIT_VR_LE: "Explicit VR Little Endian",
    "1.2.840.10008.1.2.1.99": "Deflated Explicit VR Little Endian",
    "1.2.840.10008.1.2.2": "Explicit VR Big Endian",
    JPEG_BASELINE: "JPEG Baseline (Process 1)",
    JPEG_EXTENDED: "JPEG Extended (Process 2 & 4)",
    "1.2.840.10008.1.2.4.57": "JPEG Lossless (Process 14)",
    "1.2.840.10008.1.2.4.70": "JPEG Lossless SV1 (Process 14, Selection Value 1)",
    "1.2.840.10008.1.2.4.80": "JPEG-LS Lossless",
    "1.2.840.10008.1.2.4.81": "JPEG-LS Near-Lossless",
    "1.2.840.10008.1.2.4.90": "JPEG 2000 (Lossless Only)",
    "1.2.840.10008.1.2.4.91": "JPEG 2000",
    "1.2.840.10008.1.2.5": "RLE Lossless",
}


def syntax_name(uid: str) -> str:
    """The name of a transfer syntax (PS3.6 Table A-1), e.g. ``JPEG Baseline (Process 1)``; the UID itself when
    it is none SmartBox knows."""
    video = ALL_SYNTAXES.get(uid)
    return video.name if video is not None else _NAMES.get(uid, uid)


CONVERTIBLE_NATIVE = (EXPLICIT_VR_LE, IMPLICIT_VR_LE)
"""Native syntaxes SmartBox converts between (PS3.5 A.1/A.2: same bytes of Pixel Data, other element headers)."""
JPEG_DECODABLE = (JPEG_BASELINE, JPEG_EXTENDED)
"""JPEG syntaxes SmartBox can decode to native for a receiver that takes nothing else."""


def conversions(transfer_syntax: str, video_targets: Callable[[str], Sequence[str]] | None = None) -> list[str]:
    """Syntaxes an object in ``transfer_syntax`` can honestly be sent in besides its own, best first.

    ``video_targets(ts)`` names the video syntaxes the caller can re-encode a ``ts`` stream to (none if absent).
    """
    if transfer_syntax in CONVERTIBLE_NATIVE:
        return [ts for ts in CONVERTIBLE_NATIVE if ts != transfer_syntax]
    if transfer_syntax in JPEG_DECODABLE:
        return list(CONVERTIBLE_NATIVE)
    video = ALL_SYNTAXES.get(transfer_syntax)
    if video is None:
        return []
    out = [video.twin] if video.twin != transfer_syntax else []
    if video_targets is not None:
        out += [ts for ts in video_targets(transfer_syntax) if ts != transfer_syntax]
    return list(dict.fromkeys(out))
