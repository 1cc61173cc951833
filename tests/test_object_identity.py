"""Issue 11, items 5 and 6: never a wrong-patient object; the equipment names itself truthfully.

A hand-typed identity that disagrees with the worklist entry the exam refers to (``--accession``,
``--worklist-item``) is refused with both identities shown, in the operator's language; only
``--override-worklist`` gets past it, and that is logged without patient data and kept with the exam, so
``smartbox queue show`` tells. Station Name follows the configured station; the Implementation Class UID is the
product's own (PS3.7 D.3.3.2) and the conformance statement shows it. Real wlmscpfs, real objects.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import peers
import pytest
from objects_check import check
from PIL import Image
from test_worklist_units import UID_ROOT, make_item

from smartbox_next.cli import main
from smartbox_next.dicom.uid import IMPLEMENTATION_CLASS_UID
from smartbox_next.worklist.item import WorklistItem

MUELLER = ("Müller^Jürgen", "P-1001", "19650412", "M")


@pytest.fixture(scope="module")
def worklist(tmp_path_factory: pytest.TempPathFactory) -> Iterator[peers.WorklistScp]:
    wl_dir = tmp_path_factory.mktemp("wlm-identity") / "worklist"
    peers.write_worklist_item(wl_dir, "WLMSCP", make_item(MUELLER[0], acc="ACC-1001", pid=MUELLER[1],
                                                          charset="ISO_IR 192"), "mueller")
    with peers.wlmscpfs(wl_dir) as scp:
        yield scp


def _config(tmp_path: Path, address: str, station: str = "") -> Path:
    path = tmp_path / "smartbox.toml"
    path.write_text(f'[station]\ndata_dir = "{tmp_path / "data"}"\n{station}[uid]\nroot = "{UID_ROOT}"\n'
                    f'[worklist]\npeer = "{address}"\n[outbox]\nfolder = "{tmp_path / "share"}"\n', encoding="utf-8")
    return path


def _jpeg(path: Path) -> Path:
    Image.fromarray(np.full((48, 64, 3), 120, dtype=np.uint8)).save(path, quality=90)
    return path


def _paths(out: str) -> list[Path]:
    return [Path(json.loads(line)["path"]) for line in out.splitlines() if line.startswith("{")]


@pytest.mark.parametrize("lang", ["de", "en"])
def test_accession_with_another_patient_is_refused(worklist: peers.WorklistScp, tmp_path: Path, lang: str,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """create --accession ACC-1001 --patient-name Other^Person wrote Müller's accession under another name."""
    cfg = str(_config(tmp_path, worklist.address))
    out = tmp_path / "out"
    rc = main(["--config", cfg, "--lang", lang, "create", str(_jpeg(tmp_path / "a.jpg")), "--out", str(out),
               "--accession", "ACC-1001", "--patient-name", "Other^Person", "--patient-id", "P-9"])
    err = capsys.readouterr().err
    assert rc == 1
    assert "Other^Person" in err and "Müller^Jürgen" in err and "P-9" in err and "P-1001" in err  # both shown
    assert "--override-worklist" in err
    assert ("Worklist-Eintrag" in err and "Patientenarmband" in err) if lang == "de" else "wristband" in err
    assert not out.exists() or not list(out.rglob("*.dcm"))


def test_worklist_item_with_another_birth_date_is_refused(worklist: peers.WorklistScp, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    cfg = str(_config(tmp_path, worklist.address))
    item_id = WorklistItem.from_dataset(make_item(MUELLER[0], acc="ACC-1001", pid=MUELLER[1])).item_id
    rc = main(["--config", cfg, "--lang", "en", "create", str(_jpeg(tmp_path / "a.jpg")), "--out",
               str(tmp_path / "o"), "--worklist-item", item_id, "--birth-date", "19700101"])
    assert rc == 1 and "Birth Date" in capsys.readouterr().err


def test_agreeing_identity_uses_the_worklist_entry(worklist: peers.WorklistScp, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str], standard_tables: Path) -> None:
    cfg = str(_config(tmp_path, worklist.address))
    rc = main(["--config", cfg, "create", str(_jpeg(tmp_path / "a.jpg")), "--out", str(tmp_path / "o"),
               "--accession", "ACC-1001", "--patient-name", "MUELLER^JUERGEN", "--patient-id", "P-1001", "--json"])
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    ds = check(_paths(captured.out)[0], standard_tables)
    assert (str(ds.PatientName), ds.PatientID, ds.AccessionNumber) == ("Müller^Jürgen", "P-1001", "ACC-1001")
    assert ds.IssuerOfPatientID == "KLINIKUM"  # the worklist entry's identity, verbatim


def test_override_is_explicit_logged_without_patient_data_and_shown_by_queue_show(
        worklist: peers.WorklistScp, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        caplog: pytest.LogCaptureFixture, standard_tables: Path) -> None:
    cfg = str(_config(tmp_path, worklist.address))
    with caplog.at_level(logging.INFO):
        rc = main(["--config", cfg, "--lang", "en", "export", str(_jpeg(tmp_path / "a.jpg")), "--accession",
                   "ACC-1001", "--patient-name", "Müller^Jürgen^Karl", "--override-worklist", "--json"])
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    [row] = [json.loads(line) for line in captured.out.splitlines() if line.startswith("{")]
    ds = check(Path(row["path"]), standard_tables)
    assert str(ds.PatientName) == "Müller^Jürgen^Karl" and ds.PatientID == "P-1001"
    assert ds.AccessionNumber == "ACC-1001"
    logged = [r.getMessage() for r in caplog.records if "override" in r.getMessage()]
    assert logged and all("Müller" not in m and "Karl" not in m and "P-1001" not in m for m in logged)
    assert all("Müller" not in r.getMessage() for r in caplog.records if r.levelno >= logging.INFO)
    assert main(["--config", cfg, "--lang", "en", "queue", "show", str(row["jobs"][0]), "--json"]) == 0
    job = json.loads(capsys.readouterr().out.splitlines()[0])
    assert job["identity_override"]["fields"] == ["PatientName"]
    assert main(["--config", cfg, "--lang", "en", "queue", "show", str(row["jobs"][0])]) == 0
    assert "overrides worklist entry" in capsys.readouterr().out
    # a second run for the same study still tells (the override is kept with the exam)
    assert main(["--config", cfg, "export", str(_jpeg(tmp_path / "b.jpg")), "--accession", "ACC-1001",
                 "--patient-name", "Müller^Jürgen^Karl", "--override-worklist", "--json"]) == 0
    capsys.readouterr()
    assert main(["--config", cfg, "--lang", "de", "queue", "show", str(row["jobs"][0])]) == 0
    assert "ersetzt den Worklist-Eintrag" in capsys.readouterr().out


def test_override_needs_a_worklist_reference(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--lang", "en", "create", str(_jpeg(tmp_path / "a.jpg")), "--out", str(tmp_path / "o"),
                 "--patient-id", "P1", "--override-worklist"]) == 2
    assert "--override-worklist only applies" in capsys.readouterr().err


def test_accession_not_in_the_worklist_is_the_operators_own(worklist: peers.WorklistScp, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    cfg = str(_config(tmp_path, worklist.address))
    assert main(["--config", cfg, "create", str(_jpeg(tmp_path / "a.jpg")), "--out", str(tmp_path / "o"),
                 "--accession", "ACC-OWN-7", "--patient-id", "P-7", "--json"]) == 0
    ds = peers.read_back(_paths(capsys.readouterr().out)[0])
    assert (ds.PatientID, ds.AccessionNumber) == ("P-7", "ACC-OWN-7")


def test_unreachable_worklist_cannot_confirm_a_typed_identity(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    cfg = str(_config(tmp_path, f"NOBODY@127.0.0.1:{peers.free_port()}"))
    assert main(["--config", cfg, "--lang", "en", "create", str(_jpeg(tmp_path / "a.jpg")), "--out",
                 str(tmp_path / "o"), "--accession", "ACC-1001", "--patient-id", "P-9"]) == 1
    assert "cannot be checked against the worklist entry" in capsys.readouterr().err
    assert main(["--config", cfg, "--lang", "de", "create", str(_jpeg(tmp_path / "a.jpg")), "--out",
                 str(tmp_path / "o"), "--accession", "ACC-1001", "--patient-id", "P-9"]) == 1
    err = capsys.readouterr().err
    assert "kann nicht mit dem Worklist-Eintrag" in err and "Keine Verbindung" in err  # no English fragment


# ------------------------------------------------------------------------------------------- equipment


def test_station_name_follows_the_station_and_the_implementation_uid_is_ours(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], standard_tables: Path) -> None:
    """Station Name stayed "SMARTBOX" after ae_title was set; the Implementation Class UID was pydicom's root."""
    cfg = tmp_path / "smartbox.toml"
    cfg.write_text('[station]\nae_title = "ENDO_OR3"\n', encoding="utf-8")
    assert main(["--config", str(cfg), "create", str(_jpeg(tmp_path / "a.jpg")), "--out", str(tmp_path / "o"),
                 "--patient-id", "P1", "--json"]) == 0
    ds = check(_paths(capsys.readouterr().out)[0], standard_tables)
    assert ds.StationName == "ENDO_OR3"
    assert ds.file_meta.ImplementationClassUID == IMPLEMENTATION_CLASS_UID
    assert not IMPLEMENTATION_CLASS_UID.startswith("1.2.826.0.1.3680043.8.498.")
    assert ds.file_meta.SourceApplicationEntityTitle == "ENDO_OR3"
    cfg.write_text('[station]\nae_title = "ENDO_OR3"\nstation_name = "OP-Saal 3"\n', encoding="utf-8")
    assert main(["--config", str(cfg), "create", str(_jpeg(tmp_path / "b.jpg")), "--out", str(tmp_path / "o"),
                 "--patient-id", "P1", "--json"]) == 0
    assert peers.read_back(_paths(capsys.readouterr().out)[0]).StationName == "OP-Saal 3"
    statement = (Path(__file__).resolve().parents[1] / "docs" / "conformance.md").read_text(encoding="utf-8")
    assert f"| Implementation Class UID | {IMPLEMENTATION_CLASS_UID} |" in statement
