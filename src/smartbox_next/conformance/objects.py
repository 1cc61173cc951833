"""Build real objects from the sample inputs and derive, per SOP class, which attributes they carry
and where each value comes from (PS3.2 Annex N.9 "Created SOP Instances", Table N.9-1, and N.12
"MWL → instance mapping").

Sources are found by *probing*, not by a hand-written list:

* the worklist answer is the identifier :func:`smartbox_next.worklist.query.build_identifier` really sends,
  every key filled with a marker (``MK001`` …, or a unique date / time / UID), decoded by
  :meth:`WorklistItem.from_dataset` and turned into an exam by :func:`smartbox_next.worklist.mapping.to_exam`;
  an attribute holding a marker is **MWL** (and the marker says which worklist key it came from);
* the configuration is :data:`PROBE_SETTINGS` — distinctive values for every setting that can reach an
  object; an attribute equal to one is **CONFIGURATION** (containing one: GENERATED from it);
* the unscheduled exam uses operator markers (``USR…``): such an attribute is **USER**;
* otherwise an empty value is **EMPTY**; a value equal in both variants of a sample (different sizes,
  times, identities) is **FIXED**, a differing one (and every date/time, which depends on the clock) is
  **GENERATED**.
"""

from __future__ import annotations

import functools
import hashlib
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pydicom
from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset
from pydicom.encaps import encapsulate

from smartbox_next.capture.image import still_from_bytes
from smartbox_next.capture.syntax import choose_syntax
from smartbox_next.capture.video import VideoInfo
from smartbox_next.config import Config, with_overrides
from smartbox_next.conformance import samples as smp
from smartbox_next.dicom import sop as sops
from smartbox_next.dicom.anatomy import parse_region
from smartbox_next.dicom.transfer_syntax import ALL_SYNTAXES
from smartbox_next.exam.model import Exam, Patient, Study, emergency_patient
from smartbox_next.iod.common import finalize, series_for
from smartbox_next.iod.history import History, source_steps, transcoded
from smartbox_next.iod.multiframe import build_multiframe_from_stills
from smartbox_next.iod.still import StillCapture, build_still
from smartbox_next.iod.video import video_dataset
from smartbox_next.worklist.item import WorklistItem
from smartbox_next.worklist.mapping import to_exam
from smartbox_next.worklist.query import WorklistQuery, build_identifier

PROBE_SETTINGS: dict[str, dict[str, Any]] = {
    "station": {"ae_title": "PROBE_AE", "station_name": "PROBE_STATION", "institution_name": "Probe Institution",
                "institution_department": "Probe Department"},
    "device": {"manufacturer": "Probe Manufacturer", "model_name": "Probe Model Name",
               "device_serial_number": "PROBE-SERIAL", "software_versions": "PROBE-SOFTWARE"},
    "objects": {"conversion_type": "WSD", "modality": "PROBEMOD", "emergency_prefix": "PRBEMERG",
                "anatomic_region": "99PRB:PRB1:Probe region"},
}
"""Distinctive values for every setting that can reach an object (each passes the setting's own check)."""

USER_PATIENT = Patient("USRNAME^PROBE", "USR-PID", "19030405", "USRSEX")
USER_ACCESSION = "USR-ACC"
USER_MARKERS = ("USR", USER_PATIENT.birth_date)
# the machine's time zone; the length of random UIDs
_ALWAYS_GENERATED = frozenset({"TimezoneOffsetFromUTC", "FileMetaInformationGroupLength"})
_CLOCK_VRS = frozenset({"DA", "TM", "DT"})

SCENARIOS = ("scheduled", "unscheduled", "emergency")
SCENARIO_NAMES = {"scheduled": ("scheduled (MWL)", "geplant (MWL)"), "unscheduled": ("unscheduled", "ungeplant"),
                  "emergency": ("emergency", "Notfall")}


def probe_config() -> Config:
    """The default configuration with :data:`PROBE_SETTINGS` applied."""
    config = Config()
    for section, values in PROBE_SETTINGS.items():
        config = with_overrides(config, section, **values)
    return config


def config_markers() -> dict[str, str]:
    """Probe value (and a code's value part) -> ``section.key``."""
    out: dict[str, str] = {}
    for section, values in PROBE_SETTINGS.items():
        for key, value in values.items():
            text = str(value)
            out[text] = f"{section}.{key}"
            if text.count(":") == 2:
                out[text.split(":")[1]] = f"{section}.{key}"
    return out


# ------------------------------------------------------------------------------------------- worklist probe

@dataclass(frozen=True)
class Marker:
    token: str
    exact: bool  # UIDs, dates and times must match whole values
    path: str  # the worklist key (``ScheduledProcedureStepSequence > ScheduledProcedureStepID``)


def _marker_value(vr: str, n: int) -> tuple[str, bool]:
    if vr == "PN":
        return f"MK{n:03d}^PROBE", False
    if vr == "DA":
        return f"19{n:02d}0101", True
    if vr == "TM":
        return f"01{n % 60:02d}00", True
    if vr == "UI":
        return f"1.999.{n}", True
    return f"MK{n:03d}", False


def _fill(ds: Dataset, prefix: str, markers: list[Marker]) -> None:
    for elem in ds:
        path = f"{prefix}{elem.keyword}"
        if elem.VR == "SQ":
            for item in elem.value:
                _fill(item, path + " > ", markers)
            continue
        value, exact = _marker_value(elem.VR, len(markers) + 1)
        elem.value = value
        markers.append(Marker(value.split("^")[0], exact, path))


@functools.cache
def worklist_probe() -> tuple[Dataset, tuple[Marker, ...]]:
    """The identifier our C-FIND sends (all keys), every value replaced by a marker."""
    ds = build_identifier(probe_config().worklist, WorklistQuery()).to_dataset()
    markers: list[Marker] = []
    _fill(ds, "", markers)
    return ds, tuple(markers)


def _exam(config: Config, scenario: str, variant: int) -> Exam:
    now = smp.PROBE_TIMES[variant]
    if scenario == "scheduled":
        identifier, _ = worklist_probe()
        exam = to_exam(WorklistItem.from_dataset(identifier), uid_root=config.uid.root, now=now)
    elif scenario == "unscheduled":
        study = Study.new(uid_root=config.uid.root, accession_number=USER_ACCESSION, now=now)
        exam = Exam(USER_PATIENT, study, uid_root=config.uid.root)
    else:
        exam = Exam(emergency_patient(config.objects.emergency_prefix, now=now), Study.new(now=now))
    exam.anatomic_region = parse_region(config.objects.anatomic_region)  # the station default (app.identity)
    if variant:
        exam.series_for("conformance-probe", "OT")  # series and instance numbers differ between variants
    return exam


def _bump(exam: Exam, sop: sops.SopClass, config: Config, variant: int) -> None:
    if variant:
        exam.next_instance_number(series_for(exam, sop, config))


# ------------------------------------------------------------------------------------------------ builds

@dataclass(frozen=True)
class Built:
    """One object built from a sample."""

    sop_uid: str
    sample: tuple[str, str]  # (en, de)
    scenario: str
    variant: int
    ds: Dataset
    condition: str = ""  # a setting the sample needs, "section.key = value"


def _still(config: Config, sop: sops.SopClass, sample: smp.StillSample, scenario: str, variant: int) -> Dataset:
    cfg = with_overrides(config, "objects", still_encoding=sample.still_encoding)
    exam = _exam(cfg, scenario, variant)
    _bump(exam, sop, cfg, variant)
    image = still_from_bytes(sample.data(variant), f"sample{variant}")
    return build_still(cfg, exam, StillCapture(image=image, content_time=smp.PROBE_TIMES[variant]), sop)


def _burst(config: Config, sample: smp.BurstSample, scenario: str, variant: int) -> Dataset:
    cfg = with_overrides(config, "video", multiframe_encoding=sample.encoding)
    exam = _exam(cfg, scenario, variant)
    _bump(exam, sops.MF_TRUE_COLOR_SC, cfg, variant)
    with tempfile.TemporaryDirectory(prefix="smartbox-conformance-") as tmp:
        paths = []
        for i in range(2):
            p = Path(tmp) / f"frame{i}.jpg"
            p.write_bytes(smp.jpeg_bytes(variant))
            paths.append(p)
        obj = build_multiframe_from_stills(cfg, exam, paths, Path(tmp) / "out", frame_time_ms=sample.frame_time_ms,
                                           content_time=smp.PROBE_TIMES[variant])
        return pydicom.dcmread(obj.path)


def video_syntax(info: VideoInfo, config: Config) -> tuple[VideoInfo, str, History | None]:
    """(stream as stored, transfer syntax UID, history) — the decision of ``iod.video.build_video_objects``
    without encoding anything: the video table's choice, a transcode plan's output, the fragmentable twin."""
    decision = choose_syntax(info, config.video)
    syntax, stream, history = decision.syntax, info, None
    if decision.plan is not None:
        plan = decision.plan
        stream = replace(info, width=plan.width, height=plan.height, sar=plan.sar, frame_rate=plan.rate,
                         codec={"mpeg2": "mpeg2video"}.get(plan.syntax.codec, plan.syntax.codec),
                         container=plan.container)
        history = History()
        source_steps(history, info)
        transcoded(history, info, plan, stream)
        if info.size > config.video.max_fragment_bytes and config.video.long_video_mode == "fragmentable":
            syntax = syntax if syntax.fragmentable else ALL_SYNTAXES[syntax.twin]
    return stream, syntax.uid, history


def _video(config: Config, sop: sops.SopClass, sample: smp.VideoSample, scenario: str, variant: int) -> Dataset:
    cfg = smp.configured(config, sample.settings)
    exam = _exam(cfg, scenario, variant)
    _bump(exam, sop, cfg, variant)
    stream, ts, history = video_syntax(sample.streams[variant], cfg)
    ds = video_dataset(cfg, exam, sop, stream, ALL_SYNTAXES[ts], history=history,
                       content_time=smp.PROBE_TIMES[variant])
    finalize(ds, cfg)
    ds.PixelData = encapsulate([bytes([variant, 0])])  # written by iod.video.write_encapsulated from the stream
    ds["PixelData"].VR = "OB"
    return ds


def _condition(settings: tuple[tuple[str, str, object], ...]) -> str:
    return ", ".join(f"{s}.{k} = {v}" for s, k, v in settings)


@functools.cache
def built_objects() -> tuple[Built, ...]:
    """Every sample × SOP class × scenario × variant, built with :func:`probe_config`."""
    config = probe_config()
    out: list[Built] = []
    for sop in sops.ALL:
        for scenario in SCENARIOS:
            for variant in (0, 1):
                if sop.kind is sops.SopKind.STILL:
                    for s in smp.STILL_SAMPLES:
                        cond = "" if s.still_encoding == "jpeg" else f"objects.still_encoding = {s.still_encoding}"
                        out.append(Built(sop.uid, (s.name_en, s.name_de), scenario, variant,
                                         _still(config, sop, s, scenario, variant), cond))
                elif sop.kind is sops.SopKind.MULTIFRAME:
                    for b in smp.BURST_SAMPLES:
                        cond = "" if b.encoding == "jpeg" else f"video.multiframe_encoding = {b.encoding}"
                        out.append(Built(sop.uid, (b.name_en, b.name_de), scenario, variant,
                                         _burst(config, b, scenario, variant), cond))
                else:
                    for v in smp.VIDEO_SAMPLES:
                        out.append(Built(sop.uid, (v.name_en, v.name_de), scenario, variant,
                                         _video(config, sop, v, scenario, variant), _condition(v.settings)))
    return tuple(out)


# --------------------------------------------------------------------------------------------- classifying

def leaves(elem: DataElement) -> list[str]:
    """Every value inside ``elem`` as text (sequences walked; binary values as a digest)."""
    if elem.VR == "SQ":
        return [leaf for item in elem.value for e in item for leaf in leaves(e)]
    value = elem.value
    if value is None:
        return []
    if isinstance(value, bytes | bytearray):
        if len(value) <= 8:
            return [value.hex(" ")]
        return [f"<{len(value)} bytes {hashlib.sha1(bytes(value)).hexdigest()[:12]}>"]
    if isinstance(value, list | tuple | pydicom.multival.MultiValue):
        return [str(v) for v in value]
    return [str(value)] if str(value) != "" else []


def paths(ds: Dataset, prefix: str = "") -> Iterator[tuple[str, str]]:
    """(``Keyword > Keyword`` path, value) for every leaf of ``ds``."""
    for elem in ds:
        path = f"{prefix}{elem.keyword}"
        if elem.VR == "SQ":
            for item in elem.value:
                yield from paths(item, path + " > ")
        else:
            for leaf in leaves(elem):
                yield path, leaf


def mwl_markers_in(values: list[str]) -> list[Marker]:
    _, markers = worklist_probe()
    return [m for m in markers if any((v == m.token) if m.exact else (m.token in v) for v in values)]


def source_of(elem: DataElement, other: DataElement | None) -> tuple[str, str]:
    """(source, detail): detail is the setting for CONFIGURATION, the FIXED value, else ""."""
    values = leaves(elem)
    if mwl_markers_in(values):
        return "MWL", ""
    if any(u in v for v in values for u in USER_MARKERS):
        return "USER", ""
    for marker, setting in config_markers().items():
        if marker in values:
            return "CONFIGURATION", setting
        if any(marker in v for v in values):
            return "GENERATED", setting
    if not values:
        return "EMPTY", ""
    if elem.VR in _CLOCK_VRS or elem.keyword in _ALWAYS_GENERATED:
        return "GENERATED", ""
    if other is not None and leaves(other) == values:
        text = "\\".join(values) if elem.VR != "SQ" else ", ".join(values)
        return "FIXED", text if len(text) <= 48 else text[:45] + "…"
    return "GENERATED", ""


def all_elements(ds: Dataset) -> Iterator[DataElement]:
    """File Meta Information elements, then the data set's top-level elements."""
    yield from getattr(ds, "file_meta", Dataset())
    yield from ds


def _element(ds: Dataset, tag: Any) -> DataElement | None:
    if int(tag) >> 16 == 0x0002:
        meta = getattr(ds, "file_meta", Dataset())
        return meta[tag] if tag in meta else None  # noqa: SIM401  (Dataset.get is typed Any)
    return ds[tag] if tag in ds else None  # noqa: SIM401


@dataclass
class AttributeRow:
    """One attribute of one SOP class, over every sample and scenario."""

    tag: int
    keyword: str
    sources: dict[str, set[tuple[str, str]]]  # scenario -> {(source, detail)}
    present: set[tuple[tuple[str, str], str]]  # {(sample, scenario)} where present


@functools.cache
def attribute_rows(sop_uid: str) -> tuple[tuple[AttributeRow, ...], frozenset[tuple[tuple[str, str], str]]]:
    """The attributes of ``sop_uid`` objects (tag order) and every (sample, scenario) combination built."""
    builds = [b for b in built_objects() if b.sop_uid == sop_uid]
    twins = {(b.sample, b.scenario): b for b in builds if b.variant == 1}
    rows: dict[int, AttributeRow] = {}
    combos: set[tuple[tuple[str, str], str]] = set()
    for b in builds:
        if b.variant:
            continue
        combos.add((b.sample, b.scenario))
        twin = twins[(b.sample, b.scenario)].ds
        for elem in all_elements(b.ds):
            tag = int(elem.tag)
            row = rows.setdefault(tag, AttributeRow(tag, elem.keyword, {}, set()))
            row.present.add((b.sample, b.scenario))
            row.sources.setdefault(b.scenario, set()).add(source_of(elem, _element(twin, elem.tag)))
    return tuple(rows[t] for t in sorted(rows)), frozenset(combos)


def created_syntaxes() -> dict[str, dict[str, set[str]]]:
    """SOP class UID -> transfer syntax UID -> conditions ("" = default configuration) under which it is created.

    Stills and multi-frame: the syntaxes of the built sample objects. Video: the video table's choice for each
    sample stream, under the default configuration and with ``video.long_video_mode = fragmentable`` for a
    stream longer than one fragment.
    """
    out: dict[str, dict[str, set[str]]] = {}
    for b in built_objects():
        if b.variant == 0 and b.scenario == "scheduled":
            ts = str(b.ds.file_meta.TransferSyntaxUID)
            out.setdefault(b.sop_uid, {}).setdefault(ts, set()).add(b.condition)
    fragmentable = with_overrides(Config(), "video", long_video_mode="fragmentable")
    for sop in sops.ALL:
        if sop.kind is not sops.SopKind.VIDEO:
            continue
        for v in smp.VIDEO_SAMPLES:
            cfg = smp.configured(fragmentable, v.settings)
            _, ts, _ = video_syntax(smp.long_stream(v.streams[0], cfg), cfg)
            conds = [c for c in (_condition(v.settings), "video.long_video_mode = fragmentable") if c]
            out[sop.uid].setdefault(ts, set()).add(", ".join(conds))
    return out


def mwl_mapping() -> list[tuple[str, list[str]]]:
    """(worklist key path, object attribute paths it is copied into), from a scheduled still object."""
    built = next(b for b in built_objects() if b.scenario == "scheduled" and b.variant == 0
                 and b.sop_uid == sops.SC.uid)
    leaves_by_path = list(paths(built.ds))
    _, markers = worklist_probe()
    out = []
    for m in markers:
        hits = [p for p, v in leaves_by_path if ((v == m.token) if m.exact else (m.token in v))]
        out.append((m.path, list(dict.fromkeys(hits))))
    return out
