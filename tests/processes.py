"""Run ``smartbox`` as a real process, as an operator or a script would (no in-process shortcuts)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

FAST_RETRY = {"SMARTBOX_RETRY_INITIAL_DELAY": "0.2", "SMARTBOX_RETRY_MAX_DELAY": "1", "SMARTBOX_RETRY_JITTER": "0.1",
              "SMARTBOX_NETWORK_DIMSE_TIMEOUT": "20", "SMARTBOX_NETWORK_ACSE_TIMEOUT": "5",
              "SMARTBOX_NETWORK_CONNECT_TIMEOUT": "2", "SMARTBOX_OUTBOX_MIN_FREE_MB": "10"}


def station_env(data_dir: Path, peers: dict[str, str] | None = None, *, lang: str = "en",
                **extra: str) -> dict[str, str]:
    """The environment of a station with its data in ``data_dir`` (no SMARTBOX_* of the caller leaks in)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMARTBOX_")}
    env.update(FAST_RETRY)
    env["SMARTBOX_STATION_DATA_DIR"] = str(data_dir)
    env["SMARTBOX_STATION_LANGUAGE"] = lang
    for name, address in (peers or {}).items():
        env[f"SMARTBOX_PEERS_{name.upper()}"] = address
    env.update(extra)
    return env


def smartbox_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "smartbox_next", *args]


def run_smartbox(*args: str, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """``smartbox ARGS`` to completion; stdout and stderr captured as text."""
    return subprocess.run(smartbox_argv(*args), env=env, capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL, check=False)


def start_smartbox(*args: str, env: dict[str, str], procs: list[subprocess.Popen[str]]) -> subprocess.Popen[str]:
    """``smartbox ARGS`` in the background (stderr piped); added to ``procs`` so the fixture kills it."""
    proc = subprocess.Popen(smartbox_argv(*args), env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    procs.append(proc)
    return proc


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[str]]]:
    """Processes a test starts; every one still running at the end is killed (never left behind)."""
    procs: list[subprocess.Popen[str]] = []
    yield procs
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=10)


def wait_for(predicate: Callable[[], object], timeout: float = 60.0) -> None:
    """Poll ``predicate`` until it is true (a condition, never a fixed sleep); fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("condition not reached in time")


def jpegs(folder: Path, count: int, size: tuple[int, int] = (64, 48)) -> list[Path]:
    """``count`` small camera-like JPEG files, each a different grey."""
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for i in range(count):
        arr = np.full((size[1], size[0], 3), (i * 7) % 256, dtype=np.uint8)
        path = folder / f"img{i:04d}.jpg"
        Image.fromarray(arr).save(path, quality=85)
        out.append(path)
    return out
