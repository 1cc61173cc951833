"""``smartbox queue list|show|retry|cancel|purge``: what waits, what failed and why, in the operator's language.

Nothing empties the queue by accident: ``retry`` and ``cancel`` act on the jobs named (job numbers and/or
``--to``) or, only when asked, on ``--all``; ``purge`` deletes only captures every destination has, unless
``--force --confirm N`` names the number of undelivered captures it would delete.
"""

from __future__ import annotations

import time

import click

from smartbox_next.app.station import identity_override_of, open_outbox, rebuild_outbox, service_lock
from smartbox_next.cli._app import AppState, HandledError, cli, emit_json, pass_state, reporting, show_error
from smartbox_next.delivery.destination import destination_names
from smartbox_next.errors import OutboxError, SmartboxError
from smartbox_next.messages import say
from smartbox_next.spool.commitments import CommitmentStore
from smartbox_next.spool.outbox import PENDING, JobState, Outbox

_STATES = [s.value for s in JobState]


def _outbox(state: AppState) -> Outbox:
    with reporting(state):
        return open_outbox(state.config)


def _usage_error(state: AppState, exc: SmartboxError) -> HandledError:
    """Show a usage error in the operator's language, with what to do (exit code 2)."""
    show_error(exc, state.lang)
    return HandledError(2)


def _check_selection(state: AppState, command: str, job_ids: tuple[int, ...], destination: str | None,
                     everything: bool) -> None:
    if everything and (job_ids or destination):
        raise _usage_error(state, SmartboxError("queue.all_and_selection"))
    if not (everything or job_ids or destination):
        raise _usage_error(state, SmartboxError("queue.no_selection", command=command))


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
    lang = state.lang
    for s in outbox.stats():
        if destination and s.destination != destination:
            continue
        row = {"destination": s.destination, "pending": s.pending, "pending_mb": round(s.pending_bytes / 1e6, 1),
               "sent": s.sent, "failed": s.failed, "retry_wait": s.retry_wait}
        if as_json:
            emit_json({"summary": row})
        else:
            click.echo(say("queue.summary", lang, {"destination": s.destination, "pending": s.pending,
                                                   "mb": row["pending_mb"], "sent": s.sent, "failed": s.failed}))
    committing = set(state.config.commitment_peers())
    commitment = {(c.sop_instance_uid, c.destination): c for c in CommitmentStore(outbox).commitments()}
    window, now = state.config.commitment.window_hours * 3600, time.time()

    def commitment_state(uid: str, dest: str) -> str | None:
        """The commitment state of an object at a destination requiring it ("pending" before the row exists)."""
        if dest not in committing:
            return None
        row = commitment.get((uid, dest))
        return row.shown_state(now, window) if row is not None else "pending"

    for job in outbox.jobs(destination, [JobState(x) for x in states]):
        shown = commitment_state(job.sop_instance_uid, job.destination)
        if as_json:
            emit_json({**job.as_json(), "commitment": shown})
            continue
        err = job.error()
        reason = f"  {err.text(lang)}" if err and job.state not in (JobState.SENT,) else ""
        if shown is not None:
            reason += say("queue.commitment", lang, {"state": say(f"queue.commitment_{shown}", lang)})
        click.echo(say("queue.job", lang, {"job": job.id, "destination": job.destination,
                                           "state": say(f"queue.state_{job.state.value}", lang),
                                           "attempts": job.attempts, "mb": job.size / 1e6, "file": job.path.name,
                                           "reason": reason}))


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
    override = identity_override_of(state.config, job.path)
    row = job.as_json()
    if job.destination in state.config.commitment_peers():
        rows = CommitmentStore(outbox).commitments(job.destination, [job.sop_instance_uid])
        row["commitment"] = (rows[0].shown_state(time.time(), state.config.commitment.window_hours * 3600)
                             if rows else "pending")
        problem = rows[0].error() if rows else None
        if problem is not None:
            row["commitment_error"] = problem.text(state.lang)
    if override is not None:
        row["identity_override"] = {"worklist_item": override.worklist_item, "fields": list(override.fields),
                                    "at": override.at}
    emit_json(row)
    if override is not None:
        click.echo(say("queue.identity_override", state.lang, {"item": override.worklist_item,
                                                               "fields": ", ".join(override.fields),
                                                               "at": override.at}), err=True)
    err = job.error()
    if err is not None and job.state is not JobState.SENT:
        click.echo(f"→ {err.hint(state.lang)}", err=True)


@queue_group.command("retry")
@click.argument("job_ids", nargs=-1, type=int)
@click.option("--to", "destination", default=None, help="The failed/waiting/cancelled jobs of this destination.")
@click.option("--all", "everything", is_flag=True, help="Every failed, waiting or cancelled job.")
@pass_state
def retry(state: AppState, job_ids: tuple[int, ...], destination: str | None, everything: bool) -> None:
    """Queue failed (or waiting, or cancelled) jobs again, now: JOB_IDS, --to DESTINATION, or --all."""
    _check_selection(state, "retry", job_ids, destination, everything)
    outbox = _outbox(state)
    with reporting(state):
        n = outbox.retry(job_ids, destination, everything=everything)
    click.echo(say("queue.retried", state.lang, {"count": n}))


@queue_group.command("cancel")
@click.argument("job_ids", nargs=-1, type=int)
@click.option("--to", "destination", default=None, help="The unsent jobs of this destination.")
@click.option("--all", "everything", is_flag=True, help="Every job not sent yet.")
@pass_state
def cancel(state: AppState, job_ids: tuple[int, ...], destination: str | None, everything: bool) -> None:
    """Cancel jobs that have not been sent: JOB_IDS, --to DESTINATION, or --all (the spool file stays)."""
    _check_selection(state, "cancel", job_ids, destination, everything)
    outbox = _outbox(state)
    with reporting(state):
        n = outbox.cancel(job_ids, destination, everything=everything)
    click.echo(say("queue.cancelled", state.lang, {"count": n}))


@queue_group.command("purge")
@click.option("--older-than-days", type=float, default=None, help="Default: outbox.retention_days.")
@click.option("--force", is_flag=True,
              help="Also delete captures that have not reached every destination (needs --confirm).")
@click.option("--confirm", "confirm", type=int, default=None,
              help="With --force: the number of such captures, as the command reports it.")
@pass_state
def purge(state: AppState, older_than_days: float | None, force: bool, confirm: int | None) -> None:
    """Remove finished jobs and delete spool files that every destination has."""
    if confirm is not None and not force:
        raise _usage_error(state, SmartboxError("queue.confirm_without_force"))
    days = state.config.outbox.retention_days if older_than_days is None else older_than_days
    outbox = _outbox(state)
    committing = list(state.config.commitment_peers())  # retention by commitment: those keep files until committed
    with reporting(state):
        if force and confirm is None:
            raise OutboxError("outbox.purge_unconfirmed",
                              count=outbox.count_undelivered(days * 86400, commitment=committing))
        purged = outbox.purge(days * 86400, undelivered=confirm if force else None, commitment=committing)
    for path in purged.paths:
        path.unlink(missing_ok=True)
    pending = sum(1 for _ in outbox.jobs(states=PENDING))
    click.echo(say("queue.purged", state.lang, {"removed": len(purged.paths), "pending": pending}))
    if purged.undelivered:
        click.echo(say("queue.purge_forced", state.lang, {"forced": len(purged.undelivered)}))
    kept = outbox.count_undelivered(0, commitment=committing)
    if kept:
        click.echo(say("queue.purge_kept", state.lang, {"kept": kept}))


@queue_group.command("rebuild")
@click.option("--yes", "confirmed", is_flag=True, help="Do it (without: only say what would be sent again).")
@pass_state
def rebuild(state: AppState, confirmed: bool) -> None:
    """A new outbox after the database was lost: every spooled object queued again for every destination."""
    config = state.config
    with reporting(state):
        lock = service_lock(config)
        lock.acquire()  # never under a running service
        try:
            plan = rebuild_outbox(config, destination_names(config), confirm=confirmed)
        finally:
            lock.release()
    params = {"objects": plan.objects, "destinations": ", ".join(plan.destinations) or "-"}
    if not confirmed:
        click.echo(say("rebuild.plan", state.lang, params))
        click.echo(say("rebuild.confirm", state.lang))
        raise HandledError(1)
    click.echo(say("rebuild.done", state.lang, params))
    if plan.moved_aside is not None:
        click.echo(say("rebuild.moved", state.lang, {"path": plan.moved_aside}))
