"""Specific Character Set (0008,0005): the defined terms and the ones this product reads and writes.

PS3.3 C.12.1.1.2, PS3.5 §6.1. Objects are written as ISO_IR 100 (Latin-1) or ISO_IR 192 (UTF-8); worklist
answers are decoded with their own set (:func:`decode_text`; the configured fallback must be a single-valued one).
"""

from __future__ import annotations

from collections.abc import Sequence

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


CODECS: dict[str, str] = {
    "": "iso8859", "ISO_IR 6": "iso8859", "ISO_IR 13": "shift_jis", "ISO_IR 100": "latin_1",
    "ISO_IR 101": "iso8859_2", "ISO_IR 109": "iso8859_3", "ISO_IR 110": "iso8859_4", "ISO_IR 126": "iso_ir_126",
    "ISO_IR 127": "iso_ir_127", "ISO_IR 138": "iso_ir_138", "ISO_IR 144": "iso_ir_144", "ISO_IR 148": "iso_ir_148",
    "ISO_IR 166": "iso_ir_166", "ISO 2022 IR 6": "iso8859", "ISO 2022 IR 13": "shift_jis",
    "ISO 2022 IR 87": "iso2022_jp", "ISO 2022 IR 100": "latin_1", "ISO 2022 IR 101": "iso8859_2",
    "ISO 2022 IR 109": "iso8859_3", "ISO 2022 IR 110": "iso8859_4", "ISO 2022 IR 126": "iso_ir_126",
    "ISO 2022 IR 127": "iso_ir_127", "ISO 2022 IR 138": "iso_ir_138", "ISO 2022 IR 144": "iso_ir_144",
    "ISO 2022 IR 148": "iso_ir_148", "ISO 2022 IR 149": "euc_kr", "ISO 2022 IR 159": "iso2022_jp_2",
    "ISO 2022 IR 166": "iso_ir_166", "ISO 2022 IR 58": "iso_ir_58", "ISO_IR 192": "UTF8", "GB18030": "GB18030",
    "ISO 2022 GBK": "GBK", "ISO 2022 58": "GB2312", "GBK": "GBK"}
"""Specific Character Set term -> Python codec: exactly pydicom's ``pydicom.charset.python_encoding`` (the tests
compare them), here so that reading a worklist answer or checking a setting imports no pydicom."""


def python_codec(term: str) -> str | None:
    """The Python codec of a single-valued, non-ISO-2022 character set term, or None."""
    if not term or term.startswith("ISO 2022"):
        return None
    return CODECS.get(term)


def single_valued_terms() -> list[str]:
    """The single-valued terms that can be decoded and encoded (for configuration messages)."""
    return sorted(k for k in CODECS if k and not k.startswith("ISO 2022"))


def code_extensions(charsets: Sequence[str]) -> bool:
    """Whether text in ``charsets`` may switch character sets with escape sequences (PS3.5 §6.1.2.5)."""
    return len(charsets) != 1 or charsets[0].startswith("ISO 2022")


def decode_text(raw: bytes, charsets: Sequence[str], vr: str) -> tuple[str, bool]:
    """A text value of ``vr`` in the Specific Character Set ``charsets`` (every term a key of :data:`CODECS`):
    the text, and whether every byte decoded strictly (else U+FFFD stands in, never a silent guess).

    One single-byte or UTF-8/GB set: Python's codec. ISO 2022 code extensions (PS3.5 §6.1.2.5: escape
    sequences switch sets inside a value, per PN component group): pydicom's decoder, imported only then.
    """
    if raw.isascii() and 0x1B not in raw:
        return raw.decode("ascii"), True
    if not code_extensions(charsets):
        codec = CODECS[charsets[0]]
        try:
            return raw.decode(codec), True
        except UnicodeDecodeError:
            return raw.decode(codec, "replace"), False
    return _decode_extended(raw, charsets, vr)


_TEXT_DELIMITERS = {0x0D, 0x0A, 0x09, 0x0C, 0x5C}
"""CR, LF, TAB, FF (PS3.5 §6.1.2.5.3, pydicom's TEXT_VR_DELIMS) and the backslash that ends a value (VM > 1)."""


def _decode_extended(raw: bytes, charsets: Sequence[str], vr: str) -> tuple[str, bool]:
    """pydicom's ISO 2022 decoder in its default mode. A fragment it cannot decode it reads as the first set
    (Latin-1 for the default repertoire: no U+FFFD, mojibake) and warns; that warning is what marks the value
    as not clean (the global validation mode is not switched: the station's threads share it)."""
    import warnings

    from pydicom.charset import convert_encodings, decode_bytes
    from pydicom.valuerep import PersonName

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        encodings = convert_encodings(list(charsets))
        text = str(PersonName(raw).decode(encodings)) if vr == "PN" else \
            decode_bytes(raw, encodings, _TEXT_DELIMITERS)
    return text, not caught and "\ufffd" not in text


def check_character_set(value: str, setting: str) -> str:
    """A single-valued Specific Character Set term that can be encoded and decoded (PS3.3 C.12.1.1.2)."""
    if python_codec(value) is None:
        raise ConfigError("config.invalid_value", setting=setting, value=value,
                          expected=", ".join(single_valued_terms()))
    return value
