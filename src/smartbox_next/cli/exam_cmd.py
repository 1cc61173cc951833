"""``smartbox exam start|list|show|complete|discontinue``: the exam life cycle (``app.exams``) from the command line."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from smartbox_next.app.station import open_outbox
from smartbox_next.cli._app import AppState, cli, emit_json, pass_state, reporting
from smartbox_next.dicom.codes import DISCONTINUATION_REASONS
from smartbox_next.exam.model import EMERGENCY_KINDS
from smartbox_next.messages import say
from smartbox_next.spool.commitments import overdue_error
from smartbox_next.spool.exams import ExamState

if TYPE_CHECKING:
    from smartbox_next.app.exams import ExamView

# The use cases (smartbox_next.app.exams, .identity) are imported in the commands: they load pydicom and the
# worklist service, which ``smartbox exam --help`` does not need.


@cli.group("exam")
def exam_group() -> None:
    """Start, list, show, complete and discontinue exams (performed procedure steps)."""


def _print(state: AppState, view: ExamView, as_json: bool) -> None:
    if as_json:
        emit_json(view.as_json())
        return
    click.echo(say("exam.line", state.lang, {
        "exam": view.exam_id, "state": say(f"exam.state_{view.state}", state.lang), "started": view.started,
        "patient_id": view.patient_id, "accession": view.accession_number or "-", "captures": len(view.captures)}))


@exam_group.command("start")
@click.option("--accession", default=None, help="Accession number of the worklist entry.")
@click.option("--from", "from_peer", default=None, help="Worklist server for --accession (default: worklist.peer).")
@click.option("--worklist-item", default=None, help="Worklist entry ID (shown by 'smartbox worklist').")
@click.option("--emergency", type=click.Choice(sorted(EMERGENCY_KINDS)), default=None,
              help="Unknown patient: a generated, clearly marked identity of this kind.")
@click.option("--anatomic-region", default=None,
              help="Anatomic region of the exam's objects (a name such as colon, or SCHEME:VALUE:Meaning); default: "
                   "from the worklist entry or the station default.")
@click.option("--json", "as_json", is_flag=True, help="The exam as one JSON object.")
@pass_state
def start(state: AppState, accession: str | None, from_peer: str | None, worklist_item: str | None,
          emergency: str | None, anatomic_region: str | None, as_json: bool) -> None:
    """Open an exam; prints its number and the Performed Procedure Step SOP Instance UID."""
    if sum(x is not None for x in (accession, worklist_item, emergency)) != 1:
        raise click.UsageError(say("usage.exam_start_choice", state.lang))
    from smartbox_next.app.exams import start_exam as start_exam_use_case
    from smartbox_next.app.identity import Identity, exam_for

    identity = Identity(accession=accession, worklist_item=worklist_item, from_peer=from_peer,
                        emergency=emergency is not None, anatomic_region=anatomic_region)
    with reporting(state):
        chosen = exam_for(state.config, identity)
        if chosen.worklist is not None:
            from smartbox_next.cli.worklist_cmd import report_result

            report_result(chosen.worklist, state.lang)
        outbox = open_outbox(state.config)
        try:
            view = start_exam_use_case(state.config, outbox, chosen, emergency_kind=emergency)
        finally:
            outbox.close()
    if as_json:
        emit_json(view.as_json())
    else:
        click.echo(say("exam.started", state.lang, {"exam": view.exam_id, "patient_id": view.patient_id,
                                                    "pps": view.pps_sop_instance_uid}))


@exam_group.command("list")
@click.option("--state", "states", multiple=True, type=click.Choice([s.value for s in ExamState]),
              help="Only exams in these states.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per exam.")
@pass_state
def list_cmd(state: AppState, states: tuple[str, ...], as_json: bool) -> None:
    """Every exam with its state, patient ID, accession number and number of captures."""
    from smartbox_next.app.exams import list_exams

    with reporting(state):
        outbox = open_outbox(state.config)
        try:
            views = list_exams(state.config, outbox, states=states, lang=state.lang)
        finally:
            outbox.close()
    for view in views:
        _print(state, view, as_json)


@exam_group.command("show")
@click.argument("exam_id")
@click.option("--json", "as_json", is_flag=True, help="The exam as one JSON object.")
@pass_state
def show(state: AppState, exam_id: str, as_json: bool) -> None:
    """One exam with its captures."""
    from smartbox_next.app.exams import show_exam

    with reporting(state):
        outbox = open_outbox(state.config)
        try:
            view = show_exam(state.config, outbox, exam_id, lang=state.lang)
        finally:
            outbox.close()
    if as_json:
        emit_json(view.as_json())
        return
    _print(state, view, False)
    for key, value in _details(view):
        click.echo(f"  {key}: {value}")
    for m in view.mpps:
        reason = f" — {m.error}" if m.error else ""
        click.echo("  " + say("exam.mpps", state.lang, {"peer": m.peer, "operation": m.operation,
                                                         "state": say(f"queue.state_{m.state}", state.lang),
                                                         "reason": reason}))
        if m.hint and m.state == "failed":
            click.echo(f"    → {m.hint}")
    for c in view.commitment:
        click.echo("  " + say("exam.commitment", state.lang, {
            "peer": c.destination, "committed": c.committed, "total": c.total, "waiting": c.waiting,
            "failed": c.failed, "overdue": c.overdue}))
        if c.overdue:
            overdue = overdue_error(c.destination, c.overdue, state.config.commitment.window_hours)
            click.echo(f"    {overdue.text(state.lang)}\n    → {overdue.hint(state.lang)}")


def _details(view: ExamView) -> list[tuple[str, Any]]:
    rows: list[tuple[str, Any]] = [("PPS SOP Instance UID", view.pps_sop_instance_uid), ("PPS ID", view.pps_id),
                                   ("Study Instance UID", view.study_instance_uid)]
    if view.ended:
        rows.append(("ended", view.ended))
    if view.discontinuation_reason:
        reason = DISCONTINUATION_REASONS[view.discontinuation_reason]
        rows.append(("reason", f"{reason.value} ({reason.meaning})"))
    rows += [("capture", f"{c.sop_instance_uid}  {c.path}") for c in view.captures]
    return rows


@exam_group.command("complete")
@click.argument("exam_id")
@click.option("--json", "as_json", is_flag=True, help="The exam as one JSON object.")
@pass_state
def complete(state: AppState, exam_id: str, as_json: bool) -> None:
    """End the exam as COMPLETED."""
    from smartbox_next.app.exams import complete_exam

    with reporting(state):
        outbox = open_outbox(state.config)
        try:
            view = complete_exam(state.config, outbox, exam_id)
        finally:
            outbox.close()
    _ended(state, view, "exam.completed", as_json)


@exam_group.command("discontinue")
@click.argument("exam_id")
@click.option("--reason", type=click.Choice(sorted(DISCONTINUATION_REASONS)), default=None,
              help="Reason code of DICOM CID 9301, e.g. 110513 (discontinued for unspecified reason).")
@click.option("--json", "as_json", is_flag=True, help="The exam as one JSON object.")
@pass_state
def discontinue(state: AppState, exam_id: str, reason: str | None, as_json: bool) -> None:
    """End the exam as DISCONTINUED."""
    from smartbox_next.app.exams import discontinue_exam

    with reporting(state):
        outbox = open_outbox(state.config)
        try:
            view = discontinue_exam(state.config, outbox, exam_id, reason=reason)
        finally:
            outbox.close()
    _ended(state, view, "exam.discontinued", as_json)


def _ended(state: AppState, view: ExamView, key: str, as_json: bool) -> None:
    if as_json:
        emit_json(view.as_json())
    else:
        click.echo(say(key, state.lang, {"exam": view.exam_id, "captures": len(view.captures)}))

