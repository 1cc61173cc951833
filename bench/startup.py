"""Benchmark: SmartBox as the user measures it — a stopwatch around the whole command — next to DCMTK, same run.

Whole-process wall time (median of ``--repeat``) and peak RSS (GNU time) of:

* ``python -c "import click"`` (the floor of any click CLI in Python: the target is ≤ 2× of it),
  ``smartbox --help``, ``smartbox config show``, ``smartbox queue list``, ``smartbox exam list`` and the ``--help``
  of commands that need a DICOM library to run (``create``, ``echo``, ``send``, ``serve``, ``worklist``);
* ``smartbox echo`` vs DCMTK ``echoscu`` against the same ``storescp``;
* ``smartbox worklist`` vs ``findscu -W`` against the same ``wlmscpfs`` (20 answers);
* with ``--send``: ``smartbox send`` vs ``storescu`` for the 500 MB uncompressed, 300 MB H.264 and 100-JPEG sets
  into ``storescp +B -pdu 131072`` (transfer and whole process), and 3 destinations at once vs one next to
  three ``storescu`` in parallel (objects and helpers of ``bench/store.py``).

``--src DIR`` (repeatable) also runs the smartbox commands with ``DIR`` on ``PYTHONPATH`` — e.g. the ``src`` of an
older commit in a ``git worktree`` — interleaved in the same rounds, for before/after in one run. Ratios > 1 mean
smartbox (this tree) is faster. The machine is shared and noisy: compare within a run, don't quote absolutes.

    python bench/startup.py [--repeat 7] [--send] [--src /tmp/old/src]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import store  # bench/store.py: objects, storescp, GNU-time runner

ECHOSCU, FINDSCU, WLMSCPFS = "/usr/bin/echoscu", "/usr/bin/findscu", "/usr/bin/wlmscpfs"
AET = "SMARTBOX"
RSS = Path("/tmp/smartbox-bench-startup-rss.txt")
SRC = Path(__file__).resolve().parents[1] / "src"  # "this tree": the source next to this file, not an installed copy
LIGHT = (("--help", ["--help"]), ("config show", ["config", "show"]), ("queue list", ["queue", "list"]),
         ("exam list", ["exam", "list"]),
         *((f"{name} --help", [name, "--help"]) for name in ("create", "echo", "send", "serve", "worklist")))
"""Commands measured against ``python -c 'import click'``."""


def timed(cmd: Sequence[str], env: dict[str, str] | None = None) -> tuple[float, int]:
    """Wall seconds and peak RSS (MB) of one run of ``cmd`` (under GNU time, output discarded)."""
    t0 = time.perf_counter()
    proc = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", str(RSS), *cmd], capture_output=True, env=env,
                          check=False, stdin=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    if proc.returncode not in (0,):
        raise RuntimeError(f"{' '.join(cmd[:4])} … failed ({proc.returncode}): {proc.stderr.decode()[-800:]}")
    return wall, int(RSS.read_text().split()[-1]) // 1024


def median_of(fn: Callable[[], tuple[float, int]], repeat: int) -> tuple[float, int]:
    runs = [fn() for _ in range(repeat)]
    return statistics.median(r[0] for r in runs), max(r[1] for r in runs)


def smartbox_env(src: Path | None, work: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMARTBOX_")}
    env.update(SMARTBOX_STATION_DATA_DIR=str(work / "station"), SMARTBOX_STATION_LANGUAGE="en",
               XDG_CONFIG_HOME=str(work / "xdg"))
    env["PYTHONPATH"] = str(src if src is not None else SRC)
    return env


def worklist_dir(work: Path, items: int = 20) -> tuple[Path, Path]:
    """A wlmscpfs database of ``items`` entries for AE ``SMARTBOX`` today, and findscu's query file."""
    from pydicom.dataset import Dataset
    from pydicom.sequence import Sequence as DicomSequence

    today = time.strftime("%Y%m%d")
    db = work / "wl"
    shutil.rmtree(db, ignore_errors=True)
    (db / AET).mkdir(parents=True)
    (db / AET / "lockfile").touch()
    for n in range(items):
        ds = Dataset()
        ds.SpecificCharacterSet = "ISO_IR 192"
        ds.PatientName, ds.PatientID = f"Müller^Jürgen{n}", f"P{n:04d}"
        ds.PatientBirthDate, ds.PatientSex = "19650412", "M"
        ds.StudyInstanceUID, ds.AccessionNumber = f"1.2.826.0.1.3680043.8.498.{n + 1}", f"ACC{n:04d}"
        ds.RequestedProcedureID, ds.RequestedProcedureDescription = f"RP{n}", "Gastroskopie"
        sps = Dataset()
        sps.ScheduledStationAETitle, sps.Modality = AET, "ES"
        sps.ScheduledProcedureStepStartDate, sps.ScheduledProcedureStepStartTime = today, "080000"
        sps.ScheduledProcedureStepID, sps.ScheduledProcedureStepDescription = f"SPS{n}", "Gastroskopie"
        ds.ScheduledProcedureStepSequence = DicomSequence([sps])
        ds.save_as(db / AET / f"i{n:04d}.wl", implicit_vr=True, little_endian=True, enforce_file_format=False)
    query = Dataset()
    query.PatientName, query.PatientID = "", ""
    sps = Dataset()
    sps.ScheduledStationAETitle, sps.Modality, sps.ScheduledProcedureStepStartDate = AET, "ES", today
    query.ScheduledProcedureStepSequence = DicomSequence([sps])
    query_file = work / "query.dcm"
    query.save_as(query_file, implicit_vr=False, little_endian=True, enforce_file_format=False)
    return db, query_file


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--work", type=Path, default=Path("/tmp/smartbox-bench-startup"))
    ap.add_argument("--send", action="store_true", help="also the send sets and 3 destinations (slow)")
    ap.add_argument("--src", type=Path, action="append", default=[], help="another source tree to compare")
    args = ap.parse_args()
    shutil.rmtree(args.work, ignore_errors=True)
    args.work.mkdir(parents=True)
    trees: list[tuple[str, Path | None]] = [("this tree", None), *((str(s), s) for s in args.src)]
    py = sys.executable
    for _who, tree in trees:  # bytecode as an installed package has it (pip compiles at install; this machine
        # sets PYTHONDONTWRITEBYTECODE, so an edited module would otherwise be compiled again in every run)
        subprocess.run([py, "-m", "compileall", "-q", str(tree or SRC)], check=True, stdout=subprocess.DEVNULL)
    smartbox = [py, "-c", "from smartbox_next.cli import run; run()"]
    rows: list[tuple[str, str, float, int]] = []  # (case, who, seconds, MB)

    def add(case: str, who: str, fn: Callable[[], tuple[float, int]]) -> None:
        seconds, mb = median_of(fn, args.repeat)
        rows.append((case, who, seconds, mb))
        print(f"  {case:<24} {who:<34} {seconds * 1000:8.0f} ms {mb:5d} MB", flush=True)

    add("import click", "python -c 'import click'", lambda: timed([py, "-c", "import click"]))
    for label, cmd in LIGHT:
        for who, src in trees:
            env = smartbox_env(src, args.work / who.replace("/", "_"))
            add(label, f"smartbox ({who})", lambda cmd=cmd, env=env: timed([*smartbox, *cmd], env))

    with store.storescp(args.work / "rx-echo") as port:
        add("echo", "echoscu", lambda: timed([ECHOSCU, "-aec", "STORESCP", "127.0.0.1", str(port)]))
        for who, src in trees:
            env = smartbox_env(src, args.work / who.replace("/", "_"))
            add("echo", f"smartbox ({who})",
                lambda env=env: timed([*smartbox, "echo", f"STORESCP@127.0.0.1:{port}"], env))

    db, query_file = worklist_dir(args.work)
    wl_port = store.free_port()
    wlm = subprocess.Popen([WLMSCPFS, "-dfp", str(db), "-csk", str(wl_port)], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    try:
        time.sleep(0.5)
        add("worklist (20 answers)", "findscu -W",
            lambda: timed([FINDSCU, "-W", "-aec", AET, "127.0.0.1", str(wl_port), str(query_file)]))
        for who, src in trees:
            env = smartbox_env(src, args.work / who.replace("/", "_"))
            add("worklist (20 answers)", f"smartbox ({who})",
                lambda env=env: timed([*smartbox, "worklist", "--from", f"{AET}@127.0.0.1:{wl_port}", "--json"],
                                      env))
    finally:
        wlm.terminate()
        wlm.wait(10)

    if args.send:
        send_sets(args, trees, smartbox, add)

    print("\nwhole process, medians; ratio = reference time / smartbox time (> 1: smartbox faster)")
    ref = {label for label, _cmd in LIGHT}
    by_case: dict[str, dict[str, float]] = {}
    for case, who, seconds, _mb in rows:
        by_case.setdefault(case, {})[who] = seconds
    click_s = by_case["import click"]["python -c 'import click'"]
    for case, whos in by_case.items():
        if case == "import click":
            continue
        reference = click_s if case in ref else next(s for w, s in whos.items() if not w.startswith("smartbox"))
        name = "import click" if case in ref else next(w for w in whos if not w.startswith("smartbox"))
        for who, seconds in whos.items():
            if who.startswith("smartbox"):
                print(f"  {case:<24} {who:<34} {reference / seconds:6.2f}× {name}")


def send_sets(args: argparse.Namespace, trees: list[tuple[str, Path | None]], smartbox: list[str],
              add: Callable[[str, str, Callable[[], tuple[float, int]]], None]) -> None:
    objects = args.work / "objects"
    objects.mkdir()
    sets = {"500 MB uncompressed MF": [store.write_native(objects / "native.dcm", 80)],
            "300 MB H.264 video": [store.write_video(objects / "video.dcm", 300 * store.MB)],
            "100 JPEG SC (1 assoc)": store.write_jpegs(objects / "jpegs", 100)}
    for case, files in sets.items():
        with store.storescp(store.RECEIVED / "one", "+B", "-pdu", "131072") as port:
            add(f"send {case}", "storescu", lambda files=files, port=port, case=case:
                store.storescu(files, port, store.STORESCU_FLAGS[case]))
            for who, src in trees:
                env = smartbox_env(src, args.work / who.replace("/", "_"))
                cmd = [*smartbox, "send", *map(str, files), "--json", "--attempts", "1", "--to",
                       f"STORESCP@127.0.0.1:{port}"]
                add(f"send {case}", f"smartbox ({who})", lambda cmd=cmd, env=env: timed(cmd, env))
            store._clean(store.RECEIVED / "one")
    for case in ("500 MB uncompressed MF", "100 JPEG SC (1 assoc)"):
        files = sets[case]
        receivers = [store.storescp(store.RECEIVED / f"d{i}", "+B", "-pdu", "131072") for i in range(3)]
        ports = [r.__enter__() for r in receivers]
        try:
            one_ref = statistics.median(store.storescu_parallel(files, ports[:1], store.STORESCU_FLAGS[case])
                                        for _ in range(args.repeat))
            three_ref = statistics.median(store.storescu_parallel(files, ports, store.STORESCU_FLAGS[case])
                                          for _ in range(args.repeat))
            one = statistics.median(store.smartbox(files, ports[:1])[0] for _ in range(args.repeat))
            three = statistics.median(store.smartbox(files, ports)[0] for _ in range(args.repeat))
        finally:
            for r in receivers:
                r.__exit__(None, None, None)
        print(f"  3 destinations vs 1, {case}: smartbox {three / one:.2f}× (transfer), "
              f"three storescu vs one {three_ref / one_ref:.2f}×", flush=True)


if __name__ == "__main__":
    main()
