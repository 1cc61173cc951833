"""Status lines and labels of the CLI (not errors, so no hint): one entry per key, English and German.

Rendered with :func:`smartbox_next.messages.say`; the same placeholder rules as the error catalogue apply
(checked by tests/test_messages.py).
"""

from __future__ import annotations

from smartbox_next.messages._types import Text

TEXTS: dict[str, Text] = {
    # labels
    "label.error": Text(en="Error", de="Fehler"),
    "label.warning": Text(en="Warning", de="Warnung"),
    "label.note": Text(en="Note", de="Hinweis"),
    "label.aborted": Text(en="Aborted.", de="Abgebrochen."),
    # command-line mistakes (click's usage errors, cli/_usage.py); exit code 2
    "usage.hint": Text(en="Usage: {usage} (all options: '{help}')",
                       de="Aufruf: {usage} (alle Optionen: '{help}')"),
    "usage.no_such_option": Text(en="There is no option '{option}'.", de="Die Option '{option}' gibt es nicht."),
    "usage.did_you_mean": Text(en="Did you mean {options}?", de="Meinten Sie {options}?"),
    "usage.no_such_command": Text(en="There is no command {command}.", de="Den Befehl {command} gibt es nicht."),
    "usage.missing_command": Text(en="The command is missing.", de="Der Befehl fehlt."),
    "usage.missing_argument": Text(en="The argument {name} is missing.", de="Das Argument {name} fehlt."),
    "usage.missing_option": Text(en="The option {name} is missing.", de="Die Option {name} fehlt."),
    "usage.choose_from": Text(en="Choose {choices}.", de="Bitte {choices} wählen."),
    "usage.invalid_value": Text(en="Invalid value for {name}: {reason}", de="Ungültiger Wert für {name}: {reason}"),
    "usage.not_a_choice": Text(en="{value} is not one of {choices}.", de="{value} ist keiner der Werte {choices}."),
    "usage.not_a_number": Text(en="{value} is {kind}.", de="{value} ist {kind}."),
    "usage.out_of_range": Text(en="{value} is not in the range {range}.", de="{value} liegt nicht im Bereich {range}."),
    "usage.extra_arguments": Text(en="Unexpected extra arguments: {arguments}.",
                                  de="Unerwartete zusätzliche Argumente: {arguments}."),
    "usage.needs_value": Text(en="The option {option} needs a value.", de="Die Option {option} braucht einen Wert."),
    "usage.takes_no_value": Text(en="The option {option} takes no value.",
                                 de="Die Option {option} nimmt keinen Wert an."),
    "usage.bad_value": Text(en="The command line is not valid: {detail}",
                            de="Die Befehlszeile ist ungültig: {detail}"),
    "usage.station_and_any_station": Text(en="--station and --any-station exclude each other; give one of them.",
                                          de="--station und --any-station schließen einander aus; bitte nur eine "
                                             "der beiden angeben."),
    "usage.burst_sop": Text(en="--burst makes one Multi-frame True Color SC object: use --sop mf-sc or omit --sop.",
                            de="--burst erzeugt ein Multi-frame-True-Color-SC-Objekt: Bitte --sop mf-sc angeben oder "
                               "--sop weglassen."),
    # usage errors of the identity options (create, export)
    "usage.worklist_item_with_patient": Text(
        en="--worklist-item takes patient and study from the worklist: omit --study-uid and --emergency "
           "(a patient typed as well is checked against the entry).",
        de="--worklist-item übernimmt Patient und Studie aus der Arbeitsliste: Bitte --study-uid und --emergency "
           "weglassen (ein zusätzlich angegebener Patient wird mit dem Eintrag verglichen)."),
    "usage.override_without_worklist": Text(
        en="--override-worklist only applies together with --accession or --worklist-item.",
        de="--override-worklist gilt nur zusammen mit --accession oder --worklist-item."),
    "usage.emergency_with_patient": Text(
        en="--emergency creates a generated, clearly marked identity; it cannot be combined with {options}. "
           "Give either the patient or --emergency.",
        de="--emergency erzeugt eine generierte, deutlich gekennzeichnete Notfall-Identität und lässt sich nicht mit "
           "{options} kombinieren. Bitte entweder den Patienten oder --emergency angeben."),
    # smartbox config show (TOML comments)
    "config_show.title": Text(en="SmartBox Next: the effective configuration (read back with --config).",
                              de="SmartBox Next: die wirksame Konfiguration (mit --config wieder einlesbar)."),
    "config_show.file": Text(en="File: {path}", de="Datei: {path}"),
    "config_show.no_file": Text(en="File: none ({path} does not exist; --config or {variable} names another).",
                                de="Datei: keine ({path} existiert nicht; --config oder {variable} nennt eine "
                                   "andere)."),
    "config_show.environment": Text(en="Environment (wins over the file): {variables}",
                                    de="Umgebung (hat Vorrang vor der Datei): {variables}"),
    "config_show.no_environment": Text(en="Environment: no SMARTBOX_* settings variables.",
                                       de="Umgebung: keine SMARTBOX_*-Einstellungsvariablen."),
    "config_show.rest": Text(en="Everything else: built-in defaults ('smartbox config settings' explains each).",
                             de="Alles Übrige: eingebaute Vorgaben ('smartbox config settings' erklärt jede)."),
    "config_show.from_variable": Text(en="from {variable}", de="aus {variable}"),
    # smartbox worklist (the table)
    "worklist_table.title": Text(en="Worklist {peer}: scheduled steps: {count}, as of {fetched_at}",
                                 de="Arbeitsliste {peer}: geplante Schritte: {count}, Stand {fetched_at}"),
    "worklist_table.title_stale": Text(
        en="Worklist {peer}: scheduled steps: {count} — STALE, saved {age} ago ({fetched_at}), the server is "
           "unreachable",
        de="Arbeitsliste {peer}: geplante Schritte: {count} — VERALTET, vor {age} gespeichert ({fetched_at}), der "
           "Server ist nicht erreichbar"),
    "worklist_table.col_patient": Text(en="Patient (sex)", de="Patient (Geschl.)"),
    "worklist_table.col_birth": Text(en="Born", de="Geboren"),
    "worklist_table.col_procedure": Text(en="Procedure", de="Untersuchung"),
    "worklist_table.col_when": Text(en="Scheduled", de="Geplant"),
    "worklist_table.col_accession": Text(en="Accession", de="Auftragsnr."),
    "worklist_table.col_patient_id": Text(en="Patient ID", de="Patienten-ID"),
    "worklist_table.col_id": Text(en="Entry", de="Eintrag"),
    # smartbox validate
    "validation.ok": Text(en="OK", de="in Ordnung"),
    "validation.fail": Text(en="FAIL ({count} errors)", de="FEHLER ({count} Verstöße)"),
    "validation.verdict_unchecked": Text(en="{path}: not checked", de="{path}: nicht geprüft"),
    "validation.no_dicom_validator": Text(en="(dicom-validator not installed)",
                                          de="(dicom-validator nicht installiert)"),
    "validation.no_dciodvfy": Text(en="(dciodvfy not installed)", de="(dciodvfy nicht installiert)"),
    # smartbox create
    "create.burst": Text(en="{count} stills -> {file}  [{syntax}]", de="{count} Standbilder -> {file}  [{syntax}]"),
    # smartbox export
    "export.queued": Text(en="{source} -> {file}  jobs {jobs} ({destinations})",
                          de="{source} -> {file}  Aufträge {jobs} ({destinations})"),
    # smartbox send
    "send.retry": Text(en="{peer}: attempt {failed} of {max} failed ({reason}); attempt {next} of {max} in {wait} s "
                          "(objects: {count}).",
                       de="{peer}: Versuch {failed} von {max} fehlgeschlagen ({reason}); Versuch {next} von {max} in "
                          "{wait} s (Objekte: {count})."),
    "send.files_one": Text(en="file {files}", de="Datei {files}"),
    "send.files_many": Text(en="{count} files: {files}", de="{count} Dateien: {files}"),
    "send.more_files": Text(en="and {count} more", de="und {count} weitere"),
    # smartbox demo
    "demo.loopback": Text(en="Loopback PACS {pacs}, worklist {worklist}",
                          de="Loopback-PACS {pacs}, Arbeitsliste {worklist}"),
    "demo.scheduled": Text(en="Worklist: {count} scheduled exams", de="Arbeitsliste: {count} geplante Untersuchungen"),
    "demo.chosen": Text(en="Chosen: {patient} ({patient_id}), accession {accession}",
                        de="Gewählt: {patient} ({patient_id}), Auftragsnummer {accession}"),
    "demo.object_valid": Text(en="  {file}  {syntax}  valid {checked}", de="  {file}  {syntax}  gültig {checked}"),
    "demo.object_invalid": Text(en="  {file}  {syntax}  INVALID {checked}", de="  {file}  {syntax}  UNGÜLTIG {checked}"),
    "demo.checked_dciodvfy": Text(en="+ dciodvfy", de="+ dciodvfy-Prüfung"),
    "demo.checked_own": Text(en="(no dciodvfy)", de="(ohne dciodvfy)"),
    "demo.sent": Text(en="Sent to the loopback PACS: {sent} of {total}.", de="An das Loopback-PACS gesendet: {sent} von "
                                                                         "{total}."),
    "demo.folders": Text(en="Folders used:", de="Verwendete Ordner:"),
    "demo.folder_work": Text(en="work folder:                    {path}", de="Arbeitsordner:                 {path}"),
    "demo.folder_sample": Text(en="still input (bundled sample):   {path}", de="Standbild (mitgeliefert):      {path}"),
    "demo.folder_capture": Text(en="video input:                    {path}", de="Video (Eingabe):               {path}"),
    "demo.folder_station": Text(en="spool and outbox:               {path}", de="Zwischenspeicher und Ausgang:  {path}"),
    "demo.folder_pacs": Text(en="received by the loopback PACS:  {path}", de="Empfangen vom Loopback-PACS:   {path}"),
    "demo.removed": Text(en="Removed {path} (keep it with --keep).", de="Entfernt: {path} (behalten mit --keep)."),
    "demo.succeeded": Text(en="Demo succeeded.", de="Demo erfolgreich."),
    "demo.failed": Text(en="Demo FAILED.", de="Demo FEHLGESCHLAGEN."),
    # smartbox queue rebuild
    "rebuild.plan": Text(
        en="A new outbox would queue {objects} objects of the spool again, for: {destinations}. Objects a "
           "destination already has arrive there a second time (same SOP Instance UIDs).",
        de="Ein neuer Ausgang würde {objects} Objekte des Zwischenspeichers erneut einreihen, für: {destinations}. "
           "Objekte, die ein Ziel schon hat, kommen dort ein zweites Mal an (gleiche SOP Instance UIDs)."),
    "rebuild.confirm": Text(en="Run 'smartbox queue rebuild --yes' to do it.",
                            de="Zum Ausführen bitte 'smartbox queue rebuild --yes' aufrufen."),
    "rebuild.done": Text(en="Outbox rebuilt: {objects} objects queued for {destinations}.",
                         de="Ausgang neu aufgebaut: {objects} Objekte eingereiht für {destinations}."),
    "rebuild.moved": Text(en="The old database was kept as {path}.", de="Die alte Datenbank liegt jetzt unter {path}."),
    # smartbox serve
    "serve.started": Text(en="SmartBox service started (process {pid}); data folder {folder}.",
                          de="SmartBox-Dienst gestartet (Prozess {pid}); Datenordner {folder}."),
    "serve.destinations": Text(en="Destinations: {destinations}", de="Ziele: {destinations}"),
    "serve.no_listener": Text(en="Listening ports: none (this service only sends).",
                              de="Empfangs-Ports: keine (dieser Dienst sendet nur)."),
    "serve.waiting_total": Text(en="Waiting: {count} ({size}).", de="Ausstehend: {count} ({size})."),
    "serve.reconciled": Text(
        en="Reconciled after restart: {recovered} interrupted sends queued again, {orphans} files queued, "
           "{missing} missing files",
        de="Abgleich nach Neustart: {recovered} unterbrochene Sendungen neu eingereiht, {orphans} Dateien "
           "nachgetragen, {missing} fehlende Dateien"),
    "serve.job_sending": Text(en="{destination}: {job} sending ({size}, attempt {attempt} of {max})",
                              de="{destination}: {job} wird gesendet ({size}, Versuch {attempt} von {max})"),
    "serve.job_sent": Text(en="{destination}: {job} sent", de="{destination}: {job} gesendet"),
    "serve.job_retry_wait": Text(en="{destination}: {job} attempt {attempt} of {max} failed, next at {next} — {reason}",
                                 de="{destination}: {job} Versuch {attempt} von {max} fehlgeschlagen, nächster um "
                                    "{next} — {reason}"),
    "serve.job_failed": Text(en="{destination}: {job} failed for good after {attempt} of {max} attempts — {reason}",
                             de="{destination}: {job} endgültig fehlgeschlagen nach {attempt} von {max} Versuchen — "
                                "{reason}"),
    "serve.waiting_for": Text(en="Waiting ({count} pending): next is {job} to {destination} at {next} (attempt "
                                 "{attempt} of {max}).",
                              de="Warten ({count} ausstehend): als nächster {job} an {destination} um {next} "
                                 "(Versuch {attempt} von {max})."),
    "serve.stopping": Text(en="Stopping after the objects in flight …", de="Beende nach den Objekten in Arbeit …"),
    "serve.stopped": Text(en="SmartBox service stopped; waiting: {count} ({size}).",
                          de="SmartBox-Dienst beendet; ausstehend: {count} ({size})."),
    "serve.failed_jobs": Text(en="Failed for good in this run ({count}): {jobs}; details: 'smartbox queue show N'.",
                              de="In diesem Lauf endgültig fehlgeschlagen ({count}): {jobs}; Einzelheiten: 'smartbox "
                                 "queue show N'."),
    # smartbox queue
    "queue.identity_override": Text(
        en="Note: the patient of this study was given by hand and overrides worklist entry {item} in {fields} "
           "(--override-worklist, {at}).",
        de="Hinweis: Der Patient dieser Studie wurde von Hand angegeben und ersetzt den Worklist-Eintrag {item} in "
           "{fields} (--override-worklist, {at})."),
    "queue.summary": Text(en="{destination}: {pending} ({size}) waiting, {sent} sent, {failed} failed",
                          de="{destination}: {pending} ({size}) ausstehend, {sent} gesendet, {failed} "
                             "fehlgeschlagen"),
    "queue.empty": Text(en="The queue is empty: no jobs.", de="Die Warteschlange ist leer: keine Aufträge."),
    "queue.no_match": Text(en="No job matches (--state, --to).", de="Kein Auftrag passt (--state, --to)."),
    "queue.now": Text(en="now", de="jetzt"),
    "queue.due_now": Text(en="now (as soon as 'smartbox serve' runs)", de="jetzt (sobald 'smartbox serve' läuft)"),
    "queue.attempts": Text(en="{done} of {max}", de="{done} von {max}"),
    "queue.col_job": Text(en="Job", de="Auftrag"),
    "queue.col_destination": Text(en="Destination", de="Ziel"),
    "queue.col_state": Text(en="State", de="Status"),
    "queue.col_accession": Text(en="Accession", de="Auftragsnr."),
    "queue.col_patient": Text(en="Patient name", de="Patientenname"),
    "queue.col_size": Text(en="Size", de="Größe"),
    "queue.col_attempts": Text(en="Attempts", de="Versuche"),
    "queue.col_next": Text(en="Next attempt", de="Nächster Versuch"),
    "queue.show_title": Text(en="Job {job}", de="Auftrag {job}"),
    "queue.field_destination": Text(en="Destination", de="Ziel"),
    "queue.field_state": Text(en="State", de="Status"),
    "queue.field_next": Text(en="Next attempt", de="Nächster Versuch"),
    "queue.field_accession": Text(en="Accession number", de="Auftragsnummer"),
    "queue.field_patient": Text(en="Patient name", de="Patientenname"),
    "queue.field_file": Text(en="File", de="Datei"),
    "queue.field_uid": Text(en="SOP Instance UID", de="SOP-Instance-UID"),
    "queue.field_created": Text(en="Queued", de="Eingereiht"),
    "queue.field_updated": Text(en="Last change", de="Letzte Änderung"),
    "queue.field_first_failure": Text(en="First failure", de="Erster Fehler"),
    "queue.field_reason": Text(en="Reason", de="Grund"),
    "queue.field_todo": Text(en="What to do", de="Was zu tun ist"),
    "queue.field_again": Text(en="Send again", de="Erneut senden"),
    "queue.field_warning": Text(en="Warning of the PACS", de="Warnung des PACS"),
    "queue.field_override": Text(en="Identity", de="Identität"),
    # job states as listed (English: the value --state takes)
    "queue.state_queued": Text(en="queued", de="eingereiht"),
    "queue.state_sending": Text(en="sending", de="wird gesendet"),
    "queue.state_sent": Text(en="sent", de="gesendet"),
    "queue.state_retry_wait": Text(en="retry_wait", de="wartet auf Wiederholung"),
    "queue.state_failed": Text(en="failed", de="fehlgeschlagen"),
    "queue.state_cancelled": Text(en="cancelled", de="abgebrochen"),
    "queue.retried": Text(en="{count} jobs queued again", de="{count} Aufträge erneut eingereiht"),
    "queue.cancelled": Text(en="{count} jobs cancelled", de="{count} Aufträge abgebrochen"),
    "queue.purged": Text(en="{removed} files removed, {pending} pending", de="{removed} Dateien entfernt, {pending} wartend"),
    "queue.purge_kept": Text(
        en="{kept} captures have not reached every destination and were kept (see 'smartbox queue list').",
        de="{kept} Aufnahmen sind noch nicht bei jedem Ziel angekommen und wurden behalten (siehe 'smartbox queue "
           "list')."),
    "queue.purge_forced": Text(en="{forced} of them had not reached every destination.",
                               de="Davon waren {forced} noch nicht bei jedem Ziel angekommen."),
}
