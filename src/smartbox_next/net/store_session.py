"""The association C-STORE runs on: the native upper layer (:mod:`smartbox_next.net.ulp`), stdlib sockets only.

``smartbox send`` and the delivery workers send over this, so a send loads neither pynetdicom nor pydicom nor
numpy (issue 13) unless an object must be converted (:mod:`smartbox_next.net.fallback` imports pydicom
then). ``open_store_session(settings, peer, contexts, stop=...)`` yields a :class:`StoreSession` with what the
sender (:mod:`smartbox_next.net.store`) and the streaming writer (:mod:`smartbox_next.net.stream`) need — the
same surface :class:`smartbox_next.net.session.Session` (pynetdicom; MPPS, Storage Commitment, worklist)
offers:

* **Negotiation** (PS3.8 §9.3.2-§9.3.4) by :func:`smartbox_next.net.ulp.open_association`: accepted contexts
  checked against what we proposed, the peer's Maximum Length (D.1; 0 = unlimited) limits our P-DATA-TF,
  A-ASSOCIATE-RJ reasons, A-ABORT, every read through :class:`~smartbox_next.net.guard.PduGuard`, TLS;
  errors from :mod:`smartbox_next.net.outcome` (the one translation, bilingual texts).
* **Writing**: :attr:`link` hands out the association's :class:`~smartbox_next.net.wire.PduSocket` (plain TCP:
  ``sendmsg``/``sendfile``; TLS: :class:`~smartbox_next.net.wire.TlsPduSocket`). One thread owns the
  association, so there is no second writer; while a write waits for a slow peer, :meth:`raise_if_broken`
  looks for the peer's A-ABORT (plain TCP) and the caller's stop.
* **C-STORE-RSP** (PS3.7 §9.3.1.2) read natively: Status (0000,0900), Error Comment (0000,0902), Message ID
  Being Responded To (0000,0120); the DIMSE timeout (PS3.7 §9.1) aborts.
* **Ending**: released on exit (A-RELEASE, §9.3.7), aborted (A-ABORT, §9.3.8) when the block raises, when
  :meth:`abandon` is called after a local read failure, or once ``stop()`` is true (SIGTERM):
  :class:`~smartbox_next.net.outcome.Stopped`.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from smartbox_next.dicom.peer import Peer
from smartbox_next.errors import NetworkError
from smartbox_next.net import pdu, ulp
from smartbox_next.net.link import AcceptedContext, Context, LinkSettings
from smartbox_next.net.outcome import StopCheck, Stopped, dropped_error

__all__ = ["StopCheck", "Stopped", "StoreSession", "open_store_session"]


class StoreSession:
    """An established native association (:attr:`link`) to :attr:`peer`, with the errors for its failures."""

    def __init__(self, link: ulp.Association) -> None:
        self.link = link
        self.peer: Peer = link.peer
        self.stop = link.stop

    @property
    def accepted_contexts(self) -> tuple[AcceptedContext, ...]:
        return self.link.accepted_contexts

    @property
    def peer_max_pdu(self) -> int:
        """The largest P-DATA-TF the peer accepts (0 = unlimited, PS3.8 D.1)."""
        return self.link.peer_max_pdu

    def next_message_id(self) -> int:
        """A fresh DIMSE Message ID (PS3.7 §9.3.1.1: unique among outstanding requests), 1..65535."""
        return self.link.next_message_id()

    def check_stop(self) -> None:
        """Raise :class:`Stopped` once the caller's stop is set; :func:`open_store_session` then aborts."""
        if self.stop is not None and self.stop():
            raise Stopped

    def abandon(self) -> None:
        """Abort the association (A-ABORT, PS3.8 §9.3.8) after a local failure left a message incomplete."""
        self.link.abort()

    def raise_if_broken(self, operation: str) -> None:
        """Raise when the peer aborted, broke the protocol or the connection dropped while we were sending;
        :class:`Stopped` once the caller's stop is set. With TLS only the stop is checked here (a read while
        an ``SSLSocket`` write is pending is not safe); the write's own failure tells the rest."""
        self.check_stop()
        link = self.link
        alive = not link.ended and (link.is_tls or link.poll_peer())
        if not alive or link.attempt.abort_source is not None or link.attempt.fault is not None:
            raise self.broken(operation)

    def broken(self, operation: str, exc: BaseException | None = None) -> NetworkError:
        """The error for an association that broke during ``operation`` (fault or A-ABORT seen, else dropped).

        After a failed write (``exc``) the peer's A-ABORT may still wait unread: it is read (at most 0.2 s)
        so the error names its source.
        """
        link = self.link
        attempt = link.attempt
        if attempt.abort_source is None and attempt.fault is None and exc is not None:
            answer = link.read_pdu(time.monotonic() + 0.2)
            if answer is not None and answer[0] == pdu.A_ABORT:
                attempt.abort_source = answer[1][2]
        return dropped_error(self.peer, attempt, operation)

    def wait_response(self, message_id: int, operation: str) -> ulp.Response:
        """The response to request ``message_id``: Status, Error Comment (PS3.7 Annex C).

        Raises ResponseTimeoutError after the DIMSE timeout (the association is aborted, PS3.7 §9.1),
        AssociationAbortedError when the peer aborted / broke the protocol / the connection dropped, and
        :class:`Stopped` once the caller's stop is set.
        """
        return self.link.wait_response(message_id, operation)


@contextmanager
def open_store_session(settings: LinkSettings, peer: Peer, contexts: Sequence[Context], *,
                       stop: StopCheck | None = None) -> Iterator[StoreSession]:
    """Open an association with exactly ``contexts`` (≤ 128, PS3.8 §9.3.2.2); release it on exit, abort it
    when the block raises.

    Raises ConnectError, AssociationRejectedError, AssociationAbortedError, ResponseTimeoutError or
    NoAcceptedContextError (:func:`smartbox_next.net.outcome.association_error`); :class:`Stopped` once
    ``stop()`` is true.
    """
    with ulp.open_association(settings, peer, contexts, stop=stop) as link:
        yield StoreSession(link)
