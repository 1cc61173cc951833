"""The pynetdicom internals net/adapter.py relies on, exercised against the installed pynetdicom.

Each test drives one relied-on internal through a real association with a pynetdicom SCP bound to
127.0.0.1 (port 0), so a pynetdicom release that renames or changes one fails here by name. Also: the one
write lock (DUL writes wait for our PDU in flight), the privacy settings, and no side effects at import.
"""

from __future__ import annotations

import json
import queue
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pynetdicom
import pytest
from pynetdicom import AE, _config, evt
from pynetdicom.pdu import A_ABORT_RQ, P_DATA_TF
from pynetdicom.timer import Timer

from smartbox_next.config import NetworkConfig, StationConfig
from smartbox_next.dicom.peer import Peer
from smartbox_next.errors import NetworkError
from smartbox_next.net import adapter, wire
from smartbox_next.net.echo import send_echo
from smartbox_next.net.link import VERIFICATION_CONTEXT, Context, LinkSettings
from smartbox_next.net.session import Session, open_session
from smartbox_next.net.stream import Payload, send_message

SC = "1.2.840.10008.5.1.4.1.1.7"
EXPLICIT = "1.2.840.10008.1.2.1"
WAIT = 30.0  # generous bound for waiting on another thread; never asserted as a duration


# ------------------------------------------------------------------------------------------- fixtures


@dataclass
class Scp:
    """A pynetdicom Storage/Verification SCP on 127.0.0.1 with hooks the tests set."""

    port: int
    stores: list[Any] = field(default_factory=list)  # the associations of C-STORE requests, in order
    store_arrived: threading.Event = field(default_factory=threading.Event)
    release_store: threading.Event = field(default_factory=threading.Event)
    block_stores: bool = False
    on_pdu: Callable[[Any], None] | None = None
    aborts: list[int] = field(default_factory=list)  # source of each A-ABORT PDU received

    @property
    def peer(self) -> Peer:
        return Peer("CONTRACT", "127.0.0.1", self.port)


@contextmanager
def scp_running(max_pdu: int = 16384) -> Iterator[Scp]:
    ae = AE(ae_title="CONTRACT")
    ae.add_supported_context(SC, [EXPLICIT])
    ae.add_supported_context("1.2.840.10008.1.1")
    ae.maximum_pdu_size = max_pdu
    handle = Scp(port=0)

    def on_store(event: evt.Event) -> int:
        handle.stores.append(event.assoc)
        handle.store_arrived.set()
        if handle.block_stores:
            handle.release_store.wait(WAIT)
        return 0x0000

    def on_pdu(event: evt.Event) -> None:
        if isinstance(event.pdu, A_ABORT_RQ):
            handle.aborts.append(int(event.pdu.source))
        if handle.on_pdu is not None:
            handle.on_pdu(event)

    server = ae.start_server(("127.0.0.1", 0), block=False,
                             evt_handlers=[(evt.EVT_C_STORE, on_store), (evt.EVT_PDU_RECV, on_pdu)])
    assert server is not None
    try:
        handle.port = int(server.server_address[1])
        yield handle
    finally:
        handle.release_store.set()
        server.shutdown()
        ae.shutdown()


@contextmanager
def link_to(scp: Scp, settings: LinkSettings | None = None) -> Iterator[adapter.Association]:
    link = adapter.associate(settings or LinkSettings(), scp.peer, [VERIFICATION_CONTEXT, Context(SC, (EXPLICIT,))])
    try:
        assert link.is_established
        yield link
    finally:
        link.abort()
        link.close()


def _pn(link: adapter.Association) -> Any:
    """The pynetdicom Association behind our handle (the tests look behind the door on purpose)."""
    return link._assoc


def _cx(link: adapter.Association, abstract_syntax: str) -> int:
    return next(cx.context_id for cx in link.accepted_contexts if cx.abstract_syntax == abstract_syntax)


class RecordingLock:
    """The real write lock, recording which threads took it and whether one came while it was held."""

    def __init__(self) -> None:
        self._lock = wire.HandoffLock()
        self.holders: list[str] = []
        self.contended = threading.Event()

    def __enter__(self) -> RecordingLock:
        if self._lock.held:
            self.contended.set()
        self._lock.__enter__()
        self.holders.append(threading.current_thread().name)
        return self

    def __exit__(self, *exc: object) -> None:
        self._lock.__exit__(None, None, None)


# ----------------------------------------------------------------------------------- contract checks


def test_class_contract_holds_for_the_installed_version() -> None:
    assert pynetdicom.__version__ == adapter.VERSION
    for owner, name, why in adapter.CLASS_CONTRACT:
        assert hasattr(owner, name), (owner, name, why)


def test_a_missing_class_attribute_is_named_with_the_version(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(Timer, "restart")
    with pytest.raises(adapter.PynetdicomContractError,
                       match=rf"pynetdicom {adapter.VERSION}: Timer\.restart is missing.*>=3\.0\.4,<3\.1"):
        adapter._check_classes()


def test_a_missing_instance_attribute_fails_the_association_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    renamed = (*adapter.INSTANCE_CONTRACT, ("dul", "_renamed_in_a_later_release", object, "test"))
    monkeypatch.setattr(adapter, "INSTANCE_CONTRACT", renamed)
    with scp_running() as scp:
        with pytest.raises(adapter.PynetdicomContractError,
                           match=rf"pynetdicom {adapter.VERSION}: DULServiceProvider\._renamed_in_a_later_release"):
            adapter.associate(LinkSettings(), scp.peer, [VERIFICATION_CONTEXT])
        assert scp.aborts == [0]  # the association was aborted, not left open


def test_instance_contract_holds_on_a_real_association() -> None:
    with scp_running() as scp, link_to(scp) as link:
        adapter._check_instance(_pn(link))
        pn = _pn(link)
        del pn.dul._idle_timer
        try:
            with pytest.raises(adapter.PynetdicomContractError, match=r"DULServiceProvider\._idle_timer is missing"):
                adapter._check_instance(pn)
        finally:
            pn.dul._idle_timer = Timer(link.network_timeout)


# ------------------------------------------------------------------------ each internal, exercised


def test_dul_socket_is_the_connection_we_write_pdus_to() -> None:
    """dul.socket.socket: our PDUs (a C-ECHO-RQ) written to it reach the SCP and are answered."""
    with scp_running() as scp, open_session(LinkSettings(), scp.peer, [VERIFICATION_CONTEXT]) as session:
        pdu_socket = session.link.pdu_socket()
        assert pdu_socket is not None
        assert pdu_socket.sock is _pn(session.link).dul.socket.socket
        assert pdu_socket.sock.getpeername()[1] == scp.port
        assert pdu_socket.sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
        assert send_echo(session, 30.0) == 0x0000  # msg_queue and _check_received_status too


def test_dul_writes_take_our_write_lock(monkeypatch: pytest.MonkeyPatch) -> None:
    """AssociationSocket.send is wrapped from the first PDU on: A-ASSOCIATE-RQ and A-RELEASE-RQ take the lock."""
    lock = RecordingLock()
    monkeypatch.setattr(wire, "new_write_lock", lambda: lock)
    with scp_running() as scp:
        with open_session(LinkSettings(), scp.peer, [VERIFICATION_CONTEXT]) as session:
            dul = _pn(session.link).dul
            assert lock.holders == [dul.name]  # the A-ASSOCIATE-RQ
            assert send_echo(session, 30.0) == 0x0000
            assert lock.holders == [dul.name, threading.current_thread().name]  # our C-ECHO-RQ
        assert dul.name in lock.holders[2:]  # the A-RELEASE-RQ (and the close after it)


def test_to_provider_queue_backs_the_tls_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """dul.to_provider_queue / send_pdu: PDVs queued while the DUL waits for our lock stay counted, then go out."""
    lock = RecordingLock()
    monkeypatch.setattr(wire, "new_write_lock", lambda: lock)
    with scp_running() as scp, link_to(scp) as link:
        command = adapter.echo_command(1)
        cx = _cx(link, VERIFICATION_CONTEXT.abstract_syntax)
        with lock:  # the DUL can take at most the first PDV off the queue, then waits for the lock
            link.queue_pdv(cx, b"\x01" + command[:20])  # command fragment, not last
            link.queue_pdv(cx, b"\x03" + command[20:])  # command, last fragment
            assert link.queued_pdus() >= 1
            assert lock.contended.wait(WAIT)  # the DUL's write really waits for our lock
        status = link.wait_response(1)
        assert not isinstance(status, adapter.NoResponse) and status.Status == 0x0000
        assert link.queued_pdus() == 0


def test_idle_timer_is_the_one_pynetdicom_times_out_with() -> None:
    """dul._idle_timer: touch() restarts it, and it is the timer whose expiry aborts the association."""

    class ProbeTimer(Timer):
        restarts = 0

        def restart(self) -> None:
            self.restarts += 1
            super().restart()

    with scp_running() as scp, link_to(scp) as link:
        pn = _pn(link)
        probe = ProbeTimer(600)
        probe.start()
        pn.dul._idle_timer = probe
        link.touch()
        assert probe.restarts >= 1
        probe.timeout = -1.0  # expired from now on: pynetdicom's network timeout fires
        pn.join(WAIT)
        assert not pn.is_alive() and link.is_aborted


def test_msg_queue_gets_the_end_marker_when_the_peer_aborts() -> None:
    """dimse.msg_queue: an A-ABORT while we wait for a response ends the wait (no DIMSE timeout needed)."""
    with scp_running() as scp, link_to(scp, LinkSettings(dimse_timeout=600)) as link:
        scp.block_stores = True
        _send_small_store(link, message_id=7)
        assert scp.store_arrived.wait(WAIT)
        scp.stores[0].abort()  # the SCP aborts while its C-STORE handler still runs
        assert link.wait_response(7) is adapter.NoResponse.ENDED
        _pn(link).join(WAIT)  # the reactor hands the A-ABORT indication over (EVT_ACSE_RECV), then ends
        assert link.attempt.abort_source == 0  # A-ABORT from the service user (PS3.8 §9.3.8)


def test_handle_no_response_aborts_after_the_dimse_timeout() -> None:
    """Association._handle_no_response: after the DIMSE timeout the association is aborted (PS3.7 §9.1)."""
    with scp_running() as scp, link_to(scp, LinkSettings(dimse_timeout=0.2)) as link:
        scp.block_stores = True
        _send_small_store(link, message_id=3)
        assert link.wait_response(3) is adapter.NoResponse.TIMEOUT
        assert not link.is_established
        assert scp.store_arrived.wait(WAIT)
        scp.release_store.set()
        scp.stores[0].join(WAIT)
        assert scp.stores[0].is_aborted


def test_reactor_thread_never_takes_a_response() -> None:
    """dimse.get_msg: the Association thread (pynetdicom's reactor) polls it and gets nothing, even when a
    message is queued; our thread gets it."""
    with scp_running() as scp, link_to(scp) as link:
        pn = _pn(link)
        guarded = pn.dimse.get_msg
        answers: queue.Queue[Any] = queue.Queue()

        def recorder(block: bool = False) -> Any:
            got = guarded(block)
            if threading.current_thread() is pn:
                answers.put(got)
            return got

        sentinel = object()
        pn.dimse.msg_queue.put((1, sentinel))
        pn.dimse.get_msg = recorder
        reactor_calls = [answers.get(timeout=WAIT) for _ in range(5)]
        assert reactor_calls == [(None, None)] * 5
        assert pn.dimse.get_msg(False) == (1, sentinel)  # from our thread


def test_privacy_settings_applied_per_association() -> None:
    _config.LOG_REQUEST_IDENTIFIERS = _config.LOG_RESPONSE_IDENTIFIERS = True
    try:
        with scp_running() as scp, link_to(scp):
            assert _config.LOG_REQUEST_IDENTIFIERS is adapter.LOGS_IDENTIFIERS is False
            assert _config.LOG_RESPONSE_IDENTIFIERS is False
    finally:
        adapter.apply_privacy()


def test_importing_net_changes_no_global_state() -> None:
    """No side effects at import: pynetdicom's flags and log level stay as pynetdicom set them."""
    code = """
import json, logging, pkgutil, importlib
import pynetdicom
from pynetdicom import _config
def state():
    return [_config.LOG_REQUEST_IDENTIFIERS, _config.LOG_RESPONSE_IDENTIFIERS,
            logging.getLogger("pynetdicom").level]
before = state()
import smartbox_next.net
for m in pkgutil.iter_modules(smartbox_next.net.__path__):
    importlib.import_module("smartbox_next.net." + m.name)
import smartbox_next.app.loopback, smartbox_next.conformance.tables, smartbox_next.cli
print(json.dumps([before, state()]))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    before, after = json.loads(out.stdout)
    assert before == after == [True, True, logging_notset()]


def logging_notset() -> int:
    import logging

    return logging.NOTSET


def test_constants_match_pynetdicom() -> None:
    assert adapter.APPLICATION_CONTEXT_NAME == "1.2.840.10008.3.1.1.1"  # PS3.7 A.2.1
    from smartbox_next.net.link import DEFAULT_TRANSFER_SYNTAXES

    assert list(DEFAULT_TRANSFER_SYNTAXES) == [str(ts) for ts in pynetdicom.DEFAULT_TRANSFER_SYNTAXES]
    assert LinkSettings() == LinkSettings.of(StationConfig(), NetworkConfig())


def test_accepted_context_with_a_syntax_we_did_not_propose_is_ignored() -> None:
    proposed = SimpleNamespace(context_id=1, abstract_syntax=SC, transfer_syntax=[EXPLICIT])
    honest = SimpleNamespace(context_id=1, transfer_syntax=[EXPLICIT])
    foreign = SimpleNamespace(context_id=1, transfer_syntax=["1.2.840.10008.1.2.4.50"])
    stranger = SimpleNamespace(context_id=3, transfer_syntax=[EXPLICIT])
    fake = SimpleNamespace(requestor=SimpleNamespace(requested_contexts=[proposed]),
                           accepted_contexts=[honest, foreign, stranger])
    assert [(a.context_id, a.abstract_syntax, a.transfer_syntax) for a in adapter._accepted(fake)] == [
        (1, SC, EXPLICIT)]  # type: ignore[arg-type]


# ---------------------------------------------------------------------------- one writer per socket


def test_concurrent_abort_during_a_large_send_lands_between_pdus(monkeypatch: pytest.MonkeyPatch) -> None:
    """A-ABORT from another thread while the sender is blocked inside a PDU: the DUL waits for the lock, so the
    SCP parses every PDU and then a well-formed A-ABORT (an interleaved write would garble the stream)."""
    lock = RecordingLock()
    monkeypatch.setattr(wire, "new_write_lock", lambda: lock)
    stalled, go = threading.Event(), threading.Event()
    pdata = {"n": 0}

    def slow_reader(event: evt.Event) -> None:  # runs in the SCP's DUL thread: stops reading once
        if isinstance(event.pdu, P_DATA_TF):
            pdata["n"] += 1
            if pdata["n"] == 50:
                stalled.set()
                go.wait(WAIT)

    errors: list[BaseException] = []
    with scp_running(max_pdu=16384) as scp:
        scp.on_pdu = slow_reader
        with open_session(LinkSettings(), scp.peer, [Context(SC, (EXPLICIT,))]) as session:
            payload = Payload((b"\x00" * (32 * 1024 * 1024),), EXPLICIT)  # far more than the socket buffers

            def send() -> None:
                try:
                    command = adapter.store_command(1, SC, "1.2.3.4")
                    send_message(session, session.accepted_contexts[0].context_id, command, payload, timeout=60)
                except NetworkError as exc:
                    errors.append(exc)

            sender = threading.Thread(target=send, name="sender")
            sender.start()
            assert stalled.wait(WAIT)
            aborter = threading.Thread(target=session.link.abort, name="aborter")
            aborter.start()
            assert lock.contended.wait(WAIT)  # the DUL's A-ABORT waits for the PDU in flight
            go.set()
            aborter.join(WAIT)
            sender.join(WAIT)
    assert not sender.is_alive() and not aborter.is_alive()
    assert scp.aborts == [0]  # one well-formed A-ABORT, source service user: no garbled PDU before it
    assert len(errors) == 1 and errors[0].retryable


def test_guarded_close_wakes_a_blocked_writer() -> None:
    """The DUL's close shuts the socket down (waking a writer blocked in the kernel), then closes under the lock."""
    a, b = socket.socketpair()
    lock = RecordingLock()  # nobody reads b: the writer blocks in the kernel, holding the lock
    closed: list[bool] = []
    fake = SimpleNamespace(socket=a, send=lambda data: a.sendall(data), close=lambda: closed.append(True))
    adapter._guard_writes(fake, lock)  # type: ignore[arg-type]
    pdu_socket = wire.PduSocket(a, lock)
    failure: list[BaseException] = []

    def write_forever() -> None:
        try:
            while True:
                pdu_socket.send([b"\x04" * 65536])
        except OSError as exc:
            failure.append(exc)

    writer = threading.Thread(target=write_forever)
    writer.start()
    while not lock.holders:  # wait until the writer is in
        threading.Event().wait(0.001)
    fake.close()
    writer.join(WAIT)
    assert not writer.is_alive() and failure and closed == [True]
    b.close()


def _send_small_store(link: adapter.Association, message_id: int) -> None:
    """A C-STORE-RQ with a one-element data set; the SCP answers when its handler returns."""
    dataset = b"\x08\x00\x16\x00UI\x04\x001.2\x00"  # (0008,0016) SOP Class UID, Explicit VR LE
    command = adapter.store_command(message_id, SC, "1.2.3.4")
    send_message(Session(link, Peer("CONTRACT", "127.0.0.1", 1)), _cx(link, SC), command,
                 Payload((dataset,), EXPLICIT), timeout=30)


def test_write_lock_is_handed_to_the_waiter_not_taken_back() -> None:
    """A sender writing PDU after PDU cannot starve the DUL: on release the waiting thread gets the lock."""
    lock = wire.HandoffLock()
    order: list[str] = []

    def other() -> None:
        with lock:
            order.append("waiter")

    with lock:
        waiter = threading.Thread(target=other)
        waiter.start()
        while not lock._waiters:  # the other thread is queued
            threading.Event().wait(0.001)
    with lock:  # released and re-taken at once: must come after the waiter
        order.append("sender")
    waiter.join(WAIT)
    assert order == ["waiter", "sender"]
    assert not lock.held
