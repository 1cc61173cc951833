"""C-ECHO SCU (PS3.4 Annex A Verification, PS3.7 §9.1.5): is the peer there, and how fast does it answer."""

from __future__ import annotations

import time
from dataclasses import dataclass

from smartbox_next.dicom.peer import Peer
from smartbox_next.errors import DimseError, NoAcceptedContextError
from smartbox_next.net.adapter import echo_command
from smartbox_next.net.link import VERIFICATION_CONTEXT, Context, LinkSettings
from smartbox_next.net.session import Session, open_session
from smartbox_next.net.stream import send_message


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
    """One C-ECHO-RQ on the accepted Verification context and the status of its response (PS3.7 §9.3.5)."""
    context_id = next((cx.context_id for cx in session.accepted_contexts
                       if cx.abstract_syntax == VERIFICATION_CONTEXT.abstract_syntax), None)
    if context_id is None:
        raise NoAcceptedContextError("net.no_context", peer=str(session.peer),
                                     sop_class=VERIFICATION_CONTEXT.abstract_syntax,
                                     transfer_syntax=VERIFICATION_CONTEXT.transfer_syntaxes[0])
    message_id = session.next_message_id()
    send_message(session, context_id, echo_command(message_id), None, timeout=timeout)
    return int(session.wait_response(message_id, "C-ECHO").Status)


def echo(settings: LinkSettings, peer: Peer) -> EchoResult:
    """Associate with Verification (Implicit VR LE, PS3.5 §10.1), send one C-ECHO, release.

    Raises the association errors of :func:`open_session`, or DimseError ``echo.failed`` for a non-zero status.
    """
    t0 = time.perf_counter()
    with open_session(settings, peer, [echo_context()]) as session:
        t1 = time.perf_counter()
        status = send_echo(session, settings.network_timeout)
        t2 = time.perf_counter()
    if status != 0x0000:
        raise DimseError("echo.failed", peer=str(peer), status=status, code=f"0x{status:04X}")
    return EchoResult(peer=peer, status=status, association_ms=(t1 - t0) * 1000, echo_ms=(t2 - t1) * 1000)
