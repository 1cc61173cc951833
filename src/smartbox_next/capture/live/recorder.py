"""The recorder: real-time H.264 (or MPEG-2) of the live frames, a ring buffer of the encoded video for
pre-record, and the recording file — encoded once, muxed as it is (the video builder wraps it byte for byte).

One encoder thread takes frames from a bounded queue (a full queue drops the frame and counts it: the source is
never slowed down) and encodes them with libx264 (High Profile, Level 4.1, ``tune=zerolatency``: no B-frames, no
look-ahead, so a packet leaves with its frame; a keyframe every ``gop_s`` seconds; VBV-capped). Every packet goes
into the :class:`PacketRing` (the last ``pre_record_max_s`` seconds, capped in bytes) and, while recording, into
the MP4 (or MPEG-TS for MPEG-2) file. A recording that starts ``pre_record_s`` seconds back begins at the newest
keyframe at least that old; without pre-record the encoder is asked for a keyframe (IDR) for the next frame.

The file's codec parameters are taken from the encoder's own SPS/PPS (a template stream read from them), so the
container never opens a second encoder and its ``avcC`` matches the packets.
"""

from __future__ import annotations

import io
import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
from av.codec.context import Flags

from smartbox_next.capture.live.frames import FrameHub, LiveFrame
from smartbox_next.capture.transcode import H264_L41_VBV, MPEG2_LIMITS

LOG = logging.getLogger(__name__)

CODECS = {"h264": ("libx264", "mp4", "h264"), "mpeg2": ("mpeg2video", "mpegts", "mpegvideo")}


@dataclass(frozen=True)
class EncoderSettings:
    """How live video is encoded (``[station]`` recording settings)."""

    codec: str = "h264"  # h264 (High Profile, Level 4.1, MP4) | mpeg2 (Main Profile, MPEG-TS)
    preset: str = "superfast"
    crf: int = 23
    max_kbit: int = 20_000  # VBV cap (Level 4.1 allows 50 000 kbit/s for High Profile)
    gop_s: float = 1.0
    threads: int = 2

    def options(self, fps: float, width: int, height: int) -> dict[str, str]:
        gop = str(max(1, round(self.gop_s * fps)))
        if self.codec == "h264":
            maxrate = min(self.max_kbit, H264_L41_VBV["vbv-maxrate"])
            return {"preset": self.preset, "tune": "zerolatency", "profile": "high", "level": "41",
                    "crf": str(self.crf), "g": gop, "forced-idr": "1",
                    "x264-params": f"vbv-maxrate={maxrate}:vbv-bufsize={maxrate}:keyint={gop}"}
        level = "main" if width <= 720 and height <= 576 else "high"
        top, vbv = MPEG2_LIMITS[level]
        rate = min(self.max_kbit * 1000, top)
        return {"b": str(rate), "maxrate": str(rate), "bufsize": str(vbv), "g": str(min(int(gop), 15)), "bf": "0"}


@dataclass(frozen=True)
class _Packet:
    pts: int
    key: bool
    data: bytes
    captured: float  # wall time of its frame


class PacketRing:
    """The last ``max_s`` seconds of encoded packets (at most ``max_bytes``), whole GOPs from a keyframe on."""

    def __init__(self, max_s: float, max_bytes: int) -> None:
        self.max_s, self.max_bytes = max_s, max_bytes
        self._items: deque[_Packet] = deque()
        self._bytes = 0

    def __len__(self) -> int:
        return len(self._items)

    @property
    def bytes(self) -> int:
        return self._bytes

    def clear(self) -> None:
        self._items.clear()
        self._bytes = 0

    def append(self, packet: _Packet) -> None:
        self._items.append(packet)
        self._bytes += len(packet.data)
        # drop whole GOPs from the front while what stays still covers max_s (or the bytes cap is exceeded)
        while len(self._items) > 1:
            nxt = next((i for i, p in enumerate(self._items) if i > 0 and p.key), None)
            if nxt is None:
                break
            after = self._items[nxt]
            too_old = packet.captured - after.captured >= self.max_s
            if not too_old and self._bytes <= self.max_bytes:
                break
            for _ in range(nxt):
                gone = self._items.popleft()
                self._bytes -= len(gone.data)

    def since(self, seconds: float, now: float) -> list[_Packet]:
        """The packets from the newest keyframe at least ``seconds`` old (else the oldest keyframe) on."""
        start = None
        for i, p in enumerate(self._items):
            if not p.key:
                continue
            if start is None or now - p.captured >= seconds:
                start = i
            if now - p.captured < seconds:
                break
        return [] if start is None else list(self._items)[start:]


@dataclass(frozen=True)
class Recorded:
    """A finished recording file."""

    path: Path
    frames: int
    duration_s: float
    pre_record_s: float  # how much of it was before the press
    started: float  # wall time of its first frame
    width: int
    height: int
    dropped: int  # frames the recorder dropped during it (queue full)
    size: int


class _Recording:
    def __init__(self, path: Path, codec: str, extradata: bytes, first: _Packet, rate: Fraction,
                 pressed: float) -> None:
        _, container_format, template_format = CODECS[codec]
        self.path = path
        self.rate = rate
        self.base = first.pts
        self.pressed = pressed
        self.started = first.captured
        self.frames = 0
        self.last_pts = first.pts
        template = av.open(io.BytesIO(extradata + first.data), format=template_format)
        try:
            self.out = av.open(str(path), "w", format=container_format)
            self.stream = self.out.add_stream_from_template(template.streams.video[0])
        finally:
            template.close()
        self.time_base = Fraction(1) / rate

    def write(self, packet: _Packet) -> None:
        p = av.Packet(packet.data)
        p.pts = p.dts = packet.pts - self.base
        p.time_base = self.time_base
        p.duration = 1
        p.is_keyframe = packet.key
        p.stream = self.stream
        self.out.mux(p)
        self.frames += 1
        self.last_pts = packet.pts

    def close(self) -> None:
        self.out.close()


EventCallback = Callable[[str, dict[str, Any]], None]


class LiveRecorder:
    """Encodes the hub's frames while armed or recording; see the module docstring."""

    def __init__(self, hub: FrameHub, settings: EncoderSettings, *, pre_record_max_s: float,
                 ring_max_bytes: int = 256 * 1024 * 1024, queue_frames: int = 12,
                 on_event: EventCallback | None = None) -> None:
        self.hub, self.settings = hub, settings
        self.pre_record_max_s = pre_record_max_s
        self.on_event = on_event
        self.ring = PacketRing(pre_record_max_s + 2 * settings.gop_s, ring_max_bytes)
        self._queue: queue.Queue[LiveFrame] = queue.Queue(maxsize=queue_frames)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._armed = False
        self._enc: Any = None
        self._enc_key: tuple[int, int, float] | None = None
        self._extradata = b""
        self._pts = 0
        self._rate = Fraction(25)
        self._recording: _Recording | None = None
        self._pending: tuple[Path, float, float] | None = None  # path, pre-record s, press time: awaiting a keyframe
        self._force_key = False
        self.dropped = 0
        self.encoded = 0
        self.encode_s = 0.0
        self._dropped_at_start = 0
        self._finished: Recorded | None = None
        self._finished_event = threading.Event()

    # ------------------------------------------------------------------ control

    def arm(self) -> None:
        """Start encoding (the ring buffer fills; a recording can start with pre-record)."""
        with self._lock:
            self._armed = True
        self._ensure_thread()

    def disarm(self) -> None:
        """Stop encoding once no recording runs (the ring buffer is emptied)."""
        with self._lock:
            self._armed = False
            idle = self._recording is None and self._pending is None
        if idle:
            self._stop_thread()

    @property
    def armed(self) -> bool:
        return self._armed

    @property
    def recording(self) -> bool:
        with self._lock:
            return self._recording is not None or self._pending is not None

    def elapsed(self) -> float:
        """Seconds of the running recording (pre-record included), 0 when none."""
        with self._lock:
            rec = self._recording
            if rec is None:
                return 0.0
            return (rec.last_pts - rec.base + 1) / float(rec.rate)

    def start(self, path: Path, pre_record_s: float = 0.0) -> float:
        """Start recording into ``path``; returns the pre-record seconds the file will hold (≤ asked)."""
        pre = max(0.0, min(pre_record_s, self.pre_record_max_s))
        now = time.time()
        with self._lock:
            if self._recording is not None or self._pending is not None:
                raise RuntimeError("a recording is running")
            self._finished = None
            self._finished_event.clear()
            self._dropped_at_start = self.dropped
            packets = self.ring.since(pre, now) if pre > 0 and self._enc is not None else []
            if packets:
                self._recording = _Recording(path, self.settings.codec, self._extradata, packets[0], self._rate,
                                             now)
                for p in packets:
                    self._recording.write(p)
                got = max(0.0, now - packets[0].captured)
            else:
                self._pending = (path, pre, now)
                self._force_key = True
                got = 0.0
        self._ensure_thread()
        LOG.info("recording started (%.1f s before the press)", got)
        return got

    def stop(self, timeout: float = 10.0) -> Recorded:
        """Finish the recording: the file is complete (moov written) when this returns."""
        with self._lock:
            rec, self._recording = self._recording, None
            pending, self._pending = self._pending, None
            if rec is None and pending is None and self._finished is not None:
                done = self._finished  # ended by itself (the source changed size)
                self._finished = None
                return done
        if rec is None:
            raise RuntimeError("no recording runs (or it had not received a frame yet)")
        rec.close()
        result = Recorded(rec.path, rec.frames, rec.frames / float(rec.rate), max(0.0, rec.pressed - rec.started),
                          rec.started, self._enc_key[0] if self._enc_key else 0,
                          self._enc_key[1] if self._enc_key else 0, self.dropped - self._dropped_at_start,
                          rec.path.stat().st_size)
        if not self._armed:
            self._stop_thread()
        LOG.info("recording finished: %d frames, %.1f s, %d dropped", result.frames, result.duration_s,
                 result.dropped)
        return result

    def close(self) -> None:
        with self._lock:
            rec, self._recording, self._pending = self._recording, None, None
            self._armed = False
        if rec is not None:
            rec.close()
        self._stop_thread()

    def stats(self) -> dict[str, Any]:
        return {"armed": self._armed, "recording": self.recording, "encoded": self.encoded, "dropped": self.dropped,
                "encode_ms": round(1000 * self.encode_s / self.encoded, 2) if self.encoded else 0.0,
                "ring_s": self._ring_seconds(), "ring_bytes": self.ring.bytes, "queue": self._queue.qsize()}

    def _ring_seconds(self) -> float:
        with self._lock:
            return float(len(self.ring)) / float(self._rate) if self._rate else 0.0

    # ------------------------------------------------------------------ the thread

    def _sink(self, frame: LiveFrame) -> None:
        try:
            self._queue.put_nowait(frame)
        except queue.Full:
            self.dropped += 1

    def _ensure_thread(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="live-recorder", daemon=True)
        self._thread.start()
        self.hub.add_sink(self._sink)

    def _stop_thread(self) -> None:
        self.hub.remove_sink(self._sink)
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(5)
        self._thread = None
        with self._lock:
            self._enc, self._enc_key = None, None
            self.ring.clear()
        while not self._queue.empty():
            self._queue.get_nowait()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                frame = self._queue.get(timeout=0.2)
            except queue.Empty:
                continue
            try:
                self._encode(frame)
            except Exception:  # keep the station alive; the recording (if any) is closed and reported
                LOG.exception("live encoder failed")
                self._abort("live.encoder_failed")

    def _open_encoder(self, frame: LiveFrame) -> None:
        codec_name = CODECS[self.settings.codec][0]
        rate = Fraction(frame.fps).limit_denominator(1001)
        enc: Any = av.CodecContext.create(codec_name, "w")
        enc.width, enc.height = frame.width, frame.height
        enc.pix_fmt = "yuv420p"
        enc.time_base = Fraction(1) / rate
        enc.framerate = rate
        if self.settings.codec == "h264":
            enc.flags = Flags(enc.flags) | Flags.global_header
        enc.options = self.settings.options(frame.fps, frame.width, frame.height)
        enc.thread_count = self.settings.threads
        enc.open()
        with self._lock:
            ended = self._recording is not None and self._finish_locked()  # the picture changed size
            self._enc, self._rate = enc, rate
            self._enc_key = (frame.width, frame.height, frame.fps)
            self._extradata = bytes(enc.extradata or b"")
            self.ring.clear()
        if ended and self.on_event is not None:
            self.on_event("recording_ended", {"reason": "live.size_changed"})

    def _encode(self, lf: LiveFrame) -> None:
        if self._enc is None or self._enc_key != (lf.width, lf.height, lf.fps):
            self._open_encoder(lf)
        frame = lf.converted("yuv420p")  # its own frame: pts and picture type are set on it
        frame.pts = self._pts
        self._pts += 1
        if self._force_key:
            frame.pict_type = av.video.frame.PictureType.I
            self._force_key = False
        started = time.perf_counter()
        packets = self._enc.encode(frame)
        self.encode_s += time.perf_counter() - started
        self.encoded += 1
        for p in packets:
            self._packet(_Packet(int(p.pts), bool(p.is_keyframe), bytes(p), lf.captured))

    def _packet(self, packet: _Packet) -> None:
        with self._lock:
            if self._armed and self.pre_record_max_s > 0:
                self.ring.append(packet)
            if self._pending is not None and packet.key:
                path, _, pressed = self._pending
                self._pending = None
                self._recording = _Recording(path, self.settings.codec, self._extradata, packet, self._rate,
                                             pressed)
            if self._recording is not None:
                self._recording.write(packet)

    def _finish_locked(self) -> bool:
        rec, self._recording = self._recording, None
        if rec is None:
            return False
        rec.close()
        self._finished = Recorded(rec.path, rec.frames, rec.frames / float(rec.rate),
                                  max(0.0, rec.pressed - rec.started), rec.started,
                                  self._enc_key[0] if self._enc_key else 0, self._enc_key[1] if self._enc_key else 0,
                                  self.dropped - self._dropped_at_start, rec.path.stat().st_size)
        self._finished_event.set()
        return True

    def _abort(self, key: str) -> None:
        with self._lock:
            ended = self._finish_locked()
            self._enc, self._enc_key = None, None
        if self.on_event is not None:
            self.on_event("recording_ended" if ended else "recorder_error", {"reason": key})
