"""A built-in loopback PACS and Modality Worklist for ``smartbox demo`` (127.0.0.1 only, port 0).

A newcomer sees the whole product work with no hospital around: a Storage SCP that accepts every
storage SOP class and transfer syntax we produce (files written to a folder) and a worklist SCP
(PS3.4 K) answering from a few scheduled exams whose names need German umlauts and UTF-8. It is a
demonstration peer, not a product feature: tests use the real DCMTK and Orthanc peers.
"""

from __future__ import annotations

import fnmatch
import logging
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from pydicom.dataset import Dataset
from pydicom.sequence import Sequence as DicomSequence

from smartbox_next.dicom import sop as sops
from smartbox_next.dicom.uid import generate_uid
from smartbox_next.net.adapter import (
    ALL_TRANSFER_SYNTAXES,
    STORAGE_SOP_CLASSES,
    FindRequest,
    Server,
    ServerHandlers,
    StoreRequest,
    start_server,
)
from smartbox_next.net.link import VERIFICATION_CONTEXT, Context

LOG = logging.getLogger(__name__)

DEMO_PATIENTS = (  # name, id, birth date, sex, procedure
    ("Müller^Jürgen", "DEMO-1001", "19650412", "M", "Gastroskopie"),
    ("Weiß^Käthe", "DEMO-1002", "19581130", "F", "Koloskopie"),
    ("Öztürk^Ayşe", "DEMO-1003", "19790203", "F", "Bronchoskopie"),
    ("Groß^Björn", "DEMO-1004", "19910717", "M", "Gastroskopie"),
)


def demo_worklist(station_ae: str, modality: str = "ES", today: date | None = None) -> list[Dataset]:
    """Scheduled exams for today at ``station_ae`` (PS3.4 Table K.6-1 attributes)."""
    day = (today or date.today()).strftime("%Y%m%d")
    items = []
    for n, (name, pid, birth, sex, proc) in enumerate(DEMO_PATIENTS, start=1):
        ds = Dataset()
        ds.SpecificCharacterSet = "ISO_IR 192"
        ds.PatientName = name
        ds.PatientID = pid
        ds.IssuerOfPatientID = "DEMO-KIS"
        ds.PatientBirthDate = birth
        ds.PatientSex = sex
        ds.AccessionNumber = f"DEMO-ACC-{n:03d}"
        ds.ReferringPhysicianName = "Hausarzt^Heinz^^Dr."
        ds.StudyInstanceUID = generate_uid()
        ds.RequestedProcedureID = f"RP{n:04d}"
        ds.RequestedProcedureDescription = proc
        code = Dataset()
        code.CodeValue, code.CodingSchemeDesignator, code.CodeMeaning = f"DEMO{n}", "99SMARTBOX", proc
        ds.RequestedProcedureCodeSequence = DicomSequence([code])
        sps = Dataset()
        sps.ScheduledStationAETitle = station_ae
        sps.ScheduledProcedureStepStartDate = day
        sps.ScheduledProcedureStepStartTime = f"{8 + n:02d}0000"
        sps.Modality = modality
        sps.ScheduledPerformingPhysicianName = "Endo^Erika^^Dr."
        sps.ScheduledProcedureStepDescription = proc
        sps.ScheduledProcedureStepID = f"SPS{n:04d}"
        sps.ScheduledStationName = "ENDO-1"
        sps.ScheduledProcedureStepLocation = "Endo Raum 1"
        ds.ScheduledProcedureStepSequence = DicomSequence([sps])
        items.append(ds)
    return items


def _matches(query: Dataset, item: Dataset) -> bool:
    """Single value, wildcard, range and universal matching on the keys the demo needs (PS3.4 C.2.2.2)."""
    for keyword in ("PatientID", "AccessionNumber", "PatientName"):
        wanted = str(query.get(keyword, "") or "")
        if wanted and not fnmatch.fnmatchcase(str(item.get(keyword, "")), wanted.replace("?", "?")):
            return False
    q_sps = query.get("ScheduledProcedureStepSequence")
    if q_sps:
        q, s = q_sps[0], item.ScheduledProcedureStepSequence[0]
        for keyword in ("ScheduledStationAETitle", "Modality"):
            wanted = str(q.get(keyword, "") or "")
            if wanted and not fnmatch.fnmatchcase(str(s.get(keyword, "")), wanted):
                return False
        span = str(q.get("ScheduledProcedureStepStartDate", "") or "")
        if span:
            lo, _, hi = span.partition("-") if "-" in span else (span, "", span)
            if not (lo or "0") <= str(s.ScheduledProcedureStepStartDate) <= (hi or "99999999"):
                return False
    return True


@dataclass
class Loopback:
    """The running loopback peers."""

    storage_port: int
    worklist_port: int
    received_dir: Path
    storage_aet: str = "DEMOPACS"
    worklist_aet: str = "DEMOMWL"
    received: list[Path] = field(default_factory=list)

    @property
    def storage_address(self) -> str:
        return f"{self.storage_aet}@127.0.0.1:{self.storage_port}"

    @property
    def worklist_address(self) -> str:
        return f"{self.worklist_aet}@127.0.0.1:{self.worklist_port}"


_UID = re.compile(r"^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*$")  # PS3.5 §9.1, at most 64 characters
INVALID_SOP_INSTANCE = 0x0117  # PS3.7 Annex C


class _Servers:
    def __init__(self, loop: Loopback, items: list[Dataset]) -> None:
        self.loop = loop
        self.items = items
        self.lock = threading.Lock()

    def on_store(self, request: StoreRequest) -> int:
        uid = request.sop_instance_uid
        if len(uid) > 64 or not _UID.match(uid):  # it becomes a file name: never trust the peer's value
            LOG.warning("loopback PACS: refusing a C-STORE with an invalid SOP Instance UID")
            return INVALID_SOP_INSTANCE
        path = self.loop.received_dir / f"{uid}.dcm"
        with path.open("wb") as fh:
            fh.write(request.part10)
        with self.lock:
            self.loop.received.append(path)
        return 0x0000

    def on_find(self, request: FindRequest) -> Iterator[tuple[int, Dataset | None]]:
        for item in self.items:
            if request.cancelled():
                yield 0xFE00, None
                return
            if _matches(request.identifier, item):
                yield 0xFF00, item
        yield 0x0000, None


def start_loopback(received_dir: Path, station_ae: str, modality: str = "ES") -> tuple[Loopback, list[Server]]:
    """Start both SCPs on free loopback ports; returns the handle and the servers (call ``shutdown()``)."""
    received_dir.mkdir(parents=True, exist_ok=True)
    storage = [Context(uid, ALL_TRANSFER_SYNTAXES) for uid in (*STORAGE_SOP_CLASSES, *(s.uid for s in sops.ALL))]
    loop = Loopback(0, 0, received_dir)
    servers = _Servers(loop, demo_worklist(station_ae, modality))
    s1 = start_server("DEMOPACS", [*storage, VERIFICATION_CONTEXT], ServerHandlers(store=servers.on_store),
                      max_pdu=131072)
    try:
        s2 = start_server("DEMOMWL", [Context(sops.MODALITY_WORKLIST_FIND), VERIFICATION_CONTEXT],
                          ServerHandlers(find=servers.on_find))
    except BaseException:
        s1.shutdown()
        raise
    loop.storage_port = s1.port
    loop.worklist_port = s2.port
    return loop, [s1, s2]
