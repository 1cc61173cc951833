"""``smartbox send PATH... --to PEER [--to PEER ...] [--json]``: C-STORE or STOW-RS to one or many PACS at once.

A peer is a configured name, ``AET@host:port`` (C-STORE) or a DICOMweb base URL ``https://…`` (STOW-RS, without
authentication; configure the peer for credentials).

Folders are searched recursively; files that are not DICOM are reported and skipped. Each destination gets
its own worker; retryable failures (A7xx, transient rejection, abort, timeout) are retried with backoff
(``[retry]`` settings, ``--attempts`` per object). On a terminal a progress bar per destination shows rate and
ETA; ``--json`` prints JSON lines instead. Exit code 0 only if every object reached every destination.
"""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path
from typing import Any

import click

from smartbox_next.cli._app import AppState, cli, emit_json, pass_state, reporting
from smartbox_next.delivery.direct import AnyPeer, collect_paths, send_to_many
from smartbox_next.delivery.retry import RetryPolicy
from smartbox_next.messages import render
from smartbox_next.net.store import BatchResult, FileResult, Outcome, ProgressEvent


def _result_json(peer: AnyPeer, r: FileResult, lang: str) -> dict[str, Any]:
    out: dict[str, Any] = {"event": "object", "peer": str(peer), "path": str(r.path), "outcome": r.outcome.value,
                           "sop_instance_uid": r.sop_instance_uid, "bytes": r.bytes_sent}
    if r.status is not None:
        out["status"] = f"0x{r.status:04X}"
    if r.transfer_syntax:
        out["transfer_syntax"] = r.transfer_syntax
    if r.conversion:
        out["conversion"] = r.conversion
    problem = r.error or r.warning
    if problem is not None:
        out.update(key=problem.key, message=problem.text(lang), hint=problem.hint(lang),
                   retryable=problem.retryable)
    return out


def _summary_params(b: BatchResult) -> dict[str, Any]:
    return {"peer": str(b.peer), "stored": b.count(Outcome.STORED) + b.count(Outcome.WARNING),
            "total": len(b.results), "warnings": b.count(Outcome.WARNING), "failed": b.count(Outcome.FAILED),
            "mb": f"{b.bytes_sent / 1e6:.1f}", "seconds": f"{b.seconds:.1f}"}


class _JsonProgress:
    """JSON lines from several worker threads: finished objects always, byte progress at most twice a second."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.last: dict[str, float] = {}

    def __call__(self, ev: ProgressEvent) -> None:
        now = time.monotonic()
        with self.lock:
            if not ev.done and now - self.last.get(ev.peer, 0.0) < 0.5:
                return
            self.last[ev.peer] = now
            emit_json({"event": "progress", "peer": ev.peer, "path": str(ev.path), "index": ev.index,
                       "count": ev.count, "object_bytes": ev.object_bytes, "object_total": ev.object_total,
                       "batch_bytes": ev.batch_bytes, "batch_total": ev.batch_total, "done": ev.done})


@cli.command("send")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path, exists=True))
@click.option("--to", "targets", multiple=True, required=True,
              help="Destination: a configured peer name, AET@host:port or a DICOMweb URL https://…; repeat for "
                   "several.")
@click.option("--json", "as_json", is_flag=True, help="JSON lines instead of a progress bar.")
@click.option("--attempts", type=click.IntRange(1, 100), default=3, show_default=True,
              help="Attempts per object for retryable failures (delays from [retry]).")
@pass_state
def send_cmd(state: AppState, paths: tuple[Path, ...], targets: tuple[str, ...], as_json: bool,
             attempts: int) -> None:
    """Send DICOM files (or folders, recursively) to one or more PACS."""
    with reporting(state):
        config = state.config
        peers = list(dict.fromkeys(config.destination(t) for t in targets))
    lang = state.lang
    files = collect_paths(paths)
    policy = RetryPolicy.from_config(config.retry, max_attempts=attempts)

    def on_retry(peer: AnyPeer, attempt: int, wait: float, left: int) -> None:
        if as_json:
            emit_json({"event": "retry", "peer": str(peer), "attempt": attempt, "wait_s": round(wait, 2),
                       "objects": left})

    if as_json:
        results = send_to_many(config, peers, files, progress=_JsonProgress(), policy=policy, on_retry=on_retry)
    elif sys.stderr.isatty():
        results = _with_bars(config, peers, files, policy)
    else:
        results = send_to_many(config, peers, files, policy=policy)
    for batch in results:
        for r in batch.results:
            if as_json:
                emit_json(_result_json(batch.peer, r, lang))
            elif r.outcome is not Outcome.STORED:
                problem = r.error or r.warning
                label = ("Warnung" if lang == "de" else "Warning") if r.outcome is Outcome.WARNING else \
                    ("Fehler" if lang == "de" else "Error")
                if problem is not None:
                    click.echo(f"{label}: {problem.text(lang)}", err=True)
                    if problem.hint(lang):
                        click.echo(f"  → {problem.hint(lang)}", err=True)
        if as_json:
            emit_json({"event": "summary", **_summary_params(batch), "ok": batch.ok, "attempts": batch.attempts})
        else:
            click.echo(render("send.summary", lang, _summary_params(batch)))
    if not all(b.ok for b in results):
        raise click.exceptions.Exit(1)


def _with_bars(config: Any, peers: list[AnyPeer], files: list[Path], policy: RetryPolicy) -> list[BatchResult]:
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    with Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
                  TimeRemainingColumn(), transient=False) as bars:
        tasks = {str(p): bars.add_task(str(p), total=None) for p in peers}

        def progress(ev: ProgressEvent) -> None:
            bars.update(tasks[ev.peer], total=ev.batch_total, completed=ev.batch_bytes,
                        description=f"{ev.peer} {ev.index + 1}/{ev.count}")

        return send_to_many(config, peers, files, progress=progress, policy=policy)
