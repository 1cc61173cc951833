"""Which patient and study a capture belongs to: from the worklist, typed by hand, or an emergency identity.

The one use case behind ``smartbox create``/``export`` identity options and (next) the station UI's patient
choice. Captures of one study share it across runs (:func:`smartbox_next.app.station.continue_exam`).
"""

from __future__ import annotations

from dataclasses import dataclass

from smartbox_next.app.station import continue_exam, worklist_cache
from smartbox_next.config import Config
from smartbox_next.errors import WorklistError
from smartbox_next.exam.identity import manual_exam
from smartbox_next.exam.model import Exam
from smartbox_next.messages import Bilingual, printable
from smartbox_next.worklist.item import WorklistResult, merge_steps
from smartbox_next.worklist.mapping import to_exam
from smartbox_next.worklist.service import lookup, resolve_peer


@dataclass(frozen=True)
class Identity:
    """What the operator said about the patient (every field optional; see :func:`exam_for`)."""

    patient_name: str | None = None
    patient_id: str | None = None
    birth_date: str | None = None
    sex: str | None = None
    accession: str | None = None
    study_uid: str | None = None
    emergency: bool = False
    worklist_item: str | None = None
    from_peer: str | None = None

    @property
    def by_hand(self) -> bool:
        return bool(self.patient_name or self.patient_id or self.emergency or self.study_uid)

    @property
    def from_worklist(self) -> bool:
        """A worklist item ID, or an accession number with nothing typed about the patient."""
        return bool(self.worklist_item or (self.accession and not self.by_hand))


@dataclass(frozen=True)
class ChosenExam:
    """The exam, and the worklist answer it came from (None when typed by hand)."""

    exam: Exam
    worklist: WorklistResult | None = None


def worklist_exam(config: Config, *, accession: str | None, item_id: str | None,
                  from_peer: str | None) -> ChosenExam:
    """The exam of the worklist entry with this accession number or item ID.

    Answers of one Requested Procedure (several SPS) are merged into one exam with one Request Attributes
    item per step; answers of different patients or studies are refused (``worklist.ambiguous``).
    """
    peer = resolve_peer(config, from_peer)
    result = lookup(config, peer=peer, cache=worklist_cache(config), accession_number=accession or "",
                    item_id=item_id or "")
    if not result.items:
        what = (Bilingual(f"accession number {printable(accession)}", f"der Auftragsnummer {printable(accession)}")
                if accession else Bilingual(f"ID {printable(item_id or '')}", f"der ID {printable(item_id or '')}"))
        raise WorklistError("worklist.not_found", what=what, peer=str(peer))
    item = merge_steps(list(result.items))
    return ChosenExam(to_exam(item, uid_root=config.uid.root), result)


def exam_for(config: Config, identity: Identity) -> ChosenExam:
    """The exam for ``identity``, continued across runs for the same study (exam journal)."""
    if identity.from_worklist:
        chosen = worklist_exam(config, accession=None if identity.worklist_item else identity.accession,
                               item_id=identity.worklist_item, from_peer=identity.from_peer)
    else:
        chosen = ChosenExam(manual_exam(
            uid_root=config.uid.root, emergency_prefix=config.objects.emergency_prefix,
            patient_name=identity.patient_name, patient_id=identity.patient_id, birth_date=identity.birth_date,
            sex=identity.sex, accession=identity.accession, study_uid=identity.study_uid,
            emergency=identity.emergency))
    return ChosenExam(continue_exam(config, chosen.exam), chosen.worklist)
