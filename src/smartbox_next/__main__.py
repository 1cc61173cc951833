"""``python -m smartbox_next`` = the ``smartbox`` command."""

from smartbox_next.cli import run

run()
