"""``smartbox queue``: no command empties the queue by accident; texts in German and English from the catalogue;
``smartbox export`` queues for storage peers only."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from PIL import Image

from smartbox_next.cli import main
from smartbox_next.errors import StoreError
from smartbox_next.messages import TEXTS
from smartbox_next.spool.outbox import JobState, Outbox
from smartbox_next.spool.paths import StationPaths


@pytest.fixture(autouse=True)
def station(clean_env: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SMARTBOX_STATION_DATA_DIR", str(tmp_path / "data"))


@pytest.fixture
def outbox(tmp_path: Path) -> Outbox:
    return Outbox(StationPaths(tmp_path / "data").outbox)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _capture(tmp_path: Path, outbox: Outbox, name: str, destinations: list[str]) -> tuple[Path, list[int]]:
    spool = StationPaths(tmp_path / "data").spool
    spool.mkdir(parents=True, exist_ok=True)
    path = spool / name
    path.write_bytes(b"x" * 2000)
    return path, outbox.enqueue(path, f"1.2.{len(name)}.{name[0]}", "1.2.840.10008.5.1.4.1.1.7", destinations)


@pytest.fixture
def queued(tmp_path: Path, outbox: Outbox) -> dict[str, Path]:
    """a.dcm for pacs and archive, b.dcm for pacs: three queued jobs (ids 1, 2, 3)."""
    a, _ = _capture(tmp_path, outbox, "a.dcm", ["pacs", "archive"])
    b, _ = _capture(tmp_path, outbox, "b.dcm", ["pacs"])
    return {"a": a, "b": b}


def _states(outbox: Outbox) -> list[JobState]:
    return [j.state for j in outbox.jobs()]


# --- cancel / retry need a selection ----------------------------------------------------------------------


@pytest.mark.parametrize("command", ["cancel", "retry"])
def test_without_selection_is_a_usage_error_in_german(capsys: pytest.CaptureFixture[str], outbox: Outbox,
                                                      queued: dict[str, Path], command: str) -> None:
    before = outbox.jobs()
    code, out, err = run(capsys, "--lang", "de", "queue", command)
    assert code == 2 and out == ""
    assert err.startswith(f"Fehler: Nichts ausgewählt: 'smartbox queue {command}' braucht Auftragsnummern, "
                          "--to ZIEL oder --all."), err
    assert "→ Bitte" in err and "Error" not in err and "Usage" not in err
    assert outbox.jobs() == before


@pytest.mark.parametrize("command", ["cancel", "retry"])
def test_without_selection_is_a_usage_error_in_english(capsys: pytest.CaptureFixture[str], outbox: Outbox,
                                                       queued: dict[str, Path], command: str) -> None:
    code, _, err = run(capsys, "--lang", "en", "queue", command)
    assert code == 2
    assert err.startswith(f"Error: Nothing selected: 'smartbox queue {command}' needs job numbers, "
                          "--to DESTINATION or --all."), err
    assert set(_states(outbox)) == {JobState.QUEUED}


@pytest.mark.parametrize("extra", [["1"], ["--to", "pacs"]])
def test_all_with_a_selection_is_a_usage_error(capsys: pytest.CaptureFixture[str], outbox: Outbox,
                                               queued: dict[str, Path], extra: list[str]) -> None:
    code, _, err = run(capsys, "--lang", "de", "queue", "cancel", "--all", *extra)
    assert code == 2 and "--all wählt alle Aufträge" in err
    assert set(_states(outbox)) == {JobState.QUEUED}


def test_cancel_all_and_retry_all(capsys: pytest.CaptureFixture[str], outbox: Outbox,
                                  queued: dict[str, Path]) -> None:
    assert run(capsys, "--lang", "de", "queue", "cancel", "--all") == (0, "3 Aufträge abgebrochen\n", "")
    assert set(_states(outbox)) == {JobState.CANCELLED}
    assert run(capsys, "--lang", "en", "queue", "retry", "--all") == (0, "3 jobs queued again\n", "")
    assert set(_states(outbox)) == {JobState.QUEUED}


def test_cancel_by_destination_and_by_id(capsys: pytest.CaptureFixture[str], outbox: Outbox,
                                         queued: dict[str, Path]) -> None:
    assert run(capsys, "--lang", "en", "queue", "cancel", "--to", "archive") == (0, "1 jobs cancelled\n", "")
    assert run(capsys, "--lang", "en", "queue", "cancel", "3") == (0, "1 jobs cancelled\n", "")
    assert _states(outbox) == [JobState.QUEUED, JobState.CANCELLED, JobState.CANCELLED]
    assert run(capsys, "--lang", "de", "queue", "retry", "2", "3") == (0, "2 Aufträge erneut eingereiht\n", "")


@pytest.mark.parametrize(("lang", "text"), [("en", "Error: There is no job 999."),
                                            ("de", "Fehler: Es gibt keinen Auftrag 999.")])
@pytest.mark.parametrize("command", ["cancel", "retry"])
def test_unknown_job_is_an_error(capsys: pytest.CaptureFixture[str], outbox: Outbox, queued: dict[str, Path],
                                 command: str, lang: str, text: str) -> None:
    before = outbox.jobs()
    code, out, err = run(capsys, "--lang", lang, "queue", command, "1", "999")
    assert code == 1 and out == ""
    assert err.startswith(text), err
    assert outbox.jobs() == before  # job 1 untouched as well


# --- purge ------------------------------------------------------------------------------------------------


def _deliver(outbox: Outbox, destination: str) -> None:
    for job in outbox.claim(destination):
        outbox.mark_sent(job.id)


def test_purge_zero_days_keeps_cancelled_and_unsent_captures(capsys: pytest.CaptureFixture[str], outbox: Outbox,
                                                             queued: dict[str, Path]) -> None:
    _deliver(outbox, "pacs")  # a.dcm still misses archive; b.dcm is delivered everywhere
    assert run(capsys, "queue", "cancel", "--to", "archive")[0] == 0
    code, out, err = run(capsys, "--lang", "de", "queue", "purge", "--older-than-days", "0")
    assert code == 0, err
    assert out == ("1 Dateien entfernt, 0 wartend\n"
                   "1 Aufnahmen sind noch nicht bei jedem Ziel angekommen und wurden behalten (siehe 'smartbox "
                   "queue list').\n")
    assert queued["a"].exists() and not queued["b"].exists()
    assert [j.path.name for j in outbox.jobs()] == ["a.dcm", "a.dcm"]


def test_purge_keeps_queued_failed_and_waiting_captures_in_english(capsys: pytest.CaptureFixture[str],
                                                                   tmp_path: Path, outbox: Outbox) -> None:
    failed, [job] = _capture(tmp_path, outbox, "failed.dcm", ["pacs"])
    outbox.claim("pacs")
    outbox.fail(job, StoreError("store.failed", status=0xC000, comment="bad", peer="P", sop_instance_uid="x"))
    waiting, _ = _capture(tmp_path, outbox, "waiting.dcm", ["archive"])
    code, out, _ = run(capsys, "--lang", "en", "queue", "purge", "--older-than-days", "0")
    assert code == 0
    assert out == ("0 files removed, 1 pending\n"
                   "2 captures have not reached every destination and were kept (see 'smartbox queue list').\n")
    assert failed.exists() and waiting.exists()


@pytest.mark.parametrize(("lang", "text"), [
    ("en", "Error: 2 captures have not reached every destination (a job still queued, sending, waiting, failed or "
           "cancelled); --force deletes them only with --confirm 2. Nothing was deleted."),
    ("de", "Fehler: 2 Aufnahmen sind noch nicht bei jedem Ziel angekommen (ein Auftrag noch wartend, im Versand, "
           "in Wiederholung, fehlgeschlagen oder abgebrochen); --force löscht sie nur zusammen mit --confirm 2. Es "
           "wurde nichts gelöscht."),
])
def test_force_without_confirm_tells_the_count(capsys: pytest.CaptureFixture[str], outbox: Outbox,
                                               queued: dict[str, Path], lang: str, text: str) -> None:
    before = outbox.jobs()
    code, out, err = run(capsys, "--lang", lang, "queue", "purge", "--older-than-days", "0", "--force")
    assert code == 1 and out == ""
    assert err.startswith(text), err
    assert "--force --confirm 2" in err  # what to type, in the hint
    assert outbox.jobs() == before and queued["a"].exists() and queued["b"].exists()


@pytest.mark.parametrize(("lang", "text"), [
    ("en", "Error: --confirm 5 does not match: 2 captures have not reached every destination"),
    ("de", "Fehler: --confirm 5 stimmt nicht: 2 Aufnahmen sind noch nicht bei jedem Ziel angekommen"),
])
def test_force_with_a_wrong_count_deletes_nothing(capsys: pytest.CaptureFixture[str], outbox: Outbox,
                                                  queued: dict[str, Path], lang: str, text: str) -> None:
    before = outbox.jobs()
    code, out, err = run(capsys, "--lang", lang, "queue", "purge", "--older-than-days", "0", "--force",
                         "--confirm", "5")
    assert code == 1 and out == ""
    assert err.startswith(text), err
    assert outbox.jobs() == before and queued["a"].exists() and queued["b"].exists()


def test_force_with_the_count_deletes_undelivered_captures(capsys: pytest.CaptureFixture[str], outbox: Outbox,
                                                           queued: dict[str, Path]) -> None:
    code, out, err = run(capsys, "--lang", "de", "queue", "purge", "--older-than-days", "0", "--force",
                         "--confirm", "2")
    assert code == 0, err
    assert out == "2 Dateien entfernt, 0 wartend\nDavon waren 2 noch nicht bei jedem Ziel angekommen.\n"
    assert not queued["a"].exists() and not queued["b"].exists() and outbox.jobs() == []


def test_force_honours_the_age(capsys: pytest.CaptureFixture[str], outbox: Outbox,
                               queued: dict[str, Path]) -> None:
    # nothing is a day old yet: 0 undelivered captures to confirm, and none deleted
    code, out, err = run(capsys, "--lang", "en", "queue", "purge", "--older-than-days", "1", "--force",
                         "--confirm", "0")
    assert code == 0, err
    assert out.startswith("0 files removed, 3 pending\n")
    assert queued["a"].exists() and len(outbox.jobs()) == 3


def test_confirm_without_force_is_a_usage_error(capsys: pytest.CaptureFixture[str], outbox: Outbox,
                                                queued: dict[str, Path]) -> None:
    code, _, err = run(capsys, "--lang", "de", "queue", "purge", "--older-than-days", "0", "--confirm", "2")
    assert code == 2 and err.startswith("Fehler: --confirm bestätigt nur --force.")
    code, _, err = run(capsys, "--lang", "en", "queue", "purge", "--confirm", "2")
    assert code == 2 and err.startswith("Error: --confirm only confirms --force.")
    assert queued["a"].exists() and len(outbox.jobs()) == 3


# --- list -------------------------------------------------------------------------------------------------


def test_list_in_german_and_english(capsys: pytest.CaptureFixture[str], outbox: Outbox,
                                    queued: dict[str, Path]) -> None:
    _deliver(outbox, "archive")
    code, out, _ = run(capsys, "--lang", "en", "queue", "list")
    assert code == 0
    assert out.splitlines() == [
        "Job  Destination  State   Accession  Size  Attempts  Next attempt",
        "---  -----------  ------  ---------  ----  --------  ------------",
        "#1   pacs         queued  -          2 kB  0 of 20   now",
        "#2   archive      sent    -          2 kB  1 of 20   -",
        "#3   pacs         queued  -          2 kB  0 of 20   now",
        "",
        "archive: 0 (0 kB) waiting, 1 sent, 0 failed",
        "pacs: 2 (4 kB) waiting, 0 sent, 0 failed",
    ]
    code, out, _ = run(capsys, "queue", "list", "--lang", "de")
    assert code == 0
    assert out.splitlines() == [
        "Auftrag  Ziel     Status      Auftragsnr.  Größe  Versuche  Nächster Versuch",
        "-------  -------  ----------  -----------  -----  --------  ----------------",
        "#1       pacs     eingereiht  -             2 kB  0 von 20  jetzt",
        "#2       archive  gesendet    -             2 kB  1 von 20  -",
        "#3       pacs     eingereiht  -             2 kB  0 von 20  jetzt",
        "",
        "archive: 0 (0 kB) ausstehend, 1 gesendet, 0 fehlgeschlagen",
        "pacs: 2 (4 kB) ausstehend, 0 gesendet, 0 fehlgeschlagen",
    ]


def test_german_queue_texts_carry_no_english_words() -> None:
    english = re.compile(r"\b(jobs?|pending|sent|failed|queued|cancelled|files?|removed|captures?|kept|again)\b")
    queue_texts = {key: text for key, text in TEXTS.items() if key.startswith("queue.")}
    assert {f"queue.state_{s.value}" for s in JobState} <= set(queue_texts)
    for key, text in queue_texts.items():
        words = re.sub(r"\{[^}]*\}", "", text.de)  # placeholders are names, not words
        assert not english.search(words), (key, text.de)
        assert text.de != text.en, key


# --- only storage peers are queued for ----------------------------------------------------------------------


def test_export_queues_only_for_storage_peers_and_the_folder(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                             outbox: Outbox) -> None:
    config = tmp_path / "sb.toml"
    config.write_text(f'[outbox]\nfolder = "{tmp_path / "share"}"\nmin_free_mb = 0\n'
                      '[worklist]\npeer = "ris"\n'
                      '[peers]\nris = "RIS@127.0.0.1:1"\nlegacy = "OLD@127.0.0.1:2"\n'
                      '[peers.pacs]\naddress = "PACS@127.0.0.1:3"\nroles = ["storage", "commitment"]\n'
                      '[peers.mpps]\naddress = "MPPS@127.0.0.1:4"\nroles = ["mpps"]\n'
                      '[peers.commit]\naddress = "SC@127.0.0.1:5"\nroles = ["commitment"]\n', encoding="utf-8")
    image = tmp_path / "still.jpg"
    Image.new("RGB", (64, 48), (120, 80, 40)).save(image, quality=90)
    code, _, err = run(capsys, "--config", str(config), "export", str(image), "--patient-name", "Muster^Max",
                       "--patient-id", "P-1")
    assert code == 0, err
    assert sorted(j.destination for j in outbox.jobs()) == ["folder", "legacy", "pacs"]
