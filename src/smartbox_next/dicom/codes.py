"""Coded values this product writes (PS3.16): the reasons an exam may be discontinued with.

PS3.3 C.4.14 (Performed Procedure Step Discontinuation Reason Code Sequence (0040,0281)) draws from CID 9300
"Procedure Discontinuation Reason", which includes CID 9301 "Modality PPS Discontinuation Reason" — the reasons
a modality reports. This table is CID 9301 as published (PS3.16 2024b), scheme DCM.
"""

from __future__ import annotations

from dataclasses import dataclass

DCM = "DCM"


@dataclass(frozen=True)
class CodedReason:
    """A code of CID 9301: value, scheme and meaning (PS3.3 Table 8.8-1a)."""

    value: str
    meaning: str
    scheme: str = DCM


DISCONTINUATION_REASONS: dict[str, CodedReason] = {c.value: c for c in (
    CodedReason("110500", "Doctor canceled procedure"),
    CodedReason("110501", "Equipment failure"),
    CodedReason("110502", "Incorrect procedure ordered"),
    CodedReason("110503", "Patient allergic to media/contrast"),
    CodedReason("110504", "Patient died"),
    CodedReason("110505", "Patient refused to continue procedure"),
    CodedReason("110506", "Patient taken for treatment or surgery"),
    CodedReason("110507", "Patient did not arrive"),
    CodedReason("110508", "Patient pregnant"),
    CodedReason("110509", "Change of procedure for correct charging"),
    CodedReason("110510", "Duplicate order"),
    CodedReason("110511", "Nursing unit cancel"),
    CodedReason("110512", "Incorrect side ordered"),
    CodedReason("110513", "Discontinued for unspecified reason"),
    CodedReason("110514", "Incorrect worklist entry selected"),
    CodedReason("110515", "Patient condition prevented continuing"),
    CodedReason("110516", "Equipment change"),
)}
"""CID 9301 "Modality PPS Discontinuation Reason" by code value (included in CID 9300)."""
