"""``smartbox serve``: the sending service — one worker per destination, graceful on SIGTERM/SIGINT.

It talks to the people running it, on stdout and in the station's language: what it serves when it starts
(destinations, data folder, listening ports, what waits), each job as it is sent, retried (attempt n of m, the
next attempt's local time and the reason) or failed (with what to do), what ``--until-idle`` waits for, and
when it stops. Log records (``-v``, ``--log-format json``) go to stderr, in English, for machines.
Exit codes: 1 when there is nothing to send to, or (``--until-idle``) when a job failed for good in this run.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from types import FrameType
from typing import TYPE_CHECKING

import click

from smartbox_next.app.station import open_outbox, reconcile_station, service_lock
from smartbox_next.cli._app import AppState, HandledError, cli, pass_state, reporting
from smartbox_next.cli._format import clock, size_text
from smartbox_next.config import Config
from smartbox_next.errors import OutboxError
from smartbox_next.messages import printable, say
from smartbox_next.spool.outbox import Job, Outbox

if TYPE_CHECKING:  # the destinations and workflow load pydicom, pynetdicom and httpx: imported in the command
    from smartbox_next.delivery.destination import Destination
    from smartbox_next.delivery.workers import Listener, Waiting

LOG = logging.getLogger(__name__)


def _where(config: Config, dest: Destination) -> str:
    peer = config.peers.get(dest.name)
    return str(peer) if peer is not None else config.outbox.folder


def _label(job: Job) -> str:
    return f"#{job.id}" + (f" ({printable(job.accession)})" if job.accession else "")


def _waiting_totals(outbox: Outbox, names: list[str]) -> tuple[int, int]:
    stats = [s for s in outbox.stats() if s.destination in names]
    return sum(s.pending for s in stats), sum(s.pending_bytes for s in stats)


def _job_lines(lang: str, config: Config, failed: list[int]) -> Listener:
    """The status line of each job as it is sent, retried or failed (failed ones noted in ``failed``)."""
    say_out = click.echo
    max_attempts = config.retry.max_attempts

    def listener(dest: str, job: Job, what: str) -> None:
        params = {"destination": dest, "job": _label(job), "attempt": job.attempts, "max": max_attempts,
                  "size": size_text(job.size, lang)}
        if what == "sending":
            say_out(say("serve.job_sending", lang, {**params, "attempt": job.attempts + 1}))
        elif what == "sent":
            say_out(say("serve.job_sent", lang, params))
        else:
            err = job.error()
            reason = err.text(lang) if err is not None else "-"
            if what == "retry_wait":
                say_out(say("serve.job_retry_wait", lang, {**params, "next": clock(job.next_attempt),
                                                           "reason": reason}))
            else:
                failed.append(job.id)
                say_out(say("serve.job_failed", lang, {**params, "reason": reason}))
                if err is not None and err.hint(lang):
                    say_out(f"    → {err.hint(lang)}")

    return listener


@cli.command("serve")
@click.option("--until-idle", is_flag=True,
              help="Stop when nothing is pending (one-shot delivery); says what it waits for meanwhile.")
@pass_state
def serve(state: AppState, until_idle: bool) -> int:
    """Deliver queued objects to every destination until stopped (SIGTERM/Ctrl-C: after the objects in flight)."""
    from smartbox_next.app.exams import adopt_orphans
    from smartbox_next.app.services import start_services
    from smartbox_next.delivery.destination import destinations

    config = state.config
    lang = state.lang
    lock = service_lock(config)
    with reporting(state):
        lock.acquire()  # held until the process ends: one service per data folder
        dests = destinations(config)
        if not dests:
            raise OutboxError("outbox.no_destinations")
        outbox = open_outbox(config)
        names = [d.name for d in dests]
        report = reconcile_station(config, outbox, names)
        adopt_orphans(outbox, report.orphan_files_queued)  # objects of an exam, written just before a crash
        stop = threading.Event()
        failed: list[int] = []
        # C-STORE, and beside it MPPS and Storage Commitment (and the listener for commitment reports)
        services = start_services(config, outbox, dests, stop=stop, on_job=_job_lines(lang, config, failed),
                                  on_event=lambda key, params: click.echo(say(key, lang, params)))
    say_out = click.echo  # status lines for people: stdout (logs go to stderr)
    count, size = _waiting_totals(outbox, names)
    say_out(say("serve.started", lang, {"pid": os.getpid(), "folder": config.data_dir}))
    say_out("  " + say("serve.destinations", lang, {
        "destinations": ", ".join(f"{d.name} ({printable(_where(config, d))})" for d in dests)}))
    if not services.listening():
        say_out("  " + say("serve.no_listener", lang))
    for key, params in services.notices():
        say_out("  " + say(key, lang, params))
    say_out("  " + say("serve.waiting_total", lang, {"count": count, "size": size_text(size, lang)}))
    if report.recovered_sending or report.orphan_files_queued or report.missing_files:
        say_out("  " + say("serve.reconciled", lang, {"recovered": report.recovered_sending,
                                                      "orphans": len(report.orphan_files_queued),
                                                      "missing": len(report.missing_files)}))
    LOG.info("service started: pid %d, data folder %s, destinations %s", os.getpid(), config.data_dir,
             ", ".join(names), extra={"event": "started", "destinations": names})

    def on_signal(signum: int, frame: FrameType | None) -> None:
        LOG.info("signal %d: stopping after the objects in flight", signum)
        say_out(say("serve.stopping", lang))
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    max_attempts = config.retry.max_attempts

    def on_wait(waiting: Waiting) -> None:
        job = waiting.next
        if job is not None:
            say_out(say("serve.waiting_for", lang, {"count": waiting.jobs, "job": _label(job),
                                                    "destination": job.destination, "next": clock(job.next_attempt),
                                                    "attempt": job.attempts + 1, "max": max_attempts}))

    if until_idle:
        services.sender.run_until_idle(timeout=float("inf"), on_wait=on_wait, also_pending=services.workflow.pending)
    else:
        services.sender.start()
        while not stop.wait(0.5):
            pass
    services.join()
    count, size = _waiting_totals(outbox, names)
    outbox.close()
    lock.release()
    say_out(say("serve.stopped", lang, {"count": count, "size": size_text(size, lang)}))
    LOG.info("service stopped: %d job(s) pending", count, extra={"event": "stopped", "pending": count})
    if until_idle and failed:
        click.echo(say("serve.failed_jobs", lang, {"count": len(failed),
                                                   "jobs": ", ".join(f"#{i}" for i in sorted(failed))}), err=True)
        raise HandledError(1)
    return 0
