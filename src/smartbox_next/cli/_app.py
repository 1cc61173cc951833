"""The click group, shared options and the one place that turns SmartboxError into operator text."""

from __future__ import annotations

import importlib
import importlib.util
import json
import logging
import sys
import warnings
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import click

from smartbox_next.config import Config, load_config
from smartbox_next.errors import SmartboxError

F = TypeVar("F", bound=Callable[..., Any])


class HandledError(Exception):
    """Raised after an error was shown to the operator; carries the exit code."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


@dataclass
class AppState:
    """What every command gets: the loaded configuration and the operator's language."""

    config_path: Path | None
    lang_override: str | None
    _config: Config | None = None

    @property
    def config(self) -> Config:
        if self._config is None:
            with reporting(self):
                self._config = load_config(self.config_path)
        return self._config

    @property
    def lang(self) -> str:
        if self.lang_override:
            return self.lang_override
        try:
            return self.config.station.language
        except HandledError:
            return "de"


def show_error(exc: SmartboxError, lang: str) -> None:
    """Print the error and its hint in ``lang`` to stderr."""
    label = "Fehler" if lang == "de" else "Error"
    click.echo(f"{label}: {exc.text(lang)}", err=True)
    hint = exc.hint(lang)
    if hint:
        click.echo(f"  → {hint}", err=True)


@contextmanager
def reporting(state: AppState | None) -> Iterator[None]:
    """Turn SmartboxError into a message and exit code 1."""
    try:
        yield
    except SmartboxError as exc:
        lang = (state.lang_override if state else None) or _lang_without_config(state)
        show_error(exc, lang)
        raise HandledError(1) from exc


def _lang_without_config(state: AppState | None) -> str:
    if state is not None and state._config is not None:
        return state._config.station.language
    return "de"


def for_each_input(state: AppState, inputs: Iterable[Path], as_json: bool,
                   produce: Callable[[Path], Iterable[tuple[dict[str, Any], str]]]) -> int:
    """Run ``produce`` per input: it yields (JSON row, text line) per result; a failed input is reported in the
    operator's language and does not stop the others. Returns the exit code (1 if any input failed)."""
    failures = 0
    for path in inputs:
        try:
            rows = list(produce(path))
        except SmartboxError as exc:
            failures += 1
            show_error(exc, state.lang)
            if as_json:
                emit_json({"source": str(path), "error": exc.key, "message": exc.text(state.lang)})
            continue
        for row, line in rows:
            if as_json:
                emit_json(row)
            else:
                click.echo(line)
    return 1 if failures else 0


def emit_json(obj: Any) -> None:
    """One JSON object per line on stdout."""
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, default=str) + "\n")
    sys.stdout.flush()


# Command name -> module that registers it. Modules load on first use, so ``smartbox echo`` does not pay
# for PyAV, Pillow or the conformance tables (start-up time matters for scripted per-file calls).
COMMAND_MODULES = {
    "conformance": "smartbox_next.cli.conformance_cmd",
    "config": "smartbox_next.cli.config_cmd",
    "create": "smartbox_next.cli.create_cmd",
    "demo": "smartbox_next.cli.demo_cmd",
    "echo": "smartbox_next.cli.echo_cmd",
    "exam": "smartbox_next.cli.exam_cmd",
    "export": "smartbox_next.cli.export_cmd",
    "queue": "smartbox_next.cli.queue_cmd",
    "send": "smartbox_next.cli.send_cmd",
    "serve": "smartbox_next.cli.serve_cmd",
    "station": "smartbox_next.cli.station_cmd",
    "validate": "smartbox_next.cli.validate_cmd",
    "worklist": "smartbox_next.cli.worklist_cmd",
}


class LazyGroup(click.Group):
    """A click group whose subcommands are imported when first needed."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        known = [name for name, module in COMMAND_MODULES.items() if importlib.util.find_spec(module) is not None]
        return sorted(set(super().list_commands(ctx)) | set(known))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module = COMMAND_MODULES.get(cmd_name)
        if cmd_name not in self.commands and module is not None and importlib.util.find_spec(module) is not None:
            importlib.import_module(module)
        return super().get_command(ctx, cmd_name)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config_path", type=click.Path(path_type=Path), default=None,
              help="Configuration file (TOML). Default: $SMARTBOX_CONFIG or ~/.config/smartbox-next/smartbox.toml.")
@click.option("--lang", type=click.Choice(["de", "en"]), default=None, help="Language of messages.")
@click.option("-v", "--verbose", count=True, help="More log output (-v INFO, -vv DEBUG).")
@click.version_option(package_name="smartbox-next", prog_name="smartbox")
@click.pass_context
def cli(ctx: click.Context, config_path: Path | None, lang: str | None, verbose: int) -> None:
    """SmartBox Next — DICOM capture station."""
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    quiet_libraries()
    ctx.obj = AppState(config_path=config_path, lang_override=lang)


def quiet_libraries() -> None:
    """pydicom warns about invalid values with the value itself (a patient name from the RIS, a hostile UID):
    such text must reach neither the log nor the terminal. Our own checks report every such value in the
    operator's language, escaped; pydicom's warnings are therefore silenced (its errors still show)."""
    logging.getLogger("pydicom").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", category=UserWarning, module=r"pydicom(\..*)?$")
    # pynetdicom's own log lines duplicate what reaches the user as our bilingual errors; set here, at the
    # application's logging setup, never at import (net/adapter.py only switches off identifier logging)
    logging.getLogger("pynetdicom").setLevel(logging.CRITICAL)


pass_state = click.make_pass_decorator(AppState)
