"""Status lines and labels of the CLI (not errors, so no hint): one entry per key, English and German.

Rendered with :func:`smartbox_next.messages.say`; the same placeholder rules as the error catalogue apply
(checked by tests/test_messages.py).
"""

from __future__ import annotations

from smartbox_next.messages._types import Text

TEXTS: dict[str, Text] = {
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
    "demo.sent": Text(en="Sent: {sent}/{total}; in the loopback PACS: {pacs_dir}",
                      de="Gesendet: {sent}/{total}; im Loopback-PACS: {pacs_dir}"),
    "demo.station_dir": Text(en="Spool and outbox: {station_dir}", de="Zwischenspeicher und Ausgang: {station_dir}"),
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
    "serve.reconciled": Text(
        en="Reconciled after restart: {recovered} interrupted sends queued again, {orphans} files queued, "
           "{missing} missing files",
        de="Abgleich nach Neustart: {recovered} unterbrochene Sendungen neu eingereiht, {orphans} Dateien "
           "nachgetragen, {missing} fehlende Dateien"),
    "serve.job_sent": Text(en="{destination}: #{job} sent", de="{destination}: #{job} gesendet"),
    "serve.job_retry_wait": Text(en="{destination}: #{job} will be retried", de="{destination}: #{job} wird wiederholt"),
    "serve.job_failed": Text(en="{destination}: #{job} failed", de="{destination}: #{job} fehlgeschlagen"),
    # smartbox queue
    "queue.identity_override": Text(
        en="Note: the patient of this study was given by hand and overrides worklist entry {item} in {fields} "
           "(--override-worklist, {at}).",
        de="Hinweis: Der Patient dieser Studie wurde von Hand angegeben und ersetzt den Worklist-Eintrag {item} in "
           "{fields} (--override-worklist, {at})."),
    "queue.summary": Text(en="{destination}: {pending} pending ({mb} MB), {sent} sent, {failed} failed",
                          de="{destination}: {pending} wartend ({mb} MB), {sent} gesendet, {failed} fehlgeschlagen"),
    "queue.job": Text(en="#{job:<6} {destination:<12} {state:<10} {attempts:>3}× {mb:8.1f} MB  {file}{reason}",
                      de="#{job:<6} {destination:<12} {state:<14} {attempts:>3}× {mb:8.1f} MB  {file}{reason}"),
    # job states as listed (English: the value --state takes)
    "queue.state_queued": Text(en="queued", de="eingereiht"),
    "queue.state_sending": Text(en="sending", de="wird gesendet"),
    "queue.state_sent": Text(en="sent", de="gesendet"),
    "queue.state_retry_wait": Text(en="retry_wait", de="Wiederholung"),
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
