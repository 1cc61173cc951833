"""``smartbox echo PEER``: C-ECHO (PS3.4 Annex A) and the round-trip time, or the reason it failed.

For a DICOMweb peer (``url``): one QIDO-RS search (PS3.18 §10.6), which checks reachability, TLS and the
credentials (401/403 are reported with what to fix).
"""

from __future__ import annotations

import click

from smartbox_next.cli._app import AppState, cli, emit_json, pass_state, reporting
from smartbox_next.dicom.webpeer import WebPeer
from smartbox_next.messages import render
from smartbox_next.net.link import LinkSettings


def _number(value: float, lang: str) -> str:
    text = f"{value:.1f}"
    return text.replace(".", ",") if lang == "de" else text


@cli.command("echo")
@click.argument("peer")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@pass_state
def echo_cmd(state: AppState, peer: str, as_json: bool) -> None:
    """Verify the connection to PEER (a configured name, AET@host:port or a DICOMweb URL)."""
    with reporting(state):
        target = state.config.destination(peer, option="PEER")
        if isinstance(target, WebPeer):
            from smartbox_next.delivery.dicomweb import web_echo

            web = web_echo(state.config, target)
    if isinstance(target, WebPeer):
        if as_json:
            emit_json({"event": "echo", "peer": str(target), "http_status": web.http_status,
                       "echo_ms": round(web.echo_ms, 2)})
        else:
            click.echo(render("echo.web_ok", state.lang, {"peer": str(target),
                                                         "echo_ms": _number(web.echo_ms, state.lang),
                                                         "http_status": web.http_status}))
        return
    from smartbox_next.net.echo import echo  # its own upper layer (net/ulp.py): no DICOM library

    with reporting(state):
        result = echo(LinkSettings.of(state.config.station, state.config.network), target)
    lang = state.lang
    params = {"peer": str(target), "echo_ms": _number(result.echo_ms, lang),
              "association_ms": _number(result.association_ms, lang)}
    if as_json:
        emit_json({"event": "echo", "peer": str(target), "status": result.status,
                   "echo_ms": round(result.echo_ms, 2), "association_ms": round(result.association_ms, 2)})
    else:
        click.echo(render("echo.ok", lang, params))
