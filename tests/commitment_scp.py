"""A scripted Storage SCP + Storage Commitment SCP (pynetdicom) for what Orthanc cannot do on demand.

Orthanc is the real commitment SCP of the tests (it reports at once, on a new association). This fixture covers
the other ways the standard allows and the faults: a report on the *same* association right after the N-ACTION
response (``mode="same"``), no report at all (``"never"``), and a report the test sends *later* — e.g. after the
station was killed and restarted — on a new association to the station's listener (:meth:`CommitScp.report`,
proposing the SCP role by SCU/SCP Role Selection like a real archive, PS3.4 J.3.3.1.2). It also stores C-STOREs
(in memory: UIDs only), so a report can say which instances it has. Bound to 127.0.0.1 port 0.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from pydicom.dataset import Dataset
from pydicom.sequence import Sequence as DicomSequence
from pynetdicom import AE, ALL_TRANSFER_SYNTAXES, AllStoragePresentationContexts, build_role, evt
from pynetdicom.dimse_messages import N_ACTION_RSP

COMMITMENT = "1.2.840.10008.1.20.1"
COMMITMENT_INSTANCE = "1.2.840.10008.1.20.1.1"
Mode = Literal["same", "never", "later"]


@dataclass
class CommitScp:
    """Handle of a running scripted archive."""

    port: int
    aet: str
    mode: Mode
    action_status: int = 0x0000
    stored: set[str] = field(default_factory=set)
    requests: list[tuple[str, list[tuple[str, str]], str]] = field(default_factory=list)  # (tx, items, calling AE)
    answers: list[int] = field(default_factory=list)  # N-EVENT-REPORT-RSP statuses the station gave
    fail: dict[str, int] = field(default_factory=dict)  # SOP Instance UID -> Failure Reason to report
    lock: threading.Lock = field(default_factory=threading.Lock)
    requested: threading.Event = field(default_factory=threading.Event)

    @property
    def address(self) -> str:
        return f"{self.aet}@127.0.0.1:{self.port}"

    def event_information(self, transaction_uid: str) -> tuple[int, Dataset]:
        """(Event Type ID, Event Information) of the honest report of request ``transaction_uid``."""
        with self.lock:
            items = next(i for t, i, _ae in self.requests if t == transaction_uid)
            stored, fail = set(self.stored), dict(self.fail)
        ok = [(c, i) for c, i in items if i in stored and i not in fail]
        bad = [(c, i, fail.get(i, 0x0112)) for c, i in items if (c, i) not in ok]
        return report_dataset(transaction_uid, ok, bad)

    def report(self, transaction_uid: str, *, port: int, ae_title: str, calling_ae: str | None = None,
               event: tuple[int, Dataset] | None = None, sop_class: str = COMMITMENT,
               sop_instance: str = COMMITMENT_INSTANCE) -> int | None:
        """Send a report on a new association to the station's listener; returns the station's status (None:
        association refused). ``event`` replaces the honest report (hostile variants)."""
        event_type, info = event or self.event_information(transaction_uid)
        ae = AE(ae_title=calling_ae or self.aet)
        ae.add_requested_context(COMMITMENT, ["1.2.840.10008.1.2.1", "1.2.840.10008.1.2"])
        role = build_role(COMMITMENT, scu_role=False, scp_role=True)
        assoc = ae.associate("127.0.0.1", port, ae_title=ae_title, ext_neg=[role])
        try:
            if not assoc.is_established:
                return None
            status, _reply = assoc.send_n_event_report(info, event_type, sop_class, sop_instance)
            code = int(status.Status) if "Status" in status else None
            if code is not None:
                self.answers.append(code)
            return code
        finally:
            if assoc.is_established:
                assoc.release()
            ae.shutdown()


def report_dataset(transaction_uid: str, ok: Sequence[tuple[str, str]],
                   bad: Sequence[tuple[str, str, int]]) -> tuple[int, Dataset]:
    """A report's (Event Type ID, Event Information) (PS3.4 Table J.3-2)."""
    info = Dataset()
    info.TransactionUID = transaction_uid
    refs = []
    for sop_class, sop_instance in ok:
        item = Dataset()
        item.ReferencedSOPClassUID = sop_class
        item.ReferencedSOPInstanceUID = sop_instance
        refs.append(item)
    if refs:
        info.ReferencedSOPSequence = DicomSequence(refs)
    failed = []
    for sop_class, sop_instance, reason in bad:
        item = Dataset()
        item.ReferencedSOPClassUID = sop_class
        item.ReferencedSOPInstanceUID = sop_instance
        item.FailureReason = reason
        failed.append(item)
    if failed:
        info.FailedSOPSequence = DicomSequence(failed)
    return (2 if failed else 1), info


@contextlib.contextmanager
def commit_scp(*, mode: Mode = "same", action_status: int = 0x0000, aet: str = "ARCHIVE") -> Iterator[CommitScp]:
    """Run the scripted archive (see the module docstring)."""
    ae = AE(ae_title=aet)
    for cx in AllStoragePresentationContexts:
        ae.add_supported_context(cx.abstract_syntax, ALL_TRANSFER_SYNTAXES)
    ae.add_supported_context(COMMITMENT, ["1.2.840.10008.1.2.1", "1.2.840.10008.1.2"])
    ae.add_supported_context("1.2.840.10008.1.1")
    handle = CommitScp(port=0, aet=aet, mode=mode, action_status=action_status)
    pending: dict[int, str] = {}  # association id -> transaction to report on it

    def on_store(event: evt.Event) -> int:
        with handle.lock:
            handle.stored.add(str(event.request.AffectedSOPInstanceUID))
        return 0x0000

    def on_action(event: evt.Event) -> tuple[int, Any]:
        info = event.action_information
        tx = str(info.TransactionUID)
        items = [(str(i.ReferencedSOPClassUID), str(i.ReferencedSOPInstanceUID)) for i in info.ReferencedSOPSequence]
        with handle.lock:
            handle.requests.append((tx, items, str(event.assoc.requestor.ae_title).strip()))
        handle.requested.set()
        if handle.mode == "same" and handle.action_status == 0x0000:
            pending[id(event.assoc)] = tx
        return handle.action_status, None

    def on_sent(event: evt.Event) -> None:
        if not isinstance(event.message, N_ACTION_RSP):
            return
        tx = pending.pop(id(event.assoc), None)
        if tx is None:
            return
        event_type, info = handle.event_information(tx)

        def send() -> None:  # not in the DUL thread: send_n_event_report waits for the station's answer
            status, _ = event.assoc.send_n_event_report(info, event_type, COMMITMENT, COMMITMENT_INSTANCE)
            if "Status" in status:
                handle.answers.append(int(status.Status))

        threading.Thread(target=send, daemon=True).start()

    handlers = [(evt.EVT_C_STORE, on_store), (evt.EVT_N_ACTION, on_action), (evt.EVT_DIMSE_SENT, on_sent)]
    server = ae.start_server(("127.0.0.1", 0), block=False, evt_handlers=handlers)
    try:
        handle.port = int(server.server_address[1])
        yield handle
    finally:
        server.shutdown()
        ae.shutdown()
