"""``smartbox validate FILE...``: our rule checks plus dciodvfy and dicom-validator (when installed), one verdict
per file (PS3.10, PS3.3, PS3.5)."""

from __future__ import annotations

from pathlib import Path

import click

from smartbox_next.app.station import paths
from smartbox_next.cli._app import AppState, HandledError, cli, emit_json, pass_state, show_error
from smartbox_next.errors import SmartboxError
from smartbox_next.messages import say


@cli.command("validate")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="One JSON object per file.")
@click.option("--no-dciodvfy", "no_dciodvfy", is_flag=True, help="Without dciodvfy.")
@click.option("--no-dicom-validator", "no_standard", is_flag=True,
              help="Without dicom-validator (the second IOD validator, used when installed).")
@click.option("--warnings/--no-warnings", "show_warnings", default=False, help="Also print warnings.")
@pass_state
def validate(state: AppState, files: tuple[Path, ...], as_json: bool, no_dciodvfy: bool, no_standard: bool,
             show_warnings: bool) -> None:
    """Check DICOM files; exit 1 if any has an error (ours, dciodvfy's or dicom-validator's)."""
    from smartbox_next.app.checks import validate_path  # pydicom

    lang = state.lang
    failed = 0
    tables = None if no_standard else paths(state.config).standard_tables
    for path in files:
        try:
            report = validate_path(path, use_dciodvfy=not no_dciodvfy, standard_tables=tables)
        except SmartboxError as exc:
            failed += 1
            if as_json:
                emit_json({"path": str(path), "ok": False, "errors": [exc.text(lang)], "warnings": [],
                           "key": exc.key})
            else:
                click.echo(say("validation.verdict_unchecked", lang, {"path": path}))
                show_error(exc, lang)
            continue
        if not report.ok:
            failed += 1
        if as_json:
            emit_json(report.as_dict())
            continue
        verdict = (say("validation.ok", lang) if report.ok
                   else say("validation.fail", lang, {"count": len(report.errors)}))
        checked = f" [{report.iod}]" if report.iod else ""
        checker = "" if report.dciodvfy_ran or no_dciodvfy else " " + say("validation.no_dciodvfy", lang)
        checker += "" if report.standard_ran or no_standard else " " + say("validation.no_dicom_validator", lang)
        click.echo(f"{path}{checked}: {verdict}{checker}")
        for line in report.errors:
            click.echo(f"  {line}")
        if show_warnings:
            for line in report.warnings:
                click.echo(f"  {line}")
    if failed:
        raise HandledError(1)
