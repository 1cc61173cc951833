"""Benchmark: ``smartbox send`` vs DCMTK ``storescu`` into the same storescp, side by side in one run.

Objects: a 500 MB uncompressed multi-frame object (MF True Color SC, Explicit VR LE), a 300 MB H.264 video
object (random bytes encapsulated under 1.2.840.10008.1.2.4.102 — enough for a network benchmark) and 100
camera-JPEG SC objects (one association). Receivers: ``storescp +xa +B -pdu 131072`` and a default
``storescp +xa`` (PDU 16384). Then the receiver's share (storescp's own CPU time while it receives the 500 MB
object: no sender can finish before the receiver has done its work), 3 destinations at once vs one (one
``smartbox send`` with three ``--to`` — a worker process each —, three separate ``smartbox send`` processes, three
``storescu`` in parallel), and
the sender's peak RSS for a 2 GB object through a throttled proxy (a slow receiver).

Every sender runs as a child process; peak RSS is the child's maximum resident set (GNU time). For smartbox two
times are shown: the transfer (``elapsed_s`` of the CLI's JSON summary: scan, associate, send, release) and the
whole process (interpreter start-up and imports included). Ratios > 1 mean smartbox is faster. Medians of
``--repeat``. The source tree is byte-compiled first (as an installed package is).

    python bench/store.py [--repeat 3] [--work /tmp/smartbox-bench] [--skip-2gb] [--rate-mb 100]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path

import numpy as np
import pydicom
from PIL import Image
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate
from pydicom.uid import ExplicitVRLittleEndian, JPEGBaseline8Bit, generate_uid

STORESCP, STORESCU = "/usr/bin/storescp", "/usr/bin/storescu"
SMARTBOX = [sys.executable, "-c", "from smartbox_next.cli import run; run()"]
MB = 1_000_000
RSS_FILE = Path("/tmp/smartbox-bench-rss.txt")
RECEIVED = Path("/dev/shm/smartbox-bench") if Path("/dev/shm").is_dir() else Path("/tmp/smartbox-bench-rx")
# storescu needs to be told which transfer syntaxes to propose (PEERS.md)
STORESCU_FLAGS = {"500 MB uncompressed MF": [], "300 MB H.264 video": ["-R", "-xn"],
                  "100 JPEG SC (1 assoc)": ["-R", "-xy"]}


# ------------------------------------------------------------------------------------------ objects


def _base(sop: str, ts: str) -> Dataset:
    ds = Dataset()
    ds.SOPClassUID, ds.SOPInstanceUID = sop, generate_uid()
    ds.StudyInstanceUID, ds.SeriesInstanceUID = generate_uid(), generate_uid()
    ds.PatientName, ds.PatientID, ds.Modality = "Bench^Mark", "BENCH", "ES"
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ts
    ds.file_meta.MediaStorageSOPClassUID, ds.file_meta.MediaStorageSOPInstanceUID = sop, ds.SOPInstanceUID
    return ds


def write_native(path: Path, frames: int, width: int = 1920, height: int = 1080) -> Path:
    """MF True Color SC, Explicit VR LE; pixel data streamed to disk (never whole in memory)."""
    if path.exists():
        return path
    ds = _base("1.2.840.10008.5.1.4.1.1.7.4", ExplicitVRLittleEndian)
    ds.Rows, ds.Columns, ds.SamplesPerPixel, ds.NumberOfFrames = height, width, 3, frames
    ds.PhotometricInterpretation, ds.PlanarConfiguration = "RGB", 0
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 8, 7, 0
    ds.FrameIncrementPointer, ds.FrameTime = 0x00181063, 40.0
    frame = width * height * 3
    tmp = path.with_suffix(".tmp")
    ds.save_as(tmp, enforce_file_format=True)
    block = np.random.default_rng(0).integers(0, 255, frame, dtype=np.uint8).tobytes()
    with tmp.open("ab") as fh:
        fh.write(b"\xe0\x7f\x10\x00OB\x00\x00" + (frame * frames).to_bytes(4, "little"))
        for _ in range(frames):
            fh.write(block)
    tmp.rename(path)
    return path


def write_video(path: Path, nbytes: int) -> Path:
    if path.exists():
        return path
    ds = _base("1.2.840.10008.5.1.4.1.1.77.1.1.1", "1.2.840.10008.1.2.4.102")
    ds.Rows, ds.Columns, ds.SamplesPerPixel, ds.NumberOfFrames = 1080, 1920, 3, 9000
    ds.PhotometricInterpretation, ds.PlanarConfiguration = "YBR_PARTIAL_420", 0
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 8, 7, 0
    ds.PixelData = encapsulate([np.random.default_rng(1).integers(0, 255, nbytes, dtype=np.uint8).tobytes()],
                               has_bot=False)
    ds["PixelData"].VR = "OB"
    ds.save_as(path, enforce_file_format=True)
    return path


def write_jpegs(folder: Path, count: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"{i:03d}.dcm" for i in range(count)]
    if all(p.exists() for p in paths):
        return paths
    rng = np.random.default_rng(2)
    img = Image.fromarray((rng.random((135, 240, 3)) * 255).astype(np.uint8)).resize((1920, 1080))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=90)
    data = buf.getvalue()
    for p in paths:
        ds = _base("1.2.840.10008.5.1.4.1.1.7", JPEGBaseline8Bit)
        ds.ConversionType = "DV"
        ds.Rows, ds.Columns, ds.SamplesPerPixel = 1080, 1920, 3
        ds.PhotometricInterpretation, ds.PlanarConfiguration = "YBR_FULL_422", 0
        ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 8, 7, 0
        ds.LossyImageCompression = "01"
        ds.PixelData = encapsulate([data])
        ds["PixelData"].VR = "OB"
        ds.save_as(p, enforce_file_format=True)
    return paths


# ---------------------------------------------------------------------------------------- processes


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def storescp(out: Path, *args: str) -> Iterator[int]:
    out.mkdir(parents=True, exist_ok=True)
    port = free_port()
    proc = subprocess.Popen([STORESCP, "+xa", *args, "-aet", "STORESCP", "-od", str(out), str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        yield port
    finally:
        proc.terminate()
        proc.wait(10)


def run(cmd: Sequence[str], rss_file: Path) -> tuple[float, int, str]:
    """Run ``cmd`` under GNU time; wall seconds, peak RSS (MB) of the process, stdout.

    GNU time (a small parent) reports the child's maximum resident set; measuring from this big benchmark
    process with wait4 would report our own RSS, which a forked child inherits as its starting high-water mark.
    """
    t0 = time.perf_counter()
    proc = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", str(rss_file), *cmd], capture_output=True,
                          check=False)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd[0]} failed ({proc.returncode}): {proc.stderr.decode(errors='replace')[-2000:]}")
    rss_kb = int(rss_file.read_text().split()[-1])
    return wall, rss_kb // 1024, proc.stdout.decode(errors="replace")


def smartbox(files: Sequence[Path], ports: Sequence[int]) -> tuple[float, float, int]:
    """(transfer seconds = slowest destination, process seconds, peak RSS MB)."""
    cmd = [*SMARTBOX, "send", *map(str, files), "--json", "--attempts", "1"]
    for port in ports:
        cmd += ["--to", f"STORESCP@127.0.0.1:{port}"]
    wall, rss, out = run(cmd, RSS_FILE)
    summaries = [json.loads(line) for line in out.splitlines() if '"summary"' in line]
    assert all(s["ok"] for s in summaries), summaries
    return max(float(s["elapsed_s"]) for s in summaries), wall, rss


def smartbox_processes(files: Sequence[Path], ports: Sequence[int]) -> float:
    """The slowest transfer of one ``smartbox send`` process per port, all started at once (each with its own
    data folder): what per-destination processes instead of threads would give."""
    procs = []
    for i, port in enumerate(ports):
        env = {**os.environ, "SMARTBOX_STATION_DATA_DIR": f"/tmp/smartbox-bench-proc{i}"}
        procs.append(subprocess.Popen([*SMARTBOX, "send", *map(str, files), "--json", "--attempts", "1", "--to",
                                       f"STORESCP@127.0.0.1:{port}"], stdout=subprocess.PIPE, text=True, env=env))
    seconds = []
    for proc in procs:
        out, _ = proc.communicate()
        [summary] = [json.loads(line) for line in out.splitlines() if '"summary"' in line]
        assert summary["ok"], summary
        seconds.append(float(summary["elapsed_s"]))
    return max(seconds)


def storescu(files: Sequence[Path], port: int, flags: Sequence[str] = ()) -> tuple[float, int]:
    wall, rss, _ = run([STORESCU, *flags, "-aec", "STORESCP", "127.0.0.1", str(port), *map(str, files)], RSS_FILE)
    return wall, rss


def storescu_parallel(files: Sequence[Path], ports: Sequence[int], flags: Sequence[str] = ()) -> float:
    """Wall time of one storescu per port, all at once (the DCMTK reference for parallel destinations)."""
    t0 = time.perf_counter()
    procs = [subprocess.Popen([STORESCU, *flags, "-aec", "STORESCP", "127.0.0.1", str(p), *map(str, files)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for p in ports]
    if any(proc.wait() != 0 for proc in procs):
        raise RuntimeError("storescu failed")
    return time.perf_counter() - t0


def _listener_pid(port: int) -> int:
    """The storescp process listening on ``port`` (started by :func:`storescp`)."""
    out = subprocess.run(["pgrep", "-f", f"{STORESCP} .* {port}$"], capture_output=True, text=True, check=True)
    return int(out.stdout.split()[0])


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of ``pid`` so far (fields 14 and 15 of /proc/<pid>/stat, in clock ticks)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _clean(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)


# ------------------------------------------------------------------------------------ throttle proxy


@contextmanager
def throttled_proxy(upstream: int, rate: float) -> Iterator[int]:
    """A TCP proxy forwarding client → upstream at ``rate`` bytes/s (a slow link / slow receiver)."""
    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen()
    port = int(lsock.getsockname()[1])
    stop = threading.Event()

    def pump(src: socket.socket, dst: socket.socket, limit: float | None) -> None:
        start, sent = time.monotonic(), 0
        try:
            while not stop.is_set():
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
                sent += len(data)
                if limit:
                    ahead = sent / limit - (time.monotonic() - start)
                    if ahead > 0:
                        time.sleep(ahead)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def accept() -> None:
        while not stop.is_set():
            try:
                client, _ = lsock.accept()
            except OSError:
                return
            client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
            up = socket.create_connection(("127.0.0.1", upstream))
            threading.Thread(target=pump, args=(client, up, rate), daemon=True).start()
            threading.Thread(target=pump, args=(up, client, None), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield port
    finally:
        stop.set()
        lsock.close()


# -------------------------------------------------------------------------------------------- main


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--work", type=Path, default=Path("/tmp/smartbox-bench"))
    ap.add_argument("--skip-2gb", action="store_true")
    ap.add_argument("--rate-mb", type=float, default=100.0, help="slow receiver rate for the 2 GB run")
    args = ap.parse_args()
    work: Path = args.work
    work.mkdir(parents=True, exist_ok=True)
    # bytecode as an installed package has it (this machine sets PYTHONDONTWRITEBYTECODE)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(Path(__file__).resolve().parents[1] / "src")],
                   check=True, stdout=subprocess.DEVNULL)
    print("preparing objects …", flush=True)
    sets = {
        "500 MB uncompressed MF": [write_native(work / "mf500.dcm", frames=80)],
        "300 MB H.264 video": [write_video(work / "h264_300.dcm", 300 * MB)],
        "100 JPEG SC (1 assoc)": write_jpegs(work / "jpeg100", 100),
    }
    print(f"pydicom {pydicom.__version__}; {os.cpu_count()} cores; medians of {args.repeat}\n")
    header = (f"{'objects':24} {'receiver':22} {'storescu':>9} {'smartbox':>9} {'ratio':>6} "
              f"{'(process)':>9} {'ratio':>6} {'RSS dcmtk':>9} {'RSS sbx':>8}")
    print(header)
    print("-" * len(header))
    receivers = {"storescp +B -pdu 131072": ["+B", "-pdu", "131072"], "storescp default": []}
    for rname, rargs in receivers.items():
        out = RECEIVED / "received"
        _clean(out)
        with storescp(out, *rargs) as port:
            for sname, files in sets.items():
                size = sum(f.stat().st_size for f in files) / MB
                dc, sb, sbw, rss_d, rss_s = [], [], [], 0, 0
                for _ in range(args.repeat):
                    wall, rss = storescu(files, port, STORESCU_FLAGS[sname])
                    dc.append(wall)
                    rss_d = max(rss_d, rss)
                    _clean(out)
                    transfer, wall, rss = smartbox(files, [port])
                    sb.append(transfer)
                    sbw.append(wall)
                    rss_s = max(rss_s, rss)
                    _clean(out)
                d, s, w = statistics.median(dc), statistics.median(sb), statistics.median(sbw)
                print(f"{sname:24} {rname:22} {size / d:6.0f}MB/s {size / s:6.0f}MB/s {d / s:5.2f}x "
                      f"{size / w:6.0f}MB/s {d / w:5.2f}x {rss_d:7d}MB {rss_s:6d}MB", flush=True)

    print("\nthe receiver's share: storescp's own CPU time (/proc/<pid>/stat) while it receives the 500 MB object")
    [mf] = sets["500 MB uncompressed MF"]
    out = RECEIVED / "receiver-cpu"
    _clean(out)
    with storescp(out, "+B", "-pdu", "131072") as port:
        pid = _listener_pid(port)
        rows: dict[str, list[tuple[float, float]]] = {"storescu": [], "smartbox": []}
        for _ in range(args.repeat):
            before = _cpu_seconds(pid)
            wall = storescu([mf], port)[0]
            rows["storescu"].append((wall, _cpu_seconds(pid) - before))
            _clean(out)
            before = _cpu_seconds(pid)
            transfer = smartbox([mf], [port])[0]
            rows["smartbox"].append((transfer, _cpu_seconds(pid) - before))
            _clean(out)
        for who, values in rows.items():
            t = statistics.median(v[0] for v in values)
            c = statistics.median(v[1] for v in values)
            print(f"  {who:9} transfer {t:5.2f} s; storescp busy {c:5.2f} s = {c / t:4.0%} of it "
                  f"(a sender faster than {c:.2f} s cannot exist for this receiver)", flush=True)

    print("\n3 destinations at once vs one (storescp +B -pdu 131072 each), smartbox transfer time: one `send` with "
          "three --to (a worker process each, delivery/forked.py), and three separate `send` processes")
    for sname in ("500 MB uncompressed MF", "100 JPEG SC (1 assoc)"):
        files = sets[sname]
        outs = [RECEIVED / f"dest{i}" for i in range(3)]
        for o in outs:
            _clean(o)
        with storescp(outs[0], "+B", "-pdu", "131072") as p0, storescp(outs[1], "+B", "-pdu", "131072") as p1, \
                storescp(outs[2], "+B", "-pdu", "131072") as p2:
            one, three, procs3, rss3, d_one, d_three = [], [], [], 0, [], []
            for _ in range(args.repeat):
                one.append(smartbox(files, [p0])[0])
                for o in outs:
                    _clean(o)
                t, _, rss = smartbox(files, [p0, p1, p2])
                three.append(t)
                rss3 = max(rss3, rss)
                for o in outs:
                    _clean(o)
                procs3.append(smartbox_processes(files, [p0, p1, p2]))
                for o in outs:
                    _clean(o)
                d_one.append(storescu_parallel(files, [p0], STORESCU_FLAGS[sname]))
                _clean(outs[0])
                d_three.append(storescu_parallel(files, [p0, p1, p2], STORESCU_FLAGS[sname]))
                for o in outs:
                    _clean(o)
            a, b = statistics.median(one), statistics.median(three)
            c, d = statistics.median(d_one), statistics.median(d_three)
            e = statistics.median(procs3)
            print(f"  {sname:24} smartbox one {a:6.2f}s three {b:6.2f}s ratio {b / a:4.2f}x (target ≤ 1.5x)  "
                  f"RSS {rss3} MB; storescu one {c:6.2f}s three in parallel {d:6.2f}s ratio {d / c:4.2f}x; "
                  f"three smartbox processes {e:6.2f}s ratio {e / a:4.2f}x", flush=True)

    if not args.skip_2gb:
        big = write_native(work / "big2g.dcm", frames=322)  # 322 × 6.2 MB ≈ 2.0 GB
        size = big.stat().st_size / MB
        out = RECEIVED / "received-slow"
        _clean(out)
        print(f"\nslow receiver: {size:.0f} MB object through a proxy at {args.rate_mb:.0f} MB/s "
              "into storescp +B -pdu 131072")
        with storescp(out, "+B", "-pdu", "131072") as port, throttled_proxy(port, args.rate_mb * MB) as slow:
            t, wall, rss = smartbox([big], [slow])
            print(f"  smartbox: {size / t:6.0f} MB/s, peak RSS {rss} MB (target ≤ 100 MB)")
            _clean(out)
            wall_d, rss_d = storescu([big], slow)
            print(f"  storescu: {size / wall_d:6.0f} MB/s, peak RSS {rss_d} MB")
        shutil.rmtree(out, ignore_errors=True)
    shutil.rmtree(RECEIVED, ignore_errors=True)


if __name__ == "__main__":
    main()
