"""Benchmark: Modality Worklist C-FIND round trip, SmartBox vs DCMTK ``findscu -W``, same wlmscpfs, same run.

One DCMTK ``wlmscpfs -csk`` on 127.0.0.1 serves ``--items`` entries (umlauts, ISO_IR 100 and ISO_IR 192).
Both clients send the *same* identifier (SmartBox's own, written to a file and handed to findscu), one
association per query:

* one query: SmartBox's library call ``worklist.service.fetch`` (association, C-FIND, decoding every answer into a
  ``WorklistItem``, release) vs one ``findscu`` process (process start + the same exchange);
* 20 queries in a row: 20 library calls vs 20 findscu processes;
* for reference, ``smartbox worklist --json`` as a process (includes Python start-up and imports).

Medians of ``--repeat`` runs; ratio = findscu time / SmartBox time (> 1: SmartBox is faster).

    python bench/worklist.py [--repeat 5] [--items 20] [--work /tmp/smartbox-bench-wl]
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from pydicom.dataset import Dataset
from pydicom.sequence import Sequence as DicomSequence

from smartbox_next.config import config_from_mapping
from smartbox_next.dicom.peer import Peer
from smartbox_next.worklist.query import WorklistQuery, build_identifier
from smartbox_next.worklist.service import fetch

WLMSCPFS, FINDSCU = "/usr/bin/wlmscpfs", "/usr/bin/findscu"  # absolute: pynetdicom shadows findscu on PATH
AET, DATE = "WLMSCP", "20250314"
NAMES = ["Müller^Jürgen", "Weiß^Käthe", "Groß^Björn", "Straße^Ölaf", "Jäger^Anna"]


def _item(n: int) -> Dataset:
    ds = Dataset()
    ds.SpecificCharacterSet = "ISO_IR 192" if n % 2 else "ISO_IR 100"
    ds.PatientName = f"{NAMES[n % len(NAMES)]}{n}"
    ds.PatientID, ds.AccessionNumber, ds.RequestedProcedureID = f"P{n:04d}", f"ACC{n:04d}", f"RP{n:04d}"
    ds.PatientBirthDate, ds.PatientSex = "19650412", "M"
    ds.StudyInstanceUID = f"1.2.826.0.1.3680043.8.498.7.{n + 1}"
    ds.ReferringPhysicianName = "Schäfer^Günther"
    ds.RequestedProcedureDescription = "Ösophago-Gastro-Duodenoskopie"
    sps = Dataset()
    sps.ScheduledStationAETitle, sps.Modality = "SMARTBOX", "ES"
    sps.ScheduledProcedureStepStartDate, sps.ScheduledProcedureStepStartTime = DATE, f"{8 + n % 10:02d}0000"
    sps.ScheduledPerformingPhysicianName = "Weiß^Anna"
    sps.ScheduledProcedureStepDescription, sps.ScheduledProcedureStepID = "Gastroskopie", f"SPS{n:04d}"
    ds.ScheduledProcedureStepSequence = DicomSequence([sps])
    return ds


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_port(port: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"wlmscpfs exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise SystemExit("wlmscpfs did not start")


def _median(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--items", type=int, default=20)
    ap.add_argument("--work", type=Path, default=Path("/tmp/smartbox-bench-wl"))
    args = ap.parse_args()
    for tool in (WLMSCPFS, FINDSCU):
        if not os.access(tool, os.X_OK):
            raise SystemExit(f"{tool} missing (Debian package dcmtk)")
    shutil.rmtree(args.work, ignore_errors=True)
    (args.work / "wl" / AET).mkdir(parents=True)
    (args.work / "wl" / AET / "lockfile").touch()
    for n in range(args.items):
        _item(n).save_as(args.work / "wl" / AET / f"i{n:04d}.wl", implicit_vr=True, little_endian=True,
                         enforce_file_format=False)
    port = _free_port()
    address = f"{AET}@127.0.0.1:{port}"
    cfg = config_from_mapping({"station": {"data_dir": str(args.work / "data")}})
    query = WorklistQuery(scheduled_date=DATE, modality="ES", station_ae_title="SMARTBOX")
    query_file = args.work / "query.dcm"
    build_identifier(cfg.worklist, query).save_as(query_file, implicit_vr=False, little_endian=True,
                                         enforce_file_format=False)
    findscu = [FINDSCU, "-W", "-aec", AET, "127.0.0.1", str(port), str(query_file)]
    smartbox_cli = [sys.executable, "-c", "from smartbox_next.cli import run; run()", "--config",
                    str(args.work / "none.toml"), "worklist", "--from", address, "--date", DATE, "--json"]
    (args.work / "none.toml").write_text(f'[station]\ndata_dir = "{args.work / "data"}"\n')
    log = (args.work / "wlmscpfs.log").open("wb")
    proc = subprocess.Popen([WLMSCPFS, "-dfp", str(args.work / "wl"), "-csk", str(port)], stdout=log,
                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        _wait_port(port, proc)
        peer = Peer.parse(address)

        def ours() -> None:
            n = len(fetch(cfg, peer, query).items)
            assert n == args.items, n

        def theirs() -> None:
            subprocess.run(findscu, check=True, capture_output=True)

        def ours20() -> None:
            for _ in range(20):
                ours()

        def theirs20() -> None:
            for _ in range(20):
                theirs()

        def cli() -> None:
            out = subprocess.run(smartbox_cli, check=True, capture_output=True).stdout
            assert out.count(b"\n") == args.items

        ours()
        theirs()  # warm caches for both
        rows = [("1 query", _median(ours, args.repeat), _median(theirs, args.repeat)),
                ("20 queries in a row", _median(ours20, args.repeat), _median(theirs20, args.repeat))]
        cli_time = _median(cli, max(1, args.repeat // 2))
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()
    print(f"Modality Worklist C-FIND, {args.items} answers each, wlmscpfs -csk on 127.0.0.1, "
          f"medians of {args.repeat}")
    print(f"{'case':<22}{'smartbox ms':>13}{'findscu ms':>13}{'ratio':>9}")
    for name, ours_s, theirs_s in rows:
        print(f"{name:<22}{ours_s * 1000:>13.1f}{theirs_s * 1000:>13.1f}{theirs_s / ours_s:>8.2f}x")
    print(f"{'smartbox CLI process':<22}{cli_time * 1000:>13.1f}{rows[0][2] * 1000:>13.1f}"
          f"{rows[0][2] / cli_time:>8.2f}x  (incl. Python start-up)")
    print("ratio = findscu / smartbox; > 1 means smartbox is faster")


if __name__ == "__main__":
    main()
