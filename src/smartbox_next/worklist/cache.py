"""Offline worklist: the last successful answer per (peer, query), written atomically, used only when the
worklist SCP cannot be reached.

DESIGN data flow 1: the station keeps working while the RIS is down. Rules kept here:

* offline, a query is answered from the newest cached answer to a query that covers it (the same one, or a
  wider one: all patients, a longer date range) — filtered here; only a query outside what was cached fails;

* every successful query replaces its cache entry — an empty answer too (it is the truth: nothing scheduled);
* the cache is read **only** for "unreachable" errors (no TCP connection, timeout, abort); a failure status,
  a rejection or a configuration error is shown as is, never papered over with old data;
* a cached result is returned with ``stale=True``, its ``fetched_at`` and the reason, so every caller can say
  so (the CLI prints ``worklist.stale`` in the operator's language).

The file (JSON, mode 0600: it holds patient data) lives in ``<data_dir>/worklist-cache.json`` and keeps the
newest :data:`MAX_ENTRIES` queries. Writes go through :func:`smartbox_next.spool.files.atomic_file` (tmp, fsync,
rename), so a power cut leaves either the old or the new file.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from smartbox_next.atomic import atomic_file
from smartbox_next.dicom.peer import Peer
from smartbox_next.worklist.item import WorklistItem, WorklistResult
from smartbox_next.worklist.query import WorklistQuery

LOG = logging.getLogger(__name__)

FORMAT = 1
MAX_ENTRIES = 32
_LOCK = threading.Lock()


def _entry_key(peer: Peer | str, query: WorklistQuery) -> str:
    return f"{peer}#{query.key()}"


class WorklistCache:
    """The offline copy of recent worklist answers (one JSON file, replaced atomically)."""

    def __init__(self, path: Path, *, max_entries: int = MAX_ENTRIES) -> None:
        self.path = path
        self.max_entries = max_entries

    def _read(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            LOG.warning("worklist cache %s unreadable, ignored: %s", self.path, type(exc).__name__)
            return {}
        if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("entries"), dict):
            return {}
        entries: dict[str, Any] = data["entries"]
        return entries

    def store(self, query: WorklistQuery, result: WorklistResult) -> None:
        """Remember ``result`` as the answer to ``query`` at ``result.peer`` (keeps the newest entries)."""
        with _LOCK:
            entries = self._read()
            entries[_entry_key(result.peer, query)] = {
                "peer": result.peer,
                "query": query.key(),
                "fetched_at": result.fetched_at.isoformat(),
                "truncated": result.truncated,
                "items": [item.to_json() for item in result.items],
            }
            newest = sorted(entries.items(), key=lambda kv: str(kv[1].get("fetched_at", "")), reverse=True)
            data = {"format": FORMAT, "entries": dict(newest[: self.max_entries])}
            payload = json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8")
            with atomic_file(self.path) as fh:
                os.fchmod(fh.fileno(), 0o600)
                fh.write(payload)
        LOG.debug("worklist cache: stored %d items", len(result.items))

    def load(self, peer: Peer | str, query: WorklistQuery, *, reason: str = "") -> WorklistResult | None:
        """The cached answer to exactly this query at this peer, marked stale; None if there is none."""
        entry = self._read().get(_entry_key(peer, query))
        return None if entry is None else _result(entry, reason)

    def answer(self, peer: Peer | str, query: WorklistQuery, *, reason: str = "") -> WorklistResult | None:
        """The offline answer to ``query`` at ``peer``: the items of the newest cached answer whose query covers
        it (:meth:`WorklistQuery.covers`: the same query, or a wider one — any patient, a longer date range)
        that ``query`` matches, marked stale with that answer's time. A truncated answer covers only its own
        query (items beyond its limit were never seen). None when no cached answer covers the query."""
        own = _entry_key(peer, query)
        candidates = []
        for key, entry in self._read().items():
            if entry.get("peer") != str(peer):
                continue
            if key != own:
                cached = WorklistQuery.from_key(str(entry.get("query", "")))
                if cached is None or not cached.covers(query) or entry.get("truncated"):
                    continue
            candidates.append(entry)
        if not candidates:
            return None
        newest = max(candidates, key=lambda e: str(e.get("fetched_at", "")))
        result = _result(newest, reason)
        items = tuple(i for i in result.items if query.matches(i))
        return WorklistResult(items=items, peer=result.peer, fetched_at=result.fetched_at,
                              truncated=result.truncated, stale=True, reason=reason)

    def search(self, peer: Peer | str, predicate: Callable[[WorklistItem], bool], *,
               reason: str = "") -> WorklistResult | None:
        """Items of any cached query at ``peer`` matching ``predicate``, from the newest entry that has some."""
        entries = sorted((e for e in self._read().values() if e.get("peer") == str(peer)),
                         key=lambda e: str(e.get("fetched_at", "")), reverse=True)
        for entry in entries:
            result = _result(entry, reason)
            items = tuple(i for i in result.items if predicate(i))
            if items:
                return WorklistResult(items=items, peer=result.peer, fetched_at=result.fetched_at, stale=True,
                                      reason=reason)
        return None


def _result(entry: dict[str, Any], reason: str) -> WorklistResult:
    return WorklistResult(
        items=tuple(WorklistItem.from_json(i) for i in entry.get("items", [])),
        peer=str(entry.get("peer", "")),
        fetched_at=datetime.fromisoformat(str(entry["fetched_at"])),
        truncated=bool(entry.get("truncated", False)),
        stale=True,
        reason=reason,
    )
