"""The main job end to end on embedded defaults — no configuration, no hospital needed (``smartbox demo``).

1. starts a built-in loopback PACS and Modality Worklist on 127.0.0.1 (free ports) with sample patients
   whose names need umlauts and UTF-8;
2. queries the worklist like the station would and takes the first scheduled exam;
3. creates a still (bundled sample capture) and a short H.264 video for that exam;
4. validates every object (own rule checks, plus dciodvfy when installed);
5. exports them (spool + outbox) and lets the sending service deliver them to the loopback PACS.

Progress goes to ``on_step(key, params)`` with keys of :data:`smartbox_next.messages.TEXTS`.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from fractions import Fraction
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

from smartbox_next.app.identity import with_region
from smartbox_next.app.loopback import start_loopback
from smartbox_next.app.objects import Exported, export_objects
from smartbox_next.app.station import continue_exam, open_outbox
from smartbox_next.config import Config, with_overrides
from smartbox_next.delivery.destination import destination_names, destinations
from smartbox_next.delivery.workers import SenderService
from smartbox_next.dicom.peer import Peer, PeerRole
from smartbox_next.iod.validate import Report, validate_file
from smartbox_next.spool.outbox import JobState
from smartbox_next.worklist.mapping import to_exam
from smartbox_next.worklist.query import WorklistQuery
from smartbox_next.worklist.regions import RegionRules
from smartbox_next.worklist.service import fetch

Step = Callable[[str, Mapping[str, Any]], None]


def sample_path() -> Path:
    """The bundled sample capture (a synthetic 640×480 endoscopy-like baseline JPEG)."""
    return Path(str(resources.files("smartbox_next").joinpath("samples/endoscopy.jpg")))


def make_demo_video(path: Path, seconds: int = 2) -> Path:
    """A short synthetic 640×480 25 fps H.264 High clip in MP4, as a grabber would record it."""
    import av
    import numpy as np

    with av.open(str(path), "w", format="mp4", options={"movflags": "+faststart"}) as out:
        stream = out.add_stream("libx264", rate=Fraction(25, 1))
        stream.width, stream.height, stream.pix_fmt = 640, 480, "yuv420p"
        stream.options = {"profile": "high", "level": "4.1", "preset": "veryfast", "crf": "23"}
        y, x = np.mgrid[0:480, 0:640]
        for i in range(seconds * 25):
            frame = np.stack([(x + 4 * i) % 256, (y + 2 * i) % 256, ((x + y) // 2) % 256], -1).astype(np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


def demo_config(config: Config, work: Path, pacs: str, worklist: str) -> Config:
    """``config`` pointed at the loopback peers, with its own data folder under ``work``."""
    config = with_overrides(config, "station", data_dir=str(work / "station"))
    config = with_overrides(config, "worklist", peer="demo-mwl")
    config = with_overrides(config, "outbox", folder="", min_free_mb=50)
    if not config.objects.anatomic_region:  # the demo's own station default (its worklist names the procedure)
        config = with_overrides(config, "objects", anatomic_region="colon")
    peers = {"demo-pacs": Peer.parse(pacs, name="demo-pacs", roles=frozenset({PeerRole.STORAGE})),
             "demo-mwl": Peer.parse(worklist, name="demo-mwl", roles=frozenset({PeerRole.WORKLIST}))}
    return replace(config, peers=MappingProxyType(peers))


@dataclass(frozen=True)
class DemoResult:
    """What the demo made, checked and delivered, and which of its folders it removed again."""

    work: Path
    objects: list[tuple[Exported, Report]]
    sent: int
    received: list[Path]
    removed: tuple[Path, ...] = ()

    @property
    def pacs_dir(self) -> Path:
        """What the loopback PACS received."""
        return self.work / "pacs"

    @property
    def station_dir(self) -> Path:
        """The demo station's data folder: spool, outbox, exam journals."""
        return self.work / "station"

    @property
    def capture(self) -> Path:
        """The demo video capture (the still is the bundled sample, :func:`sample_path`)."""
        return self.work / "capture.mp4"

    @property
    def ok(self) -> bool:
        return (all(report.ok for _, report in self.objects) and self.sent == len(self.objects)
                and len(self.received) == len(self.objects))


def run_demo(config: Config, work: Path, on_step: Step, *, keep: bool = True,
             temporary: bool = False) -> DemoResult:
    """Run the whole chain in ``work`` (see the module docstring); raises SmartboxError on a failure.

    Without ``keep`` the loopback peers' folder is removed at the end — and all of ``work`` when it is a
    ``temporary`` folder the caller made for the demo; :attr:`DemoResult.removed` says what went.
    """
    try:
        result = _run(config, work, on_step)
    finally:
        removed = () if keep else _clean(work, temporary)
    return replace(result, removed=removed)


def _clean(work: Path, temporary: bool) -> tuple[Path, ...]:
    target = work if temporary else work / "pacs"
    if not target.exists():
        return ()
    shutil.rmtree(target, ignore_errors=True)
    return (target,)


def _run(config: Config, work: Path, on_step: Step) -> DemoResult:
    loop, servers = start_loopback(work / "pacs", config.station.ae_title, config.worklist.modality)
    try:
        config = demo_config(config, work, loop.storage_address, loop.worklist_address)
        on_step("demo.loopback", {"pacs": loop.storage_address, "worklist": loop.worklist_address})
        result = fetch(config, config.peer("demo-mwl"), WorklistQuery.from_options(config))
        on_step("demo.scheduled", {"count": len(result.items)})
        rules = RegionRules.from_config(config.procedure_regions)
        exam = continue_exam(config, with_region(config, to_exam(result.items[0], uid_root=config.uid.root,
                                                                 regions=rules)))
        on_step("demo.chosen", {"patient": exam.patient.patient_name, "patient_id": exam.patient.patient_id,
                                "accession": exam.study.accession_number})
        outbox = open_outbox(config)
        try:
            dests = destination_names(config)
            video = make_demo_video(work / "capture.mp4")
            exported = [*export_objects(config, outbox, exam, sample_path(), dests, "vl-endoscopic"),
                        *export_objects(config, outbox, exam, video, dests, "video-endoscopic")]
            checked = [(item, validate_file(item.created.path)) for item in exported]
            SenderService(config, outbox, destinations(config)).run_until_idle(timeout=120)
            sent = sum(1 for j in outbox.jobs() if j.state is JobState.SENT)
        finally:
            outbox.close()
    finally:
        for server in servers:
            server.shutdown()
    return DemoResult(work, checked, sent, list(loop.received))
