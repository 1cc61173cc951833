"""``smartbox queue list|show|retry|cancel|purge``: what waits, what failed and why, in the operator's language."""

from __future__ import annotations

import click

from smartbox_next.app.station import open_outbox
from smartbox_next.cli._app import AppState, cli, emit_json, pass_state, reporting
from smartbox_next.errors import OutboxError
from smartbox_next.spool.outbox import PENDING, JobState, Outbox

_STATES = [s.value for s in JobState]


def _outbox(state: AppState) -> Outbox:
    with reporting(state):
        return open_outbox(state.config)


@cli.group("queue")
def queue_group() -> None:
    """Inspect and manage the outbox."""


@queue_group.command("list")
@click.option("--state", "states", multiple=True, type=click.Choice(_STATES), help="Only these states.")
@click.option("--to", "destination", default=None, help="Only this destination.")
@click.option("--json", "as_json", is_flag=True)
@pass_state
def list_jobs(state: AppState, states: tuple[str, ...], destination: str | None, as_json: bool) -> None:
    """Jobs with state and error, plus pending count and MB per destination."""
    outbox = _outbox(state)
    de = state.lang == "de"
    for s in outbox.stats():
        if destination and s.destination != destination:
            continue
        row = {"destination": s.destination, "pending": s.pending, "pending_mb": round(s.pending_bytes / 1e6, 1),
               "sent": s.sent, "failed": s.failed, "retry_wait": s.retry_wait}
        if as_json:
            emit_json({"summary": row})
        else:
            label = "wartend" if de else "pending"
            click.echo(f"{s.destination}: {s.pending} {label} ({row['pending_mb']} MB), "
                       f"{s.sent} {'gesendet' if de else 'sent'}, {s.failed} {'fehlgeschlagen' if de else 'failed'}")
    for job in outbox.jobs(destination, [JobState(x) for x in states]):
        if as_json:
            emit_json(job.as_json())
            continue
        err = job.error()
        reason = f"  {err.text(state.lang)}" if err and job.state not in (JobState.SENT,) else ""
        click.echo(f"#{job.id:<6} {job.destination:<12} {job.state.value:<10} {job.attempts:>3}× "
                   f"{job.size / 1e6:8.1f} MB  {job.path.name}{reason}")


@queue_group.command("show")
@click.argument("job_id", type=int)
@pass_state
def show(state: AppState, job_id: int) -> None:
    """One job in full, with what to do about its error."""
    outbox = _outbox(state)
    job = outbox.job(job_id)
    with reporting(state):
        if job is None:
            raise OutboxError("outbox.unknown_job", job=job_id)
    emit_json(job.as_json())
    err = job.error()
    if err is not None and job.state is not JobState.SENT:
        click.echo(f"→ {err.hint(state.lang)}", err=True)


@queue_group.command("retry")
@click.argument("job_ids", nargs=-1, type=int)
@click.option("--to", "destination", default=None, help="All failed/waiting jobs of this destination.")
@pass_state
def retry(state: AppState, job_ids: tuple[int, ...], destination: str | None) -> None:
    """Queue failed (or waiting) jobs again, now."""
    n = _outbox(state).retry(job_ids, destination)
    click.echo(f"{n} {'Aufträge erneut eingereiht' if state.lang == 'de' else 'jobs queued again'}")


@queue_group.command("cancel")
@click.argument("job_ids", nargs=-1, type=int)
@click.option("--to", "destination", default=None)
@pass_state
def cancel(state: AppState, job_ids: tuple[int, ...], destination: str | None) -> None:
    """Cancel jobs that have not been sent (the spool file stays until purge)."""
    n = _outbox(state).cancel(job_ids, destination)
    click.echo(f"{n} {'Aufträge abgebrochen' if state.lang == 'de' else 'jobs cancelled'}")


@queue_group.command("purge")
@click.option("--older-than-days", type=float, default=None, help="Default: outbox.retention_days.")
@pass_state
def purge(state: AppState, older_than_days: float | None) -> None:
    """Remove finished jobs and delete spool files that every destination has."""
    days = state.config.outbox.retention_days if older_than_days is None else older_than_days
    outbox = _outbox(state)
    freed = outbox.purge(days * 86400)
    for path in freed:
        path.unlink(missing_ok=True)
    pending = sum(1 for _ in outbox.jobs(states=PENDING))
    click.echo(f"{len(freed)} {'Dateien entfernt' if state.lang == 'de' else 'files removed'}, "
               f"{pending} {'wartend' if state.lang == 'de' else 'pending'}")
