"""Modality Worklist against real peers: DCMTK wlmscpfs (``-csk``) and Orthanc's worklist plugin.

Names with umlauts and ß stored as ISO_IR 100 and ISO_IR 192, answers in a different set than the query
(Orthanc answers in ISO_IR 100), date ranges, station filter, wildcards, > 100 entries (and C-CANCEL at
the limit), several SPS of one requested procedure, empty answers, the stale cache when the SCP goes
away, and the identity carried into created objects, checked attribute by attribute and with dcentvfy.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import peers
import pytest
from media_factory import h264_mp4
from PIL import Image
from pydicom.dataset import Dataset
from test_worklist_units import UID_ROOT, make_item

from smartbox_next.cli import main
from smartbox_next.config import config_from_mapping
from smartbox_next.dicom.peer import Peer
from smartbox_next.worklist.cache import WorklistCache
from smartbox_next.worklist.item import merge_steps
from smartbox_next.worklist.mapping import to_exam
from smartbox_next.worklist.query import WorklistQuery
from smartbox_next.worklist.service import fetch, lookup

pytestmark = pytest.mark.peer

D0, D1, D2 = "20250314", "20250315", "20250320"
STR_UID = f"{UID_ROOT}.4711"


def _items() -> dict[str, Dataset]:
    """Entries by file name; Straße has two SPS of one requested procedure (one file each for wlmscpfs)."""
    strasse = {"name": "Straße^Ölaf", "charset": "ISO_IR 192", "acc": "ACC-STR", "pid": "P-STR",
               "study_uid": STR_UID, "rp_id": "RP-STR"}
    return {
        "mueller": make_item("Müller^Jürgen", charset="ISO_IR 192", acc="ACC-MUE", pid="P-MUE", steps=({"date": D0},)),
        "weiss": make_item("Weiß^Käthe", charset="ISO_IR 100", acc="ACC-WEI", pid="P-WEI", steps=({"date": D0},)),
        "gross": make_item("Groß^Björn", charset="ISO_IR 100", acc="ACC-GRO", pid="P-GRO",
                           steps=({"date": D1, "station": "OTHER"},)),
        "late": make_item("Spät^Anna", charset="ISO_IR 100", acc="ACC-SPA", pid="P-SPA", steps=({"date": D2},)),
        "strasse1": make_item(**strasse, steps=({"date": D0, "time": "100000", "sps_id": "SPS-STR-1",
                                                 "description": "Gastroskopie"},)),
        "strasse2": make_item(**strasse, steps=({"date": D0, "time": "110000", "sps_id": "SPS-STR-2",
                                                 "description": "Koloskopie"},)),
    }


@pytest.fixture(scope="module")
def wlm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[peers.WorklistScp]:
    wl_dir = tmp_path_factory.mktemp("wlm") / "worklist"
    for name, ds in _items().items():
        peers.write_worklist_item(wl_dir, "WLMSCP", ds, name)
    with peers.wlmscpfs(wl_dir) as scp:
        yield scp


def _cfg(tmp_path: Path, **worklist: Any) -> Any:
    return config_from_mapping({"station": {"data_dir": str(tmp_path / "data")}, "uid": {"root": UID_ROOT},
                                "worklist": worklist})


def _names(cfg: Any, address: str, query: WorklistQuery) -> list[str]:
    return sorted(i.patient_name for i in fetch(cfg, Peer.parse(address), query).items)


# ----------------------------------------------------------------------------------------- wlmscpfs


def test_wlmscpfs_answers_decode_each_with_its_own_charset(wlm: peers.WorklistScp, tmp_path: Path) -> None:
    result = fetch(_cfg(tmp_path), Peer.parse(wlm.address), WorklistQuery())
    by_name = {i.patient_name: i for i in result.items}
    assert sorted(by_name) == ["Groß^Björn", "Müller^Jürgen", "Spät^Anna", "Straße^Ölaf", "Weiß^Käthe"]
    assert len(result.items) == 6 and not result.truncated
    assert by_name["Müller^Jürgen"].character_set == "ISO_IR 192"
    assert by_name["Weiß^Käthe"].character_set == "ISO_IR 100"
    weiss = by_name["Weiß^Käthe"]
    assert weiss.referring_physician_name == "Schäfer^Günther^^Dr."
    assert weiss.steps[0].performing_physician_name == "Weiß^Anna"
    assert weiss.requested_procedure_description == "Ösophago-Gastro-Duodenoskopie"
    assert weiss.steps[0].protocol_codes[0].meaning == "Protokoll 1 größer"
    assert not any(i.encoding_doubtful for i in result.items)


def test_wlmscpfs_date_ranges_and_station(wlm: peers.WorklistScp, tmp_path: Path) -> None:
    cfg = _cfg(tmp_path)
    assert _names(cfg, wlm.address, WorklistQuery(scheduled_date=f"{D0}-{D1}")) == [
        "Groß^Björn", "Müller^Jürgen", "Straße^Ölaf", "Straße^Ölaf", "Weiß^Käthe"]
    assert _names(cfg, wlm.address, WorklistQuery(scheduled_date="20250316-")) == ["Spät^Anna"]
    assert _names(cfg, wlm.address, WorklistQuery(scheduled_date=f"-{D0}", station_ae_title="SMARTBOX",
                                                  modality="ES")) == [
        "Müller^Jürgen", "Straße^Ölaf", "Straße^Ölaf", "Weiß^Käthe"]
    assert _names(cfg, wlm.address, WorklistQuery(station_ae_title="OTHER")) == ["Groß^Björn"]
    assert _names(cfg, wlm.address, WorklistQuery(modality="XC")) == []


def test_wlmscpfs_wildcard_names(wlm: peers.WorklistScp, tmp_path: Path) -> None:
    local = _cfg(tmp_path)
    assert _names(local, wlm.address, WorklistQuery(patient_name="Mül*")) == ["Müller^Jürgen"]
    assert _names(local, wlm.address, WorklistQuery(patient_name="Weiß*")) == ["Weiß^Käthe"]
    assert _names(local, wlm.address, WorklistQuery(patient_name="Wei?^K*")) == ["Weiß^Käthe"]
    assert _names(local, wlm.address, WorklistQuery(patient_name="Gro*")) == ["Groß^Björn"]
    # "scp": the pattern goes to the SCP encoded; wlmscpfs compares bytes, so the set must match the entry's
    utf8 = _cfg(tmp_path, name_match="scp", query_character_set="ISO_IR 192")
    latin1 = _cfg(tmp_path, name_match="scp", query_character_set="ISO_IR 100")
    assert _names(utf8, wlm.address, WorklistQuery(patient_name="Mül*")) == ["Müller^Jürgen"]
    assert _names(latin1, wlm.address, WorklistQuery(patient_name="Weiß*")) == ["Weiß^Käthe"]
    assert _names(latin1, wlm.address, WorklistQuery(patient_name="Mül*")) == []


def test_wlmscpfs_empty_answer(wlm: peers.WorklistScp, tmp_path: Path) -> None:
    result = fetch(_cfg(tmp_path), Peer.parse(wlm.address), WorklistQuery(patient_id="NOBODY"))
    assert result.items == () and not result.stale


def test_wlmscpfs_more_than_100_entries_and_cancel(tmp_path: Path) -> None:
    wl_dir = tmp_path / "many"
    for n in range(120):
        ds = make_item(f"Jäger^Nr{n:03d}", acc=f"M{n:03d}", pid=f"PM{n:03d}", study_uid=f"{UID_ROOT}.9.{n}")
        peers.write_worklist_item(wl_dir, "WLMSCP", ds, f"m{n:03d}")
    cfg = _cfg(tmp_path)
    with peers.wlmscpfs(wl_dir) as scp:
        everything = fetch(cfg, Peer.parse(scp.address), WorklistQuery())
        limited = fetch(cfg, Peer.parse(scp.address), WorklistQuery(), limit=50)
        after = fetch(cfg, Peer.parse(scp.address), WorklistQuery(patient_id="PM007"))
    assert len(everything.items) == 120 and not everything.truncated
    assert len({i.patient_name for i in everything.items}) == 120
    assert len(limited.items) == 50 and limited.truncated
    assert [i.patient_name for i in after.items] == ["Jäger^Nr007"]  # the SCP is fine after our C-CANCEL


# ----------------------------------------------------------------------------------------- CLI


def _config_file(tmp_path: Path, address: str) -> Path:
    path = tmp_path / "smartbox.toml"
    path.write_text(f'[station]\ndata_dir = "{tmp_path / "data"}"\nlanguage = "de"\n'
                    f'[uid]\nroot = "{UID_ROOT}"\n[worklist]\npeer = "{address}"\n', encoding="utf-8")
    return path


def test_cli_table_json_and_stale_cache(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    wl_dir = tmp_path / "wl"
    for name, ds in _items().items():
        peers.write_worklist_item(wl_dir, "WLMSCP", ds, name)
    with peers.wlmscpfs(wl_dir) as scp:
        cfg = str(_config_file(tmp_path, scp.address))
        assert main(["--config", cfg, "worklist", "--date", f"{D0}-{D1}", "--any-station"]) == 0
        fresh = capsys.readouterr()
        assert main(["--config", cfg, "worklist", "--date", D0, "--station", "SMARTBOX", "--json"]) == 0
        rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert "Müller, Jürgen" in fresh.out and "Weiß, Käthe" in fresh.out and "Groß, Björn" in fresh.out
    assert "Auftragsnr." in fresh.out and "Spät" not in fresh.out and fresh.err == ""
    assert sorted(r["patient_name"] for r in rows) == ["Müller^Jürgen", "Straße^Ölaf", "Straße^Ölaf", "Weiß^Käthe"]
    assert all(r["stale"] is False and len(r["item_id"]) == 10 for r in rows)
    # the SCP is gone: the same query answers from the cache, marked stale in the operator's language
    assert main(["--config", cfg, "worklist", "--date", f"{D0}-{D1}", "--any-station"]) == 0
    stale = capsys.readouterr()
    assert stale.out.splitlines()[1:] == fresh.out.splitlines()[1:]
    assert fresh.out.startswith(f"Arbeitsliste {scp.address}: geplante Schritte: 5, Stand ")
    assert stale.out.startswith(f"Arbeitsliste {scp.address}: geplante Schritte: 5 — VERALTET, vor ")
    assert "nicht erreichbar" in stale.err and "gespeicherte Liste" in stale.err
    assert stale.err.count("Hinweis:") == 1 and "WARNING" not in stale.err  # one notice, no log line besides
    # a narrower query (a name, an accession, a day inside the cached range) is cut out of the cached answer
    assert main(["--config", cfg, "worklist", "--date", D0, "--any-station", "--patient-name", "Mül*"]) == 0
    narrow = capsys.readouterr()
    assert narrow.out.splitlines()[0].startswith(f"Arbeitsliste {scp.address}: geplante Schritte: 1 — VERALTET")
    assert narrow.out.splitlines()[3:] == [
        "Müller, Jürgen (m)  12.04.1965  Gastroskopie Schritt 1  14.03.2025 09:30  ACC-MUE      P-MUE         "
        + narrow.out.splitlines()[3].rsplit(" ", 1)[1]]
    assert main(["--config", cfg, "--lang", "en", "worklist", "--date", D0, "--any-station", "--accession",
                 "ACC-STR", "--json"]) == 0
    by_accession = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["accession_number"], r["steps"][0]["description"], r["stale"]) for r in by_accession] == [
        ("ACC-STR", "Gastroskopie", True), ("ACC-STR", "Koloskopie", True)]
    assert main(["--config", cfg, "--lang", "en", "worklist", "--date", D0, "--json"]) == 0
    out = capsys.readouterr()
    assert "unreachable" in out.err and all(json.loads(line)["stale"] for line in out.out.splitlines())
    # a query never asked before has no cached answer: a bilingual error, exit 1
    assert main(["--config", cfg, "worklist", "--date", D2]) == 1
    assert "Keine Verbindung" in capsys.readouterr().err


# ----------------------------------------------------------------------------------------- objects


def _jpeg(path: Path) -> Path:
    Image.fromarray(np.full((48, 64, 3), 120, dtype=np.uint8)).save(path, quality=90)
    return path


def test_created_objects_carry_the_worklist_identity(wlm: peers.WorklistScp, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str],
                                                      dcentvfy_tool: str, dciodvfy_tool: str) -> None:
    cfg_path = _config_file(tmp_path, wlm.address)
    stills = [_jpeg(tmp_path / "a.jpg"), _jpeg(tmp_path / "b.jpg")]
    rc = main(["--config", str(cfg_path), "create", *map(str, stills), "--out", str(tmp_path / "out"),
               "--sop", "vl-endoscopic", "--accession", "ACC-STR", "--json"])
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    paths = [Path(json.loads(line)["path"]) for line in captured.out.splitlines()]
    # the entry names two procedures (Gastroskopie, Koloskopie): the video's region is the operator's choice
    rc = main(["--config", str(cfg_path), "create", str(h264_mp4(tmp_path / "c.mp4")), "--out",
               str(tmp_path / "out"), "--sop", "video-endoscopic", "--accession", "ACC-STR",
               "--anatomic-region", "upper-gi", "--json"])
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    paths += [Path(json.loads(line)["path"]) for line in captured.out.splitlines()]
    assert len(paths) == 3
    objs = [peers.read_back(p) for p in paths]
    cfg = _cfg(tmp_path)
    cache = WorklistCache(tmp_path / "c.json")
    item = merge_steps(list(lookup(cfg, peer=Peer.parse(wlm.address), cache=cache, accession_number="ACC-STR").items))
    assert len(item.steps) == 2
    for ds in objs:
        assert (str(ds.PatientName), ds.PatientID, ds.IssuerOfPatientID, ds.PatientBirthDate, ds.PatientSex) == (
            "Straße^Ölaf", "P-STR", "KLINIKUM", "19650412", "M")
        assert ds.StudyInstanceUID == STR_UID  # the worklist's, never a new one
        assert ds.AccessionNumber == "ACC-STR"
        assert str(ds.ReferringPhysicianName) == "Schäfer^Günther^^Dr."
        assert ds.StudyID == "RP-STR"
        assert ds.StudyDescription == "Ösophago-Gastro-Duodenoskopie"
        assert [(c.CodeValue, c.CodingSchemeDesignator, c.CodeMeaning) for c in ds.ProcedureCodeSequence] == [
            ("GAS01", "99KLIN", "Gastroskopie mit Biopsie")]
        ra = ds.RequestAttributesSequence
        assert [r.ScheduledProcedureStepID for r in ra] == ["SPS-STR-1", "SPS-STR-2"]
        assert [r.ScheduledProcedureStepDescription for r in ra] == ["Gastroskopie", "Koloskopie"]
        assert [r.ScheduledProtocolCodeSequence[0].CodeValue for r in ra] == ["PROT1", "PROT1"]
        assert all(r.RequestedProcedureID == "RP-STR" and r.AccessionNumber == "ACC-STR"
                   and r.StudyInstanceUID == STR_UID for r in ra)
        assert ds.ReferencedStudySequence[0].ReferencedSOPInstanceUID == STR_UID
        assert ds.PerformedProcedureStepDescription == "Gastroskopie; Koloskopie"
        assert ds.SpecificCharacterSet == "ISO_IR 100"
    for keyword in ("PerformedProcedureStepID", "PerformedProcedureStepStartDate",
                    "PerformedProcedureStepStartTime", "StudyDate", "StudyTime"):
        assert len({str(ds.get(keyword)) for ds in objs}) == 1, keyword
    assert len({ds.ReferencedPerformedProcedureStepSequence[0].ReferencedSOPInstanceUID for ds in objs}) == 1
    series = {ds.SOPClassUID: ds.SeriesInstanceUID for ds in objs}
    assert len(series) == 2 and len(set(series.values())) == 2  # one series per media kind
    assert len({ds.SeriesInstanceUID for ds in objs}) == 2
    assert peers.dcentvfy(paths).errors == []
    for path in paths:
        assert peers.dciodvfy(path).errors == [], path


def test_create_with_worklist_item_id_and_unknown_accession(wlm: peers.WorklistScp, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    cfg_path = str(_config_file(tmp_path, "NOWHERE@127.0.0.1:1"))
    assert main(["--config", cfg_path, "worklist", "--from", wlm.address, "--date", "any", "--any-station",
                 "--patient-name", "Weiß*", "--json"]) == 0
    row = json.loads(capsys.readouterr().out.splitlines()[0])
    rc = main(["--config", cfg_path, "create", str(_jpeg(tmp_path / "x.jpg")), "--out", str(tmp_path / "o"),
               "--worklist-item", row["item_id"], "--from", wlm.address, "--json"])
    out = capsys.readouterr()
    assert rc == 0, out.err
    ds = peers.read_back(Path(json.loads(out.out.splitlines()[0])["path"]))
    assert (str(ds.PatientName), ds.AccessionNumber) == ("Weiß^Käthe", "ACC-WEI")
    rc = main(["--config", cfg_path, "create", str(tmp_path / "x.jpg"), "--out", str(tmp_path / "o"),
               "--accession", "NO-SUCH", "--from", wlm.address])
    err = capsys.readouterr().err
    assert rc == 1 and err.startswith("Fehler: Kein Worklist-Eintrag passt zu der Auftragsnummer NO-SUCH."), err
    assert "accession" not in err  # no English fragment in German text (issue 12, item 5)


# ----------------------------------------------------------------------------------------- Orthanc


@pytest.fixture(scope="module")
def orthanc_wl(tmp_path_factory: pytest.TempPathFactory) -> Iterator[peers.OrthancPeer]:
    base = tmp_path_factory.mktemp("orthanc-wl")
    wl_dir = base / "worklists"
    wl_dir.mkdir()
    items = _items()
    both = items.pop("strasse1")
    both.ScheduledProcedureStepSequence.append(items.pop("strasse2").ScheduledProcedureStepSequence[0])
    items["strasse"] = both  # Orthanc: one file, two SPS items
    for name, ds in items.items():
        ds.save_as(wl_dir / f"{name}.wl", implicit_vr=True, little_endian=True, enforce_file_format=False)
    with peers.orthanc(base / "orthanc", worklist_dir=wl_dir) as pacs:
        yield pacs


def test_orthanc_answers_in_another_charset_than_the_query(orthanc_wl: peers.OrthancPeer, tmp_path: Path) -> None:
    cfg = _cfg(tmp_path, name_match="scp", query_character_set="ISO_IR 192")
    result = fetch(cfg, Peer.parse(orthanc_wl.address), WorklistQuery(patient_name="Mül*"))
    assert [i.patient_name for i in result.items] == ["Müller^Jürgen"]  # stored as UTF-8, asked in UTF-8 …
    assert result.items[0].character_set == "ISO_IR 100"  # … answered in Latin-1
    assert result.items[0].steps[0].performing_physician_name == "Weiß^Anna"
    latin = _cfg(tmp_path, name_match="scp")
    assert _names(latin, orthanc_wl.address, WorklistQuery(patient_name="Straß*")) == ["Straße^Ölaf"]


def test_orthanc_filters_and_several_sps(orthanc_wl: peers.OrthancPeer, tmp_path: Path) -> None:
    cfg = _cfg(tmp_path)
    everything = fetch(cfg, Peer.parse(orthanc_wl.address), WorklistQuery())
    assert sorted(i.patient_name for i in everything.items) == [
        "Groß^Björn", "Müller^Jürgen", "Spät^Anna", "Straße^Ölaf", "Weiß^Käthe"]
    assert _names(cfg, orthanc_wl.address, WorklistQuery(scheduled_date=f"{D1}-{D2}")) == ["Groß^Björn", "Spät^Anna"]
    assert _names(cfg, orthanc_wl.address, WorklistQuery(station_ae_title="OTHER")) == ["Groß^Björn"]
    assert _names(cfg, orthanc_wl.address, WorklistQuery(patient_name="Wei*")) == ["Weiß^Käthe"]
    assert _names(cfg, orthanc_wl.address, WorklistQuery(patient_id="NOBODY")) == []
    strasse = next(i for i in everything.items if i.accession_number == "ACC-STR")
    assert [s.sps_id for s in strasse.steps] == ["SPS-STR-1", "SPS-STR-2"]
    exam = to_exam(strasse, uid_root=cfg.uid.root)
    assert exam.study.study_instance_uid == STR_UID
    assert [r.ScheduledProcedureStepID for r in exam.study.sequences["RequestAttributesSequence"]] == [
        "SPS-STR-1", "SPS-STR-2"]
