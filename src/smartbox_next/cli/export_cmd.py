"""``smartbox export INPUT...``: create, spool and queue for every destination; returns at once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from smartbox_next.app.station import open_outbox
from smartbox_next.cli._app import AppState, cli, for_each_input, pass_state, reporting
from smartbox_next.cli.create_cmd import SOP_CHOICES, exam_from_options, identity_options
from smartbox_next.delivery.names import destination_names
from smartbox_next.messages import say

if TYPE_CHECKING:
    from smartbox_next.app.objects import Exported


@cli.command("export")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--sop", type=click.Choice(SOP_CHOICES), default=None, help="Object type (default from config).")
@identity_options
@click.option("--exam", "exam_id", default=None,
              help="Add the captures to this started exam ('smartbox exam start'); no identity options then.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per queued object.")
@pass_state
def export(state: AppState, /, inputs: tuple[Path, ...], sop: str | None, exam_id: str | None, as_json: bool,
           **identity: Any) -> int:
    """Create objects for INPUT files and queue them for every configured destination."""
    from smartbox_next.app.exams import capture  # the builders: pydicom, Pillow, PyAV
    from smartbox_next.app.objects import export_objects

    config = state.config
    if exam_id is not None:
        given = [f"--{k.replace('_', '-')}" for k, v in identity.items() if v]
        if given:
            raise click.UsageError(say("usage.exam_with_identity", state.lang, {"options": ", ".join(given)}))
        with reporting(state):
            outbox = open_outbox(config)

        def produce_in_exam(path: Path) -> Iterator[tuple[dict[str, Any], str]]:
            for item in capture(config, outbox, exam_id, path, sop_name=sop):
                yield _row(path, item, destination_names(config), exam_id)

        return for_each_input(state, inputs, as_json, produce_in_exam)
    with reporting(state):
        exam = exam_from_options(state, **identity)
        outbox = open_outbox(config)
    names = destination_names(config)

    def produce(path: Path) -> Iterator[tuple[dict[str, Any], str]]:
        for item in export_objects(config, outbox, exam, path, names, sop):
            yield ({**item.created.as_json(), "jobs": item.job_ids, "destinations": names},
                   say("export.queued", state.lang, {"source": path, "file": item.created.path.name,
                                                     "jobs": ", ".join(map(str, item.job_ids)),
                                                     "destinations": ", ".join(names)}))

    return for_each_input(state, inputs, as_json, produce)


def _row(path: Path, item: Exported, names: list[str], exam_id: str) -> tuple[dict[str, Any], str]:
    return ({**item.created.as_json(), "jobs": item.job_ids, "destinations": names, "exam": exam_id},
            f"{path} -> {item.created.path.name}  jobs {', '.join(map(str, item.job_ids))}")
