"""Domain values: emergency identity, Study.new, Exam series/instance numbering under threads."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import pytest

from smartbox_next.dicom.uid import is_valid_uid
from smartbox_next.dicom.values import check_value
from smartbox_next.exam.model import Exam, Patient, Series, Study, emergency_patient

NOW = datetime(2025, 3, 14, 9, 26, 53)


def test_emergency_identity() -> None:
    p = emergency_patient("EMERG", now=NOW)
    assert re.fullmatch(r"EMERG-20250314092653-[0-9A-F]{8}", p.patient_id), p.patient_id
    assert p.emergency is True
    assert p.birth_date == "" and p.sex == ""  # nothing invented
    assert p.patient_name == f"EMERGENCY^{p.patient_id[-8:]}"
    check_value("PatientID", p.patient_id)
    check_value("PatientName", p.patient_name)


def test_emergency_ids_do_not_collide_in_the_same_second() -> None:
    with ThreadPoolExecutor(8) as pool:
        ids = list(pool.map(lambda _: emergency_patient("NOTFALL", now=NOW).patient_id, range(4000)))
    assert len(set(ids)) == len(ids)


def test_emergency_id_fits_lo_with_longest_prefix() -> None:
    p = emergency_patient("P" * 24, now=NOW)
    assert len(p.patient_id) <= 64 and p.patient_id.startswith("P" * 24)
    check_value("PatientID", p.patient_id)


def test_patient_is_frozen() -> None:
    p = Patient("Müller^Jürgen", "123")
    with pytest.raises(AttributeError):
        p.patient_id = "x"  # type: ignore[misc]
    assert p.emergency is False


def test_study_new() -> None:
    s = Study.new(uid_root="1.2.3", now=NOW, accession_number="ACC1")
    assert s.study_instance_uid.startswith("1.2.3.") and is_valid_uid(s.study_instance_uid)
    assert (s.study_date, s.study_time, s.study_id) == ("20250314", "092653", "250314092653")
    assert s.accession_number == "ACC1"
    assert Study.new(study_instance_uid="1.2.9", now=NOW).study_instance_uid == "1.2.9"
    assert Study.new(now=NOW).study_instance_uid != Study.new(now=NOW).study_instance_uid
    with pytest.raises(TypeError):
        s.attributes["X"] = 1  # type: ignore[index]


def test_exam_series_per_kind() -> None:
    exam = Exam(Patient("A^B", "1"), Study.new(now=NOW), uid_root="1.2.3")
    sc = exam.series_for("sc", "ES")
    es = exam.series_for("vl-endoscopic", "ES", "Endoskopie")
    assert exam.series_for("sc", "OT") is sc  # first use fixes it
    assert (sc.series_number, es.series_number) == (1, 2)
    assert es.series_description == "Endoskopie"
    assert sc.series_instance_uid != es.series_instance_uid
    assert sc.series_instance_uid.startswith("1.2.3.")
    assert exam.series == (sc, es)


def test_instance_numbers_count_per_series() -> None:
    exam = Exam(Patient("A^B", "1"), Study.new(now=NOW))
    a, b = exam.series_for("a", "ES"), exam.series_for("b", "XC")
    assert [exam.next_instance_number(a) for _ in range(3)] == [1, 2, 3]
    assert exam.next_instance_number(b) == 1
    assert exam.next_instance_number(a) == 4


def test_exam_under_threads() -> None:
    exam = Exam(Patient("A^B", "1"), Study.new(now=NOW))
    kinds = ["sc", "vl-endoscopic", "vl-photographic", "video"]

    def capture(i: int) -> tuple[Series, int]:
        series = exam.series_for(kinds[i % len(kinds)], "ES")
        return series, exam.next_instance_number(series)

    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(capture, range(8000)))
    assert len(exam.series) == 4
    assert sorted(s.series_number for s in exam.series) == [1, 2, 3, 4]
    assert len({s.series_instance_uid for s in exam.series}) == 4
    for series in exam.series:
        numbers = sorted(n for s, n in results if s is series)
        assert numbers == list(range(1, 2001))
    assert {s.series_instance_uid for s, _ in results} == {s.series_instance_uid for s in exam.series}
