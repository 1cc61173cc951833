"""The live preview on the exam screen in a real browser (Debian chromium via Playwright): one MJPEG stream.

The defect this reproduces: until the stream's first frame arrived, every status update opened the stream again.
Under load the first frame was late, the opened streams piled up, and at the browser's six connections per host
a photo (or the queue) waited behind them -- the nurse taps and nothing happens.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import peers
from processes import processes, wait_for
from station_support import browser_page, requests_to, screenshot, start_station, stop_station, wait_states

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
