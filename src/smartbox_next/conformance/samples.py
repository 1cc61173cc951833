"""Sample inputs the conformance generator builds real objects from (PS3.2 Annex N.9, Table N.9-1).

Nothing in the statement's object tables is typed by hand: every attribute listed is one a builder of
:mod:`smartbox_next.iod` actually wrote for one of these inputs. The inputs are deliberately tiny:

* stills: a 16×16 / 24×16 baseline JPEG (pass-through), the same with its SOF0 marker turned into SOF1
  (JPEG Extended pass-through), the same with an EXIF orientation (decoded, rotated, DERIVED), and a PNG
  (decoded, then re-encoded as baseline JPEG or stored uncompressed per ``objects.still_encoding``);
* multi-frame SC: a burst of two such stills, timed and untimed, JPEG and uncompressed frames;
* video: :class:`~smartbox_next.capture.video.VideoInfo` descriptions of streams (no file is read) that
  the video table of :mod:`smartbox_next.capture.syntax` maps to each reachable transfer syntax, or plans
  a transcode for.

Each input exists twice (``variant`` 0 and 1) with different sizes, times and identities, so an
attribute whose value is equal in both is FIXED and one that differs is GENERATED.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, replace
from datetime import datetime
from fractions import Fraction
from pathlib import Path

from PIL import Image

from smartbox_next.capture.video import AudioInfo, VideoInfo
from smartbox_next.config import Config, with_overrides

PROBE_TIMES = (datetime(2001, 2, 3, 4, 5, 6), datetime(2002, 3, 4, 5, 6, 7))


def jpeg_bytes(variant: int, *, exif_orientation: int | None = None, fmt: str = "JPEG") -> bytes:
    """A tiny colour image (baseline JPEG 4:2:0, or PNG), different size and colour per variant."""
    size = (16, 16) if variant == 0 else (24, 20)
    img = Image.new("RGB", size, (200, 40, 40) if variant == 0 else (30, 160, 90))
    buf = io.BytesIO()
    if fmt == "PNG":
        img.save(buf, format="PNG")
        return buf.getvalue()
    kwargs: dict[str, object] = {"quality": 90, "subsampling": 2}
    if exif_orientation is not None:
        exif = Image.Exif()
        exif[0x0112] = exif_orientation
        kwargs["exif"] = exif.tobytes()
    img.save(buf, format="JPEG", **kwargs)
    return buf.getvalue()


def as_sof1(data: bytes) -> bytes:
    """The same JPEG declared as Extended (SOF1, 8-bit): a baseline stream is a valid extended stream."""
    pos = data.index(b"\xff\xc0")
    return data[:pos] + b"\xff\xc1" + data[pos + 2:]


@dataclass(frozen=True)
class StillSample:
    """One still input kind and the configuration it is built under."""

    name_en: str
    name_de: str
    fmt: str  # JPEG | SOF1 | EXIF | PNG
    still_encoding: str = "jpeg"

    def data(self, variant: int) -> bytes:
        if self.fmt == "PNG":
            return jpeg_bytes(variant, fmt="PNG")
        if self.fmt == "EXIF":
            return jpeg_bytes(variant, exif_orientation=6)
        raw = jpeg_bytes(variant)
        return as_sof1(raw) if self.fmt == "SOF1" else raw


STILL_SAMPLES = (
    StillSample("camera JPEG, baseline (pass-through)", "Kamera-JPEG, Baseline (unverändert)", "JPEG"),
    StillSample("camera JPEG, extended SOF1 (pass-through)", "Kamera-JPEG, Extended SOF1 (unverändert)", "SOF1"),
    StillSample("JPEG with EXIF rotation (decoded, re-encoded)", "JPEG mit EXIF-Drehung (dekodiert, neu kodiert)",
                "EXIF"),
    StillSample("PNG / raw frame, re-encoded as JPEG", "PNG / Rohbild, als JPEG kodiert", "PNG"),
    StillSample("PNG / raw frame, stored uncompressed", "PNG / Rohbild, unkomprimiert", "PNG", "uncompressed"),
)


@dataclass(frozen=True)
class BurstSample:
    """A burst of stills combined into one Multi-frame True Color SC object."""

    name_en: str
    name_de: str
    encoding: str  # video.multiframe_encoding
    frame_time_ms: float | None


BURST_SAMPLES = (
    BurstSample("timed burst, JPEG frames", "zeitlich geordnete Serie, JPEG-Einzelbilder", "jpeg", 40.0),
    BurstSample("untimed burst, JPEG frames", "ungetaktete Serie, JPEG-Einzelbilder", "jpeg", None),
    BurstSample("timed burst, uncompressed frames", "zeitlich geordnete Serie, unkomprimiert", "uncompressed", 40.0),
)


def _info(codec: str, profile: str | None, level: int | None, width: int, height: int, rate: Fraction, *,
          container: str = "mp4", sar: Fraction = Fraction(1), stereo: bool = False, interlaced: bool = False,
          audio: tuple[AudioInfo, ...] = (), frames: int = 250, size: int = 10_000_000) -> VideoInfo:
    return VideoInfo(path=Path(f"sample-{codec}.{container}"), size=size, container=container, format_name=container,
                     codec=codec, profile=profile, level=level, width=width, height=height, sar=sar,
                     frame_rate=rate, frame_count=frames, duration=float(frames / rate), interlaced=interlaced,
                     pix_fmt="yuv420p", stereo_3d=stereo, audio=audio)


@dataclass(frozen=True)
class VideoSample:
    """A described stream (two variants) and what it demonstrates."""

    name_en: str
    name_de: str
    streams: tuple[VideoInfo, VideoInfo]
    settings: tuple[tuple[str, str, object], ...] = ()  # (section, key, value) overrides


_AAC = AudioInfo(1, "aac", 2, 48000, 192_000)
_R25, _R2997, _R60 = Fraction(25), Fraction(30000, 1001), Fraction(60)

VIDEO_SAMPLES = (
    VideoSample("H.264 High Profile ≤ L4.1", "H.264 High Profile ≤ L4.1",
                (_info("h264", "High", 40, 1280, 720, _R25),
                 _info("h264", "High", 41, 1920, 1080, _R2997, frames=300))),
    VideoSample("H.264 High Profile L4.2 (1080p60)", "H.264 High Profile L4.2 (1080p60)",
                (_info("h264", "High", 42, 1920, 1080, _R60), _info("h264", "High", 42, 1920, 1080, Fraction(50)))),
    VideoSample("H.264 L4.2 frame-packed stereo", "H.264 L4.2 Stereo (Frame Packing)",
                (_info("h264", "High", 42, 1920, 1080, _R25, stereo=True),
                 _info("h264", "High", 42, 1280, 720, _R60, stereo=True))),
    VideoSample("H.264 Stereo High Profile", "H.264 Stereo High Profile",
                (_info("h264", "Stereo High", 42, 1920, 1080, _R25),
                 _info("h264", "Stereo High", 41, 1280, 720, _R25))),
    VideoSample("MPEG-2 MP@ML, non-square pixels, with audio", "MPEG-2 MP@ML, nicht quadratische Pixel, mit Ton",
                (_info("mpeg2video", "Main", 8, 720, 576, _R25, container="mpegts", sar=Fraction(16, 15),
                       audio=(AudioInfo(1, "mp3", 2, 48000, 192_000),)),
                 _info("mpeg2video", "Main", 8, 720, 480, _R2997, container="mpegts", sar=Fraction(8, 9),
                       audio=(AudioInfo(1, "mp3", 1, 44100, 128_000),)))),
    VideoSample("MPEG-2 MP@HL", "MPEG-2 MP@HL",
                (_info("mpeg2video", "Main", 4, 1920, 1080, _R25, container="mpegts"),
                 _info("mpeg2video", "Main", 4, 1280, 720, Fraction(50), container="mpegts"))),
    VideoSample("HEVC Main ≤ L5.1, with audio", "HEVC Main ≤ L5.1, mit Ton",
                (_info("hevc", "Main", 123, 1920, 1080, _R25, audio=(_AAC,)),
                 _info("hevc", "Main", 150, 3840, 2160, _R2997, audio=(_AAC,)))),
    VideoSample("VP9 (no DICOM syntax), transcoded to H.264", "VP9 (keine DICOM-Syntax), nach H.264 umkodiert",
                (_info("vp9", None, None, 1280, 720, _R25, container="webm"),
                 _info("vp9", None, None, 1920, 1080, _R2997, container="webm"))),
    VideoSample("VP9 HD, transcoded to MPEG-2 MP@HL", "VP9 HD, nach MPEG-2 MP@HL umkodiert",
                (_info("vp9", None, None, 1920, 1080, _R25, container="webm"),
                 _info("vp9", None, None, 1280, 720, Fraction(50), container="webm")),
                (("video", "transcode_target", "mpeg2"),)),
    VideoSample("VP9 SD, transcoded to MPEG-2 MP@ML", "VP9 SD, nach MPEG-2 MP@ML umkodiert",
                (_info("vp9", None, None, 640, 480, _R25, container="webm"),
                 _info("vp9", None, None, 720, 576, _R25, container="webm")),
                (("video", "transcode_target", "mpeg2"),)),
)
"""Streams for every transfer syntax the video table can choose; rows never chosen are explained by tests."""


def configured(config: Config, settings: tuple[tuple[str, str, object], ...]) -> Config:
    """``config`` with the sample's overrides applied (validated like the file's)."""
    for section, key, value in settings:
        config = with_overrides(config, section, **{key: value})
    return config


def long_stream(info: VideoInfo, config: Config) -> VideoInfo:
    """The same stream, larger than one fragment (``video.max_fragment_bytes``)."""
    return replace(info, size=config.video.max_fragment_bytes + 2)
