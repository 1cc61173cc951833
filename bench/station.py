"""Benchmark of the capture station (issue 15): press → still written, preview rate and latency over HTTP,
real-time recording at 1280×720 and 1920×1080 25 fps with CPU use and dropped frames while sending, RSS over a
long recording.

    PYTHONPATH=src python bench/station.py [--seconds 20] [--long-s 1800] [--pacs AET@host:port]

Without ``--pacs`` the captures go to a folder destination (no network); with it, to that Storage SCP.
Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

import psutil

from smartbox_next.app.live import LiveStation
from smartbox_next.capture.live.sources import SourceSpec
from smartbox_next.config import config_from_mapping


def _station(work: Path, size: str, pacs: str | None) -> LiveStation:
    data: dict[str, Any] = {"station": {"data_dir": str(work / f"data-{size}")}, "outbox": {"min_free_mb": 50},
                            "objects": {"anatomic_region": "colon"}, "live": {"pre_record_max_s": 10}}
    if pacs:
        data["peers"] = {"pacs": pacs}
    else:
        (work / "folder").mkdir(exist_ok=True)
        data["outbox"]["folder"] = str(work / "folder")
    st = LiveStation(config_from_mapping(data), source=SourceSpec.parse(f"testpattern:{size}@25"), echo_interval=3600)
    st.start()
    deadline = time.monotonic() + 20
    while st.source.status.state != "live" and time.monotonic() < deadline:
        time.sleep(0.05)
    return st


def _stop(st: LiveStation) -> None:
    st.stop_event.set()
    st.stop()


def still_times(st: LiveStation, exam: str, n: int) -> list[float]:
    out = []
    for _ in range(n):
        out.append(float(st.take_still(exam)["ms"]))
        time.sleep(0.2)
    return out


def preview_over_http(st: LiveStation, seconds: float) -> tuple[float, float, float]:
    """(frames per second, median and 95th percentile latency in ms) of GET /api/preview.mjpeg on loopback."""
    import socket

    import uvicorn

    from smartbox_next.web.app import create_app
    from smartbox_next.web.security import Security

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(st, Security(st.config.web, port=port)), log_level="warning",
                                           lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:  # a loaded machine may need more than a second
        time.sleep(0.05)
    latencies: list[float] = []
    frames = 0
    started = time.monotonic()
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/preview.mjpeg", timeout=10) as r:
        while time.monotonic() - started < seconds:
            line = r.readline()
            if line.startswith(b"X-Frame-Time: "):
                stamp = float(line.split(b": ")[1])
            elif line.startswith(b"Content-Length: "):
                length = int(line.split(b": ")[1])
            elif line == b"\r\n" and "length" in locals():
                r.read(length)
                latencies.append((time.time() - stamp) * 1000)
                frames += 1
                del length
    server.should_exit = True
    thread.join(5)
    q = statistics.quantiles(latencies, n=20)
    return frames / seconds, statistics.median(latencies), q[18]


def record(st: LiveStation, exam: str, seconds: float, *, send_every: float = 2.0,
           rss: list[tuple[float, float]] | None = None) -> dict[str, Any]:
    """Record ``seconds`` while taking and sending a still every ``send_every`` seconds."""
    proc = psutil.Process()
    proc.cpu_percent(None)
    dropped_before = st.source.status.dropped
    st.start_recording(exam, 0)
    started = time.monotonic()
    next_send = started + send_every
    while time.monotonic() - started < seconds:
        time.sleep(0.25)
        if time.monotonic() >= next_send:
            st.take_still(exam)
            st.send(exam)
            next_send += send_every
        if rss is not None and (not rss or time.monotonic() - rss[-1][0] >= 5):
            rss.append((time.monotonic(), proc.memory_info().rss / 1e6))
    cpu = proc.cpu_percent(None)
    result = st.stop_recording(exam, wait=True)
    return {"cpu": cpu, "frames": result["frames"], "duration": result["duration_s"],
            "dropped": result["dropped"] + st.source.status.dropped - dropped_before,
            "encode_ms": st.recorder.stats()["encode_ms"]}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--long-s", type=float, default=1800)
    ap.add_argument("--pacs", default=None)
    args = ap.parse_args()
    rows: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory(prefix="bench-station-") as tmp:
        work = Path(tmp)
        for size in ("1280x720", "1920x1080"):
            st = _station(work, size, args.pacs)
            try:
                exam = st.start_exam(emergency="male").exam_id
                time.sleep(1.0)
                times = still_times(st, exam, 10)
                rows.append((f"press → still written, {size} (median / max of 10)",
                             f"{statistics.median(times):.0f} ms / {max(times):.0f} ms"))
                fps, p50, p95 = preview_over_http(st, 10)
                rows.append((f"preview {size} → 960 px over HTTP: rate, latency median / p95",
                             f"{fps:.1f} fps, {p50:.0f} ms / {p95:.0f} ms"))
                r = record(st, exam, args.seconds)
                rows.append((f"recording {size} @ 25 fps, {args.seconds:.0f} s, still + send every 2 s",
                             f"{r['frames']} frames in {r['duration']:.1f} s, {r['dropped']} dropped, CPU "
                             f"{r['cpu']:.0f} % (of 200 %), encode {r['encode_ms']:.1f} ms/frame"))
                if size == "1920x1080" and args.long_s > 0:
                    rss: list[tuple[float, float]] = []
                    r = record(st, exam, args.long_s, send_every=30, rss=rss)
                    values = [v for _, v in rss]
                    rows.append((f"RSS over a {args.long_s / 60:.0f}-min 1080p25 recording (every 5 s)",
                                 f"start {values[0]:.0f} MB, after 1 min {values[min(12, len(values) - 1)]:.0f} MB, "
                                 f"end {values[-1]:.0f} MB, max {max(values):.0f} MB; {r['dropped']} dropped, "
                                 f"CPU {r['cpu']:.0f} %"))
                st.complete(exam)
            finally:
                _stop(st)
    print("| measurement | result |\n|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |")
    print(f"\n2 cores ({psutil.cpu_count()} logical), load {' '.join(f'{x:.1f}' for x in psutil.getloadavg())} "
          "(shared machine: other jobs run at the same time)")


if __name__ == "__main__":
    main()
