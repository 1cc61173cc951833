"""Benchmark (not a test): streamed wrapping of a ~1 GB MP4 vs ``cp``, and PyAV transcoding vs Debian ffmpeg.

    python bench/video.py [--size-mb 1000] [--runs 3] [--work /tmp/smartbox-bench] [--compare-src DIR]

Wrapping runs in a child process so its peak RSS (ru_maxrss) is measured alone; ``cp`` copies the same
file in the same run (both from the page cache, both followed by fsync of the result). Two wrap times are
reported: ``build`` (``build_video_objects``: probe, header, stream copy, fsync, rename) and ``process``
(the whole child from spawn to exit: Python start-up and imports included, like ``cp``'s own process).
``--compare-src DIR`` also runs the wrap with ``DIR`` on ``PYTHONPATH`` (e.g. an export of the previous
commit's ``src``), interleaved in the same run, for a before/after. Transcoding encodes the same 1080p
clip with the same x264 settings through PyAV (``media.transcode``) and through ``ffmpeg``.
Prints medians and ratios (the machine is shared and noisy: compare, don't quote absolutes).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import av

CHILD = r"""
import sys, time, json, resource
from pathlib import Path
from smartbox_next.config import Config
from smartbox_next.dicom import sop as sops
from smartbox_next.iod.video import build_video_objects
from smartbox_next.exam.model import Exam, Patient, Study
src, out = Path(sys.argv[1]), Path(sys.argv[2])
exam = Exam(Patient("BENCH^WRAP", "BENCH"), Study.new())
t = time.perf_counter()
[obj] = build_video_objects(Config(), exam, src, sops.VIDEO_ENDOSCOPIC, out)
dt = time.perf_counter() - t
print(json.dumps({"seconds": dt, "pass_through": obj.pass_through, "bytes": obj.size, "path": str(obj.path),
                  "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def make_source(work: Path, size_mb: int) -> Path:
    """A conformant H.264 High@4.1 1080p25 MP4 of about ``size_mb`` MB (one encoded chunk, stream-copied)."""
    big = work / f"big-{size_mb}.mp4"
    if big.exists():
        return big
    chunk = work / "chunk.mp4"
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=1920x1080:rate=25",
                    "-t", "10", "-c:v", "libx264", "-preset", "ultrafast", "-profile:v", "high", "-level", "4.1",
                    "-x264-params", "8x8dct=1:cabac=1", "-b:v", "40M", "-maxrate", "45M", "-bufsize", "60M",
                    "-pix_fmt", "yuv420p", str(chunk)],
                   check=True)
    loops = max(0, round(size_mb * 1e6 / chunk.stat().st_size) - 1)
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-stream_loop", str(loops), "-i", str(chunk), "-c", "copy",
                    "-movflags", "+faststart", str(big)], check=True)
    return big


def time_cp(src: Path, dst: Path) -> float:
    t = time.perf_counter()
    subprocess.run(["cp", str(src), str(dst)], check=True)
    fd = os.open(dst, os.O_RDONLY)
    os.fsync(fd)
    os.close(fd)
    dt = time.perf_counter() - t
    dst.unlink()
    return dt


def time_wrap(src: Path, out: Path, python_path: Path | None = None) -> dict[str, float]:
    env = dict(os.environ)
    if python_path is not None:
        env["PYTHONPATH"] = str(python_path)
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", CHILD, str(src), str(out)], check=True, capture_output=True,
                          text=True, env=env)
    process = time.perf_counter() - t
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    Path(result.pop("path")).unlink()  # outside the timing, as for cp
    result["process"] = process
    return {k: float(v) for k, v in result.items()}


def bench_wrap(work: Path, size_mb: int, runs: int, compare_src: Path | None = None) -> None:
    src = make_source(work, size_mb)
    out = work / "out"
    out.mkdir(exist_ok=True)
    time_cp(src, work / "warm.bin")
    cps: list[float] = []
    variants = {"this": None} if compare_src is None else {"this": None, "compare": compare_src}
    builds: dict[str, list[float]] = {k: [] for k in variants}
    procs: dict[str, list[float]] = {k: [] for k in variants}
    rss: dict[str, list[float]] = {k: [] for k in variants}
    for _ in range(runs):  # interleaved: every variant sees the same machine state
        cps.append(time_cp(src, work / "copy.bin"))
        for name, python_path in variants.items():
            r = time_wrap(src, out, python_path)
            assert r["pass_through"]
            builds[name].append(r["seconds"])
            procs[name].append(r["process"])
            rss[name].append(r["maxrss_mb"])
    cp = statistics.median(cps)
    mb = src.stat().st_size / 1e6
    print(f"cp+fsync of the {mb:.0f} MB H.264 MP4: median {cp:.2f} s ({mb / cp:.0f} MB/s) "
          f"(runs {[round(x, 2) for x in cps]})")
    for name in variants:
        build, proc = statistics.median(builds[name]), statistics.median(procs[name])
        label = "wrap" if name == "this" else f"wrap [{compare_src}]"
        print(f"{label}: build median {build:.2f} s ({mb / build:.0f} MB/s), ratio build/cp = {build / cp:.2f} "
              f"(target <= 1.25); whole process median {proc:.2f} s, ratio process/cp = {proc / cp:.2f}; "
              f"peak RSS {max(rss[name]):.0f} MB (target <= 100) "
              f"(runs: build {[round(x, 2) for x in builds[name]]}, process {[round(x, 2) for x in procs[name]]})")
    if compare_src is not None:
        ratio = statistics.median(builds["compare"]) / statistics.median(builds["this"])
        print(f"speed-up of this tree over {compare_src}: {ratio:.2f}x (build)")


def bench_transcode(work: Path, runs: int) -> None:
    from smartbox_next.capture.syntax import plan_h264
    from smartbox_next.capture.transcode import EncoderSettings, encoder_options, transcode
    from smartbox_next.capture.video import probe

    src = work / "src1080.mp4"
    if not src.exists():
        subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                        "testsrc2=size=1920x1080:rate=25", "-t", "8", "-c:v", "mpeg4", "-q:v", "3", str(src)],
                       check=True)
    info = probe(src)
    plan = plan_h264(info)
    opts = encoder_options(plan, EncoderSettings())
    cmd = ["ffmpeg", "-loglevel", "error", "-y", "-i", str(src), "-an", "-c:v", "libx264", "-pix_fmt", "yuv420p",
           "-preset", opts["preset"], "-crf", opts["crf"], "-profile:v", "high", "-level", opts["level"],
           "-g", opts["g"], "-x264-params", opts["x264-params"], "-movflags", "+faststart",
           str(work / "ffmpeg.mp4")]
    ours, theirs = [], []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(cmd, check=True)
        theirs.append(time.perf_counter() - t)
        t = time.perf_counter()
        transcode(info, plan, work / "pyav.mp4")
        ours.append(time.perf_counter() - t)
    a, b = statistics.median(ours), statistics.median(theirs)
    print(f"transcode {info.describe()} -> H.264 HP@L4.1 ({opts['preset']}, crf {opts['crf']}): PyAV median "
          f"{a:.2f} s ({info.frame_count / a:.1f} fps), ffmpeg {av.__version__ and ''}median {b:.2f} s "
          f"({info.frame_count / b:.1f} fps); speed PyAV/ffmpeg = {b / a:.2f}x")
    print(f"ffmpeg command: {' '.join(cmd)}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-mb", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--work", type=Path, default=Path("/tmp/smartbox-bench"))
    parser.add_argument("--skip-wrap", action="store_true")
    parser.add_argument("--skip-transcode", action="store_true")
    parser.add_argument("--compare-src", type=Path, default=None,
                        help="a src folder of another version to run side by side (PYTHONPATH)")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    if shutil.which("ffmpeg") is None:
        sys.exit("Debian ffmpeg is needed for the comparison (apt-get install ffmpeg)")
    if not args.skip_wrap:
        bench_wrap(args.work, args.size_mb, args.runs, args.compare_src)
    if not args.skip_transcode:
        bench_transcode(args.work, args.runs)
    print(f"(bench process peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB)")


if __name__ == "__main__":
    main()
