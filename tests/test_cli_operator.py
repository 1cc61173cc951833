"""Issue 12, "a CLI hospital IT can run without reading the code": one language (usage errors included), one
exit-code rule, a readable queue, send's retries, true messages, file modes — exact output, both languages."""

from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from smartbox_next.app.demo import sample_path
from smartbox_next.cli import main
from smartbox_next.errors import ConnectError, StoreError
from smartbox_next.messages import TEXTS
from smartbox_next.spool.outbox import JobState, Outbox
from smartbox_next.spool.paths import StationPaths

PATIENT = ["--patient-name", "Müller^Jürgen", "--patient-id", "P-1"]
T0 = 4102448590.0  # 2100-01-01 01:03:10 UTC: the outbox's clock in the tests of the queue (never due yet)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for key in list(os.environ):
        if key.startswith("SMARTBOX_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("SMARTBOX_STATION_DATA_DIR", str(tmp_path / "data"))


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _jpeg(path: Path) -> Path:
    Image.fromarray(np.full((48, 64, 3), 120, dtype=np.uint8)).save(path, quality=90)
    return path


def _config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sb.toml"
    path.write_text(text, encoding="utf-8")
    return path


# --- item 5: one language ---------------------------------------------------------------------------------


def test_language_follows_lang_then_configuration_then_locale_then_english(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def first_line(*argv: str) -> str:
        return run(capsys, *argv, "queue", "show", "999")[2].splitlines()[0]

    english, german = "Error: There is no job 999.", "Fehler: Es gibt keinen Auftrag 999."
    assert first_line() == english  # no locale, no configuration: English
    monkeypatch.setenv("LANG", "de_DE.UTF-8")
    assert first_line() == german  # the system locale
    monkeypatch.setenv("LC_ALL", "C")
    assert first_line() == english  # LC_ALL wins over LANG; C is not German
    monkeypatch.setenv("LC_ALL", "de_AT.UTF-8")
    cfg = _config(tmp_path, '[station]\nlanguage = "en"\n')
    assert first_line("--config", str(cfg)) == english  # the configuration wins over the locale
    assert first_line("--config", str(cfg), "--lang", "de") == german  # --lang wins over everything
    code, _, err = run(capsys, "--config", str(cfg), "queue", "show", "999", "--lang", "de")
    assert code == 1 and err.splitlines()[0] == german  # --lang after the subcommand, too


@pytest.mark.parametrize(("argv", "de", "en"), [
    (["create", "a.jpg", "--out", "o", "--sopp", "sc"],
     "Fehler: Die Option '--sopp' gibt es nicht. Meinten Sie '--json' oder '--sop'?",
     "Error: There is no option '--sopp'. Did you mean '--json' or '--sop'?"),
    (["create", "--out", "o"],
     "Fehler: Das Argument 'INPUTS...' fehlt.",
     "Error: The argument 'INPUTS...' is missing."),
    (["create", "a.jpg"],
     "Fehler: Die Option '--out' fehlt.",
     "Error: The option '--out' is missing."),
    (["create", "a.jpg", "--out", "o", "--sex", "X"],
     "Fehler: Ungültiger Wert für '--sex': 'X' ist keiner der Werte 'M', 'F', 'O'.",
     "Error: Invalid value for '--sex': 'X' is not one of 'M', 'F', 'O'."),
    (["queue", "show", "eins"],
     "Fehler: Ungültiger Wert für 'JOB_ID': 'eins' ist keine ganze Zahl.",
     "Error: Invalid value for 'JOB_ID': 'eins' is not a whole number."),
    (["send", "a.dcm", "--to", "P@h:1", "--attempts", "0"],
     "Fehler: Ungültiger Wert für '--attempts': 0 liegt nicht im Bereich 1<=x<=100.",
     "Error: Invalid value for '--attempts': 0 is not in the range 1<=x<=100."),
    (["queue", "show", "1", "2"],
     "Fehler: Unerwartete zusätzliche Argumente: 2.",
     "Error: Unexpected extra arguments: 2."),
    (["queue", "list", "--to"],
     "Fehler: Die Option '--to' braucht einen Wert.",
     "Error: The option '--to' needs a value."),
    (["sned"],
     "Fehler: Den Befehl 'sned' gibt es nicht.",
     "Error: There is no command 'sned'."),
    (["worklist", "--station", "X", "--any-station"],
     "Fehler: --station und --any-station schließen einander aus; bitte nur eine der beiden angeben.",
     "Error: --station and --any-station exclude each other; give one of them."),
], ids=["no-such-option", "missing-argument", "missing-option", "bad-choice", "not-a-number", "out-of-range",
        "extra-argument", "option-without-value", "no-such-command", "own-usage-error"])
def test_usage_errors_in_german_and_english_exit_2(capsys: pytest.CaptureFixture[str], argv: list[str], de: str,
                                                   en: str) -> None:
    code, out, err = run(capsys, "--lang", "de", *argv)
    assert (code, out) == (2, "")
    assert err.splitlines()[0] == de
    assert err.splitlines()[1].startswith("  → Aufruf: smartbox ")
    assert not re.search(r"\b(Usage|Error|Try|Missing|Invalid|option|argument)\b", err), err
    code, _, err = run(capsys, "--lang", "en", *argv)
    assert code == 2 and err.splitlines()[0] == en
    assert err.splitlines()[1].startswith("  → Usage: smartbox ")


def test_the_usage_line_names_the_command_and_its_help(capsys: pytest.CaptureFixture[str]) -> None:
    _, _, err = run(capsys, "--lang", "de", "create", "--bogus")
    assert err == ("Fehler: Die Option '--bogus' gibt es nicht. Meinten Sie '--burst' oder '--out'?\n"
                   "  → Aufruf: smartbox create [OPTIONEN] INPUTS... (alle Optionen: 'smartbox create --help')\n")


@pytest.mark.parametrize("argv", [
    ["create", "{missing}", "--out", "{tmp}/o", "--emergency"],
    ["export", "{missing}", "--emergency"],
    ["send", "{missing}", "--to", "PACS@127.0.0.1:1"],
    ["validate", "{missing}"],
], ids=["create", "export", "send", "validate"])
def test_a_missing_input_file_is_exit_1_for_every_command(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                          argv: list[str]) -> None:
    missing = tmp_path / "fehlt.jpg"
    args = [a.format(missing=missing, tmp=tmp_path) for a in argv]
    code, _, err = run(capsys, "--lang", "de", "--config", str(_config(tmp_path, _PACS)), *args)
    assert code == 1
    assert f"Fehler: Die Datei {missing} existiert nicht oder kann nicht gelesen werden.\n" in err, err
    assert "Errno" not in err and "No such file" not in err


_PACS = '[peers.pacs]\naddress = "PACS@127.0.0.1:1"\nroles = ["storage"]\n[outbox]\nmin_free_mb = 0\n'


def test_german_export_output_carries_no_english_fragment(capsys: pytest.CaptureFixture[str],
                                                         tmp_path: Path) -> None:
    image = _jpeg(tmp_path / "a.jpg")
    code, out, err = run(capsys, "--lang", "de", "--config", str(_config(tmp_path, _PACS)), "export", str(image),
                         *PATIENT)
    assert code == 0, err
    assert re.fullmatch(rf"{re.escape(str(image))} -> [0-9.]+\.dcm  Aufträge 1 \(pacs\)\n", out), out
    code, out, err = run(capsys, "--lang", "de", "create", str(image), "--out", str(tmp_path / "o"), *PATIENT,
                         "--accession", "ACC-9999", "--from", "RIS@127.0.0.1:1")
    # a typed patient with an accession number must be confirmed by the worklist (issue 11): unreachable -> refused,
    # in German without English fragments
    assert code == 1 and err.startswith("Fehler: "), err
    assert not re.search(r"(?<!-)\b(accession|worklist entry|not|the|empty file)\b", err), err
    assert ".." not in err


# --- item 3: a queue you can read -------------------------------------------------------------------------


@pytest.fixture
def outbox(tmp_path: Path) -> Outbox:
    return Outbox(StationPaths(tmp_path / "data").outbox, clock=lambda: T0)


def _job(tmp_path: Path, outbox: Outbox, name: str, destination: str, accession: str) -> int:
    spool = StationPaths(tmp_path / "data").spool
    spool.mkdir(parents=True, exist_ok=True)
    path = spool / name
    path.write_bytes(b"x" * 2_500_000)
    [job] = outbox.enqueue(path, f"1.2.3.{len(name)}", "1.2.840.10008.5.1.4.1.1.7", [destination],
                           accession=accession, patient="Müller^Jürgen")
    return job


class _Policy:
    def __init__(self, wait: float | None) -> None:
        self.wait = wait

    def next_delay(self, exc: BaseException, attempt: int, elapsed: float) -> float | None:
        return self.wait


@pytest.fixture
def jobs(tmp_path: Path, outbox: Outbox) -> None:
    """#1 waits for a retry 600 s after the fixed clock, #2 failed, #3 queued (due at the clock: in the future,
    so the list shows its time, not "now")."""
    one = _job(tmp_path, outbox, "a.dcm", "pacs", "ACC-1")
    two = _job(tmp_path, outbox, "bb.dcm", "archive", "ACC-2")
    _job(tmp_path, outbox, "ccc.dcm", "pacs", "")
    outbox.claim("pacs", 1)
    outbox.mark_failed(one, ConnectError("net.connect_failed", peer="PACS@10.1.2.3:104", host="10.1.2.3",
                                         port=104), _Policy(600))
    outbox.claim("archive")
    outbox.mark_failed(two, StoreError("store.failed", peer="ARCH@10.1.2.4:104", sop_instance_uid="1.2.3.6",
                                       code="0xC000", comment="Kann Datensatz nicht lesen"), _Policy(None))


def _local(timestamp: float, fmt: str) -> str:
    from datetime import datetime

    return datetime.fromtimestamp(timestamp).strftime(fmt)


def test_queue_list_in_german(capsys: pytest.CaptureFixture[str], jobs: None) -> None:
    code, out, err = run(capsys, "--lang", "de", "queue", "list")
    assert code == 0, err
    retry_at = _local(T0 + 600, "%Y-%m-%d %H:%M:%S")
    queued_at = _local(T0, "%Y-%m-%d %H:%M:%S")
    assert out.splitlines() == [
        "Auftrag  Ziel     Status                   Auftragsnr.   Größe  Versuche  Nächster Versuch",
        "-------  -------  -----------------------  -----------  ------  --------  -------------------",
        f"#1       pacs     wartet auf Wiederholung  ACC-1        2,5 MB  1 von 20  {retry_at}",
        "      → Keine Verbindung zu PACS@10.1.2.3:104: unter 10.1.2.3 Port 104 antwortet niemand.",
        "#2       archive  fehlgeschlagen           ACC-2        2,5 MB  1 von 20  -",
        "      → ARCH@10.1.2.4:104 hat 1.2.3.6 abgelehnt (Status 0xC000): Kann Datensatz nicht lesen",
        f"#3       pacs     eingereiht               -            2,5 MB  0 von 20  {queued_at}",
        "",
        "archive: 0 (0 kB) ausstehend, 0 gesendet, 1 fehlgeschlagen",
        "pacs: 2 (5,0 MB) ausstehend, 0 gesendet, 0 fehlgeschlagen",
    ]
    assert "Müller" not in out


def test_queue_list_in_english_with_patient(capsys: pytest.CaptureFixture[str], jobs: None) -> None:
    code, out, _ = run(capsys, "--lang", "en", "queue", "list", "--show-patient", "--state", "queued")
    assert code == 0
    assert out.splitlines() == [
        "Job  Destination  State   Accession  Patient name      Size  Attempts  Next attempt",
        "---  -----------  ------  ---------  --------------  ------  --------  -------------------",
        f"#3   pacs         queued  -          Müller, Jürgen  2.5 MB  0 of 20   {_local(T0, '%Y-%m-%d %H:%M:%S')}",
        "",
        "archive: 0 (0 kB) waiting, 0 sent, 1 failed",
        "pacs: 2 (5.0 MB) waiting, 0 sent, 0 failed",
    ]


def test_queue_show_is_a_readable_block(capsys: pytest.CaptureFixture[str], tmp_path: Path, jobs: None) -> None:
    code, out, _ = run(capsys, "--lang", "de", "queue", "show", "1")
    assert code == 0
    at = _local(T0, "%Y-%m-%dT%H:%M:%S")
    retry_at = _local(T0 + 600, "%Y-%m-%dT%H:%M:%S")
    spooled = StationPaths(tmp_path / "data").spool / "a.dcm"
    lines = out.splitlines()
    assert [re.sub(r"[+-]\d\d:\d\d$", "", line) for line in lines] == [
        "Auftrag 1",
        "  Ziel:              pacs",
        "  Status:            wartet auf Wiederholung (1 von 20)",
        f"  Nächster Versuch:  {retry_at}",
        "  Auftragsnummer:    ACC-1",
        f"  Datei:             {spooled} (2,5 MB)",
        "  SOP-Instance-UID:  1.2.3.5",
        f"  Eingereiht:        {at}",
        f"  Letzte Änderung:   {at}",
        f"  Erster Fehler:     {at}",
        "  Grund:             Keine Verbindung zu PACS@10.1.2.3:104: unter 10.1.2.3 Port 104 antwortet niemand.",
        "  Was zu tun ist:    Bitte die Adresse (10.1.2.3 Port 104) in den Einstellungen prüfen und ob "
        "PACS@10.1.2.3:104 läuft und von dieser Station erreichbar ist.",
        "  Erneut senden:     smartbox queue retry 1",
    ]
    code, out, _ = run(capsys, "queue", "show", "1", "--json")
    data = json.loads(out)
    assert data["state"] == "retry_wait" and data["accession_number"] == "ACC-1" and "patient_name" not in data
    assert data["error_key"] == "net.connect_failed" and data["next_attempt"] == T0 + 600


@pytest.mark.parametrize(("lang", "text"), [("de", "Fehler: Es gibt keinen Auftrag 999.\n"),
                                            ("en", "Error: There is no job 999.\n")])
@pytest.mark.parametrize("command", ["show", "cancel", "retry"])
def test_an_unknown_job_is_exit_1(capsys: pytest.CaptureFixture[str], jobs: None, command: str, lang: str,
                                  text: str) -> None:
    code, out, err = run(capsys, "--lang", lang, "queue", command, "999")
    assert (code, out) == (1, "") and err.startswith(text)


def test_after_purge_the_list_says_the_queue_is_empty(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    outbox = Outbox(StationPaths(tmp_path / "data").outbox)  # the real clock: the purge's cutoff is now
    job = _job(tmp_path, outbox, "a.dcm", "pacs", "ACC-1")
    outbox.claim("pacs")
    outbox.mark_sent(job)
    assert run(capsys, "queue", "purge", "--older-than-days", "0")[0] == 0
    assert run(capsys, "--lang", "de", "queue", "list") == (0, "Die Warteschlange ist leer: keine Aufträge.\n", "")
    assert run(capsys, "--lang", "en", "queue", "list") == (0, "The queue is empty: no jobs.\n", "")


def test_german_queue_and_serve_texts_carry_no_english_words() -> None:
    english = re.compile(r"\b(jobs?|pending|sent|failed|queued|waiting|attempts?|next|size|now|reason)\b", re.I)
    for key, text in TEXTS.items():
        if key.startswith(("queue.", "serve.", "send.", "demo.", "usage.", "config_show.")):
            words = re.sub(r"\{[^}]*\}", "", text.de).replace("SmartBox Next", "")
            assert not english.search(words), (key, text.de)


# --- item 4: send shows its retries -----------------------------------------------------------------------


def test_send_reports_each_retry_once_and_names_only_existing_files(capsys: pytest.CaptureFixture[str],
                                                                   tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMARTBOX_RETRY_INITIAL_DELAY", "0")
    monkeypatch.setenv("SMARTBOX_RETRY_JITTER", "0")
    image = _jpeg(tmp_path / "a.jpg")
    assert run(capsys, "create", str(image), "--out", str(tmp_path / "o"), *PATIENT)[0] == 0
    [obj] = (tmp_path / "o").iterdir()
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    peer = f"PACS@127.0.0.1:{port}"
    code, out, err = run(capsys, "--lang", "de", "send", str(obj), str(tmp_path / "fehlt.dcm"), "--to", peer,
                         "--attempts", "3")
    assert code == 1
    reason = f"Keine Verbindung zu {peer}: unter 127.0.0.1 Port {port} antwortet niemand."
    assert err.splitlines() == [
        f"Fehler: Die Datei {tmp_path / 'fehlt.dcm'} existiert nicht oder kann nicht gelesen werden.",
        "  → Bitte Pfad und Dateirechte prüfen.",
        f"{peer}: Versuch 1 von 3 fehlgeschlagen ({reason}); Versuch 2 von 3 in 0 s (Objekte: 1).",
        f"{peer}: Versuch 2 von 3 fehlgeschlagen ({reason}); Versuch 3 von 3 in 0 s (Objekte: 1).",
        f"Fehler: {reason} (Datei {obj})",
        f"  → Bitte die Adresse (127.0.0.1 Port {port}) in den Einstellungen prüfen und ob {peer} läuft und von "
        "dieser Station erreichbar ist.",
    ]
    assert out == f"{peer}: 0 von 1 gespeichert (0 mit Warnung), 1 fehlgeschlagen, 0,0 MB in " \
                  f"{out.split(' in ')[1]}"
    assert "fehlt.dcm" not in out


# --- item 6: messages that are true ----------------------------------------------------------------------


@pytest.mark.parametrize(("content", "reason_de", "reason_en"), [
    (b"Befund: unauffaellig\n", "sie enthält Text", "it holds text"),
    (b"", "die Datei ist leer", "the file is empty"),
], ids=["text-named-jpg", "empty"])
def test_a_file_that_is_no_image_or_video_says_so(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                  content: bytes, reason_de: str, reason_en: str) -> None:
    path = tmp_path / "aufnahme.jpg"
    path.write_bytes(content)
    for lang, text in (("de", f"Fehler: {path} ist kein Bild und kein Video, das SmartBox lesen kann: {reason_de}."),
                       ("en", f"Error: {path} is not an image or video SmartBox can read: {reason_en}.")):
        code, _, err = run(capsys, "--lang", lang, "create", str(path), "--out", str(tmp_path / "o"), *PATIENT)
        assert code == 1 and err.splitlines()[0] == text
        assert "frames" not in err and "Bilder" not in err.splitlines()[0]
    assert not (tmp_path / "o").exists() or not list((tmp_path / "o").iterdir())


def test_an_unreachable_worklist_server_does_not_mention_a_pacs(capsys: pytest.CaptureFixture[str]) -> None:
    for lang in ("de", "en"):
        code, _, err = run(capsys, "--lang", lang, "worklist", "--from", "RIS@127.0.0.1:1")
        assert code == 1 and "RIS@127.0.0.1:1" in err
        assert "PACS" not in err, err


@pytest.mark.parametrize("value", ["2024", "20250230", "20250331-20250301", "gestern"])
def test_a_bad_worklist_date_lists_the_accepted_forms(capsys: pytest.CaptureFixture[str], value: str) -> None:
    code, _, err = run(capsys, "--lang", "de", "worklist", "--date", value)
    assert code == 1
    assert err.splitlines() == [
        f"Fehler: '{value}' ist kein Datum, das die Worklist-Abfrage annimmt. Möglich sind: today (heute), ein Tag "
        "JJJJMMTT, ein Zeitraum JJJJMMTT-JJJJMMTT (der erste Tag nicht nach dem letzten), ab einem Tag JJJJMMTT-, "
        "bis zu einem Tag -JJJJMMTT, oder any (jedes Datum).",
        "  → Bitte z. B. --date today, --date 20250314, --date 20250301-20250331 oder --date any angeben.",
    ]


# --- item 10: file modes ----------------------------------------------------------------------------------


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_spool_and_outbox_are_private_and_create_out_follows_the_umask(capsys: pytest.CaptureFixture[str],
                                                                       tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    os.chmod(data, 0o755)  # made by hand, open to others: closed on first use
    image = _jpeg(tmp_path / "a.jpg")
    old = os.umask(0o022)
    try:
        assert run(capsys, "--config", str(_config(tmp_path, _PACS)), "export", str(image), *PATIENT)[0] == 0
        assert run(capsys, "create", str(image), "--out", str(tmp_path / "shared"), *PATIENT)[0] == 0
        os.umask(0o077)
        assert run(capsys, "create", str(image), "--out", str(tmp_path / "mine"), *PATIENT)[0] == 0
    finally:
        os.umask(old)
    paths = StationPaths(data)
    assert {p.name: _mode(p) for p in (data, paths.spool, paths.exams)} == {"data": 0o700, "spool": 0o700,
                                                                             "exams": 0o700}
    assert _mode(paths.outbox) == 0o600
    [spooled] = paths.spool.rglob("*.dcm")
    assert _mode(spooled) == 0o600 and _mode(spooled.parent) == 0o700
    [shared] = (tmp_path / "shared").iterdir()
    [mine] = (tmp_path / "mine").iterdir()
    assert (_mode(shared), _mode(shared.parent)) == (0o644, 0o755)
    assert (_mode(mine), _mode(mine.parent)) == (0o600, 0o700)


def test_an_outbox_database_open_to_others_is_closed(tmp_path: Path) -> None:
    path = StationPaths(tmp_path / "data").outbox
    Outbox(path).close()
    os.chmod(path, 0o644)
    Outbox(path).close()
    assert _mode(path) == 0o600


# --- item 9: the demo explains itself ---------------------------------------------------------------------


def test_demo_names_syntaxes_and_folders_and_removes_its_peers_folder(capsys: pytest.CaptureFixture[str],
                                                                      tmp_path: Path) -> None:
    work = tmp_path / "demo"
    code, out, err = run(capsys, "--lang", "de", "demo", "--out", str(work))
    assert code == 0, err
    lines = out.splitlines()
    assert any(line.endswith("JPEG Baseline (Process 1)  gültig + dciodvfy-Prüfung") or
               line.endswith("JPEG Baseline (Process 1)  gültig (ohne dciodvfy)") for line in lines), out
    assert any("MPEG-4 AVC/H.264 High Profile / Level 4.1  gültig" in line for line in lines), out
    assert "1.2.840.10008" not in out
    assert lines[-9:] == [
        "An das Loopback-PACS gesendet: 2 von 2.",
        "Verwendete Ordner:",
        f"  Arbeitsordner:                 {work}",
        f"  Standbild (mitgeliefert):      {sample_path()}",
        f"  Video (Eingabe):               {work / 'capture.mp4'}",
        f"  Zwischenspeicher und Ausgang:  {work / 'station'}",
        f"  Empfangen vom Loopback-PACS:   {work / 'pacs'}",
        f"Entfernt: {work / 'pacs'} (behalten mit --keep).",
        "Demo erfolgreich.",
    ]
    assert not (work / "pacs").exists() and (work / "station").is_dir()


def test_demo_in_a_temporary_folder_leaves_nothing_behind_unless_kept(capsys: pytest.CaptureFixture[str],
                                                                      tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)
    code, out, _ = run(capsys, "--lang", "en", "demo")
    assert code == 0
    assert list((tmp_path / "tmp").iterdir()) == []
    assert re.search(r"^Removed .*smartbox-demo-\w+ \(keep it with --keep\)\.$", out, re.M), out
    code, out, _ = run(capsys, "--lang", "en", "demo", "--keep")
    assert code == 0 and "Removed" not in out
    [kept] = (tmp_path / "tmp").iterdir()
    assert (kept / "pacs").is_dir() and len(list((kept / "pacs").rglob("*.dcm"))) == 2


def test_state_names_in_german_are_words() -> None:
    assert TEXTS[f"queue.state_{JobState.RETRY_WAIT.value}"].de == "wartet auf Wiederholung"
