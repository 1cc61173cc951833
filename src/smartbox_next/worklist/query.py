"""The worklist query: the matching keys the station sends (PS3.4 Table K.6-1) and the C-FIND identifier.

:class:`WorklistQuery` holds the keys (SPS start date or range, modality, Scheduled Station AE Title, patient
name with wildcards, patient ID, accession), built from the configuration's defaults; :meth:`WorklistQuery.matches`
applies the same keys locally (the offline cache, local name matching). :func:`build_identifier` turns a query
into the identifier: matching keys plus every return key the scheduled-workflow mapping needs, empty (the SCP
returns only what was asked for, K.4.1.1.3.2). Specific Character Set is sent only when a value needs a
non-default repertoire (Table K.6-1a).

Patient names with non-ASCII characters: many SCPs (e.g. DCMTK wlmscpfs) compare bytes, so "Mül*" sent as
ISO_IR 100 never matches an entry stored as UTF-8. With ``worklist.name_match = "local"`` (default) the query
carries only the ASCII prefix plus ``*`` and the whole pattern is matched here on the decoded names,
case-insensitively; ``"scp"`` sends the pattern as typed, encoded in ``worklist.query_character_set``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from datetime import date, datetime

from smartbox_next.config import Config, WorklistConfig
from smartbox_next.dicom.charset import UTF8, python_codec
from smartbox_next.dicom.identifier import Element, Identifier, element, identifier
from smartbox_next.errors import InputError
from smartbox_next.worklist.item import ScheduledStep, WorklistItem

_DATE_RE = re.compile(r"^(\d{8})?(-)?(\d{8})?$")


def parse_date_range(text: str, today: date | None = None) -> str:
    """``today`` | ``YYYYMMDD`` | ``YYYYMMDD-YYYYMMDD`` | ``-YYYYMMDD`` | ``YYYYMMDD-`` | ``any`` -> DA matching
    value (PS3.4 C.2.2.2.5: inclusive range; empty = universal match)."""
    text = text.strip()
    if text.lower() in ("", "any", "all"):
        return ""
    if text.lower() == "today":
        return f"{today or date.today():%Y%m%d}"
    m = _DATE_RE.match(text)
    ok = m is not None and (m.group(1) or m.group(3)) is not None and (m.group(2) or not m.group(3))
    if ok and m is not None:
        for part in (m.group(1), m.group(3)):
            if part:
                try:
                    datetime.strptime(part, "%Y%m%d")
                except ValueError:
                    ok = False
        if ok and m.group(1) and m.group(3) and m.group(1) > m.group(3):
            ok = False
    if not ok:
        raise InputError("worklist.bad_date", value=text)
    return text


def _in_range(value: str, spec: str) -> bool:
    if not spec:
        return True
    if "-" not in spec:
        return value == spec
    lo, hi = spec.split("-", 1)
    return bool(value) and (not lo or value >= lo) and (not hi or value <= hi)


def _bounds(spec: str) -> tuple[str | None, str | None]:
    """``20250301-20250331`` -> (lo, hi); a single date -> (d, d); an open side -> None."""
    if "-" not in spec:
        return spec, spec
    lo, hi = spec.split("-", 1)
    return lo or None, hi or None


def _range_covers(outer: str, inner: str) -> bool:
    """Whether the DA matching value ``outer`` (empty: any date) matches every date ``inner`` matches."""
    if not outer:
        return True
    if not inner:
        return False
    (olo, ohi), (ilo, ihi) = _bounds(outer), _bounds(inner)
    return ((olo is None or (ilo is not None and ilo >= olo))
            and (ohi is None or (ihi is not None and ihi <= ohi)))


def _wildcard(pattern: str) -> re.Pattern[str]:
    """PS3.4 C.2.2.2.4 wildcard matching: ``*`` any sequence, ``?`` one character."""
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(body, re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True)
class WorklistQuery:
    """The matching keys the station sends (PS3.4 Table K.6-1); empty = universal match."""

    scheduled_date: str = ""  # DA single value or range
    modality: str = ""
    station_ae_title: str = ""  # "" = any station
    patient_name: str = ""  # PN, may carry * and ?
    patient_id: str = ""
    accession_number: str = ""

    @classmethod
    def from_options(
        cls,
        config: Config,
        *,
        date_spec: str | None = "today",
        modality: str | None = None,
        station: str | None = None,
        any_station: bool = False,
        patient_name: str = "",
        patient_id: str = "",
        accession_number: str = "",
        today: date | None = None,
    ) -> WorklistQuery:
        """Defaults from ``[worklist]``: station = configured station AE (else own AE), modality, today."""
        wl = config.worklist
        if any_station:
            station_ae = ""
        else:
            station_ae = station if station is not None else (wl.station_ae_title or config.station.ae_title)
        return cls(
            scheduled_date=parse_date_range(date_spec if date_spec is not None else "today", today),
            modality=wl.modality if modality is None else modality,
            station_ae_title=station_ae,
            patient_name=patient_name,
            patient_id=patient_id,
            accession_number=accession_number,
        )

    def key(self) -> str:
        """Canonical text of the query (cache key)."""
        return "|".join(f"{f.name}={getattr(self, f.name)}" for f in fields(self))

    @classmethod
    def from_key(cls, key: str) -> WorklistQuery | None:
        """The query a :meth:`key` was made of; None when the text is not such a key."""
        values = dict(part.partition("=")[::2] for part in key.split("|"))
        names = [f.name for f in fields(cls)]
        if sorted(values) != sorted(names):
            return None
        return cls(**values)

    def covers(self, other: WorklistQuery) -> bool:
        """True when every item ``other`` matches is among the items this query matches: each key of this query
        is universal or the same as ``other``'s, and its date range holds ``other``'s. (An offline answer to
        ``other`` can then be cut out of the cached answer to this query.)"""
        for name in ("modality", "station_ae_title", "patient_name", "patient_id", "accession_number"):
            mine = getattr(self, name)
            if mine and mine != getattr(other, name):
                return False
        return _range_covers(self.scheduled_date, other.scheduled_date)

    def matches(self, item: WorklistItem) -> bool:
        """Apply the keys to an item locally (PS3.4 C.2.2.2; names case-insensitive)."""
        if self.patient_id and item.patient_id != self.patient_id:
            return False
        if self.accession_number and item.accession_number != self.accession_number:
            return False
        if self.patient_name and not _wildcard(self.patient_name).fullmatch(item.patient_name):
            return False
        return any(self.matches_step(step) for step in item.steps) if item.steps else not (
            self.scheduled_date or self.modality or self.station_ae_title)

    def matches_step(self, step: ScheduledStep) -> bool:
        """The SPS-level keys (station, modality, start date) against one step."""
        if self.station_ae_title and step.station_ae_title != self.station_ae_title:
            return False
        if self.modality and step.modality != self.modality:
            return False
        return _in_range(step.start_date, self.scheduled_date)


# ------------------------------------------------------------------------------------------ the identifier

# Return keys (PS3.4 Table K.6-1), sent empty = universal match. Matching keys are filled in by build_identifier.
_PATIENT_KEYS = ("PatientName", "PatientID", "IssuerOfPatientID", "PatientBirthDate", "PatientSex")
_REQUEST_KEYS = ("StudyInstanceUID", "AccessionNumber", "ReferringPhysicianName", "RequestingPhysician",
                 "RequestedProcedureID", "RequestedProcedureDescription", "RequestedProcedurePriority",
                 "ReasonForTheRequestedProcedure", "AdmissionID", "CurrentPatientLocation",
                 "PlacerOrderNumberImagingServiceRequest", "FillerOrderNumberImagingServiceRequest")
_SPS_KEYS = ("ScheduledStationAETitle", "ScheduledProcedureStepStartDate", "ScheduledProcedureStepStartTime",
             "Modality", "ScheduledPerformingPhysicianName", "ScheduledProcedureStepDescription",
             "ScheduledProcedureStepID", "ScheduledStationName", "ScheduledProcedureStepLocation",
             "ScheduledProcedureStepStatus")
_CODE_KEYS = ("CodeValue", "CodingSchemeDesignator", "CodingSchemeVersion", "CodeMeaning")


def _empty(keywords: tuple[str, ...]) -> list[Element]:
    return [element(kw) for kw in keywords]


def _code_item() -> Identifier:
    return identifier(*_empty(_CODE_KEYS))


def _ascii_prefix_pattern(pattern: str) -> str:
    """``Mül*`` -> ``M*``; ``Ößt*`` -> ``*`` (PS3.4 C.2.2.2.4 wildcard, ASCII only)."""
    prefix = ""
    for ch in pattern:
        if not ch.isascii() or ch in "*?":
            break
        prefix += ch
    return prefix + "*"


def sent_patient_name(wl: WorklistConfig, query: WorklistQuery) -> str:
    """The Patient's Name matching value actually sent (see module docstring)."""
    name = query.patient_name
    if name and not name.isascii() and wl.name_match == "local":
        return _ascii_prefix_pattern(name)
    return name


def query_character_set(wl: WorklistConfig, values: list[str]) -> str | None:
    """None when every value is ASCII (Table K.6-1a); else the configured set, or ISO_IR 192 if it cannot."""
    if all(v.isascii() for v in values):
        return None
    configured = wl.query_character_set
    codec = python_codec(configured)
    if codec:
        try:
            for v in values:
                v.encode(codec)
            return configured
        except (UnicodeEncodeError, LookupError):
            pass
    return UTF8


def build_identifier(wl: WorklistConfig, query: WorklistQuery) -> Identifier:
    """The C-FIND identifier: matching keys from ``query``, every return key empty (PS3.4 Table K.6-1)."""
    name = sent_patient_name(wl, query)
    charset = query_character_set(wl, [name, query.patient_id, query.accession_number])
    codec = python_codec(charset) if charset is not None else "ascii"
    assert codec is not None  # query_character_set returns a single-valued set or None

    def text(keyword: str, value: str) -> Element:
        return element(keyword, value.encode(codec))

    top = _empty(_PATIENT_KEYS) + _empty(_REQUEST_KEYS)
    if charset is not None:
        top.append(element("SpecificCharacterSet", charset))
    top += [text("PatientName", name), text("PatientID", query.patient_id),
            text("AccessionNumber", query.accession_number),
            element("OtherPatientIDsSequence", items=(identifier(element("PatientID"), element("IssuerOfPatientID")),)),
            element("RequestedProcedureCodeSequence", items=(_code_item(),)),
            element("ReferencedStudySequence", items=(identifier(element("ReferencedSOPClassUID"),
                                                                 element("ReferencedSOPInstanceUID")),))]
    sps = [*_empty(_SPS_KEYS), element("ScheduledStationAETitle", query.station_ae_title),
           element("ScheduledProcedureStepStartDate", query.scheduled_date), element("Modality", query.modality),
           element("ScheduledProtocolCodeSequence", items=(_code_item(),))]
    top.append(element("ScheduledProcedureStepSequence", items=(identifier(*sps),)))
    return identifier(*top)
