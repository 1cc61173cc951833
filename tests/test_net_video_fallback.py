"""Video fallback end to end: a PACS that refuses H.264 but takes MPEG-2 gets a re-encoded MPEG-2 object.

PS3.5 §8.2.5/§8.2.7 (the object is only ever sent under the syntax it is encoded in); the re-encoded object
is a new, DERIVED instance with both lossy methods (PS3.3 C.7.6.1.1.5). Real peer: DCMTK storescp with an
association profile that accepts Video Endoscopic only as MPEG2 MP@ML.
"""

from __future__ import annotations

from pathlib import Path

import peers
from media_factory import h264_mp4

from smartbox_next.app.objects import create_objects
from smartbox_next.app.station import open_outbox
from smartbox_next.config import config_from_mapping
from smartbox_next.delivery.destination import destinations
from smartbox_next.delivery.video import Reencoder
from smartbox_next.delivery.workers import SenderService
from smartbox_next.dicom import sop as sops
from smartbox_next.dicom.anatomy import REGION_NAMES
from smartbox_next.dicom.part10 import read_object_info
from smartbox_next.dicom.peer import Peer
from smartbox_next.errors import NoAcceptedContextError
from smartbox_next.exam.model import Exam, Patient, Study
from smartbox_next.net.link import LinkSettings
from smartbox_next.net.store import Outcome, store_files
from smartbox_next.spool.outbox import JobState

COLON = REGION_NAMES["colon"]  # the exam's region (PS3.3 C.8.12.1): video objects must name one

H264 = "1.2.840.10008.1.2.4.102"
MPEG2_ML = "1.2.840.10008.1.2.4.100"
HEVC = "1.2.840.10008.1.2.4.107"


def _video_object(tmp_path: Path, width: int = 320, height: int = 240, frames: int = 25) -> Path:
    config = config_from_mapping({})
    exam = Exam(Patient("Müller^Jürgen", "P-V"), Study.new(), anatomic_region=COLON)
    clip = h264_mp4(tmp_path / "clip.mp4", width=width, height=height, frames=frames)
    [created] = create_objects(config, exam, clip, tmp_path / "objects", "video-endoscopic")
    assert created.transfer_syntax_uid == H264
    return created.path


def test_h264_refused_mpeg2_accepted_is_transcoded(tmp_path: Path, dciodvfy_tool: str) -> None:
    source = _video_object(tmp_path)
    profile = peers.storescp_profile({sops.VIDEO_ENDOSCOPIC.uid: [MPEG2_ML]})
    with peers.storescp(tmp_path / "recv", profile=profile) as scp:
        result = store_files(LinkSettings(), Peer.parse(scp.address), [source],
                             transcoder=Reencoder(config_from_mapping({})))
        [res] = result.results
        assert res.outcome is Outcome.STORED, res.error
        assert res.transfer_syntax == MPEG2_ML and res.conversion
        [received] = scp.received()
    back = peers.read_back(received)
    assert back.file_meta.TransferSyntaxUID == MPEG2_ML
    assert back.ImageType[0] == "DERIVED"
    assert list(back.LossyImageCompressionMethod) == ["ISO_14496_10", "ISO_13818_2"]
    assert back.SOPInstanceUID != peers.read_back(source).SOPInstanceUID
    assert peers.dciodvfy(received).errors == []


def test_no_video_syntax_accepted_names_class_and_syntax(tmp_path: Path) -> None:
    source = _video_object(tmp_path)
    profile = peers.storescp_profile({sops.VIDEO_ENDOSCOPIC.uid: [HEVC]})
    with peers.storescp(tmp_path / "recv", profile=profile) as scp:
        [res] = store_files(LinkSettings(), Peer.parse(scp.address), [source],
                             transcoder=Reencoder(config_from_mapping({}))).results
        assert scp.received() == []
    assert res.outcome is Outcome.FAILED
    assert isinstance(res.error, NoAcceptedContextError) and not res.error.retryable
    for lang in ("en", "de"):
        text = res.error.text(lang)
        assert sops.VIDEO_ENDOSCOPIC.uid in text or "Video Endoscopic" in text


# --- defects of the layout issue: the outbox's re-encode ignored the configuration; an MP@ML-only PACS --------

ROOT = "1.2.826.0.1.3680043.8.498.4242"


def test_outbox_reencode_uses_the_configured_uid_root(tmp_path: Path) -> None:
    """The sending service re-encoded without the configuration: a 2.25 UID instead of the hospital's root."""
    source = _video_object(tmp_path)
    profile = peers.storescp_profile({sops.VIDEO_ENDOSCOPIC.uid: [MPEG2_ML]})
    with peers.storescp(tmp_path / "recv", profile=profile) as scp:
        config = config_from_mapping({"uid": {"root": ROOT}, "station": {"data_dir": str(tmp_path / "data")},
                                      "peers": {"pacs": scp.address}})
        outbox = open_outbox(config)
        info = read_object_info(source)
        outbox.enqueue(source, info.sop_instance_uid, info.sop_class_uid, ["pacs"])
        SenderService(config, outbox, destinations(config)).run_until_idle(timeout=120)
        [job] = outbox.jobs()
        assert job.state is JobState.SENT, job.error_key
        [received] = scp.received()
    back = peers.read_back(received)
    assert back.file_meta.TransferSyntaxUID == MPEG2_ML
    assert back.SOPInstanceUID.startswith(ROOT + "."), back.SOPInstanceUID


def _hd_object(tmp_path: Path) -> Path:
    return _video_object(tmp_path, width=1920, height=1080, frames=5)


def test_hd_h264_to_a_main_level_only_pacs_is_downscaled(tmp_path: Path, dciodvfy_tool: str) -> None:
    """An older archive takes Video Endoscopic only as MPEG-2 MP@ML: a 720×576 DERIVED re-encode goes out."""
    source = _hd_object(tmp_path)
    profile = peers.storescp_profile({sops.VIDEO_ENDOSCOPIC.uid: [MPEG2_ML]})
    with peers.storescp(tmp_path / "recv", profile=profile) as scp:
        [res] = store_files(LinkSettings(), Peer.parse(scp.address), [source],
                             transcoder=Reencoder(config_from_mapping({}))).results
        assert res.outcome is Outcome.STORED, res.error and res.error.text("en")
        [received] = scp.received()
    back = peers.read_back(received)
    assert back.file_meta.TransferSyntaxUID == MPEG2_ML
    assert (back.Rows, back.Columns) == (576, 720)
    assert back.ImageType[0] == "DERIVED"
    assert "1920x1080" in back.DerivationDescription and "720x576" in back.DerivationDescription
    assert list(back.LossyImageCompressionMethod) == ["ISO_14496_10", "ISO_13818_2"]
    assert peers.dciodvfy(received).errors == []


def test_downscaling_switched_off_says_exactly_that(tmp_path: Path) -> None:
    source = _hd_object(tmp_path)
    profile = peers.storescp_profile({sops.VIDEO_ENDOSCOPIC.uid: [MPEG2_ML]})
    config = config_from_mapping({"video": {"allow_downscale": False}})
    with peers.storescp(tmp_path / "recv", profile=profile) as scp:
        link = LinkSettings.of(config.station, config.network)
        [res] = store_files(link, Peer.parse(scp.address), [source], transcoder=Reencoder(config)).results
        assert scp.received() == []
    assert res.outcome is Outcome.FAILED and res.error is not None
    assert res.error.key == "send.downscale_off" and not res.error.retryable
    en, de = res.error.text("en"), res.error.text("de")
    assert "720x576" in en and "1920x1080" in en and "video.allow_downscale" in res.error.hint("en")
    assert "720x576" in de and "video.allow_downscale" in res.error.hint("de")
    assert "not a video transfer syntax" not in en
