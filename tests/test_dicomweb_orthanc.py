"""STOW-RS into a real server: Orthanc with Debian's DICOMweb plugin on 127.0.0.1, basic authentication on.

Real ``smartbox`` processes throughout (export, serve, send, echo), configured with a URL peer whose password
comes from an environment variable.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
from pathlib import Path

import media_factory as mf
import peers
import pytest
from processes import jpegs, processes, run_smartbox, start_smartbox, station_env, wait_for

__all__ = ["processes"]  # the fixture
pytestmark = pytest.mark.peer  # needs Orthanc with the DICOMweb plugin (Debian orthanc, orthanc-dicomweb)

PASSWORD_ENV = "ARCHIVE_PASSWORD"


def _config_file(tmp_path: Path, url: str, *, verify_stored: bool = False, name: str = "archive") -> Path:
    path = tmp_path / "smartbox.toml"
    path.write_text(f'[peers.{name}]\nurl = "{url}"\nauth = "basic"\nusername = "{peers.ORTHANC_USER}"\n'
                    f'password_env = "{PASSWORD_ENV}"\nverify_stored = {str(verify_stored).lower()}\n',
                    encoding="utf-8")
    return path


def _env(tmp_path: Path, config: Path, password: str = peers.ORTHANC_PASSWORD, **extra: str) -> dict[str, str]:
    return station_env(tmp_path / "station", SMARTBOX_CONFIG=str(config), **{PASSWORD_ENV: password}, **extra)


def _jobs(data: Path) -> list[tuple[int, str, str | None]]:
    with sqlite3.connect(data / "outbox.sqlite", timeout=30) as conn:
        return [(int(r[0]), str(r[1]), r[2]) for r in
                conn.execute("SELECT id, state, error_key FROM jobs ORDER BY id")]


def _export(env: dict[str, str], *inputs: Path, sop: str | None = None) -> list[dict[str, object]]:
    args = ["export", *map(str, inputs), "--patient-id", "WEB1", "--patient-name", "Web^Test", "--json",
            "--anatomic-region", "colon"]  # video objects must name the region (PS3.3 C.8.12.1)
    if sop:
        args += ["--sop", sop]
    result = run_smartbox(*args, env=env, timeout=300)
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]


def test_every_object_kind_stored_read_back_byte_identical_and_verified(tmp_path: Path) -> None:
    stills = jpegs(tmp_path / "stills", 3)
    clip = mf.h264_mp4(tmp_path / "clip.mp4", frames=12)
    mpeg2 = mf.mpeg2(tmp_path / "clip.ts", frames=12)
    with peers.orthanc(tmp_path / "orthanc", dicomweb=True) as pacs:
        env = _env(tmp_path, _config_file(tmp_path, pacs.dicomweb_url, verify_stored=True))
        created = [*_export(env, stills[0], sop="sc"), *_export(env, stills[1], sop="vl-endoscopic"),
                   *_export(env, stills[2], sop="vl-photographic"), *_export(env, clip, sop="video-endoscopic"),
                   *_export(env, mpeg2, sop="video-photographic"), *_export(env, clip, sop="mf-sc")]
        kinds = {str(c["sop_class_uid"]) for c in created}
        assert len(kinds) == 6, kinds
        served = run_smartbox("-v", "serve", "--until-idle", env=env, timeout=300)
        assert served.returncode == 0, served.stderr
        for c in created:
            stored = pacs.file_of(str(c["sop_instance_uid"]))
            assert stored is not None and stored == Path(str(c["path"])).read_bytes(), c["sop_class_uid"]
    jobs = _jobs(tmp_path / "station")
    assert len(jobs) == len(created) and all(state == "sent" for _, state, _ in jobs), jobs
    assert served.stderr.count("confirmed by QIDO-RS") == len(created)  # verify_stored asked Orthanc for each
    assert "Web^Test" not in served.stderr  # no patient data in the log at INFO


def test_wrong_password_is_permanent_with_a_clear_message(tmp_path: Path) -> None:
    [still] = jpegs(tmp_path / "in", 1)
    with peers.orthanc(tmp_path / "orthanc", dicomweb=True) as pacs:
        config = _config_file(tmp_path, pacs.dicomweb_url)
        good = _env(tmp_path, config)
        bad = _env(tmp_path, config, password="wrong-password")
        echo_ok = run_smartbox("echo", "archive", env=good)
        assert echo_ok.returncode == 0 and "answered QIDO-RS" in echo_ok.stdout, echo_ok.stderr
        echo_bad = run_smartbox("echo", "archive", env=bad)
        assert echo_bad.returncode == 1 and "HTTP 401" in echo_bad.stderr and "password_env" in echo_bad.stderr
        [obj] = _export(bad, still)
        sent = run_smartbox("send", str(obj["path"]), "--to", "archive", "--json", "--attempts", "5", env=bad)
        assert sent.returncode == 1
        rows = [json.loads(line) for line in sent.stdout.splitlines()]
        assert not [r for r in rows if r["event"] == "retry"]  # permanent: not tried again
        [result] = [r for r in rows if r["event"] == "object"]
        assert result["key"] == "dicomweb.unauthorized" and result["retryable"] is False
        assert "401" in str(result["message"]) and "password" in str(result["hint"])
        german = run_smartbox("--lang", "de", "send", str(obj["path"]), "--to", "archive", env=bad)
        assert "Anmeldedaten" in german.stderr and "Bitte" in german.stderr
        assert "wrong-password" not in sent.stdout + sent.stderr + german.stderr + echo_bad.stderr
        served = run_smartbox("serve", "--until-idle", env=bad, timeout=120)
        assert served.returncode == 1, served.stderr  # a job failed for good in this run (issue 12)
        assert [(state, key) for _, state, key in _jobs(tmp_path / "station")] == [("failed", "dicomweb.unauthorized")]
        assert pacs.instances() == []


def test_orthanc_stopped_then_back_is_retried_and_delivered(tmp_path: Path,
                                                           processes: list[subprocess.Popen[str]]) -> None:
    work = tmp_path / "orthanc"
    with peers.orthanc(work, dicomweb=True) as pacs:
        ports = (pacs.http_port, pacs.dicom_port)
        url = pacs.dicomweb_url
    env = _env(tmp_path, _config_file(tmp_path, url), SMARTBOX_RETRY_MAX_DELAY="0.5")
    [obj] = _export(env, *jpegs(tmp_path / "in", 1))
    serve = start_smartbox("serve", env=env, procs=processes)
    wait_for(lambda: [(s, k) for _, s, k in _jobs(tmp_path / "station")] == [("retry_wait", "net.connect_failed")])
    with peers.orthanc(work, dicomweb=True, ports=ports) as back:
        wait_for(lambda: [s for _, s, _ in _jobs(tmp_path / "station")] == ["sent"], timeout=120)
        assert back.file_of(str(obj["sop_instance_uid"])) == Path(str(obj["path"])).read_bytes()
    assert serve.poll() is None
    serve.terminate()
    _, err = serve.communicate(timeout=30)
    assert serve.returncode == 0, err


def test_send_to_a_url_and_progress_json(tmp_path: Path) -> None:
    made = run_smartbox("create", *map(str, jpegs(tmp_path / "in", 5)), "--out", str(tmp_path / "out"), "--json",
                        "--patient-id", "WEB2",
                        env=station_env(tmp_path / "station"))
    assert made.returncode == 0, made.stderr
    paths = [Path(json.loads(line)["path"]) for line in made.stdout.splitlines()]
    with peers.orthanc(tmp_path / "orthanc", dicomweb=True, extra_config={"AuthenticationEnabled": False}) as pacs:
        sent = run_smartbox("send", *map(str, paths), "--to", pacs.dicomweb_url, "--json",
                            env=station_env(tmp_path / "station"))
        assert sent.returncode == 0, sent.stderr
        rows = [json.loads(line) for line in sent.stdout.splitlines()]
        [summary] = [r for r in rows if r["event"] == "summary"]
        assert summary["stored"] == 5 and summary["peer"] == pacs.dicomweb_url
        assert [r for r in rows if r["event"] == "progress" and r["done"]]
        assert len(pacs.instances()) == 5


@pytest.mark.parametrize("lang", ["en"])
def test_echo_of_a_wrong_base_url_says_what_to_fix(tmp_path: Path, lang: str) -> None:
    with peers.orthanc(tmp_path / "orthanc", dicomweb=True) as pacs:
        config = _config_file(tmp_path, pacs.base_url + "/no-such-root")
        result = run_smartbox("--lang", lang, "echo", "archive", env=_env(tmp_path, config))
    assert result.returncode == 1 and "HTTP 404" in result.stderr and "base URL" in result.stderr
