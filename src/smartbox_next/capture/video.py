"""Probe a video file with PyAV: container, codec, profile, level, size, aspect, rate, frames, audio.

The probe looks at the stream's real parameters, never at the file name. It reads container
structure (MP4 box sizes, MPEG-TS packet alignment) and demuxes packets without decoding them
(only the first frame is decoded, to prove the stream decodes and to see stereo side data), so a
2 GB file costs one sequential read at most and memory stays flat.

Bad input raises :class:`MediaError` (unreadable, truncated, no video stream, zero frames, corrupt).
"""

from __future__ import annotations

import logging
import struct
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av

from smartbox_next.errors import MediaError

log = logging.getLogger(__name__)

# ffmpeg field_order values (AVFieldOrder): 1 progressive, 2..5 interlaced orders, 0 unknown.
_PROGRESSIVE = 1

_MP4_BRANDS_QUICKTIME = {"qt  "}
_CONTAINERS = {
    "mpegts": "mpegts",
    "mpeg": "mpeg-ps",
    "h264": "h264-es",
    "hevc": "hevc-es",
    "mpegvideo": "mpeg2-es",
    "matroska,webm": "matroska",
}
_AUDIO_CODECS = {"mp3float": "mp3", "mp3": "mp3", "mp2float": "mp2", "mp2": "mp2", "aac": "aac",
                 "ac3": "ac3", "ac3_fixed": "ac3"}


@dataclass(frozen=True)
class AudioInfo:
    """One audio stream of the container (PS3.5 §8.2.12 limits are checked in ``media.syntax``)."""

    index: int
    codec: str  # normalised: aac, mp3, mp2, ac3, pcm_s16le, opus …
    channels: int
    sample_rate: int
    bit_rate: int  # 0 when the container does not say


@dataclass(frozen=True)
class VideoInfo:
    """What the video stream and its container really are."""

    path: Path
    size: int  # file size in bytes
    container: str  # mp4, quicktime, mpegts, mpeg-ps, h264-es, hevc-es, mpeg2-es, matroska, webm, <ffmpeg name>
    format_name: str  # ffmpeg's demuxer name
    codec: str  # ffmpeg codec name: h264, mpeg2video, hevc, vp8, vp9, mjpeg …
    profile: str | None  # "High", "Main", "Main 10", "Stereo High" …
    level: int | None  # H.264 level_idc (41 = 4.1), MPEG-2 level code (8 ML, 4 HL), HEVC general_level_idc (L*30)
    width: int
    height: int
    sar: Fraction  # sample (pixel) aspect ratio; 1 when unsignalled
    frame_rate: Fraction
    frame_count: int
    duration: float  # seconds
    interlaced: bool
    pix_fmt: str
    stereo_3d: bool  # frame-packing / stereo side data on the first frame
    audio: tuple[AudioInfo, ...]
    brand: str | None = None  # MP4 major brand
    codec_long_name: str = ""  # FFmpeg's name of the codec, e.g. "On2 VP8"
    codec_lossless: bool = False  # the codec is lossless only (FFV1, HuffYUV, raw video …)

    @property
    def display_aspect(self) -> Fraction:
        """Display aspect ratio = width × SAR / height."""
        return Fraction(self.width, self.height) * self.sar

    @property
    def frame_time_ms(self) -> float:
        """Nominal Frame Time (0018,1063) in ms (33.367 for 29.97 fps)."""
        return 1000.0 / float(self.frame_rate)

    def label(self) -> str:
        """The stream in plain words for a Derivation Description: only what is known, no placeholders.

        E.g. "H.264 High profile level 4.1, 1280x720, 25 fps, MP4".
        """
        name = CODEC_LABELS.get(self.codec) or self.codec_long_name or self.codec.upper()
        parts = [name]
        if self.profile and self.profile.lower() not in ("unknown", "none"):
            parts.append(f"{self.profile} profile")
        level = _level_text(self.codec, self.level)
        if level:
            parts.append(f"level {level}")
        rate = f"{float(self.frame_rate):.3f}".rstrip("0").rstrip(".") if self.frame_rate else ""
        details = [f"{self.width}x{self.height}"] + ([f"{rate} fps"] if rate else [])
        if self.interlaced:
            details.append("interlaced")
        details.append(CONTAINER_LABELS.get(self.container, self.container))
        return " ".join(parts) + ", " + ", ".join(details)

    def describe(self) -> str:
        """One line for logs and messages (no patient data)."""
        rate = f"{float(self.frame_rate):.3f}".rstrip("0").rstrip(".")
        return (f"{self.codec} {self.profile or '?'}@{self.level if self.level is not None else '?'} "
                f"{self.width}x{self.height} {rate} fps{' interlaced' if self.interlaced else ''} "
                f"in {self.container}, {self.frame_count} frames")


CODEC_LABELS = {"h264": "H.264", "hevc": "HEVC/H.265", "mpeg2video": "MPEG-2", "mpeg1video": "MPEG-1",
                "mpeg4": "MPEG-4 Part 2", "mjpeg": "Motion JPEG", "vp8": "VP8", "vp9": "VP9", "av1": "AV1",
                "theora": "Theora", "prores": "ProRes", "ffv1": "FFV1", "rawvideo": "uncompressed video"}
CONTAINER_LABELS = {"mp4": "MP4", "quicktime": "QuickTime", "mpegts": "MPEG-TS", "mpeg-ps": "MPEG-PS",
                    "h264-es": "raw H.264 stream", "hevc-es": "raw HEVC stream", "mpeg2-es": "raw MPEG-2 stream",
                    "matroska": "Matroska", "webm": "WebM", "avi": "AVI"}
_MPEG2_LEVELS = {4: "High", 6: "High 1440", 8: "Main", 10: "Low"}


def _level_text(codec: str, level: int | None) -> str:
    if level is None or level <= 0:
        return ""
    if codec == "h264":
        return f"{level / 10:g}"
    if codec == "hevc":
        return f"{level / 30:g}"
    if codec == "mpeg2video":
        return _MPEG2_LEVELS.get(level, "")
    return ""


def _codec_facts(name: str) -> tuple[str, bool]:
    """(long name, lossless-only) from FFmpeg's codec descriptor."""
    try:
        codec = av.codec.Codec(name, "r")
    except Exception:  # an unknown decoder name: no facts, nothing invented
        return "", False
    return str(codec.long_name or ""), bool(codec.lossless and not codec.lossy)


def _fail(key: str, path: Path, **params: Any) -> MediaError:
    return MediaError(key, path=str(path), **params)


def _mp4_boxes(path: Path, size: int) -> tuple[str | None, set[str]]:
    """Walk the top-level ISO BMFF boxes (ISO/IEC 14496-12 §4.2); return the major brand and box types.

    A box claiming more bytes than the file holds means the file was cut off.
    """
    brand: str | None = None
    seen: set[str] = set()
    with path.open("rb") as fh:
        pos = 0
        while pos < size:
            fh.seek(pos)
            head = fh.read(16)
            if len(head) < 8:
                if size - pos < 8 and not head.strip(b"\x00"):
                    break  # a pad byte after the last box (odd stream in an even DICOM fragment)
                raise _fail("media.truncated", path, detail=f"incomplete box header at byte {pos}")
            box_size, box_type = struct.unpack(">I4s", head[:8])
            kind = box_type.decode("latin-1")
            if box_size == 1:
                if len(head) < 16:
                    raise _fail("media.truncated", path, detail=f"incomplete box header at byte {pos}")
                box_size = struct.unpack(">Q", head[8:16])[0]
            elif box_size == 0:
                box_size = size - pos
            if box_size < 8:
                raise _fail("media.corrupt", path, detail=f"invalid box size {box_size} at byte {pos}")
            if pos + box_size > size:
                raise _fail("media.truncated", path,
                            detail=f"box '{kind}' needs {pos + box_size} bytes, file has {size}")
            if kind == "ftyp":
                brand = head[8:12].decode("latin-1")
            seen.add(kind)
            pos += box_size
    if "moov" not in seen:
        raise _fail("media.truncated", path, detail="no 'moov' box")
    return brand, seen


def _container(fmt: str, brand: str | None) -> str:
    if "mp4" in fmt:
        return "quicktime" if brand in _MP4_BRANDS_QUICKTIME else "mp4"
    if fmt == "matroska,webm":
        return "matroska"
    return _CONTAINERS.get(fmt, fmt)


def _audio(stream: Any) -> AudioInfo:
    cc = stream.codec_context
    name = cc.codec.name
    return AudioInfo(index=stream.index, codec=_AUDIO_CODECS.get(name, name), channels=int(cc.channels or 0),
                     sample_rate=int(cc.sample_rate or 0), bit_rate=int(cc.bit_rate or 0))


def _stereo(frame: Any) -> bool:
    try:
        return any("STEREO3D" in str(getattr(sd, "type", "")).upper() for sd in frame.side_data)
    except (TypeError, AttributeError):  # pragma: no cover - depends on the PyAV build
        return False


def probe(path: Path | str) -> VideoInfo:
    """Probe ``path`` (PS3.5 §8.2.5–8.2.11 need codec, profile, level, size, rate, container).

    Raises MediaError for a missing, unreadable, truncated or empty file or one without video.
    """
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise _fail("media.unreadable", path, detail=exc.strerror or str(exc)) from None
    if size == 0:
        raise _fail("media.truncated", path, detail="empty file")
    with path.open("rb") as fh:
        head = fh.read(12)
    if head[4:8] == b"ftyp":  # ISO BMFF: a cut-off file is reported as truncated, not as unreadable
        _mp4_boxes(path, size)
    try:
        container = av.open(str(path), metadata_errors="ignore")
    except (av.error.FFmpegError, UnicodeDecodeError, ValueError) as exc:
        raise _fail("media.unreadable", path, detail=str(exc)) from None
    with container:
        fmt = container.format.name
        brand = _mp4_boxes(path, size)[0] if "mp4" in fmt else None
        if fmt == "mpegts" and size % 188 > 1 and size % 192 > 1:  # 1 = DICOM pad byte
            raise _fail("media.truncated", path, detail=f"{size} bytes is not a whole number of TS packets")
        if not container.streams.video:
            raise _fail("media.no_video", path)
        vs = container.streams.video[0]
        cc = vs.codec_context
        audio = tuple(_audio(s) for s in container.streams.audio)
        rate = vs.average_rate or vs.guessed_rate or cc.framerate or Fraction(0)
        frames = int(vs.frames or 0)
        if frames == 0:
            frames = _count_packets(container, vs, path)
        if frames == 0 or not cc.width or not cc.height:
            raise _fail("media.no_frames", path)
        first = _first_frame(path, vs.index)
        if vs.duration is not None and vs.time_base is not None and "mp4" in fmt:
            duration = float(vs.duration * vs.time_base)
        elif container.duration:
            duration = container.duration / 1_000_000
        else:
            duration = frames / float(rate) if rate else 0.0
        if not rate:
            rate = Fraction(frames) / Fraction(duration).limit_denominator(1000) if duration else Fraction(25)
        sar = cc.sample_aspect_ratio or Fraction(1)
        field_order = getattr(cc, "field_order", _PROGRESSIVE)
        interlaced = bool(first.interlaced_frame) or field_order not in (0, _PROGRESSIVE)
        info = VideoInfo(
            path=path, size=size, container=_container(fmt, brand), format_name=fmt, codec=cc.name,
            profile=cc.profile, level=cc.level if cc.level is not None and cc.level >= 0 else None,
            width=cc.width, height=cc.height, sar=Fraction(sar), frame_rate=Fraction(rate), frame_count=frames,
            duration=duration, interlaced=interlaced, pix_fmt=cc.pix_fmt or first.format.name,
            stereo_3d=_stereo(first), audio=audio, brand=brand,
            codec_long_name=_codec_facts(cc.name)[0], codec_lossless=_codec_facts(cc.name)[1],
        )
    log.debug("probed %s: %s", path.name, info.describe())
    return info


def _count_packets(container: Any, vs: Any, path: Path) -> int:
    """Count video packets by demuxing (no decoding) — for containers without a frame count."""
    n = 0
    try:
        for packet in container.demux(vs):
            if packet.size:
                n += 1
    except av.error.FFmpegError as exc:
        raise _fail("media.corrupt", path, detail=str(exc)) from None
    return n


def _first_frame(path: Path, index: int) -> Any:
    """Decode the first frame (proves the stream decodes); MediaError when none comes out."""
    try:
        with av.open(str(path)) as c:
            for frame in c.decode(c.streams[index]):
                return frame
    except av.error.FFmpegError as exc:
        raise _fail("media.corrupt", path, detail=str(exc)) from None
    raise _fail("media.no_frames", path)

