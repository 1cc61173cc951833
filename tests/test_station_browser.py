"""The capture station in a real browser (Debian chromium via Playwright), against DCMTK storescp and wlmscpfs.

Each test starts ``smartbox station`` as a real process, drives the page like a nurse (taps, no API shortcuts)
and saves a screenshot of every screen under tests/screenshots/ (ignored by git).
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import peers
import pydicom
import pytest
from processes import processes, wait_for
from station_support import (
    browser_page,
    card_states,
    emergency_photos,
    height_of,
    requests_to,
    screenshot,
    small_targets,
    start_station,
    stop_station,
    wait_states,
    write_demo_worklist,
)

__all__ = ["processes"]  # the fixture

MAIN_ACTIONS = ("#photo", "#video", "#send-all", "#end-exam")


def _check_targets(page: Any, where: str) -> None:
    small = small_targets(page)
    assert not small, f"{where}: touch targets under 48 px: {small}"


@pytest.mark.parametrize("lang", ["de", "en"])
def test_a_worklist_patient_with_photos_and_a_pre_recorded_video_reaches_the_pacs(
        tmp_path: Path, storescp_all: peers.StoreScp, wlm_scp: peers.WorklistScp,
        processes: list[subprocess.Popen[str]], lang: str) -> None:
    write_demo_worklist(wlm_scp)
    station = start_station(tmp_path, processes, pacs=storescp_all.address, worklist=wlm_scp.address, lang=lang)
    with browser_page(lang=lang) as page:
        page.goto(station.url)
        page.wait_for_selector(".row[data-item]")
        title = page.text_content("#title") or ""
        assert title.startswith("SmartBox – Arbeitsliste vom " if lang == "de" else "SmartBox – Worklist of ")
        assert ("(Online)" if lang == "de" else "(online)") in title
        assert page.locator(".row[data-item]").count() == 4
        _check_targets(page, "worklist")
        for sel in ("#emergency-male", "#refresh", "#range-today"):
            assert height_of(page, sel) >= 56, sel
        screenshot(page, f"worklist-{lang}")
        page.fill("#search", "Käthe")
        assert page.locator(".row[data-item]").count() == 1
        page.click(".row[data-item]")
        page.wait_for_selector("#confirm-start")
        assert height_of(page, "#confirm-start") >= 60
        screenshot(page, f"confirm-{lang}")
        page.click("#confirm-start")

        page.wait_for_selector("#screen-exam:not([hidden])")
        page.wait_for_function("document.getElementById('preview').naturalWidth > 0")
        assert "Weiß, Käthe" in (page.text_content("#patient-name") or "")
        page.click("#photo")
        wait_states(page, 1, {"created"})  # held until sent; a screenshot 'failed-wait' tells why when not
        page.click("#photo")
        wait_states(page, 2, {"created"})
        page.wait_for_timeout(2500)  # the ring buffer holds more than the 2 s asked for
        page.click("#pre-2")
        page.click("#video")
        page.wait_for_selector("#video.recording")
        page.wait_for_timeout(3000)
        screenshot(page, f"exam-recording-{lang}")
        page.click("#video")
        wait_states(page, 3, {"created"})
        counts = page.text_content("#send-all") or ""
        assert ("Alle senden (3)" if lang == "de" else "Send all (3)") == counts.strip()
        for sel in MAIN_ACTIONS:
            assert height_of(page, sel) >= 60, sel
        _check_targets(page, "exam")
        screenshot(page, f"exam-captures-{lang}")
        # one preview stream for the whole exam screen: a stream opened again on every status update (until its
        # first frame) piled up and took the browser's six connections per host, so a photo waited behind them
        assert requests_to(page, "preview.mjpeg") == 1
        page.click("#send-all")
        wait_states(page, 3, {"sent"}, timeout=90)
        sent = "gesendet" if lang == "de" else "sent"
        assert page.locator(".cap .st-text", has_text=sent).count() == 3
        screenshot(page, f"exam-sent-{lang}")
        page.click("#end-exam")
        page.wait_for_selector("#end-confirm")
        screenshot(page, f"end-dialog-{lang}")
        page.click("#end-confirm")
        page.wait_for_selector("#screen-worklist:not([hidden])")
        wait_for(lambda: "ausstehend" not in (page.text_content("#pending") or "")
                 and "pending" not in (page.text_content("#pending") or ""))

        page.click("#nav-queue")
        page.wait_for_selector(".lamp-card")
        _check_targets(page, "queue")
        screenshot(page, f"queue-{lang}")
        page.click("#nav-settings")
        page.wait_for_selector(".peer[data-peer='pacs'] button")
        page.click(".peer[data-peer='pacs'] button")
        page.wait_for_selector(".peer[data-peer='pacs'] .result.ok")
        _check_targets(page, "settings")
        screenshot(page, f"settings-{lang}")
    stop_station(station)

    received = [pydicom.dcmread(p, stop_before_pixels=True) for p in storescp_all.received()]
    assert len(received) == 3
    assert {str(ds.PatientName) for ds in received} == {"Weiß^Käthe"}
    assert len({ds.StudyInstanceUID for ds in received}) == 1
    videos = [ds for ds in received if "NumberOfFrames" in ds]
    assert len(videos) == 1
    seconds = int(videos[0].NumberOfFrames) * float(videos[0].FrameTime) / 1000
    assert 4.5 <= seconds <= 9.0, seconds  # 3 s recorded (+ tap latency) + 2 s pre-record (+ up to 1 s to its keyframe)
    assert videos[0].file_meta.TransferSyntaxUID == "1.2.840.10008.1.2.4.102"
    stills = [ds for ds in received if "NumberOfFrames" not in ds]
    assert all(ds.file_meta.TransferSyntaxUID == "1.2.840.10008.1.2.4.50" for ds in stills)


def test_an_emergency_exam_asks_for_the_region_before_the_video(
        tmp_path: Path, storescp_all: peers.StoreScp, processes: list[subprocess.Popen[str]]) -> None:
    station = start_station(tmp_path, processes, pacs=storescp_all.address, worklist=None)
    with browser_page() as page:
        page.goto(station.url)
        page.wait_for_selector("#worklist-banner:not([hidden])")
        assert "kein Worklist-Server" in (page.text_content("#worklist-banner") or "")
        page.click("#emergency-female")
        page.wait_for_selector("#emergency-badge")
        assert "NOTFALL" in (page.text_content("#emergency-badge") or "")
        page.wait_for_function("document.getElementById('preview').naturalWidth > 0")
        page.click("#photo")
        wait_for(lambda: len(card_states(page)) == 1)
        page.click("#video")
        page.wait_for_selector("#region-colon")
        screenshot(page, "emergency-region")
        page.click("#region-colon")
        page.wait_for_selector("#video.recording")
        page.wait_for_timeout(1200)
        page.click("#video")
        wait_states(page, 2, {"created"})
        screenshot(page, "emergency-exam")
        page.click("#end-exam")
        page.wait_for_selector("#end-unsent")
        assert "2 Aufnahmen sind noch nicht gesendet" in (page.text_content("#end-unsent") or "")
        page.click("#end-confirm")
        page.wait_for_selector("#screen-worklist:not([hidden])")
    wait_for(lambda: len(storescp_all.received()) == 2, timeout=60)
    stop_station(station)
    names = {str(pydicom.dcmread(p, stop_before_pixels=True).PatientName) for p in storescp_all.received()}
    assert len(names) == 1 and names.pop().startswith("EMERGENCY^")


def test_with_the_pacs_down_a_capture_shows_the_reason_and_is_delivered_when_it_is_back(
        tmp_path: Path, processes: list[subprocess.Popen[str]]) -> None:
    port = peers.free_port()
    station = start_station(tmp_path, processes, pacs=f"STORESCP@127.0.0.1:{port}", worklist=None,
                            SMARTBOX_RETRY_INITIAL_DELAY="1", SMARTBOX_RETRY_MAX_DELAY="2")
    with browser_page() as page:
        page.goto(station.url)
        emergency_photos(page, "male", 1)
        page.click("#send-all")
        wait_states(page, 1, {"retry"}, timeout=60)
        # the nurse reads a plain reason and that nothing is lost; the technical text is for IT
        reason = page.text_content(".cap .why") or ""
        assert reason == "Archiv nicht erreichbar – Aufnahme ist sicher gespeichert und wird automatisch nachgesendet"
        assert (page.text_content(".cap .st-text") or "") == "Wartet"
        details = page.get_attribute(".cap", "title") or ""
        assert details.startswith("Details für die IT: Keine Verbindung zu STORESCP") and f":{port}" not in reason
        assert str(port) in details and "Was tun:" in details, details
        screenshot(page, "exam-pacs-down")
        page.click(".cap img")  # a tap shows the reason with the details underneath
        page.wait_for_selector(".toast .hint")
        assert (page.text_content(".toast .hint") or "").startswith("Details für die IT:")
        screenshot(page, "exam-pacs-down-details")
        assert "kB" in (page.text_content("#pending") or "")  # "1 (2 kB) ausstehend", not "0,0 MByte"
        page.click("#nav-queue")
        page.wait_for_selector("tr[data-state='retry_wait']")
        page.wait_for_selector(".lamp-card.down")
        assert "nicht erreichbar" in (page.text_content(".lamp-card.down") or "")
        size = page.text_content("tr[data-state='retry_wait'] td:nth-child(4)") or ""
        assert re.fullmatch(r"\d+ kB", size), size
        assert "Keine Verbindung zu STORESCP" in (page.text_content("tr[data-state='retry_wait'] .why") or "")
        screenshot(page, "queue-pacs-down")
        page.click("#nav-exam")
        page.wait_for_selector(".cap.retry")
        with peers.storescp(tmp_path / "back", port=port) as scp:
            wait_states(page, 1, {"sent"}, timeout=60)
            screenshot(page, "exam-pacs-back")
            assert len(scp.received()) == 1
    stop_station(station)


def test_a_small_tablet_screen_keeps_every_target_touchable(
        tmp_path: Path, storescp_all: peers.StoreScp, wlm_scp: peers.WorklistScp,
        processes: list[subprocess.Popen[str]]) -> None:
    write_demo_worklist(wlm_scp)
    station = start_station(tmp_path, processes, pacs=storescp_all.address, worklist=wlm_scp.address)
    with browser_page(width=1280, height=800) as page:
        page.goto(station.url)
        page.wait_for_selector(".row[data-item]")
        _check_targets(page, "worklist 1280x800")
        screenshot(page, "worklist-tablet")
        page.click("#emergency-child")
        page.wait_for_selector("#screen-exam:not([hidden])")
        page.wait_for_function("document.getElementById('preview').naturalWidth > 0")
        _check_targets(page, "exam 1280x800")
        for sel in MAIN_ACTIONS:
            assert height_of(page, sel) >= 60, sel
        screenshot(page, "exam-tablet")
    stop_station(station)
