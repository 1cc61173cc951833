"""``smartbox demo``: the main job end to end on embedded defaults (:mod:`smartbox_next.app.demo`)."""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click

from smartbox_next.cli._app import AppState, cli, emit_json, pass_state, reporting
from smartbox_next.dicom.transfer_syntax import syntax_name
from smartbox_next.messages import say


@cli.command("demo")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=None,
              help="Working folder (default: a new temporary folder, removed at the end unless --keep).")
@click.option("--keep", is_flag=True, help="Keep what the loopback PACS received (and the temporary folder).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per created object, then a summary.")
@pass_state
def demo(state: AppState, out_dir: Path | None, keep: bool, as_json: bool) -> int:
    """Worklist → still + video → validate → export → send, against a built-in loopback PACS and worklist."""
    from smartbox_next.app.demo import run_demo, sample_path  # the whole chain: pydicom, pynetdicom, PyAV, httpx

    lang = state.lang
    temporary = out_dir is None
    work = out_dir or Path(tempfile.mkdtemp(prefix="smartbox-demo-"))

    def step(key: str, params: Mapping[str, Any]) -> None:
        if not as_json:
            if "patient" in params:
                params = {**params, "patient": str(params["patient"]).replace("^", ", ", 1).replace("^", " ")}
            click.echo(say(key, lang, params))

    with reporting(state):
        result = run_demo(state.config, work, step, keep=keep, temporary=temporary)
    for item, report in result.objects:
        if as_json:
            emit_json({**item.created.as_json(),
                       "transfer_syntax_name": syntax_name(item.created.transfer_syntax_uid), "valid": report.ok,
                       "errors": report.errors, "dciodvfy": report.dciodvfy_ran})
            continue
        checked = say("demo.checked_dciodvfy" if report.dciodvfy_ran else "demo.checked_own", lang)
        click.echo(say("demo.object_valid" if report.ok else "demo.object_invalid", lang,
                       {"file": item.created.path.name, "syntax": syntax_name(item.created.transfer_syntax_uid),
                        "checked": checked}))
        for line in report.errors:
            click.echo(f"      {line}")
    if as_json:
        emit_json({"summary": {"ok": result.ok, "created": len(result.objects), "sent": result.sent,
                               "received_by_pacs": [str(p) for p in result.received], "work_dir": str(work),
                               "station_dir": str(result.station_dir), "pacs_dir": str(result.pacs_dir),
                               "removed": [str(p) for p in result.removed]}})
        return 0 if result.ok else 1
    click.echo(say("demo.sent", lang, {"sent": result.sent, "total": len(result.objects)}))
    click.echo(say("demo.folders", lang))
    for key, path in (("demo.folder_work", work), ("demo.folder_sample", sample_path()),
                      ("demo.folder_capture", result.capture),
                      ("demo.folder_station", result.station_dir), ("demo.folder_pacs", result.pacs_dir)):
        click.echo("  " + say(key, lang, {"path": path}))
    for path in result.removed:
        click.echo(say("demo.removed", lang, {"path": path}))
    click.echo(say("demo.succeeded" if result.ok else "demo.failed", lang))
    return 0 if result.ok else 1
