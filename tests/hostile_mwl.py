"""A scripted Modality Worklist SCP (pynetdicom) that answers with what a real RIS should never send.

For the hardening tests only: Study Instance UIDs that are paths, an unknown Specific Character Set with
UTF-8 bytes, control characters in names. Real worklist servers (wlmscpfs, Orthanc) refuse or normalise such
values when they load them, so they cannot be scripted there. Bound to 127.0.0.1 port 0; stopped in ``finally``.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from pydicom.dataset import Dataset
from pydicom.sequence import Sequence as DicomSequence
from pynetdicom import AE, evt
from pynetdicom.sop_class import ModalityWorklistInformationFind  # type: ignore[attr-defined]


@dataclass
class HostileMwl:
    port: int
    aet: str = "EVILRIS"

    @property
    def address(self) -> str:
        return f"{self.aet}@127.0.0.1:{self.port}"


def answer(*, study_uid: str = "1.2.826.0.1.3680043.8.498.1", accession: str = "ACC-EVIL",
           name: str | bytes = "Grün^Patientin", charset: str | None = "ISO_IR 192", patient_id: str = "P-EVIL",
           station: str = "SMARTBOX", description: str = "Gastroskopie") -> Dataset:
    """One worklist identifier; ``name`` as bytes goes on the wire unchanged (with ``charset`` declared)."""
    ds = Dataset()
    if charset is not None:
        ds.SpecificCharacterSet = charset
    ds.PatientName = name
    ds.PatientID = patient_id
    ds.PatientBirthDate = "19700101"
    ds.PatientSex = "F"
    ds.StudyInstanceUID = study_uid
    ds.AccessionNumber = accession
    ds.RequestedProcedureID = "RP-EVIL"
    ds.RequestedProcedureDescription = description
    sps = Dataset()
    sps.ScheduledStationAETitle = station
    sps.ScheduledProcedureStepStartDate = "20260101"
    sps.ScheduledProcedureStepStartTime = "080000"
    sps.Modality = "ES"
    sps.ScheduledProcedureStepID = "SPS-EVIL"
    sps.ScheduledProcedureStepDescription = description
    ds.ScheduledProcedureStepSequence = DicomSequence([sps])
    return ds


@contextlib.contextmanager
def hostile_mwl(answers: Sequence[Dataset]) -> Iterator[HostileMwl]:
    """Answer every C-FIND with ``answers`` (as Pending), then success."""

    def on_find(event: evt.Event) -> Iterator[tuple[int, Dataset | None]]:
        for ds in answers:
            yield 0xFF00, ds
        yield 0x0000, None

    ae = AE("EVILRIS")
    ae.add_supported_context(ModalityWorklistInformationFind)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pydicom warns about the invalid values we mean to send
        server = ae.start_server(("127.0.0.1", 0), block=False, evt_handlers=[(evt.EVT_C_FIND, on_find)])
        try:
            yield HostileMwl(port=int(server.server_address[1]))
        finally:
            server.shutdown()
