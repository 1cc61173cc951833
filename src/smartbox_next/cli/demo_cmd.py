"""``smartbox demo``: the main job on embedded defaults, no configuration and no hospital needed.

Builds objects of every still SOP class from the bundled sample capture for a demo patient,
validates each (own rule checks, plus dciodvfy when installed) and prints where they are.
"""

from __future__ import annotations

import tempfile
from importlib import resources
from pathlib import Path

import click

from smartbox_next.cli._app import AppState, cli, emit_json, pass_state, reporting
from smartbox_next.iod import sop as sops
from smartbox_next.iod.still import StillCapture, build_still
from smartbox_next.iod.validate import validate_file
from smartbox_next.media.image import still_from_bytes
from smartbox_next.model import Exam, Patient, Study
from smartbox_next.pipeline import write_object

DEMO_PATIENT = Patient("Demo^Jürgen^^Dr.", "DEMO-0001", "19650412", "M")


def sample_bytes() -> bytes:
    """The bundled sample capture (a synthetic 640×480 endoscopy-like baseline JPEG)."""
    return resources.files("smartbox_next").joinpath("samples/endoscopy.jpg").read_bytes()


@cli.command("demo")
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Folder for the demo objects (default: a new temporary folder).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per created file.")
@pass_state
def demo(state: AppState, out_dir: Path | None, as_json: bool) -> int:
    """Create and validate sample objects of every still type (no configuration needed)."""
    config = state.config
    out_dir = out_dir or Path(tempfile.mkdtemp(prefix="smartbox-demo-"))
    de = state.lang == "de"
    failures = 0
    with reporting(state):
        exam = Exam(DEMO_PATIENT, Study.new(uid_root=config.uid.root, accession_number="DEMO-ACC-1",
                                            study_description="Demo Gastroskopie" if de else "Demo gastroscopy"))
        image = still_from_bytes(sample_bytes(), "samples/endoscopy.jpg")
        for sop in (sops.SC, sops.VL_ENDOSCOPIC, sops.VL_PHOTOGRAPHIC):
            ds = build_still(config, exam, StillCapture(image=image), sop)
            created = write_object(ds, out_dir)
            report = validate_file(created.path)
            own = [str(f) for f in report.findings if f.severity == "error"]
            dciodvfy = list(report.dciodvfy_errors) if report.dciodvfy_ran else None
            ok = report.ok
            failures += 0 if ok else 1
            if as_json:
                emit_json({**created.as_json(), "sop": sop.cli_name, "valid": ok,
                           "dciodvfy_errors": dciodvfy, "own_errors": own})
                continue
            verdict = ("gültig" if de else "valid") if ok else ("UNGÜLTIG" if de else "INVALID")
            checked = "eigene Regeln" if de else "own rules"
            checked += " + dciodvfy" if dciodvfy is not None else (" (dciodvfy nicht installiert)" if de
                                                                   else " (dciodvfy not installed)")
            click.echo(f"{sop.name:<40} {created.transfer_syntax_uid:<24} {verdict} [{checked}]")
            for line in own + (dciodvfy or []):
                click.echo(f"    {line}")
    if not as_json:
        click.echo(("Objekte in: " if de else "Objects in: ") + str(out_dir))
    return 1 if failures else 0
