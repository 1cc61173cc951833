"""C-ECHO SCU (PS3.4 Annex A Verification, PS3.7 §9.1.5): is the peer there, and how fast does it answer."""

from __future__ import annotations

import time
from dataclasses import dataclass

from pynetdicom.presentation import build_context

from smartbox_next.config import Config
from smartbox_next.dicom.peer import Peer
from smartbox_next.dicom.sop import VERIFICATION
from smartbox_next.errors import DimseError
from smartbox_next.net._session import open_session


@dataclass(frozen=True)
class EchoResult:
    """Timings of one verification: association set-up and the C-ECHO round trip, in milliseconds."""

    peer: Peer
    status: int
    association_ms: float
    echo_ms: float

    @property
    def total_ms(self) -> float:
        return self.association_ms + self.echo_ms


def echo(config: Config, peer: Peer) -> EchoResult:
    """Associate with Verification (Implicit VR LE, PS3.5 §10.1), send one C-ECHO, release.

    Raises the association errors of :func:`open_session`, or DimseError ``echo.failed`` for a non-zero status.
    """
    t0 = time.perf_counter()
    with open_session(config, peer, [build_context(VERIFICATION)]) as session:
        t1 = time.perf_counter()
        status_ds = session.echo()
        t2 = time.perf_counter()
    status = int(status_ds.Status)
    if status != 0x0000:
        raise DimseError("echo.failed", peer=str(peer), status=status, code=f"0x{status:04X}")
    return EchoResult(peer=peer, status=status, association_ms=(t1 - t0) * 1000, echo_ms=(t2 - t1) * 1000)
