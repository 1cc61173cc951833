"""``smartbox config show``: effective configuration; a bad value -> exit 1 with a bilingual message."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from smartbox_next.cli import main

pytestmark = pytest.mark.usefixtures("clean_env")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_show_defaults(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "config", "show")
    assert code == 0, err
    assert "[station]" in out and 'ae_title = "SMARTBOX"' in out and 'language = "de"' in out
    assert "[peers]" in out


def test_show_json_with_file_and_env(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "sb.toml"
    path.write_text('[station]\nae_title = "ENDO1"\ninstitution_name = "Klinikum Süd"\n'
                    '[peers]\npacs = "PACS@10.0.0.5:104"\n', encoding="utf-8")
    monkeypatch.setenv("SMARTBOX_OBJECTS_JPEG_QUALITY", "77")
    monkeypatch.setenv("SMARTBOX_PEERS_MWL", "RIS@ris.local:107")
    code, out, err = run(capsys, "--config", str(path), "config", "show", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["station"]["ae_title"] == "ENDO1"
    assert data["station"]["institution_name"] == "Klinikum Süd"
    assert data["objects"]["jpeg_quality"] == 77
    assert data["peers"] == {"pacs": {"address": "PACS@10.0.0.5:104", "tls": False, "roles": ["storage"]},
                             "mwl": {"address": "RIS@ris.local:107", "tls": False, "roles": ["storage"]}}


def test_show_roles(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "sb.toml"
    path.write_text('[worklist]\npeer = "ris"\n[peers]\nris = "RIS@10.1.2.9:104"\n'
                    '[peers.pacs]\naddress = "PACS@10.1.2.3:104"\nroles = ["commitment", "storage"]\n'
                    '[peers."old archive"]\naddress = "ARCH@10.1.2.4:104"\n', encoding="utf-8")
    code, out, err = run(capsys, "--config", str(path), "config", "show")
    assert code == 0, err
    assert ('[peers.ris]\naddress = "RIS@10.1.2.9:104"\ntls = false\nroles = ["worklist"]\n' in out)
    assert '[peers.pacs]\naddress = "PACS@10.1.2.3:104"\ntls = false\nroles = ["storage", "commitment"]\n' in out
    assert '[peers."old archive"]\naddress = "ARCH@10.1.2.4:104"\ntls = false\nroles = ["storage"]\n' in out
    code, out, err = run(capsys, "--config", str(path), "config", "show", "--json")
    assert code == 0, err
    assert {name: p["roles"] for name, p in json.loads(out)["peers"].items()} == {
        "ris": ["worklist"], "pacs": ["storage", "commitment"], "old archive": ["storage"]}


@pytest.mark.parametrize(("lang", "fragment"), [
    ("en", "Error: worklist.peer names the peer 'pacs', but its roles (storage) do not include worklist."),
    ("de", "Fehler: worklist.peer nennt die Gegenstelle 'pacs', deren Rollen (storage) aber worklist nicht enthalten."),
])
def test_contradictory_roles_exit_1(capsys: pytest.CaptureFixture[str], tmp_path: Path, lang: str,
                                    fragment: str) -> None:
    path = tmp_path / "sb.toml"
    path.write_text('[worklist]\npeer = "pacs"\n[peers.pacs]\naddress = "PACS@10.1.2.3:104"\nroles = ["storage"]\n',
                    encoding="utf-8")
    code, out, err = run(capsys, "--lang", lang, "--config", str(path), "config", "show")
    assert code == 1 and out == ""
    assert err.startswith(fragment), err
    assert "peers.pacs.roles" in err


def test_bad_env_value_german(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMARTBOX_OBJECTS_JPEG_QUALITY", "sehr hoch")
    code, out, err = run(capsys, "config", "show")
    assert code == 1
    assert out == ""
    assert err.startswith("Fehler: Die Einstellung 'objects.jpeg_quality' hat den ungültigen Wert 'sehr hoch'")
    assert "eine ganze Zahl" in err and "Bitte" in err
    assert "Traceback" not in err


def test_bad_env_value_english(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMARTBOX_STATION_LANGUAGE", "fr")
    code, _, err = run(capsys, "--lang", "en", "config", "show")
    assert code == 1
    assert err.startswith("Error: Setting 'station.language' has the invalid value 'fr': expected de | en.")
    assert "Correct 'station.language'" in err


def test_bad_peer_env(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMARTBOX_PEERS_PACS", "PACS-ohne-Port")
    code, _, err = run(capsys, "config", "show")
    assert code == 1 and "peers.pacs" in err and "AET@Rechner:Port" in err


def test_unknown_env_key(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMARTBOX_STATION_AE_TITEL", "X")
    code, _, err = run(capsys, "--lang", "en", "config", "show")
    assert code == 1 and "Unknown setting 'SMARTBOX_STATION_AE_TITEL' in the environment" in err


def test_script_variables_do_not_break_cli(capsys: pytest.CaptureFixture[str],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMARTBOX_SKIP_INSTALL", "1")
    monkeypatch.setenv("SMARTBOX_TEST_TIMEOUT", "600")
    code, out, err = run(capsys, "config", "show")
    assert code == 0, err
    assert "[station]" in out


def test_bad_file_value_uses_language_from_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "sb.toml"
    path.write_text('[uid]\nroot = "1.02"\n', encoding="utf-8")
    code, _, err = run(capsys, "--config", str(path), "config", "show")
    assert code == 1 and "uid.root" in err and "führende Nullen" in err


def test_missing_config_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, "--lang", "en", "--config", str(tmp_path / "none.toml"), "config", "show")
    assert code == 1 and "none.toml" in err and err.startswith("Error: The configuration file")


def test_usage_error_is_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, _ = run(capsys, "config", "show", "--no-such-flag")
    assert code == 2
    code, _, _ = run(capsys, "--lang", "fr", "config", "show")
    assert code == 2
