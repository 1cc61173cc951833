"""Command line: ``smartbox <command>``. ``main(argv)`` returns the exit code.

Exit codes: 0 success, 1 input/config/network error (message in the operator's language
with a hint), 2 usage error. Each command lives in its own module, registers itself on
:data:`cli` and is listed in :data:`smartbox_next.cli._app.COMMAND_MODULES` (loaded on first use).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import click

from smartbox_next.cli import _app
from smartbox_next.cli._app import cli


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI with ``argv`` (default: sys.argv[1:]) and return the exit code."""
    try:
        result = cli.main(args=list(sys.argv[1:] if argv is None else argv), prog_name="smartbox",
                          standalone_mode=False)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("Aborted / Abgebrochen", err=True)
        return 1
    except click.ClickException as exc:
        exc.show()
        return 2 if isinstance(exc, click.UsageError) else int(exc.exit_code)
    except _app.HandledError as exc:
        return exc.code
    return int(result) if isinstance(result, int) else 0


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())


__all__ = ["cli", "main", "run"]
