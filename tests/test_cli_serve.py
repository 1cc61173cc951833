"""``smartbox serve`` as a real process (issue 12, item 2): it says what it serves, each job's progress and
retry in the station's language, what ``--until-idle`` waits for, when it stops; exit 1 with nothing to send
to; JSON log lines for machines, apart from the text for people, without patient data."""

from __future__ import annotations

import json
import re
import signal
import subprocess
from pathlib import Path

import peers
from processes import jpegs, processes, run_smartbox, start_smartbox, station_env, wait_for

from smartbox_next.spool.outbox import JobState, Outbox
from smartbox_next.spool.paths import StationPaths

__all__ = ["processes"]  # the fixture, used by name

PATIENT = ["--patient-name", "Müller^Jürgen", "--patient-id", "P-1", "--accession", "ACC-4711"]
TIME = r"\d\d:\d\d:\d\d"


def _station(tmp_path: Path, lang: str, **extra: str) -> tuple[Path, dict[str, str]]:
    """A station with a folder destination (always works) and a PACS nobody answers for."""
    data = tmp_path / "data"
    env = station_env(data, {"pacs": f"PACS@127.0.0.1:{peers.free_port()}"}, lang=lang,
                      SMARTBOX_OUTBOX_FOLDER=str(tmp_path / "share"), SMARTBOX_RETRY_MAX_ATTEMPTS="2", **extra)
    exported = run_smartbox("export", str(jpegs(tmp_path / "in", 1)[0]), *PATIENT, env=env)
    assert exported.returncode == 0, exported.stderr
    return data, env


def test_until_idle_in_german_says_everything_and_exits_1_for_a_failed_job(tmp_path: Path) -> None:
    data, env = _station(tmp_path, "de")
    pacs = env["SMARTBOX_PEERS_PACS"]
    port = pacs.rsplit(":", 1)[1]
    result = run_smartbox("serve", "--until-idle", env=env)
    assert result.returncode == 1, result.stderr
    reason = f"Keine Verbindung zu {pacs}: unter 127.0.0.1 Port {port} antwortet niemand."
    lines = result.stdout.splitlines()
    assert re.fullmatch(rf"SmartBox-Dienst gestartet \(Prozess \d+\); Datenordner {re.escape(str(data))}\.",
                        lines[0]), lines[0]
    assert lines[1:4] == [f"  Ziele: pacs ({pacs}), folder ({tmp_path / 'share'})",
                          "  Empfangs-Ports: keine (dieser Dienst sendet nur).",
                          "  Ausstehend: 2 (4 kB)."]
    assert "folder: #2 (ACC-4711) wird gesendet (2 kB, Versuch 1 von 2)" in lines
    assert "folder: #2 (ACC-4711) gesendet" in lines
    assert "pacs: #1 (ACC-4711) wird gesendet (2 kB, Versuch 1 von 2)" in lines
    [retry] = [line for line in lines if "Versuch 1 von 2 fehlgeschlagen" in line]
    assert re.fullmatch(rf"pacs: #1 \(ACC-4711\) Versuch 1 von 2 fehlgeschlagen, nächster um {TIME} — "
                        rf"{re.escape(reason)}", retry), retry
    [waiting] = [line for line in lines if line.startswith("Warten")]
    assert re.fullmatch(rf"Warten \(1 ausstehend\): als nächster #1 \(ACC-4711\) an pacs um {TIME} \(Versuch 2 "
                        r"von 2\)\.", waiting), waiting
    assert f"pacs: #1 (ACC-4711) endgültig fehlgeschlagen nach 2 von 2 Versuchen — {reason}" in lines
    assert lines[-1] == "SmartBox-Dienst beendet; ausstehend: 0 (0 kB)."
    assert result.stderr.endswith("In diesem Lauf endgültig fehlgeschlagen (1): #1; Einzelheiten: 'smartbox queue "
                                  "show N'.\n"), result.stderr
    assert "net.connect_failed" not in result.stdout + result.stderr  # no internal keys for people
    assert "Müller" not in result.stdout + result.stderr
    box = Outbox(StationPaths(data).outbox)
    assert [j.state for j in box.jobs()] == [JobState.FAILED, JobState.SENT]
    box.close()


def test_serve_in_english_until_sigterm(tmp_path: Path, processes: list[subprocess.Popen[str]]) -> None:
    data, env = _station(tmp_path, "en", SMARTBOX_RETRY_INITIAL_DELAY="3600")
    proc = start_smartbox("serve", env=env, procs=processes)

    def folder_sent() -> bool:
        box = Outbox(StationPaths(data).outbox)
        try:
            return [j.state for j in box.jobs("folder")] == [JobState.SENT] and [
                j.state for j in box.jobs("pacs")] == [JobState.RETRY_WAIT]
        finally:
            box.close()

    wait_for(folder_sent)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("SmartBox service started (process ") and lines[3] == "  Waiting: 2 (4 kB)."
    assert "folder: #2 (ACC-4711) sent" in lines
    assert any(re.fullmatch(rf"pacs: #1 \(ACC-4711\) attempt 1 of 2 failed, next at {TIME} — No connection to "
                            r".*: nothing answers at 127\.0\.0\.1 port \d+\.", line) for line in lines), out
    assert lines[-2:] == ["Stopping after the objects in flight …",
                          "SmartBox service stopped; waiting: 1 (2 kB)."]


def test_with_nothing_to_send_to_serve_exits_1(tmp_path: Path) -> None:
    env = station_env(tmp_path / "data", lang="de")
    result = run_smartbox("serve", "--until-idle", env=env)
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == (
        "Fehler: Es ist kein Ziel konfiguriert oder aktiviert.\n"
        "  → Bitte in der Konfiguration ein PACS unter [peers] mit roles = [\"storage\"] oder einen Ordner als "
        "outbox.folder eintragen ('smartbox config show' zeigt, was jetzt eingerichtet ist).\n")


def test_json_logs_for_machines_apart_from_text_for_people(tmp_path: Path) -> None:
    _, env = _station(tmp_path, "en")
    result = run_smartbox("--log-format", "json", "serve", "--until-idle", env=env)
    assert result.returncode == 1
    records = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    people = [line for line in result.stderr.splitlines() if not line.startswith("{")]
    assert people == ["Failed for good in this run (1): #1; details: 'smartbox queue show N'."]
    events = [(r.get("event"), r.get("destination"), r.get("job")) for r in records if r.get("event")]
    assert ("sent", "folder", 2) in events and ("retry_wait", "pacs", 1) in events and ("failed", "pacs", 1) in events
    assert events[0][0] == "started" and events[-1][0] == "stopped"
    failed = next(r for r in records if r.get("event") == "failed")
    assert failed["level"] == "INFO" and failed["error_key"] == "net.connect_failed"
    assert failed["accession_number"] == "ACC-4711" and failed["attempt"] == 2 and failed["max_attempts"] == 2
    assert all({"time", "level", "logger", "message"} <= set(r) for r in records)
    assert "Müller" not in result.stderr and "Jürgen" not in result.stderr  # no patient data at INFO
    assert not any(line.startswith("{") for line in result.stdout.splitlines())  # people's text stays text
