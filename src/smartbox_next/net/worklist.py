"""Modality Worklist C-FIND SCU (PS3.4 Annex K; PS3.7 §9.1.2, §9.3.2) on the native upper layer.

``find_worklist(settings, peer, identifier, ...)`` opens one association over :mod:`smartbox_next.net.ulp`
(stdlib sockets, every read through the guard, the same TLS trust model and error mapping as C-ECHO and
C-STORE; TCP_QUICKACK re-armed around every PDU read, for SCPs that write with Nagle on — DCMTK wlmscpfs),
sends one C-FIND-RQ with the Modality Worklist Information Model - FIND SOP Class and the identifier encoded
natively (:mod:`smartbox_next.dicom.identifier`, in the accepted transfer syntax), collects the Pending answers
(FF00, FF01), stops at the result limit with a C-CANCEL-RQ (Message ID Being Responded To = our message ID,
PS3.7 §9.3.2.3) and maps failure statuses (PS3.4 Table K.4-1) to :class:`WorklistError`. Neither pynetdicom nor
pydicom is imported (issue 13): ``smartbox worklist`` starts in a third of the time.

The identifier (PS3.4 Table K.6-1) carries the matching keys of :class:`WorklistQuery` and every return key
the scheduled-workflow mapping needs (the SCP returns only what was asked for, K.4.1.1.3.2). Specific
Character Set is sent only when a value needs a non-default repertoire (Table K.6-1a); each answer is
decoded with its own (0008,0005) (see :mod:`smartbox_next.worklist.item`). An answer whose identifier does
not decode is skipped with a warning (the others are kept); one larger than the guard's 4 MiB per message
ends the association.

Patient names with non-ASCII characters: many SCPs (e.g. DCMTK wlmscpfs) compare bytes, so "Mül*" sent
as ISO_IR 100 never matches an entry stored as UTF-8. With ``worklist.name_match = "local"`` (default)
the query carries only the ASCII prefix plus ``*`` and the whole pattern is matched here on the decoded
names, case-insensitively; ``"scp"`` sends the pattern as typed, encoded in ``worklist.query_character_set``.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace
from typing import Any

from smartbox_next.dicom.identifier import Identifier, IdentifierError, decode, encode
from smartbox_next.dicom.peer import Peer
from smartbox_next.dicom.sop import MODALITY_WORKLIST_FIND
from smartbox_next.errors import NetworkError, WorklistError
from smartbox_next.net import ulp
from smartbox_next.net.link import Context, LinkSettings
from smartbox_next.net.pdu import cancel_command, find_command

LOG = logging.getLogger(__name__)

PENDING = frozenset({0xFF00, 0xFF01})
SUCCESS = 0x0000
CANCEL = 0xFE00
EXPLICIT_VR_LE, IMPLICIT_VR_LE = "1.2.840.10008.1.2.1", "1.2.840.10008.1.2"


def worklist_context() -> Context:
    """Modality Worklist Information Model - FIND with the uncompressed transfer syntaxes."""
    return Context(MODALITY_WORKLIST_FIND, (EXPLICIT_VR_LE, IMPLICIT_VR_LE))


def status_error(status: int, peer: Peer | str) -> WorklistError:
    """The error for a non-pending, non-success C-FIND status (PS3.4 Table K.4-1; PS3.7 Annex C)."""
    code = f"0x{status:04X}"
    params: dict[str, Any] = {"status": status, "code": code, "peer": str(peer)}
    if 0xA700 <= status <= 0xA7FF:
        return WorklistError("worklist.out_of_resources", retryable=True, **params)
    if 0xA900 <= status <= 0xA9FF:
        return WorklistError("worklist.identifier_mismatch", **params)
    if 0xC000 <= status <= 0xCFFF:
        return WorklistError("worklist.unable_to_process", retryable=True, **params)
    if status == 0x0122:
        return WorklistError("worklist.not_supported", **params)
    if status == CANCEL:
        return WorklistError("worklist.cancelled", retryable=True, **params)
    return WorklistError("worklist.failed", **params)


@dataclass(frozen=True)
class FindAnswer:
    """The Pending identifiers of one C-FIND, and whether the limit cut them off (C-CANCEL sent)."""

    identifiers: list[Identifier]
    truncated: bool


def find_worklist(settings: LinkSettings, peer: Peer, identifier: Identifier, *, limit: int,
                  timeout: float) -> FindAnswer:
    """Send one MWL C-FIND with ``identifier`` and collect the Pending answers (PS3.4 K.6.1.2).

    At most ``limit`` answers are kept; the next one triggers a C-CANCEL and the answer is marked
    ``truncated``. ``timeout`` bounds the wait for each answer. Raises NetworkError subclasses (no connection,
    rejection, abort, timeout) and :class:`WorklistError` (failure status, after the association is released).
    """
    with ulp.open_association(replace(settings, dimse_timeout=timeout), peer, [worklist_context()]) as assoc:
        answers, truncated, final = _collect(assoc, identifier, limit)
    if final is not None:
        raise status_error(final, peer)
    return FindAnswer(answers, truncated)


def _collect(assoc: ulp.Association, identifier: Identifier, limit: int) -> tuple[list[Identifier], bool, int | None]:
    """Pending identifiers until the final status (returned when it is a failure); C-CANCEL once ``limit`` is
    exceeded.

    After the C-CANCEL the SCP should answer Cancel (FE00) at once (PS3.4 C.4.1.3.2); answers still on the
    wire are dropped for at most one DIMSE timeout, then the association is aborted and the answers kept so
    far returned (a peer that goes on sending forever must not hold the station).
    """
    context = assoc.accepted_contexts[0]
    explicit = context.transfer_syntax == EXPLICIT_VR_LE
    timeout = assoc.settings.dimse_timeout
    message_id = assoc.next_message_id()
    operation = "worklist query"
    assoc.send_command(context.context_id, find_command(message_id, MODALITY_WORKLIST_FIND), operation,
                       encode(identifier, explicit=explicit))
    answers: list[Identifier] = []
    cancelled_at: float | None = None
    unsupported_keys = False
    while True:
        try:
            response = assoc.wait_response(message_id, operation, data_set=True)
        except NetworkError:
            if cancelled_at is not None:  # the answers we keep are complete; only the Cancel status is missing
                return answers, True, None
            raise
        now = time.monotonic()
        code = response.status
        if code in PENDING:
            unsupported_keys = unsupported_keys or code == 0xFF01
            if cancelled_at is not None:  # answers already on the wire when the C-CANCEL went out
                if now - cancelled_at > timeout:
                    LOG.warning("worklist C-FIND %s: answers go on after the C-CANCEL; aborting", assoc.peer)
                    assoc.abort()
                    return answers, True, None
                continue
            if len(answers) >= limit:
                assoc.send_command(context.context_id, cancel_command(message_id), operation)
                cancelled_at = now
                continue
            ident = _identifier(response, explicit, assoc.peer)
            if ident is not None:
                answers.append(ident)
            continue
        if unsupported_keys:
            LOG.info("worklist C-FIND %s: SCP does not support some optional keys (FF01)", assoc.peer)
        cancelled = cancelled_at is not None
        if code == SUCCESS or (code == CANCEL and cancelled):
            return answers, cancelled, None
        return answers, cancelled, code


def _identifier(response: ulp.Response, explicit: bool, peer: Peer) -> Identifier | None:
    """The identifier of a Pending answer; None (logged) when there is none or it does not decode."""
    if response.data_set is None:
        LOG.warning("worklist C-FIND %s: pending answer without an identifier", peer)
        return None
    try:
        return decode(response.data_set, explicit=explicit)
    except IdentifierError as exc:
        LOG.warning("worklist C-FIND %s: pending answer without a decodable identifier (%s)", peer, exc)
        return None
