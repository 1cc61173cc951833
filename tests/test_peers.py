"""The real-peer harness works with the real tools (DCMTK, Orthanc, dicom3tools)."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

import peers
import pydicom
import pytest
from PIL import Image
from pydicom.dataset import Dataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

SC = "1.2.840.10008.5.1.4.1.1.7"
VL_ENDOSCOPIC = "1.2.840.10008.5.1.4.1.1.77.1.1"


def _run(cmd: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=cwd,
                          stdin=subprocess.DEVNULL, check=False)


def _img2dcm(tool: str, tmp_path: Path, name: str = "img") -> Path:
    """An SC object from a Pillow JPEG via DCMTK img2dcm.

    img2dcm 3.6.7 leaves General Series Laterality (2C) absent, which dciodvfy reports as an error;
    ``-k Laterality=`` makes it present and empty (only a warning).
    """
    jpg = tmp_path / f"{name}.jpg"
    Image.new("RGB", (64, 48), (200, 100, 50)).save(jpg, quality=90)
    out = tmp_path / f"{name}.dcm"
    proc = _run([tool, "-k", "Laterality=", "-k", "Modality=OT", "-k", "PatientID=P1", str(jpg), str(out)])
    assert proc.returncode == 0, proc.stderr
    return out


def _uncompressed(tmp_path: Path, sop_class: str, name: str) -> Path:
    ds = Dataset()
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = generate_uid()
    ds.StudyInstanceUID = generate_uid()
    ds.SeriesInstanceUID = generate_uid()
    ds.PatientName = "Test^Harness"
    ds.PatientID = "H1"
    ds.Modality = "ES" if sop_class == VL_ENDOSCOPIC else "OT"
    ds.Rows, ds.Columns = 2, 2
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 8, 7, 0
    ds.PixelData = b"\x00\x40\x80\xff"
    ds.file_meta = pydicom.dataset.FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    path = tmp_path / f"{name}.dcm"
    ds.save_as(path, enforce_file_format=True)
    return path


def test_free_port_is_bindable() -> None:
    port = peers.free_port()
    assert 1024 <= port <= 65535
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))


def test_require_tool_prefers_dcmtk_over_pynetdicom_scripts(storescu_tool: str) -> None:
    # pynetdicom installs a Python "storescu" that may come first on PATH; we need DCMTK's binary.
    assert Path(storescu_tool).read_bytes()[:4] == b"\x7fELF"


def test_require_tool_skips_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "false")
    with pytest.raises(pytest.skip.Exception):
        peers.require_tool("no-such-tool-smartbox")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception):
        peers.require_tool("no-such-tool-smartbox")


def test_storescp_receives_from_storescu(storescp_all: peers.StoreScp, storescu_tool: str,
                                         img2dcm_tool: str, tmp_path: Path) -> None:
    src = _img2dcm(img2dcm_tool, tmp_path)
    assert storescp_all.address == f"STORESCP@127.0.0.1:{storescp_all.port}"
    proc = _run([storescu_tool, "-xy", "-aec", storescp_all.aet, "127.0.0.1", str(storescp_all.port), str(src)])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    received = storescp_all.received()
    assert len(received) == 1
    got = pydicom.dcmread(received[0])
    assert got.SOPInstanceUID == pydicom.dcmread(src).SOPInstanceUID
    assert got.file_meta.TransferSyntaxUID == "1.2.840.10008.1.2.4.50"


def test_storescp_implicit_only(storescp_implicit: peers.StoreScp, storescu_tool: str, tmp_path: Path) -> None:
    src = _uncompressed(tmp_path, SC, "plain")
    proc = _run([storescu_tool, "-aec", storescp_implicit.aet, "127.0.0.1", str(storescp_implicit.port),
                 str(src)])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    [received] = storescp_implicit.received()
    assert pydicom.dcmread(received).file_meta.TransferSyntaxUID == "1.2.840.10008.1.2"


def test_storescp_profile_refuses_sop_class(storescu_tool: str, tmp_path: Path) -> None:
    profile = peers.storescp_profile({SC: ["1.2.840.10008.1.2.1", "1.2.840.10008.1.2"]})
    sc_file = _uncompressed(tmp_path, SC, "sc")
    vl_file = _uncompressed(tmp_path, VL_ENDOSCOPIC, "vl")
    with peers.storescp(tmp_path / "in", profile=profile) as scp:
        ok = _run([storescu_tool, "-aec", scp.aet, "127.0.0.1", str(scp.port), str(sc_file)])
        refused = _run([storescu_tool, "-aec", scp.aet, "127.0.0.1", str(scp.port), str(vl_file)])
        received = scp.received()
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert refused.returncode != 0
    assert "no presentation context" in (refused.stdout + refused.stderr).lower()
    assert [pydicom.dcmread(p).SOPClassUID for p in received] == [SC]


def test_storescp_tls(storescu_tool: str, img2dcm_tool: str, tmp_path: Path) -> None:
    key, cert = peers.make_tls_files(tmp_path / "tls")
    src = _img2dcm(img2dcm_tool, tmp_path)
    with peers.storescp(tmp_path / "in", extra_args=["+tls", str(key), str(cert), "-ic"]) as scp:
        plain = _run([storescu_tool, "-xy", "-aec", scp.aet, "127.0.0.1", str(scp.port), str(src)])
        tls = _run([storescu_tool, "+tla", "-ic", "-xy", "-aec", scp.aet, "127.0.0.1", str(scp.port), str(src)])
        received = scp.received()
    assert plain.returncode != 0  # a plain TCP client cannot talk to a TLS port
    assert tls.returncode == 0, tls.stdout + tls.stderr
    assert len(received) == 1


def test_storescp_stops_process(tmp_path: Path) -> None:
    with peers.storescp(tmp_path / "in") as scp:
        port = scp.port
        assert peers._accepts(port)
    assert not peers._accepts(port)
    assert scp.log_path.is_file()


def _worklist_item() -> Dataset:
    ds = Dataset()
    ds.SpecificCharacterSet = "ISO_IR 192"
    ds.PatientName = "Müller^Jürgen"
    ds.PatientID = "PID-1"
    ds.PatientBirthDate = "19700101"
    ds.PatientSex = "M"
    ds.AccessionNumber = "ACC1"
    ds.StudyInstanceUID = generate_uid()
    ds.RequestedProcedureID = "RP1"
    ds.RequestedProcedureDescription = "Koloskopie"
    sps = Dataset()
    sps.Modality = "ES"
    sps.ScheduledStationAETitle = "SMARTBOX"
    sps.ScheduledProcedureStepStartDate = "20240101"
    sps.ScheduledProcedureStepStartTime = "080000"
    sps.ScheduledProcedureStepID = "SPS1"
    sps.ScheduledProcedureStepDescription = "Koloskopie"
    sps.ScheduledPerformingPhysicianName = ""
    ds.ScheduledProcedureStepSequence = [sps]
    return ds


def _findscu_worklist(tool: str, port: int, aec: str, out: Path) -> list[Dataset]:
    out.mkdir()
    proc = _run([tool, "-W", "-aec", aec, "-X", "-od", str(out),
                 "-k", "PatientName", "-k", "PatientID", "-k", "SpecificCharacterSet",
                 "-k", "ScheduledProcedureStepSequence[0].Modality=ES",
                 "-k", "ScheduledProcedureStepSequence[0].ScheduledProcedureStepStartDate",
                 "127.0.0.1", str(port)])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return [pydicom.dcmread(p, force=True) for p in sorted(out.iterdir())]


def test_wlmscpfs_answers_findscu(wlm_scp: peers.WorklistScp, findscu_tool: str, tmp_path: Path) -> None:
    path = peers.write_worklist_item(wlm_scp.wl_dir, wlm_scp.aet, _worklist_item(), "item1")
    assert path.parent == wlm_scp.item_dir and (wlm_scp.item_dir / "lockfile").is_file()
    answers = _findscu_worklist(findscu_tool, wlm_scp.port, wlm_scp.aet, tmp_path / "rsp")
    assert len(answers) == 1
    assert answers[0].SpecificCharacterSet == "ISO_IR 192"  # kept thanks to -csk
    assert str(answers[0].PatientName) == "Müller^Jürgen"
    assert answers[0].PatientID == "PID-1"


def test_orthanc_stores_and_serves_rest(orthanc_peer: peers.OrthancPeer, storescu_tool: str,
                                        img2dcm_tool: str, tmp_path: Path) -> None:
    src = _img2dcm(img2dcm_tool, tmp_path)
    assert orthanc_peer.instances() == []
    proc = _run([storescu_tool, "-xy", "-aec", orthanc_peer.aet, "127.0.0.1", str(orthanc_peer.dicom_port),
                 str(src)])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    [instance] = orthanc_peer.instances()
    tags = orthanc_peer.tags(instance)
    assert tags["SOPInstanceUID"] == pydicom.dcmread(src).SOPInstanceUID
    assert orthanc_peer.get(f"/instances/{instance}/file") == src.read_bytes()


def test_orthanc_rejects_unauthenticated(orthanc_peer: peers.OrthancPeer) -> None:
    import urllib.error
    import urllib.request

    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(f"{orthanc_peer.base_url}/instances", timeout=10)
    assert info.value.code == 401


def test_orthanc_worklist_plugin(orthanc_peer: peers.OrthancPeer, findscu_tool: str, tmp_path: Path) -> None:
    item = _worklist_item()
    item.SpecificCharacterSet = "ISO_IR 100"
    item.save_as(tmp_path / "orthanc-worklists" / "item1.wl", implicit_vr=True, little_endian=True,
                 enforce_file_format=False)
    answers = _findscu_worklist(findscu_tool, orthanc_peer.dicom_port, orthanc_peer.aet, tmp_path / "rsp")
    assert [a.PatientID for a in answers] == ["PID-1"]
    assert str(answers[0].PatientName) == "Müller^Jürgen"


def test_orthanc_accepted_transfer_syntaxes(storescu_tool: str, img2dcm_tool: str, tmp_path: Path) -> None:
    src = _img2dcm(img2dcm_tool, tmp_path)
    with peers.orthanc(tmp_path / "pacs", accepted_transfer_syntaxes=["1.2.840.10008.1.2",
                                                                       "1.2.840.10008.1.2.1"]) as pacs:
        proc = _run([storescu_tool, "-xy", "-aec", pacs.aet, "127.0.0.1", str(pacs.dicom_port), str(src)])
        stored = pacs.instances()
    assert proc.returncode != 0
    assert stored == []


def test_dciodvfy_clean_img2dcm_object(dciodvfy_tool: str, img2dcm_tool: str, tmp_path: Path) -> None:
    result = peers.dciodvfy(_img2dcm(img2dcm_tool, tmp_path))
    assert result.iod == "SCImage"
    assert result.errors == [], result.raw
    assert result.ok


def test_dciodvfy_reports_broken_object(dciodvfy_tool: str, img2dcm_tool: str, tmp_path: Path) -> None:
    ds = pydicom.dcmread(_img2dcm(img2dcm_tool, tmp_path))
    del ds.ConversionType  # Type 1 in the SC Image module (PS3.3 C.8.6.1)
    del ds.Rows  # Type 1 in Image Pixel (PS3.3 C.7.6.3)
    broken = tmp_path / "broken.dcm"
    ds.save_as(broken)
    result = peers.dciodvfy(broken)
    assert not result.ok
    joined = "\n".join(result.errors)
    assert "ConversionType" in joined and "Rows" in joined


def test_dcentvfy_flags_duplicate_instance(dcentvfy_tool: str, img2dcm_tool: str, tmp_path: Path) -> None:
    one = _img2dcm(img2dcm_tool, tmp_path, "one")
    copy = tmp_path / "copy.dcm"
    copy.write_bytes(one.read_bytes())
    assert not peers.dcentvfy([one, copy]).ok
    assert peers.dcentvfy([one]).ok


def test_parse_verify_output() -> None:
    raw = ("Warning - Missing attribute or value that would be needed to build DICOMDIR - Study ID\n"
           "SCImage\n"
           "Error - Missing attribute Type 1 Required Element=<Rows> Module=<ImagePixel>\n"
           "(0xd8ff,0xe0ff)  ?  - Warning - Private tag without owner\n")
    result = peers.parse_verify_output(raw)
    assert result.iod == "SCImage"
    assert result.errors == ["Error - Missing attribute Type 1 Required Element=<Rows> Module=<ImagePixel>"]
    assert len(result.warnings) == 2
