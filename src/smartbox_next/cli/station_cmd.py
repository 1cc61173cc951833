"""``smartbox station``: the capture station in one command — web UI and API, live source, recorder and the sending
service (this process holds the data folder's service lock, like ``smartbox serve``)."""

from __future__ import annotations

import logging
import signal
import socket
import tempfile
from pathlib import Path
from types import FrameType

import click

from smartbox_next.cli._app import AppState, cli, pass_state, reporting
from smartbox_next.config import Config, with_overrides
from smartbox_next.messages import say

LOG = logging.getLogger(__name__)


class _Stopped(Exception):
    """SIGTERM/SIGINT after the web server has shut down."""


def _demo(config: Config, state: AppState) -> tuple[Config, list[object]]:
    """The built-in loopback PACS and worklist, and the station's data in a new temporary folder."""
    from smartbox_next.app.demo import demo_config
    from smartbox_next.app.loopback import start_loopback

    work = Path(tempfile.mkdtemp(prefix="smartbox-station-"))
    loop, servers = start_loopback(work / "pacs", config.station.ae_title, config.worklist.modality)
    config = demo_config(config, work, loop.storage_address, loop.worklist_address)
    click.echo(say("station.demo", state.lang, {"pacs": loop.storage_address, "worklist": loop.worklist_address,
                                                 "data": str(work)}), err=True)
    return config, list(servers)


@cli.command("station")
@click.option("--port", type=int, default=None, help="TCP port (default web.port, 8080; 0 = any free port).")
@click.option("--bind", default=None, help="Address to listen on (default web.bind, 127.0.0.1).")
@click.option("--source", default=None,
              help="testpattern[:WxH@FPS] | file:PATH | v4l2:/dev/video0 (default live.source).")
@click.option("--demo", is_flag=True, help="Built-in loopback PACS and worklist, data in a temporary folder.")
@click.option("--hash-password", is_flag=True,
              help="Ask for a station password and print its hash for web.password_hash.")
@pass_state
def station(state: AppState, port: int | None, bind: str | None, source: str | None, demo: bool,
            hash_password: bool) -> int:
    """Start the capture station: open the printed address in a browser (touch screen or laptop)."""
    if hash_password:
        from smartbox_next.web.security import hash_password as make_hash

        password = click.prompt(say("station.password_prompt", state.lang), hide_input=True,
                                confirmation_prompt=True)
        click.echo(say("station.password_line", state.lang), err=True)
        click.echo(f'password_hash = "{make_hash(password)}"')
        return 0
    import uvicorn

    from smartbox_next.app.live import LiveStation
    from smartbox_next.capture.live.sources import SourceSpec
    from smartbox_next.web.app import create_app
    from smartbox_next.web.security import Security

    config = state.config
    servers: list[object] = []
    with reporting(state):
        if port is not None:
            config = with_overrides(config, "web", port=port)
        if bind is not None:
            config = with_overrides(config, "web", bind=bind)
        if source is not None:
            config = with_overrides(config, "live", source=source)
        live = config.live
        spec = SourceSpec.parse(live.source, width=live.width, height=live.height, fps=live.frame_rate,
                                input_format=live.v4l2_format)
        https = bool(config.web.tls_certificate)
        Security(config.web, https=https)  # refuses remote access without a password before anything starts
        if demo:
            config, servers = _demo(config, state)
        sock = socket.socket(socket.AF_INET6 if ":" in config.web.bind else socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((config.web.bind, config.web.port))
        except OSError as exc:
            sock.close()
            from smartbox_next.errors import ConfigError

            raise ConfigError("config.invalid_value", setting="web.port", value=config.web.port,
                              expected=f"a free port ({exc.strerror})") from None
        actual = sock.getsockname()[1]
        security = Security(config.web, https=https, port=actual)
        live_station = LiveStation(config, source=spec)
        live_station.start()  # a listener that cannot open listener.port is reported here, as by serve
    try:
        app = create_app(live_station, security)
        host = "127.0.0.1" if config.web.bind in ("0.0.0.0", "::") else config.web.bind
        url = f"{'https' if https else 'http'}://{'[' + host + ']' if ':' in host else host}:{actual}/"
        for key, params in live_station.notices():  # where commitment reports are received, as serve says
            click.echo(say(key, state.lang, params), err=True)
        click.echo(say("station.listening", state.lang, {"url": url, "source": spec.describe()}), err=True)
        server = uvicorn.Server(uvicorn.Config(
            app, log_level="warning", access_log=False, timeout_graceful_shutdown=3, lifespan="off",
            ssl_certfile=config.web.tls_certificate or None, ssl_keyfile=config.web.tls_private_key or None))
        previous = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}

        def stop_after_server(signum: int, frame: FrameType | None) -> None:
            raise _Stopped(signum)  # uvicorn shuts down, then raises the signal again: land here, clean up

        for sig in previous:
            signal.signal(sig, stop_after_server)
        try:
            server.run(sockets=[sock])
        except _Stopped:
            pass
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
    finally:
        click.echo(say("station.stopping", state.lang), err=True)
        live_station.stop_event.set()
        live_station.stop()
        for s in servers:
            s.shutdown()  # type: ignore[attr-defined]
        sock.close()
    return 0
