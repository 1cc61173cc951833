"""Storage Commitment Push Model SCU (PS3.4 J.3; PS3.7 §10.1.4 N-ACTION, §10.1.1 N-EVENT-REPORT).

:func:`request_commitment` sends one N-ACTION "Request Storage Commitment" (Action Type 1) to the well-known
SOP Instance with the Action Information (Transaction UID, Referenced SOP Sequence; Table J.3-1) and — once the
archive accepted it — keeps the association open up to ``linger`` seconds for the report on the *same*
association (the other way the standard allows is a new association to the station's listener, J.3.3.1.3;
:mod:`smartbox_next.net.listener`). Each report is handed to ``on_report``, whose status is answered.

:func:`action_information` builds the request's data set; :func:`parse_report` checks a report (PS3.4 J.3.3.1,
PS3.3 C.14.1) — every value from the peer is refused unless valid: Event Type 1 or 2, the SOP Class and
well-known instance, a Transaction UID, UIDs that are UIDs, a Failure Reason on every failed item, no instance
twice, Event Type 1 without failures and Event Type 2 with some.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pydicom.dataset import Dataset
from pydicom.sequence import Sequence as DicomSequence

from smartbox_next.dicom.peer import Peer
from smartbox_next.dicom.uid import is_valid_uid
from smartbox_next.errors import CommitmentError
from smartbox_next.net import adapter
from smartbox_next.net.adapter import (
    STORAGE_COMMITMENT_INSTANCE,
    STORAGE_COMMITMENT_PUSH_MODEL,
    EventReport,
    encode_dataset,
    n_action_command,
)
from smartbox_next.net.link import Context, LinkSettings
from smartbox_next.net.session import open_session
from smartbox_next.net.stream import Payload, send_message

LOG = logging.getLogger(__name__)

REQUEST_STORAGE_COMMITMENT = 1  # Action Type ID (PS3.4 Table J.3-1)
ALL_COMMITTED, FAILURES_EXIST = 1, 2  # Event Type IDs (PS3.4 Table J.3-2)
SUCCESS = 0x0000
NO_SUCH_SOP_CLASS, NO_SUCH_INSTANCE, NO_SUCH_EVENT_TYPE, INVALID_ARGUMENT = 0x0118, 0x0112, 0x0113, 0x0115
PROCESSING_FAILURE = 0x0110

_EXPLICIT_LE, _IMPLICIT_LE = "1.2.840.10008.1.2.1", "1.2.840.10008.1.2"

FAILURE_REASONS: dict[int, str] = {  # PS3.3 C.14.1.1
    0x0110: "processing failure",
    0x0112: "no such object instance",
    0x0213: "resource limitation",
    0x0122: "referenced SOP Class not supported",
    0x0119: "class / instance conflict",
    0x0131: "duplicate transaction UID",
}


def commitment_context() -> Context:
    """The Storage Commitment Push Model SOP Class, Explicit then Implicit VR Little Endian."""
    return Context(STORAGE_COMMITMENT_PUSH_MODEL, (_EXPLICIT_LE, _IMPLICIT_LE))


def action_information(transaction_uid: str, instances: Sequence[tuple[str, str]]) -> Dataset:
    """The Action Information of a request (PS3.4 Table J.3-1): Transaction UID and one Referenced SOP Sequence
    item per (SOP Class UID, SOP Instance UID), each instance once (J.3.2.1.1.3)."""
    if len({i for _c, i in instances}) != len(instances) or not instances:
        raise ValueError("a commitment request references each instance once, and at least one")
    ds = Dataset()
    ds.TransactionUID = transaction_uid
    items = []
    for sop_class, sop_instance in instances:
        item = Dataset()
        item.ReferencedSOPClassUID = sop_class
        item.ReferencedSOPInstanceUID = sop_instance
        items.append(item)
    ds.ReferencedSOPSequence = DicomSequence(items)
    return ds


def requested_instances(info: Dataset) -> list[tuple[str, str]]:
    """(SOP Class UID, SOP Instance UID) of a request built by :func:`action_information`."""
    return [(str(i.ReferencedSOPClassUID), str(i.ReferencedSOPInstanceUID)) for i in info.ReferencedSOPSequence]


# ------------------------------------------------------------------------------------------ the report


@dataclass(frozen=True)
class ParsedReport:
    """A report that passed :func:`parse_report`: Transaction UID, committed and failed instances."""

    transaction_uid: str
    event_type_id: int
    committed: tuple[tuple[str, str], ...]  # (SOP Class UID, SOP Instance UID)
    failed: tuple[tuple[str, str, int], ...]  # (SOP Class UID, SOP Instance UID, Failure Reason)


@dataclass(frozen=True)
class Refusal:
    """Why a report was refused: the N-EVENT-REPORT-RSP status and a reason for the log (no patient data)."""

    status: int
    reason: str


def _items(info: Dataset, keyword: str) -> list[Dataset] | None:
    value = info.get(keyword, None)
    if value is None:
        return []
    return list(value) if isinstance(value, DicomSequence) else None


def parse_report(report: EventReport) -> ParsedReport | Refusal:
    """Check a Storage Commitment report (see the module docstring); nothing of it is used unless it passes."""
    if report.sop_class_uid != STORAGE_COMMITMENT_PUSH_MODEL:
        return Refusal(NO_SUCH_SOP_CLASS, "not the Storage Commitment Push Model SOP Class")
    if report.sop_instance_uid != STORAGE_COMMITMENT_INSTANCE:
        return Refusal(NO_SUCH_INSTANCE, "not the well-known Storage Commitment SOP Instance")
    if report.event_type_id not in (ALL_COMMITTED, FAILURES_EXIST):
        return Refusal(NO_SUCH_EVENT_TYPE, f"event type {report.event_type_id}")
    info = report.information
    if info is None:
        return Refusal(INVALID_ARGUMENT, "no decodable event information")
    try:
        transaction_uid = str(info.get("TransactionUID", "") or "")
        committed_items, failed_items = _items(info, "ReferencedSOPSequence"), _items(info, "FailedSOPSequence")
        if committed_items is None or failed_items is None:
            return Refusal(INVALID_ARGUMENT, "a reference list is not a sequence")
        committed = [_ref(i) for i in committed_items]
        failed = [(*_ref(i), _reason(i)) for i in failed_items]
    except (ValueError, TypeError, AttributeError) as exc:
        return Refusal(INVALID_ARGUMENT, f"malformed item ({exc})")
    if not is_valid_uid(transaction_uid):
        return Refusal(INVALID_ARGUMENT, "no valid Transaction UID")
    uids = [r[1] for r in committed] + [f[1] for f in failed]
    if len(set(uids)) != len(uids):
        return Refusal(INVALID_ARGUMENT, "an instance is listed twice")
    if report.event_type_id == ALL_COMMITTED and failed:
        return Refusal(INVALID_ARGUMENT, "event type 1 with failed instances")
    if report.event_type_id == FAILURES_EXIST and not failed:
        return Refusal(INVALID_ARGUMENT, "event type 2 without failed instances")
    return ParsedReport(transaction_uid, report.event_type_id, tuple(committed), tuple(failed))


def _ref(item: Dataset) -> tuple[str, str]:
    sop_class = str(item.get("ReferencedSOPClassUID", "") or "")
    sop_instance = str(item.get("ReferencedSOPInstanceUID", "") or "")
    if not (is_valid_uid(sop_class) and is_valid_uid(sop_instance)):
        raise ValueError("an item without valid SOP Class and Instance UIDs")
    return sop_class, sop_instance


def _reason(item: Dataset) -> int:
    value = item.get("FailureReason", None)
    if value is None or isinstance(value, list | tuple | str):
        raise ValueError("a failed item without one Failure Reason")
    reason = int(value)
    if not 0 < reason <= 0xFFFF:
        raise ValueError("a Failure Reason out of range")
    return reason


# ------------------------------------------------------------------------------------------ the request


def classify_action(status: Dataset, peer: Peer) -> CommitmentError | None:
    """The error for a non-success N-ACTION response (PS3.7 §10.1.4.1.10); None for success.

    A refused request's Transaction UID is dead (PS3.4 J.3.2.1.2): a retry is a new request. Retryable only
    for a busy archive (0213 resource limitation, A7xx) and protocol errors (0210-0212).
    """
    code = int(status.Status)
    if code == SUCCESS:
        return None
    params: dict[str, Any] = {"peer": str(peer), "status": code, "code": f"0x{code:04X}",
                              "comment": str(status.get("ErrorComment", "") or "") or "-"}
    if code == 0x0213 or 0xA700 <= code <= 0xA7FF or code in (0x0210, 0x0211, 0x0212):
        return CommitmentError("commitment.request_busy", retryable=True, **params)
    return CommitmentError("commitment.request_refused", **params)


def request_commitment(settings: LinkSettings, peer: Peer, info: Dataset, *, on_accepted: Callable[[], None],
                       on_report: Callable[[EventReport], int], resolved: Callable[[], bool], linger: float,
                       stop: threading.Event) -> None:
    """Send one commitment request and stay up to ``linger`` seconds for its report on this association.

    ``on_report`` gets each N-EVENT-REPORT the archive sends on this association (in a thread of the DICOM
    library) and returns the status to answer. ``on_accepted`` runs as soon as the archive accepted the request
    (N-ACTION success). The association is released early when ``resolved()`` says the report came (also on
    another association), the archive ends it, or ``stop`` is set — but only once every report received on it
    has been answered. Raises the association errors of ``open_session`` and :class:`CommitmentError`.
    """
    serving: list[threading.Thread] = []  # the library's threads answering reports on this association

    def served(report: EventReport) -> int:
        serving.append(threading.current_thread())
        return on_report(report)

    with open_session(settings, peer, [commitment_context()]) as session:
        adapter.bind_event_reports(session.link, served)
        cx = session.accepted_contexts[0]
        message_id = session.next_message_id()
        command = n_action_command(message_id, STORAGE_COMMITMENT_PUSH_MODEL, STORAGE_COMMITMENT_INSTANCE,
                                   REQUEST_STORAGE_COMMITMENT)
        send_message(session, cx.context_id, command, Payload((encode_dataset(info, cx.transfer_syntax),),
                                                              cx.transfer_syntax), timeout=settings.network_timeout)
        error = classify_action(session.wait_response(message_id, "N-ACTION"), peer)
        if error is not None:
            raise error
        on_accepted()
        deadline = time.monotonic() + linger
        while time.monotonic() < deadline and not stop.is_set() and not resolved():
            if not session.link.is_established:
                return  # the archive ended the association: its report comes on a new one, if at all
            stop.wait(min(0.02, max(0.0, deadline - time.monotonic())))
        for thread in serving:  # never release before the answer to a report has gone out
            thread.join(timeout=settings.acse_timeout)
