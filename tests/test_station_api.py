"""The station API without a browser: every endpoint against a running station (in-process, real storescp), the
security rules (401 without login, 403 without CSRF token / from a foreign origin or host) and the streams
(SSE, MJPEG) of a real ``smartbox station`` process."""

from __future__ import annotations

import json
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import peers
import pytest
from processes import processes, wait_for
from starlette.testclient import TestClient
from station_support import start_station, stop_station

from smartbox_next.app.live import LiveStation
from smartbox_next.capture.live.sources import SourceSpec
from smartbox_next.config import config_from_mapping
from smartbox_next.errors import ConfigError
from smartbox_next.web.app import create_app
from smartbox_next.web.security import Security, hash_password, verify_password

__all__ = ["processes"]  # the fixture

FAST = {"retry": {"initial_delay": 0.2, "max_delay": 1.0, "jitter": 0.1},
        "network": {"connect_timeout": 2, "acse_timeout": 5, "dimse_timeout": 20},
        "outbox": {"min_free_mb": 10}}


def _config(tmp_path: Path, pacs: str, **web: Any) -> Any:
    return config_from_mapping({**FAST, "station": {"data_dir": str(tmp_path / "data"), "language": "de"},
                                "peers": {"pacs": pacs}, "web": web,
                                "live": {"pre_record_choices": "0,2,10", "pre_record_s": 2}})


@pytest.fixture
def station(tmp_path: Path, storescp_all: peers.StoreScp) -> Iterator[LiveStation]:
    st = LiveStation(_config(tmp_path, storescp_all.address), source=SourceSpec.parse("testpattern:320x240@25"),
                     echo_interval=3600)
    st.start()
    wait_for(lambda: st.source.status.state == "live", timeout=20)
    try:
        yield st
    finally:
        st.stop_event.set()
        st.stop()


def _client(station: LiveStation, **web: Any) -> tuple[TestClient, str]:
    security = Security(station.config.web, port=8080)
    client = TestClient(create_app(station, security), base_url="http://127.0.0.1:8080")
    csrf = client.get("/api/session").json()["csrf"]
    return client, csrf


def test_every_endpoint_of_an_exam(station: LiveStation, storescp_all: peers.StoreScp) -> None:
    client, csrf = _client(station)
    post = {"X-CSRF-Token": csrf}
    assert client.get("/api/health").json()["status"] == "ok"
    session = client.get("/api/session").json()
    assert session == {"auth_required": False, "logged_in": True, "csrf": csrf, "lang": "de"}
    de = client.get("/api/texts?lang=de").json()["texts"]
    en = client.get("/api/texts", headers={"Accept-Language": "en-GB,en"}).json()["texts"]
    assert (de["captures_one"], de["captures_other"]) == ("{n} Aufnahme", "{n} Aufnahmen")
    assert en["send_all"] == "Send all ({n})" and de["send_all"] == "Alle senden ({n})"
    status = client.get("/api/status").json()
    assert status["pending"] == 0 and status["open_exam"] is None and status["source"]["state"] == "live"
    assert status["pre_record_choices"] == [0, 2, 10]
    assert client.get("/api/worklist").json()["configured"] is False
    spec = client.get("/api/openapi.json").json()
    assert {"/api/exams", "/api/exams/{exam}/stills", "/api/events", "/api/preview.mjpeg"} <= set(spec["paths"])

    assert client.post("/api/exams", json={"emergency": "ghost"}, headers=post).status_code == 400
    started = client.post("/api/exams", json={"emergency": "female"}, headers=post)
    assert started.status_code == 201
    exam = started.json()["id"]
    second = client.post("/api/exams", json={"emergency": "male"}, headers=post)
    assert second.status_code == 409 and second.json()["error"] == "station.exam_open"
    assert "E" in second.json()["message"] and second.json()["hint"]
    assert client.get("/api/exams?state=in_progress").json()["open"] == exam

    for _ in range(2):
        still = client.post(f"/api/exams/{exam}/stills", headers=post)
        assert still.status_code == 201 and still.json()["ms"] < 1500
    no_region = client.post(f"/api/exams/{exam}/recording/start", json={"pre_record_s": 2}, headers=post)
    assert no_region.status_code == 400 and no_region.json()["error"] == "region.missing"
    assert client.post(f"/api/exams/{exam}/region", json={"region": "colon"}, headers=post).json()["region"]
    time.sleep(2.5)
    rec = client.post(f"/api/exams/{exam}/recording/start", json={"pre_record_s": 2}, headers=post)
    assert rec.status_code == 201 and rec.json()["pre_record_s"] >= 2
    assert client.post(f"/api/exams/{exam}/recording/start", headers=post).status_code == 409
    time.sleep(1.5)
    stopped = client.post(f"/api/exams/{exam}/recording/stop", headers=post).json()
    assert stopped["dropped"] == 0 and 3.0 <= stopped["duration_s"] <= 6.0
    wait_for(lambda: len(client.get(f"/api/exams/{exam}").json()["captures"]) == 3, timeout=30)
    view = client.get(f"/api/exams/{exam}", headers={"Accept-Language": "en"}).json()
    assert [c["state"] for c in view["captures"]] == ["created"] * 3
    assert [c["kind"] for c in view["captures"]] == ["photo", "photo", "video"]
    assert view["patient"]["emergency"] and view["region_key"] == "colon" and view["counts"]["held"] == 3
    uid = view["captures"][0]["sop_instance_uid"]
    assert client.get(f"/api/captures/{uid}/thumbnail.jpg").content[:2] == b"\xff\xd8"
    assert client.get("/api/captures/../../etc/thumbnail.jpg").status_code == 404

    deleted = client.post(f"/api/exams/{exam}/captures/{uid}/delete", headers=post).json()
    assert len(client.get(f"/api/exams/{exam}").json()["captures"]) == 2
    assert client.post(f"/api/undo/{deleted['undo']}", headers=post).json() == {"restored": True}
    assert client.post(f"/api/undo/{deleted['undo']}", headers=post).status_code == 409
    assert len(client.get(f"/api/exams/{exam}").json()["captures"]) == 3
    assert client.get("/api/status").json()["pending"] == 3

    assert client.post(f"/api/exams/{exam}/send", headers=post).json() == {"queued": 3}
    wait_for(lambda: {c["state"] for c in client.get(f"/api/exams/{exam}").json()["captures"]} == {"sent"},
             timeout=60)
    assert len(storescp_all.received()) == 3
    gone = client.post(f"/api/exams/{exam}/captures/{uid}/delete", headers=post)
    assert gone.status_code == 409 and gone.json()["error"] == "exam.object_queued"

    queue = client.get("/api/queue?all=1").json()
    assert [j["state"] for j in queue["jobs"]] == ["sent"] * 3 and queue["destinations"][0]["sent"] == 3
    job = queue["jobs"][0]["id"]
    assert client.post("/api/queue/retry", json={"jobs": [job]}, headers=post).json() == {"retry": 0}
    assert client.post("/api/queue/cancel", json={"jobs": [job]}, headers=post).json() == {"cancel": 0}
    assert client.post("/api/queue/cancel", json={"jobs": "all"}, headers=post).status_code == 400
    assert client.post("/api/queue/explode", json={"jobs": [job]}, headers=post).status_code == 404
    settings = client.get("/api/settings").json()
    assert settings["configuration"]["web"]["bind"] == "127.0.0.1" and settings["peers"][0]["name"] == "pacs"
    echo = client.post("/api/echo/pacs", headers=post).json()
    assert echo["ok"] is True
    assert client.post("/api/echo/nobody", headers=post).status_code == 404
    assert client.get("/api/preview.jpg").content[:2] == b"\xff\xd8"

    done = client.post(f"/api/exams/{exam}/complete", headers=post)
    assert done.json() == {"id": exam, "state": "completed", "captures": 3}
    again = client.post(f"/api/exams/{exam}/stills", headers=post)
    assert again.status_code == 409 and again.json()["error"] == "exam.not_in_progress"
    assert client.get("/api/exams/E000000-0000").status_code == 404


def test_state_changes_need_the_csrf_token_and_the_station_s_own_origin(station: LiveStation) -> None:
    client, csrf = _client(station)
    refused = client.post("/api/exams", json={"emergency": "male"})
    assert refused.status_code == 403 and refused.json()["error"] == "web.forbidden"
    assert client.post("/api/exams", json={"emergency": "male"}, headers={"X-CSRF-Token": "guess"}).status_code == 403
    foreign = client.post("/api/exams", json={"emergency": "male"},
                          headers={"X-CSRF-Token": csrf, "Origin": "http://evil.example"})
    assert foreign.status_code == 403
    rebound = client.get("/api/status", headers={"Host": "evil.example:8080"})
    assert rebound.status_code == 403
    assert client.get("/api/status").status_code == 200


def test_remote_access_needs_a_password_and_a_session(tmp_path: Path, storescp_all: peers.StoreScp) -> None:
    with pytest.raises(ConfigError) as refused:
        Security(_config(tmp_path, storescp_all.address, bind="0.0.0.0").web)
    assert refused.value.key == "web.remote_needs_password"
    hashed = hash_password("Geheim-123")
    assert verify_password("Geheim-123", hashed) and not verify_password("geheim-123", hashed)
    assert "Geheim" not in hashed
    config = _config(tmp_path, storescp_all.address, bind="0.0.0.0", password_hash=hashed)
    st = LiveStation(config, source=SourceSpec.parse("testpattern:320x240@25"), echo_interval=3600)
    st.start()
    try:
        client = TestClient(create_app(st, Security(config.web, port=8080)), base_url="http://192.0.2.10:8080")
        assert client.get("/api/health").status_code == 200
        assert client.get("/api/session").json() == {"auth_required": True, "logged_in": False, "csrf": None,
                                                     "lang": "de"}
        for path in ("/api/status", "/api/worklist", "/api/queue", "/api/settings", "/api/exams",
                     "/api/preview.jpg", "/api/events"):
            assert client.get(path).status_code == 401, path
        assert client.post("/api/exams", json={"emergency": "male"}).status_code == 401
        wrong = client.post("/api/login", json={"password": "falsch"})
        assert wrong.status_code == 401 and wrong.json()["message"] == "Das Passwort ist nicht richtig."
        ok = client.post("/api/login", json={"password": "Geheim-123"})
        cookie = ok.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
        csrf = ok.json()["csrf"]
        assert client.get("/api/status").status_code == 200
        assert client.post("/api/exams", json={"emergency": "male"}).status_code == 403
        assert client.post("/api/exams", json={"emergency": "male"}, headers={"X-CSRF-Token": csrf}).status_code \
            == 201
        client.post("/api/logout", headers={"X-CSRF-Token": csrf})
        assert client.get("/api/status").status_code == 401
        bearer = TestClient(create_app(st, Security(config.web, port=8080)), base_url="http://192.0.2.10:8080")
        assert bearer.get("/api/status", headers={"Authorization": "Bearer Geheim-123"}).status_code == 200
        assert bearer.get("/api/status", headers={"Authorization": "Bearer nope"}).status_code == 401
    finally:
        st.stop_event.set()
        st.stop()


def _first_bytes(url: str, size: int, timeout: float = 20) -> tuple[str, bytes]:
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.headers.get("content-type", ""), r.read(size)


def test_the_event_stream_and_the_preview_of_a_running_station(
        tmp_path: Path, storescp_all: peers.StoreScp, processes: list[subprocess.Popen[str]]) -> None:
    station = start_station(tmp_path, processes, pacs=storescp_all.address, worklist=None)
    try:
        kind, body = _first_bytes(station.url + "api/events", 40)
        assert kind.startswith("text/event-stream") and b"event: hello" in body
        kind, body = _first_bytes(station.url + "api/preview.mjpeg", 4096)
        assert kind.startswith("multipart/x-mixed-replace") and b"Content-Type: image/jpeg" in body
        assert b"X-Frame-Time: " in body and b"\xff\xd8" in body
        status = station.get("/api/status")
        assert status["source"]["width"] == 640 and json.dumps(status)
    finally:
        err = stop_station(station)
    assert "Die Station wird beendet" in err
