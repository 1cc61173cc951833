"""Shared fixtures: real peers on 127.0.0.1 (see ``peers.py``), validators, and the CI tool check.

- Under ``CI=true`` the session stops at once when a real tool is missing (no silent skips).
- Tests that use a peer fixture get the ``peer`` marker automatically (``-m "not peer"`` runs the rest).
- When a test fails, the logs of the peers it started are attached to its report.
"""

from __future__ import annotations

import os
from collections.abc import Generator, Iterator
from pathlib import Path

import peers
import pytest
from hypothesis import HealthCheck, settings

# CI: reproducible examples, no flaky deadlines on a busy runner (scripts/test sets HYPOTHESIS_PROFILE=ci).
settings.register_profile("ci", derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

REQUIRED_TOOLS = ("storescp", "storescu", "findscu", "wlmscpfs", "dciodvfy", "dcentvfy", "Orthanc",
                  "img2dcm", "dump2dcm", "openssl", "dcmqrscp", "chromium")
REQUIRED_FILES = (peers.ORTHANC_WORKLIST_PLUGIN, peers.ORTHANC_DICOMWEB_PLUGIN)  # Orthanc plugins (Debian packages)

PEER_FIXTURES = frozenset({"storescp_all", "storescp_implicit", "wlm_scp", "orthanc_peer", "dciodvfy_tool",
                           "dcentvfy_tool", "img2dcm_tool", "storescu_tool", "findscu_tool",
                           "dump2dcm_tool", "standard_tables"})


def missing_tools() -> list[str]:
    """The required real tools (and Orthanc plugins) that are not installed."""
    return ([name for name in REQUIRED_TOOLS if peers.find_tool(name) is None]
            + [str(path) for path in REQUIRED_FILES if not path.is_file()])


def pytest_sessionstart(session: pytest.Session) -> None:
    if peers.in_ci():
        missing = missing_tools()
        if missing:
            pytest.exit(f"CI=true but real peers/validators are missing: {', '.join(missing)} "
                        "(scripts/test installs dcmtk, dicom3tools, orthanc, orthanc-dicomweb)", returncode=1)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if PEER_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.peer)


@pytest.fixture(autouse=True)
def _reset_peer_logs() -> Iterator[None]:
    peers.started_logs.clear()
    yield


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, object, object]:
    report = yield
    if getattr(report, "failed", False) and peers.started_logs:
        for log in dict.fromkeys(peers.started_logs):
            report.sections.append((f"peer log {log.name}", peers._tail(log, 8000)))  # type: ignore[attr-defined]
    return report


# ----------------------------------------------------------------------------------------- fixtures


@pytest.fixture
def storescp_all(tmp_path: Path) -> Iterator[peers.StoreScp]:
    """storescp accepting every SOP class and transfer syntax, writing to ``tmp_path/received``."""
    with peers.storescp(tmp_path / "received", accept="all") as scp:
        yield scp


@pytest.fixture
def storescp_implicit(tmp_path: Path) -> Iterator[peers.StoreScp]:
    """storescp accepting Implicit VR Little Endian only."""
    with peers.storescp(tmp_path / "received-implicit", accept="implicit") as scp:
        yield scp


@pytest.fixture
def wlm_scp(tmp_path: Path) -> Iterator[peers.WorklistScp]:
    """wlmscpfs on ``tmp_path/worklist``; add items with ``peers.write_worklist_item(scp.wl_dir, scp.aet, …)``."""
    with peers.wlmscpfs(tmp_path / "worklist") as scp:
        yield scp


@pytest.fixture
def orthanc_peer(tmp_path: Path) -> Iterator[peers.OrthancPeer]:
    """Orthanc with the worklist plugin (items in ``tmp_path/orthanc-worklists``)."""
    with peers.orthanc(tmp_path / "orthanc", worklist_dir=tmp_path / "orthanc-worklists") as pacs:
        yield pacs


@pytest.fixture(scope="session")
def standard_tables(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The dicom-standard tables converted once per session for dicom-validator, the second IOD validator."""
    from smartbox_next.iod import validate_standard

    if not validate_standard.available():
        reason = "dicom-validator / dicom-standard not installed (pip install -e '.[dev]')"
        if peers.in_ci():
            pytest.fail(f"CI=true but {reason}", pytrace=False)
        pytest.skip(reason)
    tables = tmp_path_factory.mktemp("standard-tables")
    validate_standard.dicom_info(tables)
    return tables


@pytest.fixture
def dciodvfy_tool() -> str:
    return peers.require_tool("dciodvfy")


@pytest.fixture
def dcentvfy_tool() -> str:
    return peers.require_tool("dcentvfy")


@pytest.fixture
def img2dcm_tool() -> str:
    return peers.require_tool("img2dcm")


@pytest.fixture
def dump2dcm_tool() -> str:
    return peers.require_tool("dump2dcm")


@pytest.fixture
def storescu_tool() -> str:
    return peers.require_tool("storescu")


@pytest.fixture
def findscu_tool() -> str:
    return peers.require_tool("findscu")


@pytest.fixture(autouse=True, scope="session")
def _isolated_station_data(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """CLI runs in tests keep spool, outbox and exam journals in a temporary folder, never in $HOME."""
    data = tmp_path_factory.mktemp("station-data")
    old = os.environ.get("SMARTBOX_STATION_DATA_DIR")
    os.environ["SMARTBOX_STATION_DATA_DIR"] = str(data)
    yield
    if old is None:
        os.environ.pop("SMARTBOX_STATION_DATA_DIR", None)
    else:
        os.environ["SMARTBOX_STATION_DATA_DIR"] = old


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No SMARTBOX_* variable and no user configuration of the machine running the tests leaks in."""
    for key in list(os.environ):
        if key.startswith("SMARTBOX_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))


@pytest.fixture(autouse=True)
def _english_locale(monkeypatch: pytest.MonkeyPatch) -> None:
    """No locale variable of the developer's shell decides the language of a test: without --lang or
    station.language the CLI speaks English (tests that check the locale rule set LANG themselves)."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        monkeypatch.delenv(name, raising=False)
