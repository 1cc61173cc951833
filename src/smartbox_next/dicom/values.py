"""Value checks against the VR rules of PS3.5 Table 6.2-1 — never silent truncation.

``check_value(keyword, value)`` raises :class:`AttributeValueError` naming the attribute;
``check_dataset_values(ds)`` walks a dataset (and its sequences) and checks every text value.
Lengths of SH/LO/PN/ST/LT count characters (PS3.5 §6.2, "characters" not bytes).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from pydicom.datadict import dictionary_description, dictionary_VR, tag_for_keyword
from pydicom.dataset import Dataset
from pydicom.multival import MultiValue
from pydicom.tag import BaseTag

from smartbox_next.dicom.uid import is_valid_uid
from smartbox_next.dicom.vr import CHECKED_VRS, MAX_CHARS, REPERTOIRE_VRS
from smartbox_next.errors import AttributeValueError
from smartbox_next.messages import Bilingual

_CS_RE = re.compile(r"^[A-Z0-9 _]*\Z")  # \Z: "$" would allow a trailing newline
_TM_RE = re.compile(r"^([01]\d|2[0-3])([0-5]\d([0-5]\d(\.\d{1,6})?)?)?\Z", re.ASCII)
_IS_RE = re.compile(r"^ *[+-]?[0-9]+ *\Z")
_RULES = {
    "cs": Bilingual("only A-Z, 0-9, space and underscore", "nur A-Z, 0-9, Leerzeichen und Unterstrich"),
    "control": Bilingual("no control characters", "keine Steuerzeichen"),
    "is": Bilingual("an integer: digits with optional sign", "eine ganze Zahl: Ziffern mit optionalem Vorzeichen"),
    "pn": Bilingual("use ^ between name parts", "Namensteile mit ^ trennen"),
    "pn_groups": Bilingual("at most three '=' groups", "höchstens drei '='-Gruppen"),
    "pn_parts": Bilingual("at most five name parts", "höchstens fünf Namensteile"),
}
_CONTROL = re.compile(r"[\x00-\x1a\x1c-\x1f\x7f]")  # incl. TAB; ESC (1B) allowed for ISO 2022
_CONTROL_TEXT = re.compile(r"[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f\x7f]")  # ST/LT/UT allow CR LF FF TAB


def describe(keyword: str) -> str:
    """``Patient's Name (0010,0010)`` for ``PatientName``."""
    tag = tag_for_keyword(keyword)
    if tag is None:
        return keyword
    t = BaseTag(tag)
    return f"{dictionary_description(tag)} ({t.group:04X},{t.element:04X})"


def _fail(key: str, keyword: str, **params: Any) -> AttributeValueError:
    return AttributeValueError(key, attribute=describe(keyword), **params)


def _check_length(keyword: str, vr: str, text: str, maximum: int) -> None:
    if len(text) > maximum:
        raise _fail("attr.too_long", keyword, length=len(text), maximum=maximum, vr=vr, value=text[:80])


def _check_pn(keyword: str, text: str) -> None:
    if _CONTROL.search(text) or "\\" in text:
        raise _fail("attr.bad_characters", keyword, vr="PN", value=text, rule=_RULES["pn"])
    groups = text.split("=")
    if len(groups) > 3:
        raise _fail("attr.bad_characters", keyword, vr="PN", value=text, rule=_RULES["pn_groups"])
    for group in groups:
        _check_length(keyword, "PN", group, 64)
        if group.count("^") > 4:
            raise _fail("attr.bad_characters", keyword, vr="PN", value=text, rule=_RULES["pn_parts"])


def _check_da(keyword: str, text: str) -> None:
    if text == "":
        return
    ok = len(text) == 8 and text.isascii() and text.isdigit()
    if ok:
        try:
            date(int(text[:4]), int(text[4:6]), int(text[6:]))
        except ValueError:
            ok = False
    if not ok:
        raise _fail("attr.bad_date", keyword, value=text)


def check_value(keyword: str, value: Any, vr: str | None = None) -> None:
    """Check one value (or each of a multi-value) of ``keyword`` against its VR."""
    vr = vr or dictionary_VR(keyword)
    values = list(value) if isinstance(value, list | tuple | MultiValue) else [value]
    for item in values:
        if item is None:
            continue
        _check_one(keyword, vr, item)


def _check_one(keyword: str, vr: str, item: Any) -> None:
    text = str(item)
    if vr == "PN":
        _check_pn(keyword, text)
    elif vr == "DA":
        _check_da(keyword, text)
    elif vr == "TM":
        if text and not _TM_RE.match(text):
            raise _fail("attr.bad_time", keyword, value=text)
    elif vr == "UI":
        if text and not is_valid_uid(text):
            raise _fail("attr.bad_uid", keyword, value=text)
    elif vr == "CS":
        _check_length(keyword, vr, text, 16)
        if not _CS_RE.match(text):
            raise _fail("attr.bad_characters", keyword, vr=vr, value=text,
                        rule=_RULES["cs"])
    elif vr in ("SH", "LO", "AE", "UC"):
        _check_length(keyword, vr, text, MAX_CHARS[vr])
        if _CONTROL.search(text) or "\\" in text:
            raise _fail("attr.bad_characters", keyword, vr=vr, value=text, rule=_RULES["control"])
    elif vr in ("ST", "LT", "UT"):
        _check_length(keyword, vr, text, MAX_CHARS[vr])
        if _CONTROL_TEXT.search(text):
            raise _fail("attr.bad_characters", keyword, vr=vr, value=text[:80], rule=_RULES["control"])
    elif vr == "IS" and text.strip():
        _check_length(keyword, vr, text, MAX_CHARS[vr])
        if not _IS_RE.match(text):
            raise _fail("attr.bad_characters", keyword, vr=vr, value=text, rule=_RULES["is"])
        if not -(2**31) <= int(text) <= 2**31 - 1:
            raise _fail("attr.out_of_range", keyword, value=text, minimum=-(2**31), maximum=2**31 - 1, vr=vr)


def check_dataset_values(ds: Dataset) -> None:
    """Check every text value in ``ds`` and its sequence items (PS3.5 Table 6.2-1)."""
    for elem in ds:
        if elem.VR == "SQ":
            for item in elem.value:
                check_dataset_values(item)
        elif elem.VR in CHECKED_VRS and elem.value not in (None, "") and elem.keyword:
            check_value(elem.keyword, elem.value, elem.VR)


def text_values(ds: Dataset) -> list[str]:
    """All character-string values of the repertoire-sensitive VRs (SH, LO, ST, PN, LT, UC, UT)."""
    out: list[str] = []
    for elem in ds:
        if elem.VR == "SQ":
            for item in elem.value:
                out.extend(text_values(item))
        elif elem.VR in REPERTOIRE_VRS and elem.value not in (None, ""):
            values = elem.value if isinstance(elem.value, MultiValue) else [elem.value]
            out.extend(str(v) for v in values)
    return out
