"""``smartbox serve``: the sending service — one worker per destination, graceful on SIGTERM/SIGINT."""

from __future__ import annotations

import logging
import signal
import threading
from types import FrameType

import click

from smartbox_next.app.exams import adopt_orphans
from smartbox_next.app.station import open_outbox, reconcile_station, service_lock
from smartbox_next.cli._app import AppState, cli, pass_state, reporting
from smartbox_next.delivery.destination import destinations
from smartbox_next.delivery.workers import SenderService
from smartbox_next.delivery.workflow import WorkflowService, workflow_notices
from smartbox_next.messages import say
from smartbox_next.spool.outbox import Job

LOG = logging.getLogger(__name__)


@cli.command("serve")
@click.option("--until-idle", is_flag=True, help="Stop when nothing is pending (one-shot delivery).")
@pass_state
def serve(state: AppState, until_idle: bool) -> int:
    """Deliver queued objects to every destination until stopped."""
    config = state.config
    lock = service_lock(config)
    with reporting(state):
        lock.acquire()  # held until the process ends: one service per data folder
        outbox = open_outbox(config)
        dests = destinations(config)
        report = reconcile_station(config, outbox, [d.name for d in dests])
        adopt_orphans(outbox, report.orphan_files_queued)  # objects of an exam, written just before a crash
    if report.recovered_sending or report.orphan_files_queued or report.missing_files:
        click.echo(say("serve.reconciled", state.lang, {"recovered": report.recovered_sending,
                                                         "orphans": len(report.orphan_files_queued),
                                                         "missing": len(report.missing_files)}), err=True)
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        LOG.info("signal %d: stopping after the objects in flight", signum)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    workflow = WorkflowService(config, outbox, stop=stop,
                               on_event=lambda key, params: click.echo(say(key, state.lang, params), err=True))

    def listener(dest: str, job: Job, what: str) -> None:
        click.echo(say(f"serve.job_{what}", state.lang, {"destination": dest, "job": job.id}), err=True)
        if what == "sent":
            workflow.notify_stored(dest)

    service = SenderService(config, outbox, dests, stop=stop, listener=listener)
    with reporting(state):
        workflow.start()
    for key, params in workflow_notices(config, workflow):
        click.echo(say(key, state.lang, params), err=True)
    service.start()
    if until_idle:
        while service.pending() + workflow.pending() > 0 and not stop.is_set():
            stop.wait(0.05)
        stop.set()
    else:
        while not stop.wait(0.5):
            pass
    service.join()
    workflow.join()
    outbox.close()
    lock.release()
    return 0
