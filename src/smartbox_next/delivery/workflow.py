"""The workflow service: MPPS and Storage Commitment messages out of the outbox, reports in through the listener.

Started by ``smartbox serve`` and ``smartbox station`` next to the C-STORE
:class:`~smartbox_next.delivery.workers.SenderService` (both through :mod:`smartbox_next.app.services`), with the
same retry policy and the same rule: the database is the truth, a thread only moves rows along.

* **MPPS** — one worker per peer with role ``mpps`` sends the exam's messages in order (N-CREATE, then N-SET;
  ``spool/messages.py``). A message whose outcome is unknown (timeout, abort after sending) is sent again;
  :mod:`smartbox_next.net.mpps` tells a duplicate N-CREATE from a real failure.
* **Storage Commitment** — one worker per storage peer that also has role ``commitment`` plans requests for
  the objects stored there (``spool/commitments.py``: per exam, once the exam has ended), sends each N-ACTION
  and waits ``commitment.wait_on_association`` seconds for the report on that association.
* **Listener** — with ``listener.port`` set, reports on a new association (PS3.4 J.3.3.1.3) arrive here too.

:meth:`WorkflowService.handle_report` applies a report from either way: it must pass
:func:`~smartbox_next.net.commitment.parse_report`, name a Transaction UID of this station, come from that
request's peer (AE title; host on the listener) and list exactly the request's instances — else it is answered
with a failure status and nothing changes. A report that arrives while no worker waits for it (after a
restart) is matched the same way: the request is in the database.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable
from typing import Any, Literal

from smartbox_next.config import Config
from smartbox_next.delivery.retry import RetryPolicy
from smartbox_next.dicom.payload import from_bytes, to_bytes
from smartbox_next.dicom.peer import Peer, PeerRole
from smartbox_next.dicom.uid import generate_uid
from smartbox_next.errors import (
    AssociationAbortedError,
    CommitmentError,
    ConfigError,
    NetworkError,
    ResponseTimeoutError,
    SmartboxError,
)
from smartbox_next.net import listener as net_listener
from smartbox_next.net.adapter import EventReport, Server
from smartbox_next.net.commitment import (
    INVALID_ARGUMENT,
    PROCESSING_FAILURE,
    SUCCESS,
    ParsedReport,
    Refusal,
    action_information,
    parse_report,
    request_commitment,
    requested_instances,
)
from smartbox_next.net.link import LinkSettings
from smartbox_next.net.mpps import send_mpps
from smartbox_next.spool.commitments import CommitmentStore, ReportItem
from smartbox_next.spool.messages import MPPS_KINDS, Message, MessageKind, MessageStore
from smartbox_next.spool.outbox import JobState, Outbox

LOG = logging.getLogger(__name__)

Round = Literal["idle", "done", "error"]
Event = Callable[[str, dict[str, Any]], None]  # (text key, parameters): what the console may show


def _unknown_outcome(exc: SmartboxError) -> bool:
    """The request may have reached the peer: the association broke or timed out after it was sent."""
    return isinstance(exc, AssociationAbortedError | ResponseTimeoutError)


def _same_host(configured: str, seen: str) -> bool:
    """Whether the address a report came from is the configured peer's host (resolved once per report)."""
    if configured == seen:
        return True
    try:
        return seen in {info[4][0] for info in socket.getaddrinfo(configured, None)}
    except OSError:
        return False


class _UntilDelivered:
    """The retry policy for workflow messages: its delays, but no giving up on a transient error.

    An unreachable RIS or archive is the normal case the outbox exists for; an N-CREATE or a commitment
    request dropped after the attempt limit would lose the exam's report or leave objects uncommitted for
    good. The message stays ``retry_wait`` with its reason (``smartbox exam show``), and objects become
    "commitment overdue" after ``commitment.window_hours``. Only a refusal (not retryable) fails a message.
    """

    def __init__(self, policy: RetryPolicy) -> None:
        self.policy = policy

    def next_delay(self, exc: BaseException, attempt: int, elapsed: float) -> float | None:
        return self.policy.delay(attempt) if getattr(exc, "retryable", False) else None


class WorkflowService:
    """MPPS and commitment workers, and the listener, until ``stop`` is set."""

    def __init__(self, config: Config, outbox: Outbox, *, stop: threading.Event | None = None,
                 on_event: Event | None = None, poll: float = 0.5) -> None:
        self.config = config
        self.outbox = outbox
        self.messages = MessageStore(outbox)
        self.commitments = CommitmentStore(outbox)
        self.stop = stop or threading.Event()
        self.on_event = on_event
        self.poll = poll
        self.policy = RetryPolicy.from_config(config.retry)
        self.until_delivered = _UntilDelivered(self.policy)
        self.settings = LinkSettings.of(config.station, config.network)
        self.mpps_peers = config.mpps_peers()
        self.commitment_peers = config.commitment_peers()
        self._wake = {name: threading.Event() for name in self.commitment_peers}
        self._threads: list[threading.Thread] = []
        self.server: Server | None = None

    # ---------------------------------------------------------------- life cycle

    def start(self) -> None:
        """Recover interrupted messages, start the listener (if configured) and one worker per peer."""
        recovered = self.messages.recover()
        if recovered:
            LOG.info("%d workflow message(s) interrupted by a crash queued again", recovered)
        if self.config.listener.port and self.commitment_peers:
            lc = self.config.listener
            try:
                self.server = net_listener.start(self.config.station, lc, self.config.network,
                                                 [p.ae_title for p in self.commitment_peers.values()],
                                                 self._on_listener_report)
            except OSError as exc:
                raise ConfigError("listener.bind_failed", host=lc.host, port=lc.port,
                                  detail=exc.strerror or str(exc)) from None
            LOG.info("listening on %s:%d as %s for commitment reports", self.server.host, self.server.port,
                     net_listener.listener_ae_title(self.config.station, self.config.listener))
        for name in self.mpps_peers:
            self._spawn(f"mpps-{name}", self._loop, name, self.mpps_step, MPPS_KINDS)
        for name in self.commitment_peers:
            self._spawn(f"commit-{name}", self._loop, name, self.commitment_step, (MessageKind.COMMITMENT,))

    def _spawn(self, thread_name: str, target: Callable[..., None], *args: Any) -> None:
        t = threading.Thread(target=target, args=args, name=thread_name, daemon=True)
        t.start()
        self._threads.append(t)

    def join(self, timeout: float | None = None) -> None:
        for t in self._threads:
            t.join(timeout)
        if self.server is not None:
            self.server.shutdown()
            self.server = None

    def notify_stored(self, destination: str) -> None:
        """A C-STORE to ``destination`` finished: its commitment worker plans at once instead of at the next poll."""
        wake = self._wake.get(destination)
        if wake is not None:
            wake.set()

    def pending(self) -> int:
        """Messages still to be sent, objects ready to be requested, and reports awaited on an open association."""
        return (self.messages.pending(list(self.mpps_peers), MPPS_KINDS)
                + self.messages.pending(list(self.commitment_peers), (MessageKind.COMMITMENT,))
                + self.commitments.outstanding(list(self.commitment_peers),
                                               linger=self.config.commitment.wait_on_association))

    def _loop(self, name: str, step: Callable[[str], Round], kinds: tuple[MessageKind, ...]) -> None:
        wake = self._wake.get(name)
        try:
            while not self.stop.is_set():
                result = step(name)
                if result == "done":
                    continue
                delay = self.policy.initial_delay if result == "error" else self.poll
                due = self.messages.next_due(name, kinds)
                if result == "idle" and due is not None:
                    delay = max(0.0, min(delay, due - time.time()))
                if wake is not None:
                    wake.wait(delay)
                    wake.clear()
                else:
                    self.stop.wait(delay)
        finally:
            self.outbox.close()

    def _emit(self, key: str, **params: Any) -> None:
        if self.on_event is not None:
            self.on_event(key, params)

    # ---------------------------------------------------------------- MPPS

    def mpps_step(self, name: str) -> Round:
        """Send the next due MPPS message to peer ``name``."""
        message = self.messages.claim(name, MPPS_KINDS)
        if message is None:
            return "idle"
        if self.stop.is_set():
            self.messages.release(message.id)
            return "idle"
        op: Literal["N-CREATE", "N-SET"] = "N-CREATE" if message.kind is MessageKind.MPPS_CREATE else "N-SET"
        try:
            warning = send_mpps(self.settings, self.mpps_peers[name], op, message.uid, from_bytes(message.payload),
                                retried=message.unknown_outcome)
        except SmartboxError as exc:
            updated = self.messages.mark_failed(message.id, exc, self.until_delivered,
                                                unknown_outcome=_unknown_outcome(exc))
            LOG.warning("%s of exam %s to %s: %s (%s, attempt %d)", op, message.exam_id, name, exc.key,
                        updated.state.value, updated.attempts)
            self._emit(f"workflow.mpps_{updated.state.value}", peer=name, exam=message.exam_id, operation=op)
            return "done"
        except Exception:  # never let a worker die silently; the message stays safe
            LOG.exception("%s of exam %s to %s: unexpected error; message returned to the queue", op,
                          message.exam_id, name)
            self.messages.release(message.id)
            return "error"
        self.messages.mark_sent(message.id, warning)
        LOG.info("%s of exam %s (PPS %s) accepted by %s", op, message.exam_id, message.uid, name)
        self._emit("workflow.mpps_sent", peer=name, exam=message.exam_id, operation=op)
        return "done"

    # ---------------------------------------------------------------- Storage Commitment

    def commitment_step(self, name: str) -> Round:
        """Plan the due requests of destination ``name`` and send the next one."""
        cfg = self.config.commitment
        self.commitments.plan(name, batch_size=cfg.batch_size, report_timeout=cfg.report_timeout,
                              new_uid=lambda: generate_uid(self.config.uid.root),
                              payload=lambda uid, items: to_bytes(action_information(uid, items)))
        message = self.messages.claim(name, (MessageKind.COMMITMENT,))
        if message is None:
            return "idle"
        if self.stop.is_set():
            self.messages.release(message.id)
            return "idle"
        accepted = threading.Event()

        def on_accepted() -> None:
            self.messages.mark_sent(message.id, also=lambda conn: self.commitments.accepted(conn, message.uid))
            accepted.set()
            LOG.info("commitment request %s (%d objects) accepted by %s", message.uid,
                     len(requested_instances(from_bytes(message.payload))), name)

        def resolved() -> bool:
            current = self.messages.message(message.id)
            return current is not None and current.reported is not None

        try:
            request_commitment(self.settings, self.commitment_peers[name], from_bytes(message.payload),
                               on_accepted=on_accepted, on_report=self._on_association_report,
                               resolved=resolved, linger=cfg.wait_on_association, stop=self.stop)
        except NetworkError as exc:
            if accepted.is_set():  # the request is with the archive; the association broke while we waited
                LOG.info("commitment request %s: association ended while waiting (%s); the report may come on "
                         "the listener", message.uid, exc.key)
                return "done"
            self._request_failed(message, exc)
            return "done"
        except CommitmentError as exc:
            self._request_failed(message, exc)
            return "done"
        except Exception:
            if accepted.is_set():
                LOG.exception("commitment request %s: unexpected error after it was accepted", message.uid)
                return "error"
            LOG.exception("commitment request %s: unexpected error; returned to the queue", message.uid)
            self.messages.release(message.id)
            return "error"
        return "done"

    def _request_failed(self, message: Message, exc: SmartboxError) -> None:
        """A request the archive did not accept. Refused with a status: its Transaction UID is dead (PS3.4
        J.3.2.1.2), the objects get a new request later (busy) or fail (refused). Not delivered (network): the
        same request is sent again by the retry policy; given up, its objects fail."""
        refused = isinstance(exc, CommitmentError)
        now = time.time()

        def settle(conn: Any, updated: Message) -> None:
            if refused:
                retry_at = now + self.policy.delay(updated.attempts) if exc.retryable else None
                self.commitments.refused(conn, message.uid, exc, retry_at=retry_at)
            elif updated.state is JobState.FAILED:
                self.commitments.refused(conn, message.uid, exc, retry_at=None)

        if refused:
            updated = self.messages.fail(message.id, exc, settle)
        else:
            updated = self.messages.mark_failed(message.id, exc, self.until_delivered, settle,
                                                unknown_outcome=_unknown_outcome(exc))
        LOG.warning("commitment request %s to %s: %s (%s)", message.uid, message.destination, exc.key,
                    updated.state.value)
        self._emit("workflow.commitment_request_failed", peer=message.destination)

    def _on_listener_report(self, report: EventReport) -> int:
        try:
            return self.handle_report(report, via="listener")
        finally:
            self.outbox.close()  # this thread belongs to the listener's association

    def _on_association_report(self, report: EventReport) -> int:
        try:
            return self.handle_report(report, via="association")
        finally:
            self.outbox.close()  # the DICOM library serves the report in a thread of its own

    def handle_report(self, report: EventReport, *, via: str) -> int:
        """Check and apply one commitment report (see the module docstring); returns the response status."""
        parsed = parse_report(report)
        if isinstance(parsed, Refusal):
            LOG.warning("commitment report from %s (%s) refused: %s", report.calling_ae, via, parsed.reason)
            return parsed.status
        message = self.messages.transaction(parsed.transaction_uid)
        refusal = self._check(report, parsed, message, via)
        if refusal is not None:
            LOG.warning("commitment report %s from %s (%s) refused: %s", parsed.transaction_uid, report.calling_ae,
                        via, refusal.reason)
            return refusal.status
        assert message is not None
        if message.reported is not None:
            LOG.info("commitment report %s came again (%s); applied already", parsed.transaction_uid, via)
            return SUCCESS
        items = [ReportItem(c, i) for c, i in parsed.committed] + [ReportItem(c, i, r) for c, i, r in parsed.failed]
        with self.outbox.transaction() as conn:
            applied = self.commitments.apply(conn, parsed.transaction_uid, message.destination, items,
                                             max_resends=self.config.commitment.max_resends)
            self.messages.mark_reported(conn, message.id)
        LOG.info("commitment report %s from %s (%s): %d committed, %d sent again, %d failed, %d ignored",
                 parsed.transaction_uid, message.destination, via, applied.committed, len(applied.resent),
                 len(applied.failed), applied.ignored)
        self._emit("workflow.commitment_report", peer=message.destination, committed=applied.committed,
                   resent=len(applied.resent), failed=len(applied.failed))
        return SUCCESS

    def _check(self, report: EventReport, parsed: ParsedReport, message: Message | None, via: str) -> Refusal | None:
        if message is None:
            return Refusal(INVALID_ARGUMENT, "unknown Transaction UID")
        peer: Peer | None = self.config.peers.get(message.destination)
        if peer is None:
            return Refusal(PROCESSING_FAILURE, f"destination {message.destination} is no longer configured")
        if report.calling_ae != peer.ae_title:
            return Refusal(PROCESSING_FAILURE, f"reported by AE {report.calling_ae}, requested from {peer.ae_title}")
        if via == "listener" and not _same_host(peer.host, report.host):
            return Refusal(PROCESSING_FAILURE, f"reported from host {report.host}, not {peer.host}")
        requested = set(requested_instances(from_bytes(message.payload)))
        reported = set(parsed.committed) | {(c, i) for c, i, _r in parsed.failed}
        if reported != requested:
            return Refusal(INVALID_ARGUMENT, f"{len(reported - requested)} instances not requested, "
                                             f"{len(requested - reported)} requested instances missing")
        return None


def workflow_notices(config: Config, service: WorkflowService) -> list[tuple[str, dict[str, Any]]]:
    """What ``serve`` and the station tell at start about reports and peers (text keys of
    ``messages.workflow.TEXTS``)."""
    out: list[tuple[str, dict[str, Any]]] = []
    if service.server is not None:
        out.append(("workflow.listening", {"host": service.server.host, "port": service.server.port,
                                           "ae": net_listener.listener_ae_title(config.station, config.listener)}))
    elif service.commitment_peers:
        out.append(("workflow.no_listener", {"peers": ", ".join(service.commitment_peers)}))
    for name, peer in config.peers.items():
        if PeerRole.COMMITMENT in peer.roles and PeerRole.STORAGE not in peer.roles:
            out.append(("workflow.commitment_without_storage", {"peer": name}))
    return out
