"""Run ``smartbox`` as a real process, as an operator or a script would (no in-process shortcuts)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

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
