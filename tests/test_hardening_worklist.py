"""Hardening: values from a worklist server are hostile until validated (issue 17, items 1, 5, 10).

Every test runs ``smartbox`` as a real process against a scripted hostile MWL SCP on 127.0.0.1
(tests/hostile_mwl.py): what no real RIS sends, but a broken or compromised one could.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hostile_mwl import answer, hostile_mwl
from PIL import Image
from processes import run_smartbox, station_env


def _jpeg(path: Path) -> Path:
    Image.new("RGB", (64, 48), (120, 60, 30)).save(path, "JPEG", quality=90)
    return path


def _tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


@pytest.mark.parametrize("command", ["create", "export"])
@pytest.mark.parametrize("bad_uid", ["../../evil", "ABSOLUTE", "1.2.3/../../../evil", "1.2..3"])
def test_a_study_uid_that_is_a_path_is_refused_and_nothing_is_written_outside(
        tmp_path: Path, bad_uid: str, command: str) -> None:
    """Item 1: the exam journal was written to <data>/exams/<StudyInstanceUID>.json before the UID was checked."""
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "settings.json").write_text('{"keep": true}')
    victim.chmod(0o755)
    if bad_uid == "ABSOLUTE":
        bad_uid = str(victim / "settings")
    data = tmp_path / "station" / "data"
    image = _jpeg(tmp_path / "still.jpg")
    before = _tree(tmp_path)
    with hostile_mwl([answer(study_uid=bad_uid)]) as ris:
        env = station_env(data, {"pacs": "PACS@127.0.0.1:9"}, SMARTBOX_WORKLIST_PEER=ris.address)
        args = [command, str(image), "--accession", "ACC-EVIL"]
        if command == "create":
            args += ["--out", str(tmp_path / "out")]
        result = run_smartbox(*args, env=env)
    assert result.returncode == 1, result.stderr
    assert "Study Instance UID" in result.stderr and "ACC-EVIL" not in result.stdout
    assert (victim / "settings.json").read_text() == '{"keep": true}'
    assert oct(victim.stat().st_mode & 0o777) == "0o755"
    new = _tree(tmp_path) - before
    inside = ("station/data", "out")
    outside = [p for p in new if p != "station" and not any(p == d or p.startswith(d + "/") for d in inside)]
    assert outside == [], outside
    assert not list(tmp_path.rglob("*.dcm"))
    assert not list(tmp_path.rglob("evil*"))


def test_the_refusal_is_bilingual_and_escapes_the_value(tmp_path: Path) -> None:
    with hostile_mwl([answer(study_uid="../../\x1b[2Jevil")]) as ris:
        for lang, word in (("en", "Error"), ("de", "Fehler")):
            env = station_env(tmp_path / f"data-{lang}", lang=lang, SMARTBOX_WORKLIST_PEER=ris.address)
            result = run_smartbox("create", str(_jpeg(tmp_path / "s.jpg")), "--out", str(tmp_path / "out"),
                                  "--accession", "ACC-EVIL", env=env)
            assert result.returncode == 1
            assert result.stderr.startswith(word), result.stderr
            assert "\x1b" not in result.stderr and "\\x1b" in result.stderr


def test_an_unknown_character_set_never_becomes_a_garbled_name(tmp_path: Path) -> None:
    """Item 5: ISO_IR 999 with UTF-8 bytes became 'GrÃ¼n^Patientin' in the object, exit 0."""
    raw = "Grün^Patientin".encode()
    with hostile_mwl([answer(name=raw, charset="ISO_IR 999")]) as ris:
        env = station_env(tmp_path / "data", SMARTBOX_WORKLIST_PEER=ris.address)
        result = run_smartbox("create", str(_jpeg(tmp_path / "s.jpg")), "--out", str(tmp_path / "out"),
                              "--accession", "ACC-EVIL", env=env)
        assert result.returncode == 1, result.stdout
        assert "ISO_IR 999" in result.stderr and "Ã" not in result.stderr + result.stdout
        assert not list((tmp_path / "out").glob("*.dcm")) if (tmp_path / "out").exists() else True
        # a fallback that decodes the bytes cleanly is used, as configured
        env = station_env(tmp_path / "data2", SMARTBOX_WORKLIST_PEER=ris.address,
                          SMARTBOX_WORKLIST_FALLBACK_CHARACTER_SET="ISO_IR 192")
        result = run_smartbox("create", str(_jpeg(tmp_path / "s.jpg")), "--out", str(tmp_path / "out2"),
                              "--accession", "ACC-EVIL", "--json", env=env)
    assert result.returncode == 0, result.stderr
    import pydicom

    [obj] = list((tmp_path / "out2").glob("*.dcm"))
    assert str(pydicom.dcmread(obj).PatientName) == "Grün^Patientin"


def test_control_characters_from_the_ris_are_escaped_on_the_terminal(tmp_path: Path) -> None:
    """Item 10: names with ESC sequences were printed to the terminal as they are."""
    with hostile_mwl([answer(name="Evil\x1b]0;pwned\x07^Name\x1b[31m", study_uid="1.2.3.4")]) as ris:
        env = station_env(tmp_path / "data", SMARTBOX_WORKLIST_PEER=ris.address)
        result = run_smartbox("worklist", "--date", "any", "--any-station", env=env)
    assert result.returncode == 0, result.stderr
    assert "\x1b" not in result.stdout + result.stderr and "\x07" not in result.stdout
    assert "Evil" in result.stdout and "\\x1b" in result.stdout


@pytest.mark.parametrize("extra", [["--patient-id", "P-1"], ["--patient-name", "Muster^Max"],
                                   ["--birth-date", "19700101"], ["--sex", "F"]])
def test_emergency_together_with_a_patient_is_refused(tmp_path: Path, extra: list[str]) -> None:
    """Item 10: --emergency with --patient-id silently dropped the given patient."""
    for lang, word in (("en", "emergency"), ("de", "Notfall")):
        env = station_env(tmp_path / "data", lang=lang)
        result = run_smartbox("create", str(_jpeg(tmp_path / "s.jpg")), "--out", str(tmp_path / "out"),
                              "--emergency", *extra, env=env)
        assert result.returncode == 2, result.stdout
        assert word in result.stderr and extra[0] in result.stderr
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").glob("*.dcm"))


def test_libraries_stay_quiet_however_late_they_are_imported() -> None:
    """pydicom is imported inside the commands (issue 13); its import resets its logger's level to WARNING,
    which let a hostile UID reach the terminal raw. The CLI's filter must survive that import."""
    import subprocess
    import sys

    code = ("from smartbox_next.cli._app import quiet_libraries; import logging; logging.basicConfig(); "
            "quiet_libraries(); import pydicom, pynetdicom; "
            "logging.getLogger('pydicom').warning('VALUE \\x1b[2J'); logging.getLogger('pynetdicom').error('X')")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert "VALUE" not in result.stderr and "X" not in result.stderr, result.stderr
