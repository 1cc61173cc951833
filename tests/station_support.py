"""The capture station under test: a worklist with the demo patients in DCMTK wlmscpfs, the station as a real
``smartbox station`` process (or in-process for API tests), and a headless Chromium driven by Playwright."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import peers
import pytest
from processes import start_smartbox, station_env, wait_for

from smartbox_next.app.loopback import demo_worklist

SCREENSHOTS = Path(__file__).parent / "screenshots"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]
SOURCE = "testpattern:640x360@25"


def write_demo_worklist(scp: peers.WorklistScp, station_ae: str = "SMARTBOX") -> None:
    """The four demo patients (umlauts, UTF-8), scheduled today at ``station_ae``."""
    for n, ds in enumerate(demo_worklist(station_ae), start=1):
        peers.write_worklist_item(scp.wl_dir, scp.aet, ds, f"demo{n}")


@dataclass
class StationProcess:
    proc: subprocess.Popen[str]
    url: str
    data_dir: Path
    startup: list[str]  # what it wrote to stderr up to its address
    log: list[str]  # what it wrote after that: drained by a thread (a full pipe would block its logging)
    drains: list[threading.Thread]

    def get(self, path: str) -> Any:
        with urllib.request.urlopen(self.url.rstrip("/") + path, timeout=10) as r:
            return json.loads(r.read())


def station_peers(pacs: str | None, worklist: str | None) -> dict[str, str]:
    out: dict[str, str] = {}
    if pacs:
        out["pacs"] = pacs
    if worklist:
        out["mwl"] = worklist
    return out


def start_station(tmp_path: Path, processes: list[subprocess.Popen[str]], *, pacs: str | None,
                  worklist: str | None, lang: str = "de", source: str = SOURCE, **extra: str) -> StationProcess:
    """``smartbox station --port 0`` with the PACS (storage) and worklist peers; waits for its address."""
    data = tmp_path / "station-data"
    env = station_env(data, station_peers(pacs, worklist), lang=lang, SMARTBOX_LIVE_PRE_RECORD_CHOICES="0,2,10",
                      SMARTBOX_LIVE_PRE_RECORD_S="0", **extra)
    if worklist:
        env["SMARTBOX_WORKLIST_PEER"] = "mwl"
    proc = start_smartbox("station", "--port", "0", "--source", source, env=env, procs=processes)
    assert proc.stderr is not None
    url = None
    deadline = time.monotonic() + 60
    lines = []
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            if proc.poll() is not None:
                break
            continue
        lines.append(line)
        m = re.search(r"(https?://[0-9.]+:\d+/)", line)
        if m:
            url = m.group(1)
            break
    assert url, "station did not start:\n" + "".join(lines)
    station = StationProcess(proc, url, data, lines, [], [])
    _drain(station)
    wait_for(lambda: _healthy(station), timeout=30)
    return station


def _drain(station: StationProcess) -> None:
    """Read the station's stdout and stderr to the end in threads; each line is also echoed to this process's
    stderr, which pytest shows for a failed test ("[station] ...")."""
    def read(stream: Any, keep: list[str] | None) -> None:
        for line in stream:
            if keep is not None:
                keep.append(line)
            sys.stderr.write("[station] " + line)
    for stream, keep in ((station.proc.stderr, station.log), (station.proc.stdout, None)):
        thread = threading.Thread(target=read, args=(stream, keep), daemon=True)
        thread.start()
        station.drains.append(thread)


def _healthy(station: StationProcess) -> bool:
    try:
        return bool(station.get("/api/health")["source"] == "live")
    except OSError:
        return False


def stop_station(station: StationProcess) -> str:
    """SIGTERM, wait, and return what it wrote to stderr."""
    station.proc.terminate()
    try:
        station.proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        station.proc.kill()
        station.proc.wait(timeout=10)
    for thread in station.drains:
        thread.join(timeout=10)
    return "".join(station.log)


# ----------------------------------------------------------------------------------------- browser


def chromium_path() -> str:
    path = peers.find_tool("chromium")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        path = None
    if path is None:
        reason = "Debian chromium and the playwright package are needed (scripts/test installs them)"
        if peers.in_ci():
            pytest.fail(f"CI=true but {reason}", pytrace=False)
        pytest.skip(reason)
    return path


@contextmanager
def browser_page(*, width: int = 1920, height: int = 1080, lang: str = "de") -> Iterator[Any]:
    """A fresh headless Chromium (own profile) with one page; console errors fail the test at the end."""
    from playwright.sync_api import sync_playwright

    exe = chromium_path()
    errors: list[str] = []
    with sync_playwright() as p, tempfile.TemporaryDirectory(prefix="smartbox-chromium-") as profile:
        ctx = p.chromium.launch_persistent_context(profile, executable_path=exe, headless=True, args=CHROMIUM_ARGS,
                                                   viewport={"width": width, "height": height}, locale=lang)
        try:
            page = ctx.pages[0] if ctx.pages else ctx.new_page()
            page.on("pageerror", lambda e: errors.append(str(e)))
            _record_traffic(page)
            page.set_default_timeout(20_000)
            yield page
        finally:
            ctx.close()
    assert not errors, f"errors in the page: {errors}"


_TRAFFIC: dict[int, dict[Any, list[Any]]] = {}


def _record_traffic(page: Any) -> None:
    """Every /api/ request of the page with its start, end and status, for a failure's message."""
    seen: dict[Any, list[Any]] = {}
    _TRAFFIC[id(page)] = seen
    t0 = time.monotonic()

    def started(req: Any) -> None:
        if "/api/" in req.url:
            seen[req] = [req.method, req.url.split("/api/", 1)[1][:60], round(time.monotonic() - t0, 1), None, None]

    def ended(req: Any, outcome: str | None = None) -> None:
        if req in seen:
            seen[req][3] = round(time.monotonic() - t0, 1)
            if outcome is not None:
                seen[req][4] = outcome

    def answered(response: Any) -> None:
        if response.request in seen:
            seen[response.request][4] = str(response.status)
    page.on("request", started)
    page.on("response", answered)
    page.on("requestfinished", ended)
    page.on("requestfailed", lambda req: ended(req, f"failed {req.failure}"))


def requests_to(page: Any, path: str) -> int:
    """How many requests the page made to ``/api/<path>…`` (query strings aside)."""
    return sum(1 for row in _TRAFFIC.get(id(page), {}).values() if row[1].split("?")[0] == path)


def api_traffic(page: Any, last: int = 25) -> str:
    """The page's last API requests (``METHOD path start-end status``) and those still open."""
    rows = list(_TRAFFIC.get(id(page), {}).values())
    text = [f"{m} {u} {a}-{b if b is not None else '…'} {o or 'OPEN'}" for m, u, a, b, o in rows[-last:]]
    still = [f"{m} {u} {a}" for m, u, a, b, o in rows[:-last] if b is None]
    return "\n".join(text + (["still open before those:", *still] if still else []))


def screenshot(page: Any, name: str) -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


def small_targets(page: Any, minimum: int = 48) -> list[str]:
    """Visible buttons, inputs and tabs smaller than ``minimum`` px in width or height (measured in the page)."""
    found: list[str] = page.evaluate(
        """(min) => [...document.querySelectorAll('button, input, select, summary, [role=button]')]
            .filter(e => { const r = e.getBoundingClientRect(); const s = getComputedStyle(e);
                           return r.width > 0 && r.height > 0 && s.visibility !== 'hidden'; })
            .filter(e => { const r = e.getBoundingClientRect();
                           const box = e.type === 'checkbox' ? e.closest('label').getBoundingClientRect() : r;
                           return box.width < min || box.height < min; })
            .map(e => `${e.tagName}#${e.id || ''}.${e.className} ${Math.round(e.getBoundingClientRect().width)}x`
                      + `${Math.round(e.getBoundingClientRect().height)}`)""", minimum)
    return found


def height_of(page: Any, selector: str) -> float:
    box = page.locator(selector).first.bounding_box()
    assert box is not None, selector
    return float(box["height"])


def card_states(page: Any) -> list[str]:
    """The states of the capture cards on the exam screen, in order."""
    return list(page.eval_on_selector_all(".cap[data-state]", "els => els.map(e => e.dataset.state)"))


def wait_states(page: Any, count: int, states: set[str], timeout: float = 60) -> None:
    """Until there are ``count`` cards, each in one of ``states`` (a screenshot ``failed-wait`` when not)."""
    try:
        wait_for(lambda: len(s := card_states(page)) == count and set(s) <= states, timeout=timeout)
    except AssertionError:
        screenshot(page, "failed-wait")
        raise AssertionError(f"captures {card_states(page)}, wanted {count} in {states}: "
                             f"{page.text_content('#toasts')}\nthe page's requests:\n{api_traffic(page)}") from None


def emergency_photos(page: Any, kind: str, count: int) -> None:
    """From the worklist: an emergency exam (``male|female|child``) and ``count`` photos, held on the exam screen."""
    page.click(f"#emergency-{kind}")
    page.wait_for_function("document.getElementById('preview').naturalWidth > 0")
    for n in range(1, count + 1):
        page.click("#photo")
        wait_states(page, n, {"created"})


def commitment_config(tmp_path: Path, pacs: str, *, listener: int = 0) -> Path:
    """A configuration file: ``pacs`` stores and commits; the listener on ``listener`` (0: none)."""
    toml = tmp_path / "smartbox.toml"
    lines = f'[peers.pacs]\naddress = "{pacs}"\nroles = ["storage", "commitment"]\n'
    if listener:
        lines += f'[listener]\nport = {listener}\nhost = "127.0.0.1"\n'
    toml.write_text(lines, encoding="utf-8")
    return toml
