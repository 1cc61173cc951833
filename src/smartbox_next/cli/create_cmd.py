"""``smartbox create INPUT... --out DIR``: one DICOM object per input (stills; video via the video builder)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import click

from smartbox_next.cli._app import AppState, WordedUsageError, cli, for_each_input, pass_state, reporting
from smartbox_next.dicom import sop as sops
from smartbox_next.dicom.transfer_syntax import syntax_name
from smartbox_next.exam.model import Exam
from smartbox_next.messages import say

SOP_CHOICES = [s.cli_name for s in sops.ALL]
F = TypeVar("F", bound=Callable[..., Any])


def identity_options(fn: F) -> F:
    """The patient/study options shared by ``create`` and ``export``."""
    for option in reversed([
        click.option("--patient-name", default=None, help='Patient name, e.g. "Müller^Jürgen".'),
        click.option("--patient-id", default=None, help="Patient ID."),
        click.option("--birth-date", default=None, help="Birth date YYYYMMDD."),
        click.option("--sex", type=click.Choice(["M", "F", "O"]), default=None),
        click.option("--accession", default=None,
                     help="Accession number; without patient options it is looked up in the worklist."),
        click.option("--study-uid", default=None, help="Study Instance UID to join (default: a new study)."),
        click.option("--emergency", is_flag=True, help="Unknown patient: generated, clearly marked identity."),
        click.option("--worklist-item", default=None,
                     help="Worklist entry ID (shown by 'smartbox worklist'); patient and study come from it."),
        click.option("--from", "from_peer", default=None,
                     help="Worklist server for --accession / --worklist-item (default: worklist.peer)."),
        click.option("--override-worklist", is_flag=True,
                     help="Use the patient typed here although it differs from the worklist entry "
                          "(recorded with the exam)."),
        click.option("--anatomic-region", default=None,
                     help="Examined region: a name (colon, upper-gi, bronchus, bladder, …) or a code "
                          "SCHEME:VALUE:Meaning (CID 4040). Default: from the worklist entry, else "
                          "objects.anatomic_region."),
    ]):
        fn = option(fn)
    return fn


def exam_from_options(state: AppState, **options: Any) -> Exam:
    """The exam for the identity options (raises SmartboxError; call inside ``reporting``).

    Notices about the worklist answer (stale, charset) are printed here; the choice is the use case's.
    """
    from smartbox_next.app.identity import Identity, exam_for  # the worklist service: pydicom, pynetdicom

    identity = Identity(**{k: options[k] for k in _IDENTITY_FIELDS if k in options})
    if identity.worklist_item and (identity.study_uid or identity.emergency):
        raise WordedUsageError(say("usage.worklist_item_with_patient", state.lang))
    if identity.override_worklist and not (identity.worklist_item or identity.accession):
        raise WordedUsageError(say("usage.override_without_worklist", state.lang))
    given = [f"--{name.replace('_', '-')}" for name in ("patient_id", "patient_name", "birth_date", "sex")
             if options.get(name)]
    if identity.emergency and given:
        raise WordedUsageError(say("usage.emergency_with_patient", state.lang, {"options": ", ".join(given)}))
    chosen = exam_for(state.config, identity)
    if chosen.worklist is not None:
        from smartbox_next.cli.worklist_cmd import report_result

        report_result(chosen.worklist, state.lang)
    return chosen.exam


_IDENTITY_FIELDS = ("patient_name", "patient_id", "birth_date", "sex", "accession", "study_uid", "emergency",
                    "worklist_item", "from_peer", "anatomic_region", "override_worklist")


@cli.command("create")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--out", "out_dir", required=True, type=click.Path(path_type=Path, file_okay=False),
              help="Folder for the created objects.")
@click.option("--sop", type=click.Choice(SOP_CHOICES), default=None,
              help="Object type (default from config: objects.sop).")
@identity_options
@click.option("--conversion-type", type=click.Choice(["DV", "DI", "WSD", "SD", "SI"]), default=None,
              help="SC Conversion Type: DV frame grabber, DI digital camera/interface.")
@click.option("--burst", is_flag=True,
              help="All INPUT stills become ONE Multi-frame True Color SC object (same size, in order).")
@click.option("--frame-time", "frame_time_ms", type=click.FloatRange(min=0.001), default=None,
              help="With --burst: milliseconds between frames (adds the cine attributes).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per created file.")
@pass_state
def create(state: AppState, /, inputs: tuple[Path, ...], out_dir: Path, sop: str | None, conversion_type: str | None,
           burst: bool, frame_time_ms: float | None, as_json: bool, **identity: Any) -> int:
    """Create one DICOM object per INPUT (JPEG, PNG, … or video)."""
    from smartbox_next.app.objects import create_burst, create_objects  # the builders: pydicom, Pillow, PyAV

    config = state.config
    with reporting(state):
        exam = exam_from_options(state, **identity)

    if burst:
        if sop not in (None, "mf-sc"):
            raise WordedUsageError(say("usage.burst_sop", state.lang))

        def produce_burst(first: Path) -> Iterator[tuple[dict[str, Any], str]]:
            obj = create_burst(config, exam, list(inputs), out_dir, frame_time_ms=frame_time_ms)
            yield obj.as_json(), say("create.burst", state.lang, {
                "count": len(inputs), "file": obj.path, "syntax": syntax_name(obj.transfer_syntax_uid)})

        return for_each_input(state, inputs[:1], as_json, produce_burst)

    def produce(path: Path) -> Iterator[tuple[dict[str, Any], str]]:
        for obj in create_objects(config, exam, path, out_dir, sop, conversion_type):
            yield obj.as_json(), f"{path} -> {obj.path}  [{syntax_name(obj.transfer_syntax_uid)}]"

    return for_each_input(state, inputs, as_json, produce)
