"""Worklist faults real peers cannot script: failure statuses, a silent SCP (timeout), many answers with a
C-CANCEL observed by the SCP, and an empty answer replacing older cached data.

A pynetdicom MWL SCP bound to 127.0.0.1 on a free port, stopped in ``finally``. Real-peer behaviour
(wlmscpfs, Orthanc) is in ``test_worklist_peers.py``.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from pydicom.dataset import Dataset
from pynetdicom import AE, evt
from pynetdicom.sop_class import ModalityWorklistInformationFind  # type: ignore[attr-defined]
from test_worklist_units import make_item

from smartbox_next.config import config_from_mapping
from smartbox_next.dicom.peer import Peer
from smartbox_next.errors import ResponseTimeoutError, WorklistError
from smartbox_next.worklist.cache import WorklistCache
from smartbox_next.worklist.item import WorklistItem, WorklistResult
from smartbox_next.worklist.query import WorklistQuery
from smartbox_next.worklist.service import fetch, query_worklist


@dataclass
class MwlScp:
    port: int
    cancelled: list[bool] = field(default_factory=list)
    charsets: list[str] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)

    @property
    def peer(self) -> Peer:
        return Peer.parse(f"MWLSCP@127.0.0.1:{self.port}")


@contextlib.contextmanager
def mwl_scp(*, answers: int = 0, final: int = 0x0000, silent: bool = False) -> Iterator[MwlScp]:
    """``answers`` pending answers, then ``final``; ``silent`` never answers (until released)."""
    state = MwlScp(port=0)

    def on_find(event: evt.Event) -> Iterator[tuple[int, Dataset | None]]:
        state.charsets.append(str(event.identifier.get("SpecificCharacterSet", "")))
        if silent:
            state.release.wait(30)
            return
        for n in range(answers):
            if event.is_cancelled:
                state.cancelled.append(True)
                yield 0xFE00, None
                return
            yield 0xFF00, make_item(f"Müller^Jürgen{n}", charset="ISO_IR 192", acc=f"A{n}", pid=f"P{n}")
        if event.is_cancelled:
            state.cancelled.append(True)
            yield 0xFE00, None
            return
        yield final, None

    ae = AE("MWLSCP")
    ae.add_supported_context(ModalityWorklistInformationFind)
    server = ae.start_server(("127.0.0.1", 0), block=False, evt_handlers=[(evt.EVT_C_FIND, on_find)])
    try:
        state.port = int(server.server_address[1])
        yield state
    finally:
        state.release.set()
        server.shutdown()


def _config(tmp_path: Path, **worklist: Any) -> Any:
    return config_from_mapping({"station": {"data_dir": str(tmp_path)}, "worklist": worklist})


@pytest.mark.parametrize(("status", "key"), [
    (0xA700, "worklist.out_of_resources"), (0xA900, "worklist.identifier_mismatch"),
    (0xC001, "worklist.unable_to_process"),
])
def test_failure_status_is_a_bilingual_error_and_no_cache(tmp_path: Path, status: int, key: str) -> None:
    cfg = _config(tmp_path)
    with mwl_scp(answers=2, final=status) as scp:
        cache = WorklistCache(tmp_path / "c.json")
        query = WorklistQuery()
        cache.store(query, WorklistResult(items=(), peer=str(scp.peer), fetched_at=datetime.now()))
        with pytest.raises(WorklistError) as err:
            query_worklist(cfg, query, peer=scp.peer, cache=cache)
    assert err.value.key == key and err.value.status == status
    assert f"0x{status:04X}" in err.value.text("de") and err.value.hint("de")


def test_silent_scp_times_out(tmp_path: Path) -> None:
    cfg = _config(tmp_path, timeout=0.5)
    with mwl_scp(silent=True) as scp, pytest.raises(ResponseTimeoutError) as err:
        fetch(cfg, scp.peer, WorklistQuery())
    assert err.value.key == "net.timeout"


def test_timeout_falls_back_to_the_cache_marked_stale(tmp_path: Path) -> None:
    cfg = _config(tmp_path, timeout=0.5)
    with mwl_scp(silent=True) as scp:
        cache = WorklistCache(tmp_path / "c.json")
        item = WorklistItem(patient_name="Weiß^Käthe", patient_id="P9")
        cache.store(WorklistQuery(), WorklistResult(items=(item,), peer=str(scp.peer), fetched_at=datetime.now()))
        result = query_worklist(cfg, WorklistQuery(), peer=scp.peer, cache=cache)
    assert result.stale and result.items == (item,) and result.reason == "net.timeout"


def test_result_limit_sends_c_cancel(tmp_path: Path) -> None:
    cfg = _config(tmp_path)
    with mwl_scp(answers=300) as scp:
        result = fetch(cfg, scp.peer, WorklistQuery(), limit=25)
    assert len(result.items) == 25 and result.truncated
    assert [i.patient_name for i in result.items[:2]] == ["Müller^Jürgen0", "Müller^Jürgen1"]
    assert scp.cancelled == [True]  # the SCP saw our C-CANCEL and stopped before the 300th


def test_empty_answer_is_an_empty_list_and_replaces_old_data(tmp_path: Path) -> None:
    cfg = _config(tmp_path)
    with mwl_scp(answers=0) as scp:
        cache = WorklistCache(tmp_path / "c.json")
        old = WorklistItem(patient_name="Alt^Daten", patient_id="OLD")
        cache.store(WorklistQuery(), WorklistResult(items=(old,), peer=str(scp.peer), fetched_at=datetime.now()))
        result = query_worklist(cfg, WorklistQuery(), peer=scp.peer, cache=cache)
        cached = cache.load(scp.peer, WorklistQuery())
    assert result.items == () and not result.stale and not result.truncated
    assert cached is not None and cached.items == ()


def test_query_character_set_reaches_the_scp(tmp_path: Path) -> None:
    cfg = _config(tmp_path, name_match="scp", query_character_set="ISO_IR 192")
    with mwl_scp(answers=1) as scp:
        fetch(cfg, scp.peer, WorklistQuery(patient_name="Mül*"))
        fetch(cfg, scp.peer, WorklistQuery(patient_name="Mue*"))
    assert scp.charsets == ["ISO_IR 192", ""]
