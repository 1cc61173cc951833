"""Hardening: one service per data folder, damaged or lost state explained, the disk's truth told (issue 17).

Items 3 (two ``serve`` on one folder; reconciliation vs. a live export), 6 (a damaged outbox row), 7 (a lost
or empty outbox database), 10 (full disk, "1 files queued" for an ignored insert). Real processes throughout.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import peers
from processes import jpegs, processes, run_smartbox, start_smartbox, station_env, wait_for

from smartbox_next.spool.outbox import JobState, Outbox

__all__ = ["processes"]  # the fixture


def _jobs(data: Path) -> list[tuple[int, str]]:
    with sqlite3.connect(data / "outbox.sqlite") as conn:
        return [(int(r[0]), str(r[1])) for r in conn.execute("SELECT id, state FROM jobs ORDER BY id")]


# ------------------------------------------------------------------------------------------ item 3


def test_a_second_serve_on_the_same_folder_refuses_and_leaves_the_first_alone(
        tmp_path: Path, processes: list[subprocess.Popen[str]]) -> None:
    data = tmp_path / "data"
    with peers.storescp(tmp_path / "recv") as scp:
        env = station_env(data, {"pacs": scp.address})
        assert run_smartbox("export", *map(str, jpegs(tmp_path / "in", 3)), "--patient-id", "P1",
                            env=env).returncode == 0
        first = start_smartbox("serve", env=env, procs=processes)
        wait_for(lambda: len(scp.received()) == 3)
        second = run_smartbox("serve", "--until-idle", env=env, timeout=60)
        assert second.returncode == 1
        assert "already" in second.stderr and str(first.pid) in second.stderr, second.stderr
        assert first.poll() is None  # the first service runs on
        assert all(state == "sent" for _, state in _jobs(data))
        assert len(scp.received()) == 3  # nothing sent twice


def test_serve_never_removes_the_temporary_file_of_a_live_export(tmp_path: Path) -> None:
    """A ``serve`` starting during an export deleted the export's temporary file (the export then failed)."""
    data = tmp_path / "data"
    spool = data / "spool" / "1.2.3"
    spool.mkdir(parents=True)
    env = station_env(data, {"pacs": "PACS@127.0.0.1:9"})
    writer = subprocess.Popen(
        [sys.executable, "-c", "import sys; from pathlib import Path; from smartbox_next.atomic import atomic_file\n"
         f"with atomic_file(Path({str(spool / 'x.dcm')!r})) as fh:\n"
         "    fh.write(b'half'); fh.flush(); print('writing', flush=True); sys.stdin.readline(); fh.write(b'done')\n"
         "print('written', flush=True)"],
        env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout is not None and writer.stdout.readline().strip() == "writing"
        [tmp] = list(spool.glob("*.tmp"))
        result = run_smartbox("serve", "--until-idle", env=env, timeout=60)
        assert result.returncode == 0, result.stderr
        assert tmp.exists()  # another process still writes it
        out, _ = writer.communicate("go\n", timeout=30)
        assert "written" in out and (spool / "x.dcm").read_bytes() == b"halfdone"
    finally:
        if writer.poll() is None:
            writer.kill()


def test_a_stale_temporary_file_of_a_dead_writer_is_removed(tmp_path: Path) -> None:
    data = tmp_path / "data"
    spool = data / "spool" / "1.2.3"
    spool.mkdir(parents=True)
    stale = spool / ".x.dcm.abcd.tmp"
    stale.write_bytes(b"half")  # its writer died (nobody holds it) a minute ago
    old = stale.stat().st_mtime - 60
    os.utime(stale, (old, old))
    result = run_smartbox("serve", "--until-idle", env=station_env(data, {"pacs": "PACS@127.0.0.1:9"}))
    assert result.returncode == 0, result.stderr
    assert not stale.exists()


# ------------------------------------------------------------------------------------------ item 6


def test_a_damaged_outbox_row_is_shown_and_the_rest_is_delivered(tmp_path: Path) -> None:
    data = tmp_path / "data"
    env = station_env(data, {"pacs": "PACS@127.0.0.1:9"}, SMARTBOX_RETRY_MAX_ATTEMPTS="2")
    assert run_smartbox("export", *map(str, jpegs(tmp_path / "in", 2)), "--patient-id", "P1",
                        env=env).returncode == 0
    run_smartbox("serve", "--until-idle", env=env)  # nothing answers: both fail with a stored reason
    with sqlite3.connect(data / "outbox.sqlite") as conn:
        conn.execute("UPDATE jobs SET error_params='{not json' WHERE id=1")
    for lang, word in (("en", "damaged"), ("de", "beschädigt")):
        listing = run_smartbox("queue", "list", env={**env, "SMARTBOX_STATION_LANGUAGE": lang})
        assert listing.returncode == 0, listing.stderr
        assert "Traceback" not in listing.stderr and word in listing.stdout, listing.stdout
        shown = run_smartbox("queue", "show", "1", env={**env, "SMARTBOX_STATION_LANGUAGE": lang})
        assert shown.returncode == 0 and "queue retry 1" in shown.stdout + shown.stderr
    assert run_smartbox("queue", "retry", "--all", env=env).returncode == 0
    with peers.storescp(tmp_path / "recv") as scp:
        env = station_env(data, {"pacs": scp.address})
        result = run_smartbox("serve", "--until-idle", env=env)
        assert result.returncode == 0, result.stderr
        assert len(scp.received()) == 2
    assert [state for _, state in _jobs(data)] == ["sent", "sent"]


# ------------------------------------------------------------------------------------------ item 7


def _exported(tmp_path: Path, count: int = 2) -> tuple[Path, dict[str, str]]:
    data = tmp_path / "data"
    env = station_env(data, {"pacs": "PACS@127.0.0.1:9"})
    assert run_smartbox("export", *map(str, jpegs(tmp_path / "in", count)), "--patient-id", "P1",
                        env=env).returncode == 0
    return data, env


def test_a_lost_database_is_refused_not_taken_for_a_first_start(tmp_path: Path) -> None:
    for lost in ("deleted", "empty"):
        data, env = _exported(tmp_path / lost)
        db = data / "outbox.sqlite"
        for extra in (db.with_name("outbox.sqlite-wal"), db.with_name("outbox.sqlite-shm")):
            extra.unlink(missing_ok=True)
        if lost == "deleted":
            db.unlink()
        else:
            db.write_bytes(b"")
        more = str(jpegs(tmp_path / lost / "more", 1)[0])
        for command in (["serve", "--until-idle"], ["queue", "list"], ["export", more, "--patient-id", "P1"]):
            result = run_smartbox(*command, env=env)
            assert result.returncode == 1, (command, result.stdout, result.stderr)
            assert "queue rebuild" in result.stderr and "2" in result.stderr, result.stderr
        assert (db.exists() and db.stat().st_size == 0) if lost == "empty" else not db.exists()


def test_rebuild_says_what_it_will_send_and_then_queues_it(tmp_path: Path) -> None:
    data, env = _exported(tmp_path)
    (data / "outbox.sqlite").unlink()
    told = run_smartbox("queue", "rebuild", env=env)
    assert told.returncode == 1 and "2" in told.stdout + told.stderr and "--yes" in told.stdout + told.stderr
    assert not (data / "outbox.sqlite").exists()
    done = run_smartbox("queue", "rebuild", "--yes", env=env)
    assert done.returncode == 0, done.stderr
    assert [state for _, state in _jobs(data)] == ["queued", "queued"]
    assert run_smartbox("queue", "list", env=env).returncode == 0


def test_a_first_start_needs_no_rebuild(tmp_path: Path) -> None:
    env = station_env(tmp_path / "fresh", {"pacs": "PACS@127.0.0.1:9"})
    result = run_smartbox("queue", "list", env=env)
    assert result.returncode == 0, result.stderr


# ------------------------------------------------------------------------------------------ item 10


def test_an_ignored_insert_is_not_reported_as_queued(tmp_path: Path) -> None:
    """A spool file whose SOP Instance UID is already queued under another path was counted as 'queued'."""
    data, env = _exported(tmp_path, 1)
    [obj] = list((data / "spool").rglob("*.dcm"))
    copy = obj.parent / "copy-of-the-same-object.dcm"
    copy.write_bytes(obj.read_bytes())
    result = run_smartbox("serve", "--until-idle", env={**env, "SMARTBOX_RETRY_MAX_ATTEMPTS": "1"})
    assert "1 files" not in result.stderr and "1 Dateien" not in result.stderr, result.stderr
    outbox = Outbox(data / "outbox.sqlite")
    assert len(outbox.jobs()) == 1 and outbox.jobs()[0].state in (JobState.FAILED, JobState.RETRY_WAIT)
    outbox.close()
