"""``smartbox echo PEER``: C-ECHO (PS3.4 Annex A) and the round-trip time, or the reason it failed."""

from __future__ import annotations

import click

from smartbox_next.cli._app import AppState, cli, emit_json, pass_state, reporting
from smartbox_next.messages import render
from smartbox_next.net.echo import echo


def _number(value: float, lang: str) -> str:
    text = f"{value:.1f}"
    return text.replace(".", ",") if lang == "de" else text


@cli.command("echo")
@click.argument("peer")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@pass_state
def echo_cmd(state: AppState, peer: str, as_json: bool) -> None:
    """Verify the connection to PEER (a configured name or AET@host:port)."""
    with reporting(state):
        target = state.config.peer(peer, option="PEER")
        result = echo(state.config, target)
    lang = state.lang
    params = {"peer": str(target), "echo_ms": _number(result.echo_ms, lang),
              "association_ms": _number(result.association_ms, lang)}
    if as_json:
        emit_json({"event": "echo", "peer": str(target), "status": result.status,
                   "echo_ms": round(result.echo_ms, 2), "association_ms": round(result.association_ms, 2)})
    else:
        click.echo(render("echo.ok", lang, params))
