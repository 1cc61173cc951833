"""The station runs the workflow service (issue 15 after issue 14): MPPS to the RIS and Storage Commitment at the
archive while ``smartbox station`` runs, the capture cards' "archived" / "not confirmed" states from the commitment
table, plain reasons for the nurse, and sizes below a megabyte in kB.

Real peers on 127.0.0.1: Orthanc as storage and Storage Commitment SCP (it reports on a new association to the
station's listener, named in its ``DicomModalities``), the checking MPPS SCP of tests/mpps_scp.py as the RIS (Debian
has none), the station in-process (``LiveStation``) or as a real ``smartbox station`` process.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import peers
import pytest
from mpps_scp import mpps_scp
from processes import run_smartbox, station_env, wait_for

from smartbox_next.app.captures import plain_reason
from smartbox_next.app.live import LiveStation
from smartbox_next.capture.live.sources import SourceSpec
from smartbox_next.cli._format import size_text as cli_size_text
from smartbox_next.config import Config, config_from_mapping
from smartbox_next.errors import ConfigError
from smartbox_next.messages.numbers import size_text
from smartbox_next.spool.commitments import CommitmentStore, overdue_error

FAST = {"retry": {"initial_delay": 0.2, "max_delay": 1.0, "jitter": 0.1},
        "network": {"connect_timeout": 2, "acse_timeout": 5, "dimse_timeout": 20},
        "outbox": {"min_free_mb": 10}}


def _config(tmp_path: Path, *, pacs: str, ris: str | None = None, listener: int = 0,
            **commitment: Any) -> Config:
    cfg: dict[str, Any] = {**FAST, "station": {"data_dir": str(tmp_path / "data"), "language": "de"},
                           "uid": {"root": "1.2.826.0.1.3680043.8.498.7"},
                           "peers": {"pacs": {"address": pacs, "roles": ["storage", "commitment"]}},
                           "listener": {"port": listener, "host": "127.0.0.1"},
                           "commitment": {"wait_on_association": 0, **commitment}}
    if ris is not None:
        cfg["peers"]["ris"] = {"address": ris, "roles": ["mpps"]}
    return config_from_mapping(cfg)


@contextmanager
def _station(config: Config) -> Iterator[LiveStation]:
    st = LiveStation(config, source=SourceSpec.parse("testpattern:320x240@25"), echo_interval=3600)
    st.start()
    try:
        wait_for(lambda: st.source.status.state == "live", timeout=20)
        yield st
    finally:
        st.stop_event.set()
        st.stop()


def _states(st: LiveStation, exam: str) -> list[str]:
    return [c.state for c in st.capture_states(exam, "de")]


# ------------------------------------------------------------------------------------------ small pieces


def test_sizes_below_a_megabyte_read_in_kilobytes() -> None:
    assert [size_text(n, "de") for n in (0, 400, 1_500, 512_000, 999_400)] == ["0 kB", "1 kB", "2 kB", "512 kB",
                                                                             "999 kB"]  # 0 only for nothing
    assert size_text(999_600, "de") == "1,0 MB" and size_text(4_200_000, "de") == "4,2 MB"
    assert size_text(4_200_000, "en") == "4.2 MB"
    assert cli_size_text is size_text  # `smartbox queue list` and the station read sizes the same way


def test_a_nurse_reads_what_happened_in_plain_words() -> None:
    down = plain_reason("retry", "net.connect_failed", "de")
    assert down == "Archiv nicht erreichbar – Aufnahme ist sicher gespeichert und wird automatisch nachgesendet"
    assert plain_reason("retry", "net.timeout", "en") == (
        "Archive not reachable – the capture is stored safely and will be sent automatically")
    assert plain_reason("failed", "net.connect_failed", "de") == (
        "Archiv nicht erreichbar – Aufnahme ist sicher gespeichert. Bitte „Alle senden“ tippen; hilft das nicht, "
        "bitte die IT informieren.")
    for key in ("store.sop_class_not_supported", "net.no_context", "net.rejected.calling_ae", "dicomweb.forbidden"):
        assert plain_reason("failed", key, "de") == ("Das Archiv nimmt die Aufnahme nicht an – sie bleibt sicher auf "
                                                     "der Station gespeichert. Bitte die IT informieren."), key
    assert plain_reason("retry", "store.out_of_resources", "de", ).startswith("Das Archiv nimmt die Aufnahme gerade "
                                                                              "nicht an – sie ist sicher gespeichert")
    assert plain_reason("failed", "outbox.file_missing", "de") == "Nicht gesendet – bitte die IT informieren."
    assert plain_reason("unconfirmed", "commitment.overdue", "de").startswith(
        "Das Archiv bestätigt die Speicherung nicht – die Aufnahme bleibt sicher auf der Station gespeichert.")
    assert plain_reason("sent", None, "de") is None and plain_reason("archived", None, "en") is None
    for state in ("retry", "failed", "unconfirmed"):  # no jargon in the words a nurse reads
        for lang in ("de", "en"):
            text = plain_reason(state, "net.connect_failed", lang) or ""
            assert not any(w in text for w in ("PACS", "DICOM", "AE", "Port", "port", "SCP", "@", "C-STORE")), text


# ------------------------------------------------------------------------------------------ real peers


def test_the_station_reports_the_exam_to_the_ris_and_its_captures_become_archived(tmp_path: Path) -> None:
    listener = peers.free_port()
    with peers.orthanc(tmp_path / "orthanc", modalities={"box": ("SMARTBOX", listener)}) as pacs, \
            mpps_scp() as ris:
        with _station(_config(tmp_path, pacs=pacs.address, ris=ris.address, listener=listener)) as st:
            assert ("workflow.listening", {"host": "127.0.0.1", "port": listener, "ae": "SMARTBOX"}) in st.notices()
            view = st.start_exam(emergency="female")
            wait_for(lambda: [op for op, _uid, _s in ris.log] == ["N-CREATE"])  # MPPS while the station runs
            for _ in range(2):
                st.take_still(view.exam_id)
            assert st.send(view.exam_id) == 2
            wait_for(lambda: _states(st, view.exam_id) == ["sent", "sent"])
            shown = st.exam_json(view.exam_id, "de")["captures"]
            assert [c["reason"] for c in shown] == [None, None]  # sent, waiting for the archive's commitment
            assert st.committed(st_view := _view(st, view.exam_id)) == dict.fromkeys(_uids(st_view), False)
            st.complete(view.exam_id)  # commitment is asked for once the exam has ended
            wait_for(lambda: _states(st, view.exam_id) == ["archived", "archived"])
            assert st.committed(_view(st, view.exam_id)) == dict.fromkeys(_uids(_view(st, view.exam_id)), True)
            wait_for(lambda: [op for op, _uid, _s in ris.log] == ["N-CREATE", "N-SET"])
            data = st.exam_json(view.exam_id, "de")
            assert data["counts"]["unsent"] == 0
            assert data["commitment"] == [{"destination": "pacs", "total": 2, "committed": 2, "waiting": 0,
                                           "failed": 0, "overdue": 0, "complete": True}]
            assert st.last_exam() == {"id": view.exam_id, "patient": data["patient"]["name"]}
        assert ris.violations == []
        assert len(pacs.instances()) == 2


def _view(st: LiveStation, exam_id: str) -> Any:
    from smartbox_next.app.exams import show_exam

    return show_exam(st.config, st.db(), exam_id)


def _uids(view: Any) -> list[str]:
    return [c.sop_instance_uid for c in view.captures]


def test_without_a_commitment_archive_the_cards_stay_sent(tmp_path: Path, storescp_all: peers.StoreScp) -> None:
    cfg = config_from_mapping({**FAST, "station": {"data_dir": str(tmp_path / "data")},
                               "peers": {"pacs": storescp_all.address}})
    with _station(cfg) as st:
        view = st.start_exam(emergency="male")
        st.take_still(view.exam_id)
        st.complete(view.exam_id)
        wait_for(lambda: _states(st, view.exam_id) == ["sent"])
        assert st.committed(_view(st, view.exam_id)) is None
        assert st.notices() == []  # no commitment peer: nothing to tell about reports


def test_a_commitment_that_never_arrives_shows_a_plain_state(tmp_path: Path) -> None:
    """Orthanc accepts the request but reports to a port where nobody listens: overdue after the window."""
    nobody = peers.free_port()
    with peers.orthanc(tmp_path / "orthanc", modalities={"box": ("SMARTBOX", nobody)}) as pacs, \
            _station(_config(tmp_path, pacs=pacs.address, listener=0, window_hours=0.001)) as st:
        view = st.start_exam(emergency="male")
        st.take_still(view.exam_id)
        st.complete(view.exam_id)
        wait_for(lambda: _states(st, view.exam_id) == ["unconfirmed"], timeout=60)
        store = CommitmentStore(st.db())
        assert store.overdue_count(window=3.6) == 1 and store.overdue_count(window=3600) == 0  # the janitor's count
        [card] = st.exam_json(view.exam_id, "de")["captures"]
        assert card["reason"].startswith("Das Archiv bestätigt die Speicherung nicht")
        assert card["error_key"] == "commitment.overdue_one"  # the details for IT: one object, said so
        assert "pacs hat 1 Objekt nicht binnen 0.001 Stunden bestätigt" in card["error"]
        [en] = st.exam_json(view.exam_id, "en")["captures"]
        assert en["reason"].startswith("The archive has not confirmed that it keeps the capture")


def test_a_commitment_failure_shows_a_plain_state(tmp_path: Path) -> None:
    """Orthanc lost the object before the request: it reports a failure; with no resends allowed it stays so."""
    listener = peers.free_port()
    with peers.orthanc(tmp_path / "orthanc", modalities={"box": ("SMARTBOX", listener)}) as pacs, \
            _station(_config(tmp_path, pacs=pacs.address, listener=listener, max_resends=0)) as st:
        view = st.start_exam(emergency="female")
        st.take_still(view.exam_id)
        st.send(view.exam_id)
        wait_for(lambda: _states(st, view.exam_id) == ["sent"])
        [uid] = _uids(_view(st, view.exam_id))
        [found] = json.loads(pacs.post("/tools/lookup", uid))
        pacs._request(f"/instances/{found['ID']}", method="DELETE")
        st.complete(view.exam_id)
        wait_for(lambda: _states(st, view.exam_id) == ["unconfirmed"])
        [card] = st.exam_json(view.exam_id, "de")["captures"]
        assert card["error_key"] == "commitment.failed" and "0x0112" in card["error"]
        assert card["reason"].startswith("Das Archiv bestätigt die Speicherung nicht")
        assert st.committed(_view(st, view.exam_id)) == {uid: False}


def test_a_listener_port_in_use_stops_the_station_with_the_reason(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        cfg = _config(tmp_path, pacs="ARCHIVE@127.0.0.1:11112", listener=port)
        st = LiveStation(cfg, source=SourceSpec.parse("testpattern:320x240@25"), echo_interval=3600)
        with pytest.raises(ConfigError) as caught:
            st.start()
        assert caught.value.key == "listener.bind_failed"
        with _station(_config(tmp_path, pacs="ARCHIVE@127.0.0.1:11112", listener=0)) as again:  # lock released
            assert again.notices() == [("workflow.no_listener", {"peers": "pacs"})]

        toml = tmp_path / "smartbox.toml"
        toml.write_text(f'[peers.pacs]\naddress = "ARCHIVE@127.0.0.1:11112"\nroles = ["storage", "commitment"]\n'
                        f'[listener]\nport = {port}\nhost = "127.0.0.1"\n', encoding="utf-8")
        env = station_env(tmp_path / "proc-data", lang="de", SMARTBOX_CONFIG=str(toml))
        result = run_smartbox("station", "--port", "0", "--source", "testpattern:320x240@25", env=env, timeout=60)
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert f"Der Empfänger kann 127.0.0.1:{port} nicht öffnen" in result.stderr, result.stderr
    assert "listener.port" in result.stderr  # what to do


def test_the_overdue_message_says_one_object_or_several() -> None:
    assert overdue_error("pacs", 1, 24.0).text("de") == (
        "pacs hat 1 Objekt nicht binnen 24 Stunden bestätigt (Speicherbestätigung überfällig).")
    assert overdue_error("pacs", 1, 24.0).hint("en").startswith("The object stays in the spool.")
    assert overdue_error("pacs", 3, 24.0).text("en") == (
        "pacs has not confirmed 3 objects within 24 hours (commitment overdue).")


def test_a_station_without_any_destination_does_not_start(tmp_path: Path) -> None:
    """As ``serve``: refused at the start with what to do, not later when the nurse presses "Foto"."""
    env = station_env(tmp_path / "data", lang="de")
    result = run_smartbox("station", "--port", "0", "--source", "testpattern:320x240@25", env=env, timeout=60)
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "Es ist kein Ziel konfiguriert oder aktiviert." in result.stderr, result.stderr
    assert "outbox.folder" in result.stderr  # what to do
    assert "http://127.0.0.1" not in result.stderr  # it never served the page
