"""Modality Worklist C-FIND SCU (PS3.4 Annex K; PS3.7 §9.1.2, §9.3.2).

``find_worklist(settings, peer, identifier, ...)`` opens one association (through :func:`open_session`, which
maps connect failures, rejections, aborts and timeouts to project errors; the adapter sets TCP_NODELAY and,
for this exchange, re-arms TCP_QUICKACK after every PDU), sends one
C-FIND with the Modality Worklist Information Model - FIND SOP Class, collects the Pending answers
(FF00, FF01), stops at the result limit with a C-CANCEL (Message ID Being Responded To = our message ID,
PS3.7 §9.3.2.3) and maps failure statuses (PS3.4 Table K.4-1) to :class:`WorklistError`.

The identifier (PS3.4 Table K.6-1) carries the matching keys of :class:`WorklistQuery` and every return key
the scheduled-workflow mapping needs (the SCP returns only what was asked for, K.4.1.1.3.2). Specific
Character Set is sent only when a value needs a non-default repertoire (Table K.6-1a); each answer is
decoded with its own (0008,0005) (see :mod:`smartbox_next.worklist.item`).

Patient names with non-ASCII characters: many SCPs (e.g. DCMTK wlmscpfs) compare bytes, so "Mül*" sent
as ISO_IR 100 never matches an entry stored as UTF-8. With ``worklist.name_match = "local"`` (default)
the query carries only the ASCII prefix plus ``*`` and the whole pattern is matched here on the decoded
names, case-insensitively; ``"scp"`` sends the pattern as typed, encoded in ``worklist.query_character_set``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from pydicom.dataset import Dataset

from smartbox_next.dicom.peer import Peer
from smartbox_next.dicom.sop import MODALITY_WORKLIST_FIND
from smartbox_next.errors import WorklistError
from smartbox_next.net.link import Context, LinkSettings
from smartbox_next.net.session import Session, open_session

LOG = logging.getLogger(__name__)

PENDING = frozenset({0xFF00, 0xFF01})
SUCCESS = 0x0000
CANCEL = 0xFE00
_MSG_ID = 1


def worklist_context() -> Context:
    """Modality Worklist Information Model - FIND with the uncompressed transfer syntaxes."""
    return Context(MODALITY_WORKLIST_FIND, ("1.2.840.10008.1.2.1", "1.2.840.10008.1.2"))


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

    identifiers: list[Dataset]
    truncated: bool


def find_worklist(settings: LinkSettings, peer: Peer, identifier: Dataset, *, limit: int,
                  timeout: float) -> FindAnswer:
    """Send one MWL C-FIND with ``identifier`` and collect the Pending answers (PS3.4 K.6.1.2).

    At most ``limit`` answers are kept; the next one triggers a C-CANCEL and the answer is marked
    ``truncated``. ``timeout`` bounds the wait for each answer. Raises NetworkError subclasses (no connection,
    rejection, abort, timeout) and :class:`WorklistError` (failure status).

    Every PDU sent or received re-arms TCP_QUICKACK: SCPs that write each PDV header and body with separate
    ``write()`` calls and leave Nagle's algorithm on (DCMTK wlmscpfs does) otherwise stall twice per query
    waiting for our delayed ACK.
    """
    with open_session(settings, peer, [worklist_context()], ack_every_pdu=True) as session:
        session.link.dimse_timeout = timeout
        answers, truncated = _collect(session, identifier, limit)
    return FindAnswer(answers, truncated)


def _collect(session: Session, identifier: Dataset, limit: int) -> tuple[list[Dataset], bool]:
    """Pending identifiers until the final status; C-CANCEL once ``limit`` is exceeded."""
    link = session.link
    context_id = session.accepted_contexts[0].context_id
    answers: list[Dataset] = []
    cancelled = False
    final: int | None = None
    unsupported_keys = False
    for status, ds in link.find(identifier, MODALITY_WORKLIST_FIND, _MSG_ID):
        if not status or "Status" not in status:
            break  # no answer: timeout, abort or dropped connection -> session.check raises
        code = int(status.Status)
        if code in PENDING:
            unsupported_keys = unsupported_keys or code == 0xFF01
            if cancelled:
                continue  # answers already on the wire when the C-CANCEL went out
            if len(answers) >= limit:
                link.cancel(_MSG_ID, context_id)
                cancelled = True
                continue
            if ds is None:
                LOG.warning("worklist C-FIND %s: pending answer without a decodable identifier", session.peer)
                continue
            answers.append(ds)
            continue
        final = code
        break
    if final is None:
        session.check("worklist query")
        raise WorklistError("worklist.failed", status=0xFFFF, code="none", peer=str(session.peer))
    if unsupported_keys:
        LOG.info("worklist C-FIND %s: SCP does not support some optional keys (FF01)", session.peer)
    if final == SUCCESS or (final == CANCEL and cancelled):
        return answers, cancelled
    raise status_error(final, session.peer)
