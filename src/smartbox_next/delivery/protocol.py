"""The contract between the sending service and a destination: :class:`Destination` and :class:`JobOutcome`.

Its own module so that every destination kind (:mod:`~smartbox_next.delivery.destination`,
:mod:`~smartbox_next.delivery.dicomweb`) implements it without importing the others; the contract itself is
described in :mod:`smartbox_next.delivery.destination`, which re-exports both names.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

from smartbox_next.errors import SmartboxError
from smartbox_next.spool.outbox import Job


@dataclass(frozen=True)
class JobOutcome:
    """What became of one job at one destination: delivered (``error`` None, maybe with a warning) or failed."""

    job: Job
    error: SmartboxError | None = None
    warning: str | None = None  # English text of a delivery warning, stored with the job

    @property
    def ok(self) -> bool:
        return self.error is None


class Destination(Protocol):
    """A place jobs are delivered to (see the module docstring for the contract)."""

    @property
    def name(self) -> str:
        """The outbox destination name of its jobs."""
        ...

    def send(self, jobs: Sequence[Job], stop: threading.Event) -> Iterator[JobOutcome]:
        """Deliver ``jobs`` (their files exist), yielding one outcome per attempted job, in any order.

        Stops early once ``stop`` is set (the jobs not reported go back to the queue). A failure of one
        object is an outcome, not an exception.
        """
        ...

    def close(self) -> None:
        """Release what the destination holds (called once, by the worker that used it)."""
        ...
