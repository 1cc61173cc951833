"""``smartbox conformance``: print the DICOM Conformance Statement (PS3.2 Annex N) for this configuration."""

from __future__ import annotations

import click

from smartbox_next.cli._app import AppState, cli, pass_state, reporting
from smartbox_next.config import Config


@cli.command("conformance")
@click.option("--format", "fmt", type=click.Choice(["md", "html"]), default="md", show_default=True,
              help="Markdown or a self-contained HTML page.")
@click.option("--lang", "lang", type=click.Choice(["en", "de"]), default=None,
              help="Language of the statement (default: --lang of smartbox, else station.language).")
@click.option("--defaults", is_flag=True,
              help="Describe the built-in defaults instead of the active configuration (as docs/conformance.md).")
@pass_state
def conformance(state: AppState, fmt: str, lang: str | None, defaults: bool) -> int:
    """Render the conformance statement from the program's own tables and the active configuration."""
    from smartbox_next.conformance import render_statement

    with reporting(state):
        config = Config() if defaults else state.config
        text = render_statement(config, fmt, lang or state.lang, defaults=defaults)
    click.echo(text, nl=False)
    return 0
