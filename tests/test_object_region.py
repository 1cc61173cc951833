"""Issue 11, item 2: the Anatomic Region comes from the exam, never invented (PS3.3 C.8.12.1, A.32.5.4.3, CID 4040).

Order: ``--anatomic-region``; the worklist entry (procedure code, protocol code, descriptions in German or
English, through the built-in table and the site's ``[procedure_regions]``); a station default only where the
site set one. Without any, a video object is refused with a bilingual message; nothing is guessed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import media_factory as mf
import numpy as np
import peers
import pytest
from objects_check import check
from PIL import Image
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence as DicomSequence
from test_worklist_units import UID_ROOT, make_item

from smartbox_next.cli import main
from smartbox_next.config import config_from_mapping
from smartbox_next.dicom.anatomy import REGION_NAMES, cid_4040, parse_region
from smartbox_next.errors import ConfigError, InputError
from smartbox_next.worklist.item import WorklistItem
from smartbox_next.worklist.regions import RegionRules, region_for

BUILT_IN = RegionRules.from_config({})


def _item(description: str = "", *, sps: str = "", codes: tuple[tuple[str, str, str], ...] = ()) -> WorklistItem:
    ds = make_item("Müller^Jürgen", rp_description=description, steps=({"description": sps},))
    if codes:
        items = []
        for value, scheme, meaning in codes:
            code = Dataset()
            code.CodeValue, code.CodingSchemeDesignator, code.CodeMeaning = value, scheme, meaning
            items.append(code)
        ds.RequestedProcedureCodeSequence = DicomSequence(items)
    else:
        del ds.RequestedProcedureCodeSequence
    for step in ds.ScheduledProcedureStepSequence:
        del step.ScheduledProtocolCodeSequence
    return WorklistItem.from_dataset(ds)


def test_every_built_in_name_is_a_code_of_cid_4040() -> None:
    assert {(r.scheme, r.value) for r in REGION_NAMES.values()} <= cid_4040()
    assert {"colon", "upper-gi", "bronchus", "bladder"} <= set(REGION_NAMES)


def test_every_region_gives_a_valid_object(tmp_path: Path, standard_tables: Path) -> None:
    """Laterality (2C) empty for sided regions, absent otherwise: dciodvfy and dicom-validator agree for each."""
    from smartbox_next.capture.image import load_still
    from smartbox_next.config import Config
    from smartbox_next.dicom import sop as sops
    from smartbox_next.exam.model import Exam, Patient, Study
    from smartbox_next.iod.created import write_object
    from smartbox_next.iod.still import StillCapture, build_still

    image = load_still(_jpeg(tmp_path / "a.jpg"))
    for region in dict.fromkeys(REGION_NAMES.values()):
        exam = Exam(Patient("Müller^Jürgen", "P-LAT"), Study.new(), anatomic_region=region)
        ds = build_still(Config(), exam, StillCapture(image=image), sops.VL_ENDOSCOPIC)
        assert ("Laterality" in ds) == region.paired
        back = check(write_object(ds, tmp_path / "out").path, standard_tables)
        assert back.AnatomicRegionSequence[0].CodeValue == region.value


@pytest.mark.parametrize(("text", "name"), [
    ("Koloskopie", "colon"), ("Ileokoloskopie mit Polypektomie", "colon"), ("Colonoscopy", "colon"),
    ("ÖGD", "upper-gi"), ("OGD", "upper-gi"), ("Gastroskopie", "upper-gi"),
    ("Ösophago-Gastro-Duodenoskopie", "upper-gi"),
    ("EGD with biopsy", "upper-gi"), ("Bronchoskopie", "bronchus"), ("Bronchoscopy, BAL", "bronchus"),
    ("Zystoskopie", "bladder"), ("Cystoscopy", "bladder"), ("ERCP", "biliary"), ("Laryngoskopie", "larynx"),
    ("Rektosigmoidoskopie", "lower-gi"), ("Sigmoidoskopie", "sigmoid"), ("Kolposkopie", "cervix"),
])
def test_procedure_words_map_to_cid_4040(text: str, name: str) -> None:
    match = region_for(_item(text), BUILT_IN)
    assert match.region == REGION_NAMES[name], text


@pytest.mark.parametrize("text", ["Sonographie Abdomen", "", "Kapselendoskopie", "PEG-Anlage"])
def test_unknown_procedures_name_no_region(text: str) -> None:
    assert region_for(_item(text), BUILT_IN).regions == ()


def test_two_procedures_are_ambiguous() -> None:
    match = region_for(_item("ÖGD und Koloskopie"), BUILT_IN)
    assert match.ambiguous and match.region is None
    assert set(match.regions) == {REGION_NAMES["upper-gi"], REGION_NAMES["colon"]}


def test_codes_decide_before_texts_and_the_site_table_first() -> None:
    colonoscopy = (("73761001", "SCT", "Colonoscopy"),)
    assert region_for(_item("Gastroskopie", codes=colonoscopy), BUILT_IN).region == REGION_NAMES["colon"]
    site = RegionRules.from_config({"99KLIN:BRO7": "bronchus", "Pouchoskopie": "SCT:34402009:Rectum"})
    assert region_for(_item("irgendwas", codes=(("BRO7", "99KLIN", "Spiegelung"),)), site).region == \
        REGION_NAMES["bronchus"]
    assert region_for(_item("Pouchoskopie"), site).region == REGION_NAMES["rectum"]
    assert region_for(_item(sps="Zystoskopie"), BUILT_IN).region == REGION_NAMES["bladder"]  # SPS description


def test_region_names_and_codes_parse_and_unknown_ones_are_refused() -> None:
    assert parse_region("Upper GI") == REGION_NAMES["upper-gi"]
    assert str(parse_region("SCT:14742008:Large intestine")) == "SCT:14742008:Large intestine"
    with pytest.raises(InputError) as info:
        parse_region("Magen")
    assert info.value.key == "region.unknown" and "colon" in info.value.text("de")
    assert info.value.text("de") != info.value.text("en")


def test_the_old_colon_default_setting_is_refused_by_name() -> None:
    for data, env in (({"video": {"anatomic_region_endoscopic": "SCT:14742008:Large intestine"}}, {}),
                      ({}, {"SMARTBOX_VIDEO_ANATOMIC_REGION_ENDOSCOPIC": "SCT:14742008:Large intestine"})):
        with pytest.raises(ConfigError) as info:
            config_from_mapping(data, env)
        assert info.value.key == "config.setting_moved"
        assert "objects.anatomic_region" in info.value.text("en") and "Stationsstandard" in info.value.text("de")
    assert config_from_mapping({}).objects.anatomic_region == ""  # no built-in default
    with pytest.raises(ConfigError):
        config_from_mapping({"procedure_regions": {"Koloskopie": "Dickdarm"}})


# ------------------------------------------------------------------------------------------- end to end


def _jpeg(path: Path) -> Path:
    Image.fromarray(np.full((48, 64, 3), 120, dtype=np.uint8)).save(path, quality=90)
    return path


def _regions(path: Path) -> list[tuple[str, str, str]]:
    ds = peers.read_back(path)
    return [(str(c.CodingSchemeDesignator), str(c.CodeValue), str(c.CodeMeaning))
            for c in ds.get("AnatomicRegionSequence", [])]


def _rows(out: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


@pytest.mark.parametrize("lang", ["de", "en"])
def test_video_without_a_region_is_refused(tmp_path: Path, lang: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Every Video Endoscopic object said SCT 14742008 'Large intestine', from a configuration default."""
    clip = mf.h264_mp4(tmp_path / "clip.mp4", frames=5)
    out = tmp_path / "out"
    assert main(["--lang", lang, "create", str(clip), "--out", str(out), "--patient-id", "P-R1"]) == 1
    err = capsys.readouterr().err
    assert "--anatomic-region" in err and "region" in err.lower()
    assert ("keine bekannt" in err) if lang == "de" else ("none is known" in err)
    assert not out.exists() or not list(out.rglob("*.dcm"))


def test_operator_region_reaches_videos_and_stills(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                  standard_tables: Path) -> None:
    clip, still = mf.h264_mp4(tmp_path / "clip.mp4", frames=5), _jpeg(tmp_path / "a.jpg")
    for sop, src in (("video-endoscopic", clip), ("vl-endoscopic", still), ("sc", still)):
        assert main(["create", str(src), "--out", str(tmp_path / "out"), "--sop", sop, "--patient-id", "P-R2",
                     "--anatomic-region", "bronchus", "--json"]) == 0
        [row] = _rows(capsys.readouterr().out)
        path = Path(str(row["path"]))
        assert _regions(path) == [("SCT", "955009", "Bronchus")]
        check(path, standard_tables)
    assert main(["--lang", "en", "create", str(clip), "--out", str(tmp_path / "o2"), "--patient-id", "P-R2",
                 "--anatomic-region", "Magen"]) == 1
    assert "'Magen' is not an anatomic region" in capsys.readouterr().err


def test_station_default_only_where_the_site_set_one(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "smartbox.toml"
    cfg.write_text('[objects]\nanatomic_region = "bladder"\n', encoding="utf-8")
    clip = mf.h264_mp4(tmp_path / "clip.mp4", frames=5)
    assert main(["--config", str(cfg), "create", str(clip), "--out", str(tmp_path / "out"), "--patient-id",
                 "P-R3", "--json"]) == 0
    assert _regions(Path(str(_rows(capsys.readouterr().out)[0]["path"]))) == [("SCT", "89837001", "Bladder")]
    still = _jpeg(tmp_path / "a.jpg")  # without any region a still carries none (and stays valid)
    assert main(["create", str(still), "--out", str(tmp_path / "o2"), "--sop", "vl-endoscopic", "--patient-id",
                 "P-R3", "--json"]) == 0
    assert _regions(Path(str(_rows(capsys.readouterr().out)[0]["path"]))) == []


@pytest.fixture(scope="module")
def worklist(tmp_path_factory: pytest.TempPathFactory) -> Iterator[peers.WorklistScp]:
    wl_dir = tmp_path_factory.mktemp("wlm-region") / "worklist"
    for name, acc, description, sps in (("Bronchial^Berta", "ACC-BRO", "Bronchoskopie", "Bronchoskopie mit BAL"),
                                        ("Doppel^Dora", "ACC-TWO", "ÖGD und Koloskopie", "ÖGD"),
                                        ("Leer^Lena", "ACC-NONE", "Sonographie", "Sonographie")):
        ds = make_item(name, acc=acc, pid=f"P-{acc}", rp_description=description,
                       steps=({"description": sps},), charset="ISO_IR 192")
        del ds.RequestedProcedureCodeSequence
        peers.write_worklist_item(wl_dir, "WLMSCP", ds, acc)
    with peers.wlmscpfs(wl_dir) as scp:
        yield scp


def _config(tmp_path: Path, address: str, extra: str = "") -> Path:
    path = tmp_path / "smartbox.toml"
    path.write_text(f'[station]\ndata_dir = "{tmp_path / "data"}"\n[uid]\nroot = "{UID_ROOT}"\n'
                    f'[worklist]\npeer = "{address}"\n{extra}', encoding="utf-8")
    return path


def test_region_from_the_worklist_entry(worklist: peers.WorklistScp, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str], standard_tables: Path) -> None:
    cfg = str(_config(tmp_path, worklist.address, '[objects]\nanatomic_region = "colon"\n'))
    clip = mf.h264_mp4(tmp_path / "clip.mp4", frames=5)
    assert main(["--config", cfg, "create", str(clip), "--out", str(tmp_path / "out"), "--accession", "ACC-BRO",
                 "--json"]) == 0
    path = Path(str(_rows(capsys.readouterr().out)[0]["path"]))
    assert _regions(path) == [("SCT", "955009", "Bronchus")]  # the procedure wins over the station default
    check(path, standard_tables)
    # an entry naming two regions: the station default is not used, the operator is asked
    assert main(["--config", cfg, "--lang", "en", "create", str(clip), "--out", str(tmp_path / "o2"),
                 "--accession", "ACC-TWO"]) == 1
    err = capsys.readouterr().err
    assert "more than one anatomic region" in err and "Large intestine" in err
    assert main(["--config", cfg, "create", str(clip), "--out", str(tmp_path / "o3"), "--accession", "ACC-TWO",
                 "--anatomic-region", "upper-gi", "--json"]) == 0
    assert _regions(Path(str(_rows(capsys.readouterr().out)[0]["path"]))) == [
        ("SCT", "110861005", "Esophagus, stomach and duodenum")]
    # an entry naming none: the station default applies
    assert main(["--config", cfg, "create", str(clip), "--out", str(tmp_path / "o4"), "--accession", "ACC-NONE",
                 "--json"]) == 0
    assert _regions(Path(str(_rows(capsys.readouterr().out)[0]["path"]))) == [("SCT", "14742008", "Large intestine")]


def test_site_table_maps_a_local_procedure(worklist: peers.WorklistScp, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    cfg = str(_config(tmp_path, worklist.address, '[procedure_regions]\n"Sonographie" = "abdomen"\n'))
    clip = mf.h264_mp4(tmp_path / "clip.mp4", frames=5)
    assert main(["--config", cfg, "create", str(clip), "--out", str(tmp_path / "out"), "--accession", "ACC-NONE",
                 "--json"]) == 0
    assert _regions(Path(str(_rows(capsys.readouterr().out)[0]["path"]))) == [
        ("SCT", "818987002", "Intra-abdominopelvic")]
