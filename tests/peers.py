"""Real DICOM peers on 127.0.0.1 for tests: DCMTK storescp/wlmscpfs, Orthanc, dicom3tools validators.

Every peer is a context manager: it starts the real program on a free port, waits (bounded polling)
until the port accepts TCP connections, yields a small handle and stops the process in ``finally``
(terminate, then kill). The peer's log file is kept next to its working directory; when the body of
the ``with`` raises, the log's tail is attached to the exception as a note, and ``conftest.py`` adds
the logs of every peer a failed test started to the pytest report.

Tool lookup: pip's ``pynetdicom`` installs Python look-alikes named ``storescp``, ``storescu``,
``findscu``… that shadow DCMTK on ``PATH``. :func:`require_tool` therefore prefers native (ELF)
executables and never returns a Python script for a DCMTK name. A missing tool skips the test, or
fails it when ``CI=true``.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import re
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pydicom
import pytest
from pydicom.dataset import Dataset

__all__ = [
    "ORTHANC_PASSWORD",
    "ORTHANC_USER",
    "Archive",
    "OrthancPeer",
    "StoreScp",
    "VerifyResult",
    "WorklistScp",
    "dcentvfy",
    "dciodvfy",
    "dcmqrscp",
    "free_port",
    "in_ci",
    "make_tls_files",
    "orthanc",
    "qrscp",
    "require_tool",
    "started_logs",
    "storescp",
    "storescp_profile",
    "wlmscpfs",
    "write_worklist_item",
]

HOST = "127.0.0.1"
ORTHANC_USER = "smartbox"
ORTHANC_PASSWORD = "smartbox-test"
ORTHANC_WORKLIST_PLUGIN = Path("/usr/share/orthanc/plugins/libModalityWorklists.so")
ORTHANC_DICOMWEB_PLUGIN = Path("/usr/share/orthanc/plugins/libOrthancDicomWeb.so")  # Debian orthanc-dicomweb

# Names that pip's pynetdicom also installs as Python scripts; only the native DCMTK binary will do.
_SHADOWED = frozenset({"storescp", "storescu", "findscu", "echoscu", "echoscp", "getscu", "movescu", "qrscp"})
_EXTRA_DIRS = ("/usr/bin", "/usr/sbin", "/bin", "/sbin", "/usr/local/bin", "/usr/local/sbin")

START_TIMEOUT = 20.0  # seconds until a DCMTK peer must accept connections
ORTHANC_START_TIMEOUT = 90.0
STOP_TIMEOUT = 10.0
VERIFY_TIMEOUT = 300.0

started_logs: list[Path] = []
"""Log files of the peers started since the last reset (``conftest.py`` resets it per test)."""


# --------------------------------------------------------------------------------------------- basics


def in_ci() -> bool:
    """True when ``CI`` is set to a true value: missing tools then fail instead of skipping."""
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def free_port() -> int:
    """A TCP port that is free on 127.0.0.1 right now (bind to port 0 and read it back)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _is_elf(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            return fh.read(4) == b"\x7fELF"
    except OSError:
        return False


def find_tool(name: str) -> str | None:
    """Path of the native executable ``name`` (see module docstring), or None."""
    dirs = [d for d in os.environ.get("PATH", "").split(os.pathsep) if d]
    dirs += [d for d in _EXTRA_DIRS if d not in dirs]
    candidates = [p for d in dirs if (p := Path(d) / name).is_file() and os.access(p, os.X_OK)]
    for cand in candidates:
        if _is_elf(cand):
            return str(cand)
    if name not in _SHADOWED and candidates:
        return str(candidates[0])
    return None


def require_tool(name: str) -> str:
    """Path of executable ``name``; missing -> ``pytest.fail`` under CI=true, else ``pytest.skip``."""
    path = find_tool(name)
    if path is None:
        reason = f"{name} not installed (Debian packages dcmtk, dicom3tools, orthanc; run scripts/test)"
        if in_ci():
            pytest.fail(f"CI=true but {reason}", pytrace=False)
        pytest.skip(reason)
    return path


def _tail(path: Path, limit: int = 4000) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return f"(no log at {path})"
    return text[-limit:]


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=0.5):
            return True
    except OSError:
        return False


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=STOP_TIMEOUT)


class PeerStartError(RuntimeError):
    """A peer did not come up; the message carries the command and the log tail."""


def _start(cmd: Sequence[str], log_path: Path, ready: Any, timeout: float,
           cwd: Path | None = None) -> subprocess.Popen[bytes]:
    """Start ``cmd`` with output to ``log_path``; poll ``ready()`` until True (bounded)."""
    started_logs.append(log_path)
    with log_path.open("ab") as log:
        proc = subprocess.Popen(list(cmd), stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                cwd=cwd)
    deadline = time.monotonic() + timeout
    delay = 0.02
    while True:
        if proc.poll() is not None:
            raise PeerStartError(f"{cmd[0]} exited with {proc.returncode}: {' '.join(cmd)}\n{_tail(log_path)}")
        if ready():
            return proc
        if time.monotonic() > deadline:
            _stop(proc)
            raise PeerStartError(f"{cmd[0]} not ready after {timeout:.0f} s: {' '.join(cmd)}\n{_tail(log_path)}")
        time.sleep(delay)
        delay = min(delay * 2, 0.25)


def _start_on_free_port(build: Any, log_path: Path, timeout: float,
                        cwd: Path | None = None) -> tuple[subprocess.Popen[bytes], int]:
    """Start ``build(port)`` on a free port, retrying with a new port if another process took it."""
    last: PeerStartError | None = None
    for _ in range(3):
        port = free_port()
        try:
            return _start(build(port), log_path, lambda p=port: _accepts(p), timeout, cwd), port
        except PeerStartError as exc:
            last = exc
            if not re.search(r"address already in use|cannot bind|bind", str(exc), re.I):
                raise
    assert last is not None
    raise last


@contextlib.contextmanager
def _running(proc: subprocess.Popen[bytes], log_path: Path) -> Iterator[None]:
    try:
        yield
    except BaseException as exc:
        exc.add_note(f"--- peer log {log_path} (tail) ---\n{_tail(log_path)}")
        raise
    finally:
        _stop(proc)


# ------------------------------------------------------------------------------------------ storescp


@dataclass(frozen=True)
class StoreScp:
    """A running DCMTK storescp."""

    port: int
    aet: str
    out_dir: Path
    log_path: Path

    @property
    def address(self) -> str:
        """``AET@127.0.0.1:port``, the form the project's Peer parses."""
        return f"{self.aet}@{HOST}:{self.port}"

    def received(self) -> list[Path]:
        """Files written so far, sorted by name."""
        return sorted(p for p in self.out_dir.rglob("*") if p.is_file())

    def log(self) -> str:
        """The whole log so far."""
        return self.log_path.read_text(errors="replace")


def storescp_profile(contexts: Mapping[str, Sequence[str]], name: str = "Test") -> str:
    """Text of a storescp association profile accepting exactly ``contexts``.

    ``contexts`` maps an SOP class (UID or DCMTK name) to the transfer syntaxes (UIDs or DCMTK names)
    to accept for it; Verification with Implicit VR Little Endian is always added. Pass the result
    as ``storescp(..., profile=...)``.
    """
    lines = ["[[TransferSyntaxes]]"]
    pcs = ["[[PresentationContexts]]", f"[{name}Contexts]",
           "PresentationContext1 = 1.2.840.10008.1.1\\TsVerify"]
    lines += ["[TsVerify]", "TransferSyntax1 = 1.2.840.10008.1.2"]
    for i, (sop, ts_list) in enumerate(contexts.items(), start=1):
        lines.append(f"[Ts{i}]")
        lines += [f"TransferSyntax{j} = {ts}" for j, ts in enumerate(ts_list, start=1)]
        pcs.append(f"PresentationContext{i + 1} = {sop}\\Ts{i}")
    return "\n".join([*lines, *pcs, "[[Profiles]]", f"[{name}]",
                      f"PresentationContexts = {name}Contexts", ""])


def _profile_name(text: str) -> str:
    after = text.split("[[Profiles]]", 1)
    match = re.search(r"^\s*\[([^\[\]]+)\]\s*$", after[1] if len(after) == 2 else "", re.M)
    if match is None:
        raise ValueError("storescp profile text has no [[Profiles]] section with a [Name]")
    return match.group(1).strip()


@contextlib.contextmanager
def storescp(out_dir: Path, *, aet: str = "STORESCP",
             accept: Literal["all", "implicit", "explicit"] = "all", profile: str | None = None,
             extra_args: Sequence[str] = (), port: int | None = None) -> Iterator[StoreScp]:
    """Run DCMTK ``storescp`` writing received objects to ``out_dir``.

    ``port``: listen on this port (a peer that comes back where the station expects it); default a free one.

    ``accept``: ``"all"`` = every transfer syntax DCMTK knows (``+xa``), ``"implicit"`` = Implicit VR LE
    only (``+xi``), ``"explicit"`` = uncompressed only, explicit preferred (``-xe``). ``profile`` (text of
    an association profile file, see :func:`storescp_profile` and /etc/dcmtk/storescp.cfg) replaces
    ``accept``. ``extra_args`` go before the port, e.g. TLS: ``["+tls", key, cert, "+cf", ca]``.
    """
    exe = require_tool("storescp")
    out_dir.mkdir(parents=True, exist_ok=True)
    base = out_dir.parent
    tag = f"storescp-{out_dir.name}"
    log_path = base / f"{tag}.log"
    if profile is not None:
        cfg = base / f"{tag}.cfg"
        cfg.write_text(profile)
        neg = ["-xf", str(cfg), _profile_name(profile)]
    else:
        neg = {"all": ["+xa"], "implicit": ["+xi"], "explicit": ["-xe"]}[accept]

    def build(port: int) -> list[str]:
        return [exe, "-v", *neg, "-aet", aet, "-od", str(out_dir), *extra_args, str(port)]

    if port is None:
        proc, port = _start_on_free_port(build, log_path, START_TIMEOUT)
    else:
        fixed = port
        proc = _start(build(fixed), log_path, lambda: _accepts(fixed), START_TIMEOUT)
    with _running(proc, log_path):
        yield StoreScp(port=port, aet=aet, out_dir=out_dir, log_path=log_path)


def make_tls_files(directory: Path, common_name: str = "127.0.0.1") -> tuple[Path, Path]:
    """A self-signed RSA key and certificate (PEM) made with ``openssl``, for storescp ``+tls key cert``."""
    exe = require_tool("openssl")
    directory.mkdir(parents=True, exist_ok=True)
    key, cert = directory / "key.pem", directory / "cert.pem"
    subprocess.run([exe, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "2", "-subj", f"/CN={common_name}"], check=True, capture_output=True, timeout=120,
                   stdin=subprocess.DEVNULL)
    return key, cert


# ------------------------------------------------------------------------------------------ wlmscpfs


@dataclass(frozen=True)
class WorklistScp:
    """A running DCMTK wlmscpfs; items live in ``wl_dir/<aet>/*.wl``."""

    port: int
    aet: str
    wl_dir: Path
    log_path: Path

    @property
    def address(self) -> str:
        return f"{self.aet}@{HOST}:{self.port}"

    @property
    def item_dir(self) -> Path:
        return self.wl_dir / self.aet

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def write_worklist_item(wl_dir: Path, aet: str, ds: Dataset, name: str) -> Path:
    """Write ``ds`` as ``wl_dir/<aet>/<name>.wl`` (Implicit VR LE, no file meta); create the lockfile."""
    target_dir = wl_dir / aet
    target_dir.mkdir(parents=True, exist_ok=True)
    (target_dir / "lockfile").touch()
    plain = Dataset()
    for elem in ds:
        plain.add(elem)
    path = target_dir / (name if name.endswith(".wl") else f"{name}.wl")
    plain.save_as(path, implicit_vr=True, little_endian=True, enforce_file_format=False)
    return path


@contextlib.contextmanager
def wlmscpfs(wl_dir: Path, *, aet: str = "WLMSCP") -> Iterator[WorklistScp]:
    """Run DCMTK ``wlmscpfs -dfp wl_dir -csk`` answering worklist queries addressed to ``aet``."""
    exe = require_tool("wlmscpfs")
    (wl_dir / aet).mkdir(parents=True, exist_ok=True)
    (wl_dir / aet / "lockfile").touch()
    log_path = wl_dir.parent / f"wlmscpfs-{wl_dir.name}.log"

    def build(port: int) -> list[str]:
        return [exe, "-v", "-dfp", str(wl_dir), "-csk", str(port)]

    proc, port = _start_on_free_port(build, log_path, START_TIMEOUT)
    with _running(proc, log_path):
        yield WorklistScp(port=port, aet=aet, wl_dir=wl_dir, log_path=log_path)


# ----------------------------------------------------------------------------------------- archives


@dataclass(frozen=True)
class Archive:
    """A running query/retrieve archive (DCMTK dcmqrscp or pynetdicom's qrscp application)."""

    port: int
    aet: str
    storage: Path
    log_path: Path

    @property
    def address(self) -> str:
        return f"{self.aet}@{HOST}:{self.port}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


DCMQRSCP_PREFER = {"jpeg": "+xy", "mpeg2": "+xm", "mpeg2-high": "+xh", "h264": "+xn", "hevc": "+x4",
                   "native": "+xe"}
"""dcmqrscp accepts uncompressed plus the one preferred compressed syntax of its ``+x…`` option."""


@contextlib.contextmanager
def dcmqrscp(work_dir: Path, *, prefer: str = "native", aet: str = "DCMQRSCP") -> Iterator[Archive]:
    """Run DCMTK ``dcmqrscp`` (its own index in ``work_dir/storage``, C-STORE, C-FIND, C-GET, C-MOVE).

    ``prefer`` names the compressed transfer syntax it accepts besides the uncompressed ones
    (:data:`DCMQRSCP_PREFER`).
    """
    exe = require_tool("dcmqrscp")
    storage = work_dir / "storage"
    storage.mkdir(parents=True, exist_ok=True)
    log_path = work_dir / "dcmqrscp.log"
    cfg = work_dir / "dcmqrscp.cfg"

    def build(port: int) -> list[str]:
        cfg.write_text(f"NetworkTCPPort = {port}\nMaxPDUSize = 131072\nMaxAssociations = 16\n"
                       "HostTable BEGIN\nHostTable END\nVendorTable BEGIN\nVendorTable END\n"
                       f"AETable BEGIN\n{aet} {storage} RW (100, 1024mb) ANY\nAETable END\n")
        return [exe, "-dhl", "-c", str(cfg), DCMQRSCP_PREFER[prefer], str(port)]  # a child per association

    proc, port = _start_on_free_port(build, log_path, START_TIMEOUT, cwd=work_dir)
    with _running(proc, log_path):
        yield Archive(port=port, aet=aet, storage=storage, log_path=log_path)


@contextlib.contextmanager
def qrscp(work_dir: Path, *, aet: str = "QRSCP") -> Iterator[Archive]:
    """Run pynetdicom's ``qrscp`` application (SQLite index, instances as files; C-STORE, C-FIND, C-GET)."""
    import sys

    try:
        import sqlalchemy  # noqa: F401  (qrscp's database)
    except ImportError:
        reason = "sqlalchemy not installed (pynetdicom's qrscp needs it; pip install -e '.[dev]')"
        if in_ci():
            pytest.fail(f"CI=true but {reason}", pytrace=False)
        pytest.skip(reason)
    storage = work_dir / "instances"
    storage.mkdir(parents=True, exist_ok=True)
    log_path = work_dir / "qrscp.log"
    cfg = work_dir / "qrscp.ini"
    cfg.write_text(f"[DEFAULT]\nae_title: {aet}\nport: 11112\nmax_pdu: 131072\nacse_timeout: 30\n"
                   "dimse_timeout: 60\nnetwork_timeout: 60\nbind_address: 127.0.0.1\n"
                   f"instance_location: {storage}\ndatabase_location: {work_dir / 'instances.sqlite'}\n"
                   "log_identifier: False\n[STORESCP]\naddress: 127.0.0.1\nport: 11113\n")

    def build(port: int) -> list[str]:
        return [sys.executable, "-m", "pynetdicom", "qrscp", "-c", str(cfg), "--port", str(port), "-ll", "info"]

    proc, port = _start_on_free_port(build, log_path, START_TIMEOUT, cwd=work_dir)
    with _running(proc, log_path):
        yield Archive(port=port, aet=aet, storage=storage, log_path=log_path)


# ------------------------------------------------------------------------------------------- Orthanc


@dataclass(frozen=True)
class OrthancPeer:
    """A running Orthanc with REST on ``http_port`` (basic auth) and DICOM on ``dicom_port``."""

    dicom_port: int
    http_port: int
    aet: str
    work_dir: Path
    log_path: Path
    user: str = ORTHANC_USER
    password: str = field(default=ORTHANC_PASSWORD, repr=False)

    @property
    def address(self) -> str:
        return f"{self.aet}@{HOST}:{self.dicom_port}"

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.http_port}"

    @property
    def dicomweb_url(self) -> str:
        """The DICOMweb plugin's base URL (started with ``orthanc(..., dicomweb=True)``)."""
        return f"{self.base_url}/dicom-web"

    def lookup(self, sop_instance_uid: str) -> str | None:
        """Orthanc's id of the instance with this SOP Instance UID (``POST /tools/lookup``), or None."""
        found = json.loads(self.post("/tools/lookup", sop_instance_uid))
        ids = [str(f["ID"]) for f in found if f.get("Type") == "Instance"]
        return ids[0] if ids else None

    def file_of(self, sop_instance_uid: str) -> bytes | None:
        """The stored Part 10 file of an instance (``/instances/<id>/file``), or None when Orthanc has none."""
        instance = self.lookup(sop_instance_uid)
        return None if instance is None else self.get(f"/instances/{instance}/file")

    def _request(self, path: str, data: bytes | None = None, method: str | None = None) -> bytes:
        req = urllib.request.Request(self.base_url + "/" + path.lstrip("/"), data=data, method=method)
        token = base64.b64encode(f"{self.user}:{self.password}".encode()).decode()
        req.add_header("Authorization", f"Basic {token}")
        with urllib.request.urlopen(req, timeout=30) as resp:
            body: bytes = resp.read()
            return body

    def get(self, path: str) -> bytes:
        """GET ``path`` (e.g. ``/instances/<id>/file``) and return the body."""
        return self._request(path)

    def get_json(self, path: str) -> Any:
        """GET ``path`` and parse the JSON body."""
        return json.loads(self._request(path))

    def post(self, path: str, data: bytes | str | Mapping[str, Any] | list[Any]) -> bytes:
        """POST ``data`` (bytes, text, or JSON-able) to ``path``."""
        if isinstance(data, (Mapping, list)):
            data = json.dumps(data)
        return self._request(path, data.encode() if isinstance(data, str) else data, "POST")

    def instances(self) -> list[str]:
        """Orthanc ids of every stored instance."""
        ids = self.get_json("/instances")
        return [str(i) for i in ids]

    def tags(self, instance_id: str) -> dict[str, Any]:
        """``/instances/<id>/simplified-tags``."""
        result: dict[str, Any] = self.get_json(f"/instances/{instance_id}/simplified-tags")
        return result

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def _orthanc_ready(http_port: int, dicom_port: int) -> bool:
    if not _accepts(dicom_port):
        return False
    req = urllib.request.Request(f"http://{HOST}:{http_port}/system")
    token = base64.b64encode(f"{ORTHANC_USER}:{ORTHANC_PASSWORD}".encode()).decode()
    req.add_header("Authorization", f"Basic {token}")
    try:
        with urllib.request.urlopen(req, timeout=2) as resp:
            return int(resp.status) == 200
    except (urllib.error.URLError, OSError):
        return False


@contextlib.contextmanager
def orthanc(work_dir: Path, *, worklist_dir: Path | None = None,
            accepted_transfer_syntaxes: list[str] | None = None, aet: str = "ORTHANC",
            extra_config: Mapping[str, Any] | None = None, dicomweb: bool = False,
            ports: tuple[int, int] | None = None, dicom_port: int | None = None,
            modalities: Mapping[str, tuple[str, int]] | None = None) -> Iterator[OrthancPeer]:
    """Run Orthanc with storage in ``work_dir`` and optionally the worklist plugin on ``worklist_dir``.

    Worklist files for Orthanc lie directly in ``worklist_dir`` (``*.wl``, any called AET).
    ``accepted_transfer_syntaxes`` restricts what its SCP accepts (to test refusals). ``dicomweb`` loads the
    DICOMweb plugin (``/dicom-web/``, basic authentication like the REST API). ``ports`` = (HTTP, DICOM): start
    on these (an Orthanc that comes back where the station expects it, with the same storage); default free ones.
    ``dicom_port``: only the DICOM port fixed (the HTTP port free). ``modalities``: ``{name: (AE title, port)}`` on
    127.0.0.1 — Orthanc's ``DicomModalities``, e.g. the station's listener, to which it sends Storage Commitment
    reports on a new association (Orthanc >= 1.6).
    """
    exe = require_tool("Orthanc")
    work_dir.mkdir(parents=True, exist_ok=True)
    log_path = work_dir / "orthanc.log"
    cfg_path = work_dir / "orthanc.json"
    last: PeerStartError | None = None
    fixed_port = dicom_port
    for _ in range(3):
        http_port, dicom_port = ports if ports is not None else (free_port(), fixed_port or free_port())
        if http_port == dicom_port:
            continue
        config: dict[str, Any] = {
            "Name": "smartbox-test",
            "StorageDirectory": str(work_dir / "storage"),
            "IndexDirectory": str(work_dir / "index"),
            "HttpPort": http_port,
            "DicomPort": dicom_port,
            "DicomAet": aet,
            "RemoteAccessAllowed": False,
            "AuthenticationEnabled": True,
            "RegisteredUsers": {ORTHANC_USER: ORTHANC_PASSWORD},
            "DicomCheckCalledAet": False,
            "DicomAlwaysAllowStore": True,
            "DicomAlwaysAllowEcho": True,
            "SaveJobs": False,
            "StorageCompression": False,
            "Plugins": [],
        }
        if worklist_dir is not None:
            if not ORTHANC_WORKLIST_PLUGIN.is_file():
                msg = f"Orthanc worklist plugin missing: {ORTHANC_WORKLIST_PLUGIN}"
                if in_ci():
                    pytest.fail(msg, pytrace=False)
                pytest.skip(msg)
            worklist_dir.mkdir(parents=True, exist_ok=True)
            config["Plugins"] = [str(ORTHANC_WORKLIST_PLUGIN)]
            config["Worklists"] = {"Enable": True, "Database": str(worklist_dir)}
            config["DicomAlwaysAllowFindWorklist"] = True
        if dicomweb:
            if not ORTHANC_DICOMWEB_PLUGIN.is_file():
                msg = f"Orthanc DICOMweb plugin missing: {ORTHANC_DICOMWEB_PLUGIN} (Debian package orthanc-dicomweb)"
                if in_ci():
                    pytest.fail(msg, pytrace=False)
                pytest.skip(msg)
            config["Plugins"] = [*config["Plugins"], str(ORTHANC_DICOMWEB_PLUGIN)]
            config["DicomWeb"] = {"Enable": True, "Root": "/dicom-web/", "EnableWado": False}
        if accepted_transfer_syntaxes is not None:
            config["AcceptedTransferSyntaxes"] = list(accepted_transfer_syntaxes)
        if modalities:
            config["DicomModalities"] = {name: [ae, HOST, port] for name, (ae, port) in modalities.items()}
        config.update(extra_config or {})
        cfg_path.write_text(json.dumps(config, indent=2))
        try:
            proc = _start([exe, str(cfg_path)], log_path,
                          lambda h=http_port, d=dicom_port: _orthanc_ready(h, d), ORTHANC_START_TIMEOUT,
                          cwd=work_dir)
        except PeerStartError as exc:
            last = exc
            if ports is not None or fixed_port is not None or \
                    not re.search(r"address already in use|cannot bind|bind", str(exc), re.I):
                raise
            continue
        with _running(proc, log_path):
            yield OrthancPeer(dicom_port=dicom_port, http_port=http_port, aet=aet, work_dir=work_dir,
                              log_path=log_path)
        return
    raise last if last is not None else PeerStartError("no two free ports for Orthanc")


# ---------------------------------------------------------------------------------------- validators


@dataclass(frozen=True)
class VerifyResult:
    """Output of dciodvfy/dcentvfy: ``Error -`` and ``Warning -`` lines (the exit code is unreliable)."""

    iod: str | None
    errors: list[str]
    warnings: list[str]
    raw: str

    @property
    def ok(self) -> bool:
        return not self.errors


_SEVERITY = re.compile(r"^(?:.*?\s-\s)?(Error|Warning)\s-\s")


def parse_verify_output(raw: str) -> VerifyResult:
    """Split dicom3tools output into the IOD name, errors and warnings."""
    errors: list[str] = []
    warnings: list[str] = []
    iod: str | None = None
    for line in raw.splitlines():
        text = line.strip()
        if not text:
            continue
        match = _SEVERITY.match(text)
        if match is None:
            if iod is None and re.fullmatch(r"[A-Za-z0-9_]+", text):
                iod = text
            continue
        (errors if match.group(1) == "Error" else warnings).append(text)
    return VerifyResult(iod=iod, errors=errors, warnings=warnings, raw=raw)


def _verify(tool: str, paths: Sequence[Path]) -> VerifyResult:
    exe = require_tool(tool)
    proc = subprocess.run([exe, *map(str, paths)], capture_output=True, text=True, errors="replace",
                          timeout=VERIFY_TIMEOUT, stdin=subprocess.DEVNULL, check=False)
    return parse_verify_output(proc.stderr + proc.stdout)


def dciodvfy(path: Path) -> VerifyResult:
    """Check one object against its IOD with dicom3tools ``dciodvfy``."""
    return _verify("dciodvfy", [path])


def dcentvfy(paths: Sequence[Path]) -> VerifyResult:
    """Check that several objects agree on patient/study/series with dicom3tools ``dcentvfy``."""
    return _verify("dcentvfy", list(paths))


def read_back(path: Path) -> Dataset:
    """Read an object strictly: pydicom raises on invalid values while reading."""
    with pydicom.config.strict_reading():
        return pydicom.dcmread(path)
