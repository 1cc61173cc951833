"""Command-line mistakes (click's usage errors) in the operator's language, with what to do (exit code 2).

click words its errors in English. They are recognised here by kind — an unknown option, a missing argument,
an invalid value of a choice, number or range, extra arguments, an option without its value, an unknown
command — and rendered from the catalogue (:data:`smartbox_next.messages.TEXTS`, ``usage.*``) in German or
English. The language is known before click parses anything: ``--lang`` is looked for anywhere in the
arguments (before and after the command), else the configuration's ``station.language``, else the locale.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import click

from smartbox_next.config import load_config
from smartbox_next.errors import SmartboxError
from smartbox_next.messages import Bilingual, operator_language, printable, say


@dataclass(frozen=True)
class Prescan:
    """What the arguments say before click parses them."""

    lang: str | None
    config_path: Path | None


def prescan(argv: Sequence[str]) -> Prescan:
    """``--lang X`` / ``--lang=X`` and ``--config X`` anywhere before ``--`` (the last one wins)."""
    lang: str | None = None
    config: Path | None = None
    args = list(argv)
    for i, arg in enumerate(args):
        if arg == "--":
            break
        for name in ("--lang", "--config"):
            value = None
            if arg == name and i + 1 < len(args):
                value = args[i + 1]
            elif arg.startswith(name + "="):
                value = arg[len(name) + 1:]
            if value is None:
                continue
            if name == "--lang":
                lang = value if value in ("de", "en") else lang
            else:
                config = Path(value)
    return Prescan(lang, config)


def usage_language(pre: Prescan) -> str:
    """The language of a usage error: ``--lang``, else ``station.language``, else the locale, else English."""
    if pre.lang:
        return pre.lang
    try:
        configured = load_config(pre.config_path).station.language
    except SmartboxError:
        configured = ""  # the configuration's own error comes when the command line is right
    return operator_language(configured, os.environ)


_NUMBER_KINDS = {
    "integer": Bilingual("not a whole number", "keine ganze Zahl"),
    "float": Bilingual("not a number", "keine Zahl"),
}

# click's English wording of a bad value (click.types), matched to say it again from the catalogue
_VALUE_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^(?P<value>.*) is not one of (?P<choices>.*)\.$", re.DOTALL), "usage.not_a_choice"),
    (re.compile(r"^(?P<value>.*) is not (?P<choices>'[^']*')\.$", re.DOTALL), "usage.not_a_choice"),
    (re.compile(r"^(?P<value>.*) is not a valid (?P<kind>integer|float)\.$", re.DOTALL), "usage.not_a_number"),
    (re.compile(r"^(?P<value>.*) is not in the range (?P<range>.*)\.$", re.DOTALL), "usage.out_of_range"),
]
_EXTRA = re.compile(r"^Got unexpected extra arguments? \((?P<arguments>.*)\)$", re.DOTALL)
_NO_COMMAND = re.compile(r"^No such command (?P<command>.*)\.$", re.DOTALL)
_NEEDS_VALUE = re.compile(r"^Option (?P<option>.*) requires (an argument|\d+ arguments)\.$", re.DOTALL)
_NO_VALUE = re.compile(r"^Option (?P<option>.*) does not take a value\.$", re.DOTALL)


def _or(names: Sequence[str], lang: str) -> str:
    quoted = [f"'{n}'" for n in names]
    if len(quoted) < 2:
        return "".join(quoted)
    return ", ".join(quoted[:-1]) + (" oder " if lang == "de" else " or ") + quoted[-1]


def _bad_value(message: str, lang: str) -> str:
    for pattern, key in _VALUE_PATTERNS:
        m = pattern.match(message)
        if m is not None:
            params: dict[str, object] = dict(m.groupdict())
            if "kind" in params:
                params["kind"] = _NUMBER_KINDS[str(params["kind"])]
            return say(key, lang, params)
    return say("usage.bad_value", lang, {"detail": message})


def usage_message(exc: click.UsageError, lang: str) -> str:
    """The error of ``exc`` in ``lang`` (one line, no usage)."""
    from smartbox_next.cli._app import WordedUsageError

    message = exc.message
    if isinstance(exc, WordedUsageError):
        return message
    if isinstance(exc, click.NoSuchOption):
        text = say("usage.no_such_option", lang, {"option": exc.option_name})
        if exc.possibilities:
            text += " " + say("usage.did_you_mean", lang, {"options": _or(sorted(exc.possibilities), lang)})
        return text
    if isinstance(exc, click.MissingParameter):
        param = exc.param
        name = param.get_error_hint(exc.ctx) if param is not None and exc.ctx is not None else "?"
        key = "usage.missing_argument" if isinstance(param, click.Argument) else "usage.missing_option"
        text = say(key, lang, {"name": name})
        if param is not None and isinstance(param.type, click.Choice):
            text += " " + say("usage.choose_from", lang, {"choices": _or([str(c) for c in param.type.choices], lang)})
        return text
    if isinstance(exc, click.BadParameter):
        name = exc.param_hint if isinstance(exc.param_hint, str) else (
            exc.param.get_error_hint(exc.ctx) if exc.param is not None and exc.ctx is not None else "")
        reason = _bad_value(message, lang)
        return say("usage.invalid_value", lang, {"name": name, "reason": reason}) if name else reason
    for pattern, key in ((_EXTRA, "usage.extra_arguments"), (_NO_COMMAND, "usage.no_such_command"),
                         (_NEEDS_VALUE, "usage.needs_value"), (_NO_VALUE, "usage.takes_no_value")):
        m = pattern.match(message)
        if m is not None:
            return say(key, lang, m.groupdict())
    if message == "Missing command.":
        return say("usage.missing_command", lang)
    return say("usage.bad_value", lang, {"detail": message})


def _called_command(argv: Sequence[str]) -> list[str]:
    """``["queue", "show"]`` for ``smartbox --lang de queue show abc`` (the command words, without options)."""
    from smartbox_next.cli._app import COMMAND_MODULES, GROUPS

    words = [a for a in argv if not a.startswith("-")]
    for i, word in enumerate(words):
        if word in COMMAND_MODULES:
            more = words[i + 1:i + 2] if word in GROUPS and words[i + 1:i + 2] else []
            return [word, *more]
    return []


def usage_line(ctx: click.Context | None, lang: str, argv: Sequence[str] = ()) -> tuple[str, str]:
    """(``smartbox create [OPTIONS] INPUTS...``, ``smartbox create --help``) for the command that was called."""
    if ctx is None:  # click's parser does not always say which command it was parsing
        path = " ".join(["smartbox", *_called_command(argv)])
        pieces = "[OPTIONS] ..." if path != "smartbox" else "[OPTIONS] COMMAND [ARGS]..."
    else:
        path, pieces = ctx.command_path, " ".join(ctx.command.collect_usage_pieces(ctx))
    if lang == "de":
        pieces = pieces.replace("[OPTIONS]", "[OPTIONEN]").replace("COMMAND [ARGS]...", "BEFEHL [ARGUMENTE]...")
    return f"{path} {pieces}".strip(), f"{path} --help"


def show_usage_error(exc: click.UsageError, lang: str, argv: Sequence[str] = ()) -> None:
    """``Fehler: …`` and ``→ Aufruf: … (alle Optionen: '… --help')`` on stderr, like every other error."""
    usage, help_call = usage_line(exc.ctx, lang, argv)
    click.echo(f"{say('label.error', lang)}: {printable(usage_message(exc, lang))}", err=True)
    click.echo(f"  → {say('usage.hint', lang, {'usage': usage, 'help': help_call})}", err=True)
