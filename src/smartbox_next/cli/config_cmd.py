"""``smartbox config show``: the effective configuration (TOML-like text, peers with their roles, or JSON)."""

from __future__ import annotations

import json
import re

import click

from smartbox_next.cli._app import AppState, cli, pass_state, reporting
from smartbox_next.config import as_toml_dict


def _key(name: str) -> str:
    """A TOML key: bare when it may be, else quoted."""
    return name if re.fullmatch(r"[A-Za-z0-9_-]+", name) else json.dumps(name, ensure_ascii=False)


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
        tables = {key: value for key, value in values.items() if isinstance(value, dict)}
        for key, value in values.items():
            if key not in tables:
                click.echo(f"{key} = {json.dumps(value, ensure_ascii=False)}")
        click.echo("")
        for key, table in tables.items():  # a peer: address, tls, roles
            click.echo(f"[{section}.{_key(key)}]")
            for name, value in table.items():
                click.echo(f"{name} = {json.dumps(value, ensure_ascii=False)}")
            click.echo("")
