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
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from smartbox_next.cli._app import AppState, cli, emit_json, pass_state, reporting, show_error
from smartbox_next.delivery.retry import RetryPolicy
from smartbox_next.errors import InputError, SmartboxError
from smartbox_next.messages import render, say

if TYPE_CHECKING:  # the senders load pydicom, pynetdicom and httpx: imported in the command
    from smartbox_next.delivery.direct import AnyPeer, Retry
    from smartbox_next.net.store import BatchResult, FileResult, ProgressEvent


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


def _summary_params(b: BatchResult, lang: str = "en") -> dict[str, Any]:
    from smartbox_next.net.store import Outcome

    def number(value: float) -> str:
        text = f"{value:.1f}"
        return text.replace(".", ",") if lang == "de" else text

    return {"peer": str(b.peer), "stored": b.count(Outcome.STORED) + b.count(Outcome.WARNING),
            "total": len(b.results), "warnings": b.count(Outcome.WARNING), "failed": b.count(Outcome.FAILED),
            "mb": number(b.bytes_sent / 1e6), "seconds": number(b.seconds)}


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


def _files_text(paths: list[Path], lang: str) -> str:
    shown = ", ".join(str(p) for p in paths[:_LISTED])
    if len(paths) > _LISTED:
        shown += " " + say("send.more_files", lang, {"count": len(paths) - _LISTED})
    return shown


_LISTED = 5


def _report_failures(batch: BatchResult, lang: str) -> None:
    """One message per distinct problem at a destination, naming the files it concerns (not one per file)."""
    from smartbox_next.net.store import Outcome

    groups: dict[tuple[str, str], tuple[SmartboxError, list[Path]]] = {}
    for r in batch.results:
        problem = r.error or r.warning
        if r.outcome is Outcome.STORED or problem is None:
            continue
        label = "label.warning" if r.outcome is Outcome.WARNING else "label.error"
        entry = groups.setdefault((label, problem.text(lang)), (problem, []))
        entry[1].append(r.path)
    for (label, text), (problem, files) in groups.items():
        key = "send.files_one" if len(files) == 1 else "send.files_many"
        which = say(key, lang, {"count": len(files), "files": _files_text(files, lang)})
        click.echo(f"{say(label, lang)}: {text} ({which})", err=True)
        if problem.hint(lang):
            click.echo(f"  → {problem.hint(lang)}", err=True)


@cli.command("send")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
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
    from smartbox_next.delivery.direct import collect_paths, send_to_many

    with reporting(state):
        config = state.config
        peers = list(dict.fromkeys(config.destination(t, option="--to") for t in targets))
    lang = state.lang
    missing = [p for p in paths if not p.exists()]
    for path in missing:  # named, not sent, not in the summary; the others are sent (exit code 1 at the end)
        error = InputError("input.not_found", path=str(path))
        if as_json:
            emit_json({"event": "object", "path": str(path), "outcome": "failed", "key": error.key,
                       "message": error.text(lang), "hint": error.hint(lang), "retryable": False})
        else:
            show_error(error, lang)
    files = collect_paths([p for p in paths if p.exists()])
    policy = RetryPolicy.from_config(config.retry, max_attempts=attempts)
    sink: list[Callable[[str], None]] = [lambda text: click.echo(text, err=True)]  # a progress bar prints above

    def on_retry(retry: Retry) -> None:
        if as_json:
            emit_json({"event": "retry", "peer": str(retry.peer), "attempt": retry.attempt,
                       "max_attempts": retry.max_attempts, "wait_s": round(retry.wait, 2), "objects": retry.objects,
                       "key": retry.error.key, "message": retry.error.text(lang)})
            return
        sink[0](say("send.retry", lang, {"peer": str(retry.peer), "failed": retry.attempt,
                                         "next": retry.attempt + 1, "max": retry.max_attempts,
                                         "wait": f"{retry.wait:.0f}", "count": retry.objects,
                                         "reason": retry.error.text(lang)}))

    results: list[BatchResult] = []
    if files and as_json:
        results = send_to_many(config, peers, files, progress=_JsonProgress(), policy=policy, on_retry=on_retry,
                               processes=True)
    elif files and sys.stderr.isatty():
        results = _with_bars(config, peers, files, policy, on_retry, sink)
    elif files:
        results = send_to_many(config, peers, files, policy=policy, on_retry=on_retry, processes=True)

    for batch in results:
        if as_json:
            for r in batch.results:
                emit_json(_result_json(batch.peer, r, lang))
            emit_json({"event": "summary", **_summary_params(batch), "ok": batch.ok, "attempts": batch.attempts,
                       "elapsed_s": round(batch.seconds, 4)})  # "seconds" is the rounded text people read
        else:
            _report_failures(batch, lang)
            click.echo(render("send.summary", lang, _summary_params(batch, lang)))
    if missing or not all(b.ok for b in results):
        raise click.exceptions.Exit(1)


def _with_bars(config: Any, peers: list[AnyPeer], files: list[Path], policy: RetryPolicy,
               on_retry: Callable[[Retry], None], sink: list[Callable[[str], None]]) -> list[BatchResult]:
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    from smartbox_next.delivery.direct import send_to_many

    # no refresh thread (auto_refresh=False): several destinations are sent by forked worker processes, and a
    # process is forked only while it runs no other thread (delivery/forked.py); the bars redraw on progress
    with Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
                  TimeRemainingColumn(), transient=False, auto_refresh=False) as bars:
        tasks = {str(p): bars.add_task(str(p), total=None) for p in peers}
        plain = sink[0]
        sink[0] = lambda text: bars.console.print(text, markup=False, highlight=False)
        lock = threading.Lock()
        drawn = [0.0]

        def progress(ev: ProgressEvent) -> None:
            with lock:
                bars.update(tasks[ev.peer], total=ev.batch_total, completed=ev.batch_bytes,
                            description=f"{ev.peer} {ev.index + 1}/{ev.count}")
                now = time.monotonic()
                if ev.done or now - drawn[0] >= 0.1:
                    drawn[0] = now
                    bars.refresh()

        try:
            return send_to_many(config, peers, files, progress=progress, policy=policy, on_retry=on_retry,
                                processes=True)
        finally:
            sink[0] = plain
