"""What an association attempt ended with, as project errors: the one translation (DESIGN principle 5).

Pure functions of an :class:`~smartbox_next.net.link.Attempt` (what the guard, the TLS context and the
protocol machine saw) and the peer, free of pynetdicom and pydicom, so that both association requestors use
them: :mod:`smartbox_next.net.session` (pynetdicom, through the adapter: C-FIND, MPPS, commitment) and
:mod:`smartbox_next.net.ulp` (the native upper layer of ``smartbox echo`` and of C-STORE,
:mod:`smartbox_next.net.store_session`).

* A Fault (what the peer did wrong) comes first: :class:`~smartbox_next.errors.ConnectError` when the
  connection never was a DICOM association (no DICOM, TLS answers or a failed handshake, closed without an
  answer), otherwise :class:`~smartbox_next.errors.AssociationAbortedError` (we aborted, PS3.8 §9.3.8).
* A-ASSOCIATE-RJ (PS3.8 §9.3.4, Table 9-21): :class:`~smartbox_next.errors.AssociationRejectedError`,
  retryable only for result 2 (transient).
* A-ABORT (PS3.8 §9.3.8, Table 9-26): ``net.aborted`` naming its source (service-user / service-provider).
* No usable presentation context in an A-ASSOCIATE-AC (PS3.8 §9.3.3.2):
  :class:`~smartbox_next.errors.NoAcceptedContextError`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from smartbox_next.dicom.peer import Peer
from smartbox_next.errors import (
    AssociationAbortedError,
    AssociationRejectedError,
    ConnectError,
    NetworkError,
    NoAcceptedContextError,
    ResponseTimeoutError,
)
from smartbox_next.net.link import AcceptedContext, Attempt, Context, Fault, FaultKind

REJECT_REASONS: dict[tuple[int, int], str] = {
    # A-ASSOCIATE-RJ (PS3.8 Table 9-21): (source, reason) -> message key suffix
    (1, 1): "no_reason",
    (1, 2): "application_context",
    (1, 3): "calling_ae",
    (1, 7): "called_ae",
    (2, 1): "no_reason",
    (2, 2): "protocol_version",
    (3, 1): "congestion",
    (3, 2): "local_limit",
}
ABORT_SOURCES = {0: "service-user", 1: "reserved", 2: "service-provider"}  # A-ABORT source (PS3.8 Table 9-26)
CONNECTION_FAULTS = frozenset({FaultKind.NOT_DICOM, FaultKind.ANSWERS_TLS, FaultKind.CLOSED}) | frozenset(
    k for k in FaultKind if k.value.startswith("net.tls."))
"""Faults that mean the connection never was a DICOM association (ConnectError, not an abort)."""

StopCheck = Callable[[], bool]


class Stopped(Exception):
    """The caller's stop was set: the association is aborted (A-ABORT, PS3.8 §9.3.8); the object in flight has
    no outcome."""


def fault_error(peer: Peer, fault: Fault, operation: str) -> NetworkError:
    """The error for what the peer did wrong: ConnectError when the connection never was a DICOM association
    (no DICOM, TLS mismatch, certificate), AssociationAbortedError when we aborted one (PS3.8 §9.3.8)."""
    params: dict[str, Any] = {"peer": str(peer), "port": peer.port, "operation": operation,
                              "pdu": fault.pdu or "PDU", "length": fault.length, "limit": fault.limit,
                              "received": fault.received, "seconds": f"{fault.seconds:g}",
                              "detail": fault.detail or "-", "name": peer.expected_tls_name}
    if fault.kind in CONNECTION_FAULTS:
        return ConnectError(fault.kind.value, **params)
    return AssociationAbortedError(fault.kind.value, **params)


def broken_error(peer: Peer, attempt: Attempt, operation: str) -> NetworkError:
    """The error for an association that ended without an answer: the fault, the A-ABORT, else a timeout."""
    if attempt.fault is not None:
        return fault_error(peer, attempt.fault, operation)
    if attempt.abort_source is not None:
        return AssociationAbortedError("net.aborted", peer=str(peer), operation=operation,
                                       source=ABORT_SOURCES.get(attempt.abort_source, "unknown"))
    return ResponseTimeoutError("net.timeout", peer=str(peer), operation=operation)


def dropped_error(peer: Peer, attempt: Attempt, operation: str) -> NetworkError:
    """The error for an association that broke during ``operation``: the fault or A-ABORT seen, else the
    connection dropped (``net.aborted`` by the network)."""
    if attempt.fault is not None or attempt.abort_source is not None:
        return broken_error(peer, attempt, operation)
    return AssociationAbortedError("net.aborted", peer=str(peer), operation=operation, source="network")


def timeout_error(peer: Peer, attempt: Attempt, operation: str) -> NetworkError:
    """No response within the DIMSE timeout (PS3.7 §9.1; we aborted): a fault seen meanwhile (a response PDU
    that trickled in too slowly) names the real cause."""
    if attempt.fault is not None:
        return fault_error(peer, attempt.fault, operation)
    return ResponseTimeoutError("net.timeout", peer=str(peer), operation=operation)


def association_error(peer: Peer, attempt: Attempt, accepted: Sequence[AcceptedContext],
                      contexts: Sequence[Context]) -> NetworkError:
    """The error for an association attempt that did not end established with a usable context."""
    if attempt.fault is not None:
        return fault_error(peer, attempt.fault, "association")
    if not attempt.connected:
        return ConnectError("net.connect_failed", peer=str(peer), host=peer.host, port=peer.port)
    if attempt.rejection is not None:
        rj = attempt.rejection
        kind = REJECT_REASONS.get((rj.source, rj.reason), "no_reason")
        transient = rj.result == 2
        return AssociationRejectedError(f"net.rejected.{kind}", retryable=transient, peer=str(peer),
                                        result="transient" if transient else "permanent",
                                        source=rj.source, reason=rj.reason)
    if attempt.accepted and not accepted:
        first = contexts[0] if contexts else None
        return NoAcceptedContextError(
            "net.no_context", peer=str(peer), sop_class=first.abstract_syntax if first else "",
            transfer_syntax=", ".join(first.transfer_syntaxes if first else ()),
        )
    return broken_error(peer, attempt, "association")
