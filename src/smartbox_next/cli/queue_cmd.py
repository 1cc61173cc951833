"""``smartbox queue list|show|retry|cancel|purge``: what waits, what failed and why, in the operator's language.

Nothing empties the queue by accident: ``retry`` and ``cancel`` act on the jobs named (job numbers and/or
``--to``) or, only when asked, on ``--all``; ``purge`` deletes only captures every destination has, unless
``--force --confirm N`` names the number of undelivered captures it would delete.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import click

from smartbox_next.app.station import identity_override_of, open_outbox, rebuild_outbox, service_lock
from smartbox_next.cli._app import AppState, HandledError, cli, emit_json, pass_state, reporting, show_error
from smartbox_next.cli._format import clock, local_iso, size_text
from smartbox_next.cli._table import format_table
from smartbox_next.delivery.names import destination_names
from smartbox_next.errors import OutboxError, SmartboxError
from smartbox_next.messages import printable, say
from smartbox_next.spool.commitments import CommitmentStore
from smartbox_next.spool.outbox import PENDING, Job, JobState, Outbox

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


def _next_attempt(job: Job, lang: str, now: float) -> str:
    if job.state not in (JobState.QUEUED, JobState.RETRY_WAIT):
        return "-"
    if job.next_attempt <= now:
        return say("queue.now", lang)
    return clock(job.next_attempt)


def _patient(name: str) -> str:
    return name.replace("^", ", ", 1).replace("^", " ").strip(", ") or "-"


@queue_group.command("list")
@click.option("--state", "states", multiple=True, type=click.Choice(_STATES), help="Only these states.")
@click.option("--to", "destination", default=None, help="Only this destination.")
@click.option("--show-patient", is_flag=True, help="Also show the patient's name (patient data: only when needed).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per destination summary and per job.")
@pass_state
def list_jobs(state: AppState, states: tuple[str, ...], destination: str | None, show_patient: bool,
              as_json: bool) -> None:
    """Jobs (state, destination, accession, size, attempts, next attempt, reason), then the count and MB waiting
    per destination."""
    outbox = _outbox(state)
    lang = state.lang
    max_attempts = state.config.retry.max_attempts
    jobs = outbox.jobs(destination, [JobState(x) for x in states])
    shown = _commitment_states(state, outbox)
    stats = [s for s in outbox.stats() if not destination or s.destination == destination]
    if as_json:
        for s in stats:
            emit_json({"summary": {"destination": s.destination, "pending": s.pending,
                                   "pending_mb": round(s.pending_bytes / 1e6, 1), "sent": s.sent, "failed": s.failed,
                                   "retry_wait": s.retry_wait}})
        for job in jobs:
            emit_json({**job.as_json(show_patient=show_patient), "commitment": shown(job)})
        return
    if not jobs:
        filtered = bool(states or destination)
        click.echo(say("queue.no_match" if filtered and outbox.jobs() else "queue.empty", lang))
    else:
        now = time.time()
        committing = bool(state.config.commitment_peers())
        heads = [say(f"queue.col_{c}", lang) for c in _COLUMNS if c != "patient" or show_patient]
        if committing:
            heads.append(say("queue.col_commitment", lang))
        rows: list[list[str]] = []
        reasons: dict[int, str] = {}
        for job in jobs:
            row = [f"#{job.id}", job.destination, say(f"queue.state_{job.state.value}", lang), job.accession or "-"]
            if show_patient:
                row.append(_patient(job.patient))
            row += [size_text(job.size, lang), say("queue.attempts", lang, {"done": job.attempts,
                                                                              "max": max_attempts}),
                    _next_attempt(job, lang, now)]
            if committing:
                state_of = shown(job)
                row.append(say(f"queue.commitment_{state_of}", lang) if state_of else "-")
            rows.append(row)
            err = job.error()
            if err is not None and job.state is not JobState.SENT:
                reasons[len(rows)] = err.text(lang)
        size_column = 5 if show_patient else 4
        lines = format_table(heads, rows, right=(size_column,))
        for i, text in enumerate(lines):
            click.echo(text)
            if i - 1 in reasons:  # the reason under its job (line 0 is the head, line 1 the rule)
                click.echo(f"      → {printable(reasons[i - 1])}")
    if stats:
        click.echo("")
    for s in stats:
        click.echo(say("queue.summary", lang, {"destination": s.destination, "pending": s.pending,
                                               "size": size_text(s.pending_bytes, lang), "sent": s.sent,
                                               "failed": s.failed}))


_COLUMNS = ("job", "destination", "state", "accession", "patient", "size", "attempts", "next")


def _commitment_states(state: AppState, outbox: Outbox) -> Callable[[Job], str | None]:
    """The commitment state of a job's object at its destination (None where none is required): pending,
    requested, committed, failed or overdue (``commitment.window_hours`` after the first request)."""
    committing = set(state.config.commitment_peers())
    rows = {(c.sop_instance_uid, c.destination): c for c in CommitmentStore(outbox).commitments()} \
        if committing else {}
    window, now = state.config.commitment.window_hours * 3600, time.time()

    def shown(job: Job) -> str | None:
        if job.destination not in committing:
            return None
        row = rows.get((job.sop_instance_uid, job.destination))
        return row.shown_state(now, window) if row is not None else "pending"

    return shown


@queue_group.command("show")
@click.argument("job_id", type=int)
@click.option("--show-patient", is_flag=True, help="Also show the patient's name.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object (for machines).")
@pass_state
def show(state: AppState, job_id: int, show_patient: bool, as_json: bool) -> None:
    """One job in full: where it goes, its state and times, the reason of its last failure and what to do."""
    outbox = _outbox(state)
    job = outbox.job(job_id)
    with reporting(state):
        if job is None:
            raise OutboxError("outbox.unknown_job", job=job_id)
    override = identity_override_of(state.config, job.path)
    commitment = _commitment_states(state, outbox)(job)
    if as_json:
        row = job.as_json(show_patient=show_patient)
        row["commitment"] = commitment
        if override is not None:
            row["identity_override"] = {"worklist_item": override.worklist_item, "fields": list(override.fields),
                                        "at": override.at}
        emit_json(row)
        return
    lang = state.lang
    max_attempts = state.config.retry.max_attempts
    status = say(f"queue.state_{job.state.value}", lang)
    if job.attempts:
        status += " (" + say("queue.attempts", lang, {"done": job.attempts, "max": max_attempts}) + ")"
    fields: list[tuple[str, str]] = [
        ("destination", job.destination),
        ("state", status),
    ]
    if job.state in (JobState.QUEUED, JobState.RETRY_WAIT):
        due = job.next_attempt <= time.time()
        fields.append(("next", say("queue.due_now", lang) if due else local_iso(job.next_attempt)))
    fields.append(("accession", job.accession or "-"))
    if show_patient:
        fields.append(("patient", _patient(job.patient)))
    fields += [("file", f"{job.path} ({size_text(job.size, lang)})"), ("uid", job.sop_instance_uid),
               ("created", local_iso(job.created)), ("updated", local_iso(job.updated))]
    if job.first_failure:
        fields.append(("first_failure", local_iso(job.first_failure)))
    if commitment is not None:
        fields.append(("commitment", say(f"queue.commitment_{commitment}", lang)))
    if override is not None:
        fields.append(("override", say("queue.identity_override", lang, {"item": override.worklist_item,
                                                                          "fields": ", ".join(override.fields),
                                                                          "at": override.at})))
    err = job.error()
    if err is not None and job.state is not JobState.SENT:
        fields += [("reason", err.text(lang)), ("todo", err.hint(lang))]
    if job.state in (JobState.FAILED, JobState.CANCELLED, JobState.RETRY_WAIT):
        fields.append(("again", f"smartbox queue retry {job.id}"))
    if job.warning:
        fields.append(("warning", job.warning))
    labels = {key: say(f"queue.field_{key}", lang) for key, _ in fields}
    width = max(len(v) for v in labels.values()) + 1
    click.echo(say("queue.show_title", lang, {"job": job.id}))
    for key, value in fields:
        click.echo(f"  {(labels[key] + ':').ljust(width)}  {printable(value)}")


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
