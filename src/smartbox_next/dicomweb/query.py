"""QIDO-RS (PS3.18 §10.6) as the station uses it: reachability and credentials (echo), is an instance stored (verify).

- :func:`echo` — ``GET {base}/studies?limit=1`` (Search for Studies; ``limit`` §8.3.4.4): 200 or 204 means the
  service is there and accepts the credentials; 401/403/404 name what to fix.
- :func:`find_instance` — ``GET {base}/studies/{study}/instances?SOPInstanceUID=…`` (Search for a Study's
  Instances, Table 10.6.1-2): the DICOMweb counterpart of storage commitment for ``verify_stored`` peers.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from smartbox_next.dicomweb.client import ACCEPT_QUERY, Answer, WebClient
from smartbox_next.dicomweb.response import REFERENCED_SOP_CLASS, http_error, retry_after_seconds

SOP_CLASS_UID, SOP_INSTANCE_UID = "00080016", "00080018"


@dataclass(frozen=True)
class EchoResult:
    """A successful QIDO-RS round trip: HTTP status and time (ms)."""

    url: str
    http_status: int
    echo_ms: float


def _fail(client: WebClient, answer: Answer, operation: str) -> Exception:
    return http_error(answer.status, peer=str(client.peer), operation=operation, url=client.peer.endpoint("studies"),
                      detail=answer.body[:200].decode("utf-8", "replace"), location=answer.location,
                      retry_after=retry_after_seconds(answer.retry_after, time.time()))


def echo(client: WebClient) -> EchoResult:
    """One QIDO-RS search (see the module docstring); raises NetworkError / WebServiceError when it fails."""
    answer = client.request("GET", "studies", operation="QIDO-RS", params={"limit": "1"},
                            headers={"Accept": ACCEPT_QUERY})
    if answer.status not in (200, 204):
        raise _fail(client, answer, "QIDO-RS")
    return EchoResult(client.peer.endpoint("studies"), answer.status, answer.ms)


def _matches(answer: Answer) -> list[dict[str, Any]]:
    if answer.status == 204 or not answer.body.strip():
        return []
    try:
        doc = json.loads(answer.body)
    except ValueError:
        return []
    return [d for d in doc if isinstance(d, dict)] if isinstance(doc, list) else []


def _first(item: dict[str, Any], tag: str) -> str:
    values = item.get(tag, {}).get("Value", []) if isinstance(item.get(tag), dict) else []
    return str(values[0]) if isinstance(values, list) and values else ""


def find_instance(client: WebClient, study_instance_uid: str, sop_instance_uid: str, sop_class_uid: str = "") -> bool:
    """Whether the service lists the instance (and, when given, with this SOP class). 404 counts as not found."""
    answer = client.request("GET", f"studies/{study_instance_uid}/instances", operation="QIDO-RS",
                            params={"SOPInstanceUID": sop_instance_uid}, headers={"Accept": ACCEPT_QUERY})
    if answer.status == 404:
        return False
    if answer.status not in (200, 204):
        raise _fail(client, answer, "QIDO-RS")
    for item in _matches(answer):
        if _first(item, SOP_INSTANCE_UID) == sop_instance_uid:
            found_class = _first(item, SOP_CLASS_UID) or _first(item, REFERENCED_SOP_CLASS)
            return not sop_class_uid or not found_class or found_class == sop_class_uid
    return False
