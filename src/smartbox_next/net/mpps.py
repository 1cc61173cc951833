"""Modality Performed Procedure Step SCU (PS3.4 F.7; PS3.7 §10.1.5 N-CREATE, §10.1.3 N-SET).

:func:`send_mpps` opens one association with the MPPS SOP Class (Explicit, then Implicit VR Little Endian),
sends one N-CREATE-RQ (the SCU names the instance, PS3.4 F.7.2.1.2) or N-SET-RQ with the given attribute list,
waits for the response and classifies its status (:data:`STATUS_ROWS`, PS3.7 Annex C, PS3.4 F.7.2.1.4/F.7.2.2.4).
It raises the association errors of :func:`~smartbox_next.net.session.open_session` and :class:`MppsError`; it
returns the warning text of a success with warning (stored with the message).

A message is sent again after an unknown outcome (timeout, abort): ``retried``. An N-CREATE answered 0111
"duplicate SOP instance" then means the earlier attempt did create it — success. An N-SET answered 0110 then may
mean the RIS has the final state from the earlier attempt already: reported as ``mpps.final_unknown``, never
taken as success silently.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Literal

from pydicom.dataset import Dataset

from smartbox_next.dicom.peer import Peer
from smartbox_next.dicom.sop import MODALITY_PERFORMED_PROCEDURE_STEP
from smartbox_next.errors import MppsError, NoAcceptedContextError
from smartbox_next.net.adapter import encode_dataset, n_create_command, n_set_command
from smartbox_next.net.link import Context, LinkSettings
from smartbox_next.net.session import open_session
from smartbox_next.net.stream import Payload, send_message

LOG = logging.getLogger(__name__)

Operation = Literal["N-CREATE", "N-SET"]

_EXPLICIT_LE, _IMPLICIT_LE = "1.2.840.10008.1.2.1", "1.2.840.10008.1.2"


def mpps_context() -> Context:
    """The MPPS SOP Class with Explicit VR Little Endian first and the default Implicit VR Little Endian."""
    return Context(MODALITY_PERFORMED_PROCEDURE_STEP, (_EXPLICIT_LE, _IMPLICIT_LE))


@dataclass(frozen=True)
class StatusRow:
    """How one status (or range) of an N-CREATE / N-SET response is handled (for the conformance statement)."""

    codes: str
    outcome: str  # "success" | "warning" | "retry" | "failed"
    key: str  # message key ("" for plain success)


STATUS_ROWS: tuple[StatusRow, ...] = (
    StatusRow("0000", "success", ""),
    StatusRow("0001, 0107, 0116, B000-BFFF", "warning", "mpps.warning"),
    StatusRow("0111 (N-CREATE sent again after an unknown outcome)", "success", "mpps.warning"),
    StatusRow("0111 (first attempt)", "failed", "mpps.duplicate"),
    StatusRow("0110 (N-CREATE)", "retry", "mpps.processing_failure"),
    StatusRow("0110 (N-SET)", "failed", "mpps.not_in_progress"),
    StatusRow("0110 (N-SET sent again after an unknown outcome)", "failed", "mpps.final_unknown"),
    StatusRow("0106, 0105, 0120, 0121", "failed", "mpps.invalid_attribute"),
    StatusRow("0213, A700-A7FF", "retry", "mpps.busy"),
    StatusRow("0210, 0211, 0212", "retry", "mpps.protocol_error"),
    StatusRow("0112, 0117, 0118, 0119, 0122, 0124, other", "failed", "mpps.refused"),
)

_WARNINGS = (0x0001, 0x0107, 0x0116)
_ATTRIBUTE = (0x0105, 0x0106, 0x0120, 0x0121)


def classify(status: Dataset, op: Operation, peer: Peer, *, retried: bool) -> tuple[str | None, MppsError | None]:
    """(warning text, error) for the response status data set of ``op`` (both None: plain success)."""
    code = int(status.Status)
    comment = str(status.get("ErrorComment", "") or "")
    params: dict[str, Any] = {"peer": str(peer), "operation": op, "status": code, "code": f"0x{code:04X}",
                              "comment": comment or "-", "error_id": f"{int(status.get('ErrorID', 0) or 0):04X}"}
    if code == 0x0000:
        return None, None
    if code in _WARNINGS or 0xB000 <= code <= 0xBFFF:
        return MppsError("mpps.warning", **params).text("en"), None
    if code == 0x0111 and op == "N-CREATE":
        if retried:
            LOG.warning("%s: N-CREATE sent again answered 0111: created by the earlier attempt", peer)
            return MppsError("mpps.warning", **params).text("en"), None
        return None, MppsError("mpps.duplicate", **params)
    if code == 0x0110:
        if op == "N-CREATE":
            return None, MppsError("mpps.processing_failure", retryable=True, **params)
        return None, MppsError("mpps.final_unknown" if retried else "mpps.not_in_progress", **params)
    if code in _ATTRIBUTE:
        return None, MppsError("mpps.invalid_attribute", attributes=_tags(status.get("AttributeIdentifierList")),
                               **params)
    if code == 0x0213 or 0xA700 <= code <= 0xA7FF:
        return None, MppsError("mpps.busy", retryable=True, **params)
    if code in (0x0210, 0x0211, 0x0212):
        return None, MppsError("mpps.protocol_error", retryable=True, **params)
    return None, MppsError("mpps.refused", **params)


def _tags(value: Any) -> str:
    """The tags of an Attribute Identifier List (0000,1005) as ``(gggg,eeee), …`` ("-" when absent)."""
    if value is None:
        return "-"
    tags = list(value) if isinstance(value, list | tuple) or type(value).__name__ == "MultiValue" else [value]
    return ", ".join(f"({int(t) >> 16:04X},{int(t) & 0xFFFF:04X})" for t in tags) or "-"


def send_mpps(settings: LinkSettings, peer: Peer, op: Operation, pps_uid: str, attributes: Dataset, *,
              retried: bool = False) -> str | None:
    """Send one N-CREATE or N-SET of MPPS instance ``pps_uid`` with ``attributes``; returns a warning text or None.

    Raises NetworkError subclasses (connect, rejection, abort, timeout — the outcome of an aborted or timed-out
    message is unknown: send it again with ``retried``), NoAcceptedContextError (the peer has no MPPS) and
    :class:`MppsError`.
    """
    with open_session(settings, peer, [mpps_context()]) as session:
        cx = next((c for c in session.accepted_contexts if c.abstract_syntax == MODALITY_PERFORMED_PROCEDURE_STEP),
                  None)
        if cx is None:  # pragma: no cover - open_session refuses an association with nothing accepted
            raise NoAcceptedContextError("net.no_context", peer=str(peer), sop_class=MODALITY_PERFORMED_PROCEDURE_STEP,
                                         transfer_syntax=_EXPLICIT_LE)
        message_id = session.next_message_id()
        build = n_create_command if op == "N-CREATE" else n_set_command
        command = build(message_id, MODALITY_PERFORMED_PROCEDURE_STEP, pps_uid)
        data = encode_dataset(attributes, cx.transfer_syntax)
        send_message(session, cx.context_id, command, Payload((data,), cx.transfer_syntax),
                     timeout=settings.network_timeout)
        status = session.wait_response(message_id, op)
    warning, error = classify(status, op, peer, retried=retried)
    if error is not None:
        raise error
    LOG.info("%s of %s accepted by %s%s", op, pps_uid, peer, " (sent again)" if retried else "")
    return warning
