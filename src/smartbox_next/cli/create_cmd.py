"""``smartbox create INPUT... --out DIR``: one DICOM object per input (stills; video via the video builder)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import click

from smartbox_next.app.objects import create_objects
from smartbox_next.cli._app import AppState, cli, for_each_input, pass_state, reporting
from smartbox_next.config import Config
from smartbox_next.dicom import sop as sops
from smartbox_next.dicom.values import check_value
from smartbox_next.errors import AttributeValueError
from smartbox_next.exam.journal import resume_exam
from smartbox_next.exam.model import Exam, Patient, Study, emergency_patient

SOP_CHOICES = [s.cli_name for s in sops.ALL]
F = TypeVar("F", bound=Callable[..., Any])


def manual_exam(config: Config, *, patient_name: str | None, patient_id: str | None, birth_date: str | None,
                sex: str | None, accession: str | None, study_uid: str | None, emergency: bool) -> Exam:
    """An exam from operator input, or an emergency identity (DICOM_RULES §7, unscheduled)."""
    if emergency:
        patient = emergency_patient(config.objects.emergency_prefix)
    elif patient_id:
        patient = Patient(patient_name=patient_name or "", patient_id=patient_id, birth_date=birth_date or "",
                          sex=sex or "")
    else:
        raise AttributeValueError("attr.missing", attribute="Patient ID (0010,0020)")
    if study_uid:
        check_value("StudyInstanceUID", study_uid)
    study = Study.new(uid_root=config.uid.root, study_instance_uid=study_uid, accession_number=accession or "")
    return Exam(patient, study, uid_root=config.uid.root)


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
    ]):
        fn = option(fn)
    return fn


def exam_from_options(state: AppState, **options: Any) -> Exam:
    """The exam for the identity options, continued across runs for the same study (``exam_journal``)."""
    exam = _exam_from_options(state, **options)
    return resume_exam(state.config.data_dir, exam, state.config.uid.root)


def _exam_from_options(state: AppState, *, patient_name: str | None, patient_id: str | None,
                       birth_date: str | None, sex: str | None, accession: str | None, study_uid: str | None,
                       emergency: bool, worklist_item: str | None = None, from_peer: str | None = None,
                       **_: Any) -> Exam:
    """The exam for the identity options (raises SmartboxError; call inside ``reporting``)."""
    if worklist_item or (accession and not (patient_name or patient_id or emergency or study_uid)):
        if patient_name or patient_id or emergency or study_uid:
            raise click.UsageError("--worklist-item takes patient and study from the worklist: "
                                   "omit --patient-name/--patient-id/--study-uid/--emergency")
        from smartbox_next.cli.worklist_cmd import worklist_exam

        return worklist_exam(state, accession=None if worklist_item else accession, item_id=worklist_item,
                             from_peer=from_peer)
    for keyword, value in (("PatientName", patient_name), ("PatientID", patient_id),
                           ("PatientBirthDate", birth_date), ("AccessionNumber", accession)):
        if value:
            check_value(keyword, value)
    return manual_exam(state.config, patient_name=patient_name, patient_id=patient_id, birth_date=birth_date,
                       sex=sex, accession=accession, study_uid=study_uid, emergency=emergency)


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
    config = state.config
    with reporting(state):
        exam = exam_from_options(state, **identity)

    if burst:
        if sop not in (None, "mf-sc"):
            raise click.UsageError("--burst makes a Multi-frame True Color SC object: use --sop mf-sc or omit --sop")

        def produce_burst(first: Path) -> Iterator[tuple[dict[str, Any], str]]:
            from smartbox_next.iod.multiframe import build_multiframe_from_stills

            obj = build_multiframe_from_stills(config, exam, list(inputs), out_dir, frame_time_ms=frame_time_ms)
            yield obj.as_json(), f"{len(inputs)} stills -> {obj.path}  [{obj.transfer_syntax_uid}]"

        return for_each_input(state, inputs[:1], as_json, produce_burst)

    def produce(path: Path) -> Iterator[tuple[dict[str, Any], str]]:
        for obj in create_objects(config, exam, path, out_dir, sop, conversion_type):
            yield obj.as_json(), f"{path} -> {obj.path}  [{obj.transfer_syntax_uid}]"

    return for_each_input(state, inputs, as_json, produce)
