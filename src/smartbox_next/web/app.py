"""The station's ASGI app (Starlette): the JSON API, Server-Sent Events, the MJPEG preview and the page.

Every handler calls the running station (:class:`smartbox_next.app.live.LiveStation`); blocking work (DICOM
objects, the outbox, C-ECHO, C-FIND) runs in Starlette's thread pool, never on the event loop. Errors are JSON
``{"error": key, "message": …, "hint": …}`` in the caller's language (``Accept-Language`` de/en, else the
station's). The API is described in ``GET /api/openapi.json`` (:mod:`smartbox_next.web.openapi`) and
docs/station.md.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from smartbox_next import __version__
from smartbox_next.app import station_views as views
from smartbox_next.app.live import LiveStation
from smartbox_next.errors import InputError, NetworkError, SmartboxError
from smartbox_next.messages import render, render_hint
from smartbox_next.web.openapi import openapi
from smartbox_next.web.security import CSRF_HEADER, SESSION_COOKIE, Security

LOG = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"
_PUBLIC = {"/api/health", "/api/session", "/api/login", "/api/texts", "/api/openapi.json"}
_CONFLICT = {"station.exam_open", "live.recording_running", "live.not_recording", "exam.not_in_progress",
             "exam.object_queued", "station.undo_expired"}
_NOT_FOUND = {"exam.unknown", "exam.unknown_object", "station.unknown_peer"}
_UNAVAILABLE = {"live.no_picture"}
_NO_STORE = {"Cache-Control": "no-store"}

Handler = Callable[[Request], Awaitable[Response]]


def language(request: Request, default: str) -> str:
    asked = request.query_params.get("lang") or request.headers.get("accept-language", "")
    first = asked.split(",")[0].strip().lower()[:2]
    return first if first in ("de", "en") else default


def error_response(exc: SmartboxError, lang: str) -> JSONResponse:
    if exc.key in _CONFLICT:
        status = 409
    elif exc.key in _NOT_FOUND:
        status = 404
    elif exc.key in _UNAVAILABLE or isinstance(exc, NetworkError):
        status = 503
    elif isinstance(exc, InputError):
        status = 400
    else:
        status = 500
    return JSONResponse({"error": exc.key, "message": exc.text(lang), "hint": exc.hint(lang)}, status_code=status,
                        headers=_NO_STORE)


def _refused(key: str, status: int, lang: str, **params: Any) -> JSONResponse:
    return JSONResponse({"error": key, "message": render(key, lang, params), "hint": render_hint(key, lang, params)},
                        status_code=status, headers=_NO_STORE)


class StationApi:
    """The routes, bound to one running station and its security settings."""

    def __init__(self, station: LiveStation, security: Security) -> None:
        self.station = station
        self.security = security

    @property
    def default_lang(self) -> str:
        return self.station.config.station.language

    # ---------------------------------------------------------------- plumbing

    def guard(self, request: Request) -> JSONResponse | None:
        """401/403 for requests that may not pass (see :mod:`smartbox_next.web.security`)."""
        lang = language(request, self.default_lang)
        sec = self.security
        host = request.headers.get("host")
        if not sec.host_ok(host):
            return _refused("web.forbidden", 403, lang, detail=f"host {host!r}")
        if not sec.origin_ok(request.headers.get("origin"), host):
            return _refused("web.forbidden", 403, lang, detail="foreign origin")
        path = request.url.path
        if not path.startswith("/api/") or path in _PUBLIC:
            return None
        bearer = sec.bearer_ok(request.headers.get("authorization"))
        session = sec.session(request.cookies.get(SESSION_COOKIE))
        if sec.auth_required and not bearer and session is None:
            return _refused("web.login_required", 401, lang)
        if request.method not in ("GET", "HEAD") and not bearer:
            expected = session.csrf if session is not None else sec.local_csrf
            if request.headers.get(CSRF_HEADER) != expected:
                return _refused("web.forbidden", 403, lang, detail="missing or wrong CSRF token")
        return None

    def route(self, fn: Callable[[Request, str], Awaitable[Response]]) -> Handler:
        async def handler(request: Request) -> Response:
            refused = self.guard(request)
            if refused is not None:
                return refused
            lang = language(request, self.default_lang)
            try:
                return await fn(request, lang)
            except SmartboxError as exc:
                return error_response(exc, lang)
        return handler

    async def body(self, request: Request) -> dict[str, Any]:
        if not (await request.body()):
            return {}
        try:
            data = await request.json()
        except ValueError:
            raise InputError("station.bad_request", detail="the body is not JSON") from None
        if not isinstance(data, dict):
            raise InputError("station.bad_request", detail="the body is not a JSON object")
        return data

    async def call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return await run_in_threadpool(fn, *args, **kwargs)

    # ---------------------------------------------------------------- session

    async def health(self, request: Request, lang: str) -> Response:
        st = self.station
        return JSONResponse({"status": "ok", "version": __version__,
                             "source": st.source.status.state, "uptime_s": round(time.time() - st.started, 1),
                             "auth_required": self.security.auth_required}, headers=_NO_STORE)

    async def session_info(self, request: Request, lang: str) -> Response:
        sec = self.security
        session = sec.session(request.cookies.get(SESSION_COOKIE))
        logged_in = not sec.auth_required or session is not None
        csrf = (session.csrf if session else None) if sec.auth_required else sec.local_csrf
        return JSONResponse({"auth_required": sec.auth_required, "logged_in": logged_in, "csrf": csrf,
                             "lang": self.default_lang}, headers=_NO_STORE)

    async def login(self, request: Request, lang: str) -> Response:
        data = await self.body(request)
        if not self.security.auth_required:
            return JSONResponse({"logged_in": True, "csrf": self.security.local_csrf}, headers=_NO_STORE)
        session = await self.call(self.security.login, str(data.get("password", "")))
        if session is None:
            LOG.warning("station login failed from %s", request.client.host if request.client else "?")
            return _refused("web.login_failed", 401, lang)
        response = JSONResponse({"logged_in": True, "csrf": session.csrf}, headers=_NO_STORE)
        response.set_cookie(SESSION_COOKIE, session.token, **self.security.cookie_flags())  # type: ignore[arg-type]
        return response

    async def logout(self, request: Request, lang: str) -> Response:
        self.security.logout(request.cookies.get(SESSION_COOKIE))
        response = JSONResponse({"logged_in": False}, headers=_NO_STORE)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    async def texts(self, request: Request, lang: str) -> Response:
        return JSONResponse({"lang": lang, "texts": views.ui_texts(lang)},
                            headers={"Cache-Control": "max-age=60"})

    async def spec(self, request: Request, lang: str) -> Response:
        return JSONResponse(openapi())

    # ---------------------------------------------------------------- screens

    async def status(self, request: Request, lang: str) -> Response:
        return JSONResponse(await self.call(views.status_json, self.station, lang), headers=_NO_STORE)

    async def worklist(self, request: Request, lang: str) -> Response:
        range_ = request.query_params.get("range", "today")
        if range_ not in ("today", "week"):
            raise InputError("station.bad_request", detail="range: today or week")
        refresh = request.query_params.get("refresh") in ("1", "true")
        return JSONResponse(await self.call(self.station.worklist, range_, lang, refresh=refresh), headers=_NO_STORE)

    async def exams(self, request: Request, lang: str) -> Response:
        from smartbox_next.app.exams import list_exams

        states = [s for s in request.query_params.getlist("state") if s]
        found = await self.call(list_exams, self.station.config, self.station.db(), states=states)
        return JSONResponse({"exams": [{"id": v.exam_id, "state": v.state, "started": v.started,
                                        "ended": v.ended, "captures": len(v.captures)} for v in found],
                             "open": await self.call(self.station.open_exam_id)}, headers=_NO_STORE)

    async def start_exam(self, request: Request, lang: str) -> Response:
        data = await self.body(request)
        unknown = set(data) - {"accession", "worklist_item", "emergency", "region"}
        if unknown:
            raise InputError("station.bad_request", detail=f"unknown field {sorted(unknown)[0]}")
        view = await self.call(self.station.start_exam, accession=_opt(data, "accession"),
                               worklist_item=_opt(data, "worklist_item"), emergency=_opt(data, "emergency"),
                               region=_opt(data, "region"))
        return JSONResponse({"id": view.exam_id, "pps_sop_instance_uid": view.pps_sop_instance_uid}, status_code=201,
                            headers=_NO_STORE)

    async def exam(self, request: Request, lang: str) -> Response:
        exam_id = request.path_params["exam"]
        return JSONResponse(await self.call(self.station.exam_json, exam_id, lang), headers=_NO_STORE)

    async def region(self, request: Request, lang: str) -> Response:
        data = await self.body(request)
        region = _opt(data, "region")
        if not region:
            raise InputError("station.bad_request", detail="region missing")
        view = await self.call(self.station.set_region, request.path_params["exam"], region)
        return JSONResponse({"id": view.exam_id, "region": view.anatomic_region}, headers=_NO_STORE)

    async def still(self, request: Request, lang: str) -> Response:
        result = await self.call(self.station.take_still, request.path_params["exam"])
        return JSONResponse(result, status_code=201, headers=_NO_STORE)

    async def recording_start(self, request: Request, lang: str) -> Response:
        data = await self.body(request)
        pre = data.get("pre_record_s")
        if pre is not None and (not isinstance(pre, int | float) or isinstance(pre, bool) or pre < 0):
            raise InputError("station.bad_request", detail="pre_record_s: a number of seconds")
        result = await self.call(self.station.start_recording, request.path_params["exam"], pre)
        return JSONResponse(result, status_code=201, headers=_NO_STORE)

    async def recording_stop(self, request: Request, lang: str) -> Response:
        result = await self.call(self.station.stop_recording, request.path_params["exam"])
        return JSONResponse(result, headers=_NO_STORE)

    async def send(self, request: Request, lang: str) -> Response:
        count = await self.call(self.station.send, request.path_params["exam"])
        return JSONResponse({"queued": count}, headers=_NO_STORE)

    async def complete(self, request: Request, lang: str) -> Response:
        view = await self.call(self.station.complete, request.path_params["exam"])
        return JSONResponse({"id": view.exam_id, "state": view.state, "captures": len(view.captures)},
                            headers=_NO_STORE)

    async def delete_capture(self, request: Request, lang: str) -> Response:
        deleted = await self.call(self.station.delete_capture, request.path_params["exam"],
                                  request.path_params["uid"])
        return JSONResponse({"undo": deleted.token, "expires": deleted.expires}, headers=_NO_STORE)

    async def undo(self, request: Request, lang: str) -> Response:
        await self.call(self.station.undo, request.path_params["token"])
        return JSONResponse({"restored": True}, headers=_NO_STORE)

    async def thumbnail(self, request: Request, lang: str) -> Response:
        data = await self.call(self.station.thumbnail, request.path_params["uid"])
        if data is None:
            return Response(status_code=404)
        return Response(data, media_type="image/jpeg", headers={"Cache-Control": "private, max-age=3600"})

    async def queue(self, request: Request, lang: str) -> Response:
        everything = request.query_params.get("all") in ("1", "true")
        return JSONResponse(await self.call(views.queue_json, self.station, lang, everything=everything),
                            headers=_NO_STORE)

    async def queue_action(self, request: Request, lang: str) -> Response:
        data = await self.body(request)
        ids = data.get("jobs")
        if not isinstance(ids, list) or not ids or not all(isinstance(i, int) and not isinstance(i, bool)
                                                            for i in ids):
            raise InputError("station.bad_request", detail="jobs: a list of job ids")
        outbox = self.station.db()
        action = request.path_params["action"]
        if action not in ("retry", "cancel"):
            return Response(status_code=404)
        fn = outbox.retry if action == "retry" else outbox.cancel
        count = await self.call(fn, ids)
        self.station.events.publish("queue", {})
        self.station.events.publish("exam", {})
        return JSONResponse({action: count}, headers=_NO_STORE)

    async def settings(self, request: Request, lang: str) -> Response:
        return JSONResponse(await self.call(views.settings_json, self.station), headers=_NO_STORE)

    async def echo(self, request: Request, lang: str) -> Response:
        result = await self.call(views.echo_json, self.station.config, request.path_params["name"], lang)
        lamp = {k: v for k, v in result.items() if k != "error"}
        self.station.lamps[lamp["name"]] = lamp
        self.station.events.publish("lamps", {})
        return JSONResponse(result, headers=_NO_STORE)

    # ---------------------------------------------------------------- streams

    async def events(self, request: Request, lang: str) -> Response:
        station = self.station
        subscriber = station.events.subscribe()

        async def stream() -> AsyncIterator[bytes]:
            try:
                yield b"retry: 2000\n\nevent: hello\ndata: {}\n\n"
                quiet = time.monotonic()
                while not station.stop_event.is_set():
                    sent = False
                    while True:
                        try:
                            kind, data = subscriber.get_nowait()
                        except Exception:  # queue.Empty
                            break
                        yield f"event: {kind}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n".encode()
                        sent = True
                    if sent:
                        quiet = time.monotonic()
                    elif time.monotonic() - quiet > 15:
                        yield b": keep-alive\n\n"
                        quiet = time.monotonic()
                    if await request.is_disconnected():
                        break
                    await asyncio.sleep(0.05)
            finally:
                station.events.unsubscribe(subscriber)

        return StreamingResponse(stream(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})

    async def preview_mjpeg(self, request: Request, lang: str) -> Response:
        preview = self.station.preview
        stop = self.station.stop_event

        async def stream() -> AsyncIterator[bytes]:
            seq = 0
            while not stop.is_set():
                got = await run_in_threadpool(preview.next_jpeg, seq, 0.5)
                if got is None:
                    if await request.is_disconnected():
                        return
                    continue
                frame, jpeg = got
                seq = frame.seq
                yield (b"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: " + str(len(jpeg)).encode()
                       + b"\r\nX-Frame-Time: " + f"{frame.captured:.3f}".encode()
                       + b"\r\nX-Frame-Seq: " + str(frame.seq).encode() + b"\r\n\r\n" + jpeg + b"\r\n")

        return StreamingResponse(stream(), media_type="multipart/x-mixed-replace; boundary=frame",
                                 headers={"Cache-Control": "no-store"})

    async def preview_jpeg(self, request: Request, lang: str) -> Response:
        got = await run_in_threadpool(self.station.preview.next_jpeg, 0, 2.0)
        if got is None:
            raise InputError("live.no_picture")
        frame, jpeg = got
        return Response(jpeg, media_type="image/jpeg", headers={"Cache-Control": "no-store",
                                                                "X-Frame-Time": f"{frame.captured:.3f}"})


def _opt(data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InputError("station.bad_request", detail=f"{key}: text")
    return value


def create_app(station: LiveStation, security: Security) -> Starlette:
    """The station's ASGI app: API under ``/api``, the page at ``/``, its assets under ``/static``."""
    api = StationApi(station, security)
    r = api.route

    async def index(request: Request) -> Response:
        refused = api.guard(request)
        if refused is not None:
            return refused
        return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})

    routes = [
        Route("/", index),
        Route("/api/health", r(api.health)),
        Route("/api/session", r(api.session_info)),
        Route("/api/login", r(api.login), methods=["POST"]),
        Route("/api/logout", r(api.logout), methods=["POST"]),
        Route("/api/texts", r(api.texts)),
        Route("/api/openapi.json", r(api.spec)),
        Route("/api/status", r(api.status)),
        Route("/api/worklist", r(api.worklist)),
        Route("/api/exams", r(api.exams)),
        Route("/api/exams", r(api.start_exam), methods=["POST"]),
        Route("/api/exams/{exam}", r(api.exam)),
        Route("/api/exams/{exam}/region", r(api.region), methods=["POST"]),
        Route("/api/exams/{exam}/stills", r(api.still), methods=["POST"]),
        Route("/api/exams/{exam}/recording/start", r(api.recording_start), methods=["POST"]),
        Route("/api/exams/{exam}/recording/stop", r(api.recording_stop), methods=["POST"]),
        Route("/api/exams/{exam}/send", r(api.send), methods=["POST"]),
        Route("/api/exams/{exam}/complete", r(api.complete), methods=["POST"]),
        Route("/api/exams/{exam}/captures/{uid}/delete", r(api.delete_capture), methods=["POST"]),
        Route("/api/undo/{token}", r(api.undo), methods=["POST"]),
        Route("/api/captures/{uid}/thumbnail.jpg", r(api.thumbnail)),
        Route("/api/queue", r(api.queue)),
        Route("/api/queue/{action:str}", r(api.queue_action), methods=["POST"]),
        Route("/api/settings", r(api.settings)),
        Route("/api/echo/{name}", r(api.echo), methods=["POST"]),
        Route("/api/events", r(api.events)),
        Route("/api/preview.mjpeg", r(api.preview_mjpeg)),
        Route("/api/preview.jpg", r(api.preview_jpeg)),
        Mount("/static", StaticFiles(directory=STATIC)),
    ]
    app = Starlette(routes=routes)
    app.state.api = api
    return app
