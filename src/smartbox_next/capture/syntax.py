"""THE table: video stream parameters -> video transfer syntax (PS3.5 §8.2.5–8.2.11, DICOM_RULES §2.3–2.8).

Each row names a transfer syntax and checks the stream's *real* parameters (codec, profile, level,
size, frame rate, SAR, interlacing, pixel format, container, audio) against the limits of its section.
:func:`choose_syntax` takes the first row without violations (pass-through: the file is wrapped byte
for byte); when none fits it plans a transcode (:class:`TranscodePlan`) to H.264 High Profile Level 4.1
in MP4 or to MPEG-2 MP@ML / MP@HL in MPEG-TS — or raises :class:`UnsupportedMediaError` when the
configuration forbids transcoding. The decision says which rows failed and why.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction

from smartbox_next.capture.video import AudioInfo, VideoInfo
from smartbox_next.config import VideoConfig
from smartbox_next.dicom.transfer_syntax import (
    ALL_SYNTAXES,
    H264_BD,
    H264_HP41,
    H264_HP42_2D,
    H264_HP42_3D,
    H264_STEREO,
    HEVC_MAIN,
    HEVC_MAIN10,
    MPEG2_MPHL,
    MPEG2_MPML,
    VideoSyntax,
)
from smartbox_next.errors import UnsupportedMediaError

# ----------------------------------------------------------------------------------------------- limits

def _close(rate: Fraction, nominal: float) -> bool:
    return abs(float(rate) - nominal) < 0.01


NTSC = (30000 / 1001, 30.0)
R_2997 = 30000 / 1001
R_5994 = 60000 / 1001
R_23976 = 24000 / 1001


def _any_rate(rate: Fraction, *nominal: float) -> bool:
    return any(_close(rate, n) for n in nominal)


@dataclass(frozen=True)
class H264Level:
    """ITU-T H.264 Table A-1 limits (DICOM_RULES §2.5)."""

    level_idc: int
    max_mbps: int  # macroblocks per second
    max_fs: int  # frame size in macroblocks


L41 = H264Level(41, 245_760, 8_192)
L42 = H264Level(42, 522_240, 8_704)
HEVC_L51_MAX_LUMA_PS = 8_912_896  # ITU-T H.265 Table A.8
HEVC_L51_MAX_LUMA_SR = 534_773_760
HEVC_L51_IDC = 153  # general_level_idc = 30 × 5.1


def macroblocks(width: int, height: int) -> int:
    """16×16 macroblocks per frame."""
    return math.ceil(width / 16) * math.ceil(height / 16)


def h264_level_violations(width: int, height: int, rate: Fraction, level: H264Level) -> list[str]:
    """Frame size, per-dimension and throughput limits of ``level`` (ITU-T H.264 A.3.1)."""
    mbs = macroblocks(width, height)
    out = []
    if mbs > level.max_fs:
        out.append(f"{mbs} macroblocks per frame > {level.max_fs}")
    if max(math.ceil(width / 16), math.ceil(height / 16)) > math.isqrt(8 * level.max_fs):
        out.append(f"a side of {max(width, height)} pixels exceeds sqrt(8·MaxFS) macroblocks")
    if mbs * float(rate) > level.max_mbps:
        out.append(f"{mbs * float(rate):.0f} macroblocks/s > {level.max_mbps}")
    return out


# -------------------------------------------------------------------------------------- audio (§8.2.12)

def _mpeg2_audio(a: AudioInfo, info: VideoInfo) -> str | None:
    """PS3.5 §8.2.5: CBR MPEG-1 Layer III, 32/44.1/48 kHz, one mono or stereo main channel."""
    if a.codec != "mp3":
        return f"audio {a.codec} (MPEG-2 needs MPEG-1 Layer III)"
    if a.sample_rate not in (32000, 44100, 48000) or a.channels > 2:
        return f"audio {a.sample_rate} Hz/{a.channels} ch"
    return None


def _h264_audio(a: AudioInfo, info: VideoInfo) -> str | None:
    """PS3.5 §8.2.12 Table 8.2.12-1 (applies to H.264 and HEVC)."""
    ts_only = info.container == "mpegts"
    if a.codec == "aac":
        ok = a.sample_rate == 48000 and a.channels in (2, 6) and a.bit_rate <= 640_000
    elif a.codec == "mp3":
        ok = a.sample_rate in (32000, 44100, 48000) and a.channels <= 2 and a.bit_rate <= 320_000
    elif a.codec == "mp2":
        ok = a.channels <= 2 and a.bit_rate <= 384_000
    elif a.codec == "ac3":
        ok = ts_only and a.sample_rate == 48000 and a.channels in (2, 6) and a.bit_rate <= 640_000
    elif a.codec.startswith("pcm_s16") or a.codec.startswith("pcm_s24") or a.codec == "pcm_bluray":
        ok = ts_only and a.sample_rate in (48000, 96000) and a.channels <= 2
    else:
        ok = False
    return None if ok else f"audio {a.codec} {a.sample_rate} Hz/{a.channels} ch in {info.container}"


# ------------------------------------------------------------------------------------------------ rows

Check = Callable[[VideoInfo], list[str]]


def _common(info: VideoInfo, containers: tuple[str, ...]) -> list[str]:
    out = []
    if info.container not in containers:
        out.append(f"container {info.container} (allowed: {', '.join(containers)})")
    if info.pix_fmt not in ("yuv420p", "yuvj420p"):
        out.append(f"pixel format {info.pix_fmt} (needs 8-bit 4:2:0)")
    return out


def _audio_violations(info: VideoInfo, rule: Callable[[AudioInfo, VideoInfo], str | None]) -> list[str]:
    out = [v for a in info.audio if (v := rule(a, info))]
    if len(info.audio) > 1:
        out.append(f"{len(info.audio)} audio streams")
    return out


def _mpeg2(info: VideoInfo, level_code: int) -> list[str]:
    out = []
    if info.codec != "mpeg2video":
        return [f"codec {info.codec}"]
    if info.profile != "Main":
        out.append(f"profile {info.profile}")
    if info.level != level_code:
        out.append(f"level code {info.level}")
    return out + _common(info, ("mpegts", "mpeg-ps", "mp4")) + _audio_violations(info, _mpeg2_audio)


def check_mpeg2_mpml(info: VideoInfo) -> list[str]:
    """PS3.5 §8.2.5 Table 8-1: NTSC ≤480×720 at 29.97/30, PAL ≤576×720 at 25."""
    out = _mpeg2(info, 8)
    if _any_rate(info.frame_rate, *NTSC):
        if info.height > 480 or info.width > 720:
            out.append(f"{info.width}x{info.height} > 720x480 for 30 fps")
    elif _any_rate(info.frame_rate, 25.0):
        if info.height > 576 or info.width > 720:
            out.append(f"{info.width}x{info.height} > 720x576 for 25 fps")
    else:
        out.append(f"frame rate {float(info.frame_rate):.3f} (MP@ML: 25 or 29.97/30)")
    return out


def check_mpeg2_mphl(info: VideoInfo) -> list[str]:
    """PS3.5 §8.2.6 Tables 8-2/8-3: 1080×1920 at 25/29.97/30 (P or I), 720×1280 at 25–60 P, 16:9."""
    out = _mpeg2(info, 4)
    size = (info.height, info.width)
    if size == (1080, 1920):
        if not _any_rate(info.frame_rate, 25.0, *NTSC):
            out.append(f"frame rate {float(info.frame_rate):.3f} for 1080 lines")
    elif size == (720, 1280):
        if not _any_rate(info.frame_rate, 25.0, *NTSC, 50.0, R_5994, 60.0):
            out.append(f"frame rate {float(info.frame_rate):.3f} for 720 lines")
        if info.interlaced:
            out.append("720 lines must be progressive")
    else:
        out.append(f"{info.width}x{info.height} (MP@HL: 1920x1080 or 1280x720)")
    if info.display_aspect != Fraction(16, 9):
        out.append(f"display aspect {info.display_aspect} (needs 16:9)")
    return out


def _h264(info: VideoInfo, profiles: tuple[str, ...], max_level: int) -> list[str]:
    if info.codec != "h264":
        return [f"codec {info.codec}"]
    out = []
    if info.profile not in profiles:
        out.append(f"profile {info.profile} (needs {' or '.join(profiles)})")
    if info.level is None or info.level > max_level:
        out.append(f"level {info.level / 10 if info.level else '?'} > {max_level / 10}")
    if info.sar not in (Fraction(0), Fraction(1)):
        out.append(f"pixel aspect {info.sar} (needs square pixels)")
    return out + _common(info, ("mp4", "mpegts")) + _audio_violations(info, _h264_audio)


def check_h264_hp41(info: VideoInfo) -> list[str]:
    """PS3.5 §8.2.7: High Profile, Level ≤ 4.1, square pixels, MP4 or MPEG-TS, 2D."""
    out = _h264(info, ("High",), 41)
    out += h264_level_violations(info.width, info.height, info.frame_rate, L41)
    if info.stereo_3d:
        out.append("stereo 3D frame packing (needs Level 4.2 3D)")
    return out


BD_FORMATS: tuple[tuple[int, int, tuple[float, ...], bool], ...] = (
    # (rows, columns, rates, interlaced) — PS3.5 Table 8-4
    (1080, 1920, (25.0, R_2997), True),
    (1080, 1920, (24.0, R_23976), False),
    (720, 1280, (50.0, R_5994, 24.0, R_23976), False),
)


def check_h264_bd(info: VideoInfo) -> list[str]:
    """PS3.5 §8.2.7 Table 8-4: the BD-compatible formats only."""
    out = check_h264_hp41(info)
    ok = any((info.height, info.width) == (r, c) and _any_rate(info.frame_rate, *rates) and info.interlaced == i
             for r, c, rates, i in BD_FORMATS)
    if not ok:
        out.append("not a BD format of Table 8-4")
    return out


def check_h264_hp42_2d(info: VideoInfo) -> list[str]:
    """PS3.5 §8.2.8: High Profile, Level ≤ 4.2, 2D (Stereo Pairs Present NO)."""
    out = _h264(info, ("High",), 42) + h264_level_violations(info.width, info.height, info.frame_rate, L42)
    if info.stereo_3d:
        out.append("stereo 3D frame packing")
    return out


def check_h264_hp42_3d(info: VideoInfo) -> list[str]:
    """PS3.5 §8.2.8: Level 4.2 with frame-packed stereo (Stereo Pairs Present YES)."""
    out = _h264(info, ("High",), 42) + h264_level_violations(info.width, info.height, info.frame_rate, L42)
    if not info.stereo_3d:
        out.append("no stereo 3D frame packing")
    return out


def check_h264_stereo(info: VideoInfo) -> list[str]:
    """PS3.5 §8.2.9: Stereo High Profile, Level ≤ 4.2."""
    return _h264(info, ("Stereo High",), 42) + h264_level_violations(info.width, info.height, info.frame_rate, L42)


def _hevc(info: VideoInfo, profile: str) -> list[str]:
    if info.codec != "hevc":
        return [f"codec {info.codec}"]
    out = []
    if info.profile != profile:
        out.append(f"profile {info.profile}")
    if info.level is None or info.level > HEVC_L51_IDC:
        out.append(f"level idc {info.level} > {HEVC_L51_IDC}")
    luma = info.width * info.height
    if luma > HEVC_L51_MAX_LUMA_PS or luma * float(info.frame_rate) > HEVC_L51_MAX_LUMA_SR:
        out.append(f"{info.width}x{info.height} at {float(info.frame_rate):.2f} fps exceeds Level 5.1")
    if info.sar not in (Fraction(0), Fraction(1)):
        out.append(f"pixel aspect {info.sar}")
    return out + _audio_violations(info, _h264_audio)


def check_hevc_main(info: VideoInfo) -> list[str]:
    """PS3.5 §8.2.10: HEVC Main (8-bit 4:2:0), Level ≤ 5.1, MP4 or MPEG-TS."""
    return _hevc(info, "Main") + _common(info, ("mp4", "mpegts"))


def check_hevc_main10(info: VideoInfo) -> list[str]:
    """PS3.5 §8.2.11: HEVC Main 10 needs Bits Allocated 16 — the VL and SC IODs allow only 8 (C.8.12.1)."""
    return [*_hevc(info, "Main 10"), "Main 10 needs Bits Allocated 16, not allowed in VL/SC video IODs"]


@dataclass(frozen=True)
class Row:
    """One row of the table: a transfer syntax and its limits."""

    syntax: VideoSyntax
    check: Check


TABLE: tuple[Row, ...] = (
    Row(H264_HP41, check_h264_hp41),
    Row(H264_BD, check_h264_bd),
    Row(H264_HP42_2D, check_h264_hp42_2d),
    Row(H264_HP42_3D, check_h264_hp42_3d),
    Row(H264_STEREO, check_h264_stereo),
    Row(MPEG2_MPML, check_mpeg2_mpml),
    Row(MPEG2_MPHL, check_mpeg2_mphl),
    Row(HEVC_MAIN, check_hevc_main),
    Row(HEVC_MAIN10, check_hevc_main10),
)
"""Rows in order of preference: the first without violations wins."""


# ------------------------------------------------------------------------------------- transcode plans

@dataclass(frozen=True)
class TranscodePlan:
    """How to re-encode: codec, coded size, active picture inside it, rate, SAR, container, audio codec."""

    syntax: VideoSyntax
    codec: str  # libx264 | mpeg2video
    width: int
    height: int
    content_width: int  # picture inside the coded frame (padding keeps the display aspect)
    content_height: int
    rate: Fraction
    sar: Fraction
    container: str  # ffmpeg muxer: mp4 | mpegts
    audio_codec: str | None  # aac | libmp3lame | None
    level: str  # "4.1", "main", "high"
    scaled: bool  # True when the level forced a smaller picture

    def describe(self) -> str:
        return (f"{self.codec} {self.width}x{self.height} @ {float(self.rate):.3f} fps in {self.container}"
                f"{' (scaled down for the level)' if self.scaled else ''}")


def _even(x: float | Fraction) -> int:
    return max(2, round(float(x) / 2) * 2)


def _square_size(info: VideoInfo) -> tuple[int, int]:
    sar = info.sar if info.sar > 0 else Fraction(1)
    return _even(info.width * sar), _even(info.height)


def plan_h264(info: VideoInfo) -> TranscodePlan:
    """H.264 High Profile Level 4.1, square pixels, same rate, scaled down only when Level 4.1 demands it."""
    width, height = _square_size(info)
    rate = info.frame_rate if info.frame_rate > 0 else Fraction(25)
    scaled = False
    factor = 1.0
    w, h = width, height
    while h264_level_violations(w, h, rate, L41):
        factor *= 0.98
        w, h = _even(width * factor), _even(height * factor)
        scaled = True
    return TranscodePlan(H264_HP41, "libx264", w, h, w, h, rate, Fraction(1), "mp4",
                         "aac" if info.audio else None, "4.1", scaled)


def _fit(dar: Fraction, frame_w: int, frame_h: int, frame_dar: Fraction) -> tuple[int, int]:
    """Size of the picture with display aspect ``dar`` inside a frame of ``frame_dar`` (letter/pillar box)."""
    if dar > frame_dar:  # wider: full width, fewer lines
        return frame_w, _even(frame_h * frame_dar / dar)
    return _even(frame_w * dar / frame_dar), frame_h


def plan_mpeg2(info: VideoInfo, level: str | None = None) -> TranscodePlan:
    """MPEG-2 MP@HL (1920×1080 at 25/29.97, 1280×720 at 50/59.94) for HD sources, else MP@ML 720×576/480.

    ``level="main"`` forces MP@ML (a receiver that accepts nothing else): an HD source is then scaled down to
    720×576 (720×480 at NTSC rates) and the plan says so (``scaled``); ``"high"`` forces MP@HL.
    The display aspect is kept by padding (MP@HL is 16:9 only; MP@ML uses 4:3 or 16:9, whichever is closer).
    Frame rates outside the tables are converted by repeating/dropping frames, keeping the duration.
    """
    rate = float(info.frame_rate) or 25.0
    dar = info.display_aspect
    audio = "libmp3lame" if info.audio else None
    if level == "high" or (level is None and info.height >= 720):
        if rate > 40:
            hd_rate = Fraction(50) if abs(rate - 50) < abs(rate - R_5994) else Fraction(60000, 1001)
            fw, fh = 1280, 720
        else:
            hd_rate = Fraction(25) if abs(rate - 25) < abs(rate - R_2997) else Fraction(30000, 1001)
            fw, fh = 1920, 1080
        cw, ch = _fit(dar, fw, fh, Fraction(16, 9))
        return TranscodePlan(MPEG2_MPHL, "mpeg2video", fw, fh, cw, ch, hd_rate, Fraction(1), "mpegts", audio,
                             "high", False)
    pal = abs(rate - 25) <= abs(rate - R_2997) or abs(rate - 50) < 1
    fw, fh = (720, 576) if pal else (720, 480)
    sd_rate = Fraction(25) if pal else Fraction(30000, 1001)
    frame_dar = Fraction(16, 9) if abs(float(dar) - 16 / 9) < abs(float(dar) - 4 / 3) else Fraction(4, 3)
    sar = frame_dar * Fraction(fh, fw)
    cw, ch = _fit(dar, fw, fh, frame_dar)
    scaled = info.width > fw or info.height > fh
    return TranscodePlan(MPEG2_MPML, "mpeg2video", fw, fh, cw, ch, sd_rate, sar, "mpegts", audio, "main", scaled)


# ---------------------------------------------------------------------------------------------- choice

@dataclass(frozen=True)
class SyntaxDecision:
    """Outcome of the table for one stream."""

    syntax: VideoSyntax
    pass_through: bool
    reason: str
    plan: TranscodePlan | None = None
    alternatives: tuple[str, ...] = ()  # further transfer syntaxes the (resulting) stream conforms to
    rejected: dict[str, list[str]] = field(default_factory=dict)  # row UID -> violations

    @property
    def transfer_syntax_uid(self) -> str:
        return self.syntax.uid


def evaluate(info: VideoInfo) -> dict[str, list[str]]:
    """Violations of every row (empty list = the stream conforms to that transfer syntax)."""
    return {row.syntax.uid: row.check(info) for row in TABLE}


def choose_syntax(info: VideoInfo, video: VideoConfig) -> SyntaxDecision:
    """Pass-through when a row fits, else a transcode plan, else UnsupportedMediaError (PS3.5 §8.2.5–8.2.11).

    Under ``long_video_mode = "fragmentable"`` a stream larger than ``max_fragment_bytes`` gets the
    fragmentable twin of its transfer syntax (the same bytes, split into several fragments).
    """
    v = video
    results = evaluate(info)
    fitting = [row.syntax for row in TABLE if not results[row.syntax.uid]]
    if fitting:
        chosen = fitting[0]
        why = f"{info.describe()} conforms to {chosen.name} ({chosen.section})"
        if v.long_video_mode == "fragmentable" and info.size > v.max_fragment_bytes and not chosen.fragmentable:
            chosen = ALL_SYNTAXES[chosen.twin]
            why += f"; {info.size} bytes exceed one fragment, so the fragmentable twin"
        return SyntaxDecision(chosen, True, why, None, tuple(s.uid for s in fitting[1:]), results)
    reasons = "; ".join(f"{ALL_SYNTAXES[uid].name}: {', '.join(viol)}" for uid, viol in results.items()
                        if not viol[0].startswith("codec "))
    if not reasons:
        reasons = f"codec {info.codec} has no DICOM video transfer syntax"
    if not v.allow_transcode:
        raise UnsupportedMediaError("media.unsupported", path=str(info.path), stream=info.describe(),
                                    reasons=reasons)
    plan = plan_h264(info) if v.transcode_target == "h264" else plan_mpeg2(info)
    why = f"transcode to {plan.describe()}: {reasons}"
    return SyntaxDecision(plan.syntax, False, why, plan, (), results)
