"""THE translation of STOW-RS answers into outcomes (DESIGN principle 5): HTTP status and Store Instances Response.

- HTTP status (PS3.18 Table 10.5.3-1, §8.5): :data:`HTTP_ROWS` — 200 all stored, 202 some stored (per instance in
  the body), 409 none stored (per instance in the body); 400/401/403/404/413/415 the request is wrong
  (permanent); 408/429/500/502/503/504 retryable, ``Retry-After`` honoured; other 4xx permanent, other 5xx retryable.
- Store Instances Response Module (PS3.18 Annex I, Table I.1-1) in ``application/dicom+json`` (Annex F) or
  ``application/dicom+xml`` (PS3.19 Native DICOM Model): Referenced SOP Sequence (0008,1199) → stored, with
  Warning Reason (0008,1196) → stored with warning (Table I.2-1); Failed SOP Sequence (0008,1198) with Failure
  Reason (0008,1197) → failed (Table I.2-2: A7xx retryable, everything else permanent): :data:`FAILURE_ROWS`.

The outbox never reads these texts: it asks ``exc.retryable`` (and ``retry_after``) of the errors made here.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any, Literal

from smartbox_next.errors import SmartboxError, StoreError, WebServiceError

RETRIEVE_URL, WARNING_REASON, FAILURE_REASON = "00081190", "00081196", "00081197"
FAILED_SOP_SEQUENCE, REFERENCED_SOP_SEQUENCE = "00081198", "00081199"
REFERENCED_SOP_CLASS, REFERENCED_SOP_INSTANCE = "00081150", "00081155"
MAX_RETRY_AFTER = 86400.0  # a server asking for more than a day is capped there (the policy may still give up)
MAX_BODY = 16 * 1024 * 1024  # a store response larger than this is not parsed (a response module is a few KB)

Outcome = Literal["stored", "warning", "failed"]


@dataclass(frozen=True)
class HttpRow:
    """How one HTTP status (or range) of a store answer is handled (for the code and the conformance statement)."""

    codes: str
    meaning: str  # PS3.18 wording, shortened
    key: str  # message key of the error made for it ("" = success)
    retryable: bool


HTTP_ROWS: tuple[HttpRow, ...] = (
    HttpRow("200", "all instances stored (warnings per instance possible)", "", False),
    HttpRow("202", "some instances stored; warnings or failures per instance in the body", "", False),
    HttpRow("409", "no instance stored; failure reasons per instance in the body", "dicomweb.conflict", False),
    HttpRow("400", "bad syntax: no instance stored", "dicomweb.bad_request", False),
    HttpRow("401", "authentication required or refused", "dicomweb.unauthorized", False),
    HttpRow("403", "the user may not store", "dicomweb.forbidden", False),
    HttpRow("404, 405", "no such resource: wrong base URL", "dicomweb.not_found", False),
    HttpRow("413", "request too large", "dicomweb.too_large", False),
    HttpRow("415", "media type not supported", "dicomweb.unsupported_media_type", False),
    HttpRow("408, 429, 503", "busy / timed out: retry after Retry-After", "dicomweb.busy", True),
    HttpRow("500, 502, 504, other 5xx", "server failure", "dicomweb.server_error", True),
    HttpRow("3xx", "redirection (not followed)", "dicomweb.redirected", False),
    HttpRow("other 4xx", "refused", "dicomweb.http_failed", False),
)

_BUSY = (408, 429, 503)


@dataclass(frozen=True)
class ReasonRow:
    """One Failure/Warning Reason code (range) of PS3.18 Tables I.2-1/I.2-2 and its handling."""

    codes: str
    lo: int
    hi: int
    key: str
    retryable: bool
    outcome: Outcome


FAILURE_ROWS: tuple[ReasonRow, ...] = (
    ReasonRow("A7xx", 0xA700, 0xA7FF, "store.out_of_resources", True, "failed"),
    ReasonRow("A9xx", 0xA900, 0xA9FF, "store.does_not_match", False, "failed"),
    ReasonRow("C122", 0xC122, 0xC122, "dicomweb.transfer_syntax_refused", False, "failed"),
    ReasonRow("Cxxx", 0xC000, 0xCFFF, "store.cannot_understand", False, "failed"),
    ReasonRow("0122", 0x0122, 0x0122, "store.sop_class_not_supported", False, "failed"),
    ReasonRow("0124", 0x0124, 0x0124, "store.not_authorized", False, "failed"),
    ReasonRow("0110", 0x0110, 0x0110, "store.failed", False, "failed"),
    ReasonRow("other", 0x0000, 0xFFFF, "store.failed", False, "failed"),
)
WARNING_ROWS: tuple[ReasonRow, ...] = (
    ReasonRow("B000, B006, B007, other", 0x0000, 0xFFFF, "store.warning", False, "warning"),
)


def failure_row(reason: int) -> ReasonRow:
    """The first :data:`FAILURE_ROWS` row that covers ``reason``."""
    return next(r for r in FAILURE_ROWS if r.lo <= reason <= r.hi)


# ------------------------------------------------------------------------------------------ HTTP status


def retry_after_seconds(value: str | None, now: float) -> float | None:
    """``Retry-After`` (RFC 9110 §10.2.3: delay-seconds or an HTTP-date) in seconds from ``now``, capped."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return min(float(text), MAX_RETRY_AFTER)
    try:
        when = parsedate_to_datetime(text).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return max(0.0, min(when - now, MAX_RETRY_AFTER))


def http_error(status: int, *, peer: str, operation: str, url: str, detail: str = "", retry_after: float | None,
               location: str = "", body_bytes: int = 0, sop_instance_uid: str = "-") -> WebServiceError:
    """The project error for an HTTP failure status of a DICOMweb request (see :data:`HTTP_ROWS`)."""
    params: dict[str, Any] = {"peer": peer, "operation": operation, "http_status": status, "url": url,
                              "detail": detail or "-", "sop_instance_uid": sop_instance_uid}
    if status in _BUSY:
        wait = retry_after if retry_after is not None else "?"
        return WebServiceError("dicomweb.busy", retryable=True, **params, retry_after=wait)
    if 500 <= status <= 599:
        return WebServiceError("dicomweb.server_error", retryable=True, **params)
    if 300 <= status <= 399:
        return WebServiceError("dicomweb.redirected", **params, location=location or "-")
    key = {400: "dicomweb.bad_request", 401: "dicomweb.unauthorized", 403: "dicomweb.forbidden",
           404: "dicomweb.not_found", 405: "dicomweb.not_found", 409: "dicomweb.conflict",
           413: "dicomweb.too_large", 415: "dicomweb.unsupported_media_type"}.get(status, "dicomweb.http_failed")
    if key == "dicomweb.too_large":
        params["mb"] = f"{body_bytes / 1e6:.1f}"
    return WebServiceError(key, **params)


# ----------------------------------------------------------------------------- Store Instances Response


@dataclass(frozen=True)
class InstanceReport:
    """What the response says of one SOP instance."""

    sop_instance_uid: str
    sop_class_uid: str = ""
    reason: int | None = None  # Warning Reason (referenced) or Failure Reason (failed)
    retrieve_url: str = ""


@dataclass(frozen=True)
class StoreReport:
    """The parsed Store Instances Response Module (empty when the body had none or could not be read)."""

    referenced: dict[str, InstanceReport] = field(default_factory=dict)
    failed: dict[str, InstanceReport] = field(default_factory=dict)
    retrieve_url: str = ""
    readable: bool = True  # False: a body was there but was neither DICOM JSON nor XML

    @property
    def mentions_instances(self) -> bool:
        return bool(self.referenced or self.failed)


def parse_store_response(body: bytes, content_type: str) -> StoreReport:
    """The Store Instances Response Module of ``body`` (DICOM JSON, PS3.18 Annex F, or XML, PS3.19)."""
    text = body[:MAX_BODY].strip()
    if not text:
        return StoreReport()
    kind = content_type.split(";", 1)[0].strip().lower()
    try:
        if kind.endswith("xml") or text.startswith(b"<"):
            return _from_xml(text)
        return _from_json(json.loads(text))
    except (ValueError, ET.ParseError, TypeError, AttributeError, KeyError, IndexError):
        return StoreReport(readable=False)


def _json_values(obj: Any, tag: str) -> list[Any]:
    item = obj.get(tag) if isinstance(obj, dict) else None
    values = item.get("Value", []) if isinstance(item, dict) else []
    return values if isinstance(values, list) else []


def _json_first(obj: Any, tag: str) -> Any:
    values = _json_values(obj, tag)
    return values[0] if values else None


def _reason(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _from_json(doc: Any) -> StoreReport:
    if isinstance(doc, list):  # some servers answer an array of one data set
        doc = doc[0] if doc else {}
    if not isinstance(doc, dict):
        raise ValueError("not a DICOM JSON object")

    def items(tag: str, reason_tag: str) -> dict[str, InstanceReport]:
        out: dict[str, InstanceReport] = {}
        for item in _json_values(doc, tag):
            uid = _json_first(item, REFERENCED_SOP_INSTANCE)
            if isinstance(uid, str) and uid:
                out[uid] = InstanceReport(uid, str(_json_first(item, REFERENCED_SOP_CLASS) or ""),
                                          _reason(_json_first(item, reason_tag)),
                                          str(_json_first(item, RETRIEVE_URL) or ""))
        return out

    return StoreReport(referenced=items(REFERENCED_SOP_SEQUENCE, WARNING_REASON),
                       failed=items(FAILED_SOP_SEQUENCE, FAILURE_REASON),
                       retrieve_url=str(_json_first(doc, RETRIEVE_URL) or ""))


def _xml_value(element: ET.Element, tag: str) -> str:
    for attr in element.findall("DicomAttribute"):
        if attr.get("tag", "").upper() == tag:
            value = attr.find("Value")
            return (value.text or "").strip() if value is not None else ""
    return ""


def _from_xml(text: bytes) -> StoreReport:
    root = ET.fromstring(text)  # expat refuses entity expansion bombs (Python ≥ 3.7.1 with expat ≥ 2.4)
    for element in root.iter():  # PS3.19 may put the elements in its namespace: compare local names
        element.tag = element.tag.rsplit("}", 1)[-1]

    def items(tag: str, reason_tag: str) -> dict[str, InstanceReport]:
        out: dict[str, InstanceReport] = {}
        for attr in root.findall("DicomAttribute"):
            if attr.get("tag", "").upper() != tag:
                continue
            for item in attr.findall("Item"):
                uid = _xml_value(item, REFERENCED_SOP_INSTANCE)
                if uid:
                    out[uid] = InstanceReport(uid, _xml_value(item, REFERENCED_SOP_CLASS),
                                              _reason(_xml_value(item, reason_tag)),
                                              _xml_value(item, RETRIEVE_URL))
        return out

    return StoreReport(referenced=items(REFERENCED_SOP_SEQUENCE, WARNING_REASON),
                       failed=items(FAILED_SOP_SEQUENCE, FAILURE_REASON),
                       retrieve_url=_xml_value(root, RETRIEVE_URL))


def instance_failure(reason: int | None, *, peer: str, sop_instance_uid: str, transfer_syntax: str,
                     http_status: int) -> SmartboxError:
    """The error for an instance in the Failed SOP Sequence (PS3.18 Table I.2-2); a missing reason is 0110."""
    code = 0x0110 if reason is None else reason
    row = failure_row(code)
    params: dict[str, Any] = {"peer": peer, "status": code, "code": f"0x{code:04X}",
                              "sop_instance_uid": sop_instance_uid, "comment": f"STOW-RS HTTP {http_status}",
                              "http_status": http_status}
    if row.key == "dicomweb.transfer_syntax_refused":
        return WebServiceError(row.key, **params, transfer_syntax=transfer_syntax or "-")
    return StoreError(row.key, retryable=row.retryable, **params)


def instance_warning(reason: int, *, peer: str, sop_instance_uid: str, http_status: int) -> StoreError:
    """The recorded warning for a Referenced SOP Sequence item with Warning Reason (PS3.18 Table I.2-1)."""
    return StoreError("store.warning", peer=peer, status=reason, code=f"0x{reason:04X}",
                      sop_instance_uid=sop_instance_uid, comment=f"STOW-RS HTTP {http_status}")
