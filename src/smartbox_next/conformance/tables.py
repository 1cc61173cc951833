"""Network facts of the statement, read from the code that implements them (PS3.2 Annex N.5, N.7, N.8).

* presentation contexts: :func:`smartbox_next.net.contexts.needed_syntaxes` applied to every transfer
  syntax our objects can be created in (:func:`smartbox_next.conformance.objects.created_syntaxes`), plus the
  contexts of C-ECHO (:mod:`smartbox_next.net.echo`) and the worklist C-FIND (:mod:`smartbox_next.net.worklist`);
* fallback: :func:`smartbox_next.net.fallback.conversions` (Table N.5-9 transcoding);
* C-STORE statuses: :func:`smartbox_next.net.store.classify_status` over representative codes of every
  PS3.7 Annex C class (Table N.7-42); worklist statuses: :func:`smartbox_next.net.worklist.status_error`;
* association rejections: the (source, reason) table of :mod:`smartbox_next.net.outcome`;
* retry: :class:`smartbox_next.delivery.retry.RetryPolicy`; TLS: :func:`smartbox_next.net.tls.facts`;
* identifier logging: what :mod:`smartbox_next.net.adapter` applies to every association;
* worklist keys: the identifier :func:`smartbox_next.worklist.query.build_identifier` sends for a probe query.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass, fields

from pydicom.dataset import Dataset
from pydicom.uid import UID

from smartbox_next.config import MAX_RECEIVE_PDU, Config
from smartbox_next.conformance.objects import created_syntaxes
from smartbox_next.delivery.retry import RetryPolicy
from smartbox_next.delivery.video import reencode_targets
from smartbox_next.dicom import sop as sops
from smartbox_next.dicom.peer import Peer
from smartbox_next.dicom.transfer_syntax import ALL_SYNTAXES
from smartbox_next.dicom.transfer_syntax import conversions as ts_conversions
from smartbox_next.net import adapter, guard, tls
from smartbox_next.net.contexts import needed_syntaxes
from smartbox_next.net.echo import echo_context
from smartbox_next.net.link import MAX_CONTEXTS
from smartbox_next.net.outcome import REJECT_REASONS
from smartbox_next.net.store import Outcome, classify_status
from smartbox_next.net.worklist import status_error, worklist_context
from smartbox_next.worklist.query import WorklistQuery, build_identifier


def ts_name(uid: str) -> str:
    """``JPEG Baseline (Process 1)`` for its UID (pydicom's registry)."""
    return str(UID(uid).name)


@functools.cache
def creatable() -> dict[str, dict[str, frozenset[str]]]:
    """SOP class -> transfer syntax -> conditions ("" = default configuration), in SOP class table order."""
    raw = created_syntaxes()
    return {s.uid: {ts: frozenset(raw[s.uid][ts]) for ts in raw[s.uid]} for s in sops.ALL if s.uid in raw}


def proposed_syntaxes(sop_uid: str) -> list[str]:
    """Every transfer syntax the sender may propose for ``sop_uid`` objects (PS3.5 §10; contexts.py)."""
    out: list[str] = []
    for ts in creatable()[sop_uid]:
        out += needed_syntaxes(ts, reencode_targets)
    return list(dict.fromkeys(out))


def other_contexts() -> list[tuple[str, str, list[str]]]:
    """(abstract syntax, service, transfer syntaxes) of the non-storage contexts we propose."""
    from smartbox_next.conformance import workflow  # MPPS and Storage Commitment (its own module)

    echo_cx, mwl_cx = echo_context(), worklist_context()
    return [
        (echo_cx.abstract_syntax, "Verification (C-ECHO)", list(echo_cx.transfer_syntaxes)),
        (mwl_cx.abstract_syntax, "Modality Worklist (C-FIND)", list(mwl_cx.transfer_syntaxes)),
        *workflow.contexts(),
    ]


@dataclass(frozen=True)
class Conversion:
    source: str
    target: str
    new_uid: bool  # Table N.5-9: NEW_UID (re-encoded video is a new DERIVED instance) vs SUPPORTED


def conversions() -> list[Conversion]:
    """Every fallback the sender applies to a created object when its own syntax is refused."""
    seen = list(dict.fromkeys(ts for per in creatable().values() for ts in per))
    out = []
    for ts in seen:
        hook = reencode_targets(ts)
        twin = getattr(ALL_SYNTAXES.get(ts), "twin", None)
        for target in ts_conversions(ts, reencode_targets):
            out.append(Conversion(ts, target, target in hook and target != twin))
    return out


def max_contexts() -> int:
    return MAX_CONTEXTS


# ------------------------------------------------------------------------------------------- statuses

STORE_PROBE_CODES = (0x0000, 0x0001, 0x0107, 0x0116, 0xB000, 0xB006, 0xB007, 0xA700, 0xA7FF, 0xA900, 0xA9FF,
                     0xC000, 0xCFFF, 0x0117, 0x0122, 0x0124, 0x0210, 0x0211, 0x0212, 0x0110, 0x0213, 0xA800)
"""Representative codes of every PS3.7 Annex C class and every code PS3.4 B.2.3 names for C-STORE."""


@dataclass(frozen=True)
class StatusRow:
    codes: str
    outcome: str
    key: str  # message key ("" for plain success)
    retryable: bool


def _group(codes: list[int]) -> str:
    return ", ".join(f"{c:04X}" for c in codes)


def store_status_rows() -> list[StatusRow]:
    """C-STORE status -> behaviour, codes with the same behaviour grouped (Table N.7-42)."""
    peer = Peer("PACS", "127.0.0.1", 104)
    grouped: dict[tuple[str, str, bool], list[int]] = {}
    for code in STORE_PROBE_CODES:
        outcome, err = classify_status(code, "", peer, "1.2.3")
        retry = bool(err is not None and err.retryable and outcome is Outcome.FAILED)
        grouped.setdefault((outcome.value, err.key if err else "", retry), []).append(code)
    return [StatusRow(_group(codes), o, k, r) for (o, k, r), codes in grouped.items()]


WORKLIST_PROBE_CODES = (0xA700, 0xA900, 0xC000, 0xC310, 0x0122, 0xFE00, 0xA800, 0x0110)


def worklist_status_rows() -> list[StatusRow]:
    """C-FIND (MWL) failure status -> behaviour (PS3.4 Table K.4-1); FF00/FF01 pending, 0000 success."""
    grouped: dict[tuple[str, bool], list[int]] = {}
    for code in WORKLIST_PROBE_CODES:
        err = status_error(code, "MWL@127.0.0.1:104")
        grouped.setdefault((err.key, err.retryable), []).append(code)
    return [StatusRow(_group(codes), "failed", k, r) for (k, r), codes in grouped.items()]


def reject_rows() -> list[tuple[int, int, str]]:
    """(source, reason, message key suffix) of A-ASSOCIATE-RJ handling (PS3.8 §9.3.4)."""
    return [(s, r, k) for (s, r), k in sorted(REJECT_REASONS.items())]  # the table net/outcome.py reads


def retry_delays(config: Config, count: int = 12) -> list[float]:
    """Base delays (no jitter) before attempts 2, 3, … under the configured policy."""
    policy = RetryPolicy.from_config(config.retry)
    return [policy.base_delay(n) for n in range(1, min(count, policy.max_attempts))]


def tls_facts(config: Config) -> dict[str, str]:
    """Minimum protocol version, peer verification and host-name check of the client TLS context."""
    return tls.facts()


def receive_cap() -> int:
    """The largest PDU the station reads even when ``network.max_pdu`` = 0 (no limit announced)."""
    return MAX_RECEIVE_PDU


def receive_limits() -> dict[str, int]:
    """Bounds on what a peer may send (net/guard.py): A-ASSOCIATE-AC bytes, bytes of one DIMSE message."""
    return {"associate": guard.MAX_ASSOCIATE_PDU, "message": guard.MAX_MESSAGE}


def pynetdicom_logs_identifiers() -> bool:
    """Whether pynetdicom logs C-FIND identifiers (patient data) on our associations; the adapter switches it off."""
    return adapter.LOGS_IDENTIFIERS


# -------------------------------------------------------------------------------------- worklist keys

_QUERY_PROBE = WorklistQuery(scheduled_date="20240101-20240131", modality="QMODALITY", station_ae_title="QSTATION",
                             patient_name="QNAME*", patient_id="QPATIENTID", accession_number="QACCESSION")

QUERY_SOURCES: dict[str, tuple[str, str]] = {
    "scheduled_date": ("GENERATED (today) or USER (date or range)", "GENERATED (heute) oder USER (Datum oder Bereich)"),
    "modality": ("CONFIGURATION `worklist.modality`, USER may change it",
                 "CONFIGURATION `worklist.modality`, USER kann sie ändern"),
    "station_ae_title": (
        "CONFIGURATION `worklist.station_ae_title` (empty: `station.ae_title`), USER may omit it",
        "CONFIGURATION `worklist.station_ae_title` (leer: `station.ae_title`), USER kann ihn weglassen"),
    "patient_name": ("USER (wildcards * ?)", "USER (Platzhalter * ?)"),
    "patient_id": ("USER", "USER"),
    "accession_number": ("USER", "USER"),
}
"""Where each :class:`WorklistQuery` field's value comes from (PS3.2 Table N.5-2 "Value source")."""


@dataclass(frozen=True)
class QueryKey:
    path: str
    vr: str
    matching: str  # SINGLE_VALUE | WILDCARD | RANGE | UID | SEQUENCE | UNIVERSAL
    field: str  # WorklistQuery field that fills it, "" for a pure return key


def _walk(ds: Dataset, prefix: str = "") -> Iterator[tuple[str, str, object]]:
    for elem in ds:
        path = f"{prefix}{elem.keyword}"
        yield path, elem.VR, elem.value
        if elem.VR == "SQ":
            for item in elem.value:
                yield from _walk(item, path + " > ")


def worklist_keys(config: Config) -> list[QueryKey]:
    """Every key of the MWL identifier, with its matching type when the station fills it (PS3.4 C.2.2.2)."""
    ds = build_identifier(config.worklist, _QUERY_PROBE).to_dataset()
    probe = {str(getattr(_QUERY_PROBE, f.name)): f.name for f in fields(_QUERY_PROBE)}
    out = []
    for path, vr, value in _walk(ds):
        field = probe.get(str(value), "") if vr != "SQ" else ""
        if vr == "SQ":
            matching = "SEQUENCE"
        elif not field:
            matching = "UNIVERSAL"
        elif "*" in str(value) or "?" in str(value):
            matching = "WILDCARD"
        elif vr in ("DA", "TM", "DT") and "-" in str(value):
            matching = "RANGE"
        elif vr == "UI":
            matching = "UID"
        else:
            matching = "SINGLE_VALUE"
        out.append(QueryKey(path, vr, matching, field))
    return out
