"""The services of one data folder, as ``smartbox serve`` and ``smartbox station`` both run them: the sending service
(C-STORE, one worker per destination) and beside it the workflow service (MPPS N-CREATE/N-SET, Storage Commitment
N-ACTION and, with ``listener.port`` set, the listener for reports on a new association).

Both get the same configuration and the same stop event, and a C-STORE that finishes wakes its destination's
commitment worker at once (:meth:`~smartbox_next.delivery.workflow.WorkflowService.notify_stored`). The workflow
service starts first: a listener that cannot open its port (``listener.bind_failed``, a ConfigError) is raised
before anything else runs, and the caller reports it like any other configuration error.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from smartbox_next.config import Config
from smartbox_next.delivery.destination import Destination
from smartbox_next.delivery.workers import Listener, SenderService
from smartbox_next.delivery.workflow import Event, WorkflowService, workflow_notices
from smartbox_next.spool.outbox import Job, Outbox


@dataclass(frozen=True)
class Services:
    """The sending and the workflow service of a data folder (started by :func:`start_services`)."""

    config: Config
    sender: SenderService
    workflow: WorkflowService

    def notices(self) -> list[tuple[str, dict[str, Any]]]:
        """What to tell at start about commitment reports and peers (text keys, parameters)."""
        return workflow_notices(self.config, self.workflow)

    def listening(self) -> bool:
        """Whether the listener for commitment reports runs."""
        return self.workflow.server is not None

    def join(self, timeout: float | None = None) -> None:
        """Wait for both after the stop event was set (the listener is shut down last)."""
        self.sender.join(timeout)
        self.workflow.join(timeout)


def start_services(config: Config, outbox: Outbox, dests: Sequence[Destination], *, stop: threading.Event,
                   on_job: Listener | None = None, on_event: Event | None = None) -> Services:
    """Start the workflow service (workers and listener) and build the sending service around it.

    The sending service is returned unstarted: ``serve --until-idle`` runs it with ``run_until_idle``, the others
    call ``services.sender.start()``. ``on_job`` hears every job change (then the commitment worker is woken),
    ``on_event`` what the workflow service did (text key, parameters).
    """
    workflow = WorkflowService(config, outbox, stop=stop, on_event=on_event)
    workflow.start()

    def listener(destination: str, job: Job, what: str) -> None:
        if on_job is not None:
            on_job(destination, job, what)
        if what == "sent":
            workflow.notify_stored(destination)

    return Services(config, SenderService(config, outbox, dests, stop=stop, listener=listener), workflow)
