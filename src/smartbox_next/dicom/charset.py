"""Specific Character Set (0008,0005): the defined terms and the ones this product reads and writes.

PS3.3 C.12.1.1.2, PS3.5 §6.1. Objects are written as ISO_IR 100 (Latin-1) or ISO_IR 192 (UTF-8); worklist
answers are decoded with whatever single-valued set pydicom knows (the configured fallback must be one of them).
"""

from __future__ import annotations

from smartbox_next.errors import ConfigError

LATIN1 = "ISO_IR 100"
UTF8 = "ISO_IR 192"

DEFINED_TERMS = frozenset({
    "ISO_IR 100", "ISO_IR 101", "ISO_IR 109", "ISO_IR 110", "ISO_IR 144", "ISO_IR 127", "ISO_IR 126",
    "ISO_IR 138", "ISO_IR 148", "ISO_IR 203", "ISO_IR 13", "ISO_IR 166", "ISO_IR 192", "GB18030", "GBK",
    "ISO 2022 IR 6", "ISO 2022 IR 100", "ISO 2022 IR 101", "ISO 2022 IR 109", "ISO 2022 IR 110",
    "ISO 2022 IR 144", "ISO 2022 IR 127", "ISO 2022 IR 126", "ISO 2022 IR 138", "ISO 2022 IR 148",
    "ISO 2022 IR 203", "ISO 2022 IR 13", "ISO 2022 IR 166", "ISO 2022 IR 87", "ISO 2022 IR 159",
    "ISO 2022 IR 149", "ISO 2022 IR 58"})
"""Every defined term of PS3.3 Tables C.12-2 … C.12-5 (single-byte, ISO 2022 and multi-byte sets)."""


def python_codec(term: str) -> str | None:
    """The Python codec of a single-valued, non-ISO-2022 character set term (pydicom's table), or None."""
    from pydicom.charset import python_encoding

    if not term or term.startswith("ISO 2022"):
        return None
    codec = python_encoding.get(term)
    return str(codec) if codec else None


def single_valued_terms() -> list[str]:
    """The single-valued terms pydicom can decode and encode (for configuration messages)."""
    from pydicom.charset import python_encoding

    return sorted(k for k in python_encoding if k and not k.startswith("ISO 2022"))


def check_character_set(value: str, setting: str) -> str:
    """A single-valued Specific Character Set term pydicom can encode and decode (PS3.3 C.12.1.1.2)."""
    if python_codec(value) is None:
        raise ConfigError("config.invalid_value", setting=setting, value=value,
                          expected=", ".join(single_valued_terms()))
    return value
