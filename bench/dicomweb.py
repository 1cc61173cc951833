"""Benchmark: STOW-RS into Orthanc's DICOMweb plugin — ``smartbox send`` vs ``curl`` vs dicomweb-client, one run.

Objects (as in bench/store.py): a 300 MB H.264 video object (random bytes encapsulated under
1.2.840.10008.1.2.4.102) and 100 camera-JPEG SC objects (1920x1080). Receiver: Orthanc 1.10 with Debian's
DICOMweb plugin, basic authentication on, storage and index in /dev/shm (so the receiver's disk is not what is
measured), every instance deleted between runs.

Senders, each a child process under GNU time (peak RSS of that process):

- ``smartbox``: ``smartbox send FILES --to archive`` with a configured URL peer (password from an environment
  variable): the multipart body streamed from the files, one kept-alive connection, small objects grouped
  (``dicomweb.objects_per_request``, default 16). Two times: the transfer (the CLI's own summary) and the whole
  process (Python start-up and imports included).
- ``curl``: the raw HTTP anchor, posting *the same prepared multipart bodies* (written beforehand with
  ``smartbox_next.dicomweb.multipart``, same grouping) with ``-T body -X POST`` (streamed from the file), all bodies
  in one process (``--next``: one connection). For the small objects also one request per object.
- ``dicomweb-client`` (0.61, requests): ``DICOMwebClient.store_instances(datasets)`` — it needs the data sets in
  memory and builds the whole multipart body in memory (hence its RSS).

Ratios are curl's time / the other's time (> 1: faster than curl). Medians of ``--repeat``.

    python bench/dicomweb.py [--repeat 3] [--work /tmp/smartbox-bench-web]
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from store import free_port, run, write_jpegs, write_video  # bench/store.py, same folder

from smartbox_next.config import DicomwebConfig, NetworkConfig
from smartbox_next.dicom.part10 import read_object_info
from smartbox_next.dicomweb.client import ACCEPT_STORE, WebSettings
from smartbox_next.dicomweb.multipart import MultipartBody
from smartbox_next.dicomweb.store import plan_requests

ORTHANC = "/usr/sbin/Orthanc"
PLUGIN = "/usr/share/orthanc/plugins/libOrthancDicomWeb.so"
CURL = "/usr/bin/curl"
USER, PASSWORD = "bench", "bench-password"
MB = 1_000_000
SCRATCH = Path("/dev/shm/smartbox-bench-web") if Path("/dev/shm").is_dir() else Path("/tmp/smartbox-bench-web-rx")
RSS_FILE = Path("/tmp/smartbox-bench-web-rss.txt")
SMARTBOX = [sys.executable, "-c", "from smartbox_next.cli import run; run()"]
DICOMWEB_CLIENT = """
import sys, pydicom
from dicomweb_client.api import DICOMwebClient
from dicomweb_client.session_utils import create_session_from_user_pass
client = DICOMwebClient(sys.argv[1], session=create_session_from_user_pass(sys.argv[2], sys.argv[3]))
client.store_instances([pydicom.dcmread(p) for p in sys.argv[4:]])
"""


# ------------------------------------------------------------------------------------------- Orthanc


def _auth() -> str:
    return "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()


def _rest(port: int, path: str, method: str = "GET") -> bytes:
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method)
    req.add_header("Authorization", _auth())
    with urllib.request.urlopen(req, timeout=120) as resp:
        body: bytes = resp.read()
        return body


@contextmanager
def orthanc(work: Path) -> Iterator[int]:
    """Orthanc with the DICOMweb plugin on a free HTTP port; storage in ``work``."""
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    http, dicom = free_port(), free_port()
    config = {"Name": "bench", "StorageDirectory": str(work / "storage"), "IndexDirectory": str(work / "index"),
              "HttpPort": http, "DicomPort": dicom, "RemoteAccessAllowed": False, "AuthenticationEnabled": True,
              "RegisteredUsers": {USER: PASSWORD}, "StorageCompression": False, "SaveJobs": False,
              "Plugins": [PLUGIN], "DicomWeb": {"Enable": True, "Root": "/dicom-web/", "EnableWado": False}}
    (work / "orthanc.json").write_text(json.dumps(config))
    log = (work / "orthanc.log").open("wb")
    proc = subprocess.Popen([ORTHANC, str(work / "orthanc.json")], stdout=log, stderr=subprocess.STDOUT,
                            cwd=work)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                _rest(http, "/system")
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError(f"Orthanc did not start; see {work / 'orthanc.log'}") from None
                time.sleep(0.1)
        yield http
    finally:
        proc.terminate()
        proc.wait(30)
        log.close()


def count_and_clear(port: int) -> int:
    """How many instances Orthanc holds; then delete them all (the next run stores into an empty archive)."""
    ids = json.loads(_rest(port, "/instances"))
    for patient in json.loads(_rest(port, "/patients")):
        _rest(port, f"/patients/{patient}", "DELETE")
    return len(ids)


# ----------------------------------------------------------------------------------------------- senders


def smartbox(files: Sequence[Path], config: Path) -> tuple[float, float, int]:
    """(transfer seconds from the CLI's summary, process seconds, peak RSS MB)."""
    env = {**os.environ, "SMARTBOX_CONFIG": str(config), "BENCH_ARCHIVE_PASSWORD": PASSWORD}
    cmd = ["/usr/bin/time", "-f", "%M", "-o", str(RSS_FILE), *SMARTBOX, "send", *map(str, files), "--to",
           "archive", "--json", "--attempts", "1"]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, env=env, check=False)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"smartbox send failed: {proc.stderr.decode(errors='replace')[-2000:]}")
    [summary] = [json.loads(line) for line in proc.stdout.decode().splitlines() if '"summary"' in line]
    return float(summary["elapsed_s"]), wall, int(RSS_FILE.read_text().split()[-1]) // 1024


def prepare_bodies(files: Sequence[Path], folder: Path, per_object: bool = False) -> list[tuple[Path, str]]:
    """The multipart bodies smartbox would send for ``files`` (same grouping), written to ``folder``."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    settings = WebSettings.of(NetworkConfig(), DicomwebConfig())
    objects = [read_object_info(f) for f in files]
    groups = [[o] for o in objects] if per_object else plan_requests(objects, settings)
    out = []
    for i, group in enumerate(groups):
        body = MultipartBody.of([o.path for o in group])
        path = folder / f"body{i:03d}.bin"
        with path.open("wb") as fh:
            body.write_to(fh)
        out.append((path, body.content_type))
    return out


def curl(bodies: Sequence[tuple[Path, str]], url: str) -> tuple[float, int]:
    cmd: list[str] = [CURL]
    for i, (path, ctype) in enumerate(bodies):
        if i:
            cmd.append("--next")
        # "Expect:" switches off curl's 100-continue for uploads: Orthanc never sends 100, so curl would wait
        # its 1 s expect timeout before every body (measured: 100 requests took 101 s with it)
        cmd += ["-sS", "--fail", "-o", "/dev/null", "-u", f"{USER}:{PASSWORD}", "-X", "POST", "-T", str(path),
                "-H", f"Content-Type: {ctype}", "-H", f"Accept: {ACCEPT_STORE}", "-H", "Expect:", f"{url}/studies"]
    wall, rss, _ = run(cmd, RSS_FILE)
    return wall, rss


def dicomweb_client(files: Sequence[Path], url: str) -> tuple[float, int]:
    wall, rss, _ = run([sys.executable, "-c", DICOMWEB_CLIENT, url, USER, PASSWORD, *map(str, files)], RSS_FILE)
    return wall, rss


# ------------------------------------------------------------------------------------------------- main


def measure(sname: str, files: Sequence[Path], port: int, url: str, config: Path, work: Path, repeat: int) -> None:
    """Every sender ``repeat`` times, interleaved (Orthanc's speed drifts); one table row per sender."""
    size = sum(f.stat().st_size for f in files) / MB
    bodies = prepare_bodies(files, work / "bodies")
    single = prepare_bodies(files, work / "bodies-single", per_object=True) if len(files) > 1 else []
    anchor_name = f"curl, {len(bodies)} request(s), 1 process"
    rows: dict[str, tuple[list[float], int]] = {}

    def record(name: str, seconds: float, rss: int, *, check: bool = True) -> None:
        times, peak = rows.get(name, ([], 0))
        rows[name] = ([*times, seconds], max(peak, rss))
        if check:
            stored = count_and_clear(port)
            assert stored == len(files), f"{name}: Orthanc holds {stored} of {len(files)} instances"

    for _ in range(repeat):
        t, rss = curl(bodies, url)
        record(anchor_name, t, rss)
        if single:
            t, rss = curl(single, url)
            record(f"curl, {len(single)} requests (1 per object)", t, rss)
        transfer, wall, rss = smartbox(files, config)
        record("smartbox (transfer)", transfer, rss, check=False)
        record("smartbox (process)", wall, rss)
        t, rss = dicomweb_client(files, url)
        record("dicomweb-client store_instances", t, rss)
    anchor = statistics.median(rows[anchor_name][0])
    for name, (times, peak) in rows.items():
        m = statistics.median(times)
        print(f"{sname:20} {name:34} {m:6.2f}s {size / m:6.0f}MB/s {anchor / m:7.2f}x {peak:7d}MB", flush=True)
    shutil.rmtree(work / "bodies", ignore_errors=True)
    shutil.rmtree(work / "bodies-single", ignore_errors=True)



def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--work", type=Path, default=Path("/tmp/smartbox-bench-web"))
    args = ap.parse_args()
    work: Path = args.work
    work.mkdir(parents=True, exist_ok=True)
    print("preparing objects …", flush=True)
    sets = {"300 MB H.264 video": [write_video(work / "h264_300.dcm", 300 * MB)],
            "100 JPEG SC": write_jpegs(work / "jpeg100", 100)}
    versions = subprocess.run([CURL, "--version"], capture_output=True, text=True, check=False).stdout.split()[1]
    print(f"Orthanc 1.10 + DICOMweb plugin (/dev/shm); curl {versions}; {os.cpu_count()} cores; "
          f"medians of {args.repeat}\n")
    header = (f"{'objects':20} {'sender':34} {'time':>7} {'rate':>9} {'vs curl':>8} {'peak RSS':>9}")
    print(header)
    print("-" * len(header))
    with orthanc(SCRATCH) as port:
        url = f"http://127.0.0.1:{port}/dicom-web"
        config = work / "smartbox.toml"
        config.write_text(f'[peers.archive]\nurl = "{url}"\nauth = "basic"\nusername = "{USER}"\n'
                          'password_env = "BENCH_ARCHIVE_PASSWORD"\n', encoding="utf-8")
        for sname, files in sets.items():
            measure(sname, files, port, url, config, work, args.repeat)
    shutil.rmtree(SCRATCH, ignore_errors=True)


if __name__ == "__main__":
    main()
