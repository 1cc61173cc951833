"""Value Representation tables (PS3.5 §6.2, Table 6.2-1; §7.1.2): the one place the project lists VRs.

* which VRs carry a 32-bit length in Explicit VR encoding (PS3.5 §7.1.2) — the byte walkers of Part 10
  files, Pixel Data items and the transfer-syntax fallback read headers with it;
* which character-string VRs are written in the Specific Character Set (PS3.5 §6.1.2.3, "repertoire");
* which VRs :mod:`smartbox_next.dicom.values` checks, and their maximum lengths in characters.
"""

from __future__ import annotations

EXPLICIT_LONG_LENGTH_VRS = frozenset({"OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"})
"""Explicit VR: 2 reserved bytes, then a 32-bit length (PS3.5 Table 7.1-1)."""

EXPLICIT_SHORT_LENGTH_VRS = frozenset({"AE", "AS", "AT", "CS", "DA", "DS", "DT", "FL", "FD", "IS", "LO", "LT", "PN",
                                       "SH", "SL", "SS", "ST", "TM", "UI", "UL", "US"})
"""Explicit VR: a 16-bit length right after the VR (PS3.5 Table 7.1-2)."""

REPERTOIRE_VRS = frozenset({"SH", "LO", "ST", "PN", "LT", "UC", "UT"})
"""Text encoded in the Specific Character Set (0008,0005) (PS3.5 §6.1.2.3)."""

CHECKED_VRS = frozenset({"PN", "DA", "TM", "UI", "CS", "SH", "LO", "AE", "UC", "ST", "LT", "UT", "IS"})
"""Text VRs every created object is checked against before it is written (:mod:`smartbox_next.dicom.values`)."""

MAX_CHARS = {"SH": 16, "LO": 64, "ST": 1024, "LT": 10240, "CS": 16, "AE": 16, "DS": 16, "IS": 12,
             "UC": 2**32 - 2, "UT": 2**32 - 2, "UR": 2**32 - 2}
"""Maximum value length in characters (PS3.5 Table 6.2-1; SH/LO/ST/LT count characters, not bytes)."""
