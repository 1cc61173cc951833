"""Storage Commitment latency on loopback: from the last C-STORE of an exam to "committed" in the outbox.

    python bench/commitment.py [--count 10] [--rounds 5]

Per round: a fresh station and a fresh Orthanc (real Storage Commitment SCP; it reports on a new association
to the station's listener, named in its DicomModalities). An emergency exam with ``--count`` camera JPEG stills
is started, filled and completed *before* ``smartbox -v serve`` starts, so C-STOREs, the N-ACTION and the
report follow each other without waiting for the operator. The two instants come from serve's own log
(millisecond timestamps): the last "sent job" line and the "commitment report" line. Prints the median and
the range over the rounds, and the same for the N-ACTION round trip (request accepted -> report applied).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from still import make_jpegs

STAMP = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) INFO (\S+): (.*)$")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_orthanc(work: Path, box_port: int) -> tuple[subprocess.Popen[bytes], int]:
    dicom, http = free_port(), free_port()
    config = {"Name": "bench", "StorageDirectory": str(work / "storage"), "IndexDirectory": str(work / "index"),
              "DicomPort": dicom, "HttpPort": http, "DicomAet": "ORTHANC", "RemoteAccessAllowed": False,
              "AuthenticationEnabled": False, "DicomCheckCalledAet": False, "DicomAlwaysAllowStore": True,
              "StorageCompression": False, "SaveJobs": False, "Plugins": [],
              "DicomModalities": {"box": ["SMARTBOX", "127.0.0.1", box_port]}}
    work.mkdir(parents=True)
    (work / "orthanc.json").write_text(json.dumps(config))
    proc = subprocess.Popen(["Orthanc", str(work / "orthanc.json")], cwd=work, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{http}/system", timeout=1):
                return proc, dicom
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("Orthanc did not start")


def smartbox(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "smartbox_next", *args], env=env, capture_output=True, text=True,
                          check=True, timeout=300)


def _when(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S,%f")


def one_round(base: Path, count: int, jpegs: list[Path]) -> tuple[float, float]:
    listener = free_port()
    orthanc, dicom = start_orthanc(base / "orthanc", listener)
    try:
        cfg = base / "smartbox.toml"
        cfg.write_text(f'[listener]\nport = {listener}\nhost = "127.0.0.1"\n[outbox]\nmin_free_mb = 10\n'
                       f'[peers.pacs]\naddress = "ORTHANC@127.0.0.1:{dicom}"\nroles = ["storage", "commitment"]\n')
        env = {k: v for k, v in os.environ.items() if not k.startswith("SMARTBOX_")}
        env.update(SMARTBOX_CONFIG=str(cfg), SMARTBOX_STATION_DATA_DIR=str(base / "data"))
        exam = json.loads(smartbox("exam", "start", "--emergency", "male", "--json", env=env).stdout)["exam_id"]
        smartbox("export", *map(str, jpegs[:count]), "--exam", exam, env=env)
        smartbox("exam", "complete", exam, env=env)
        serve = subprocess.Popen([sys.executable, "-m", "smartbox_next", "-v", "serve"], env=env,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        assert serve.stderr is not None
        stored, accepted, reported = [], None, None
        seen: list[str] = []
        for line in serve.stderr:
            seen.append(line)
            m = STAMP.match(line.strip())
            if not m:
                continue
            if " sent job " in line:
                stored.append(_when(m.group(1)))
            elif "commitment request" in line and "accepted" in line:
                accepted = _when(m.group(1))
            elif re.search(r"commitment report \S+ from ", line):
                reported = _when(m.group(1))
                break
        serve.terminate()
        serve.communicate(timeout=30)
        if reported is None or accepted is None or len(stored) != count:
            raise SystemExit(f"incomplete round: {len(stored)} stored, accepted {accepted}, reported {reported}\n"
                             + "".join(seen[-40:]))
        return (reported - max(stored)).total_seconds() * 1000, (reported - accepted).total_seconds() * 1000
    finally:
        orthanc.terminate()
        orthanc.wait(30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-commit-"))
    try:
        (tmp / "in").mkdir()
        jpegs = make_jpegs(tmp / "in", args.count)
        totals, trips = [], []
        for n in range(args.rounds):
            total, trip = one_round(tmp / f"round{n}", args.count, jpegs)
            totals.append(total)
            trips.append(trip)
            print(f"round {n + 1}: last C-STORE -> committed {total:.0f} ms "
                  f"(N-ACTION accepted -> report {trip:.0f} ms)")
        print(f"{args.count} objects, {args.rounds} rounds: last C-STORE -> committed median "
              f"{statistics.median(totals):.0f} ms (min {min(totals):.0f}, max {max(totals):.0f}); "
              f"N-ACTION accepted -> report applied median {statistics.median(trips):.0f} ms")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
