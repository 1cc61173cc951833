"""``smartbox config show|settings``: the effective configuration as TOML (or JSON), and every setting explained.

``show`` prints a TOML document that ``--config`` reads back to the same effective configuration; comments at
the top name the file and the ``SMARTBOX_*`` variables it came from, and each value an environment variable set
carries that variable's name. ``settings`` prints every setting with its default and meaning — a complete,
commented configuration file to start from.
"""

from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path
from typing import Any

import click

from smartbox_next.cli._app import AppState, cli, pass_state, reporting
from smartbox_next.config import (
    CONFIG_ENV,
    ENV_PREFIX,
    SECTIONS,
    as_toml_dict,
    config_sources,
    env_settings,
    toml_key,
    toml_text,
    toml_value,
)
from smartbox_next.messages import say


@cli.group("config")
def config_group() -> None:
    """Show the configuration ('show') and every setting with its default ('settings').

    The configuration is a TOML file (--config FILE, else $SMARTBOX_CONFIG, else
    ~/.config/smartbox-next/smartbox.toml if it exists) plus SMARTBOX_<SECTION>_<KEY> environment variables,
    which win over the file. 'smartbox config settings > smartbox.toml' writes a complete file to start from.
    """


@config_group.command("show")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (the same values, without comments).")
@pass_state
def show(state: AppState, as_json: bool) -> None:
    """Print the effective configuration (file + SMARTBOX_* environment) as TOML that --config reads back."""
    with reporting(state):
        config = state.config
        data = as_toml_dict(config)
    if as_json:
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    lang = state.lang
    sources = config_sources(state.config_path)
    click.echo(f"# {say('config_show.title', lang)}")
    if sources.file is not None:
        click.echo(f"# {say('config_show.file', lang, {'path': sources.file.absolute()})}")
    else:
        click.echo(f"# {say('config_show.no_file', lang, {'path': sources.looked_for, 'variable': CONFIG_ENV})}")
    variables = [v for v in sources.variables if v != CONFIG_ENV]
    if variables:
        click.echo(f"# {say('config_show.environment', lang, {'variables': ', '.join(variables)})}")
    else:
        click.echo(f"# {say('config_show.no_environment', lang)}")
    click.echo(f"# {say('config_show.rest', lang)}")
    click.echo("")
    notes = {key: say("config_show.from_variable", lang, {"variable": variable})
             for key, variable in env_settings(variables).items()}
    click.echo(toml_text(data, notes), nl=False)


def _plain(value: Any) -> Any:
    return str(value) if isinstance(value, Path) else value


@config_group.command("settings")
def settings() -> None:
    """Every setting with its default, meaning and environment variable, as a commented TOML file (English,
    like --help)."""
    click.echo("# SmartBox Next: every setting with its default. Save as smartbox.toml and keep what you change.")
    click.echo("# Each setting can also be set by the environment variable named after it "
               f"({ENV_PREFIX}<SECTION>_<KEY>), which wins over the file.")
    for section, cls in SECTIONS.items():
        click.echo("")
        click.echo(f"[{toml_key(section)}]  # {(cls.__doc__ or '').strip().splitlines()[0]}")
        defaults = cls()
        for f in fields(cls):
            variable = f"{ENV_PREFIX}{section}_{f.name}".upper()
            click.echo(f"# {f.metadata.get('doc', '')} ({variable})")
            click.echo(f"{toml_key(f.name)} = {toml_value(_plain(getattr(defaults, f.name)))}")
    click.echo("")
    click.echo(f"# The DICOM peers, by name ({ENV_PREFIX}PEERS_<NAME>=AET@host:port adds one or replaces its address).")
    click.echo("# Roles: storage (receives the captures), worklist (answers the worklist query), mpps, commitment.")
    click.echo("# [peers.pacs]")
    click.echo('# address = "PACS@10.1.2.3:104"')
    click.echo("# tls = false")
    click.echo('# roles = ["storage"]')
