"""Still-image benchmark: SmartBox vs DCMTK img2dcm on the same 1920×1080 camera JPEGs, same run.

    python bench/still.py [--count 100] [--rounds 3] [--compare-src DIR]

Prints objects per second and ratios (the machine is shared and noisy: compare, don't quote absolutes):
- in-process: sniff + build + atomic durable write (fsync of file and folder) per image, timed inside a
  child process after its imports (ms per image; target ≤ 5 ms);
- batch: one ``smartbox create`` of all files vs ``img2dcm`` run once per file (target: batch at least as fast).
``--compare-src DIR`` runs the in-process part also with ``DIR`` on ``PYTHONPATH`` (e.g. an export of the
previous commit's ``src``), interleaved in the same rounds, and prints the speed ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from smartbox_next.config import config_from_mapping
from smartbox_next.iod.still import StillCapture, build_still

try:  # the stage layout (since issue 10)
    from smartbox_next.capture.image import load_still
    from smartbox_next.dicom import sop as sops
    from smartbox_next.exam.model import Exam, Patient, Study
    from smartbox_next.iod.created import write_object
except ImportError:  # --compare-src with a source tree from before it
    from smartbox_next.media.image import load_still  # type: ignore[no-redef]
    from smartbox_next.model import Exam, Patient, Study  # type: ignore[no-redef]
    from smartbox_next.pipeline import write_object  # type: ignore[no-redef]

    from smartbox_next.iod import sop as sops  # type: ignore[no-redef]


def make_jpegs(folder: Path, count: int) -> list[Path]:
    """Camera-like 1920×1080 4:2:0 baseline JPEGs with some texture (about 300–500 kB each)."""
    rng = np.random.default_rng(1)
    y, x = np.mgrid[0:1080, 0:1920]
    base = np.stack([(x // 8) % 256, (y // 5) % 256, ((x + y) // 11) % 256], -1).astype(np.int16)
    paths = []
    for i in range(count):
        noise = rng.integers(-12, 12, size=base.shape, dtype=np.int16)
        arr = np.clip(base + noise + i, 0, 255).astype(np.uint8)
        path = folder / f"cam{i:04d}.jpg"
        Image.fromarray(arr).save(path, quality=90, subsampling=2)
        paths.append(path)
    return paths


def in_process(paths: list[Path], out: Path) -> float:
    """Seconds per image: sniff + parse + build + validate values + atomic durable write."""
    config = config_from_mapping({})
    exam = Exam(Patient("Müller^Jürgen", "P1"), Study.new())
    start = time.perf_counter()
    for path in paths:
        ds = build_still(config, exam, StillCapture(image=load_still(path)), sops.VL_ENDOSCOPIC)
        write_object(ds, out)
    return (time.perf_counter() - start) / len(paths)


def in_process_child(folder: Path, out: Path, python_path: Path | None) -> float:
    """:func:`in_process` in a fresh process (optionally another source tree): seconds per image."""
    env = dict(os.environ)
    if python_path is not None:
        env["PYTHONPATH"] = str(python_path)
    proc = subprocess.run([sys.executable, __file__, "--child", str(folder), str(out)], check=True,
                          capture_output=True, text=True, env=env)
    return float(json.loads(proc.stdout.strip().splitlines()[-1])["seconds_per_image"])


def smartbox_batch(paths: list[Path], out: Path) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "smartbox_next", "create", *map(str, paths), "--out", str(out),
                    "--patient-id", "P1", "--patient-name", "Müller^Jürgen", "--sop", "sc"],
                   check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def img2dcm_per_file(paths: list[Path], out: Path, exe: str) -> float:
    start = time.perf_counter()
    for i, path in enumerate(paths):
        subprocess.run([exe, str(path), str(out / f"{i:04d}.dcm"), "-k", "PatientID=P1"], check=True,
                       stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--compare-src", type=Path, default=None,
                        help="a src folder of another version to run side by side (PYTHONPATH)")
    parser.add_argument("--child", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        folder, out = args.child
        print(json.dumps({"seconds_per_image": in_process(sorted(folder.glob("*.jpg")), out)}))
        return
    exe = shutil.which("img2dcm", path="/usr/bin:/bin") or sys.exit("img2dcm (dcmtk) is not installed")
    with tempfile.TemporaryDirectory(prefix="bench-still-") as tmp:
        work = Path(tmp)
        (work / "in").mkdir()
        paths = make_jpegs(work / "in", args.count)
        per_image, other, batch, dcmtk = [], [], [], []
        for r in range(args.rounds):
            for name in ("a", "a2", "b", "c"):
                shutil.rmtree(work / name, ignore_errors=True)
                (work / name).mkdir()
            per_image.append(in_process_child(work / "in", work / "a", None))
            if args.compare_src is not None:
                other.append(in_process_child(work / "in", work / "a2", args.compare_src))
            batch.append(smartbox_batch(paths, work / "b"))
            dcmtk.append(img2dcm_per_file(paths, work / "c", exe))
            compared = f" ({args.compare_src}: {other[-1] * 1000:.2f} ms/image)" if other else ""
            print(f"round {r + 1}: in-process {per_image[-1] * 1000:.2f} ms/image{compared}, smartbox batch "
                  f"{batch[-1]:.2f} s, img2dcm per file {dcmtk[-1]:.2f} s")
        ms = statistics.median(per_image) * 1000
        b, d = statistics.median(batch), statistics.median(dcmtk)
        print(f"\n{args.count} × 1920×1080 JPEG, medians of {args.rounds}:")
        print(f"  in-process: {ms:.2f} ms per image ({1000 / ms:.0f} objects/s), target ≤ 5 ms")
        if other:
            ms_other = statistics.median(other) * 1000
            print(f"  in-process with {args.compare_src}: {ms_other:.2f} ms per image; "
                  f"speed-up of this tree {ms_other / ms:.2f}×")
        print(f"  smartbox create (one process): {args.count / b:.0f} objects/s")
        print(f"  img2dcm (one process per file): {args.count / d:.0f} objects/s")
        print(f"  ratio smartbox batch / img2dcm speed: {d / b:.2f}× (target ≥ 1.0×)")


if __name__ == "__main__":
    main()
