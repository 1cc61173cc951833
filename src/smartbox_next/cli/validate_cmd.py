"""``smartbox validate FILE...``: our rule checks plus dciodvfy, one verdict per file (PS3.10, PS3.3, PS3.5)."""

from __future__ import annotations

from pathlib import Path

import click

from smartbox_next.app.checks import validate_path
from smartbox_next.cli._app import AppState, HandledError, cli, emit_json, pass_state, show_error
from smartbox_next.errors import SmartboxError
from smartbox_next.messages import say


@cli.command("validate")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="One JSON object per file.")
@click.option("--no-dciodvfy", "no_dciodvfy", is_flag=True, help="Only the project's own checks.")
@click.option("--warnings/--no-warnings", "show_warnings", default=False, help="Also print warnings.")
@pass_state
def validate(state: AppState, files: tuple[Path, ...], as_json: bool, no_dciodvfy: bool,
             show_warnings: bool) -> None:
    """Check DICOM files; exit 1 if any has an error (ours or dciodvfy's)."""
    lang = state.lang
    failed = 0
    for path in files:
        try:
            report = validate_path(path, use_dciodvfy=not no_dciodvfy)
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
        click.echo(f"{path}{checked}: {verdict}{checker}")
        for line in report.errors:
            click.echo(f"  {line}")
        if show_warnings:
            for line in report.warnings:
                click.echo(f"  {line}")
    if failed:
        raise HandledError(1)
