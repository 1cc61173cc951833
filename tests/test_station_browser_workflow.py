"""The capture station in a real browser with Storage Commitment: Orthanc stores and commits what the station sent
(its report comes on a new association to the station's listener) and the nurse sees the captures "archived".

The station is a real ``smartbox station`` process; the page is driven by taps only; screenshots go to
tests/screenshots/ (ignored by git).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import peers
import pytest
from processes import processes
from station_support import (
    browser_page,
    commitment_config,
    emergency_photos,
    screenshot,
    small_targets,
    start_station,
    stop_station,
    wait_states,
)

__all__ = ["processes"]  # the fixture

LABELS = {"de": ("Archiviert", "Untersuchung beendet", "Letzte Untersuchung",
                 "Alle Aufnahmen sind im Archiv, und das Archiv hat sie bestätigt."),
          "en": ("Archived", "Exam ended", "Last exam",
                 "All captures are in the archive, and the archive has confirmed them.")}


@pytest.mark.parametrize("lang", ["de", "en"])
def test_the_captures_of_an_ended_exam_turn_archived_when_the_archive_commits_them(
        tmp_path: Path, processes: list[subprocess.Popen[str]], lang: str) -> None:
    listener = peers.free_port()
    archived, ended, last, summary = LABELS[lang]
    with peers.orthanc(tmp_path / "orthanc", modalities={"box": ("SMARTBOX", listener)}) as pacs:
        toml = commitment_config(tmp_path, pacs.address, listener=listener)
        station = start_station(tmp_path, processes, pacs=None, worklist=None, lang=lang, SMARTBOX_CONFIG=str(toml))
        with browser_page(lang=lang) as page:
            page.goto(station.url)
            emergency_photos(page, "female", 2)
            page.click("#end-exam")
            page.click("#end-confirm")  # sends what is held and ends the exam: only then is commitment asked for
            page.wait_for_selector("#screen-worklist:not([hidden])")
            page.wait_for_selector("#last-box:not([hidden])")
            assert page.text_content("#last-exam strong") == last
            assert (page.text_content("#last-exam .sub") or "").startswith("EMERGENCY, ")  # the patient
            screenshot(page, f"worklist-last-exam-{lang}")
            page.click("#last-exam")
            page.wait_for_selector("#screen-exam.ended:not([hidden])")
            assert page.text_content("#ended-badge") == ended
            assert page.locator("#photo").is_hidden() and page.locator("#end-exam").is_hidden()
            wait_states(page, 2, {"archived"}, timeout=90)  # sent → archived on the report, without a reload
            assert page.eval_on_selector_all(".cap .st-text", "els => els.map(e => e.textContent)") == [archived] * 2
            assert page.locator(".cap .why").count() == 0  # nothing to explain
            assert page.text_content("#exam-summary") == summary
            assert page.locator("#send-all").is_hidden()  # nothing left to send
            small = small_targets(page)
            assert not small, f"touch targets under 48 px: {small}"
            screenshot(page, f"exam-archived-{lang}")
        stop_station(station)
        assert len(pacs.instances()) == 2
    told = "".join(station.startup)  # the station said where it receives the reports
    assert f"127.0.0.1:{listener}" in told and ("Speicherbestätigungen" if lang == "de" else "commitment") in told


def test_a_commitment_that_does_not_come_shows_a_plain_state(
        tmp_path: Path, processes: list[subprocess.Popen[str]]) -> None:
    """Orthanc accepts the request but reports to a port where nobody listens: overdue after the window."""
    nobody = peers.free_port()
    with peers.orthanc(tmp_path / "orthanc", modalities={"box": ("SMARTBOX", nobody)}) as pacs:
        toml = commitment_config(tmp_path, pacs.address)
        station = start_station(tmp_path, processes, pacs=None, worklist=None, SMARTBOX_CONFIG=str(toml),
                                SMARTBOX_COMMITMENT_WINDOW_HOURS="0.001", SMARTBOX_COMMITMENT_WAIT_ON_ASSOCIATION="0")
        with browser_page() as page:
            page.goto(station.url)
            emergency_photos(page, "male", 1)
            page.click("#end-exam")
            page.click("#end-confirm")
            page.wait_for_selector("#last-box:not([hidden])")
            page.click("#last-exam")
            wait_states(page, 1, {"unconfirmed"}, timeout=90)
            assert page.text_content(".cap .st-text") == "Archiv bestätigt nicht"
            assert page.text_content(".cap .why") == ("Das Archiv bestätigt die Speicherung nicht – die Aufnahme "
                                                      "bleibt sicher auf der Station gespeichert. Bitte die IT "
                                                      "informieren.")
            assert "Speicherbestätigung überfällig" in (page.get_attribute(".cap", "title") or "")  # for IT
            assert page.text_content("#exam-summary") == ("Das Archiv hat nicht alle Aufnahmen bestätigt – sie "
                                                          "bleiben sicher auf der Station gespeichert. Bitte die IT "
                                                          "informieren.")
            screenshot(page, "exam-unconfirmed-de")
        stop_station(station)
