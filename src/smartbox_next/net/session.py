"""Associations as the senders use them: pynetdicom's outcomes (via the adapter) mapped to project errors.

``open_session(settings, peer, contexts)`` is a context manager yielding a :class:`Session`; it raises
ConnectError (no TCP connection), AssociationRejectedError (A-ASSOCIATE-RJ, PS3.8 §9.3.4; retryable only for a
transient rejection), AssociationAbortedError (A-ABORT / A-P-ABORT, PS3.8 §9.3.8), ResponseTimeoutError, or
NoAcceptedContextError. On exit the association is released (A-RELEASE, §9.3.7), or aborted when the block
raised. This is the one module that turns association outcomes into project exceptions (DESIGN principle 5);
it sees pynetdicom only through :mod:`smartbox_next.net.adapter`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from pydicom.dataset import Dataset

from smartbox_next.dicom.peer import Peer
from smartbox_next.errors import (
    AssociationAbortedError,
    AssociationRejectedError,
    ConnectError,
    NetworkError,
    NoAcceptedContextError,
    ResponseTimeoutError,
)
from smartbox_next.net import adapter
from smartbox_next.net.link import AcceptedContext, Attempt, Context, LinkSettings

LOG = logging.getLogger(__name__)

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
_ABORT_SOURCES = {0: "service-user", 1: "reserved", 2: "service-provider"}


class Session:
    """An established association (:attr:`link`) to :attr:`peer`, with the errors for its failures."""

    def __init__(self, link: adapter.Association, peer: Peer) -> None:
        self.link = link
        self.peer = peer
        self._message_id = 0

    @property
    def accepted_contexts(self) -> tuple[AcceptedContext, ...]:
        return self.link.accepted_contexts

    @property
    def peer_max_pdu(self) -> int:
        """The largest P-DATA-TF the peer accepts (0 = unlimited, PS3.8 D.1)."""
        return self.link.peer_max_pdu

    def next_message_id(self) -> int:
        """A fresh DIMSE Message ID (PS3.7 §9.3.1.1: unique among outstanding requests), 1..65535."""
        self._message_id = self._message_id % 65535 + 1
        return self._message_id

    def check(self, operation: str) -> None:
        """Raise the right NetworkError when an operation got no answer (aborted, timed out, dropped)."""
        if self.link.is_established:
            return
        raise broken_error(self.peer, self.link.attempt, operation)

    def abandon(self) -> None:
        """Abort the association (A-ABORT, PS3.8 §9.3.8) after a local failure left a message incomplete."""
        self.link.abort()

    def raise_if_broken(self, operation: str) -> None:
        """Raise when the peer aborted or the connection dropped while we were sending."""
        link = self.link
        if link.attempt.abort_source is not None or link.is_aborted or not link.is_established:
            raise self.broken(operation)

    def broken(self, operation: str, exc: BaseException | None = None) -> NetworkError:
        """The error for an association that broke during ``operation`` (A-ABORT seen, else dropped)."""
        attempt = self.link.attempt
        if attempt.abort_source is None and exc is not None:
            # give the DUL thread a moment to read a pending A-ABORT so we can name its source
            deadline = time.monotonic() + 0.2
            while attempt.abort_source is None and time.monotonic() < deadline and self.link.dul_alive():
                time.sleep(0.005)
        if attempt.abort_source is not None:
            return broken_error(self.peer, attempt, operation)
        return AssociationAbortedError("net.aborted", peer=str(self.peer), operation=operation, source="network")

    def wait_response(self, message_id: int, operation: str) -> Dataset:
        """The response status of request ``message_id`` (Status and optional status elements, PS3.7 Annex C).

        Raises ResponseTimeoutError after the DIMSE timeout (the association is aborted, PS3.7 §9.1), or
        AssociationAbortedError when the peer aborted / the connection dropped.
        """
        answer = self.link.wait_response(message_id)
        if answer is adapter.NoResponse.TIMEOUT:
            raise ResponseTimeoutError("net.timeout", peer=str(self.peer), operation=operation)
        if answer is adapter.NoResponse.ENDED:
            raise self.broken(operation, ConnectionAbortedError())
        if answer is adapter.NoResponse.INVALID:
            raise self.broken(operation)
        return answer


def broken_error(peer: Peer, attempt: Attempt, operation: str) -> NetworkError:
    """The error for an association that ended without an answer."""
    if attempt.abort_source is not None:
        return AssociationAbortedError("net.aborted", peer=str(peer), operation=operation,
                                       source=_ABORT_SOURCES.get(attempt.abort_source, "unknown"))
    return ResponseTimeoutError("net.timeout", peer=str(peer), operation=operation)


def _failed(peer: Peer, attempt: Attempt, accepted: Sequence[AcceptedContext],
            contexts: Sequence[Context]) -> NetworkError:
    """The error for an association attempt that did not end established with a usable context."""
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


@contextmanager
def open_session(settings: LinkSettings, peer: Peer, contexts: Sequence[Context], *,
                 ack_every_pdu: bool = False) -> Iterator[Session]:
    """Open an association with exactly ``contexts`` (≤ 128, PS3.8 §9.3.2.2); release it on exit."""
    LOG.info("associating with %s (%d contexts)", peer, len(contexts))
    link = adapter.associate(settings, peer, contexts, ack_every_pdu=ack_every_pdu)
    try:
        if not link.is_established or not link.accepted_contexts:
            if link.is_established:
                link.abort()  # established, but with nothing we can use
            raise _failed(peer, link.attempt, link.accepted_contexts, contexts)
        session = Session(link, peer)
        try:
            yield session
        except BaseException:
            link.abort()
            raise
        else:
            link.release()
    finally:
        link.close()
