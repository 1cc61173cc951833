"""Command line: ``smartbox <command>``. ``main(argv)`` returns the exit code.

Exit codes: 0 success; 1 anything about inputs, files, the configuration, peers or the network (message in
the operator's language with what to do); 2 only for mistakes in the command line itself (click's usage
errors, rendered in the operator's language by :mod:`smartbox_next.cli._usage`).

Each command lives in its own module, registers itself on
:data:`cli` and is listed in :data:`smartbox_next.cli._app.COMMAND_MODULES` (loaded on first use).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import click

from smartbox_next.cli import _app
from smartbox_next.cli._app import cli
from smartbox_next.cli._usage import prescan, show_usage_error, usage_language
from smartbox_next.messages import say


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI with ``argv`` (default: sys.argv[1:]) and return the exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        result = cli.main(args=args, prog_name="smartbox", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.exceptions.Abort:
        click.echo(say("label.aborted", usage_language(prescan(args))), err=True)
        return 1
    except click.exceptions.NoArgsIsHelpError as exc:  # ``smartbox`` or ``smartbox queue`` alone: the help
        click.echo(exc.format_message(), err=True)
        return 2
    except click.UsageError as exc:
        show_usage_error(exc, usage_language(prescan(args)), args)
        return 2
    except click.ClickException as exc:
        exc.show()
        return int(exc.exit_code)
    except _app.HandledError as exc:
        return exc.code
    return int(result) if isinstance(result, int) else 0


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())


__all__ = ["cli", "main", "run"]
