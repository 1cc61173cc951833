"""Live sources through PyAV: a V4L2 grabber (YUYV or MJPEG), a video file played in a loop, the test pattern.

``--source testpattern[:WxH@FPS] | file:PATH | v4l2:/dev/videoN`` (:meth:`SourceSpec.parse`). A
:class:`LiveSource` runs one thread that opens the source, publishes every frame to the :class:`FrameHub` and,
when the source disappears (cable pulled, device gone, file missing), reports ``lost`` with the reason and
opens it again every second until it is back (``live``). Frames keep counting across reconnects.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path
from typing import Any, Protocol

import av

from smartbox_next.capture.live.frames import FrameHub, LiveFrame
from smartbox_next.capture.live.pattern import TestPattern
from smartbox_next.errors import InputError

LOG = logging.getLogger(__name__)

KINDS = ("testpattern", "file", "v4l2")
V4L2_FORMATS = ("", "mjpeg", "yuyv422")


@dataclass(frozen=True)
class SourceSpec:
    """Which source, and the picture asked of it (a file has its own size and rate)."""

    kind: str
    target: str = ""  # file path or device
    width: int = 1280
    height: int = 720
    fps: float = 25.0
    input_format: str = ""  # V4L2 only: "" (the driver's default), mjpeg, yuyv422

    @classmethod
    def parse(cls, text: str, *, width: int = 1280, height: int = 720, fps: float = 25.0,
              input_format: str = "") -> SourceSpec:
        """``testpattern``, ``testpattern:1920x1080@25``, ``file:PATH``, ``v4l2:/dev/video0``."""
        kind, _, rest = text.strip().partition(":")
        kind = kind.lower()
        if kind not in KINDS or (kind != "testpattern" and not rest):
            raise InputError("live.bad_source", value=text)
        if input_format not in V4L2_FORMATS:
            raise InputError("live.bad_source", value=f"{text} ({input_format})")
        spec = cls(kind, rest, width, height, fps, input_format)
        if kind == "testpattern" and rest:
            try:
                size, _, rate = rest.partition("@")
                w, _, h = size.lower().partition("x")
                spec = replace(spec, target="", width=int(w), height=int(h), fps=float(rate) if rate else fps)
            except ValueError:
                raise InputError("live.bad_source", value=text) from None
        if spec.width % 2 or spec.height % 2 or not (64 <= spec.width <= 4096 and 64 <= spec.height <= 4096) \
                or not 1 <= spec.fps <= 120:
            raise InputError("live.bad_source", value=text)
        return spec

    def describe(self) -> str:
        if self.kind == "testpattern":
            return f"testpattern:{self.width}x{self.height}@{self.fps:g}"
        return f"{self.kind}:{self.target}"


@dataclass(frozen=True)
class SourceStatus:
    """What the source is doing: ``starting``, ``live`` or ``lost`` (with the reason, English, for the log)."""

    state: str
    source: str
    detail: str = ""
    since: float = 0.0
    width: int = 0
    height: int = 0
    fps: float = 0.0
    frames: int = 0
    dropped: int = 0  # frames the source could not deliver in time (late ticks, gaps in the timestamps)

    def as_json(self) -> dict[str, Any]:
        return {"state": self.state, "source": self.source, "detail": self.detail, "since": self.since,
                "width": self.width, "height": self.height, "fps": self.fps, "frames": self.frames,
                "dropped": self.dropped}


class SourceLost(Exception):
    """The source stopped delivering (read error, end of a device, file gone)."""


class _Reader(Protocol):
    width: int
    height: int
    fps: float
    dropped: int

    def read(self) -> tuple[Any, bytes | None]: ...

    def close(self) -> None: ...


class _PatternReader:
    """The test pattern, paced by the clock: a tick that is already past when drawn is skipped (counted)."""

    def __init__(self, spec: SourceSpec, stop: threading.Event, clock: Callable[[], float]) -> None:
        self.pattern = TestPattern(spec.width, spec.height, spec.fps)
        self.width, self.height, self.fps = spec.width, spec.height, spec.fps
        self.stop, self.clock = stop, clock
        self.start = clock()
        self.tick = 0
        self.dropped = 0

    def read(self) -> tuple[Any, bytes | None]:
        due = self.start + self.tick / self.fps
        wait = due - self.clock()
        if wait > 0:
            self.stop.wait(wait)
        late = int((self.clock() - due) * self.fps)
        if late > 0:  # we fell more than one frame behind: those frames never existed
            self.dropped += late
            self.tick += late
        n = self.tick
        self.tick += 1
        frame = av.VideoFrame.from_ndarray(self.pattern.frame(n), format="yuv420p")
        return frame, None

    def close(self) -> None:
        pass


class _ContainerReader:
    """Frames of a file (looped, paced at its own rate) or a V4L2 device (paced by the device)."""

    def __init__(self, spec: SourceSpec, stop: threading.Event, clock: Callable[[], float]) -> None:
        self.spec, self.stop, self.clock = spec, stop, clock
        self.loop = spec.kind == "file"
        self.dropped = 0
        self._last_ts: float | None = None
        self._open()

    def _open(self) -> None:
        try:
            if self.spec.kind == "file":
                if not Path(self.spec.target).is_file():
                    raise SourceLost(f"file {self.spec.target} not found")
                self.container = av.open(self.spec.target)
            else:
                options = {"video_size": f"{self.spec.width}x{self.spec.height}",
                           "framerate": f"{self.spec.fps:g}"}
                if self.spec.input_format:
                    options["input_format"] = self.spec.input_format
                self.container = av.open(self.spec.target, format="v4l2", options=options)
        except (av.error.FFmpegError, OSError) as exc:
            raise SourceLost(f"{self.spec.describe()}: {exc}") from exc
        if not self.container.streams.video:
            self.container.close()
            raise SourceLost(f"{self.spec.describe()}: no video stream")
        self.stream = self.container.streams.video[0]
        self.stream.thread_type = "AUTO"
        ctx = self.stream.codec_context
        rate = self.stream.average_rate or self.stream.guessed_rate or Fraction(int(self.spec.fps))
        self.width, self.height, self.fps = int(ctx.width), int(ctx.height), float(rate)
        self.mjpeg = ctx.name == "mjpeg"
        self._packets = self.container.demux(self.stream)
        self._pending: list[tuple[Any, bytes | None]] = []
        self._start = self.clock()
        self._shown = 0

    def read(self) -> tuple[Any, bytes | None]:
        while not self._pending:
            try:
                packet = next(self._packets)
            except StopIteration:
                if not self.loop:
                    raise SourceLost(f"{self.spec.describe()}: the device stopped delivering") from None
                self.container.seek(0)
                self._packets = self.container.demux(self.stream)
                self._last_ts = None
                continue
            except (av.error.FFmpegError, OSError) as exc:
                raise SourceLost(f"{self.spec.describe()}: {exc}") from exc
            if packet.size == 0:
                continue
            data = bytes(packet) if self.mjpeg else None
            try:
                frames = packet.decode()
            except av.error.FFmpegError as exc:
                LOG.debug("live source: undecodable packet skipped (%s)", exc)
                continue
            self._gap(packet)
            self._pending.extend((f, data) for f in frames)
        frame, data = self._pending.pop(0)
        if self.loop:  # a file plays at its own rate
            due = self._start + self._shown / self.fps
            wait = due - self.clock()
            if wait > 0:
                self.stop.wait(wait)
            elif wait < -1.0:  # far behind (machine was busy): restart the pace instead of racing
                self._start, self._shown = self.clock(), 0
        self._shown += 1
        return frame, data

    def _gap(self, packet: Any) -> None:
        """Frames missing between two device timestamps (a grabber's dropped frames)."""
        if self.loop or packet.pts is None or packet.time_base is None:
            return
        ts = float(packet.pts * packet.time_base)
        if self._last_ts is not None and self.fps > 0:
            missing = round((ts - self._last_ts) * self.fps) - 1
            if 0 < missing < 10 * self.fps:
                self.dropped += missing
        self._last_ts = ts

    def close(self) -> None:
        try:
            self.container.close()
        except Exception:  # closing a vanished device may fail: nothing left to release
            LOG.debug("live source: close failed", exc_info=True)


def open_reader(spec: SourceSpec, stop: threading.Event, clock: Callable[[], float] = time.monotonic) -> _Reader:
    if spec.kind == "testpattern":
        return _PatternReader(spec, stop, clock)
    return _ContainerReader(spec, stop, clock)


StateCallback = Callable[[SourceStatus], None]


class LiveSource:
    """The source thread: open, publish frames, report ``lost`` and reopen every ``retry_s`` seconds."""

    def __init__(self, spec: SourceSpec, hub: FrameHub, *, on_state: StateCallback | None = None,
                 retry_s: float = 1.0) -> None:
        self.spec = spec
        self.hub = hub
        self.on_state = on_state
        self.retry_s = retry_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._seq = 0
        self._dropped_before = 0
        self._status = SourceStatus("starting", spec.describe(), since=time.time())
        self._lock = threading.Lock()

    @property
    def status(self) -> SourceStatus:
        with self._lock:
            return replace(self._status, frames=self._seq)

    def _set(self, status: SourceStatus) -> None:
        with self._lock:
            changed = status.state != self._status.state or status.detail != self._status.detail
            self._status = status
        if changed:
            if status.state == "lost":
                LOG.warning("live source %s lost: %s", status.source, status.detail)
            else:
                LOG.info("live source %s %s (%dx%d @ %g)", status.source, status.state, status.width,
                         status.height, status.fps)
            if self.on_state is not None:
                self.on_state(status)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="live-source", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                reader = open_reader(self.spec, self._stop)
            except SourceLost as exc:
                self._set(SourceStatus("lost", self.spec.describe(), str(exc), time.time(),
                                       dropped=self._dropped_before))
                self._stop.wait(self.retry_s)
                continue
            try:
                self._pump(reader)
            except SourceLost as exc:
                self._set(SourceStatus("lost", self.spec.describe(), str(exc), time.time(),
                                       dropped=self._dropped_before))
            except Exception as exc:  # a decoder or driver failure: report and try again, never die
                LOG.exception("live source failed")
                self._set(SourceStatus("lost", self.spec.describe(), f"{type(exc).__name__}: {exc}", time.time(),
                                       dropped=self._dropped_before))
            finally:
                self._dropped_before += reader.dropped
                reader.close()
            self._stop.wait(self.retry_s)

    def _pump(self, reader: _Reader) -> None:
        live = SourceStatus("live", self.spec.describe(), "", time.time(), reader.width, reader.height, reader.fps)
        first = True
        while not self._stop.is_set():
            frame, jpeg = reader.read()
            if self._stop.is_set():
                return
            self._seq += 1
            if first:
                self._set(live)
                first = False
            elif reader.dropped:
                with self._lock:
                    self._status = replace(self._status, dropped=self._dropped_before + reader.dropped)
            self.hub.publish(LiveFrame(frame, self._seq, time.time(), reader.fps, jpeg))
