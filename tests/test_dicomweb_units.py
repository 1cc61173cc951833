"""DICOMweb without a server: configuration of URL peers and their secrets, the multipart body, the response
module and the HTTP status table, Retry-After, request planning."""

from __future__ import annotations

import email.parser
import email.policy
import json
from pathlib import Path

import pytest

from smartbox_next.cli import main
from smartbox_next.config import as_toml_dict, config_from_mapping
from smartbox_next.delivery.destination import destination_names, destinations
from smartbox_next.delivery.dicomweb import DicomwebDestination
from smartbox_next.delivery.retry import RetryPolicy
from smartbox_next.dicom.part10 import ObjectInfo
from smartbox_next.dicom.peer import PeerRole
from smartbox_next.dicom.webpeer import Secret, WebAuth, WebPeer
from smartbox_next.dicomweb.client import Answer, WebSettings
from smartbox_next.dicomweb.multipart import FileChangedError, MultipartBody
from smartbox_next.dicomweb.response import (
    FAILURE_ROWS,
    HTTP_ROWS,
    http_error,
    parse_store_response,
    retry_after_seconds,
)
from smartbox_next.dicomweb.store import interpret, plan_requests
from smartbox_next.errors import ConfigError, StoreError, WebServiceError

SECRET = "s3cr3t-Pässwort"


# --- configuration -----------------------------------------------------------------------------------------


def _archive(**extra: object) -> dict[str, object]:
    return {"peers": {"archive": {"url": "https://pacs.example/dicom-web/", "auth": "basic", "username": "box",
                                  "password_env": "ARCHIVE_PASSWORD", **extra}}}


def test_url_peer_is_a_storage_web_peer_and_a_destination() -> None:
    peers = {"pacs": "PACS@10.0.0.5:104", **_archive()["peers"], "cloud": "https://cloud.example/dicomweb"}  # type: ignore[dict-item]
    cfg = config_from_mapping({"peers": peers})
    assert list(cfg.peers) == ["pacs"] and sorted(cfg.web_peers) == ["archive", "cloud"]
    archive = cfg.web_peers["archive"]
    assert archive.url == "https://pacs.example/dicom-web" and archive.roles == {PeerRole.STORAGE}
    assert archive.auth is WebAuth.BASIC and archive.verify_tls and not archive.verify_stored
    assert archive.secret == Secret(env="ARCHIVE_PASSWORD", setting="peers.archive.password_env")
    assert destination_names(cfg) == ["pacs", "archive", "cloud"]  # DIMSE first, then DICOMweb, in file order
    assert [type(d).__name__ for d in destinations(cfg)] == ["DimseDestination", "DicomwebDestination",
                                                             "DicomwebDestination"]
    assert cfg.destination("archive") is archive
    assert cfg.destination("https://other.example/wado").url == "https://other.example/wado"


@pytest.mark.parametrize(("extra", "key"), [
    ({"roles": ["worklist"]}, "config.web_peer_role"),
    ({"password_file": "/x"}, "config.secret_source"),  # both sources
    ({"token_env": "T"}, "config.secret_not_used"),
    ({"auth": "digest"}, "config.invalid_in_file"),
    ({"address": "A@b:1"}, "config.unknown_setting"),
    ({"url": "https://user:pw@pacs.example/dw"}, "config.invalid_in_file"),
    ({"url": "ftp://pacs.example/dw"}, "config.invalid_in_file"),
    ({"verify_tls": "maybe"}, "config.invalid_in_file"),
])
def test_bad_web_peer_settings_name_the_setting(extra: dict[str, object], key: str) -> None:
    with pytest.raises(ConfigError) as info:
        config_from_mapping(_archive(**extra))
    assert info.value.key == key  # a bad value is named with where it came from (config.invalid_in_file)
    assert "pw@" not in str(info.value)  # a URL with credentials is echoed without them


def test_web_peer_cannot_serve_dimse_roles() -> None:
    cfg = config_from_mapping(_archive())
    with pytest.raises(ConfigError) as info:
        cfg.peer("archive")
    assert info.value.key == "config.peer_is_web"
    with pytest.raises(ConfigError):
        config_from_mapping({**_archive(), "worklist": {"peer": "archive"}})


def test_environment_gives_a_web_peer_its_url_and_a_secret_variable_may_be_smartbox_named() -> None:
    data = _archive(password_env="SMARTBOX_ARCHIVE_PW")
    cfg = config_from_mapping(data, {"SMARTBOX_PEERS_ARCHIVE": "https://moved.example/dw",
                                     "SMARTBOX_ARCHIVE_PW": SECRET})
    archive = cfg.web_peers["archive"]
    assert archive.url == "https://moved.example/dw" and archive.auth is WebAuth.BASIC
    assert archive.secret is not None and archive.secret.reveal({"SMARTBOX_ARCHIVE_PW": SECRET}) == SECRET


def test_secret_from_a_file_is_read_when_used(tmp_path: Path) -> None:
    secret = Secret(file=str(tmp_path / "token"), setting="peers.x.token_file")
    with pytest.raises(ConfigError) as info:
        secret.reveal({})
    assert info.value.key == "config.secret_unavailable" and "peers.x.token_file" in str(info.value)
    (tmp_path / "token").write_text(SECRET + "\n", encoding="utf-8")
    assert secret.reveal({}) == SECRET


@pytest.mark.usefixtures("clean_env")
def test_config_show_names_where_the_secret_is_never_the_secret(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "sb.toml"
    path.write_text('[peers.archive]\nurl = "https://pacs.example/dicom-web"\nauth = "basic"\nusername = "box"\n'
                    'password_env = "ARCHIVE_PASSWORD"\nverify_stored = true\n'
                    '[peers.cloud]\nurl = "https://cloud.example/dw"\nauth = "bearer"\ntoken_file = "/run/tok"\n',
                    encoding="utf-8")
    monkeypatch.setenv("ARCHIVE_PASSWORD", SECRET)
    for fmt in ([], ["--json"]):
        assert main(["--config", str(path), "config", "show", *fmt]) == 0
        out, err = capsys.readouterr()
        assert SECRET not in out + err
        assert "ARCHIVE_PASSWORD" in out and "/run/tok" in out
    data = as_toml_dict(config_from_mapping({**_archive(), "peers": {"archive": {
        **_archive()["peers"]["archive"], "verify_stored": True}}}))  # type: ignore[dict-item]
    assert data["peers"]["archive"] == {"url": "https://pacs.example/dicom-web", "auth": "basic", "username": "box",
                                        "password_env": "ARCHIVE_PASSWORD", "verify_tls": True,
                                        "verify_stored": True, "roles": ["storage"]}
    assert SECRET not in repr(config_from_mapping(_archive(), {"ARCHIVE_PASSWORD": SECRET}))


# --- multipart body -----------------------------------------------------------------------------------------


def test_multipart_body_has_its_announced_length_and_parses_back(tmp_path: Path) -> None:
    files = []
    for i, size in enumerate((0, 1, 5000, 3 * 1024 * 1024 + 7)):
        path = tmp_path / f"f{i}.dcm"
        path.write_bytes(bytes((i + j) % 251 for j in range(size)))
        files.append(path)
    body = MultipartBody.of(files)
    seen: dict[int, int] = {}
    raw = b"".join(body.chunks(lambda i, n: seen.__setitem__(i, n), block=64 * 1024))
    assert len(raw) == body.length
    assert seen == {0: 0, 1: 1, 2: 5000, 3: 3 * 1024 * 1024 + 7}
    assert body.content_type.startswith('multipart/related; type="application/dicom"; boundary=smartbox-')
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {body.content_type}\r\n\r\n".encode() + raw)
    parts = list(message.iter_parts())
    assert [p.get_content_type() for p in parts] == ["application/dicom"] * 4
    assert [p.get_payload(decode=True) for p in parts] == [f.read_bytes() for f in files]


def test_multipart_body_notices_a_file_that_changed(tmp_path: Path) -> None:
    path = tmp_path / "a.dcm"
    path.write_bytes(b"x" * 1000)
    body = MultipartBody.of([path])
    path.write_bytes(b"x" * 10)
    with pytest.raises(FileChangedError):
        b"".join(body.chunks())
    path.write_bytes(b"x" * 2000)
    with pytest.raises(FileChangedError):
        b"".join(body.chunks())


# --- response module and statuses ---------------------------------------------------------------------------

JSON_209 = {
    "00081190": {"vr": "UR", "Value": ["http://x/studies/1"]},
    "00081199": {"vr": "SQ", "Value": [
        {"00081150": {"vr": "UI", "Value": ["1.2.840.10008.5.1.4.1.1.7"]}, "00081155": {"vr": "UI", "Value": ["1.1"]},
         "00081190": {"vr": "UR", "Value": ["http://x/studies/1/series/2/instances/1.1"]}},
        {"00081150": {"vr": "UI", "Value": ["1.2.840.10008.5.1.4.1.1.7"]}, "00081155": {"vr": "UI", "Value": ["1.2"]},
         "00081196": {"vr": "US", "Value": [0xB000]}}]},
    "00081198": {"vr": "SQ", "Value": [
        {"00081150": {"vr": "UI", "Value": ["1.2.840.10008.5.1.4.1.1.7"]}, "00081155": {"vr": "UI", "Value": ["1.3"]},
         "00081197": {"vr": "US", "Value": [0xA700]}},
        {"00081155": {"vr": "UI", "Value": ["1.4"]}, "00081197": {"vr": "US", "Value": [0xC122]}}]},
}
XML_209 = b"""<?xml version="1.0" encoding="utf-8"?>
<NativeDicomModel xmlns="http://dicom.nema.org/PS3.19/models/NativeDICOM">
  <DicomAttribute tag="00081199" vr="SQ" keyword="ReferencedSOPSequence">
    <Item number="1">
      <DicomAttribute tag="00081155" vr="UI"><Value number="1">1.1</Value></DicomAttribute>
    </Item>
    <Item number="2">
      <DicomAttribute tag="00081155" vr="UI"><Value number="1">1.2</Value></DicomAttribute>
      <DicomAttribute tag="00081196" vr="US"><Value number="1">45056</Value></DicomAttribute>
    </Item>
  </DicomAttribute>
  <DicomAttribute tag="00081198" vr="SQ" keyword="FailedSOPSequence">
    <Item number="1">
      <DicomAttribute tag="00081155" vr="UI"><Value number="1">1.3</Value></DicomAttribute>
      <DicomAttribute tag="00081197" vr="US"><Value number="1">42752</Value></DicomAttribute>
    </Item>
    <Item number="2">
      <DicomAttribute tag="00081155" vr="UI"><Value number="1">1.4</Value></DicomAttribute>
      <DicomAttribute tag="00081197" vr="US"><Value number="1">49442</Value></DicomAttribute>
    </Item>
  </DicomAttribute>
</NativeDicomModel>"""


@pytest.mark.parametrize(("body", "ctype"), [(json.dumps(JSON_209).encode(), "application/dicom+json"),
                                             (XML_209, "application/dicom+xml; charset=utf-8")])
def test_store_response_json_and_xml_give_the_same_report(body: bytes, ctype: str) -> None:
    report = parse_store_response(body, ctype)
    assert set(report.referenced) == {"1.1", "1.2"} and set(report.failed) == {"1.3", "1.4"}
    assert report.referenced["1.1"].reason is None and report.referenced["1.2"].reason == 0xB000
    assert report.failed["1.3"].reason == 0xA700 and report.failed["1.4"].reason == 0xC122


def test_unreadable_store_response_is_marked() -> None:
    assert not parse_store_response(b"<html>oops", "text/html").readable
    assert parse_store_response(b"", "application/dicom+json").readable


def _objects(*uids: str, size: int = 1000) -> list[ObjectInfo]:
    return [ObjectInfo(Path(f"/spool/{u}.dcm"), "1.2.840.10008.5.1.4.1.1.7", u, "1.2.840.10008.1.2.4.50", 0, size)
            for u in uids]


def _answer(status: int, body: bytes = b"", retry_after: str = "") -> Answer:
    return Answer(status, "application/dicom+json", body, retry_after, "", 1.0)


def test_202_outcome_per_instance_and_one_failure_never_hides_the_others() -> None:
    group = _objects("1.1", "1.2", "1.3", "1.4", "1.5")
    results = interpret(_answer(202, json.dumps(JSON_209).encode()), group, "P", "u", 1)
    assert results is not None
    by_uid = {r.sop_instance_uid: r for r in results}
    assert by_uid["1.1"].outcome == "stored" and by_uid["1.1"].retrieve_url.endswith("/instances/1.1")
    assert by_uid["1.2"].outcome == "warning" and isinstance(by_uid["1.2"].warning, StoreError)
    assert by_uid["1.3"].error is not None and by_uid["1.3"].error.key == "store.out_of_resources"
    assert by_uid["1.3"].retryable
    assert by_uid["1.4"].error is not None and by_uid["1.4"].error.key == "dicomweb.transfer_syntax_refused"
    assert not by_uid["1.4"].retryable and "1.2.840.10008.1.2.4.50" in by_uid["1.4"].error.text("en")
    assert by_uid["1.5"].error is not None and by_uid["1.5"].error.key == "dicomweb.not_reported"
    assert by_uid["1.5"].retryable


def test_200_without_body_stores_all_and_409_without_reasons_is_split() -> None:
    group = _objects("1.1", "1.2")
    stored = interpret(_answer(200), group, "P", "u", 1)
    assert stored is not None and [r.outcome for r in stored] == ["stored", "stored"]
    assert interpret(_answer(409, b"conflict"), group, "P", "u", 1) is None
    assert interpret(_answer(413), group, "P", "u", 1) is None
    [alone] = interpret(_answer(409, b"Study Instance UID mismatch"), group[:1], "P", "u", 1) or []
    assert alone.error is not None and alone.error.key == "dicomweb.conflict" and not alone.retryable
    assert "mismatch" in alone.error.text("en")


@pytest.mark.parametrize(("status", "key", "retryable"), [
    (400, "dicomweb.bad_request", False), (401, "dicomweb.unauthorized", False),
    (403, "dicomweb.forbidden", False), (404, "dicomweb.not_found", False), (405, "dicomweb.not_found", False),
    (413, "dicomweb.too_large", False), (415, "dicomweb.unsupported_media_type", False),
    (408, "dicomweb.busy", True), (429, "dicomweb.busy", True), (503, "dicomweb.busy", True),
    (500, "dicomweb.server_error", True), (502, "dicomweb.server_error", True), (599, "dicomweb.server_error", True),
    (307, "dicomweb.redirected", False), (418, "dicomweb.http_failed", False),
])
def test_http_status_table(status: int, key: str, retryable: bool) -> None:
    [r] = interpret(_answer(status, retry_after="12"), _objects("1.1"), "P", "https://p/dw/studies", 5_000_000) or []
    assert isinstance(r.error, WebServiceError) and r.error.key == key and r.retryable is retryable
    assert r.error.http_status == status
    assert (r.error.retry_after == 12.0) is (key == "dicomweb.busy")
    for lang in ("en", "de"):
        assert str(status) in r.error.text(lang) and r.error.hint(lang)
    assert any(key == row.key for row in HTTP_ROWS)


def test_failure_reason_table_covers_every_code() -> None:
    assert FAILURE_ROWS[-1].lo == 0 and FAILURE_ROWS[-1].hi == 0xFFFF
    assert [r.retryable for r in FAILURE_ROWS].count(True) == 1  # only A7xx (PS3.18 Table I.2-2)


def test_retry_after_seconds_and_http_date() -> None:
    assert retry_after_seconds("120", 0) == 120.0
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT", 1445412480.0 - 30) == 30.0
    assert retry_after_seconds("999999999", 0) == 86400.0
    assert retry_after_seconds("soon", 0) is None and retry_after_seconds("", 0) is None


def test_retry_policy_waits_at_least_retry_after() -> None:
    policy = RetryPolicy(max_attempts=5, initial_delay=1, max_delay=10, jitter=0)
    busy = http_error(429, peer="P", operation="STOW-RS", url="u", retry_after=300.0)
    assert policy.next_delay(busy, 1, 0, rng=lambda: 0.5) == 300.0  # past max_delay: the server knows best
    soon = http_error(503, peer="P", operation="STOW-RS", url="u", retry_after=0.5)
    assert policy.next_delay(soon, 3, 0, rng=lambda: 0.5) == 4.0
    assert policy.next_delay(http_error(401, peer="P", operation="STOW-RS", url="u", retry_after=9.0), 1, 0) is None


# --- request planning ---------------------------------------------------------------------------------------


def test_small_objects_share_requests_large_ones_go_alone() -> None:
    settings = WebSettings(objects_per_request=3, request_bytes=10_000)
    small = _objects("a", "b", "c", "d", size=1000)
    large = _objects("L", size=10_000)
    groups = plan_requests([*small[:2], *large, *small[2:], *_objects("e", "f", size=4000)], settings)
    assert [[o.sop_instance_uid for o in g] for g in groups] == [["a", "b"], ["L"], ["c", "d", "e"], ["f"]]


def test_destination_repr_carries_no_secret() -> None:
    peer = WebPeer("https://p.example/dw", "p", auth=WebAuth.BEARER, secret=Secret(env="TOKEN"))
    dest = DicomwebDestination(config_from_mapping({}), "p", peer)
    assert "TOKEN" not in repr(peer) and dest.name == "p"
