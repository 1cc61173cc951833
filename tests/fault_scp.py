"""A scripted Storage SCP (pynetdicom) for faults real peers cannot produce on demand.

Only for: chosen C-STORE statuses (A700 then success, C000 with an Error Comment, B000 warning), an A-ABORT in
the middle of a transfer, a silent peer (never answers → DIMSE timeout) and rejecting the calling AE title.
Everything else is tested against DCMTK storescp and Orthanc. Bound to 127.0.0.1 port 0; stopped in ``finally``.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from pydicom.dataset import Dataset
from pynetdicom import AE, ALL_TRANSFER_SYNTAXES, AllStoragePresentationContexts, evt
from pynetdicom.pdu import P_DATA_TF

Mode = Literal["statuses", "abort", "silent"]


@dataclass
class FaultScp:
    """Handle of a running scripted SCP."""

    port: int
    aet: str
    received: list[str] = field(default_factory=list)  # SOP Instance UIDs in order of C-STORE requests
    release: threading.Event = field(default_factory=threading.Event)

    @property
    def address(self) -> str:
        return f"{self.aet}@127.0.0.1:{self.port}"


@contextlib.contextmanager
def fault_scp(*, statuses: Sequence[int] = (0x0000,), comment: str = "", mode: Mode = "statuses",
              abort_after_pdus: int = 3, require_calling_aet: Sequence[str] = (),
              aet: str = "FAULTSCP") -> Iterator[FaultScp]:
    """Run the scripted SCP.

    ``statuses`` are answered in turn (the last one repeats), with ``comment`` as Error Comment (0000,0902)
    on non-success. ``mode="abort"`` sends an A-ABORT after ``abort_after_pdus`` P-DATA-TF PDUs; ``"silent"``
    never answers a C-STORE (until the fixture ends). ``require_calling_aet`` makes it reject other callers
    (A-ASSOCIATE-RJ permanent, source 1, reason 3).
    """
    ae = AE(ae_title=aet)
    for cx in AllStoragePresentationContexts:
        ae.add_supported_context(cx.abstract_syntax, ALL_TRANSFER_SYNTAXES)
    for uid in ("1.2.840.10008.5.1.4.1.1.77.1.1.1", "1.2.840.10008.5.1.4.1.1.77.1.2.1",
                "1.2.840.10008.5.1.4.1.1.77.1.4.1"):
        ae.add_supported_context(uid, ALL_TRANSFER_SYNTAXES)
    ae.add_supported_context("1.2.840.10008.1.1")
    ae.maximum_pdu_size = 16384
    if require_calling_aet:
        ae.require_calling_aet = list(require_calling_aet)
    handle = FaultScp(port=0, aet=aet)
    script = list(statuses)
    pdus = {"n": 0}

    def on_store(event: evt.Event) -> Any:
        handle.received.append(str(event.request.AffectedSOPInstanceUID))
        if mode == "silent":
            handle.release.wait(60)
            return 0x0000
        status = script.pop(0) if len(script) > 1 else script[0]
        if status == 0x0000:
            return 0x0000
        rsp = Dataset()
        rsp.Status = status
        if comment:
            rsp.ErrorComment = comment
        return rsp

    def on_pdu(event: evt.Event) -> None:
        if mode != "abort" or not isinstance(event.pdu, P_DATA_TF):
            return
        pdus["n"] += 1
        if pdus["n"] == abort_after_pdus:
            # abort from another thread: this handler runs in the DUL thread, which abort() waits for
            threading.Thread(target=event.assoc.abort, daemon=True).start()

    handlers = [(evt.EVT_C_STORE, on_store), (evt.EVT_PDU_RECV, on_pdu)]
    server = ae.start_server(("127.0.0.1", 0), block=False, evt_handlers=handlers)
    try:
        handle.port = int(server.server_address[1])
        yield handle
    finally:
        handle.release.set()
        server.shutdown()
        ae.shutdown()


# ------------------------------------------------------------------------------- small test objects


def make_native(path: Any, *, transfer_syntax: str = "1.2.840.10008.1.2.1", nbytes: int = 300_000,
                sop_class: str = "1.2.840.10008.5.1.4.1.1.7", seed: int = 0) -> Dataset:
    """An uncompressed RGB Secondary Capture object of about ``nbytes`` pixel bytes, written to ``path``."""
    import numpy as np
    from pydicom.dataset import FileMetaDataset
    from pydicom.uid import generate_uid

    ds = Dataset()
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = generate_uid()
    ds.StudyInstanceUID, ds.SeriesInstanceUID = generate_uid(), generate_uid()
    ds.PatientName, ds.PatientID, ds.Modality, ds.ConversionType = "Test^Net", "NET1", "OT", "WSD"
    ds.SmallestImagePixelValue = 0  # ambiguous VR (US/SS): must survive Implicit <-> Explicit
    rows = 100
    cols = max(2, nbytes // (rows * 3))
    ds.Rows, ds.Columns, ds.SamplesPerPixel = rows, cols, 3
    ds.PhotometricInterpretation, ds.PlanarConfiguration = "RGB", 0
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 8, 7, 0
    ds.PixelData = np.random.default_rng(seed).integers(0, 255, rows * cols * 3, dtype=np.uint8).tobytes()
    ds["PixelData"].VR = "OB"
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = transfer_syntax
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.save_as(path, enforce_file_format=True, implicit_vr=transfer_syntax == "1.2.840.10008.1.2",
               little_endian=True)
    return ds


def make_video(path: Any, *, transfer_syntax: str = "1.2.840.10008.1.2.4.102", nbytes: int = 200_000,
               fragments: int = 1, sop_class: str = "1.2.840.10008.5.1.4.1.1.77.1.1.1") -> Dataset:
    """A synthetic video object: random bytes encapsulated under a video syntax (enough for the network)."""
    import numpy as np
    from pydicom.dataset import FileMetaDataset
    from pydicom.encaps import encapsulate
    from pydicom.uid import generate_uid

    stream = np.random.default_rng(1).integers(0, 255, nbytes - nbytes % 2, dtype=np.uint8).tobytes()
    step = len(stream) // fragments + (len(stream) // fragments) % 2
    frags = [stream[i:i + step] for i in range(0, len(stream), step)]
    ds = Dataset()
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = generate_uid()
    ds.StudyInstanceUID, ds.SeriesInstanceUID = generate_uid(), generate_uid()
    ds.PatientName, ds.PatientID, ds.Modality = "Test^Video", "NET2", "ES"
    ds.Rows, ds.Columns, ds.SamplesPerPixel, ds.NumberOfFrames = 1080, 1920, 3, 10
    ds.PhotometricInterpretation, ds.PlanarConfiguration = "YBR_PARTIAL_420", 0
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 8, 7, 0
    ds.PixelData = encapsulate(frags, has_bot=False)
    ds["PixelData"].VR = "OB"
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = transfer_syntax
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.save_as(path, enforce_file_format=True)
    return ds
