"""The click group, shared options and the one place that turns SmartboxError into operator text."""

from __future__ import annotations

import importlib
import importlib.util
import json
import logging
import os
import sys
import warnings
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import click

from smartbox_next.cli._logging import use_log_format
from smartbox_next.config import Config, load_config
from smartbox_next.errors import SmartboxError
from smartbox_next.messages import operator_language, say

F = TypeVar("F", bound=Callable[..., Any])


class HandledError(Exception):
    """Raised after an error was shown to the operator; carries the exit code."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


class WordedUsageError(click.UsageError):
    """A command-line mistake found by a command, already worded in the operator's language (exit code 2)."""


@dataclass
class AppState:
    """What every command gets: the loaded configuration and the operator's language."""

    config_path: Path | None
    lang_override: str | None
    _config: Config | None = None
    _config_error: SmartboxError | None = None

    def _load(self) -> Config | None:
        if self._config is None and self._config_error is None:
            try:
                self._config = load_config(self.config_path)
            except SmartboxError as exc:
                self._config_error = exc
        return self._config

    @property
    def config(self) -> Config:
        """The configuration; a bad one is reported (in the language it allows) and ends the command (exit 1)."""
        config = self._load()
        if config is None:
            assert self._config_error is not None
            show_error(self._config_error, self.lang)
            raise HandledError(1) from self._config_error
        return config

    @property
    def lang(self) -> str:
        """``--lang``, else ``station.language``, else the system locale, else English (never fails: a broken
        configuration is reported by :attr:`config`, in the locale's language)."""
        if self.lang_override:
            return self.lang_override
        config = self._load()
        return operator_language(config.station.language if config is not None else "", os.environ)


def show_error(exc: SmartboxError, lang: str) -> None:
    """Print the error and its hint in ``lang`` to stderr."""
    label = say("label.error", lang)
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
        show_error(exc, state.lang if state is not None else operator_language("", os.environ))
        raise HandledError(1) from exc


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


def _set_lang(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if value:
        state = ctx.find_object(AppState)
        if state is not None:
            state.lang_override = value


def _lang_option() -> click.Option:
    return click.Option(["--lang"], type=click.Choice(["de", "en"]), default=None, expose_value=False,
                        is_eager=True, callback=_set_lang,
                        help="Language of messages (as 'smartbox --lang'; default: station.language, else the "
                             "system locale, else English).")


def with_lang_option(cmd: click.Command) -> click.Command:
    """``--lang`` after the subcommand, too (``smartbox queue list --lang de``), for ``cmd`` and its subcommands."""
    if not any(p.name == "lang" for p in cmd.params):
        cmd.params.append(_lang_option())
    if isinstance(cmd, click.Group):
        for sub in cmd.commands.values():
            with_lang_option(sub)
    return cmd


GROUPS = ("config", "queue")  # commands with subcommands


# What ``smartbox --help`` lists, without importing a command module (each module may pull in a DICOM library);
# tests/test_startup.py checks that every entry is the command's own first help line.
COMMAND_HELP = {
    "conformance": "Render the conformance statement from the program's own tables and the active configuration.",
    "config": "Show the configuration ('show') and every setting with its default ('settings').",
    "create": "Create one DICOM object per INPUT (JPEG, PNG, … or video).",
    "demo": "Worklist → still + video → validate → export → send, against a built-in loopback PACS and worklist.",
    "echo": "Verify the connection to PEER (a configured name, AET@host:port or a DICOMweb URL).",
    "exam": "Start, list, show, complete and discontinue exams (performed procedure steps).",
    "export": "Create objects for INPUT files and queue them for every configured destination.",
    "queue": "Inspect and manage the outbox.",
    "send": "Send DICOM files (or folders, recursively) to one or more PACS.",
    "serve": "Deliver queued objects to every destination until stopped (SIGTERM/Ctrl-C: after the objects in "
             "flight).",
    "station": "Start the capture station: open the printed address in a browser (touch screen or laptop).",
    "validate": "Check DICOM files; exit 1 if any has an error (ours, dciodvfy's or dicom-validator's).",
    "worklist": "Show the scheduled procedure steps of the Modality Worklist.",
}


class LazyGroup(click.Group):
    """A click group whose subcommands are imported when first needed (each with ``--lang``); the command list
    of ``--help`` comes from :data:`COMMAND_HELP`, so asking for help imports no command module."""

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        limit = formatter.width - 6 - max(len(name) for name in COMMAND_HELP)
        rows = [(name, click.utils.make_default_short_help(COMMAND_HELP[name], limit))
                for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def list_commands(self, ctx: click.Context) -> list[str]:
        known = [name for name, module in COMMAND_MODULES.items() if importlib.util.find_spec(module) is not None]
        return sorted(set(super().list_commands(ctx)) | set(known))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module = COMMAND_MODULES.get(cmd_name)
        if cmd_name not in self.commands and module is not None and importlib.util.find_spec(module) is not None:
            importlib.import_module(module)
        cmd = super().get_command(ctx, cmd_name)
        return with_lang_option(cmd) if cmd is not None else None


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config_path", type=click.Path(path_type=Path), default=None,
              help="Configuration file (TOML). Default: $SMARTBOX_CONFIG or ~/.config/smartbox-next/smartbox.toml.")
@click.option("--lang", type=click.Choice(["de", "en"]), default=None,
              help="Language of messages (also after the command). Default: station.language, else the system "
                   "locale (LC_ALL, LC_MESSAGES, LANG), else English.")
@click.option("-v", "--verbose", count=True, help="More log output (-v INFO, -vv DEBUG).")
@click.option("--log-format", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Log lines on stderr for people (text) or machines (json: one object per line, at least INFO). "
                   "Status lines for people go to stdout either way.")
@click.version_option(package_name="smartbox-next", prog_name="smartbox")
@click.pass_context
def cli(ctx: click.Context, config_path: Path | None, lang: str | None, verbose: int, log_format: str) -> None:
    """SmartBox Next — DICOM capture station.

    Exit codes: 0 success; 1 a problem with inputs, files, the configuration, a peer or the network (the message
    says what to do); 2 a mistake in the command line itself.
    """
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    quiet_libraries()
    use_log_format(log_format)
    ctx.obj = AppState(config_path=config_path, lang_override=lang)


def _below_error(record: logging.LogRecord) -> bool:
    return record.levelno >= logging.ERROR


def quiet_libraries() -> None:
    """pydicom warns about invalid values with the value itself (a patient name from the RIS, a hostile UID):
    such text must reach neither the log nor the terminal. Our own checks report every such value in the
    operator's language, escaped; pydicom's warnings are therefore silenced (its errors still show).

    A filter, not only the level: pydicom is imported lazily (inside the commands that need it) and its import
    sets its logger's level back to WARNING."""
    pydicom_log = logging.getLogger("pydicom")
    pydicom_log.setLevel(logging.ERROR)
    if _below_error not in pydicom_log.filters:  # the level alone does not last: see above
        pydicom_log.addFilter(_below_error)
    warnings.filterwarnings("ignore", category=UserWarning, module=r"pydicom(\..*)?$")
    # pynetdicom's own log lines duplicate what reaches the user as our bilingual errors; set here, at the
    # application's logging setup, never at import (net/adapter.py only switches off identifier logging)
    logging.getLogger("pynetdicom").setLevel(logging.CRITICAL)  # its import keeps this level (checked)


pass_state = click.make_pass_decorator(AppState)
