"""The exam screen of a slow station in a real browser (Debian chromium via Playwright): what arrives late.

Two defects seen only under load, each reproduced here by holding an answer back (Playwright's routing):
- until the preview stream's first frame arrived, every status update opened the stream again; the opened
  streams piled up, and at the browser's six connections per host a photo waited behind them;
- an exam read before the last photo was written, answered after the one read since, took the photo's card back
  (the page showed one capture of two until something else changed);
- an exam reload scheduled on the exam screen (by the events of ending the exam) ran after the nurse had opened
  "Versand" and sent the page back to the worklist.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import peers
from processes import processes, wait_for
from station_support import (
    answered,
    browser_page,
    card_states,
    requests_to,
    screenshot,
    start_station,
    stop_station,
    wait_states,
)

__all__ = ["processes"]  # the fixture


def test_a_preview_slow_to_start_is_opened_once_and_photos_go_on(
        tmp_path: Path, storescp_all: peers.StoreScp, processes: list[subprocess.Popen[str]]) -> None:
    station = start_station(tmp_path, processes, pacs=storescp_all.address, worklist=None, lang="de")
    held: list[Any] = []
    with browser_page(lang="de") as page:
        # the stream gets no answer until we let it: its first frame is as late as we like
        page.route("**/api/preview.mjpeg*", lambda route: held.append(route))
        page.goto(station.url)
        page.click("#emergency-male")
        page.wait_for_selector("#screen-exam:not([hidden])")
        wait_for(lambda: page.wait_for_timeout(50) or held)
        for n in (1, 2, 3):  # each photo updates the exam and the status: no new stream for any of them
            page.click("#photo")
            wait_states(page, n, {"created"})
        assert requests_to(page, "preview.mjpeg") == 1
        assert page.evaluate("document.getElementById('preview').naturalWidth") == 0
        held[0].continue_()
        page.wait_for_function("document.getElementById('preview').naturalWidth > 0")
        page.click("#photo")
        wait_states(page, 4, {"created"})
        assert requests_to(page, "preview.mjpeg") == 1
        screenshot(page, "exam-preview-late")
    stop_station(station)


def test_an_old_answer_arriving_late_does_not_take_a_capture_back(
        tmp_path: Path, storescp_all: peers.StoreScp, processes: list[subprocess.Popen[str]]) -> None:
    station = start_station(tmp_path, processes, pacs=storescp_all.address, worklist=None, lang="de")
    held: list[Any] = []
    with browser_page(lang="de") as page:
        page.goto(station.url)
        page.click("#emergency-female")
        page.wait_for_function("document.getElementById('preview').naturalWidth > 0")
        page.click("#photo")
        wait_states(page, 1, {"created"})
        exam_id = station.get("/api/status")["open_exam"]
        before = json.dumps(station.get(f"/api/exams/{exam_id}"))  # the exam as read before the second photo

        def hold_two_reads(route: Any) -> None:
            if route.request.method == "GET" and len(held) < 2:
                held.append(route)
            else:
                route.continue_()
        page.route("**/api/exams/*", hold_two_reads)
        page.click("#photo")  # the page reads the exam again (after the event, and after the answer to the press)
        wait_for(lambda: page.wait_for_timeout(50) or len(held) >= 2)
        *first, last = held
        last.continue_()  # the newest read is answered first: two captures
        wait_states(page, 2, {"created"})
        for route in first:  # then the older reads, with what the station had before the second photo
            route.fulfill(status=200, content_type="application/json", body=before)
        wait_for(lambda: page.wait_for_timeout(50) or all(answered(page, r.request) for r in first))
        page.wait_for_timeout(300)  # time to render them, were they taken
        assert card_states(page) == ["created", "created"]
        screenshot(page, "exam-late-answer")
    stop_station(station)


def test_a_late_exam_reload_does_not_take_the_nurse_off_another_screen(
        tmp_path: Path, storescp_all: peers.StoreScp, processes: list[subprocess.Popen[str]]) -> None:
    station = start_station(tmp_path, processes, pacs=storescp_all.address, worklist=None, lang="de")
    with browser_page(lang="de") as page:
        page.goto(station.url)
        page.click("#emergency-child")
        page.wait_for_selector("#screen-exam:not([hidden])")
        page.click("#end-exam")
        page.click("#end-confirm")
        page.wait_for_selector("#screen-worklist:not([hidden])")
        page.click("#nav-queue")
        page.wait_for_selector("#screen-queue:not([hidden])")
        page.evaluate("loadExam()")  # what the reload timer set by the end's events does when it fires late
        page.wait_for_timeout(300)
        assert page.is_visible("#screen-queue") and not page.is_visible("#screen-worklist")
    stop_station(station)
