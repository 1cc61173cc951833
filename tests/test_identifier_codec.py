"""The native identifier codec (smartbox_next.dicom.identifier) and text decoding (dicom.charset), issue 13.

``smartbox worklist`` reads its answers without pydicom, so the codec is held against pydicom here: the same
bytes for the same data set (PS3.5 §7.1, §7.5), the same dictionary, the same character set table and text —
and every byte string a peer may send (cut off, nested too deep, lengths beyond the end, random) ends in an
:class:`IdentifierError`, never another exception or an allocation of what a length claims.
"""

from __future__ import annotations

import contextlib
import random
import struct

import pytest
from pydicom.charset import python_encoding
from pydicom.datadict import dictionary_keyword, dictionary_VR
from pydicom.dataset import Dataset
from pydicom.filebase import DicomBytesIO
from pydicom.filereader import read_dataset
from pydicom.filewriter import write_dataset
from pydicom.sequence import Sequence as DicomSequence
from pydicom.valuerep import PersonName

from smartbox_next.config import config_from_mapping
from smartbox_next.dicom import identifier as idc
from smartbox_next.dicom.charset import CODECS, decode_text
from smartbox_next.worklist.query import WorklistQuery, build_identifier


def _pydicom_bytes(ds: Dataset, *, explicit: bool) -> bytes:
    fp = DicomBytesIO()
    fp.is_little_endian, fp.is_implicit_VR = True, not explicit
    write_dataset(fp, ds)
    return bytes(fp.getvalue())


def _pydicom_read(data: bytes, *, explicit: bool) -> Dataset:
    return read_dataset(DicomBytesIO(data), is_implicit_VR=not explicit, is_little_endian=True)  # type: ignore[arg-type]


def test_the_tag_table_is_pydicoms_dictionary() -> None:
    for keyword, (tag, vr) in idc.TAGS.items():
        assert dictionary_keyword(tag) == keyword
        assert dictionary_VR(tag) == vr, keyword


def test_the_character_set_table_is_pydicoms() -> None:
    assert python_encoding == CODECS


QUERIES = [WorklistQuery(), WorklistQuery(patient_name="Mül*", patient_id="P-1", accession_number="ACC-1",
                                          scheduled_date="20250301-20250331", modality="ES",
                                          station_ae_title="SMARTBOX")]


@pytest.mark.parametrize("explicit", [True, False])
@pytest.mark.parametrize("name_match", ["local", "scp"])
@pytest.mark.parametrize("query", QUERIES)
def test_the_identifier_is_encoded_byte_for_byte_as_pydicom_writes_it(explicit: bool, name_match: str,
                                                                      query: WorklistQuery) -> None:
    cfg = config_from_mapping({"worklist": {"name_match": name_match}})
    ours = idc.encode(build_identifier(cfg.worklist, query), explicit=explicit)
    ds = _pydicom_read(ours, explicit=explicit)
    assert _pydicom_bytes(ds, explicit=explicit) == ours  # pydicom reads and writes back the same bytes
    assert ds.ScheduledProcedureStepSequence[0].Modality == query.modality
    assert str(ds.PatientName) == (query.patient_name if name_match == "scp" else
                                   ("M*" if query.patient_name else ""))
    assert idc.encode(idc.decode(ours, explicit=explicit), explicit=explicit) == ours


def _answer() -> Dataset:
    ds = Dataset()
    ds.SpecificCharacterSet = "ISO_IR 192"
    ds.PatientName = "Müller^Jürgen=ミュラー"
    ds.PatientID = "P-1"
    ds.OtherPatientIDsSequence = DicomSequence([Dataset()])
    ds.OtherPatientIDsSequence[0].PatientID = "X-9"
    ds.StudyInstanceUID = "1.2.826.0.1.3680043.8.498.1"  # odd length: NUL padded
    ds.add_new(0x00091010, "LO", "private")  # not in the table: UN in Implicit VR
    sps = Dataset()
    sps.Modality = "ES"
    sps.ScheduledProtocolCodeSequence = DicomSequence([Dataset()])
    sps.ScheduledProtocolCodeSequence[0].CodeValue = "G-1"
    ds.ScheduledProcedureStepSequence = DicomSequence([sps, Dataset()])
    return ds


@pytest.mark.parametrize("explicit", [True, False])
def test_what_pydicom_writes_is_decoded(explicit: bool) -> None:
    raw = _pydicom_bytes(_answer(), explicit=explicit)
    ident = idc.decode(raw, explicit=explicit)
    assert ident.raw("PatientName") == "Müller^Jürgen=ミュラー".encode()
    assert ident.raw("StudyInstanceUID") == b"1.2.826.0.1.3680043.8.498.1\x00"
    assert ident.ascii("StudyInstanceUID") == "1.2.826.0.1.3680043.8.498.1"
    assert [it.ascii("PatientID") for it in ident.items_of("OtherPatientIDsSequence")] == ["X-9"]
    steps = ident.items_of("ScheduledProcedureStepSequence")
    assert len(steps) == 2 and len(steps[1]) == 0
    assert steps[0].items_of("ScheduledProtocolCodeSequence")[0].ascii("CodeValue") == "G-1"
    private = ident.elements[0x00091010]
    assert (private.vr, private.value) == ("LO" if explicit else "UN", b"private ")
    again = idc.encode(ident, explicit=explicit)  # pydicom wrote some items with a defined length; we do not
    assert _pydicom_read(again, explicit=explicit) == _pydicom_read(raw, explicit=explicit)


def _defined_length(explicit: bool) -> bytes:
    """A sequence and item of defined length (PS3.5 §7.5.1), which pydicom does not write."""
    item = struct.pack("<HH2sH", 0x0008, 0x0060, b"CS", 2) + b"ES" if explicit else \
        struct.pack("<HHI", 0x0008, 0x0060, 2) + b"ES"
    items = struct.pack("<HHI", 0xFFFE, 0xE000, len(item)) + item
    head = struct.pack("<HH2s2xI", 0x0040, 0x0100, b"SQ", len(items)) if explicit else \
        struct.pack("<HHI", 0x0040, 0x0100, len(items))
    return head + items


@pytest.mark.parametrize("explicit", [True, False])
def test_sequences_of_defined_length_are_read(explicit: bool) -> None:
    ident = idc.decode(_defined_length(explicit), explicit=explicit)
    [step] = ident.items_of("ScheduledProcedureStepSequence")
    assert step.ascii("Modality") == "ES"


def test_an_unknown_sequence_sent_as_un_is_read_in_implicit_vr() -> None:
    """PS3.5 §6.2.2: UN of undefined length holds Implicit VR Little Endian items."""
    inner = struct.pack("<HHI", 0x0008, 0x0060, 2) + b"ES"
    raw = (struct.pack("<HH2s2xI", 0x0009, 0x1000, b"UN", idc.UNDEFINED)
           + struct.pack("<HHI", 0xFFFE, 0xE000, idc.UNDEFINED) + inner + struct.pack("<HHI", 0xFFFE, 0xE00D, 0)
           + struct.pack("<HHI", 0xFFFE, 0xE0DD, 0)
           + struct.pack("<HH2sH", 0x0010, 0x0020, b"LO", 2) + b"P1")
    ident = idc.decode(raw, explicit=True)
    assert ident.elements[0x00091000].items[0].ascii("Modality") == "ES"
    assert ident.ascii("PatientID") == "P1"


# ------------------------------------------------------------------------------------------ hostile bytes


@pytest.mark.parametrize("explicit", [True, False])
def test_every_cut_off_answer_is_an_identifier_error_or_a_shorter_data_set(explicit: bool) -> None:
    raw = _pydicom_bytes(_answer(), explicit=explicit) + _defined_length(explicit)
    errors = 0
    for end in range(len(raw)):
        try:
            idc.decode(raw[:end], explicit=explicit)
        except idc.IdentifierError:
            errors += 1
    assert errors > len(raw) // 2  # most cuts fall inside an element; the rest end on a boundary


@pytest.mark.parametrize("explicit", [True, False])
def test_random_and_flipped_bytes_never_raise_anything_else(explicit: bool) -> None:
    rng = random.Random(1301)
    good = _pydicom_bytes(_answer(), explicit=explicit)
    for _ in range(3000):
        data = bytearray(good)
        for _ in range(rng.randint(1, 6)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        for candidate in (bytes(data), rng.randbytes(rng.randint(0, 120))):
            with contextlib.suppress(idc.IdentifierError):  # anything else fails the test
                idc.decode(candidate, explicit=explicit)


def test_a_length_beyond_the_end_is_refused_without_reading_it() -> None:
    raw = struct.pack("<HH2s2xI", 0x0010, 0x0010, b"UT", 0xFFFFFFF0) + b"x" * 10
    with pytest.raises(idc.IdentifierError, match="left"):
        idc.decode(raw, explicit=True)
    with pytest.raises(idc.IdentifierError, match="unknown VR"):
        idc.decode(struct.pack("<HH2sH", 0x0010, 0x0010, b"ZZ", 0), explicit=True)


def test_nesting_and_element_count_are_bounded() -> None:
    item_start, item_end = struct.pack("<HHI", 0xFFFE, 0xE000, idc.UNDEFINED), struct.pack("<HHI", 0xFFFE, 0xE00D, 0)
    seq_start, seq_end = struct.pack("<HHI", 0x0040, 0x0100, idc.UNDEFINED), struct.pack("<HHI", 0xFFFE, 0xE0DD, 0)
    depth = idc.MAX_DEPTH + 1
    bomb = (seq_start + item_start) * depth + (item_end + seq_end) * depth
    with pytest.raises(idc.IdentifierError, match="nested deeper"):
        idc.decode(bomb, explicit=False)
    fine = (seq_start + item_start) * idc.MAX_DEPTH + (item_end + seq_end) * idc.MAX_DEPTH
    assert idc.decode(fine, explicit=False).items_of("ScheduledProcedureStepSequence")
    flood = b"".join(struct.pack("<HHI", 0x0011, n, 0) for n in range(idc.MAX_ELEMENTS + 1))
    with pytest.raises(idc.IdentifierError, match="more than"):
        idc.decode(flood, explicit=False)


# ------------------------------------------------------------------------------------------ text


@pytest.mark.parametrize(("charsets", "text"), [
    (["ISO_IR 100"], "Müßig^Jürgen"), (["ISO_IR 192"], "Müller^Jürgen=ミュラー"), (["ISO_IR 144"], "Иванов^Дмитрий"),
    (["ISO_IR 126"], "Παπαδόπουλος^Νίκος"), (["GB18030"], "王^小东"), ([""], "Doe^John"),
    (["ISO 2022 IR 6", "ISO 2022 IR 87"], "Yamada^Tarou=山田^太郎"),
    (["ISO 2022 IR 6", "ISO 2022 IR 149"], "Hong^Gildong=洪^吉洞"),
])
def test_text_decodes_as_pydicom_decodes_it(charsets: list[str], text: str) -> None:
    from pydicom.charset import convert_encodings

    raw = PersonName(text).encode(convert_encodings(charsets))
    decoded, clean = decode_text(raw, charsets, "PN")
    assert (decoded, clean) == (str(PersonName(raw).decode(convert_encodings(charsets))), True)
    assert decoded == text


def test_text_that_does_not_decode_is_marked_and_never_guessed() -> None:
    assert decode_text("Weiß".encode("latin-1"), ["ISO_IR 192"], "PN") == ("Wei\ufffd", False)
    _text, clean = decode_text(b"\x1b$B\xff\xff", ["ISO 2022 IR 6", "ISO 2022 IR 87"], "PN")
    assert not clean  # pydicom reads the fragment as Latin-1 and warns: the warning marks it
    assert decode_text(b"Evil\x1b[31m", ["ISO_IR 192"], "LO") == ("Evil\x1b[31m", True)  # escaped on output
