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
    "mpps.warning": Message(
        en="{peer} accepted the {operation} with warning {code}: {comment}",
        de="{peer} hat das {operation} mit der Warnung {code} angenommen: {comment}",
        hint_en="Nothing to do at the station; the RIS may have adjusted values. IT can check its log.",
        hint_de="An der Station ist nichts zu tun; das RIS hat eventuell Werte angepasst. Die IT kann dessen "
                "Protokoll prüfen.",
    ),
    "mpps.duplicate": Message(
        en="{peer} already has a performed procedure step with this UID ({operation}, status {code}): {comment}",
        de="{peer} hat bereits einen durchgeführten Schritt mit dieser UID ({operation}, Status {code}): {comment}",
        hint_en="Call IT: two stations may share a UID root. The exam's images are safe and are sent anyway.",
        hint_de="Bitte die IT rufen: Eventuell teilen sich zwei Stationen einen UID-Stamm. Die Bilder der "
                "Untersuchung sind sicher und werden trotzdem gesendet.",
    ),
    "mpps.processing_failure": Message(
        en="{peer} could not process the {operation} (status {code}, {comment}); it is sent again automatically.",
        de="{peer} konnte das {operation} nicht verarbeiten (Status {code}, {comment}); es wird automatisch "
           "erneut gesendet.",
        hint_en="Nothing to do unless it keeps failing; then ask IT to check the RIS.",
        hint_de="Nichts zu tun, solange es nicht dauerhaft fehlschlägt; dann bitte die IT bitten, das RIS zu prüfen.",
    ),
    "mpps.not_in_progress": Message(
        en="{peer} refused to end the step: it is no longer in progress there ({operation}, status {code}, "
           "error {error_id}: {comment}).",
        de="{peer} hat das Beenden des Schritts abgelehnt: Er läuft dort nicht mehr ({operation}, Status {code}, "
           "Fehler {error_id}: {comment}).",
        hint_en="Someone ended the step at the RIS; ask IT to check that the RIS shows the right images. The "
                "images themselves are sent anyway.",
        hint_de="Der Schritt wurde im RIS beendet; bitte die IT prüfen lassen, ob das RIS die richtigen Bilder "
                "zeigt. Die Bilder selbst werden trotzdem gesendet.",
    ),
    "mpps.final_unknown": Message(
        en="{peer} answered the repeated {operation} with status {code} ({comment}): the step is no longer in "
           "progress there, most likely ended by the earlier attempt, which got no answer.",
        de="{peer} hat das wiederholte {operation} mit Status {code} beantwortet ({comment}): Der Schritt läuft "
           "dort nicht mehr, sehr wahrscheinlich durch den früheren Versuch beendet, der keine Antwort bekam.",
        hint_en="Ask IT to confirm in the RIS that the step shows the final state and all images.",
        hint_de="Bitte die IT im RIS bestätigen lassen, dass der Schritt den Endzustand und alle Bilder zeigt.",
    ),
    "mpps.invalid_attribute": Message(
        en="{peer} refused the {operation}: an attribute is missing or invalid (status {code}, attributes "
           "{attributes}: {comment}).",
        de="{peer} hat das {operation} abgelehnt: Ein Attribut fehlt oder ist ungültig (Status {code}, Attribute "
           "{attributes}: {comment}).",
        hint_en="Call IT with this message: the RIS expects other values. The images are sent anyway.",
        hint_de="Bitte die IT mit dieser Meldung rufen: Das RIS erwartet andere Werte. Die Bilder werden trotzdem "
                "gesendet.",
    ),
    "mpps.busy": Message(
        en="{peer} is busy and did not take the {operation} (status {code}: {comment}); it is sent again "
           "automatically.",
        de="{peer} ist ausgelastet und hat das {operation} nicht angenommen (Status {code}: {comment}); es wird "
           "automatisch erneut gesendet.",
        hint_en="Nothing to do; the station tries again.",
        hint_de="Nichts zu tun; die Station versucht es erneut.",
    ),
    "mpps.protocol_error": Message(
        en="{peer} reported a protocol error for the {operation} (status {code}: {comment}); it is sent again.",
        de="{peer} hat einen Protokollfehler beim {operation} gemeldet (Status {code}: {comment}); es wird erneut "
           "gesendet.",
        hint_en="If it keeps failing, ask IT to compare the conformance statements of station and RIS.",
        hint_de="Falls es dauerhaft fehlschlägt, bitte die IT die Konformitätserklärungen von Station und RIS "
                "vergleichen lassen.",
    ),
    "mpps.refused": Message(
        en="{peer} refused the {operation} (status {code}, error {error_id}: {comment}).",
        de="{peer} hat das {operation} abgelehnt (Status {code}, Fehler {error_id}: {comment}).",
        hint_en="Call IT with this message; the RIS configuration may not accept this station's steps.",
        hint_de="Bitte die IT mit dieser Meldung rufen; das RIS nimmt die Schritte dieser Station eventuell nicht an.",
    ),
    "mpps.not_created": Message(
        en="The RIS {peer} never created the step of exam {exam}, so it cannot be ended there.",
        de="Das RIS {peer} hat den Schritt der Untersuchung {exam} nie angelegt; er kann dort nicht beendet werden.",
        hint_en="See the failed N-CREATE of this exam ('smartbox exam show {exam}'); the images are sent anyway.",
        hint_de="Bitte das fehlgeschlagene N-CREATE dieser Untersuchung ansehen ('smartbox exam show {exam}'); die "
                "Bilder werden trotzdem gesendet.",
    ),
    "commitment.request_refused": Message(
        en="{peer} refused the storage commitment request (status {code}: {comment}).",
        de="{peer} hat die Anfrage zur Speicherbestätigung abgelehnt (Status {code}: {comment}).",
        hint_en="The objects stay in the spool. Call IT: the archive may not offer storage commitment to this "
                "station.",
        hint_de="Die Objekte bleiben im Zwischenspeicher. Bitte die IT rufen: Das Archiv bietet dieser Station "
                "eventuell keine Speicherbestätigung an.",
    ),
    "commitment.request_busy": Message(
        en="{peer} is busy and did not take the storage commitment request (status {code}); a new request follows.",
        de="{peer} ist ausgelastet und hat die Anfrage zur Speicherbestätigung nicht angenommen (Status {code}); "
           "eine neue Anfrage folgt.",
        hint_en="Nothing to do; the objects stay in the spool until the archive confirms them.",
        hint_de="Nichts zu tun; die Objekte bleiben im Zwischenspeicher, bis das Archiv sie bestätigt.",
    ),
    "commitment.failed": Message(
        en="{peer} does not commit to keep object {sop_instance_uid} (failure reason {code}), also after {resends} "
           "new sends.",
        de="{peer} sagt die Aufbewahrung des Objekts {sop_instance_uid} nicht zu (Grund {code}), auch nach "
           "{resends} erneuten Sendungen.",
        hint_en="The object stays in the spool. Call IT with this message; they can send it again with "
                "'smartbox queue retry' once the archive is fixed.",
        hint_de="Das Objekt bleibt im Zwischenspeicher. Bitte die IT mit dieser Meldung rufen; sie kann es nach "
                "Behebung im Archiv mit 'smartbox queue retry' erneut senden.",
    ),
    "commitment.overdue": Message(
        en="{peer} has not confirmed {count} objects within {hours} hours (commitment overdue).",
        de="{peer} hat {count} Objekte nicht binnen {hours} Stunden bestätigt (Speicherbestätigung überfällig).",
        hint_en="The objects stay in the spool. Ask IT to check the archive and that it can reach this station's "
                "listener (listener.port).",
        hint_de="Die Objekte bleiben im Zwischenspeicher. Bitte die IT das Archiv prüfen lassen und ob es den "
                "Empfänger dieser Station erreicht (listener.port).",
    ),
    "commitment.overdue_one": Message(
        en="{peer} has not confirmed {count} object within {hours} hours (commitment overdue).",
        de="{peer} hat {count} Objekt nicht binnen {hours} Stunden bestätigt (Speicherbestätigung überfällig).",
        hint_en="The object stays in the spool. Ask IT to check the archive and that it can reach this station's "
                "listener (listener.port).",
        hint_de="Das Objekt bleibt im Zwischenspeicher. Bitte die IT das Archiv prüfen lassen und ob es den "
                "Empfänger dieser Station erreicht (listener.port).",
    ),
    "listener.bind_failed": Message(
        en="The listener cannot open {host}:{port}: {detail}",
        de="Der Empfänger kann {host}:{port} nicht öffnen: {detail}",
        hint_en="Choose a free port in listener.port (another program may use this one), or stop that program.",
        hint_de="Bitte in listener.port einen freien Port wählen (ein anderes Programm belegt diesen eventuell) oder "
                "das andere Programm beenden.",
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
    # smartbox serve: the workflow service
    "workflow.mpps_sent": Text(en="{peer}: {operation} of exam {exam} sent", de="{peer}: {operation} der "
                               "Untersuchung {exam} gesendet"),
    "workflow.mpps_retry_wait": Text(en="{peer}: {operation} of exam {exam} will be retried",
                                     de="{peer}: {operation} der Untersuchung {exam} wird wiederholt"),
    "workflow.mpps_failed": Text(en="{peer}: {operation} of exam {exam} failed",
                                 de="{peer}: {operation} der Untersuchung {exam} fehlgeschlagen"),
    "workflow.commitment_report": Text(
        en="{peer}: storage commitment: {committed} committed, {resent} sent again, {failed} failed",
        de="{peer}: Speicherbestätigung: {committed} bestätigt, {resent} erneut gesendet, {failed} fehlgeschlagen"),
    "workflow.commitment_request_failed": Text(en="{peer}: storage commitment request failed",
                                               de="{peer}: Anfrage zur Speicherbestätigung fehlgeschlagen"),
    "workflow.listening": Text(en="Listening for storage commitment reports on {host}:{port} as {ae}",
                               de="Empfang von Speicherbestätigungen auf {host}:{port} als {ae}"),
    "workflow.no_listener": Text(
        en="listener.port is 0: {peers} can report storage commitment only on the request's own association",
        de="listener.port ist 0: {peers} können Speicherbestätigungen nur auf der Verbindung der Anfrage melden"),
    "workflow.commitment_without_storage": Text(
        en="{peer} has role commitment but not storage: nothing is stored there, so nothing is committed there",
        de="{peer} hat die Rolle commitment, aber nicht storage: Dort wird nichts gespeichert, also auch nichts "
           "bestätigt"),
    # exam show: workflow state
    "exam.mpps": Text(en="MPPS to {peer}: {operation} {state}{reason}", de="MPPS an {peer}: {operation} {state}{reason}"),
    "exam.commitment": Text(
        en="commitment {peer}: {committed} of {total} committed, {waiting} waiting, {failed} failed, {overdue} overdue",
        de="Bestätigung {peer}: {committed} von {total} bestätigt, {waiting} wartend, {failed} fehlgeschlagen, "
           "{overdue} überfällig"),
    "queue.col_commitment": Text(en="Commitment", de="Bestätigung"),
    "queue.field_commitment": Text(en="Storage commitment", de="Speicherbestätigung"),
    "queue.commitment_pending": Text(en="pending", de="ausstehend"),
    "queue.commitment_requested": Text(en="requested", de="angefragt"),
    "queue.commitment_committed": Text(en="committed", de="bestätigt"),
    "queue.commitment_failed": Text(en="failed", de="fehlgeschlagen"),
    "queue.commitment_overdue": Text(en="overdue", de="überfällig"),
}
