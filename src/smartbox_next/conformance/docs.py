"""Operator documents generated from the code: ``docs/configuration.md`` (every setting of
:data:`smartbox_next.config.SECTIONS` with its default and ``metadata["doc"]``) and ``docs/operations.md``
(the bilingual message catalogue :data:`smartbox_next.messages.CATALOGUE` with what to do for each message).
Both support the conformance statement's configuration section (PS3.2 Annex N.6).
"""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path
from typing import Any

from smartbox_next.config import CONFIG_ENV, ENV_PREFIX, SECTIONS
from smartbox_next.conformance.doc import Document, to_markdown
from smartbox_next.messages import CATALOGUE
from smartbox_next.spool.outbox import JobState


def default_text(value: Any) -> str:
    """A default as written in TOML (``"text"``, ``true``, ``600.0``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | Path):
        return f'"{value}"'
    return repr(value)


def _type_name(kind: Any) -> str:
    return kind if isinstance(kind, str) else getattr(kind, "__name__", str(kind))


def settings() -> list[tuple[str, str, str, str, str]]:
    """(setting, environment variable, type, default, description) for every setting, in schema order."""
    out = []
    for section, cls in SECTIONS.items():
        defaults = cls()
        for f in fields(cls):
            default = getattr(defaults, f.name)
            out.append((f"{section}.{f.name}", f"{ENV_PREFIX}{section}_{f.name}".upper(), _type_name(f.type),
                        default_text(default), str(f.metadata.get("doc", ""))))
    return out


def configuration_md() -> str:
    doc = Document("SmartBox Next — Configuration")
    doc.p("Generated from `smartbox_next.config.SECTIONS` by `scripts/gen-docs`; do not edit by hand.")
    doc.p(f"Settings are read from a TOML file — `--config FILE`, else `${CONFIG_ENV}`, else "
          "`~/.config/smartbox-next/smartbox.toml` (if it exists) — and each can be overridden by an environment "
          f"variable `{ENV_PREFIX}<SECTION>_<KEY>`. Every setting has a default, so the station runs without a "
          "file. A bad value is refused with a message naming the setting and the expected form. "
          "`smartbox config show` prints the effective configuration.")
    for section, cls in SECTIONS.items():
        doc.h(1, f"[{section}]")
        doc.p((cls.__doc__ or "").strip().splitlines()[0])
        rows = [[f"`{s}`", t, f"`{d}`", desc, f"`{env}`"] for s, env, t, d, desc in settings()
                if s.startswith(section + ".")]
        doc.table(["Setting", "Type", "Default", "Meaning", "Environment"], rows)
    doc.h(1, "[peers]")
    doc.p("Destinations and the worklist SCP, by name: `name = \"AET@host:port\"`, or a table "
          "`[peers.name]` with `address = \"AET@host:port\"`, `tls = true|false` (default false) and "
          "`enabled = true|false` (default true). Environment: `SMARTBOX_PEERS_<NAME>=AET@host:port`. "
          "Every enabled peer except the one named in `worklist.peer` is a sending destination. Default: none.")
    doc.code('[peers]\npacs = "PACS@10.1.2.3:104"\n\n[peers.archive]\naddress = "ARCH@10.1.2.4:2762"\ntls = true')
    return to_markdown(doc)


def _area(key: str) -> str:
    return key.split(".", 1)[0]


def operations_md() -> str:
    doc = Document("SmartBox Next — Operations")
    doc.p("Generated from the message catalogue (`smartbox_next.messages`) by `scripts/gen-docs`; do not edit "
          "by hand. Placeholders such as `{peer}` are filled in when the message is shown.")
    doc.h(1, "Everyday operation")
    doc.ul([
        "`smartbox serve` runs the sending service: one worker per destination; stop it with SIGTERM/Ctrl-C — "
        "objects in flight are finished, the rest stays queued.",
        "`smartbox queue` shows what is pending per destination; every failed job carries its message key and "
        "parameters, shown in the operator's language.",
        "`smartbox echo PEER` checks that a PACS answers (C-ECHO) and how fast.",
        "Outbox job states: " + ", ".join(f"`{s.value}`" for s in JobState) + ". Retryable failures wait in "
        "`retry_wait` and are retried automatically (exponential back-off, see `[retry]` in configuration.md); "
        "permanent failures end in `failed` and need the action below.",
        "Exit codes: 0 success, 1 input/configuration/network error (message and what to do), 2 usage error. "
        "Messages are German or English (`--lang de|en`, default `station.language`).",
        "Logs are English and carry job IDs and SOP Instance UIDs, never patient names or birth dates at INFO.",
    ])
    doc.h(1, "Messages and what to do / Meldungen und was zu tun ist")
    areas = list(dict.fromkeys(_area(k) for k in sorted(CATALOGUE)))
    for area in areas:
        doc.h(2, f"`{area}.*`")
        rows = [[f"`{key}`", m.en, m.de, m.hint_en, m.hint_de]
                for key, m in sorted(CATALOGUE.items()) if _area(key) == area]
        doc.table(["Key", "Message (English)", "Meldung (Deutsch)", "What to do", "Was zu tun ist"], rows)
    return to_markdown(doc)
