"""Command line: ``smartbox <command>``. ``main(argv)`` returns the exit code.

Exit codes: 0 success, 1 input/config/network error (message in the operator's language
with a hint), 2 usage error. Each command lives in its own module and registers itself on
:data:`cli` through :mod:`smartbox_next.cli._app`.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import click

from smartbox_next.cli import _app
from smartbox_next.cli import config_cmd as _config_cmd  # noqa: F401  (registers commands)
from smartbox_next.cli import create_cmd as _create_cmd  # noqa: F401
from smartbox_next.cli import demo_cmd as _demo_cmd  # noqa: F401
from smartbox_next.cli import echo_cmd as _echo_cmd  # noqa: F401
from smartbox_next.cli import export_cmd as _export_cmd  # noqa: F401
from smartbox_next.cli import queue_cmd as _queue_cmd  # noqa: F401
from smartbox_next.cli import send_cmd as _send_cmd  # noqa: F401
from smartbox_next.cli import serve_cmd as _serve_cmd  # noqa: F401
from smartbox_next.cli import validate_cmd as _validate_cmd  # noqa: F401
from smartbox_next.cli import worklist_cmd as _worklist_cmd  # noqa: F401
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
