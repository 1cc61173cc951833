"""The conformance statement (PS3.2 Annex N) says what the code does: every SOP class / transfer syntax the
sender can propose appears, nothing else does, and the object tables match objects really built."""

from __future__ import annotations

import re
from fractions import Fraction

import pytest
from pydicom.uid import UID

from smartbox_next.capture import syntax as msyntax
from smartbox_next.cli import main
from smartbox_next.config import Config, config_from_mapping
from smartbox_next.conformance import objects, render_statement, samples, tables
from smartbox_next.conformance.modules import module_of
from smartbox_next.delivery.video import reencode_targets
from smartbox_next.dicom import sop as sops
from smartbox_next.dicom.transfer_syntax import H264_HP41
from smartbox_next.net.contexts import needed_syntaxes

UID_RE = re.compile(r"\b1\.2\.840\.10008(?:\.\d+)+\b")


def _all_proposed_pairs() -> set[tuple[str, str]]:
    """Every (abstract syntax, transfer syntax) the product can propose as association requestor."""
    pairs = {(s, ts) for s in tables.creatable() for ts in tables.proposed_syntaxes(s)}
    pairs |= {(a, ts) for a, _, tss in tables.other_contexts() for ts in tss}
    return pairs


@pytest.fixture(scope="module")
def statement() -> str:
    return render_statement(Config(), "md", "en", defaults=True)


def _uids(text: str) -> set[str]:
    return set(UID_RE.findall(text))


def test_every_proposed_pair_appears_in_the_contexts_table(statement: str) -> None:
    section = statement.split("Table 7-2.")[1].split("Contexts are proposed only")[0]
    rows = [line for line in section.splitlines() if line.startswith("| ") and "UID" not in line[:40]]
    listed: set[tuple[str, str]] = set()
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        for sop_uid in cells[1].split(", "):
            listed |= {(sop_uid, ts) for ts in re.findall(r"`([\d.]+)`", cells[2])}
    assert listed == _all_proposed_pairs()


def test_statement_names_no_uid_the_product_does_not_use(statement: str) -> None:
    sop_uids = {s.uid for s in sops.ALL} | {a for a, _, _ in tables.other_contexts()}
    proposed_ts = {ts for _, ts in _all_proposed_pairs()}
    # app context; the well-known Storage Commitment SOP Instance (PS3.4 J.3.5)
    allowed = sop_uids | proposed_ts | {"1.2.840.10008.3.1.1.1", "1.2.840.10008.1.20.1.1"}
    stray = {u for u in _uids(statement) if u not in allowed}
    assert not stray, f"UIDs in the statement that nothing proposes or creates: {sorted(stray)}"
    transfer = {u for u in _uids(statement) if UID(u).is_transfer_syntax}
    assert transfer == proposed_ts


def test_proposals_follow_the_context_planner() -> None:
    for sop_uid, created in tables.creatable().items():
        expected = {ts for own in created for ts in needed_syntaxes(own, reencode_targets)}
        assert set(tables.proposed_syntaxes(sop_uid)) == expected
    # lossy-only video is proposed without the default transfer syntax (PS3.5 §10.1 waiver)
    assert "1.2.840.10008.1.2" not in tables.proposed_syntaxes(sops.VIDEO_ENDOSCOPIC.uid)
    assert "1.2.840.10008.1.2" in tables.proposed_syntaxes(sops.SC.uid)


def test_every_sop_class_we_create_is_in_the_overview(statement: str) -> None:
    overview = statement.split("## 2 Table of Contents")[0]
    for s in sops.ALL:
        assert s.uid in overview and s.name in overview


def test_video_rows_never_chosen_really_cannot_be_chosen() -> None:
    """BD-compatible (.103) is a subset of High Profile L4.1, which comes first; Main 10 (.108) never fits."""
    created = {ts for per in tables.creatable().values() for ts in per}
    never = [row.syntax for row in msyntax.TABLE if row.syntax.uid not in created]
    assert {s.uid for s in never} == {msyntax.H264_BD.uid, msyntax.HEVC_MAIN10.uid}
    for rows, cols, rates, interlaced in msyntax.BD_FORMATS:
        info = samples._info("h264", "High", 41, cols, rows, Fraction(rates[0]), interlaced=interlaced)
        assert not msyntax.check_h264_bd(info)
        assert msyntax.choose_syntax(info, Config().video).syntax is H264_HP41
    main10 = samples._info("hevc", "Main 10", 120, 1920, 1080, Fraction(25))
    assert msyntax.check_hevc_main10(main10)


def test_every_sample_stream_is_decided_by_the_video_table() -> None:
    chosen = set()
    for sample in samples.VIDEO_SAMPLES:
        cfg = samples.configured(Config(), sample.settings)
        for info in sample.streams:
            decision = msyntax.choose_syntax(info, cfg.video)
            assert objects.video_syntax(info, cfg)[1] == decision.syntax.uid
            chosen.add(decision.syntax.uid)
    assert len(chosen) >= 7


def test_store_status_table_matches_classify_status(statement: str) -> None:
    section = statement.split("Table 7-4.")[1].split("### 7.4")[0]
    assert "`store.out_of_resources` | retried with back-off" in section
    assert "`store.sop_class_not_supported` | failed for this destination" in section
    for row in tables.store_status_rows():
        assert row.codes in section


def test_attribute_tables_list_what_the_builders_write() -> None:
    for s in sops.ALL:
        rows, _ = objects.attribute_rows(s.uid)
        keywords = {r.keyword for r in rows}
        assert {"SOPClassUID", "SOPInstanceUID", "StudyInstanceUID", "PatientName", "PixelData"} <= keywords
        unplaced = [k for k in keywords if module_of(k, s) is None]
        assert not unplaced, f"add to conformance/modules.py: {unplaced}"
        by_kw = {r.keyword: r for r in rows}
        assert ("MWL", "") in by_kw["StudyInstanceUID"].sources["scheduled"]
        assert ("GENERATED", "") in by_kw["StudyInstanceUID"].sources["unscheduled"]
        assert ("USER", "") in by_kw["PatientName"].sources["unscheduled"]
        assert ("CONFIGURATION", "station.station_name") in by_kw["StationName"].sources["scheduled"]
        assert ("FIXED", s.uid) in by_kw["SOPClassUID"].sources["scheduled"]
        if s.vl:
            assert "AcquisitionContextSequence" in keywords
        if s.kind is sops.SopKind.VIDEO:
            assert {"AnatomicRegionSequence", "CineRate", "NumberOfFrames"} <= keywords
            assert ("FIXED", s.modality) in by_kw["Modality"].sources["scheduled"]


def test_worklist_mapping_comes_from_to_exam() -> None:
    mapping = dict(objects.mwl_mapping())
    assert mapping["StudyInstanceUID"][0] == "StudyInstanceUID"
    assert "StudyID" in mapping["RequestedProcedureID"]
    assert "StudyDescription" in mapping["RequestedProcedureDescription"]
    assert mapping["ScheduledProcedureStepSequence > ScheduledProcedureStepID"] == [
        "RequestAttributesSequence > ScheduledProcedureStepID"]


def test_statement_reflects_the_active_configuration() -> None:
    config = config_from_mapping({"station": {"ae_title": "ENDO7"}, "network": {"max_pdu": 65536},
                                  "peers": {"pacs": {"address": "PACS@10.1.2.3:2762", "tls": True}}})
    text = render_statement(config, "md", "en")
    assert "`ENDO7`" in text and "65536" in text and "PACS@10.1.2.3:2762 (TLS)" in text
    assert "the station's active configuration" in text


def test_german_and_html(statement: str) -> None:
    de = render_statement(Config(), "md", "de", defaults=True)
    assert "DICOM-Konformitätserklärung" in de and "Bitte" in de
    assert _uids(de) == _uids(statement)
    html = render_statement(Config(), "html", "en", defaults=True)
    assert html.startswith("<!DOCTYPE html>") and "<table>" in html and "<code>" in html
    assert "| " not in html.split("<body>")[1]


def test_cli(capsys: pytest.CaptureFixture[str], statement: str) -> None:
    assert main(["conformance", "--defaults", "--lang", "en", "--format", "md"]) == 0
    assert capsys.readouterr().out == statement
    assert main(["--lang", "de", "conformance", "--defaults", "--format", "html"]) == 0
    assert '<html lang="de">' in capsys.readouterr().out
