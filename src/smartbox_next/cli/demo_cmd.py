"""``smartbox demo``: the main job end to end on embedded defaults — no configuration, no hospital needed.

1. starts a built-in loopback PACS and Modality Worklist on 127.0.0.1 (free ports) with sample patients
   whose names need umlauts and UTF-8;
2. queries the worklist like the station would and takes the first scheduled exam;
3. creates a still (bundled sample capture) and a short H.264 video for that exam;
4. validates every object (own rule checks, plus dciodvfy when installed);
5. exports them (spool + outbox) and lets the sending service deliver them to the loopback PACS;
6. prints a summary with where everything is.
"""

from __future__ import annotations

import tempfile
from dataclasses import replace
from fractions import Fraction
from importlib import resources
from pathlib import Path
from types import MappingProxyType

import click

from smartbox_next.app.loopback import start_loopback
from smartbox_next.app.objects import export_objects, open_outbox
from smartbox_next.cli._app import AppState, cli, emit_json, pass_state, reporting
from smartbox_next.config import Config, with_overrides
from smartbox_next.delivery.workers import SenderService, destinations
from smartbox_next.dicom.peer import Peer
from smartbox_next.exam.journal import resume_exam
from smartbox_next.iod.validate import validate_file
from smartbox_next.net.worklist import find_worklist
from smartbox_next.spool.outbox import JobState
from smartbox_next.worklist.item import WorklistQuery


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


def _demo_config(config: Config, work: Path, pacs: str, worklist: str) -> Config:
    config = with_overrides(config, "station", data_dir=str(work / "station"))
    config = with_overrides(config, "worklist", peer="demo-mwl")
    config = with_overrides(config, "outbox", folder="", min_free_mb=50)
    peers = {"demo-pacs": Peer.parse(pacs, name="demo-pacs"), "demo-mwl": Peer.parse(worklist, name="demo-mwl")}
    return replace(config, peers=MappingProxyType(peers))


@cli.command("demo")
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Working folder (default: a new temporary folder).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per created object, then a summary.")
@pass_state
def demo(state: AppState, out_dir: Path | None, as_json: bool) -> int:
    """Worklist → still + video → validate → export → send, against a built-in loopback PACS and worklist."""
    work = out_dir or Path(tempfile.mkdtemp(prefix="smartbox-demo-"))
    de = state.lang == "de"

    def say(de_text: str, en_text: str) -> None:
        if not as_json:
            click.echo(de_text if de else en_text)

    with reporting(state):
        loop, servers = start_loopback(work / "pacs", state.config.station.ae_title, state.config.worklist.modality)
        try:
            config = _demo_config(state.config, work, loop.storage_address, loop.worklist_address)
            say(f"Loopback-PACS {loop.storage_address}, Worklist {loop.worklist_address}",
                f"Loopback PACS {loop.storage_address}, worklist {loop.worklist_address}")
            result = find_worklist(config, config.peer("demo-mwl"), WorklistQuery.from_options(config))
            n = len(result.items)
            say(f"Worklist: {n} geplante Untersuchungen", f"Worklist: {n} scheduled exams")
            item = result.items[0]
            exam = resume_exam(config.data_dir, item.to_exam(config), config.uid.root)
            say(f"Gewählt: {exam.patient.patient_name} ({exam.patient.patient_id}), Auftrag "
                f"{exam.study.accession_number}", f"Chosen: {exam.patient.patient_name} ({exam.patient.patient_id}), "
                f"accession {exam.study.accession_number}")
            outbox = open_outbox(config)
            dests = [d.name for d in destinations(config)]
            video = make_demo_video(work / "capture.mp4")
            exported = [*export_objects(config, outbox, exam, sample_path(), dests, "vl-endoscopic"),
                        *export_objects(config, outbox, exam, video, dests, "video-endoscopic")]
            failures = 0
            for item_ in exported:
                report = validate_file(item_.created.path)
                failures += 0 if report.ok else 1
                verdict = ("gültig" if de else "valid") if report.ok else ("UNGÜLTIG" if de else "INVALID")
                if as_json:
                    emit_json({**item_.created.as_json(), "valid": report.ok, "errors": report.errors,
                               "dciodvfy": report.dciodvfy_ran})
                else:
                    checked = "+ dciodvfy" if report.dciodvfy_ran else ("(ohne dciodvfy)" if de else "(no dciodvfy)")
                    click.echo(f"  {item_.created.path.name}  {item_.created.transfer_syntax_uid}  {verdict} {checked}")
                    for line in report.errors:
                        click.echo(f"      {line}")
            SenderService(config, outbox, destinations(config)).run_until_idle(timeout=120)
            sent = [j for j in outbox.jobs() if j.state is JobState.SENT]
            outbox.close()
        finally:
            for server in servers:
                server.shutdown()
    ok = failures == 0 and len(sent) == len(exported) and len(loop.received) == len(exported)
    if as_json:
        emit_json({"summary": {"ok": ok, "created": len(exported), "sent": len(sent),
                               "received_by_pacs": [str(p) for p in loop.received], "work_dir": str(work)}})
    else:
        say(f"Gesendet: {len(sent)}/{len(exported)}; im Loopback-PACS: {work / 'pacs'}",
            f"Sent: {len(sent)}/{len(exported)}; in the loopback PACS: {work / 'pacs'}")
        say(f"Spool und Ausgang: {work / 'station'}", f"Spool and outbox: {work / 'station'}")
        say("Demo erfolgreich." if ok else "Demo FEHLGESCHLAGEN.", "Demo succeeded." if ok else "Demo FAILED.")
    return 0 if ok else 1
