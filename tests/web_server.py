"""A scripted STOW-RS / QIDO-RS origin server on 127.0.0.1 (Starlette + uvicorn in a thread) for what Orthanc
cannot be made to do: 409 with a Failed SOP Sequence, 202 with warnings, 429 with Retry-After, a server that
stalls mid-body, a slow reader.

``with stow_server() as server:`` yields a :class:`StowServer`; ``server.url`` is its DICOMweb base URL. Every
POST to ``{url}/studies`` takes the next queued behaviour (:meth:`StowServer.then`), else the default
:func:`answer` (200, every instance in the Referenced SOP Sequence). What arrived is in ``server.requests``.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import io
import json
import socket
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pydicom
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

HOST = "127.0.0.1"
BUFFER_LIMIT = 64 * 1024 * 1024  # bodies up to this size are kept and split into parts; larger ones only counted
SOP_CLASS, SOP_INSTANCE, FAILURE, WARNING, REFERENCED, FAILED = (
    "00081150", "00081155", "00081197", "00081196", "00081199", "00081198")

Behaviour = Callable[["StowServer", Request], Awaitable[Response]]
Judge = Callable[[list["PartInfo"]], tuple[int, dict[str, int | None], dict[str, int]]]


@dataclass(frozen=True)
class PartInfo:
    """One part of a received body: its SOP class/instance (from the Part 10 meta), size and SHA-256."""

    sop_class_uid: str
    sop_instance_uid: str
    size: int
    sha256: str


@dataclass
class Received:
    """One STOW-RS request as the server saw it."""

    headers: dict[str, str]
    total: int = 0  # body bytes read
    complete: bool = False  # the closing delimiter arrived
    parts: list[PartInfo] = field(default_factory=list)

    @property
    def instances(self) -> list[str]:
        return [p.sop_instance_uid for p in self.parts]


def _boundary(content_type: str) -> bytes:
    for piece in content_type.split(";"):
        key, _, value = piece.strip().partition("=")
        if key.lower() == "boundary":
            return value.strip('"').encode()
    raise ValueError(f"no boundary in {content_type!r}")


def _part_info(content: bytes, size: int | None = None) -> PartInfo:
    meta = pydicom.dcmread(io.BytesIO(content), stop_before_pixels=True, force=True,
                           specific_tags=["SOPClassUID", "SOPInstanceUID"]).file_meta
    return PartInfo(str(meta.MediaStorageSOPClassUID), str(meta.MediaStorageSOPInstanceUID),
                    len(content) if size is None else size, hashlib.sha256(content).hexdigest())


def split_parts(body: bytes, content_type: str) -> tuple[list[bytes], bool]:
    """The contents of a multipart/related body (RFC 2046) and whether its closing delimiter is there."""
    delimiter = b"--" + _boundary(content_type)
    pieces = body.split(b"\r\n" + delimiter)
    first = pieces[0]
    if not first.startswith(delimiter):
        raise ValueError("body does not start with the boundary")
    pieces[0] = first[len(delimiter):]
    complete = pieces[-1].startswith(b"--")
    contents = []
    for piece in pieces[:-1] if complete else pieces:
        _, sep, content = piece.partition(b"\r\n\r\n")
        if sep:
            contents.append(content)
    return contents, complete


def store_response(referenced: dict[str, int | None], failed: dict[str, int], classes: dict[str, str]) -> bytes:
    """A Store Instances Response Module in DICOM JSON (PS3.18 Annex I, Annex F)."""
    def item(uid: str, reason_tag: str | None, reason: int | None) -> dict[str, Any]:
        out: dict[str, Any] = {SOP_CLASS: {"vr": "UI", "Value": [classes.get(uid, "1.2.3")]},
                               SOP_INSTANCE: {"vr": "UI", "Value": [uid]}}
        if reason_tag and reason is not None:
            out[reason_tag] = {"vr": "US", "Value": [reason]}
        return out

    doc: dict[str, Any] = {}
    if referenced:
        doc[REFERENCED] = {"vr": "SQ", "Value": [item(u, WARNING, r) for u, r in referenced.items()]}
    if failed:
        doc[FAILED] = {"vr": "SQ", "Value": [item(u, FAILURE, r) for u, r in failed.items()]}
    return json.dumps(doc).encode()


def all_stored(parts: list[PartInfo]) -> tuple[int, dict[str, int | None], dict[str, int]]:
    return 200, {p.sop_instance_uid: None for p in parts}, {}


class StowServer:
    """State of the running server (see the module docstring)."""

    def __init__(self, port: int, credentials: tuple[str, str] | None) -> None:
        self.port = port
        self.credentials = credentials
        self.requests: list[Received] = []
        self.stored: dict[str, PartInfo] = {}
        self.queries: list[str] = []
        self.behaviours: deque[Behaviour] = deque()
        self.release = threading.Event()  # ends every stall (teardown)

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}/dicom-web"

    def then(self, *behaviours: Behaviour) -> StowServer:
        """Queue one-shot behaviours for the next POSTs, in order."""
        self.behaviours.extend(behaviours)
        return self

    def authorised(self, request: Request) -> bool:
        if self.credentials is None:
            return True
        token = base64.b64encode(f"{self.credentials[0]}:{self.credentials[1]}".encode()).decode()
        return request.headers.get("authorization", "") == f"Basic {token}"


async def read_request(server: StowServer, request: Request, *, rate: float | None = None,
                       stall_after: int | None = None) -> Received:
    """Read the body (at most ``rate`` bytes/s; stop reading for good after ``stall_after`` bytes)."""
    got = Received(headers=dict(request.headers))
    server.requests.append(got)
    length = int(request.headers.get("content-length", "0") or 0)
    keep = length <= BUFFER_LIMIT
    chunks: list[bytes] = []
    head = b""
    tail = b""
    started = time.monotonic()
    async for chunk in request.stream():
        got.total += len(chunk)
        if keep:
            chunks.append(chunk)
        else:
            if len(head) < 65536:
                head += chunk[: 65536 - len(head)]
            tail = (tail + chunk)[-256:]
        if stall_after is not None and got.total >= stall_after:
            while not server.release.is_set():
                await asyncio.sleep(0.05)
            return got
        if rate is not None:
            ahead = got.total / rate - (time.monotonic() - started)
            if ahead > 0:
                await asyncio.sleep(ahead)
    ctype = request.headers.get("content-type", "")
    if keep:
        contents, got.complete = split_parts(b"".join(chunks), ctype)
        got.parts = [_part_info(c) for c in contents]
    else:  # one large part: its meta from the head, completeness from the tail, its size from both
        contents, _ = split_parts(head, ctype)
        closing = b"\r\n--" + _boundary(ctype) + b"--\r\n"
        got.complete = tail.endswith(closing)
        if contents:
            size = got.total - (head.index(b"\r\n\r\n") + 4) - len(closing)
            info = _part_info(contents[0], size=size)
            got.parts = [PartInfo(info.sop_class_uid, info.sop_instance_uid, size, "")]  # no hash of gigabytes
    return got


def answer(judge: Judge = all_stored, *, retry_after: str | None = None) -> Behaviour:
    """Read the whole body, then answer what ``judge`` decides: (status, referenced {uid: warning}, failed)."""
    async def run(server: StowServer, request: Request) -> Response:
        got = await read_request(server, request)
        status, referenced, failed = judge(got.parts)
        for part in got.parts:
            if part.sop_instance_uid in referenced:
                server.stored[part.sop_instance_uid] = part
        classes = {p.sop_instance_uid: p.sop_class_uid for p in got.parts}
        headers = {"Retry-After": retry_after} if retry_after else {}
        body = store_response(referenced, failed, classes) if referenced or failed else b""
        return Response(body, status_code=status, media_type="application/dicom+json", headers=headers)
    return run


def status_only(status: int, *, retry_after: str | None = None, body: bytes = b"") -> Behaviour:
    """Answer ``status`` at once, without reading the body (like a busy or refusing server)."""
    async def run(server: StowServer, request: Request) -> Response:
        server.requests.append(Received(headers=dict(request.headers)))
        headers = {"Retry-After": retry_after} if retry_after else {}
        return Response(body, status_code=status, headers=headers)
    return run


def stall(after_bytes: int) -> Behaviour:
    """Read ``after_bytes`` of the body, then stop reading and never answer (until teardown)."""
    async def run(server: StowServer, request: Request) -> Response:
        await read_request(server, request, stall_after=after_bytes)
        return Response(b"", status_code=500)
    return run


def slow(rate: float) -> Behaviour:
    """Read the body at ``rate`` bytes per second, then store everything (200)."""
    async def run(server: StowServer, request: Request) -> Response:
        got = await read_request(server, request, rate=rate)
        for part in got.parts:
            server.stored[part.sop_instance_uid] = part
        classes = {p.sop_instance_uid: p.sop_class_uid for p in got.parts}
        return Response(store_response({p.sop_instance_uid: None for p in got.parts}, {}, classes),
                        status_code=200 if got.complete else 400, media_type="application/dicom+json")
    return run


def _app(server: StowServer) -> Starlette:
    async def stow(request: Request) -> Response:
        if not server.authorised(request):
            return Response(b"", status_code=401, headers={"WWW-Authenticate": 'Basic realm="test"'})
        behaviour = server.behaviours.popleft() if server.behaviours else answer()
        return await behaviour(server, request)

    async def studies(request: Request) -> Response:
        server.queries.append(str(request.url))
        if not server.authorised(request):
            return Response(b"", status_code=401)
        return Response(b"[]", media_type="application/dicom+json")

    async def instances(request: Request) -> Response:
        server.queries.append(str(request.url))
        uid = request.query_params.get("SOPInstanceUID", "")
        part = server.stored.get(uid)
        if part is None:
            return Response(b"", status_code=204)
        doc = [{"00080016": {"vr": "UI", "Value": [part.sop_class_uid]}, "00080018": {"vr": "UI", "Value": [uid]}}]
        return Response(json.dumps(doc).encode(), media_type="application/dicom+json")

    return Starlette(routes=[Route("/dicom-web/studies", stow, methods=["POST"]),
                             Route("/dicom-web/studies", studies, methods=["GET"]),
                             Route("/dicom-web/studies/{study}/instances", instances, methods=["GET"])])


@contextlib.contextmanager
def stow_server(credentials: tuple[str, str] | None = None) -> Iterator[StowServer]:
    """Run the scripted server on a free port of 127.0.0.1 until the block ends."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((HOST, 0))
    state = StowServer(sock.getsockname()[1], credentials)
    config = uvicorn.Config(_app(state), log_level="warning", lifespan="off", access_log=False,
                            timeout_keep_alive=60)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="stow-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the scripted STOW-RS server did not start")
        time.sleep(0.01)
    try:
        yield state
    finally:
        state.release.set()
        server.should_exit = True
        thread.join(timeout=20)
        sock.close()
