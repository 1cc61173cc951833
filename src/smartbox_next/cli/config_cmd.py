"""``smartbox config show``: the effective configuration."""

from __future__ import annotations

import json

import click

from smartbox_next.cli._app import AppState, cli, pass_state, reporting
from smartbox_next.config import as_toml_dict


@cli.group("config")
def config_group() -> None:
    """Show the configuration."""


@config_group.command("show")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_state
def show(state: AppState, as_json: bool) -> None:
    """Print the effective configuration (file + SMARTBOX_* environment)."""
    with reporting(state):
        data = as_toml_dict(state.config)
    if as_json:
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    for section, values in data.items():
        click.echo(f"[{section}]")
        for key, value in values.items():
            click.echo(f"{key} = {json.dumps(value, ensure_ascii=False)}")
        click.echo("")
