"""Issue 11, item 7: the whole object matrix, validated twice and stored into three archives, read back byte-identical.

The matrix: stills of every still SOP class (camera JPEG passed through, PNG re-encoded, uncompressed),
Multi-frame True Color SC (camera burst passed through, mixed burst re-encoded, one still, video frames as JPEG
and uncompressed), and video objects of every video SOP class (H.264 MP4 passed through, VP8 transcoded, MPEG-2
passed through, HEVC, a fragmentable H.264). Each object is checked by dciodvfy, dicom-validator, a strict
read-back and the project's own rules (``objects_check.check``), then sent with ``smartbox send`` to

* DCMTK ``dcmqrscp`` (its own index; one instance per compressed syntax it prefers) and pynetdicom's ``qrscp``
  application, and fetched back with C-GET (pynetdicom as the retrieving SCU, the storage sub-operations on
  the same association, PS3.4 C.4.3);
* Orthanc, read back over REST.

dcmqrscp 3.6.7 and Orthanc 1.10 know no fragmentable video syntax (PS3.5 2022d): the fragmentable H.264 object
goes to pynetdicom's qrscp only.

Byte-identical means: the data set the archive returns equals, byte for byte, the data set after the File Meta
Information of the file SmartBox wrote (an archive writes its own File Meta, PS3.10 §7.1). dcm4chee cannot
be installed from the reachable package registries; the conformance statement says so.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import media_factory as mf
import numpy as np
import peers
import pydicom
import pytest
from objects_check import check
from PIL import Image
from pynetdicom import AE, build_role, evt
from pynetdicom.sop_class import StudyRootQueryRetrieveInformationModelGet

from smartbox_next.capture.image import load_still
from smartbox_next.cli import main
from smartbox_next.config import Config, config_from_mapping
from smartbox_next.dicom import sop as sops
from smartbox_next.dicom.anatomy import REGION_NAMES
from smartbox_next.dicom.transfer_syntax import HEVC, MPEG2
from smartbox_next.exam.model import Exam, Patient, Study
from smartbox_next.iod.created import write_object
from smartbox_next.iod.multiframe import build_multiframe_from_stills, build_multiframe_from_video
from smartbox_next.iod.still import StillCapture, build_still
from smartbox_next.iod.video import build_video_objects

pytestmark = pytest.mark.peer

JPEG_BASELINE = "1.2.840.10008.1.2.4.50"
H264_FRAGMENTABLE = "1.2.840.10008.1.2.4.102.1"


@dataclass(frozen=True)
class Built:
    label: str
    path: Path
    sop_class_uid: str
    sop_instance_uid: str
    transfer_syntax: str


def _jpeg(path: Path, shade: int) -> Path:
    y, x = np.mgrid[0:48, 0:64]
    Image.fromarray(np.stack([(x * 3 + shade) % 256, (y * 4) % 256, np.full_like(x, shade)], -1).astype(np.uint8)
                    ).save(path, quality=88)
    return path


def build_matrix(work: Path) -> list[Built]:
    """Every object kind of one exam (one study), written to ``work/objects``."""
    exam = Exam(Patient("Müller^Jürgen", "P-ARCH", "19650412", "M"), Study.new(accession_number="ACC-ARCH"),
                anatomic_region=REGION_NAMES["upper-gi"])
    out = work / "objects"
    src = work / "sources"
    src.mkdir(parents=True, exist_ok=True)
    jpeg, jpeg2 = _jpeg(src / "cam.jpg", 20), _jpeg(src / "cam2.jpg", 140)
    png = src / "alpha.png"
    Image.new("RGBA", (64, 48), (200, 40, 40, 128)).save(png)
    uncompressed = config_from_mapping({"objects": {"still_encoding": "uncompressed"},
                                        "video": {"multiframe_encoding": "uncompressed"}})
    made: list[tuple[str, Path]] = []
    for sop in (sops.SC, sops.VL_ENDOSCOPIC, sops.VL_PHOTOGRAPHIC):
        for label, image, config in (("jpeg", jpeg, Config()), ("png", png, Config()), ("native", png, uncompressed)):
            ds = build_still(config, exam, StillCapture(image=load_still(image)), sop)
            made.append((f"{sop.cli_name}/{label}", write_object(ds, out).path))
    clip = mf.h264_mp4(src / "clip.mp4", frames=6)
    made += [
        ("mf-sc/burst-pass-through", build_multiframe_from_stills(Config(), exam, [jpeg, jpeg2], out,
                                                                  frame_time_ms=100).path),
        ("mf-sc/burst-mixed", build_multiframe_from_stills(Config(), exam, [jpeg, png], out).path),
        ("mf-sc/one-still", build_multiframe_from_stills(Config(), exam, [jpeg], out).path),
        ("mf-sc/video-jpeg", build_multiframe_from_video(Config(), exam, clip, out).path),
        ("mf-sc/video-native", build_multiframe_from_video(uncompressed, exam, clip, out).path),
    ]
    fragmentable = config_from_mapping({"video": {"long_video_mode": "fragmentable", "max_fragment_bytes": 4096}})
    videos = [
        ("video-endoscopic/h264", sops.VIDEO_ENDOSCOPIC, clip, Config()),
        ("video-photographic/vp8-transcoded", sops.VIDEO_PHOTOGRAPHIC, mf.webm(src / "clip.webm", frames=6),
         Config()),
        ("video-microscopic/mpeg2", sops.VIDEO_MICROSCOPIC, mf.mpeg2(src / "clip.mpg", fmt="vob", frames=6),
         Config()),
        ("video-endoscopic/hevc", sops.VIDEO_ENDOSCOPIC, mf.hevc(src / "clip-hevc.mp4", frames=6), Config()),
        ("video-endoscopic/h264-fragmentable", sops.VIDEO_ENDOSCOPIC,
         mf.h264_mp4(src / "long.mp4", frames=40, width=320, height=240), fragmentable),
    ]
    for label, sop, video, config in videos:
        [obj] = build_video_objects(config, exam, video, sop, out)
        made.append((label, obj.path))
    built = []
    for label, path in made:
        ds = pydicom.dcmread(path, stop_before_pixels=True)
        built.append(Built(label, path, str(ds.SOPClassUID), str(ds.SOPInstanceUID),
                           str(ds.file_meta.TransferSyntaxUID)))
    return built


@pytest.fixture(scope="module")
def matrix(tmp_path_factory: pytest.TempPathFactory) -> list[Built]:
    return build_matrix(tmp_path_factory.mktemp("matrix"))


def dataset_bytes(path: Path) -> bytes:
    """The bytes of a Part 10 file after its File Meta Information (PS3.10 §7.1)."""
    data = path.read_bytes()
    assert data[128:132] == b"DICM" and data[132:136] == b"\x02\x00\x00\x00"
    (group_length,) = struct.unpack("<I", data[140:144])
    return data[144 + group_length:]


def test_every_object_of_the_matrix_is_valid(matrix: list[Built], standard_tables: Path) -> None:
    assert {b.sop_class_uid for b in matrix} == {s.uid for s in sops.ALL}
    assert H264_FRAGMENTABLE in {b.transfer_syntax for b in matrix}
    for built in matrix:
        back = check(built.path, standard_tables)
        assert back.SOPInstanceUID == built.sop_instance_uid, built.label


def _send(objects: list[Built], address: str, capsys: pytest.CaptureFixture[str]) -> None:
    folder = objects[0].path.parent
    paths = [str(b.path) for b in objects]
    rc = main(["--lang", "en", "send", *paths, "--to", address, "--json"])
    out = capsys.readouterr()
    assert rc == 0, out.out + out.err
    events = [json.loads(line) for line in out.out.splitlines() if line.startswith("{")]
    stored = [e for e in events if e.get("event") == "object"]
    assert len(stored) == len(objects), (folder, out.out)
    bad = [e for e in stored if e["outcome"] not in ("stored", "warning") or e.get("conversion")]
    assert not bad, bad


def c_get(address: str, study_uid: str, wanted: list[Built]) -> dict[str, tuple[str, bytes]]:
    """C-GET the study (Study Root, STUDY level); SOP Instance UID -> (transfer syntax, data set bytes)."""
    aet, rest = address.split("@")
    host, port = rest.rsplit(":", 1)
    ae = AE(ae_title="GETSCU")
    ae.add_requested_context(StudyRootQueryRetrieveInformationModelGet)
    contexts = sorted({(b.sop_class_uid, b.transfer_syntax) for b in wanted})
    for sop_class, ts in contexts:
        ae.add_requested_context(sop_class, ts)
    roles = [build_role(sop_class, scp_role=True) for sop_class in sorted({c for c, _ in contexts})]
    received: dict[str, tuple[str, bytes]] = {}

    def on_store(event: evt.Event) -> int:
        raw = event.request.DataSet.getvalue()
        uid = str(event.request.AffectedSOPInstanceUID)
        received[uid] = (str(event.context.transfer_syntax), bytes(raw))
        return 0x0000

    assoc = ae.associate(host, int(port), ae_title=aet, ext_neg=roles, evt_handlers=[(evt.EVT_C_STORE, on_store)])
    assert assoc.is_established, f"no association with {address}"
    try:
        query = pydicom.Dataset()
        query.QueryRetrieveLevel = "STUDY"
        query.StudyInstanceUID = study_uid
        statuses = [status.Status for status, _ in assoc.send_c_get(query, StudyRootQueryRetrieveInformationModelGet)
                    if status is not None and "Status" in status]
    finally:
        assoc.release()
    assert statuses and statuses[-1] in (0x0000, 0xB000), [hex(s) for s in statuses]
    return received


def _study(matrix: list[Built]) -> str:
    return str(pydicom.dcmread(matrix[0].path, stop_before_pixels=True).StudyInstanceUID)


def _assert_identical(objects: list[Built], received: dict[str, tuple[str, bytes]], archive: str) -> None:
    for built in objects:
        assert built.sop_instance_uid in received, f"{archive} did not return {built.label}"
        ts, data = received[built.sop_instance_uid]
        assert ts == built.transfer_syntax, (archive, built.label, ts)
        assert data == dataset_bytes(built.path), f"{archive} changed the bytes of {built.label}"


def _groups(matrix: list[Built]) -> Iterator[tuple[str, list[Built]]]:
    """dcmqrscp accepts the uncompressed syntaxes plus one compressed one per instance (its +x option)."""
    def prefer(ts: str) -> str:
        if ts == JPEG_BASELINE:
            return "jpeg"
        if ts in MPEG2:
            return "mpeg2" if ts.endswith(".100") else "mpeg2-high"
        if ts in HEVC:
            return "hevc"
        return "h264" if ts.startswith("1.2.840.10008.1.2.4.10") else "native"

    groups: dict[str, list[Built]] = {}
    for built in matrix:
        if built.transfer_syntax != H264_FRAGMENTABLE:  # dcmqrscp 3.6.7 knows no fragmentable syntax
            groups.setdefault(prefer(built.transfer_syntax), []).append(built)
    yield from sorted(groups.items())


def test_dcmqrscp_keeps_every_byte(matrix: list[Built], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    seen = 0
    for name, objects in _groups(matrix):
        with peers.dcmqrscp(tmp_path / name, prefer=name) as archive:
            _send(objects, archive.address, capsys)
            _assert_identical(objects, c_get(archive.address, _study(matrix), objects), f"dcmqrscp ({name})")
            assert len(list(archive.storage.rglob("*"))) > len(objects)  # its own files and index
        seen += len(objects)
    assert seen == len(matrix) - 1


def test_pynetdicom_qrscp_keeps_every_byte(matrix: list[Built], tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    with peers.qrscp(tmp_path / "qrscp") as archive:
        _send(matrix, archive.address, capsys)
        _assert_identical(matrix, c_get(archive.address, _study(matrix), matrix), "pynetdicom qrscp")


def test_orthanc_keeps_every_byte(matrix: list[Built], orthanc_peer: peers.OrthancPeer, tmp_path: Path,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    """Orthanc 1.10 accepts no fragmentable video syntax: that object is sent re-wrapped (see test_net_*)."""
    objects = [b for b in matrix if b.transfer_syntax != H264_FRAGMENTABLE]
    _send(objects, orthanc_peer.address, capsys)
    for built in objects:
        [found] = json.loads(orthanc_peer.post("/tools/lookup", built.sop_instance_uid))
        stored = tmp_path / f"{built.sop_instance_uid}.dcm"
        stored.write_bytes(orthanc_peer.get(f"/instances/{found['ID']}/file"))
        assert dataset_bytes(stored) == dataset_bytes(built.path), f"Orthanc changed the bytes of {built.label}"
        assert pydicom.dcmread(stored, stop_before_pixels=True).file_meta.TransferSyntaxUID == built.transfer_syntax
