"""VR checks (PS3.5 Table 6.2-1): lengths in characters, charsets, real dates; errors name the attribute."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydicom.dataset import Dataset

from smartbox_next.dicom.values import check_dataset_values, check_value, describe, text_values
from smartbox_next.errors import AttributeValueError

PN = "Patient's Name (0010,0010)"


def refused(keyword: str, value: object, key: str | None = None) -> AttributeValueError:
    with pytest.raises(AttributeValueError) as info:
        check_value(keyword, value)
    exc = info.value
    if key is not None:
        assert exc.key == key, (exc.key, str(exc))
    label = describe(keyword)
    assert label in str(exc) and label in exc.text("de")
    assert exc.hint("en") and exc.hint("de")
    return exc


def test_describe() -> None:
    assert describe("PatientName") == PN
    assert describe("StudyInstanceUID") == "Study Instance UID (0020,000D)"
    assert describe("NotAKeyword") == "NotAKeyword"


def test_error_names_attribute_in_both_languages() -> None:
    exc = refused("PatientName", "A" * 65, "attr.too_long")
    assert str(exc).startswith(PN + " is too long: 65 characters, at most 64")
    assert exc.text("de").startswith(PN + " ist zu lang: 65 Zeichen, höchstens 64")
    assert isinstance(exc, ValueError)


# --- PN --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["Müller^Jürgen", "Müller^Jürgen^^Dr.^", "A" * 64, "=",
                                  "Yamada^Tarou=山田^太郎=やまだ^たろう",
                                  "A" * 64 + "=" + "B" * 64 + "=" + "C" * 64, "", "^^^^",
                                  "O'Brien-Smith^Seán"])
def test_pn_accepted(name: str) -> None:
    check_value("PatientName", name)


@pytest.mark.parametrize(("name", "key"), [
    ("A" * 65, "attr.too_long"),
    ("A=" + "B" * 65, "attr.too_long"),
    ("a^b^c^d^e^f", "attr.bad_characters"),
    ("a=b=c=d", "attr.bad_characters"),
    ("Müller\\Jürgen", "attr.bad_characters"),
    ("Müller\nJürgen", "attr.bad_characters"),
    ("Müller\x00", "attr.bad_characters"),
])
def test_pn_refused(name: str, key: str) -> None:
    exc = refused("PatientName", name, key)
    assert str(exc).startswith(PN)


def test_pn_tab_refused() -> None:
    refused("PatientName", "Müller\tJürgen", "attr.bad_characters")


def test_pn_umlauts_count_as_characters() -> None:
    name = "Ä" * 64  # 128 bytes in UTF-8, 64 characters
    assert len(name.encode("utf-8")) > 64
    check_value("PatientName", name)
    check_value("PatientName", "ß" * 30 + "^" + "ö" * 33)
    exc = refused("PatientName", "Ü" * 65, "attr.too_long")
    assert exc.params["length"] == 65


# --- LO / SH / CS ----------------------------------------------------------------------------------------


def test_lo_64_characters() -> None:
    check_value("InstitutionName", "Ö" * 64)
    check_value("PatientID", "X" * 64)
    exc = refused("InstitutionName", "Klinikum " + "ü" * 56, "attr.too_long")
    assert exc.params == {"attribute": "Institution Name (0008,0080)", "length": 65, "maximum": 64, "vr": "LO",
                          "value": "Klinikum " + "ü" * 56}
    refused("PatientID", "X" * 65, "attr.too_long")


def test_sh_16_characters() -> None:
    check_value("AccessionNumber", "ÄÖÜäöüß123456789")
    refused("AccessionNumber", "A" * 17, "attr.too_long")
    refused("StationName", "ß" * 17, "attr.too_long")


@pytest.mark.parametrize("value", ["A\\B", "a\rb", "a\nb", "tab\there", "\x7f"])
def test_sh_lo_control_and_backslash(value: str) -> None:
    refused("AccessionNumber", value, "attr.bad_characters")
    refused("InstitutionName", value, "attr.bad_characters")


def test_st_allows_line_breaks_but_not_nul() -> None:
    check_value("InstitutionAddress", "Hauptstraße 1\r\nMünchen\tBayern")
    refused("InstitutionAddress", "x\x00", "attr.bad_characters")
    refused("InstitutionAddress", "x" * 1025, "attr.too_long")


@pytest.mark.parametrize("value", ["ES", "XC", "ORIGINAL", "A_B 9", "", "A" * 16])
def test_cs_accepted(value: str) -> None:
    check_value("Modality", value)


@pytest.mark.parametrize(("value", "key"), [("es", "attr.bad_characters"), ("É", "attr.bad_characters"),
                                            ("A-B", "attr.bad_characters"), ("AB\n", "attr.bad_characters"),
                                            ("A" * 17, "attr.too_long")])
def test_cs_refused(value: str, key: str) -> None:
    refused("Modality", value, key)


def test_multi_value_checks_each() -> None:
    check_value("ImageType", ["ORIGINAL", "PRIMARY"])
    exc = refused("ImageType", ["ORIGINAL", "primary"], "attr.bad_characters")
    assert "Image Type (0008,0008)" in str(exc)


# --- DA / TM ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["20240229", "19000101", "20241231", "", "00010101"])
def test_da_accepted(value: str) -> None:
    check_value("PatientBirthDate", value)


@pytest.mark.parametrize("value", ["20240230", "20230229", "20241301", "20240001", "20240100", "2024-01-01",
                                   "240101", "202401011", "2024010a", "٢٠٢٤٠١٠١", "2024010\n"])
def test_da_refused(value: str) -> None:
    exc = refused("PatientBirthDate", value, "attr.bad_date")
    assert "Patient's Birth Date (0010,0030)" in exc.text("de") and "JJJJMMTT" in exc.text("de")


@pytest.mark.parametrize("value", ["14", "1430", "143000", "143000.1", "235959.999999", "000000", ""])
def test_tm_accepted(value: str) -> None:
    check_value("StudyTime", value)


@pytest.mark.parametrize("value", ["24", "2400", "1460", "143", "14:30:00", "143000.1234567", "143000.", "١٤٣٠",
                                   "1430\n"])
def test_tm_refused(value: str) -> None:
    refused("StudyTime", value, "attr.bad_time")


# --- UI / IS ---------------------------------------------------------------------------------------------


def test_ui() -> None:
    check_value("StudyInstanceUID", "1.2.840.10008.1.2")
    refused("StudyInstanceUID", "1.2.03", "attr.bad_uid")
    refused("SOPInstanceUID", "1." + "2" * 63, "attr.bad_uid")
    refused("SOPInstanceUID", "1.2.3\n", "attr.bad_uid")


@pytest.mark.parametrize("value", [0, 1, -1, 2**31 - 1, -(2**31), "42", " 7", "+5", "-2147483648", ""])
def test_is_accepted(value: object) -> None:
    check_value("InstanceNumber", value)


@pytest.mark.parametrize(("value", "key"), [(2**31, "attr.out_of_range"), (-(2**31) - 1, "attr.out_of_range"),
                                            ("99999999999", "attr.out_of_range"), ("abc", "attr.bad_characters"),
                                            ("1.5", "attr.bad_characters"), ("1" * 13, "attr.too_long")])
def test_is_refused(value: object, key: str) -> None:
    exc = refused("InstanceNumber", value, key)
    assert "Instance Number (0020,0013)" in str(exc)


# --- datasets --------------------------------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore:The value length")
def test_check_dataset_values_walks_sequences() -> None:
    ds = Dataset()
    ds.PatientName = "Müller^Jürgen"
    ds.Modality = "ES"
    item = Dataset()
    item.AccessionNumber = "A" * 17
    ds.RequestAttributesSequence = [item]
    with pytest.raises(AttributeValueError) as info:
        check_dataset_values(ds)
    assert "Accession Number (0008,0050)" in str(info.value)
    item.AccessionNumber = "ACC1"
    check_dataset_values(ds)
    assert sorted(text_values(ds)) == ["ACC1", "Müller^Jürgen"]


@given(st.text(alphabet=st.characters(whitelist_categories=("Lu", "Ll"), max_codepoint=0x24F), max_size=80))
def test_lo_length_is_characters(text: str) -> None:
    if len(text) <= 64:
        check_value("InstitutionName", text)
    else:
        with pytest.raises(AttributeValueError):
            check_value("InstitutionName", text)
