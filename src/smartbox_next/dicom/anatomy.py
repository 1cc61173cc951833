"""Anatomic regions: the coded values of the Anatomic Region Sequence (0008,2218) and the names operators type.

PS3.3 C.8.12.1 (VL Image module): Anatomic Region Sequence, one item, Type 1C — required in every Video
Endoscopic / Microscopic / Photographic object (Number of Frames present, no Specimen Description Sequence).
A.32.5.4.3: Video Endoscopic uses DCID 4040 "Endoscopy Anatomic Region" (extensible). The region is clinical
data: it comes from the operator, the worklist item or a station default the site set — never from a guess.

:data:`REGION_NAMES` is the built-in table of names an operator may type (``--anatomic-region colon``), each a
member of CID 4040 (checked against pydicom's copy of PS3.16 by a test). :func:`parse_region` also takes a
code of any scheme as ``SCHEME:VALUE:Meaning`` (CID 4040 is extensible).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from smartbox_next.errors import InputError

if TYPE_CHECKING:  # values of the standard: pydicom only where a data set is made
    from pydicom.dataset import Dataset

CID_ENDOSCOPY_REGION = 4040


@dataclass(frozen=True)
class Region:
    """One coded anatomic region (PS3.3 Table 8.8-1a: Code Value, Coding Scheme Designator, Code Meaning)."""

    scheme: str
    value: str
    meaning: str

    def to_dataset(self) -> Dataset:
        from pydicom.dataset import Dataset

        item = Dataset()
        item.CodeValue = self.value
        item.CodingSchemeDesignator = self.scheme
        item.CodeMeaning = self.meaning
        return item

    def __str__(self) -> str:
        return f"{self.scheme}:{self.value}:{self.meaning}"

    @property
    def paired(self) -> bool:
        """A paired body part (left/right): then Laterality (0020,0060) is Type 2C-required (PS3.3 C.7.3.1)."""
        return (self.scheme, self.value) in PAIRED

    @property
    def in_cid_4040(self) -> bool:
        """True when the code is a member of CID 4040 Endoscopy Anatomic Region (PS3.16)."""
        return (self.scheme, self.value) in cid_4040()


def _sct(value: str, meaning: str) -> Region:
    return Region("SCT", value, meaning)


# Names an operator may type; every code is a member of CID 4040 (PS3.16), meanings as there.
REGION_NAMES: dict[str, Region] = {
    "colon": _sct("14742008", "Large intestine"),
    "large-intestine": _sct("14742008", "Large intestine"),
    "sigmoid": _sct("60184004", "Sigmoid colon"),
    "rectum": _sct("34402009", "Rectum"),
    "lower-gi": _sct("110612005", "Anus, rectum and sigmoid colon"),
    "upper-gi": _sct("110861005", "Esophagus, stomach and duodenum"),
    "biliary": _sct("110621006", "Pancreatic duct and bile duct systems"),
    "bile-duct": _sct("28273000", "Bile duct"),
    "pancreatic-duct": _sct("69930009", "Pancreatic duct"),
    "gallbladder": _sct("28231008", "Gallbladder"),
    "bronchus": _sct("955009", "Bronchus"),
    "trachea-bronchus": _sct("110726009", "Trachea and bronchus"),
    "larynx": _sct("4596009", "Larynx"),
    "pharynx": _sct("54066008", "Pharynx"),
    "pharynx-larynx": _sct("312535008", "Pharynx and larynx"),
    "nasopharynx": _sct("360955006", "Nasopharynx"),
    "sinus": _sct("2095001", "Paranasal sinus"),
    "ear-canal": _sct("84301002", "External auditory canal"),
    "bladder": _sct("89837001", "Bladder"),
    "bladder-urethra": _sct("110837003", "Bladder and urethra"),
    "ureter": _sct("87953007", "Ureter"),
    "upper-urinary": _sct("431491007", "Upper urinary tract"),
    "kidney": _sct("64033007", "Kidney"),
    "uterus": _sct("110639002", "Uterus and fallopian tubes"),
    "cervix": _sct("71252005", "Cervix"),
    "thorax": _sct("43799004", "Intra-thoracic"),
    "mediastinum": _sct("72410000", "Mediastinum"),
    "abdomen": _sct("818987002", "Intra-abdominopelvic"),
    "pelvis": _sct("816989007", "Intra-pelvic"),
    "joint": _sct("39352004", "Joint"),
    "knee": _sct("72696002", "Knee"),
    "shoulder": _sct("16982005", "Shoulder"),
    "spine": _sct("421060004", "Spine"),
    "blood-vessel": _sct("91747007", "Lumen of blood vessel"),
    "inguinal": _sct("26893007", "Inguinal region"),
}

# Structures among the CID 4040 codes that have a side (paired, or sided like a bronchus or a joint): the capture
# does not know the side, so Laterality is written empty (Type 2C: required for a paired body part, C.7.3.1) and
# is absent for the others. The set is the one dicom3tools' dciodvfy applies (checked by a test for every name).
PAIRED = frozenset({("SCT", v) for v in (
    "64033007",  # Kidney
    "87953007",  # Ureter
    "431491007",  # Upper urinary tract
    "72696002",  # Knee
    "16982005",  # Shoulder
    "39352004",  # Joint
    "84301002",  # External auditory canal
    "26893007",  # Inguinal region
    "955009",  # Bronchus
    "2095001",  # Paranasal sinus
    "818987002",  # Intra-abdominopelvic
    "816989007",  # Intra-pelvic
    "91747007",  # Lumen of blood vessel
)})

_CODE = re.compile(r"^([A-Za-z0-9_.\-]{1,16}):([^:]{1,64}):(.{1,64})$")


@functools.cache
def cid_4040() -> frozenset[tuple[str, str]]:
    """(scheme, value) of every code of CID 4040, from pydicom's copy of PS3.16."""
    from pydicom.sr._cid_dict import cid_concepts
    from pydicom.sr.codedict import codes

    out: set[tuple[str, str]] = set()
    for scheme, names in cid_concepts[CID_ENDOSCOPY_REGION].items():
        for name in names:
            code = getattr(getattr(codes, scheme), name)
            out.add((scheme, str(code.value)))
    return frozenset(out)


def parse_region(text: str) -> Region:
    """A region from a built-in name (``colon``) or a code ``SCHEME:VALUE:Meaning``; InputError otherwise."""
    spoken = text.strip().lower().replace("_", "-").replace(" ", "-")
    if spoken in REGION_NAMES:
        return REGION_NAMES[spoken]
    match = _CODE.match(text.strip())
    if match is None or not all(part.strip() for part in match.groups()):
        raise InputError("region.unknown", value=text, names=", ".join(sorted(REGION_NAMES)))
    scheme, value, meaning = (part.strip() for part in match.groups())
    return Region(scheme, value, meaning)


def region_from_dataset(item: Dataset) -> Region:
    return Region(str(item.get("CodingSchemeDesignator", "")), str(item.get("CodeValue", "")),
                  str(item.get("CodeMeaning", "")))
