"""``smartbox config show|settings``: TOML that round-trips, the sources named, errors naming where a value came
from (file, environment, command line), exit 1 with a bilingual message."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from smartbox_next.cli import main
from smartbox_next.config import Config, config_from_mapping, load_config
from smartbox_next.messages import CATALOGUE

pytestmark = pytest.mark.usefixtures("clean_env")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


STATION = '''[station]
ae_title = "ENDO1"
institution_name = "Klinikum Süd \\"Am Park\\""
language = "de"

[outbox]
folder = "\\\\server\\\\share"

[worklist]
peer = "ris"

[peers]
ris = "RIS@10.1.2.9:104"

[peers.pacs]
address = "PACS@10.1.2.3:104"
roles = ["storage", "commitment"]

[peers."old archive"]
address = "ARCH@10.1.2.4:104"
tls = true
'''


def test_show_is_toml_that_gives_the_same_configuration(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "sb.toml"
    path.write_text(STATION, encoding="utf-8")
    monkeypatch.setenv("SMARTBOX_OBJECTS_JPEG_QUALITY", "77")
    monkeypatch.setenv("SMARTBOX_PEERS_MWL", "RIS2@ris.local:107")
    effective = load_config(path)
    code, out, err = run(capsys, "--config", str(path), "config", "show")
    assert code == 0, err
    assert out.splitlines()[:4] == [
        "# SmartBox Next: die wirksame Konfiguration (mit --config wieder einlesbar).",
        f"# Datei: {path}",
        "# Umgebung (hat Vorrang vor der Datei): SMARTBOX_OBJECTS_JPEG_QUALITY, SMARTBOX_PEERS_MWL",
        "# Alles Übrige: eingebaute Vorgaben ('smartbox config settings' erklärt jede).",
    ]
    assert "jpeg_quality = 77  # aus SMARTBOX_OBJECTS_JPEG_QUALITY\n" in out
    assert '[peers.mwl]  # aus SMARTBOX_PEERS_MWL\naddress = "RIS2@ris.local:107"\n' in out
    assert '[peers."old archive"]\naddress = "ARCH@10.1.2.4:104"\ntls = true\nroles = ["storage"]\n' in out
    # fed back with --config, without the environment: the same effective configuration
    shown = tmp_path / "shown.toml"
    shown.write_text(out, encoding="utf-8")
    monkeypatch.delenv("SMARTBOX_OBJECTS_JPEG_QUALITY")
    monkeypatch.delenv("SMARTBOX_PEERS_MWL")
    assert load_config(shown) == effective
    assert config_from_mapping(tomllib.loads(out)) == effective
    code, again, err = run(capsys, "--config", str(shown), "config", "show")
    assert code == 0, err
    assert again.splitlines()[4:] == [line.split("  # ")[0] for line in out.splitlines()[4:]]


def test_show_of_defaults_names_no_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, err = run(capsys, "--lang", "en", "config", "show")
    assert code == 0, err
    default = tmp_path / "xdg" / "smartbox-next" / "smartbox.toml"
    assert out.splitlines()[:4] == [
        "# SmartBox Next: the effective configuration (read back with --config).",
        f"# File: none ({default} does not exist; --config or SMARTBOX_CONFIG names another).",
        "# Environment: no SMARTBOX_* settings variables.",
        "# Everything else: built-in defaults ('smartbox config settings' explains each).",
    ]
    assert '[station]\nae_title = "SMARTBOX"\n' in out and 'language = ""\n' in out
    assert out.endswith("[peers]\n\n[procedure_regions]\n")
    assert config_from_mapping(tomllib.loads(out)) == Config()


def test_settings_is_a_complete_commented_file_of_the_defaults(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "config", "settings")
    assert code == 0, err
    assert "# Operator language: de | en; empty = the system locale (LC_ALL, LC_MESSAGES, LANG), else English. " \
           "(SMARTBOX_STATION_LANGUAGE)\nlanguage = \"\"\n" in out
    assert config_from_mapping(tomllib.loads(out)) == Config()


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


# --- every error says where the bad value came from -------------------------------------------------------


def test_bad_env_value_names_the_variable_in_german(capsys: pytest.CaptureFixture[str],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMARTBOX_OBJECTS_JPEG_QUALITY", "sehr hoch")
    code, out, err = run(capsys, "--lang", "de", "config", "show")
    assert code == 1 and out == ""
    assert err == ("Fehler: Die Umgebungsvariable SMARTBOX_OBJECTS_JPEG_QUALITY (Einstellung 'objects.jpeg_quality') "
                   "hat den ungültigen Wert 'sehr hoch': erwartet wird eine ganze Zahl.\n"
                   "  → Bitte SMARTBOX_OBJECTS_JPEG_QUALITY dort korrigieren oder entfernen, wo sie gesetzt wird "
                   "(Shell-Profil, Dienst-Unit); sie hat Vorrang vor der Konfigurationsdatei.\n")


def test_bad_env_value_names_the_variable_in_english(capsys: pytest.CaptureFixture[str],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMARTBOX_STATION_LANGUAGE", "fr")
    code, _, err = run(capsys, "--lang", "en", "config", "show")
    assert code == 1
    assert err == ("Error: The environment variable SMARTBOX_STATION_LANGUAGE (setting 'station.language') has the "
                   "invalid value 'fr': expected de | en, or \"\" for the system locale.\n"
                   "  → Correct or remove SMARTBOX_STATION_LANGUAGE where it is set (shell profile, service unit); it "
                   "overrides the configuration file.\n")


def test_bad_file_value_names_the_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "sb.toml"
    path.write_text('[uid]\nroot = "1.02"\n', encoding="utf-8")
    code, _, err = run(capsys, "--lang", "de", "--config", str(path), "config", "show")
    assert code == 1
    assert err.startswith(f"Fehler: Die Einstellung 'uid.root' in der Konfigurationsdatei {path} hat den ungültigen "
                          "Wert '1.02': erwartet wird leer oder ein Organisations-Stamm"), err
    assert err.endswith(f"  → Bitte 'uid.root' in der Konfigurationsdatei {path} korrigieren; 'smartbox config "
                        "settings' zeigt jede Einstellung mit der erwarteten Form.\n"), err


def test_bad_peer_env(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMARTBOX_PEERS_PACS", "PACS-ohne-Port")
    code, _, err = run(capsys, "--lang", "de", "config", "show")
    assert code == 1
    assert err.startswith("Fehler: Die Umgebungsvariable SMARTBOX_PEERS_PACS (Einstellung 'peers.pacs') hat den "
                          "ungültigen Wert 'PACS-ohne-Port': erwartet wird AET@Rechner:Port"), err


@pytest.mark.parametrize(("argv", "option"), [
    (["echo", "PACS@host:99999"], "PEER"),
    (["send", "x.dcm", "--to", "PACS@host:99999"], "--to"),
    (["worklist", "--from", "PACS@host:99999"], "--from"),
])
def test_bad_command_line_value_names_the_option(capsys: pytest.CaptureFixture[str], argv: list[str],
                                                 option: str) -> None:
    code, out, err = run(capsys, "--lang", "en", *argv)
    assert code == 1 and out == ""
    assert err == (f"Error: The value 'PACS@host:99999' of {option} on the command line is invalid: expected "
                   "AET@host:port (AE title 1-16 characters, port 1-65535).\n"
                   f"  → Correct {option} on the command line, or name a peer of the configuration ('smartbox config "
                   "show' lists them).\n")


def test_unknown_env_key(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMARTBOX_STATION_AE_TITEL", "X")
    code, _, err = run(capsys, "--lang", "en", "config", "show")
    assert code == 1
    assert err == ("Error: Unknown setting 'SMARTBOX_STATION_AE_TITEL' in the environment.\n"
                   "  → Check the spelling: 'smartbox config settings' lists every setting with its default.\n")


def test_unknown_file_key_names_the_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "sb.toml"
    path.write_text('[station]\nae_titel = "X"\n', encoding="utf-8")
    code, _, err = run(capsys, "--lang", "de", "--config", str(path), "config", "show")
    assert code == 1
    assert err == (f"Fehler: Unbekannte Einstellung 'station.ae_titel' in der Konfigurationsdatei {path}.\n"
                   "  → Bitte die Schreibweise prüfen: 'smartbox config settings' zeigt jede Einstellung mit dem "
                   "Vorgabewert.\n")


def test_no_message_points_into_the_repository() -> None:
    texts = [t for m in CATALOGUE.values() for t in (m.en, m.de, m.hint_en, m.hint_de)]
    assert not [t for t in texts if "docs/" in t or ".md" in t]


def test_script_variables_do_not_break_cli(capsys: pytest.CaptureFixture[str],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMARTBOX_SKIP_INSTALL", "1")
    monkeypatch.setenv("SMARTBOX_TEST_TIMEOUT", "600")
    code, out, err = run(capsys, "config", "show")
    assert code == 0, err
    assert "[station]" in out and "SMARTBOX_SKIP_INSTALL" not in out


def test_broken_file_is_reported_in_the_locale_language(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "sb.toml"
    path.write_text('[station]\nlanguage = "en"\nae_title = \n', encoding="utf-8")
    monkeypatch.setenv("LANG", "de_DE.UTF-8")
    code, _, err = run(capsys, "--config", str(path), "config", "show")
    assert code == 1
    assert err.startswith(f"Fehler: Die Konfigurationsdatei {path} kann nicht gelesen werden: kein gültiges TOML in "
                          "Zeile 3, Spalte 12.\n"), err


def test_missing_config_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, "--lang", "de", "--config", str(tmp_path / "none.toml"), "config", "show")
    assert code == 1
    assert err.startswith(f"Fehler: Die Konfigurationsdatei {tmp_path / 'none.toml'} kann nicht gelesen werden: die "
                          "Datei oder der Ordner existiert nicht.\n"), err
    assert "Errno" not in err


def test_usage_error_is_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, _ = run(capsys, "config", "show", "--no-such-flag")
    assert code == 2
    code, _, _ = run(capsys, "--lang", "fr", "config", "show")
    assert code == 2
