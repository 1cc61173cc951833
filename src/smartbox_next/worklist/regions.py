"""Which anatomic region a scheduled procedure examines: the worklist item → Anatomic Region (CID 4040).

PS3.3 C.8.12.1 / A.32.5.4.3: every Video Endoscopic object names the region, from CID 4040; PS3.16 Annex I
(informative) relates the kinds of endoscopy to those regions (colonoscopy → large intestine, cystoscopy →
bladder, …). :data:`PROCEDURE_WORDS` is that table in the words RIS systems write, German and English
("Koloskopie", "ÖGD", "Gastroskopie", "Bronchoskopie", "Zystoskopie", "ERCP" …); :data:`PROCEDURE_CODES` the
few procedure codes whose meaning is unambiguous. A site adds its own RIS codes and words in the
configuration (``[procedure_regions]``), and those are looked at first.

What is read, in this order: the Requested Procedure Code Sequence and every Scheduled Protocol Code Sequence
(code values, then their code meanings as text), then the Requested Procedure Description and the Scheduled
Procedure Step Descriptions. Codes decide when they name a region; only then the texts. A result naming
two different regions (e.g. "ÖGD und Koloskopie") is ambiguous: the operator chooses — nothing is guessed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from smartbox_next.dicom.anatomy import REGION_NAMES, Region, parse_region
from smartbox_next.worklist.item import Code, WorklistItem

# word (normalised: lower case, ä → ae, ö → oe, ü → ue, ß → ss) -> region name of dicom.anatomy.REGION_NAMES.
# Words of at most 4 letters (abbreviations) must be a whole word; longer ones may be part of a compound
# ("Ileokoloskopie"). Where several words match inside one another, the longest wins
# ("Rektosigmoidoskopie" is not "Sigmoidoskopie").
PROCEDURE_WORDS: dict[str, str] = {
    "koloskopie": "colon", "coloskopie": "colon", "colonoscop": "colon", "koloskop": "colon",
    "oegd": "upper-gi", "ogd": "upper-gi", "egd": "upper-gi", "gastroskopie": "upper-gi",
    "gastroscop": "upper-gi", "oesophagogastroduodenoskopie": "upper-gi", "upper gi endoscop": "upper-gi",
    "osophagogastroduodenoskopie": "upper-gi", "esophagogastroduodenoscop": "upper-gi",
    "oesophagogastroduodenoscop": "upper-gi",
    "ercp": "biliary", "cholangioskopie": "biliary", "cholangioscop": "biliary",
    "bronchoskopie": "bronchus", "bronchoscop": "bronchus",
    "tracheobronchoskopie": "trachea-bronchus", "tracheobronchoscop": "trachea-bronchus",
    "zystoskopie": "bladder", "cystoskopie": "bladder", "cystoscop": "bladder",
    "urethrozystoskopie": "bladder-urethra", "urethrocystoscop": "bladder-urethra",
    "laryngoskopie": "larynx", "laryngoscop": "larynx",
    "pharyngoskopie": "pharynx", "pharyngoscop": "pharynx",
    "laryngopharyngoskopie": "pharynx-larynx", "laryngopharyngoscop": "pharynx-larynx",
    "nasopharyngoskopie": "nasopharynx", "nasopharyngoscop": "nasopharynx",
    "rektoskopie": "rectum", "rectoskopie": "rectum", "rectoscop": "rectum", "proktoskopie": "rectum",
    "proctoscop": "rectum",
    "sigmoidoskopie": "sigmoid", "sigmoidoscop": "sigmoid",
    "rektosigmoidoskopie": "lower-gi", "rectosigmoidoscop": "lower-gi",
    "kolposkopie": "cervix", "colposcop": "cervix",
    "hysteroskopie": "uterus", "hysteroscop": "uterus",
    "arthroskopie": "joint", "arthroscop": "joint",
    "mediastinoskopie": "mediastinum", "mediastinoscop": "mediastinum",
    "thorakoskopie": "thorax", "thoracoscop": "thorax",
    "laparoskopie": "abdomen", "laparoscop": "abdomen",
    "otoskopie": "ear-canal", "otoscop": "ear-canal",
    "ureteroskopie": "ureter", "ureteroscop": "ureter",
    "ureterorenoskopie": "upper-urinary", "ureterorenoscop": "upper-urinary",
    "nephroskopie": "kidney", "nephroscop": "kidney",
}

# (coding scheme, code value) of a procedure -> region name. Only codes whose meaning is one kind of endoscopy.
PROCEDURE_CODES: dict[tuple[str, str], str] = {
    ("SCT", "73761001"): "colon",  # Colonoscopy
    ("SCT", "76009000"): "upper-gi",  # Esophagogastroduodenoscopy
}

_CODE_KEY = re.compile(r"^([^\s:]+):([^\s:]+)$")


def normalise(text: str) -> str:
    """Lower case, German umlauts spelled out, every run of other characters one space."""
    folded = text.casefold()
    for umlaut, spelled in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        folded = folded.replace(umlaut, spelled)
    return " ".join(re.findall(r"[a-z0-9]+", folded))


@dataclass(frozen=True)
class RegionRules:
    """The built-in tables plus the site's ``[procedure_regions]`` (site first)."""

    codes: Mapping[tuple[str, str], Region]
    words: Mapping[str, Region]
    site_codes: Mapping[tuple[str, str], Region]
    site_words: Mapping[str, Region]

    @classmethod
    def from_config(cls, site: Mapping[str, str]) -> RegionRules:
        site_codes: dict[tuple[str, str], Region] = {}
        site_words: dict[str, Region] = {}
        for key, value in site.items():
            region = parse_region(value)
            match = _CODE_KEY.match(key.strip())
            if match:
                site_codes[(match.group(1), match.group(2))] = region
            else:
                site_words[normalise(key)] = region
        return cls(codes={k: REGION_NAMES[v] for k, v in PROCEDURE_CODES.items()},
                   words={k: REGION_NAMES[v] for k, v in PROCEDURE_WORDS.items()},
                   site_codes=site_codes, site_words=site_words)


@dataclass(frozen=True)
class RegionMatch:
    """What the worklist item says about the region: one region, several (ambiguous), or none."""

    regions: tuple[Region, ...] = ()

    @property
    def region(self) -> Region | None:
        return self.regions[0] if len(self.regions) == 1 else None

    @property
    def ambiguous(self) -> bool:
        return len(self.regions) > 1


def _unique(regions: Iterable[Region]) -> tuple[Region, ...]:
    return tuple(dict.fromkeys(regions))


def _words_in(text: str, words: Mapping[str, Region]) -> list[Region]:
    norm = normalise(text)
    if not norm:
        return []
    tokens = norm.split()
    joined = norm.replace(" ", "")  # "Ösophago-Gastro-Duodenoskopie" is one compound
    hits: list[str] = []
    for word in words:
        if len(word) <= 4 and " " not in word:
            if word in tokens:
                hits.append(word)
        elif word in norm or (" " not in word and word in joined):
            hits.append(word)
    kept = [w for w in hits if not any(w != other and w in other for other in hits)]  # the longest wins
    return [words[w] for w in kept]


def _by_codes(codes: Iterable[Code], table: Mapping[tuple[str, str], Region]) -> list[Region]:
    return [table[(c.scheme, c.value)] for c in codes if (c.scheme, c.value) in table]


def region_for(item: WorklistItem, rules: RegionRules) -> RegionMatch:
    """The anatomic region of the scheduled procedure (module docstring: what is read, in which order)."""
    codes = [*item.requested_procedure_codes, *(c for s in item.steps for c in s.protocol_codes)]
    texts = [c.meaning for c in codes if c.meaning]
    texts += [item.requested_procedure_description, *(s.description for s in item.steps)]
    for table in (rules.site_codes, rules.codes):
        found = _unique(_by_codes(codes, table))
        if found:
            return RegionMatch(found)
    for words in (rules.site_words, rules.words):
        found = _unique(r for text in texts if text for r in _words_in(text, words))
        if found:
            return RegionMatch(found)
    return RegionMatch()
