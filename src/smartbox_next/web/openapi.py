"""The station API as OpenAPI 3.1 (``GET /api/openapi.json``), written from one table of the routes."""

from __future__ import annotations

from typing import Any

from smartbox_next import __version__

_ID = {"name": "exam", "in": "path", "required": True, "schema": {"type": "string", "pattern": "^E[0-9]{6}-.{4}$"}}
_UID = {"name": "uid", "in": "path", "required": True, "schema": {"type": "string"}}


def _body(props: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": props, "additionalProperties": False}
    if required:
        schema["required"] = required
    return {"required": bool(required), "content": {"application/json": {"schema": schema}}}


# (method, path, summary, parameters, request body, success status)
ROUTES: tuple[tuple[str, str, str, list[dict[str, Any]], dict[str, Any] | None, int], ...] = (
    ("get", "/api/health", "Liveness: status, source state, uptime (no login needed).", [], None, 200),
    ("get", "/api/session", "Whether a login is needed and the CSRF token for POST requests.", [], None, 200),
    ("post", "/api/login", "Log in with the station password; sets the HttpOnly session cookie.", [],
     _body({"password": {"type": "string"}}, ["password"]), 200),
    ("post", "/api/logout", "End the session.", [], None, 200),
    ("get", "/api/texts", "Every label of the UI in the asked language (?lang=de|en).", [], None, 200),
    ("get", "/api/status", "Pending captures and MB, open exam, source, recording, connection lamps.", [], None, 200),
    ("get", "/api/worklist", "Today's or this week's worklist (?range=today|week&refresh=1); offline: the last "
     "answer marked stale with its age.", [], None, 200),
    ("get", "/api/exams", "Exams (?state=in_progress|completed|discontinued) and the open one.", [], None, 200),
    ("post", "/api/exams", "Start an exam: exactly one of accession, worklist_item, emergency (male|female|child); "
     "region optional (colon, upper-gi, … or SCHEME:VALUE:Meaning). Returns {id}.", [],
     _body({"accession": {"type": "string"}, "worklist_item": {"type": "string"},
            "emergency": {"enum": ["male", "female", "child"]}, "region": {"type": "string"}}), 201),
    ("get", "/api/exams/{exam}", "The exam: patient, captures with their delivery state and progress, "
     "recording, counts, MPPS and commitment state once configured.", [_ID], None, 200),
    ("post", "/api/exams/{exam}/region", "Name the exam's anatomic region (needed before the first video when "
     "the worklist named none).", [_ID], _body({"region": {"type": "string"}}, ["region"]), 200),
    ("post", "/api/exams/{exam}/stills", "Capture a still from the live source (baseline JPEG encoded once, "
     "object written and held in the exam).", [_ID], None, 201),
    ("post", "/api/exams/{exam}/recording/start", "Start recording, optionally pre_record_s seconds before now.",
     [_ID], _body({"pre_record_s": {"type": "number", "minimum": 0}}), 201),
    ("post", "/api/exams/{exam}/recording/stop", "Stop recording; the video object is built in the background.",
     [_ID], None, 200),
    ("post", "/api/exams/{exam}/send", "Queue every held capture of the exam for every destination.", [_ID], None,
     200),
    ("post", "/api/exams/{exam}/complete", "Send what is held and end the exam (MPPS COMPLETED when configured).",
     [_ID], None, 200),
    ("post", "/api/exams/{exam}/captures/{uid}/delete", "Delete a held capture; returns an undo token.",
     [_ID, _UID], None, 200),
    ("post", "/api/undo/{token}", "Restore a deleted capture while its undo time runs.",
     [{"name": "token", "in": "path", "required": True, "schema": {"type": "string"}}], None, 200),
    ("get", "/api/captures/{uid}/thumbnail.jpg", "Thumbnail of a capture (JPEG).", [_UID], None, 200),
    ("get", "/api/queue", "Jobs with state, destination, size, attempts, next attempt, reason (?all=1: sent too); "
     "per-destination numbers and lamps.", [], None, 200),
    ("post", "/api/queue/retry", "Send jobs again now.", [], _body({"jobs": {"type": "array", "items":
                                                                            {"type": "integer"}}}, ["jobs"]), 200),
    ("post", "/api/queue/cancel", "Do not send these jobs.", [], _body({"jobs": {"type": "array", "items":
                                                                                 {"type": "integer"}}}, ["jobs"]),
     200),
    ("get", "/api/settings", "The effective configuration (secrets masked) and the peers to test.", [], None, 200),
    ("post", "/api/echo/{name}", "C-ECHO of a configured peer (Verbindung testen).",
     [{"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}], None, 200),
    ("get", "/api/events", "Server-Sent Events: exam, job, progress, recording, source, lamps, queue, worklist, "
     "notice, undo_expired, resync.", [], None, 200),
    ("get", "/api/preview.mjpeg", "The live preview as multipart/x-mixed-replace JPEG frames (X-Frame-Time: "
     "capture time of each frame).", [], None, 200),
    ("get", "/api/preview.jpg", "One preview frame.", [], None, 200),
    ("get", "/api/openapi.json", "This document.", [], None, 200),
)

_ERROR = {"type": "object", "properties": {"error": {"type": "string"}, "message": {"type": "string"},
                                           "hint": {"type": "string"}}}


def openapi() -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for method, path, summary, params, body, status in ROUTES:
        op: dict[str, Any] = {"summary": summary, "parameters": params,
                              "responses": {str(status): {"description": "OK"},
                                            "400": {"description": "bad input",
                                                    "content": {"application/json": {"schema": _ERROR}}},
                                            "401": {"description": "login required"},
                                            "403": {"description": "refused (CSRF token, origin, host)"}}}
        if body is not None:
            op["requestBody"] = body
        paths.setdefault(path, {})[method] = op
    return {"openapi": "3.1.0",
            "info": {"title": "SmartBox station API", "version": __version__,
                     "description": "JSON over HTTP; POST requests carry X-CSRF-Token from GET /api/session (or "
                                    "Authorization: Bearer <password>). Texts follow Accept-Language (de, en)."},
            "paths": paths,
            "components": {"securitySchemes": {"session": {"type": "apiKey", "in": "cookie",
                                                           "name": "smartbox_session"},
                                               "bearer": {"type": "http", "scheme": "bearer"}}}}
