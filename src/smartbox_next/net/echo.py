"""C-ECHO SCU (PS3.4 Annex A Verification, PS3.7 §9.1.5): is the peer there, and how fast does it answer.

:func:`echo` runs over the native upper layer (:mod:`smartbox_next.net.ulp`, stdlib sockets): ``smartbox echo``
loads neither pynetdicom nor pydicom nor numpy (issue 13), with the same guard, TLS trust model and errors
(:mod:`smartbox_next.net.outcome`) as the pynetdicom associations. :func:`send_echo` sends a C-ECHO on an
association of :mod:`smartbox_next.net.session` (pynetdicom), e.g. to check one is alive.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from smartbox_next.dicom.peer import Peer
from smartbox_next.errors import DimseError
from smartbox_next.net import pdu, ulp
from smartbox_next.net.link import VERIFICATION_CONTEXT, Context, LinkSettings
from smartbox_next.net.outcome import StopCheck

if TYPE_CHECKING:
    from smartbox_next.net.session import Session


@dataclass(frozen=True)
class EchoResult:
    """Timings of one verification: association set-up and the C-ECHO round trip, in milliseconds."""

    peer: Peer
    status: int
    association_ms: float
    echo_ms: float



def echo_context() -> Context:
    """What C-ECHO proposes: Verification with the default transfer syntaxes (Implicit VR LE first, PS3.5 §10.1)."""
    return VERIFICATION_CONTEXT


def send_echo(session: Session, timeout: float) -> int:
    """One C-ECHO-RQ on a pynetdicom session's accepted Verification context and the status of its response
    (PS3.7 §9.3.5)."""
    from smartbox_next.net.stream import send_message  # the pynetdicom path's writer; smartbox echo needs none

    context_id = ulp.verification_context_id(session.accepted_contexts, session.peer)
    message_id = session.next_message_id()
    send_message(session, context_id, pdu.echo_command(message_id), None, timeout=timeout)
    return int(session.wait_response(message_id, "C-ECHO").Status)


def echo(settings: LinkSettings, peer: Peer, *, stop: StopCheck | None = None) -> EchoResult:
    """Associate with Verification (Implicit VR LE, PS3.5 §10.1), send one C-ECHO, release (PS3.8 §9.3.6).

    Raises the association errors of :func:`smartbox_next.net.ulp.open_association`, or DimseError
    ``echo.failed`` for a non-zero status.
    """
    t0 = time.perf_counter()
    with ulp.open_association(settings, peer, [echo_context()], stop=stop) as assoc:
        t1 = time.perf_counter()
        status = ulp.echo(assoc)
        t2 = time.perf_counter()
    if status != 0x0000:
        raise DimseError("echo.failed", peer=str(peer), status=status, code=f"0x{status:04X}")
    return EchoResult(peer=peer, status=status, association_ms=(t1 - t0) * 1000, echo_ms=(t2 - t1) * 1000)
