"""Transcoding with PyAV, frame by frame, to a stream a DICOM video transfer syntax accepts.

Executes a :class:`~smartbox_next.capture.syntax.TranscodePlan`: H.264 High Profile Level 4.1 (libx264,
VBV-capped at the level's bit rate, SAR 1:1, MP4 with the moov box at the front, ``+faststart``) or
MPEG-2 Main Profile at Main/High Level (mpeg2video in MPEG-TS). The output keeps the duration (constant
frame rate, frames repeated or dropped by timestamp when the rate changes) and the display aspect
(square pixels for H.264; padding for MPEG-2's fixed frame sizes). Audio is re-encoded to AAC 48 kHz
stereo (H.264, PS3.5 §8.2.12) or CBR MPEG-1 Layer III (MPEG-2, PS3.5 §8.2.5).

Only a few decoded frames are alive at any time; memory does not grow with the length of the video.
"""

from __future__ import annotations

import bisect
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np

from smartbox_next.capture.syntax import TranscodePlan
from smartbox_next.capture.video import VideoInfo
from smartbox_next.errors import MediaError

log = logging.getLogger(__name__)

# ITU-T H.264 Table A-1, Level 4.1 (High Profile: ×1.25 for MaxBR/MaxCPB); conservative VBV in kbit/s.
H264_L41_VBV = {"vbv-maxrate": 50_000, "vbv-bufsize": 62_500}
# ISO/IEC 13818-2 Table 8-13/8-14: Main Level 15 Mbit/s, VBV 1 835 008 bit; High Level 80 Mbit/s, 9 781 248 bit.
MPEG2_LIMITS = {"main": (15_000_000, 1_835_008), "high": (80_000_000, 9_781_248)}


@dataclass(frozen=True)
class EncoderSettings:
    """Encoder knobs from ``[video]``: x264 preset and CRF, MPEG-2 bit rate."""

    h264_preset: str = "veryfast"
    h264_crf: int = 20
    mpeg2_bit_rate: int = 8_000_000


def encoder_options(plan: TranscodePlan, settings: EncoderSettings) -> dict[str, str]:
    """libavcodec options for the plan's encoder (also used by the benchmark's ffmpeg command line)."""
    gop = max(1, round(float(plan.rate)))
    if plan.codec == "libx264":
        params = ":".join(f"{k}={v}" for k, v in H264_L41_VBV.items())
        return {"preset": settings.h264_preset, "crf": str(settings.h264_crf), "profile": "high",
                "level": plan.level, "g": str(2 * gop), "x264-params": params}
    maxrate, vbv = MPEG2_LIMITS[plan.level]
    rate = min(settings.mpeg2_bit_rate, maxrate)
    return {"b": str(rate), "maxrate": str(maxrate), "bufsize": str(vbv), "g": str(min(gop, 15)), "bf": "2"}


def _pad_planes(frame: Any, plan: TranscodePlan) -> Any:
    """Place the scaled picture centred in a black frame of the coded size (yuv420p, limited range)."""
    w, h = plan.width, plan.height
    x0, y0 = ((w - plan.content_width) // 4) * 2, ((h - plan.content_height) // 4) * 2
    canvas = np.empty((h * 3 // 2, w), dtype=np.uint8)
    canvas[:h] = 16
    canvas[h:] = 128
    src = frame.to_ndarray()  # (ch*3/2, cw) yuv420p
    cw, ch = plan.content_width, plan.content_height
    canvas[y0:y0 + ch, x0:x0 + cw] = src[:ch]
    u = src[ch:ch + ch // 4].reshape(ch // 2, cw // 2)
    v = src[ch + ch // 4:].reshape(ch // 2, cw // 2)
    cu = canvas[h:h + h // 4].reshape(h // 2, w // 2)
    cv = canvas[h + h // 4:].reshape(h // 2, w // 2)
    cu[y0 // 2:y0 // 2 + ch // 2, x0 // 2:x0 // 2 + cw // 2] = u
    cv[y0 // 2:y0 // 2 + ch // 2, x0 // 2:x0 // 2 + cw // 2] = v
    return av.VideoFrame.from_ndarray(canvas, format="yuv420p")


def _convert(frame: Any, plan: TranscodePlan) -> Any:
    full_range = frame.format.name.startswith("yuvj") or getattr(frame, "color_range", 0) == 2  # AVCOL_RANGE_JPEG
    out = frame.reformat(width=plan.content_width, height=plan.content_height, format="yuv420p",
                         src_color_range="JPEG" if full_range else None, dst_color_range="MPEG")
    if (plan.content_width, plan.content_height) != (plan.width, plan.height):
        out = _pad_planes(out, plan)
    return out


def transcode(
    info: VideoInfo,
    plan: TranscodePlan,
    out_path: Path,
    settings: EncoderSettings | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Path:
    """Re-encode ``info.path`` into ``out_path`` per ``plan``; MediaError on failure (no file left behind)."""
    settings = settings or EncoderSettings()
    try:
        _run(info, plan, out_path, settings, progress)
    except av.error.FFmpegError as exc:
        with contextlib.suppress(OSError):
            out_path.unlink()
        raise MediaError("media.transcode_failed", path=str(info.path), detail=str(exc)) from None
    except BaseException:
        with contextlib.suppress(OSError):
            out_path.unlink()
        raise
    log.info("transcoded %s -> %s (%s)", info.path.name, out_path.name, plan.describe())
    return out_path


def _run(info: VideoInfo, plan: TranscodePlan, out_path: Path, settings: EncoderSettings,
         progress: Callable[[int, int], None] | None) -> None:
    fmt_options = {"movflags": "+faststart"} if plan.container == "mp4" else {}
    src: Any
    dst: Any
    with av.open(str(info.path)) as src, av.open(str(out_path), "w", format=plan.container,
                                                   options=fmt_options) as dst:
        vin: Any = src.streams.video[0]
        vin.thread_type = "AUTO"
        vout: Any = dst.add_stream(plan.codec, rate=plan.rate, options=encoder_options(plan, settings))
        vout.width, vout.height, vout.pix_fmt = plan.width, plan.height, "yuv420p"
        vout.codec_context.sample_aspect_ratio = plan.sar
        time_base = Fraction(plan.rate.denominator, plan.rate.numerator)
        vout.codec_context.time_base = time_base
        ain = src.streams.audio[0] if (plan.audio_codec and src.streams.audio) else None
        aout: Any = None
        if ain is not None:
            aout = dst.add_stream(plan.audio_codec, rate=48000)
            aout.layout = "stereo"
            aout.bit_rate = 128_000
        state = _Resampler(plan.rate, info.frame_rate)
        n_out = 0
        streams = [vin] if ain is None else [vin, ain]
        for packet in src.demux(*streams):
            for frame in packet.decode():
                if packet.stream.type == "audio":
                    assert aout is not None
                    frame.pts = None
                    for p in aout.encode(frame):
                        dst.mux(p)
                    continue
                for out in state.push(_convert(frame, plan), frame.time):
                    out.pts, out.time_base = n_out, time_base
                    n_out += 1
                    dst.mux(vout.encode(out))
                    if progress is not None:
                        progress(n_out, info.frame_count)
        for out in state.finish():
            out.pts, out.time_base = n_out, time_base
            n_out += 1
            dst.mux(vout.encode(out))
        dst.mux(vout.encode(None))
        if aout is not None:
            dst.mux(aout.encode(None))
        if n_out == 0:
            raise MediaError("media.no_frames", path=str(info.path))


class _Resampler:
    """Constant output frame rate by timestamp: output frame n shows the input frame visible at (n+½)/R."""

    def __init__(self, rate: Fraction, source_rate: Fraction) -> None:
        self.rate = float(rate)
        self.source_period = 1.0 / float(source_rate) if source_rate else 1.0 / self.rate
        self.prev: Any = None
        self.prev_time = 0.0
        self.t0: float | None = None
        self.n = 0
        self.count = 0

    def push(self, frame: Any, time: float | None) -> list[Any]:
        if time is None:
            time = self.count * self.source_period
        if self.t0 is None:
            self.t0 = time
        self.count += 1
        t = time - self.t0
        out: list[Any] = []
        if self.prev is not None:
            while (self.n + 0.5) / self.rate <= t:
                out.append(self.prev)
                self.n += 1
        self.prev, self.prev_time = frame, t
        return out

    def finish(self) -> list[Any]:
        out: list[Any] = []
        if self.prev is None:
            return out
        end = self.prev_time + self.source_period
        while (self.n + 0.5) / self.rate <= end or (not out and self.n == 0):
            out.append(self.prev)
            self.n += 1
        return out


# ------------------------------------------------------------------------------ splitting long recordings

@dataclass(frozen=True)
class _Packet:
    stream: int
    time: float  # decode time in seconds
    size: int
    key: bool


def _scan(path: Path) -> tuple[list[_Packet], int]:
    """Packet sizes and key-frame flags of every video/audio packet (demux only, nothing decoded)."""
    out: list[_Packet] = []
    c: Any
    with av.open(str(path)) as c:
        video = c.streams.video[0].index
        streams = [c.streams.video[0], *c.streams.audio]
        for p in c.demux(*streams):
            if p.size == 0 or (p.dts is None and p.pts is None):
                continue
            ts = p.dts if p.dts is not None else p.pts
            out.append(_Packet(p.stream.index, float(ts * p.time_base), p.size, bool(p.is_keyframe)))
    return out, video


def _cut_times(packets: list[_Packet], video: int, budget: int, path: Path, limit: int) -> list[float]:
    """Key-frame times where a new part starts, so that every part's payload stays within ``budget``."""
    keys = sorted({p.time for p in packets if p.stream == video and p.key})
    if not keys:
        raise MediaError("media.corrupt", path=str(path), detail="no key frame")
    gop_bytes = [0] * len(keys)
    for p in packets:
        i = max(0, bisect.bisect_right(keys, p.time) - 1)
        gop_bytes[i] += p.size
    cuts = [keys[0]]
    acc = 0
    for t, size in zip(keys, gop_bytes, strict=True):
        if size > budget:
            raise MediaError("media.gop_too_large", path=str(path), limit=limit, size=size)
        if acc and acc + size > budget:
            cuts.append(t)
            acc = 0
        acc += size
    return cuts


def split_stream(info: VideoInfo, limit: int, work_dir: Path) -> list[Path]:
    """Re-mux ``info.path`` (no re-encoding) into parts of at most ``limit`` bytes, cut at key frames.

    Each part is an independently playable file of the same container kind (MP4 with ``+faststart``,
    else MPEG-TS) — PS3.5 §8.2.5 Note: a long stream under a non-fragmentable transfer syntax becomes
    several SOP Instances, each with an independent, playable bit stream.
    """
    packets, video = _scan(info.path)
    fmt = "mp4" if info.container == "mp4" else "mpegts"
    budget = int(limit * 0.9) - 8192
    for _attempt in range(4):
        cuts = _cut_times(packets, video, budget, info.path, limit)
        parts = _remux(info.path, cuts, fmt, work_dir)
        if all(p.stat().st_size <= limit for p in parts):
            return parts
        for p in parts:
            p.unlink()
        budget = int(budget * 0.8)
    raise MediaError("media.gop_too_large", path=str(info.path), limit=limit, size=max(p.size for p in packets))


def _remux(path: Path, cuts: list[float], fmt: str, work_dir: Path) -> list[Path]:
    options = {"movflags": "+faststart"} if fmt == "mp4" else {}
    parts = [work_dir / f"part{i:03d}.{'mp4' if fmt == 'mp4' else 'ts'}" for i in range(len(cuts))]
    outs: list[Any] = [av.open(str(p), "w", format=fmt, options=options) for p in parts]
    try:
        src: Any
        with av.open(str(path)) as src:
            streams = [src.streams.video[0], *src.streams.audio]
            maps = [{s.index: o.add_stream_from_template(s) for s in streams} for o in outs]
            current = 0
            vindex = streams[0].index
            for p in src.demux(*streams):
                if p.dts is None and p.pts is None:
                    continue
                ts = p.dts if p.dts is not None else p.pts
                t = float(ts * p.time_base)
                if p.stream.index == vindex and p.is_keyframe:
                    current = max(current, bisect.bisect_right(cuts, t + 1e-9) - 1)
                seg = current if p.stream.index == vindex else max(0, min(current, bisect.bisect_right(cuts, t) - 1))
                shift = round(cuts[seg] / p.time_base)
                if p.pts is not None:
                    p.pts -= shift
                if p.dts is not None:
                    p.dts -= shift
                p.stream = maps[seg][p.stream.index]
                outs[seg].mux(p)
    finally:
        for o in outs:
            o.close()
    return parts
