"""The worklist as the station uses it: ask the SCP, decode the answers, fall back to the offline cache.

DESIGN data flow 1: the station keeps working while the RIS is down. The cache (:mod:`.cache`) is read
**only** for "unreachable" errors (no TCP connection, timeout, abort); a failure status, a rejection or a
configuration error is shown as is, never papered over with old data. A cached result comes back with
``stale=True``, its ``fetched_at`` and the reason, so every caller can say so.
"""

from __future__ import annotations

import logging
from datetime import datetime

from smartbox_next.config import Config
from smartbox_next.dicom.peer import Peer
from smartbox_next.errors import AssociationAbortedError, ConfigError, ConnectError, NetworkError, ResponseTimeoutError
from smartbox_next.net.link import LinkSettings
from smartbox_next.net.worklist import find_worklist
from smartbox_next.worklist.cache import WorklistCache
from smartbox_next.worklist.item import WorklistItem, WorklistResult
from smartbox_next.worklist.query import WorklistQuery, build_identifier, sent_patient_name

LOG = logging.getLogger(__name__)

UNREACHABLE: tuple[type[NetworkError], ...] = (ConnectError, ResponseTimeoutError, AssociationAbortedError)


def resolve_peer(config: Config, name: str | None = None) -> Peer:
    """``--from`` value, else ``worklist.peer`` (a peer name or AET@host:port), else the one peer with role
    worklist (:meth:`Config.worklist_source`)."""
    if name:
        return config.peer(name, option="--from")
    spec = config.worklist_source()
    if not spec:
        raise ConfigError("worklist.no_peer")
    return config.peer(spec, setting="worklist.peer")


def fetch(config: Config, peer: Peer, query: WorklistQuery, *, limit: int | None = None) -> WorklistResult:
    """One MWL C-FIND, the answers decoded with their own character set (PS3.4 K.6.1.2; see :mod:`.item`).

    At most ``limit`` (default ``worklist.max_results``) answers are kept (C-CANCEL after that, ``truncated``).
    With local name matching the full name pattern is applied here to the decoded names (:mod:`.query`).
    """
    wl = config.worklist
    limit = wl.max_results if limit is None else limit
    identifier = build_identifier(wl, query)
    answer = find_worklist(LinkSettings.of(config.station, config.network), peer, identifier, limit=limit,
                           timeout=wl.timeout)
    items = [WorklistItem.from_identifier(ds, wl.fallback_character_set) for ds in answer.identifiers]
    if query.patient_name != sent_patient_name(wl, query):
        by_name = WorklistQuery(patient_name=query.patient_name)
        items = [i for i in items if by_name.matches(i)]
    undeclared = sum(1 for i in items if not i.character_set_declared)
    LOG.info("worklist C-FIND %s: %d answers, %d kept%s%s", peer, len(answer.identifiers), len(items),
             ", truncated (C-CANCEL sent)" if answer.truncated else "",
             f", {undeclared} without Specific Character Set" if undeclared else "")
    return WorklistResult(items=tuple(items), peer=str(peer), fetched_at=datetime.now(), truncated=answer.truncated)


def query_worklist(
    config: Config,
    query: WorklistQuery,
    *,
    peer: Peer,
    cache: WorklistCache,
    limit: int | None = None,
) -> WorklistResult:
    """Ask the worklist SCP; on success refresh the cache; if it is unreachable, return the cached answer.

    Offline, any query contained in a cached answer is answered from it (:meth:`WorklistCache.answer`). Raises
    the network error when the SCP is unreachable and no cached answer covers the query, and every other error
    (failure status, rejection, configuration) unchanged.
    """
    try:
        result = fetch(config, peer, query, limit=limit)
    except UNREACHABLE as exc:
        cached = cache.answer(peer, query, reason=exc.key)
        if cached is None:
            raise
        # INFO, not WARNING: the caller tells the operator (worklist.stale); one notice, not a second log line
        LOG.info("worklist %s unreachable (%s): answered from the cache of %s (%d items)", peer, exc.key,
                 cached.fetched_at.isoformat(timespec="seconds"), len(cached.items))
        return cached
    try:
        cache.store(query, result)
    except Exception as exc:  # the fresh answer matters more than the copy
        LOG.warning("worklist cache not written: %s", exc)
    return result


def lookup(
    config: Config,
    *,
    peer: Peer,
    cache: WorklistCache,
    accession_number: str = "",
    item_id: str = "",
) -> WorklistResult:
    """Find the worklist answers for an accession number or an item ID (``smartbox create``).

    Accession: queried with the accession as the only matching key (any date, any station). Item ID: the
    station's default query (today) is asked, then any date. Offline, every cached answer of the peer is
    searched. The result may hold several answers (several SPS of one procedure); callers merge or refuse.
    """
    if accession_number:
        queries = [WorklistQuery(accession_number=accession_number)]

        def wanted(i: WorklistItem) -> bool:
            return i.accession_number == accession_number
    else:
        queries = [WorklistQuery.from_options(config), WorklistQuery.from_options(config, date_spec="any")]

        def wanted(i: WorklistItem) -> bool:
            return i.item_id == item_id.upper()
    last: WorklistResult | None = None
    for query in queries:
        try:
            result = query_worklist(config, query, peer=peer, cache=cache)
        except UNREACHABLE as exc:
            found = cache.search(peer, wanted, reason=exc.key)
            if found is None:
                raise
            return found
        items = tuple(i for i in result.items if wanted(i))
        last = WorklistResult(items=items, peer=result.peer, fetched_at=result.fetched_at, stale=result.stale,
                              reason=result.reason)
        if items:
            return last
    assert last is not None
    return last
