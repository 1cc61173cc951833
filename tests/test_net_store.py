"""C-STORE and C-ECHO against real peers on 127.0.0.1: DCMTK storescp (all / implicit only / profile) and Orthanc."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import peers
import pydicom
import pytest
from fault_scp import make_native, make_video
from pydicom.encaps import generate_fragments

from smartbox_next.capture.image import load_still
from smartbox_next.cli import main
from smartbox_next.config import Config, config_from_mapping
from smartbox_next.delivery.direct import send_to_many
from smartbox_next.dicom import sop as sops
from smartbox_next.dicom.anatomy import REGION_NAMES
from smartbox_next.dicom.peer import Peer
from smartbox_next.errors import NoAcceptedContextError
from smartbox_next.exam.model import Exam, Patient, Study
from smartbox_next.iod.still import StillCapture, build_still
from smartbox_next.net.echo import echo
from smartbox_next.net.link import LinkSettings
from smartbox_next.net.store import Outcome, store_files

COLON = REGION_NAMES["colon"]  # the exam's region (PS3.3 C.8.12.1): video objects must name one

SAMPLE = Path(__file__).resolve().parents[1] / "src" / "smartbox_next" / "samples" / "endoscopy.jpg"
EXPLICIT, IMPLICIT = "1.2.840.10008.1.2.1", "1.2.840.10008.1.2"


def _config() -> Config:
    return config_from_mapping({"retry": {"initial_delay": 0, "max_delay": 0, "jitter": 0}})


def _link() -> LinkSettings:
    config = _config()
    return LinkSettings.of(config.station, config.network)


def _jpeg_object(path: Path, sop: sops.SopClass = sops.SC) -> pydicom.Dataset:
    config = Config()
    exam = Exam(Patient("Test^Net", "NET3", "19700101", "O"), Study.new(accession_number="ACC"), anatomic_region=COLON)
    ds = build_still(config, exam, StillCapture(image=load_still(SAMPLE)), sop)
    assert ds.file_meta.TransferSyntaxUID == "1.2.840.10008.1.2.4.50"
    ds.save_as(path, enforce_file_format=True)
    return ds


def _by_uid(files: list[Path]) -> dict[str, pydicom.Dataset]:
    return {str(ds.SOPInstanceUID): ds for ds in (pydicom.dcmread(f) for f in files)}


def test_echo_storescp(storescp_all: peers.StoreScp) -> None:
    result = echo(LinkSettings(), Peer.parse(storescp_all.address))
    assert result.status == 0 and result.echo_ms > 0


def test_cli_echo_prints_round_trip_or_reason(storescp_all: peers.StoreScp, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--lang", "en", "echo", storescp_all.address]) == 0
    assert "answered the echo in" in capsys.readouterr().out
    dead = f"NOBODY@127.0.0.1:{peers.free_port()}"
    assert main(["--lang", "de", "echo", dead]) == 1
    assert "Keine Verbindung" in capsys.readouterr().err


def test_store_all_syntaxes_as_is(tmp_path: Path, storescp_all: peers.StoreScp) -> None:
    src = tmp_path / "src"
    src.mkdir()
    native = make_native(src / "explicit.dcm", transfer_syntax=EXPLICIT)
    implicit = make_native(src / "implicit.dcm", transfer_syntax=IMPLICIT, seed=2)
    jpeg = _jpeg_object(src / "jpeg.dcm")
    video = make_video(src / "video.dcm")
    (src / "notes.txt").write_text("not dicom")
    paths = sorted(src.iterdir())
    events: list[object] = []
    batch = store_files(_link(), Peer.parse(storescp_all.address), paths, progress=events.append)
    by_path = {r.path.name: r for r in batch.results}
    assert by_path["notes.txt"].outcome is Outcome.FAILED and by_path["notes.txt"].error.key == "send.not_dicom"
    for name in ("explicit.dcm", "implicit.dcm", "jpeg.dcm", "video.dcm"):
        assert by_path[name].outcome is Outcome.STORED, by_path[name].error
        assert by_path[name].conversion == ""
    received = _by_uid(storescp_all.received())
    for ds in (native, implicit, jpeg, video):
        got = received[str(ds.SOPInstanceUID)]
        assert got.file_meta.TransferSyntaxUID == ds.file_meta.TransferSyntaxUID
        assert got.PixelData == ds.PixelData
    assert any(getattr(e, "done", False) for e in events)
    assert storescp_all.log().count("Association Acknowledged") == 1  # one association for the batch


def test_implicit_only_peer_gets_decoded_jpeg_and_converted_explicit(tmp_path: Path,
                                                                      storescp_implicit: peers.StoreScp) -> None:
    jpeg = _jpeg_object(tmp_path / "jpeg.dcm", sops.VL_ENDOSCOPIC)
    native = make_native(tmp_path / "explicit.dcm", transfer_syntax=EXPLICIT)
    batch = store_files(_link(), Peer.parse(storescp_implicit.address), [tmp_path / "jpeg.dcm",
                                                                           tmp_path / "explicit.dcm"])
    assert batch.ok, [r.error for r in batch.results]
    assert {r.transfer_syntax for r in batch.results} == {IMPLICIT}
    received = _by_uid(storescp_implicit.received())
    got = received[str(jpeg.SOPInstanceUID)]  # same SOP Instance UID
    assert got.file_meta.TransferSyntaxUID == IMPLICIT
    assert got.LossyImageCompression == "01" and got.PhotometricInterpretation == "RGB"
    assert len(got.PixelData) == jpeg.Rows * jpeg.Columns * 3
    path = next(p for p in storescp_implicit.received() if pydicom.dcmread(p).SOPInstanceUID == jpeg.SOPInstanceUID)
    check = peers.dciodvfy(path)
    assert check.errors == [], check.raw
    assert received[str(native.SOPInstanceUID)].PixelData == native.PixelData


def test_profile_refusing_a_sop_class(tmp_path: Path) -> None:
    profile = peers.storescp_profile({sops.SC.uid: [EXPLICIT, IMPLICIT]})
    with peers.storescp(tmp_path / "received", profile=profile) as scp:
        make_native(tmp_path / "sc.dcm")
        make_video(tmp_path / "video.dcm")
        batch = store_files(_link(), Peer.parse(scp.address), [tmp_path / "video.dcm", tmp_path / "sc.dcm"])
        video, sc = batch.results
        assert sc.outcome is Outcome.STORED
        assert video.outcome is Outcome.FAILED and isinstance(video.error, NoAcceptedContextError)
        assert not video.retryable
        assert sops.VIDEO_ENDOSCOPIC.uid in video.error.text("en") and "nimmt keine Objekte" in video.error.text("de")
        assert len(scp.received()) == 1


def test_fragmented_video_rewrapped_for_a_peer_without_the_fragmentable_syntax(tmp_path: Path) -> None:
    # DCMTK 3.6.7 does not know the fragmentable H.264 syntax; it accepts the non-fragmentable twin only
    base, frag = "1.2.840.10008.1.2.4.102", "1.2.840.10008.1.2.4.102.1"
    profile = peers.storescp_profile({sops.VIDEO_ENDOSCOPIC.uid: [base]})
    with peers.storescp(tmp_path / "received", profile=profile) as scp:
        ds = make_video(tmp_path / "video.dcm", transfer_syntax=frag, fragments=3)
        batch = store_files(_link(), Peer.parse(scp.address), [tmp_path / "video.dcm"])
        assert batch.ok, batch.results[0].error
        assert batch.results[0].transfer_syntax == base and batch.results[0].conversion
        got = pydicom.dcmread(scp.received()[0])
        assert got.file_meta.TransferSyntaxUID == base
        got_frags = list(generate_fragments(got.PixelData))
        assert len(got_frags) == 2  # empty offset table + the whole stream in one fragment
        assert got_frags[1] == b"".join(generate_fragments(ds.PixelData))


def test_orthanc_round_trip_pixel_hash(tmp_path: Path) -> None:
    with peers.orthanc(tmp_path / "orthanc") as pacs:
        jpeg = _jpeg_object(tmp_path / "jpeg.dcm")
        native = make_native(tmp_path / "native.dcm")
        batch = store_files(_link(), Peer.parse(pacs.address), [tmp_path / "jpeg.dcm", tmp_path / "native.dcm"])
        assert batch.ok, [r.error for r in batch.results]
        stored = {pacs.tags(i)["SOPInstanceUID"]: i for i in pacs.instances()}
        for ds in (jpeg, native):
            raw = pacs.get(f"/instances/{stored[str(ds.SOPInstanceUID)]}/file")
            (tmp_path / "back.dcm").write_bytes(raw)
            back = pydicom.dcmread(tmp_path / "back.dcm")
            assert hashlib.sha256(back.PixelData).digest() == hashlib.sha256(ds.PixelData).digest()


def test_parallel_destinations_one_failing(tmp_path: Path) -> None:
    make_native(tmp_path / "a.dcm")
    make_native(tmp_path / "b.dcm", seed=3)
    dead = Peer.parse(f"DEAD@127.0.0.1:{peers.free_port()}")
    with peers.storescp(tmp_path / "r1") as one, peers.storescp(tmp_path / "r2") as two:
        results = send_to_many(_config(), [Peer.parse(one.address), dead, Peer.parse(two.address)],
                               [tmp_path / "a.dcm", tmp_path / "b.dcm"], sleep=lambda s: None)
        assert [r.ok for r in results] == [True, False, True]
        assert results[1].results[0].error.key == "net.connect_failed"
        assert len(one.received()) == 2 and len(two.received()) == 2


def test_cli_send_json_and_exit_codes(tmp_path: Path, storescp_all: peers.StoreScp,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "in" / "sub"
    folder.mkdir(parents=True)
    make_native(folder / "a.dcm")
    shutil.copy(SAMPLE, folder / "photo.jpg")  # not DICOM: reported, others still sent
    code = main(["--lang", "en", "send", str(tmp_path / "in"), "--to", storescp_all.address, "--json"])
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    objects = {Path(x["path"]).name: x for x in lines if x["event"] == "object"}
    assert objects["a.dcm"]["outcome"] == "stored"
    assert objects["photo.jpg"]["outcome"] == "failed" and objects["photo.jpg"]["retryable"] is False
    summary = [x for x in lines if x["event"] == "summary"]
    assert len(summary) == 1 and summary[0]["stored"] == 1 and summary[0]["failed"] == 1
    elapsed = summary[0]["elapsed_s"]  # for scripts and bench/: a number, not the rounded text
    assert isinstance(elapsed, float) and abs(float(summary[0]["seconds"]) - elapsed) <= 0.051
    assert code == 1
    assert main(["--lang", "de", "send", str(folder / "a.dcm"), "--to", storescp_all.address]) == 0
    assert "1 von 1 gespeichert" in capsys.readouterr().out
