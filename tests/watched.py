"""Run ``smartbox`` as a real process while watching its memory (psutil) and time.

The process is killed as soon as its resident memory passes ``rss_limit`` or it runs past ``timeout``, so a
test of unfixed code fails quickly instead of eating the machine's memory (the audit saw 12 GB).
"""

from __future__ import annotations

import contextlib
import subprocess
import threading
import time
from dataclasses import dataclass

import psutil
from processes import smartbox_argv

MiB = 1024 * 1024


@dataclass(frozen=True)
class Watched:
    """How a watched run ended."""

    returncode: int | None  # None: killed by the watcher
    stdout: str
    stderr: str
    seconds: float
    peak_rss: int  # bytes
    killed: str  # "" or why the watcher killed it ("memory", "time")

    @property
    def peak_mib(self) -> float:
        return self.peak_rss / MiB


def run_watched(*args: str, env: dict[str, str], timeout: float = 120.0, rss_limit: int = 400 * MiB,
                poll: float = 0.02) -> Watched:
    """``smartbox ARGS`` to completion (or until the watcher kills it); peak RSS sampled every ``poll`` s."""
    started = time.monotonic()
    proc = subprocess.Popen(smartbox_argv(*args), env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    out: dict[str, str] = {}
    reader = threading.Thread(target=lambda: out.update(zip(("stdout", "stderr"), proc.communicate(),
                                                                strict=True)), daemon=True)
    reader.start()
    watched = psutil.Process(proc.pid)
    peak, killed = 0, ""
    while proc.poll() is None:
        with contextlib.suppress(psutil.Error):  # the process may just have ended
            peak = max(peak, watched.memory_info().rss)
        if peak > rss_limit:
            killed = "memory"
        elif time.monotonic() - started > timeout:
            killed = "time"
        if killed:
            proc.kill()
            break
        time.sleep(poll)
    reader.join(30)
    seconds = time.monotonic() - started
    return Watched(None if killed else proc.returncode, out.get("stdout", ""), out.get("stderr", ""), seconds,
                   peak, killed)
