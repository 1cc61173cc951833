"""The preview: the newest frame as a JPEG of at most ``max_width`` pixels, encoded once per frame however many
screens watch (``GET /api/preview.mjpeg``).

Scaled in YUV (swscale, fast bilinear) and encoded by FFmpeg's MJPEG encoder at a fixed quantiser: about 6 ms
for a 1920×1080 frame shown 960 pixels wide, a fifth of scaling to RGB and encoding with Pillow.
"""

from __future__ import annotations

import threading
from fractions import Fraction
from typing import Any

import av

from smartbox_next.capture.live.frames import FrameHub, LiveFrame


class PreviewEncoder:
    """JPEG of the newest frame, cached per frame (thread-safe)."""

    def __init__(self, hub: FrameHub, *, max_width: int = 960, quantiser: int = 3) -> None:
        self.hub = hub
        self.max_width = max_width
        self.quantiser = quantiser
        self._lock = threading.Lock()
        self._cached: tuple[int, bytes] | None = None
        self._enc: Any = None
        self._enc_size: tuple[int, int] | None = None
        self.encoded = 0

    def size_for(self, frame: LiveFrame) -> tuple[int, int]:
        w, h = frame.width, frame.height
        if w <= self.max_width:
            return w - w % 2, h - h % 2
        return self.max_width, max(2, round(h * self.max_width / w / 2) * 2)

    def _encoder(self, size: tuple[int, int]) -> Any:
        if self._enc is None or self._enc_size != size:
            enc = av.CodecContext.create("mjpeg", "w")
            enc.width, enc.height = size
            enc.pix_fmt = "yuvj420p"
            enc.time_base = Fraction(1, 25)
            enc.options = {"qmin": str(self.quantiser), "qmax": str(self.quantiser)}
            enc.open()
            self._enc, self._enc_size = enc, size
        return self._enc

    def jpeg(self, frame: LiveFrame) -> bytes:
        with self._lock:
            if self._cached is not None and self._cached[0] == frame.seq:
                return self._cached[1]
            w, h = self.size_for(frame)
            small = frame.converted("yuvj420p", w, h, "FAST_BILINEAR")
            small.pts = self.encoded
            data = b"".join(bytes(p) for p in self._encoder((w, h)).encode(small))
            self.encoded += 1
            self._cached = (frame.seq, data)
            return data

    def next_jpeg(self, after_seq: int, timeout: float = 1.0) -> tuple[LiveFrame, bytes] | None:
        """The JPEG of the first frame newer than ``after_seq`` (None when none came within ``timeout``)."""
        frame = self.hub.wait_newer(after_seq, timeout)
        if frame is None:
            return None
        return frame, self.jpeg(frame)
