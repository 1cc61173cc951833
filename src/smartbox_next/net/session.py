"""Associations over pynetdicom as MPPS and Storage Commitment use them: its outcomes (via the adapter) as
project errors. C-ECHO, C-STORE (:mod:`smartbox_next.net.store_session`) and the worklist C-FIND
(:mod:`smartbox_next.net.worklist`) run on the native upper layer.

``open_session(settings, peer, contexts)`` is a context manager yielding a :class:`Session`; it raises
ConnectError (no TCP connection, a failed TLS handshake, a peer that is no DICOM node), AssociationRejectedError
(A-ASSOCIATE-RJ, PS3.8 §9.3.4; retryable only for a transient rejection), AssociationAbortedError (A-ABORT /
A-P-ABORT, PS3.8 §9.3.8, or a protocol violation of the peer that made us abort), ResponseTimeoutError, or
NoAcceptedContextError. On exit the association is released (A-RELEASE, §9.3.7), or aborted when the block
raised. The mapping of an attempt's outcome to project exceptions is :mod:`smartbox_next.net.outcome` (DESIGN
principle 5: one place, shared with the native upper layer of ``smartbox echo``, :mod:`smartbox_next.net.ulp`);
this module sees pynetdicom only through :mod:`smartbox_next.net.adapter`.

What the peer did wrong (:class:`~smartbox_next.net.link.Fault`, recorded by the guard and the TLS context)
comes first: "sent a P-DATA-TF PDU of 4294967295 bytes, more than the 131072 announced" rather than
"aborted by the service-provider". A caller's ``stop`` (SIGTERM) reaches the association: the sender and the
wait for a response notice it, the association is aborted and :class:`Stopped` raised — no outcome for the
object in flight.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from pydicom.dataset import Dataset

from smartbox_next.dicom.peer import Peer
from smartbox_next.errors import NetworkError
from smartbox_next.net import adapter
from smartbox_next.net.link import AcceptedContext, Context, LinkSettings
from smartbox_next.net.outcome import (
    StopCheck,
    Stopped,
    association_error,
    broken_error,
    dropped_error,
    timeout_error,
)

__all__ = ["Session", "StopCheck", "Stopped", "open_session"]  # StopCheck, Stopped: from outcome.py, for the senders

LOG = logging.getLogger(__name__)


class Session:
    """An established association (:attr:`link`) to :attr:`peer`, with the errors for its failures."""

    def __init__(self, link: adapter.Association, peer: Peer, stop: StopCheck | None = None) -> None:
        self.link = link
        self.peer = peer
        self.stop = stop
        self._message_id = 0

    def check_stop(self) -> None:
        """Raise :class:`Stopped` once the caller's stop is set; :func:`open_session` then aborts.

        Never aborts here: this runs inside a locked write, and the DUL needs the lock for the A-ABORT.
        """
        if self.stop is not None and self.stop():
            raise Stopped

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
        """Raise when the peer aborted, broke the protocol or the connection dropped while we were sending;
        :class:`Stopped` once the caller's stop is set."""
        self.check_stop()
        link = self.link
        if (link.attempt.abort_source is not None or link.attempt.fault is not None or link.is_aborted
                or not link.is_established):
            raise self.broken(operation)

    def broken(self, operation: str, exc: BaseException | None = None) -> NetworkError:
        """The error for an association that broke during ``operation`` (fault or A-ABORT seen, else dropped)."""
        attempt = self.link.attempt
        if attempt.abort_source is None and attempt.fault is None and exc is not None:
            # give the DUL thread a moment to read a pending A-ABORT so we can name its source
            deadline = time.monotonic() + 0.2
            while (attempt.abort_source is None and attempt.fault is None and time.monotonic() < deadline
                   and self.link.dul_alive()):
                time.sleep(0.005)
        return dropped_error(self.peer, attempt, operation)

    def wait_response(self, message_id: int, operation: str) -> Dataset:
        """The response status of request ``message_id`` (Status and optional status elements, PS3.7 Annex C).

        Raises ResponseTimeoutError after the DIMSE timeout (the association is aborted, PS3.7 §9.1),
        AssociationAbortedError when the peer aborted / broke the protocol / the connection dropped, and
        :class:`Stopped` (after aborting) once the caller's stop is set.
        """
        answer = self.link.wait_response(message_id, self.stop)
        if answer is adapter.NoResponse.STOPPED:
            raise Stopped  # open_session aborts the association
        if answer is adapter.NoResponse.TIMEOUT:
            raise timeout_error(self.peer, self.link.attempt, operation)  # e.g. a response PDU that trickled in
        if answer is adapter.NoResponse.ENDED:
            raise self.broken(operation, ConnectionAbortedError())
        if answer is adapter.NoResponse.INVALID:
            raise self.broken(operation)
        return answer


@contextmanager
def open_session(settings: LinkSettings, peer: Peer, contexts: Sequence[Context], *,
                 stop: StopCheck | None = None) -> Iterator[Session]:
    """Open an association with exactly ``contexts`` (≤ 128, PS3.8 §9.3.2.2); release it on exit.

    ``stop``: checked by the senders and the wait for a response (see :class:`Stopped`).
    """
    LOG.info("associating with %s (%d contexts)", peer, len(contexts))
    link = adapter.associate(settings, peer, contexts, stop=stop)
    try:
        if stop is not None and stop():
            link.abort()
            raise Stopped
        if not link.is_established or not link.accepted_contexts:
            if link.is_established:
                link.abort()  # established, but with nothing we can use
            raise association_error(peer, link.attempt, link.accepted_contexts, contexts)
        session = Session(link, peer, stop)
        try:
            yield session
        except BaseException:
            link.abort()
            raise
        else:
            link.release()
    finally:
        link.close()
