"""``smartbox send`` to several destinations: one worker process each (delivery/forked.py, issue 13 item 4).

Real processes throughout: DCMTK storescp as the destinations that work, a scripted peer that accepts and then
never answers (tests/hostile_peer.py) as the one that hangs. What is checked is what a user and an operator rely
on: every destination gets everything, a dead one is reported and does not hold the others, a worker killed
with ``kill -9`` is that destination's failure (never a lost destination or a hang), and when the ``send``
process itself is killed with ``kill -9`` no worker is left behind sending.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
from pathlib import Path

import hostile_peer as hp
import peers
import pytest
from fault_scp import make_native
from processes import processes, start_smartbox, station_env, wait_for  # noqa: F401 - fixture

from smartbox_next.delivery.forked import deliver_in_processes
from smartbox_next.dicom.peer import Peer
from smartbox_next.net.store import BatchResult

pytestmark = pytest.mark.peer


def _children(pid: int) -> list[int]:
    """The living child processes of ``pid`` (zombies not counted)."""
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True, check=False).stdout
    return [int(p) for p in out.split() if _alive(int(p))]


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def _files(tmp_path: Path, count: int = 3) -> list[Path]:
    files = [tmp_path / f"obj{i}.dcm" for i in range(count)]
    for i, f in enumerate(files):
        make_native(f, nbytes=100_000, seed=i)
    return files


def test_every_destination_gets_everything_and_a_dead_one_is_reported(
        tmp_path: Path, processes: list[subprocess.Popen[str]]) -> None:  # noqa: F811
    files = _files(tmp_path)
    with peers.storescp(tmp_path / "a") as a, peers.storescp(tmp_path / "b") as b:
        env = station_env(tmp_path / "data")
        proc = start_smartbox("send", *map(str, files), "--to", a.address, "--to", b.address, "--to",
                              "DEAD@127.0.0.1:9", "--json", "--attempts", "1", env=env, procs=processes)
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 1, err
        rows = [json.loads(line) for line in out.splitlines()]
        summaries = {r["peer"]: r for r in rows if r["event"] == "summary"}
        assert summaries[a.address]["stored"] == 3 and summaries[b.address]["stored"] == 3
        assert summaries["DEAD@127.0.0.1:9"]["failed"] == 3
        dead = [r for r in rows if r["event"] == "object" and r["peer"] == "DEAD@127.0.0.1:9"]
        assert {r["key"] for r in dead} == {"net.connect_failed"}
        assert {r["peer"] for r in rows if r["event"] == "progress"} >= {a.address, b.address}  # from the workers
        assert len(a.received()) == 3 and len(b.received()) == 3


def test_killing_the_send_leaves_no_worker_behind(tmp_path: Path,
                                                  processes: list[subprocess.Popen[str]]) -> None:  # noqa: F811
    """``kill -9`` of ``smartbox send`` while its workers wait on peers that never answer: the workers end too
    (PR_SET_PDEATHSIG), they do not go on sending for a process that is gone."""
    files = _files(tmp_path, 2)
    with hp.hostile_peer(hp.silent_after_accept) as hang, hp.hostile_peer(hp.silent_after_accept) as hang2:
        env = station_env(tmp_path / "data", SMARTBOX_NETWORK_DIMSE_TIMEOUT="120")
        proc = start_smartbox("send", *map(str, files), "--to", f"HANG@127.0.0.1:{hang.port}", "--to",
                              f"HANG2@127.0.0.1:{hang2.port}", "--json", "--attempts", "1", env=env, procs=processes)
        wait_for(lambda: len(_children(proc.pid)) == 2, timeout=60)
        workers = _children(proc.pid)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(30)
        wait_for(lambda: not any(_alive(w) for w in workers), timeout=30)


def test_a_killed_worker_is_reported_as_failed_for_its_destination(
        tmp_path: Path, processes: list[subprocess.Popen[str]]) -> None:  # noqa: F811
    files = _files(tmp_path, 2)
    with peers.storescp(tmp_path / "a") as a, hp.hostile_peer(hp.silent_after_accept) as hang:
        env = station_env(tmp_path / "data", SMARTBOX_NETWORK_DIMSE_TIMEOUT="120")
        hanging = f"HANG@127.0.0.1:{hang.port}"
        proc = start_smartbox("send", *map(str, files), "--to", a.address, "--to", hanging, "--json",
                              "--attempts", "1", env=env, procs=processes)
        wait_for(lambda: len(a.received()) == 2 and len(_children(proc.pid)) == 1, timeout=60)
        [worker] = _children(proc.pid)
        os.kill(worker, signal.SIGKILL)
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 1, err
    rows = [json.loads(line) for line in out.splitlines()]
    summaries = {r["peer"]: r for r in rows if r["event"] == "summary"}
    assert summaries[a.address]["stored"] == 2
    assert summaries[hanging]["failed"] == 2
    failed = [r for r in rows if r["event"] == "object" and r["peer"] == hanging]
    assert {r["key"] for r in failed} == {"net.worker_ended"} and all(r["retryable"] for r in failed)
    assert "-9" in failed[0]["message"], failed[0]


def _never() -> BatchResult:
    raise AssertionError("no child may run")


def test_a_process_with_threads_is_never_forked() -> None:
    stop = threading.Event()
    t = threading.Thread(target=stop.wait, daemon=True)
    t.start()
    try:
        with pytest.raises(RuntimeError, match="no other thread"):
            deliver_in_processes(lambda peer, progress, on_retry: _never(), [Peer.parse("A@127.0.0.1:9")] * 2, [])
    finally:
        stop.set()
        t.join()
