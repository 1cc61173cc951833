"""``smartbox export INPUT...``: create, spool and queue for every destination; returns at once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from smartbox_next.cli._app import AppState, cli, emit_json, pass_state, reporting, show_error
from smartbox_next.cli.create_cmd import SOP_CHOICES, exam_from_options, identity_options
from smartbox_next.errors import SmartboxError
from smartbox_next.pipeline import export_objects, open_outbox
from smartbox_next.sender import destinations


@cli.command("export")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--sop", type=click.Choice(SOP_CHOICES), default=None, help="Object type (default from config).")
@identity_options
@click.option("--json", "as_json", is_flag=True, help="One JSON object per queued object.")
@pass_state
def export(state: AppState, /, inputs: tuple[Path, ...], sop: str | None, as_json: bool, **identity: Any) -> int:
    """Create objects for INPUT files and queue them for every configured destination."""
    config = state.config
    with reporting(state):
        exam = exam_from_options(state, **identity)
        outbox = open_outbox(config)
    names = [d.name for d in destinations(config)]
    failures = 0
    for path in inputs:
        try:
            exported = export_objects(config, outbox, exam, path, names, sop)
        except SmartboxError as exc:
            failures += 1
            show_error(exc, state.lang)
            if as_json:
                emit_json({"source": str(path), "error": exc.key, "message": exc.text(state.lang)})
            continue
        for item in exported:
            if as_json:
                emit_json({**item.created.as_json(), "jobs": item.job_ids, "destinations": names})
            else:
                click.echo(f"{path} -> {item.created.path.name}  jobs {', '.join(map(str, item.job_ids))}")
    return 1 if failures else 0
