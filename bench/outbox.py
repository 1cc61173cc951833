"""Outbox benchmark: camera JPEG stills from ``smartbox export`` to delivered, vs DCMTK storescu, same run.

    python bench/outbox.py [--count 1000] [--rounds 2]

SmartBox: ``smartbox serve`` runs while ``smartbox export`` creates, spools (atomic, fsync) and queues every
still; the clock stops when the outbox says every job is sent. DCMTK: ``storescu`` sends the same number of
ready-made objects (created beforehand, not timed) in one association. Same receiver (``storescp +B``).
Target: ≥ 0.8× storescu's objects per second. Prints objects per second and the ratio.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from still import make_jpegs


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_storescp(out: Path) -> tuple[subprocess.Popen[bytes], int]:
    out.mkdir(parents=True, exist_ok=True)
    port = free_port()
    proc = subprocess.Popen(["/usr/bin/storescp", "+xa", "+B", "-pdu", "131072", "-aet", "BENCH", "-od", str(out),
                             str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.3)
    return proc, port


def sent_count(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(db, timeout=5) as conn:
            return int(conn.execute("SELECT COUNT(*) FROM jobs WHERE state='sent'").fetchone()[0])
    except sqlite3.OperationalError:
        return 0


def smartbox_run(jpegs: list[Path], work: Path, port: int) -> float:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMARTBOX_")}
    env.update({"SMARTBOX_STATION_DATA_DIR": str(work), "SMARTBOX_PEERS_PACS": f"BENCH@127.0.0.1:{port}",
                "SMARTBOX_OUTBOX_MIN_FREE_MB": "100", "SMARTBOX_OUTBOX_BATCH_SIZE": "200"})
    cmd = [sys.executable, "-m", "smartbox_next"]
    start = time.perf_counter()
    serve = subprocess.Popen([*cmd, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        subprocess.run([*cmd, "export", *map(str, jpegs), "--patient-id", "BENCH-1", "--sop", "vl-endoscopic"],
                       env=env, check=True, stdout=subprocess.DEVNULL)
        db = work / "outbox.sqlite"
        while sent_count(db) < len(jpegs):
            if serve.poll() is not None:
                raise SystemExit("smartbox serve stopped early")
            time.sleep(0.02)
        return time.perf_counter() - start
    finally:
        serve.terminate()
        serve.wait(30)


def make_dicom(jpegs: list[Path], out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "smartbox_next", "create", *map(str, jpegs), "--out", str(out),
                    "--patient-id", "BENCH-1", "--sop", "vl-endoscopic"], check=True, stdout=subprocess.DEVNULL)
    return sorted(out.glob("*.dcm"))


def storescu_run(files: list[Path], port: int, nodelay: bool = False) -> float:
    """DCMTK storescu, one association; ``nodelay`` sets DCMTK's TCP_NODELAY environment switch."""
    env = dict(os.environ, TCP_NODELAY="1") if nodelay else None
    start = time.perf_counter()
    subprocess.run(["/usr/bin/storescu", "-xy", "-aec", "BENCH", "127.0.0.1", str(port), *map(str, files)],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-outbox-") as tmp:
        work = Path(tmp)
        (work / "jpeg").mkdir()
        jpegs = make_jpegs(work / "jpeg", args.count)
        files = make_dicom(jpegs, work / "dicom")
        proc, port = start_storescp(work / "recv")
        ours, theirs, fast = [], [], []
        try:
            for r in range(args.rounds):
                shutil.rmtree(work / "station", ignore_errors=True)
                ours.append(smartbox_run(jpegs, work / "station", port))
                theirs.append(storescu_run(files, port))
                fast.append(storescu_run(files, port, nodelay=True))
                print(f"round {r + 1}: smartbox export→delivered {ours[-1]:.2f} s, storescu {theirs[-1]:.2f} s, "
                      f"storescu TCP_NODELAY=1 {fast[-1]:.2f} s")
        finally:
            proc.terminate()
            proc.wait(10)
        a, b, c = statistics.median(ours), statistics.median(theirs), statistics.median(fast)
        print(f"\n{args.count} × 1920×1080 camera JPEG, medians of {args.rounds}:")
        print(f"  smartbox export → serve → delivered (durable): {args.count / a:.0f} objects/s")
        print(f"  storescu, one association (objects ready-made): {args.count / b:.0f} objects/s")
        print(f"  storescu with TCP_NODELAY=1: {args.count / c:.0f} objects/s")
        print(f"  ratio: {b / a:.2f}× storescu default, {c / a:.2f}× storescu TCP_NODELAY=1 (target ≥ 0.8×)")


if __name__ == "__main__":
    main()
