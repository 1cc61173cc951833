"""Test clips generated at test time with PyAV: small, short, deterministic.

``make_clip(path, codec=…, fmt=…)`` writes frames whose brightness ramps from dark to bright (first and
last frame are easy to tell apart) plus an optional sine tone. Covers H.264 (MP4, TS, raw Annex-B),
MPEG-2 (PS, TS), VP8/VP9 WebM, MJPEG (AVI), HEVC (MP4), with or without audio.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np


def _picture(i: int, n: int, width: int, height: int) -> np.ndarray:
    level = int(30 + 190 * i / max(1, n - 1))
    img = np.full((height, width, 3), level, dtype=np.uint8)
    x = (i * 7) % max(1, width - 16)
    img[height // 4: height // 4 + 16, x:x + 16] = (255, 40, 40)  # a moving red square
    img[:, :, 2] = np.linspace(0, 255, width, dtype=np.uint8)[None, :]
    return img


def make_clip(path: Path, *, codec: str = "libx264", fmt: str | None = None, width: int = 160, height: int = 120,
              rate: Fraction | int = 25, frames: int = 25, audio: str | None = None, channels: int = 2,
              sample_rate: int = 48000, pix_fmt: str = "yuv420p", options: dict[str, str] | None = None,
              sar: Fraction | None = None, bit_rate: int | None = None, fmt_options: dict[str, str] | None = None
              ) -> Path:
    """Write a clip and return its path."""
    rate = Fraction(rate)
    out: Any
    with av.open(str(path), "w", format=fmt, options=fmt_options or {}) as out:
        vs: Any = out.add_stream(codec, rate=rate, options=options or {})
        vs.width, vs.height, vs.pix_fmt = width, height, pix_fmt
        if bit_rate:
            vs.bit_rate = bit_rate
        if sar is not None:
            vs.codec_context.sample_aspect_ratio = sar
        a_s: Any = None
        if audio:
            a_s = out.add_stream(audio, rate=sample_rate)
            a_s.layout = "stereo" if channels == 2 else "mono"
        samples_per_frame = int(sample_rate / float(rate))
        t = 0
        for i in range(frames):
            frame = av.VideoFrame.from_ndarray(_picture(i, frames, width, height), format="rgb24")
            frame.pts = i
            frame.time_base = 1 / rate
            out.mux(vs.encode(frame.reformat(format=pix_fmt)))
            if a_s is not None:
                tone = np.sin(2 * np.pi * 440 * (np.arange(samples_per_frame) + t) / sample_rate) * 0.3
                data = np.repeat(tone[None, :].astype(np.float32), channels, axis=0)
                af = av.AudioFrame.from_ndarray(data, format="fltp", layout=a_s.layout.name)
                af.sample_rate = sample_rate
                af.pts = t
                af.time_base = Fraction(1, sample_rate)
                t += samples_per_frame
                out.mux(a_s.encode(af))
        out.mux(vs.encode(None))
        if a_s is not None:
            out.mux(a_s.encode(None))
    return path


def h264_mp4(path: Path, **kw: Any) -> Path:
    kw.setdefault("options", {"profile": "high", "g": "10"})
    return make_clip(path, codec="libx264", fmt="mp4", **kw)


def h264_ts(path: Path, **kw: Any) -> Path:
    kw.setdefault("options", {"profile": "high", "g": "10"})
    return make_clip(path, codec="libx264", fmt="mpegts", **kw)


def h264_raw(path: Path, **kw: Any) -> Path:
    return make_clip(path, codec="libx264", fmt="h264", options={"profile": "high"}, **kw)


def mpeg2(path: Path, fmt: str = "mpegts", **kw: Any) -> Path:
    kw.setdefault("width", 720)
    kw.setdefault("height", 576)
    return make_clip(path, codec="mpeg2video", fmt=fmt, bit_rate=2_000_000, options={"g": "12"}, **kw)


def webm(path: Path, codec: str = "libvpx", **kw: Any) -> Path:
    return make_clip(path, codec=codec, fmt="webm", **kw)


def mjpeg(path: Path, **kw: Any) -> Path:
    return make_clip(path, codec="mjpeg", fmt="avi", pix_fmt="yuvj420p", **kw)


def hevc(path: Path, **kw: Any) -> Path:
    return make_clip(path, codec="libx265", fmt="mp4", options={"x265-params": "log-level=none"}, **kw)


def decode_frames(path: Path) -> list[np.ndarray]:
    """All frames of ``path`` as RGB arrays (small clips only)."""
    c: Any
    with av.open(str(path)) as c:
        return [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
