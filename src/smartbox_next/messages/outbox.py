"""Messages of the outbox, spool and sending service (see smartbox_next.messages)."""

from __future__ import annotations

from smartbox_next.messages._types import Message

MESSAGES: dict[str, Message] = {
    "outbox.corrupt": Message(
        en="The outbox database {path} is damaged and was not opened: {detail}",
        de="Die Ausgangs-Datenbank {path} ist beschädigt und wurde nicht geöffnet: {detail}",
        hint_en="Do not delete it: the spooled objects are safe. Call IT; they can restore it from a backup.",
        hint_de="Bitte nicht löschen: Die gespeicherten Objekte sind sicher. Bitte die IT rufen; sie kann die Datenbank wiederherstellen.",
    ),
    "outbox.spool_full": Message(
        en="Not enough free disk space for new captures: {free_mb} MB free, at least {needed_mb} MB needed.",
        de="Nicht genug freier Speicherplatz für neue Aufnahmen: {free_mb} MB frei, mindestens {needed_mb} MB nötig.",
        hint_en="Wait until waiting objects have been sent, or ask IT to free space. Nothing already captured is lost.",
        hint_de="Bitte warten, bis wartende Objekte gesendet sind, oder die IT bitten, Platz zu schaffen. Bereits Aufgenommenes bleibt erhalten.",
    ),
    "outbox.file_missing": Message(
        en="The spooled file {path} for this job is missing.",
        de="Die gespeicherte Datei {path} dieses Auftrags fehlt.",
        hint_en="Create and export the object again; inform IT if files disappear.",
        hint_de="Bitte das Objekt erneut erzeugen und exportieren; verschwinden Dateien, bitte die IT informieren.",
    ),
    "outbox.no_destinations": Message(
        en="No destination is configured or enabled.",
        de="Es ist kein Ziel konfiguriert oder aktiviert.",
        hint_en="Add a PACS under [peers] with roles = [\"storage\"], or a folder as outbox.folder, in the "
                "configuration ('smartbox config show' shows what is configured now).",
        hint_de="Bitte in der Konfiguration ein PACS unter [peers] mit roles = [\"storage\"] oder einen Ordner als "
                "outbox.folder eintragen ('smartbox config show' zeigt, was jetzt eingerichtet ist).",
    ),
    "outbox.folder_failed": Message(
        en="Copy to the folder {folder} failed: {detail}",
        de="Kopieren in den Ordner {folder} ist fehlgeschlagen: {detail}",
        hint_en="Check that the share is mounted and writable; copying is retried automatically.",
        hint_de="Bitte prüfen, ob die Freigabe eingebunden und beschreibbar ist; das Kopieren wird automatisch wiederholt.",
    ),
    "outbox.purge_unconfirmed": Message(
        en="{count} captures have not reached every destination (a job still queued, sending, waiting, failed or "
        "cancelled); --force deletes them only with --confirm {count}. Nothing was deleted.",
        de="{count} Aufnahmen sind noch nicht bei jedem Ziel angekommen (ein Auftrag noch wartend, im Versand, in "
        "Wiederholung, fehlgeschlagen oder abgebrochen); --force löscht sie nur zusammen mit --confirm {count}. Es "
        "wurde nichts gelöscht.",
        hint_en="Check them with 'smartbox queue list' first: deleted, they are lost for those destinations. To "
        "delete them anyway, repeat with --force --confirm {count}.",
        hint_de="Bitte zuerst mit 'smartbox queue list' prüfen: Gelöscht sind sie für diese Ziele verloren. Um sie "
        "dennoch zu löschen, wiederholen Sie den Befehl mit --force --confirm {count}.",
    ),
    "outbox.purge_count_mismatch": Message(
        en="--confirm {given} does not match: {count} captures have not reached every destination (a job still "
        "queued, sending, waiting, failed or cancelled) and would be deleted. Nothing was deleted.",
        de="--confirm {given} stimmt nicht: {count} Aufnahmen sind noch nicht bei jedem Ziel angekommen (ein Auftrag "
        "noch wartend, im Versand, in Wiederholung, fehlgeschlagen oder abgebrochen) und würden gelöscht. Es wurde "
        "nichts gelöscht.",
        hint_en="Check them with 'smartbox queue list' first: deleted, they are lost for those destinations. To "
        "delete them anyway, repeat with --force --confirm {count}.",
        hint_de="Bitte zuerst mit 'smartbox queue list' prüfen: Gelöscht sind sie für diese Ziele verloren. Um sie "
        "dennoch zu löschen, wiederholen Sie den Befehl mit --force --confirm {count}.",
    ),
    "queue.no_selection": Message(
        en="Nothing selected: 'smartbox queue {command}' needs job numbers, --to DESTINATION or --all.",
        de="Nichts ausgewählt: 'smartbox queue {command}' braucht Auftragsnummern, --to ZIEL oder --all.",
        hint_en="Name the jobs (see 'smartbox queue list') or a destination; --all says that every job is meant.",
        hint_de="Bitte die Aufträge (siehe 'smartbox queue list') oder ein Ziel angeben; --all wählt ausdrücklich "
        "alle Aufträge.",
    ),
    "queue.all_and_selection": Message(
        en="--all selects every job and cannot be combined with job numbers or --to.",
        de="--all wählt alle Aufträge und lässt sich nicht mit Auftragsnummern oder --to verbinden.",
        hint_en="Give either --all, or job numbers and/or --to.",
        hint_de="Bitte entweder --all angeben oder Auftragsnummern und/oder --to.",
    ),
    "queue.confirm_without_force": Message(
        en="--confirm only confirms --force.",
        de="--confirm bestätigt nur --force.",
        hint_en="Add --force to delete captures that have not reached every destination, or leave out --confirm.",
        hint_de="Bitte --force ergänzen, um Aufnahmen zu löschen, die noch nicht bei jedem Ziel angekommen sind, "
        "oder --confirm weglassen.",
    ),
    "outbox.lost": Message(
        en="The outbox database {path} is missing or empty, but the spool holds {objects} objects: the database "
           "was lost. Nothing was sent and nothing was changed.",
        de="Die Ausgangs-Datenbank {path} fehlt oder ist leer, der Zwischenspeicher enthält aber {objects} "
           "Objekte: Die Datenbank ist verloren gegangen. Es wurde nichts gesendet und nichts verändert.",
        hint_en="Restore the database from a backup if there is one. Otherwise 'smartbox queue rebuild' shows what "
                "would be sent again (objects the PACS already has arrive a second time, with the same UIDs).",
        hint_de="Bitte die Datenbank aus einer Sicherung wiederherstellen, falls vorhanden. Sonst zeigt 'smartbox "
                "queue rebuild', was erneut gesendet würde (Objekte, die das PACS schon hat, kommen ein zweites Mal "
                "an, mit denselben UIDs).",
    ),
    "outbox.replaced": Message(
        en="The outbox database {path} is not the one that queued this spool ({objects} objects): it was replaced. "
           "Nothing was sent and nothing was changed.",
        de="Die Ausgangs-Datenbank {path} ist nicht die, die diesen Zwischenspeicher ({objects} Objekte) "
           "verwaltet: Sie wurde ersetzt. Es wurde nichts gesendet und nichts verändert.",
        hint_en="Put the station's own database back. If it is gone, 'smartbox queue rebuild' shows what would be "
                "sent again.",
        hint_de="Bitte die eigene Datenbank der Station zurückspielen. Ist sie verloren, zeigt 'smartbox queue "
                "rebuild', was erneut gesendet würde.",
    ),
    "outbox.disk_full": Message(
        en="The disk holding the outbox database {path} is full; the change was not saved.",
        de="Der Datenträger der Ausgangs-Datenbank {path} ist voll; die Änderung wurde nicht gespeichert.",
        hint_en="Free disk space (ask IT); captures already made are safe. Then try again.",
        hint_de="Bitte Speicherplatz freigeben (IT fragen); bereits Aufgenommenes ist sicher. Dann erneut versuchen.",
    ),
    "outbox.reason_damaged": Message(
        en="The stored reason of job {job} is damaged (it was '{original}'); the job itself is intact.",
        de="Der gespeicherte Grund von Auftrag {job} ist beschädigt (er war '{original}'); der Auftrag selbst ist intakt.",
        hint_en="Send it again with 'smartbox queue retry {job}'.",
        hint_de="Bitte mit 'smartbox queue retry {job}' erneut senden.",
    ),
    "outbox.already_serving": Message(
        en="Another SmartBox service (process {pid}) is already running for the data folder {folder}.",
        de="Für den Datenordner {folder} läuft bereits ein anderer SmartBox-Dienst (Prozess {pid}).",
        hint_en="Use the running service, or stop it first (one service per data folder keeps every object from "
                "being sent twice).",
        hint_de="Bitte den laufenden Dienst verwenden oder ihn zuerst beenden (ein Dienst je Datenordner "
                "verhindert, dass Objekte doppelt gesendet werden).",
    ),
    "outbox.unknown_job": Message(
        en="There is no job {job}.",
        de="Es gibt keinen Auftrag {job}.",
        hint_en="List the jobs with 'smartbox queue list'.",
        hint_de="Bitte die Aufträge mit 'smartbox queue list' anzeigen.",
    ),
}
