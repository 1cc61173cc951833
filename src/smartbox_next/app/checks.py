"""``smartbox validate``: the project's rule checks and dciodvfy (:mod:`smartbox_next.iod.validate`), with the
operator told the plain reason when a file cannot be checked at all: it is missing, unreadable, empty, or not
a DICOM file (never a reader library's advice such as "use force=True")."""

from __future__ import annotations

from pathlib import Path

from smartbox_next.dicom.part10 import EMPTY, NO_DICM, has_dicm_prefix
from smartbox_next.errors import MediaError
from smartbox_next.iod.validate import Report, validate_file
from smartbox_next.messages import Bilingual, os_reason


def validate_path(path: Path, *, use_dciodvfy: bool = True, standard_tables: Path | None = None) -> Report:
    """Validate one file; raises MediaError ``input.not_found``, ``input.unreadable`` or ``validate.not_dicom``
    when there is nothing to check, ``validate.unreadable`` when a DICOM file is too damaged to read."""
    try:
        size = path.stat().st_size
        dicm = has_dicm_prefix(path)
    except FileNotFoundError:
        raise MediaError("input.not_found", path=str(path)) from None
    except OSError as exc:
        raise MediaError("input.unreadable", path=str(path), detail=os_reason(exc)) from None
    try:
        return validate_file(path, use_dciodvfy=use_dciodvfy, standard_tables=standard_tables)
    except MediaError as exc:
        if exc.key == "validate.unreadable" and not dicm:  # no DICOM file, not even a bare data set
            raise MediaError("validate.not_dicom", path=str(path), reason=NO_DICM if size else EMPTY) from None
        if exc.key == "validate.unreadable":  # the reader's own words in English only
            detail = Bilingual(str(exc.params.get("detail", "")), "der Inhalt ist beschädigt oder unvollständig")
            raise MediaError("validate.unreadable", path=str(path), detail=detail) from None
        raise
