"""Worklist values without a network: query building and character sets, decoding of answers, the SWF
mapping into an Exam, JSON round trip, merging of steps, and the offline cache (stale path).

``make_item`` builds a realistic worklist entry; the peer tests import it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from io import BytesIO
from pathlib import Path

import peers
import pytest
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence as DicomSequence
from pynetdicom.dsutils import decode, encode

from smartbox_next.config import Config, config_from_mapping
from smartbox_next.dicom.identifier import encode as encode_identifier
from smartbox_next.dicom.peer import Peer
from smartbox_next.dicom.sop import MODALITY_PERFORMED_PROCEDURE_STEP as MPPS_SOP_CLASS
from smartbox_next.errors import ConfigError, ConnectError, InputError, WorklistError
from smartbox_next.net.worklist import status_error
from smartbox_next.worklist.cache import WorklistCache
from smartbox_next.worklist.item import WorklistItem, WorklistResult, merge_steps
from smartbox_next.worklist.mapping import to_exam
from smartbox_next.worklist.query import WorklistQuery, build_identifier, parse_date_range
from smartbox_next.worklist.service import query_worklist

UID_ROOT = "1.2.826.0.1.3680043.8.498.7"
DETACHED_STUDY = "1.2.840.10008.3.1.2.3.1"


def _code(value: str, scheme: str, meaning: str) -> Dataset:
    c = Dataset()
    c.CodeValue = value
    c.CodingSchemeDesignator = scheme
    c.CodeMeaning = meaning
    return c


def make_item(name: str, *, charset: str | None = "ISO_IR 100", acc: str = "ACC1", pid: str = "PID1",
              study_uid: str | None = None, rp_id: str = "RP1", steps: Sequence[dict[str, str]] = ({},),
              rp_description: str = "Ösophago-Gastro-Duodenoskopie", referring: str = "Schäfer^Günther^^Dr.",
              ) -> Dataset:
    """A Modality Worklist entry (PS3.4 Table K.6-1) with one SPS item per ``steps`` entry."""
    ds = Dataset()
    if charset:
        ds.SpecificCharacterSet = charset
    ds.AccessionNumber = acc
    ds.ReferringPhysicianName = referring
    ds.RequestingPhysician = "Jäger^Maria"
    ds.PatientName = name
    ds.PatientID = pid
    ds.IssuerOfPatientID = "KLINIKUM"
    ds.PatientBirthDate = "19650412"
    ds.PatientSex = "M"
    ds.StudyInstanceUID = study_uid or f"{UID_ROOT}.{abs(hash((acc, rp_id))) % 10**12}"
    ds.RequestedProcedureID = rp_id
    ds.RequestedProcedureDescription = rp_description
    ds.RequestedProcedureCodeSequence = DicomSequence([_code("GAS01", "99KLIN", "Gastroskopie mit Biopsie")])
    ds.RequestedProcedurePriority = "ROUTINE"
    ds.ReasonForTheRequestedProcedure = "Dysphagie, Gewichtsverlust"
    ref = Dataset()
    ref.ReferencedSOPClassUID = DETACHED_STUDY
    ref.ReferencedSOPInstanceUID = ds.StudyInstanceUID
    ds.ReferencedStudySequence = DicomSequence([ref])
    ds.AdmissionID = "ADM7"
    ds.CurrentPatientLocation = "Station 3 Süd"
    items = []
    for i, spec in enumerate(steps):
        sps = Dataset()
        sps.ScheduledStationAETitle = spec.get("station", "SMARTBOX")
        sps.ScheduledProcedureStepStartDate = spec.get("date", "20250314")
        sps.ScheduledProcedureStepStartTime = spec.get("time", f"{9 + i:02d}3000")
        sps.Modality = spec.get("modality", "ES")
        sps.ScheduledPerformingPhysicianName = spec.get("physician", "Weiß^Anna")
        sps.ScheduledProcedureStepDescription = spec.get("description", f"Gastroskopie Schritt {i + 1}")
        protocol = _code(f"PROT{i + 1}", "99KLIN", f"Protokoll {i + 1} größer")
        sps.ScheduledProtocolCodeSequence = DicomSequence([protocol])
        sps.ScheduledProcedureStepID = spec.get("sps_id", f"SPS-{acc}-{i + 1}")
        sps.ScheduledStationName = "ENDO1"
        sps.ScheduledProcedureStepLocation = "Endo Raum 2"
        items.append(sps)
    ds.ScheduledProcedureStepSequence = DicomSequence(items)
    return ds


def _wire(ds: Dataset, *, drop_charset: bool = False) -> Dataset:
    """``ds`` as an SCU receives it: encoded Implicit VR LE, decoded lazily (raw elements)."""
    raw = encode(ds, True, True)
    assert raw is not None
    if drop_charset and raw[:4] == b"\x08\x00\x05\x00":
        length = int.from_bytes(raw[4:8], "little")
        raw = raw[8 + length:]
    return decode(BytesIO(raw), True, True)


def config(tmp_path: Path | None = None, **worklist: object) -> Config:
    data: dict[str, object] = {"worklist": dict(worklist), "uid": {"root": UID_ROOT}}
    if tmp_path is not None:
        data["station"] = {"data_dir": str(tmp_path / "data")}
    return config_from_mapping(data)


# ------------------------------------------------------------------------------------------- query


@pytest.mark.parametrize(("text", "expected"), [
    ("20250314", "20250314"), ("20250301-20250331", "20250301-20250331"), ("-20250314", "-20250314"),
    ("20250314-", "20250314-"), ("any", ""), ("today", "20250314"),
])
def test_date_specs(text: str, expected: str) -> None:
    assert parse_date_range(text, today=date(2025, 3, 14)) == expected


@pytest.mark.parametrize("text", ["2025", "20251301", "20250331-20250301", "x", "2025-03-14", "-"])
def test_bad_dates_are_input_errors(text: str) -> None:
    with pytest.raises(InputError) as err:
        parse_date_range(text)
    assert err.value.key == "worklist.bad_date"
    assert "JJJJMMTT" in err.value.text("de")


def test_defaults_come_from_config() -> None:
    cfg = config_from_mapping({"station": {"ae_title": "ENDO_A"}, "worklist": {"modality": "GM"}})
    q = WorklistQuery.from_options(cfg, today=date(2025, 3, 14))
    assert (q.station_ae_title, q.modality, q.scheduled_date) == ("ENDO_A", "GM", "20250314")
    assert WorklistQuery.from_options(cfg, any_station=True).station_ae_title == ""
    cfg2 = config_from_mapping({"worklist": {"station_ae_title": "ROOM2"}})
    assert WorklistQuery.from_options(cfg2).station_ae_title == "ROOM2"


def test_identifier_has_one_sps_item_and_every_return_key() -> None:
    q = WorklistQuery(scheduled_date="20250301-20250331", modality="ES", station_ae_title="SMARTBOX")
    ds = build_identifier(config().worklist, q).to_dataset()  # read back by pydicom
    assert "SpecificCharacterSet" not in ds  # ASCII only: Table K.6-1a
    assert len(ds.ScheduledProcedureStepSequence) == 1
    sps = ds.ScheduledProcedureStepSequence[0]
    assert (sps.ScheduledStationAETitle, sps.Modality, sps.ScheduledProcedureStepStartDate) == (
        "SMARTBOX", "ES", "20250301-20250331")
    for kw in ("ScheduledProcedureStepID", "ScheduledProcedureStepDescription", "ScheduledProtocolCodeSequence",
               "ScheduledPerformingPhysicianName", "ScheduledStationName", "ScheduledProcedureStepLocation"):
        assert kw in sps
    for kw in ("PatientName", "PatientID", "IssuerOfPatientID", "PatientBirthDate", "PatientSex",
               "StudyInstanceUID", "AccessionNumber", "ReferringPhysicianName", "RequestedProcedureID",
               "RequestedProcedureDescription", "RequestedProcedureCodeSequence", "ReferencedStudySequence"):
        assert kw in ds


def test_local_name_match_sends_the_ascii_prefix() -> None:
    ds = build_identifier(config().worklist, WorklistQuery(patient_name="Mül*")).to_dataset()
    assert ds.PatientName == "M*" and "SpecificCharacterSet" not in ds
    ds = build_identifier(config().worklist, WorklistQuery(patient_name="Öz*")).to_dataset()
    assert ds.PatientName == "*"


@pytest.mark.parametrize(("configured", "name", "charset", "encoded"), [
    ("ISO_IR 100", "Müß*", "ISO_IR 100", "Müß*".encode("latin-1")),
    ("ISO_IR 192", "Müß*", "ISO_IR 192", "Müß*".encode()),
    ("ISO_IR 100", "Дмитрий*", "ISO_IR 192", "Дмитрий*".encode()),  # Latin-1 cannot: UTF-8
    ("ISO_IR 144", "Дмитрий*", "ISO_IR 144", "Дмитрий*".encode("iso8859-5")),
])
def test_scp_name_match_encodes_the_query(configured: str, name: str, charset: str, encoded: bytes) -> None:
    cfg = config(name_match="scp", query_character_set=configured)
    ident = build_identifier(cfg.worklist, WorklistQuery(patient_name=name))
    ds = ident.to_dataset()
    assert ds.SpecificCharacterSet == charset and ds.PatientName == name  # pydicom decodes what we encoded
    assert encoded in encode_identifier(ident, explicit=False)


def test_character_set_settings_are_checked() -> None:
    with pytest.raises(ConfigError):
        config_from_mapping({"worklist": {"fallback_character_set": "latin1"}})
    with pytest.raises(ConfigError):
        config_from_mapping({"worklist": {"name_match": "fuzzy"}})


# ------------------------------------------------------------------------------------------ decoding


@pytest.mark.parametrize(("charset", "name"), [
    ("ISO_IR 100", "Müßig^Jürgen"), ("ISO_IR 192", "Müller^Jürgen=ミュラー"), ("ISO_IR 144", "Иванов^Дмитрий"),
    ("ISO_IR 126", "Παπαδόπουλος^Νίκος"), ("ISO_IR 101", "Dvořák^Antonín"),
    ("ISO 2022 IR 6\\ISO 2022 IR 87", "Yamada^Tarou=山田^太郎"),
])
def test_answers_decode_with_their_own_character_set(charset: str, name: str) -> None:
    ds = make_item(name, charset=charset, referring="Weiß^Anna" if "ISO_IR 1" in charset else "Doe^John")
    if charset.startswith("ISO 2022") or charset in ("ISO_IR 144", "ISO_IR 126", "ISO_IR 101"):
        ds.RequestedProcedureDescription = "Gastroscopy"
        ds.CurrentPatientLocation = "Ward 3"
        ds.RequestingPhysician = "Doe^Jack"
        for sps in ds.ScheduledProcedureStepSequence:
            sps.ScheduledPerformingPhysicianName = "Doe^Jane"
            sps.ScheduledProcedureStepDescription = "Step"
            sps.ScheduledProtocolCodeSequence[0].CodeMeaning = "Protocol"
        ds.RequestedProcedureCodeSequence[0].CodeMeaning = "Gastroscopy"
    item = WorklistItem.from_dataset(_wire(ds), fallback_character_set="ISO_IR 100")
    assert item.patient_name == name
    assert item.character_set == charset and item.character_set_declared
    assert not item.encoding_doubtful


def test_nested_values_use_the_item_character_set() -> None:
    item = WorklistItem.from_dataset(_wire(make_item("Groß^Björn", charset="ISO_IR 192")))
    step = item.steps[0]
    assert step.performing_physician_name == "Weiß^Anna"
    assert step.protocol_codes[0].meaning == "Protokoll 1 größer"
    assert item.requested_procedure_description == "Ösophago-Gastro-Duodenoskopie"
    assert item.current_patient_location == "Station 3 Süd"


def test_undeclared_answer_uses_the_configured_fallback() -> None:
    latin = _wire(make_item("Weiß^Käthe", charset="ISO_IR 100"), drop_charset=True)
    item = WorklistItem.from_dataset(latin, fallback_character_set="ISO_IR 100")
    assert item.patient_name == "Weiß^Käthe" and item.steps[0].performing_physician_name == "Weiß^Anna"
    assert not item.character_set_declared and not item.encoding_doubtful
    utf8 = _wire(make_item("Weiß^Käthe", charset="ISO_IR 192"), drop_charset=True)
    item = WorklistItem.from_dataset(utf8, fallback_character_set="ISO_IR 192")
    assert item.patient_name == "Weiß^Käthe" and not item.encoding_doubtful


def test_mojibake_is_never_silent() -> None:
    utf8 = _wire(make_item("Weiß^Käthe", charset="ISO_IR 192"), drop_charset=True)
    item = WorklistItem.from_dataset(utf8, fallback_character_set="ISO_IR 100")
    assert item.encoding_doubtful  # UTF-8 bytes read as Latin-1 would give "WeiÃŸ"
    with pytest.raises(WorklistError) as err:
        to_exam(item, uid_root=UID_ROOT)
    assert err.value.key == "worklist.charset_doubtful"
    assert "ISO_IR 192" in err.value.hint("de")
    # declared UTF-8 but Latin-1 bytes
    bad = make_item("Weiß^Käthe", charset="ISO_IR 100")
    wire = encode(bad, True, True)
    assert wire is not None
    wire = wire.replace(b"ISO_IR 100", b"ISO_IR 192")
    item = WorklistItem.from_dataset(decode(BytesIO(wire), True, True))
    assert item.encoding_doubtful


def test_ascii_answer_without_charset_is_fine() -> None:
    item = WorklistItem.from_dataset(_wire(make_item("Smith^John", charset=None, rp_description="Gastroscopy",
                                                      referring="Doe^J")), "ISO_IR 100")
    assert item.patient_name == "Smith^John"


# ------------------------------------------------------------------------------------------ mapping


def test_to_exam_follows_the_scheduled_workflow_mapping() -> None:
    item = WorklistItem.from_dataset(_wire(make_item("Müller^Jürgen", steps=({}, {"station": "SMARTBOX"}))))
    now = datetime(2025, 3, 14, 10, 15, 30)
    exam = to_exam(item, uid_root=UID_ROOT, now=now)
    p, s = exam.patient, exam.study
    assert (p.patient_name, p.patient_id, p.issuer_of_patient_id, p.birth_date, p.sex) == (
        "Müller^Jürgen", "PID1", "KLINIKUM", "19650412", "M")
    assert s.study_instance_uid == item.study_instance_uid
    assert (s.accession_number, s.referring_physician_name, s.study_id, s.study_description) == (
        "ACC1", "Schäfer^Günther^^Dr.", "RP1", "Ösophago-Gastro-Duodenoskopie")
    assert (s.study_date, s.study_time) == ("20250314", "101530")
    ra = s.sequences["RequestAttributesSequence"]
    assert [r.ScheduledProcedureStepID for r in ra] == ["SPS-ACC1-1", "SPS-ACC1-2"]
    assert all(r.RequestedProcedureID == "RP1" and r.AccessionNumber == "ACC1" for r in ra)
    assert ra[1].ScheduledProtocolCodeSequence[0].CodeValue == "PROT2"
    assert s.sequences["ProcedureCodeSequence"][0].CodeValue == "GAS01"
    assert s.sequences["ReferencedStudySequence"][0].ReferencedSOPClassUID == DETACHED_STUDY
    assert s.sequences["ReferencedPerformedProcedureStepSequence"][0].ReferencedSOPClassUID == MPPS_SOP_CLASS
    assert s.attributes["PerformedProcedureStepStartDate"] == "20250314"
    assert s.attributes["PerformedProcedureStepDescription"] == "Gastroskopie Schritt 1; Gastroskopie Schritt 2"
    assert len(s.attributes["PerformedProcedureStepID"]) <= 16


def test_item_without_study_uid_is_refused() -> None:
    ds = make_item("Müller^Jürgen")
    del ds.StudyInstanceUID
    with pytest.raises(WorklistError) as err:
        to_exam(WorklistItem.from_dataset(_wire(ds)), uid_root=UID_ROOT)
    assert err.value.key == "worklist.no_study_uid"


def test_json_round_trip_and_stable_id() -> None:
    item = WorklistItem.from_dataset(_wire(make_item("Groß^Björn", charset="ISO_IR 192", steps=({}, {}))))
    again = WorklistItem.from_json(item.to_json())
    assert again == item and again.item_id == item.item_id and len(item.item_id) == 10


def test_merge_steps_of_one_procedure_and_refuse_different_patients() -> None:
    a = WorklistItem.from_dataset(_wire(make_item("A^B", steps=({"sps_id": "S1"},), study_uid=f"{UID_ROOT}.1")))
    b = WorklistItem.from_dataset(_wire(make_item("A^B", steps=({"sps_id": "S2"},), study_uid=f"{UID_ROOT}.1")))
    assert [s.sps_id for s in merge_steps([a, b]).steps] == ["S1", "S2"]
    c = WorklistItem.from_dataset(_wire(make_item("C^D", pid="OTHER", study_uid=f"{UID_ROOT}.2")))
    with pytest.raises(WorklistError) as err:
        merge_steps([a, c])
    assert err.value.key == "worklist.ambiguous"


def test_local_matching() -> None:
    item = WorklistItem.from_dataset(_wire(make_item("Müller^Jürgen", steps=({"date": "20250314"},))))
    assert WorklistQuery(patient_name="mül*").matches(item)
    assert WorklistQuery(patient_name="M?ller^J*").matches(item)
    assert not WorklistQuery(patient_name="Mül").matches(item)
    assert WorklistQuery(scheduled_date="20250301-20250331").matches(item)
    assert not WorklistQuery(scheduled_date="20250315-").matches(item)
    assert not WorklistQuery(station_ae_title="OTHER").matches(item)


# ------------------------------------------------------------------------------------------ statuses


@pytest.mark.parametrize(("status", "key", "retryable"), [
    (0xA700, "worklist.out_of_resources", True), (0xA900, "worklist.identifier_mismatch", False),
    (0xC001, "worklist.unable_to_process", True), (0x0122, "worklist.not_supported", False),
    (0xFE00, "worklist.cancelled", True), (0x0110, "worklist.failed", False),
])
def test_status_mapping(status: int, key: str, retryable: bool) -> None:
    err = status_error(status, "RIS@127.0.0.1:104")
    assert (err.key, err.retryable, err.status) == (key, retryable, status)
    assert f"0x{status:04X}" in err.text("de") and f"0x{status:04X}" in str(err)


# ------------------------------------------------------------------------------------------ cache


def _result(items: list[WorklistItem], peer: str, fetched_at: datetime) -> WorklistResult:
    return WorklistResult(items=tuple(items), peer=peer, fetched_at=fetched_at)


def test_cache_is_used_only_when_unreachable(tmp_path: Path) -> None:
    cfg = config(tmp_path)
    port = peers.free_port()  # nothing listens there
    peer = Peer.parse(f"RIS@127.0.0.1:{port}")
    query = WorklistQuery(scheduled_date="20250314", station_ae_title="SMARTBOX", modality="ES")
    cache = WorklistCache(tmp_path / "cache.json")
    with pytest.raises(ConnectError):  # nothing cached yet: the error, never an invented list
        query_worklist(cfg, query, peer=peer, cache=cache)
    item = WorklistItem.from_dataset(_wire(make_item("Müller^Jürgen")))
    fetched = datetime.now() - timedelta(hours=3, minutes=12)
    cache.store(query, _result([item], str(peer), fetched))
    assert (tmp_path / "cache.json").stat().st_mode & 0o777 == 0o600
    stale = query_worklist(cfg, query, peer=peer, cache=cache)
    assert stale.stale and stale.reason == "net.connect_failed"
    assert stale.items == (item,) and stale.fetched_at == fetched
    assert stale.age() >= timedelta(hours=3, minutes=12)
    other = WorklistQuery(scheduled_date="20250315", station_ae_title="SMARTBOX", modality="ES")
    with pytest.raises(ConnectError):  # another query is not answered from this one
        query_worklist(cfg, other, peer=peer, cache=cache)


def test_cache_keeps_empty_answers_and_survives_garbage(tmp_path: Path) -> None:
    cache = WorklistCache(tmp_path / "cache.json", max_entries=2)
    q = WorklistQuery(patient_id="X")
    cache.store(q, _result([], "RIS@h:1", datetime.now()))
    loaded = cache.load("RIS@h:1", q)
    assert loaded is not None and loaded.items == () and loaded.stale
    for n in range(3):
        cache.store(WorklistQuery(patient_id=str(n)), _result([], "RIS@h:1", datetime.now()))
    assert cache.load("RIS@h:1", q) is None  # only the newest two are kept
    (tmp_path / "cache.json").write_text("{not json")
    assert cache.load("RIS@h:1", q) is None


# --- offline answers for any query the cache covers (issue 12, item 7) --------------------------------------


def _items_for_cache() -> list[WorklistItem]:
    return [WorklistItem.from_dataset(_wire(make_item(name, acc=acc, pid=pid, steps=[{"date": day, "time": tm}])))
            for name, acc, pid, day, tm in (("Müller^Jürgen", "ACC-MUE", "P-MUE", "20250314", "093000"),
                                            ("Weiß^Käthe", "ACC-WEI", "P-WEI", "20250314", "080000"),
                                            ("Groß^Björn", "ACC-GRO", "P-GRO", "20250315", "100000"))]


@pytest.mark.parametrize(("narrow", "expected"), [
    ({"patient_id": "P-WEI"}, ["ACC-WEI"]),
    ({"patient_name": "Mül*"}, ["ACC-MUE"]),
    ({"accession_number": "ACC-GRO"}, ["ACC-GRO"]),
    ({"scheduled_date": "20250314"}, ["ACC-MUE", "ACC-WEI"]),
    ({"scheduled_date": "20250315-20250316"}, []),  # reaches past the cached range: not covered
], ids=["patient-id", "name", "accession", "day-inside", "range-beyond"])
def test_a_filtered_query_is_answered_from_a_wider_cached_answer(tmp_path: Path, narrow: dict[str, str],
                                                                 expected: list[str]) -> None:
    cfg = config(tmp_path)
    peer = Peer.parse(f"RIS@127.0.0.1:{peers.free_port()}")  # nothing listens: every query is offline
    wide = WorklistQuery(scheduled_date="20250314-20250315", modality="ES")
    fetched = datetime.now() - timedelta(minutes=42)
    cache = WorklistCache(tmp_path / "cache.json")
    cache.store(wide, _result(_items_for_cache(), str(peer), fetched))
    query = WorklistQuery(**{"scheduled_date": "20250314-20250315", "modality": "ES", **narrow})
    if not wide.covers(query):
        with pytest.raises(ConnectError):  # a query outside what was cached fails, never an invented list
            query_worklist(cfg, query, peer=peer, cache=cache)
        assert expected == []
        return
    answer = query_worklist(cfg, query, peer=peer, cache=cache)
    assert answer.stale and answer.fetched_at == fetched and answer.reason == "net.connect_failed"
    assert answer.age() >= timedelta(minutes=42)
    assert sorted(i.accession_number for i in answer.items) == expected


def test_what_a_cached_query_covers() -> None:
    wide = WorklistQuery(scheduled_date="20250301-20250331", modality="ES", station_ae_title="SMARTBOX")
    assert wide.covers(WorklistQuery(scheduled_date="20250314", modality="ES", station_ae_title="SMARTBOX",
                                     patient_name="Mül*"))
    assert not wide.covers(WorklistQuery(scheduled_date="20250314", modality="ES"))  # any station is wider
    assert not wide.covers(WorklistQuery(scheduled_date="20250401", modality="ES", station_ae_title="SMARTBOX"))
    assert not wide.covers(WorklistQuery(scheduled_date="", modality="ES", station_ae_title="SMARTBOX"))
    assert WorklistQuery(scheduled_date="20250301-").covers(WorklistQuery(scheduled_date="20250314-20250320"))
    assert not WorklistQuery(scheduled_date="20250301-").covers(WorklistQuery(scheduled_date="-20250320"))
    assert WorklistQuery().covers(WorklistQuery(patient_id="X", scheduled_date="20250314"))
    assert WorklistQuery.from_key(wide.key()) == wide


def test_a_truncated_answer_covers_only_its_own_query(tmp_path: Path) -> None:
    cache = WorklistCache(tmp_path / "cache.json")
    wide = WorklistQuery(scheduled_date="20250314")
    items = _items_for_cache()
    cache.store(wide, WorklistResult(items=tuple(items), peer="RIS@h:1", fetched_at=datetime.now(), truncated=True))
    assert cache.answer("RIS@h:1", WorklistQuery(scheduled_date="20250314", patient_id="P-MUE")) is None
    own = cache.answer("RIS@h:1", wide)
    assert own is not None and own.stale and own.truncated and len(own.items) == 2


def test_the_table_is_sorted_by_schedule_then_name_with_legacy_columns() -> None:
    from smartbox_next.cli.worklist_cmd import format_table, title

    items = _items_for_cache()
    lines = format_table(list(reversed(items)), "de").splitlines()
    assert lines[0].split("  ")[:1] == ["Patient (Geschl.)"]
    assert [line.split("  ")[0].strip() for line in lines[2:]] == ["Weiß, Käthe (m)", "Müller, Jürgen (m)",
                                                                 "Groß, Björn (m)"]
    assert lines[2].split()[7:10] == ["14.03.2025", "08:00", "ACC-WEI"]
    assert "1965-04-12" in format_table(items, "en")
    fetched = datetime(2025, 3, 14, 7, 0)
    stale = WorklistResult(items=tuple(items), peer="RIS@h:1", fetched_at=fetched, stale=True)
    assert title(stale, "de", now=fetched + timedelta(hours=2, minutes=5)) == (
        "Arbeitsliste RIS@h:1: geplante Schritte: 3 — VERALTET, vor 2 h 5 min gespeichert (2025-03-14 07:00), der "
        "Server ist nicht erreichbar")
    fresh = WorklistResult(items=tuple(items), peer="RIS@h:1", fetched_at=fetched)
    assert title(fresh, "en") == "Worklist RIS@h:1: scheduled steps: 3, as of 2025-03-14 07:00"
