"""Messages of the exam life cycle, MPPS and Storage Commitment (see smartbox_next.messages).

``MESSAGES`` are errors (with a hint); ``TEXTS`` are status lines and labels of ``smartbox exam`` and the
listener, merged into :data:`smartbox_next.messages.TEXTS`.
"""

from __future__ import annotations

from smartbox_next.messages._types import Message, Text

MESSAGES: dict[str, Message] = {
    "exam.bad_id": Message(
        en="'{value}' is not an exam number (they look like E250612-7K3Q).",
        de="'{value}' ist keine Untersuchungsnummer (diese sehen so aus: E250612-7K3Q).",
        hint_en="Copy the number from 'smartbox exam list' or from the output of 'smartbox exam start'.",
        hint_de="Bitte die Nummer aus 'smartbox exam list' oder aus der Ausgabe von 'smartbox exam start' übernehmen.",
    ),
    "exam.unknown": Message(
        en="There is no exam {exam} at this station.",
        de="An dieser Station gibt es keine Untersuchung {exam}.",
        hint_en="Check the number with 'smartbox exam list'; exams live in the station's data folder.",
        hint_de="Bitte die Nummer mit 'smartbox exam list' prüfen; Untersuchungen liegen im Datenordner der Station.",
    ),
    "exam.not_in_progress": Message(
        en="Exam {exam} has ended ({state}); nothing can be added to it or changed any more.",
        de="Die Untersuchung {exam} ist beendet ({state}); es kann nichts mehr hinzugefügt oder geändert werden.",
        hint_en="Start a new exam for further captures ('smartbox exam start'); the RIS gets a new performed step.",
        hint_de="Für weitere Aufnahmen bitte eine neue Untersuchung beginnen ('smartbox exam start'); das RIS erhält "
                "dann einen neuen durchgeführten Schritt.",
    ),
    "exam.bad_reason": Message(
        en="'{value}' is not a discontinuation reason of DICOM CID 9301; allowed: {allowed}.",
        de="'{value}' ist kein Abbruchgrund aus DICOM CID 9301; erlaubt sind: {allowed}.",
        hint_en="Give one of the listed codes, e.g. --reason 110513 (discontinued for unspecified reason).",
        hint_de="Bitte einen der genannten Codes angeben, z. B. --reason 110513 (Abbruch ohne nähere Angabe).",
    ),
    "exam.record_damaged": Message(
        en="The stored record of exam {exam} is damaged and cannot be read.",
        de="Der gespeicherte Eintrag der Untersuchung {exam} ist beschädigt und kann nicht gelesen werden.",
        hint_en="Call IT: the captures of the exam are safe in the spool; the outbox database needs checking.",
        hint_de="Bitte die IT rufen: Die Aufnahmen der Untersuchung sind im Zwischenspeicher sicher; die "
                "Ausgangs-Datenbank muss geprüft werden.",
    ),
}

TEXTS: dict[str, Text] = {
    "usage.exam_with_identity": Text(
        en="--exam adds the captures to a started exam, whose patient is known: omit {options}.",
        de="--exam fügt die Aufnahmen einer begonnenen Untersuchung hinzu, deren Patient bekannt ist: Bitte {options} "
           "weglassen."),
    "usage.exam_start_choice": Text(
        en="Give exactly one of --accession, --worklist-item or --emergency.",
        de="Bitte genau eine der Angaben --accession, --worklist-item oder --emergency machen."),
    "exam.started": Text(en="Exam {exam} started for {patient_id}; performed procedure step {pps}",
                         de="Untersuchung {exam} begonnen für {patient_id}; durchgeführter Schritt {pps}"),
    "exam.completed": Text(en="Exam {exam} completed with {captures} captures",
                           de="Untersuchung {exam} abgeschlossen mit {captures} Aufnahmen"),
    "exam.discontinued": Text(en="Exam {exam} discontinued with {captures} captures",
                              de="Untersuchung {exam} abgebrochen mit {captures} Aufnahmen"),
    "exam.line": Text(en="{exam}  {state}  {started}  {patient_id}  {accession}  {captures} captures",
                      de="{exam}  {state}  {started}  {patient_id}  {accession}  {captures} Aufnahmen"),
    "exam.state_in_progress": Text(en="in progress", de="läuft"),
    "exam.state_completed": Text(en="completed", de="abgeschlossen"),
    "exam.state_discontinued": Text(en="discontinued", de="abgebrochen"),
}
