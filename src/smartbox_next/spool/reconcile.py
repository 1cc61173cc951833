"""Start-up reconciliation: bring spool folder and outbox into agreement after a crash.

Nothing is ever lost (DESIGN principle 4): jobs left ``sending`` go back to ``queued``; temp files of
interrupted writes are removed; a complete spool file without rows (the crash came between the atomic
write and the commit of its rows) is queued for every destination; a pending row whose file is gone is
failed with a reason the operator can read.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from smartbox_next.dicom.part10 import read_object_info
from smartbox_next.errors import MediaError, OutboxError
from smartbox_next.spool.files import remove_stale_temp_files, spool_files
from smartbox_next.spool.outbox import JobState, Outbox

LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class Reconciled:
    """What start-up reconciliation found and did."""

    recovered_sending: int
    temp_files_removed: int
    orphan_files_queued: list[Path]
    missing_files: list[int]


def _labels(file: Path) -> tuple[str, str]:
    """Accession Number and Patient's Name of a spool file (how ``queue list`` labels its jobs); empty when the
    file cannot be read that far (it is queued all the same)."""
    import pydicom  # only when there are files without rows: start-up after a crash, queue rebuild

    try:
        ds = pydicom.dcmread(file, stop_before_pixels=True,
                             specific_tags=["SpecificCharacterSet", "AccessionNumber", "PatientName"])
        return str(ds.get("AccessionNumber", "") or ""), str(ds.get("PatientName", "") or "")
    except Exception:  # a damaged header must not stop reconciliation; the object is still queued
        LOG.warning("spool file %s: accession number and patient name unreadable", file.name)
        return "", ""


def reconcile(spool: Path, outbox: Outbox, destinations: Sequence[str]) -> Reconciled:
    """Reconcile the spool folder ``spool`` with ``outbox`` (see the module docstring)."""
    recovered = outbox.recover()
    temps = remove_stale_temp_files(spool)
    known = outbox.paths()
    orphans = []
    for file in spool_files(spool):
        if file in known:
            continue
        try:
            info = read_object_info(file)
        except MediaError:  # not a readable object: leave it for IT, never send it
            LOG.warning("spool file %s is not a readable DICOM object; left in place", file.name)
            continue
        if outbox.instance_known(info.sop_instance_uid):  # a copy of an object queued under another path
            LOG.warning("spool file %s holds object %s, which is queued already; left in place", file.name,
                        info.sop_instance_uid)
            continue
        accession, patient = _labels(file)
        try:
            outbox.enqueue(file, info.sop_instance_uid, info.sop_class_uid, destinations, accession=accession,
                           patient=patient)
        except FileNotFoundError:  # removed while we looked (a purge at the same time): nothing to queue
            continue
        orphans.append(file)
    missing = []
    for job in outbox.jobs(states=(JobState.QUEUED, JobState.RETRY_WAIT)):
        if not job.path.exists():
            outbox.fail(job.id, OutboxError("outbox.file_missing", path=str(job.path)))
            missing.append(job.id)
    return Reconciled(recovered, temps, orphans, missing)
