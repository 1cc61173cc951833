"""A Modality Performed Procedure Step SCP (pynetdicom) that *checks* what it receives (PEERS.md: none in Debian).

Every N-CREATE and N-SET is checked against PS3.4 Table F.7.2-1 (DICOM 2024b), written out below as
:data:`TABLE`: the SCU's requirement type in N-CREATE (1: present with a value, 2: present, 3: optional,
1C: Specific Character Set when text needs more than ASCII) and in N-SET ("-" = Not allowed), and the Final
State requirements at COMPLETED / DISCONTINUED (PS3.4 F.7.2.2.2: End Date/Time present with a value, Performed
Series Sequence with at least one item). Also checked: the SOP Class, an SCU-chosen SOP Instance UID that is a UID
and new (F.7.2.1.2), status IN PROGRESS in N-CREATE (else 0106, F.7.2.1.3), an N-SET only for an instance that
exists (0112) and is IN PROGRESS (else 0110 with Error ID A710, F.7.2.2.3), only attributes created before
(F.7.2.2.2, Table F.7.2-1 note 5), the final status COMPLETED / DISCONTINUED, no attribute outside the table,
and code items (Code Value or Long/URN Code Value, Coding Scheme Designator with a Code Value, Code Meaning).

Every departure is recorded in :attr:`MppsScp.violations` (a test asserts it is empty) — the message is still
answered as scripted, so the SCU's behaviour is observable too. Scripted answers per operation: a status
(``0x0000``, ``0x0110``, ``0x0106`` …) or ``"silent"`` (the request is applied, the answer never sent: the SCU
times out and must send again). Bound to 127.0.0.1 port 0; stopped in ``finally``.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from pydicom.datadict import keyword_for_tag
from pydicom.dataset import Dataset
from pydicom.multival import MultiValue
from pydicom.sequence import Sequence as DicomSequence
from pynetdicom import AE, evt

from smartbox_next.dicom.uid import is_valid_uid

MPPS = "1.2.840.10008.3.1.2.3.3"
NA = "-"

# (path, N-CREATE SCU type, N-SET SCU type). ">" marks a sequence item attribute. "code" rows: code item macro.
TABLE: tuple[tuple[str, str, str], ...] = (
    ("SpecificCharacterSet", "1C", "1C"),
    # Performed Procedure Step Relationship
    ("ScheduledStepAttributesSequence", "1", NA),
    (">StudyInstanceUID", "1", NA),
    (">ReferencedStudySequence", "2", NA),
    (">>ReferencedSOPClassUID", "1", NA),
    (">>ReferencedSOPInstanceUID", "1", NA),
    (">AccessionNumber", "2", NA),
    (">IssuerOfAccessionNumberSequence", "3", NA),
    (">PlacerOrderNumberImagingServiceRequest", "3", NA),
    (">OrderPlacerIdentifierSequence", "3", NA),
    (">FillerOrderNumberImagingServiceRequest", "3", NA),
    (">OrderFillerIdentifierSequence", "3", NA),
    (">RequestedProcedureID", "2", NA),
    (">RequestedProcedureCodeSequence", "3", NA),
    (">>code", "code", NA),
    (">RequestedProcedureDescription", "2", NA),
    (">ScheduledProcedureStepID", "2", NA),
    (">ScheduledProcedureStepDescription", "2", NA),
    (">ScheduledProtocolCodeSequence", "2", NA),
    (">>code", "code", NA),
    ("PatientName", "2", NA),
    ("PatientID", "2", NA),
    ("IssuerOfPatientID", "3", NA),
    ("IssuerOfPatientIDQualifiersSequence", "3", NA),
    ("OtherPatientIDsSequence", "3", NA),
    (">PatientID", "3", NA),
    (">IssuerOfPatientID", "3", NA),
    (">IssuerOfPatientIDQualifiersSequence", "3", NA),
    (">TypeOfPatientID", "3", NA),
    ("PatientBirthDate", "2", NA),
    ("PatientSex", "2", NA),
    ("ReferencedPatientSequence", "2", NA),
    (">ReferencedSOPClassUID", "1", NA),
    (">ReferencedSOPInstanceUID", "1", NA),
    ("AdmissionID", "3", NA),
    ("IssuerOfAdmissionIDSequence", "3", NA),
    ("ServiceEpisodeID", "3", NA),
    ("IssuerOfServiceEpisodeIDSequence", "3", NA),
    ("ServiceEpisodeDescription", "3", NA),
    # Performed Procedure Step Information
    ("PerformedProcedureStepID", "1", NA),
    ("PerformedStationAETitle", "1", NA),
    ("PerformedStationName", "2", NA),
    ("PerformedLocation", "2", NA),
    ("PerformedProcedureStepStartDate", "1", NA),
    ("PerformedProcedureStepStartTime", "1", NA),
    ("PerformedProcedureStepStatus", "1", "3"),
    ("PerformedProcedureStepDescription", "2", "3"),
    ("PerformedProcedureTypeDescription", "2", "3"),
    ("ProcedureCodeSequence", "2", "3"),
    (">code", "code", "code"),
    ("ReasonForPerformedProcedureCodeSequence", "3", "3"),
    (">code", "code", "code"),
    ("PerformedProcedureStepEndDate", "2", "3"),
    ("PerformedProcedureStepEndTime", "2", "3"),
    ("CommentsOnThePerformedProcedureStep", "3", "3"),
    ("PerformedProcedureStepDiscontinuationReasonCodeSequence", "3", "3"),
    (">code", "code", "code"),
    # Image Acquisition Results
    ("Modality", "1", NA),
    ("StudyID", "2", NA),
    ("PerformedProtocolCodeSequence", "2", "3"),
    (">code", "code", "code"),
    ("PerformedSeriesSequence", "2", "3"),
    (">PerformingPhysicianName", "2", "2"),
    (">ProtocolName", "1", "1"),
    (">OperatorsName", "2", "2"),
    (">SeriesInstanceUID", "1", "1"),
    (">SeriesDescription", "2", "2"),
    (">RetrieveAETitle", "2", "2"),
    (">ArchiveRequested", "3", "3"),
    (">ReferencedImageSequence", "2", "2"),
    (">>ReferencedSOPClassUID", "1", "1"),
    (">>ReferencedSOPInstanceUID", "1", "1"),
    (">>ContainerIdentifier", "3", "3"),
    (">>SpecimenDescriptionSequence", "3", "3"),
    (">ReferencedNonImageCompositeSOPInstanceSequence", "2", "2"),
    (">>ReferencedSOPClassUID", "1", "1"),
    (">>ReferencedSOPInstanceUID", "1", "1"),
)
FINAL_STATE = {"PerformedProcedureStepEndDate": "1", "PerformedProcedureStepEndTime": "1",
               "PerformedSeriesSequence": "1"}  # Table F.7.2-1 Final State column (note 2)
CODE_KEYS = ("CodeValue", "CodingSchemeDesignator", "CodingSchemeVersion", "CodeMeaning", "LongCodeValue",
             "URNCodeValue", "MappingResource", "MappingResourceUID", "ContextGroupVersion",
             "ContextGroupExtensionFlag", "ContextGroupLocalVersion", "ContextGroupExtensionCreatorUID",
             "EquivalentCodeSequence", "ContextIdentifier", "ContextUID")

Answer = int | Literal["silent"]
Op = Literal["N-CREATE", "N-SET"]


def _tree(column: int) -> dict[str, Any]:
    """The table as nested dicts: keyword -> (type, children)."""
    root: dict[str, Any] = {}
    stack: list[dict[str, Any]] = [root]
    for path, *types in TABLE:
        depth = len(path) - len(path.lstrip(">"))
        keyword = path.lstrip(">")
        node = {"type": types[column], "children": {}}
        del stack[depth + 1:]
        stack[depth][keyword] = node
        stack.append(node["children"])
    return root


CREATE_TREE, SET_TREE = _tree(0), _tree(1)


def _empty(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, DicomSequence | list | MultiValue):
        return len(value) == 0
    return str(value).strip() == ""


def _texts(ds: Dataset) -> Iterator[str]:
    for elem in ds:
        if elem.VR == "SQ":
            for item in elem.value:
                yield from _texts(item)
        elif elem.VR in ("PN", "LO", "SH", "ST", "LT", "UC", "UT") and elem.value is not None:
            values = elem.value if isinstance(elem.value, MultiValue) else [elem.value]
            yield from (str(v) for v in values)


@dataclass
class MppsScp:
    """Handle of a running checking MPPS SCP."""

    port: int
    aet: str
    create_answers: list[Answer]
    set_answers: list[Answer]
    instances: dict[str, Dataset] = field(default_factory=dict)  # PPS SOP Instance UID -> current attributes
    log: list[tuple[Op, str, int | str]] = field(default_factory=list)  # (operation, PPS UID, answer)
    creates: list[Dataset] = field(default_factory=list)
    sets: list[Dataset] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def address(self) -> str:
        return f"{self.aet}@127.0.0.1:{self.port}"

    def status_of(self, uid: str) -> str:
        with self.lock:
            return str(self.instances[uid].PerformedProcedureStepStatus) if uid in self.instances else ""

    # ---------------------------------------------------------------- checks

    def _violate(self, op: Op, text: str) -> None:
        self.violations.append(f"{op}: {text}")

    def _check(self, op: Op, ds: Dataset, tree: dict[str, Any], where: str = "") -> None:
        column = "N-CREATE" if op == "N-CREATE" else "N-SET"
        for elem in ds:
            keyword = elem.keyword or keyword_for_tag(elem.tag) or str(elem.tag)
            if keyword not in tree:
                self._violate(op, f"{where}{keyword} is not in Table F.7.2-1 ({column})")
            elif tree[keyword]["type"] == NA:
                self._violate(op, f"{where}{keyword} is Not allowed in N-SET")
        for keyword, node in tree.items():
            if keyword == "code":
                continue
            kind, present = node["type"], keyword in ds
            value = ds.get(keyword) if present else None
            if kind == "1" and (not present or _empty(value)):
                self._violate(op, f"{where}{keyword} is Type 1 in {column}: missing or empty")
            elif kind == "2" and not present:
                self._violate(op, f"{where}{keyword} is Type 2 in {column}: missing")
            if present and isinstance(value, DicomSequence):
                for i, item in enumerate(value):
                    if "code" in node["children"]:
                        self._check_code(op, item, f"{where}{keyword}[{i}]")
                    else:
                        self._check(op, item, node["children"], f"{where}{keyword}[{i}].")
        non_ascii = any(not t.isascii() for t in _texts(ds))
        if not where and non_ascii and "SpecificCharacterSet" not in ds:
            self._violate(op, "Specific Character Set is Type 1C: required for the non-ASCII text sent")
        if not where:
            for elem in ds:
                if elem.VR == "UI" and elem.value and not is_valid_uid(str(elem.value)):
                    self._violate(op, f"{elem.keyword} is not a UID")

    def _check_code(self, op: Op, item: Dataset, where: str) -> None:
        for elem in item:
            if elem.keyword not in CODE_KEYS:
                self._violate(op, f"{where}.{elem.keyword} is not part of a code item")
        values = [k for k in ("CodeValue", "LongCodeValue", "URNCodeValue") if not _empty(item.get(k))]
        if len(values) != 1:
            self._violate(op, f"{where}: needs exactly one of Code Value, Long Code Value, URN Code Value")
        if ("CodeValue" in values or "LongCodeValue" in values) and _empty(item.get("CodingSchemeDesignator")):
            self._violate(op, f"{where}: Coding Scheme Designator is 1C with a Code Value")
        if _empty(item.get("CodeMeaning")):
            self._violate(op, f"{where}: Code Meaning is Type 1")

    def _check_final(self, merged: Dataset) -> None:
        for keyword, kind in FINAL_STATE.items():
            if kind == "1" and _empty(merged.get(keyword)):
                self._violate("N-SET", f"{keyword} is Type 1 in the Final State (missing or empty)")

    # ---------------------------------------------------------------- handlers

    def _answer(self, answers: list[Answer]) -> Answer:
        with self.lock:
            return answers.pop(0) if len(answers) > 1 else answers[0]

    def on_create(self, event: evt.Event) -> tuple[Dataset | int, Dataset | None]:
        req = event.request
        ds = event.attribute_list
        uid = str(req.AffectedSOPInstanceUID or "")
        with self.lock:
            self.creates.append(ds)
            if str(req.AffectedSOPClassUID) != MPPS:
                self._violate("N-CREATE", f"SOP Class {req.AffectedSOPClassUID} is not MPPS")
            if not is_valid_uid(uid):
                self._violate("N-CREATE", "the SCU must name a valid SOP Instance UID (F.7.2.1.2)")
            self._check("N-CREATE", ds, CREATE_TREE)
            known = uid in self.instances
        answer = self._answer(self.create_answers)
        if known:
            self.log.append(("N-CREATE", uid, 0x0111))
            return _status(0x0111, "duplicate SOP instance"), None
        if str(ds.get("PerformedProcedureStepStatus", "")) != "IN PROGRESS":
            self._violate("N-CREATE", "Performed Procedure Step Status must be IN PROGRESS (F.7.2.1.2)")
            self.log.append(("N-CREATE", uid, 0x0106))
            return _status(0x0106, "status must be IN PROGRESS"), None
        if answer == "silent" or answer in (0x0000, 0x0001, 0x0107, 0x0116):
            with self.lock:
                self.instances[uid] = ds
        self.log.append(("N-CREATE", uid, answer))
        if answer == "silent":
            self.release.wait(120)
            return 0x0000, None
        return _status(answer, f"scripted {answer:04X}"), None

    def on_set(self, event: evt.Event) -> tuple[Dataset | int, Dataset | None]:
        req = event.request
        ds = event.modification_list
        uid = str(req.RequestedSOPInstanceUID or "")
        with self.lock:
            self.sets.append(ds)
            self._check("N-SET", ds, SET_TREE)
            current = self.instances.get(uid)
        answer = self._answer(self.set_answers)
        if current is None:
            self._violate("N-SET", f"N-SET for an instance never created ({uid})")
            self.log.append(("N-SET", uid, 0x0112))
            return _status(0x0112, "no such SOP instance"), None
        if str(current.PerformedProcedureStepStatus) != "IN PROGRESS":
            self.log.append(("N-SET", uid, 0x0110))
            return _status(0x0110, "Performed Procedure Step Object may no longer be updated", error_id=0xA710), None
        for elem in ds:
            if elem.keyword not in current:
                self._violate("N-SET", f"{elem.keyword} was not created in the N-CREATE (Table F.7.2-1 note 5)")
        status = str(ds.get("PerformedProcedureStepStatus", "IN PROGRESS"))
        if status not in ("IN PROGRESS", "COMPLETED", "DISCONTINUED"):
            self._violate("N-SET", f"unknown Performed Procedure Step Status {status!r}")
        if answer == "silent" or answer in (0x0000, 0x0001, 0x0107, 0x0116):
            merged = Dataset()
            for elem in current:
                merged.add(elem)
            for elem in ds:
                merged.add(elem)
            if status in ("COMPLETED", "DISCONTINUED"):
                self._check_final(merged)
            with self.lock:
                self.instances[uid] = merged
        self.log.append(("N-SET", uid, answer))
        if answer == "silent":
            self.release.wait(120)
            return 0x0000, None
        return _status(answer, f"scripted {answer:04X}"), None


def _status(code: int, comment: str, error_id: int | None = None) -> Dataset | int:
    if code == 0x0000:
        return 0x0000
    rsp = Dataset()
    rsp.Status = code
    rsp.ErrorComment = comment[:64]
    if error_id is not None:
        rsp.ErrorID = error_id
    return rsp


@contextlib.contextmanager
def mpps_scp(*, create: Sequence[Answer] = (0x0000,), set_: Sequence[Answer] = (0x0000,), aet: str = "RIS",
             port: int = 0, known: dict[str, Dataset] | None = None) -> Iterator[MppsScp]:
    """Run the checking MPPS SCP; ``create`` / ``set_`` are the answers in turn (the last one repeats).

    ``port``: listen on this port (a RIS that comes back where the station expects it); default a free one.
    ``known``: the instances of an earlier run (a RIS restarted keeps what it was told).
    """
    ae = AE(ae_title=aet)
    ae.add_supported_context(MPPS, ["1.2.840.10008.1.2.1", "1.2.840.10008.1.2"])
    ae.add_supported_context("1.2.840.10008.1.1")
    handle = MppsScp(port=port, aet=aet, create_answers=list(create), set_answers=list(set_),
                     instances=dict(known or {}))
    handlers = [(evt.EVT_N_CREATE, handle.on_create), (evt.EVT_N_SET, handle.on_set)]
    server = ae.start_server(("127.0.0.1", port), block=False, evt_handlers=handlers)
    try:
        handle.port = int(server.server_address[1])
        yield handle
    finally:
        handle.release.set()
        server.shutdown()
        ae.shutdown()
