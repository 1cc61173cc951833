"""Log lines for machines: ``--log-format json`` writes one JSON object per record to stderr.

Text logs (the default) are for people reading a terminal or the journal; JSON lines are for a log collector.
Either way the records are the program's English log messages with IDs (job, SOP Instance UID, accession
number), never a patient's name or birth date at INFO (docs/design.md, Error model). Status lines for people
(``serve`` starting, a job sent) are not log records: they go to stdout, in the operator's language.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import datetime
from typing import Any

# attributes every LogRecord has; anything else was passed with ``extra=`` and goes into the JSON object
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "taskName"}


class JsonFormatter(logging.Formatter):
    """``{"time": …, "level": …, "logger": …, "message": …, <extra fields>…}`` on one line."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created).astimezone().isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        out.update({k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")})
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False, default=str)


class _JsonHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The handler ``--log-format json`` installs (one per process, whatever the number of ``main()`` calls)."""


def use_log_format(log_format: str) -> None:
    """Switch the root logger to JSON lines on stderr (``json``; at least INFO), or leave text logging as set up."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if isinstance(handler, _JsonHandler):
            root.removeHandler(handler)
    if log_format != "json":
        return
    for handler in list(root.handlers):
        if type(handler) is logging.StreamHandler:  # the text handler of logging.basicConfig
            root.removeHandler(handler)
    handler = _JsonHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root.addHandler(handler)
    if root.level > logging.INFO or root.level == logging.NOTSET:
        root.setLevel(logging.INFO)
