"""A station for the workflow tests (MPPS, Storage Commitment): its configuration file and small CLI helpers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from processes import run_smartbox, station_env

UID_ROOT = "1.2.826.0.1.3680043.8.498.7"


def station(tmp: Path, *, pacs: str | None = None, pacs_roles: tuple[str, ...] = ("storage",),
            ris: str | None = None, worklist: str | None = None, listener_port: int | None = None,
            **env: str) -> dict[str, str]:
    """The environment of a station whose configuration file names the peers with their roles."""
    lines = [f'[uid]\nroot = "{UID_ROOT}"']
    if listener_port is not None:
        lines.append(f'[listener]\nport = {listener_port}\nhost = "127.0.0.1"')
    if worklist is not None:
        lines.append('[worklist]\npeer = "wl"')
        lines.append(f'[peers.wl]\naddress = "{worklist}"\nroles = ["worklist"]')
    if pacs is not None:
        lines.append(f'[peers.pacs]\naddress = "{pacs}"\nroles = {json.dumps(list(pacs_roles))}')
    if ris is not None:
        lines.append(f'[peers.ris]\naddress = "{ris}"\nroles = ["mpps"]')
    cfg = tmp / "smartbox.toml"
    cfg.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return station_env(tmp / "data", SMARTBOX_CONFIG=str(cfg), **env)


def ok(*args: str, env: dict[str, str], timeout: float = 120) -> str:
    """Run ``smartbox ARGS``; it must succeed; its stdout."""
    result = run_smartbox(*args, env=env, timeout=timeout)
    assert result.returncode == 0, (args, result.stdout, result.stderr)
    return result.stdout


def start_exam(env: dict[str, str], *args: str) -> dict[str, Any]:
    return dict(json.loads(ok("exam", "start", *args, "--json", env=env)))


def show(env: dict[str, str], exam_id: str) -> dict[str, Any]:
    return dict(json.loads(ok("exam", "show", exam_id, "--json", env=env)))


def queue(env: dict[str, str]) -> list[dict[str, Any]]:
    """The job rows of ``queue list --json`` (summaries left out)."""
    return [row for row in map(json.loads, ok("queue", "list", "--json", env=env).splitlines()) if "id" in row]
