"""Fuzz: random and truncated PDUs and worklist answers to the client end in a clean error, with memory flat
and time bounded (issue 17, "Deliver").

Seeded, so every run feeds the same cases (a failure names its seed). Three families, each answered by a
raw-socket peer (``hostile_peer.py``) to the real client code in this process:

* the answer to our A-ASSOCIATE-RQ: random bytes, a valid A-ASSOCIATE-AC cut off anywhere or with bytes
  flipped, random PDU types and lengths, A-ASSOCIATE-RJ / A-ABORT with random fields;
* the answer to a C-ECHO-RQ after a valid A-ASSOCIATE-AC: the C-ECHO-RSP cut off, flipped, with random
  PDV headers, message IDs and statuses, or random bytes;
* the answers to a Modality Worklist C-FIND (through ``worklist.service.fetch``, the path of ``smartbox
  worklist``): Pending answers whose identifier is flipped, cut off or random, random statuses, a flood.

Every case must return or raise a :class:`~smartbox_next.errors.SmartboxError` (a message for the operator,
never a traceback) within :data:`CASE_BOUND` seconds; over all cases this process's peak RSS may grow by at
most :data:`GROWTH`.
"""

from __future__ import annotations

import logging
import random
import resource
import struct
import threading
import time
from collections.abc import Callable

import hostile_peer as hp
import pytest

from smartbox_next.config import Config, config_from_mapping
from smartbox_next.dicom.peer import Peer
from smartbox_next.errors import SmartboxError
from smartbox_next.net.echo import echo
from smartbox_next.net.link import LinkSettings
from smartbox_next.worklist.query import WorklistQuery
from smartbox_next.worklist.service import fetch

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")  # pydicom on the values (silenced in the CLI too)

CASES = 70  # per family
CASE_BOUND = 10.0  # seconds (timeouts below are 1 s; one case needs a few of them at most)
GROWTH = 50 * 1024 * 1024  # bytes of peak RSS growth over a whole family (measured: < 1 MiB)

TIMEOUTS = {"connect_timeout": 1, "acse_timeout": 1, "dimse_timeout": 1, "network_timeout": 1}


def _config() -> Config:
    return config_from_mapping({"network": TIMEOUTS, "worklist": {"timeout": 1}})


def _flip(data: bytes, rng: random.Random, count: int) -> bytes:
    out = bytearray(data)
    for _ in range(count):
        out[rng.randrange(len(out))] = rng.randrange(256)
    return bytes(out)


def _mutate(data: bytes, rng: random.Random) -> bytes:
    """A valid PDU cut off, flipped, extended with garbage, or replaced by random bytes."""
    choice = rng.randrange(5)
    if choice == 0:
        return data[: rng.randrange(len(data))]
    if choice == 1:
        return _flip(data, rng, rng.randint(1, 6))
    if choice == 2:
        return data + rng.randbytes(rng.randint(1, 200))
    if choice == 3:  # the PDU length field
        return data[:2] + struct.pack(">I", rng.choice([0, 1, 5, len(data), 2**31, 2**32 - 1])) + data[6:]
    return rng.randbytes(rng.randint(1, 400))


def _finish(conv: hp.Conversation, rng: random.Random) -> None:
    """Close at once, or linger a little (the client's timeouts must end it)."""
    if rng.random() < 0.2:
        conv.idle(rng.uniform(0.1, 1.5))


def association_case(rng: random.Random) -> hp.Script:
    def script(conv: hp.Conversation) -> None:
        body = conv.read_request()
        kind = rng.randrange(4)
        if kind == 0:
            answer = _mutate(hp.associate_ac(body, conv.proposed), rng)
        elif kind == 1:
            answer = hp.pdu(rng.randint(1, 7), rng.randbytes(rng.choice([0, 1, 4, 10, 68, 100, 300])))
        elif kind == 2:
            answer = hp.pdu(rng.choice([3, 7]), bytes(rng.randrange(256) for _ in range(4)))
        else:
            answer = rng.randbytes(rng.randint(1, 600))
        conv.send(answer)
        _finish(conv, rng)
    return script


def echo_case(rng: random.Random) -> hp.Script:
    def script(conv: hp.Conversation) -> None:
        conv.accept()
        rq = conv.read_message()
        cid = conv.context_id(hp.VERIFICATION)
        kind = rng.randrange(4)
        msg_id = int(rq.MessageID)
        if kind == 0:
            answer = _mutate(hp.pdata(cid, 0x03, hp.command(0x8030, hp.VERIFICATION, msg_id, 0)), rng)
        elif kind == 1:  # random PDV header fields around a valid command
            answer = hp.pdata(rng.randrange(256), rng.randrange(256),
                              hp.command(0x8030, hp.VERIFICATION, msg_id, 0))
        elif kind == 2:  # random message ID / status / command field
            answer = hp.pdata(cid, 0x03, hp.command(rng.choice([0x8030, 0x8001, 0x0030, rng.randrange(65536)]),
                                                    hp.VERIFICATION, rng.choice([msg_id, rng.randrange(65536)]),
                                                    rng.randrange(65536)))
        else:
            answer = hp.pdata(cid, 0x03, rng.randbytes(rng.randint(0, 300)))
        conv.send(answer)
        _finish(conv, rng)
    return script


def worklist_case(rng: random.Random) -> hp.Script:
    def script(conv: hp.Conversation) -> None:
        conv.accept()
        rq = conv.read_message()
        cid = conv.context_id(hp.MWL_FIND)
        msg_id = int(rq.MessageID)
        for i in range(rng.choice([1, 2, 5, 400])):
            identifier = hp.encode(hp.mwl_answer(patient_id=f"P{i}"), implicit=False)
            kind = rng.randrange(4)
            if kind == 1:
                identifier = _flip(identifier, rng, rng.randint(1, 8))
            elif kind == 2:
                identifier = identifier[: rng.randrange(len(identifier))]
            elif kind == 3:
                identifier = rng.randbytes(rng.randint(0, 200))
            status = 0xFF00 if rng.random() < 0.9 else rng.randrange(65536)
            conv.send(hp.pdata(cid, 0x03, hp.command(0x8020, hp.MWL_FIND, msg_id, status, data_set=True)))
            conv.send(hp.pdata(cid, 0x02, identifier))
        if rng.random() < 0.7:
            conv.send(hp.pdata(cid, 0x03, hp.command(0x8020, hp.MWL_FIND, msg_id, 0x0000)))
        _finish(conv, rng)
    return script


def _echo_client(config: Config, peer: Peer) -> object:
    return echo(LinkSettings.of(config.station, config.network), peer)


def _worklist_client(config: Config, peer: Peer) -> object:
    return fetch(config, peer, WorklistQuery())


FAMILIES: dict[str, tuple[Callable[[random.Random], hp.Script], Callable[[Config, Peer], object]]] = {
    "association": (association_case, _echo_client),
    "echo": (echo_case, _echo_client),
    "worklist": (worklist_case, _worklist_client),
}


def _peak_rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: KiB


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_fuzzed_answers_end_in_a_clean_error(family: str, monkeypatch: pytest.MonkeyPatch,
                                             caplog: pytest.LogCaptureFixture) -> None:
    make_case, client = FAMILIES[family]
    config = _config()
    # as the CLI does (cli/_app.quiet_libraries): pynetdicom's own error log with tracebacks would otherwise
    # pile up in pytest's log capture and be measured as the client's memory
    caplog.set_level(logging.CRITICAL, logger="pynetdicom")
    crashed: list[str] = []  # an exception that ends a thread prints a traceback: never clean
    monkeypatch.setattr(threading, "excepthook",
                        lambda args: crashed.append(f"{args.thread.name if args.thread else '?'}: "
                                                    f"{args.exc_type.__name__}: {args.exc_value}"))
    start_peak = _peak_rss()
    outcomes: dict[str, int] = {}
    for seed in range(CASES):
        rng = random.Random(f"{family}-{seed}")
        with hp.hostile_peer(make_case(rng)) as peer:
            started = time.monotonic()
            try:
                client(config, Peer.parse(peer.address))
                outcome = "ok"
            except SmartboxError as exc:
                outcome = exc.key
            except Exception as exc:  # pragma: no cover - what the test exists to catch
                pytest.fail(f"{family} seed {seed}: {type(exc).__name__}: {exc}")
            elapsed = time.monotonic() - started
            assert not peer.errors, (seed, peer.errors)
        time.sleep(0.05)  # let the association's threads end (they would report here)
        assert not crashed, f"{family} seed {seed}: {crashed}"
        assert elapsed < CASE_BOUND, f"{family} seed {seed}: {elapsed:.1f} s ({outcome})"
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    growth = _peak_rss() - start_peak
    print(f"\n{family}: {outcomes}; peak RSS growth {growth / 2**20:.1f} MiB")
    assert growth < GROWTH
