"""Live frames and the hub every consumer takes them from (preview, still, recorder).

The source thread publishes each frame once; the hub keeps only the newest (a slow preview client never holds
frames back) and hands every frame to its sinks (the recorder's bounded queue) without blocking.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import av
import numpy as np

from smartbox_next.capture.image import encode_baseline_jpeg, frame_from_array
from smartbox_next.capture.jpeg import ColorSpace, parse_jpeg


@dataclass(frozen=True)
class LiveFrame:
    """One frame of the live source.

    ``frame`` is a PyAV ``VideoFrame`` (yuv420p from the test pattern and files; yuyv422 or yuvj420p from a
    grabber); ``seq`` counts every frame the source produced since the station started (reconnects included);
    ``captured`` is ``time.time()`` when it was read; ``jpeg`` is the camera's own JPEG for an MJPEG grabber.

    **One frame, several threads.** The preview, a still and the recorder read the same frame, and a PyAV frame is
    not safe for that: a conversion runs swscale on a context cached in the frame, with the GIL released, and
    changes the frame's colour tags while it runs. The preview and a still converting one frame at once hung in
    swscale's slice threads (the photo press never came back). So the shared ``frame`` is only used under
    ``lock``, through :meth:`rgb` and :meth:`converted`, and every consumer gets a frame of its own to change.
    """

    frame: Any
    seq: int
    captured: float
    fps: float
    jpeg: bytes | None = None
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    @property
    def width(self) -> int:
        return int(self.frame.width)

    @property
    def height(self) -> int:
        return int(self.frame.height)

    def rgb(self) -> np.ndarray[Any, np.dtype[np.uint8]]:
        """The frame as 8-bit RGB (rows, columns, 3)."""
        with self.lock:
            arr: np.ndarray[Any, np.dtype[np.uint8]] = self.frame.to_ndarray(format="rgb24")
        return arr

    def converted(self, pix_fmt: str, width: int | None = None, height: int | None = None,
                  interpolation: str | None = None) -> Any:
        """A ``VideoFrame`` of the caller's own in ``pix_fmt`` (and size): converted, or copied when the frame is
        so already (PyAV then hands back the shared frame itself, whose ``pts`` the caller would change)."""
        with self.lock:
            out = self.frame.reformat(width=width, height=height, format=pix_fmt, interpolation=interpolation)
            if out is self.frame:
                out = _copy(self.frame)
        return out


def _copy(frame: Any) -> Any:
    """A new ``VideoFrame`` with ``frame``'s pixels, plane by plane (2 ms for 1080p; through numpy arrays 8 ms)."""
    out = av.VideoFrame(frame.width, frame.height, frame.format.name)
    for src, dst in zip(frame.planes, out.planes, strict=True):
        if src.line_size == dst.line_size and src.buffer_size == dst.buffer_size:
            memoryview(dst)[:] = memoryview(src)
        else:  # other row padding: row by row
            width, rows = min(src.line_size, dst.line_size), min(src.height, dst.height)
            np.frombuffer(memoryview(dst), np.uint8).reshape(-1, dst.line_size)[:rows, :width] = \
                np.frombuffer(memoryview(src), np.uint8).reshape(-1, src.line_size)[:rows, :width]
    return out


def camera_jpeg_usable(data: bytes) -> bool:
    """Whether a grabber's MJPEG frame can become a still as it is: baseline (SOF0) 8-bit YCbCr 4:2:0 with its
    own Huffman tables. Many UVC cameras send 4:2:2 or leave the tables out (they rely on the standard ones);
    such a frame is decoded and encoded once instead."""
    try:
        info = parse_jpeg(data, name="grabber frame")
    except Exception:  # any defect: not usable as it is
        return False
    if not (info.is_baseline and info.precision == 8 and info.color_space is ColorSpace.YCBCR
            and len(info.components) == 3 and info.exif_orientation in (None, 1)):
        return False
    luma, cb, cr = info.components
    return (luma.h, luma.v, cb.h, cb.v, cr.h, cr.v) == (2, 2, 1, 1, 1, 1) and b"\xff\xc4" in data


def still_jpeg(frame: LiveFrame, quality: int) -> tuple[bytes, bool]:
    """The still of ``frame`` as a baseline JPEG (4:2:0) and whether it is the camera's own bytes.

    Encoded once from the frame; a grabber's usable MJPEG frame is passed through unchanged.
    """
    if frame.jpeg is not None and camera_jpeg_usable(frame.jpeg):
        return frame.jpeg, True
    return encode_baseline_jpeg(frame_from_array(frame.rgb()), quality), False


Sink = Callable[[LiveFrame], None]


class FrameHub:
    """The newest frame, waiters for the next one, and sinks that get every frame (they must not block)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._latest: LiveFrame | None = None
        self._sinks: list[Sink] = []

    def publish(self, frame: LiveFrame) -> None:
        with self._cond:
            self._latest = frame
            sinks = list(self._sinks)
            self._cond.notify_all()
        for sink in sinks:
            sink(frame)

    def latest(self) -> LiveFrame | None:
        with self._cond:
            return self._latest

    def wait_newer(self, seq: int, timeout: float) -> LiveFrame | None:
        """The newest frame after ``seq``, waiting up to ``timeout`` s; None when none came."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._latest is None or self._latest.seq <= seq:
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._cond.wait(left)
            return self._latest

    def add_sink(self, sink: Sink) -> None:
        with self._cond:
            self._sinks.append(sink)

    def remove_sink(self, sink: Sink) -> None:
        with self._cond:
            if sink in self._sinks:
                self._sinks.remove(sink)
