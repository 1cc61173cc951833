"""Messages of the worklist area: C-FIND statuses (PS3.4 Table K.4-1), lookup, cache (see smartbox_next.messages)."""

from __future__ import annotations

from smartbox_next.messages._types import Message

_RETRY_EN = "Try again in a moment; if it persists, inform the RIS administrator."
_RETRY_DE = "Bitte gleich noch einmal versuchen; bleibt es so, bitte den RIS-Administrator informieren."

MESSAGES: dict[str, Message] = {
    "worklist.failed": Message(
        en="The worklist server {peer} answered the query with failure status {code}.",
        de="Der Worklist-Server {peer} hat die Abfrage mit dem Fehlerstatus {code} beantwortet.",
        hint_en=_RETRY_EN,
        hint_de=_RETRY_DE,
    ),
    "worklist.out_of_resources": Message(
        en="The worklist server {peer} is out of resources (status {code}).",
        de="Dem Worklist-Server {peer} fehlen Ressourcen (Status {code}).",
        hint_en="Try again in a moment, or narrow the query (date, station, name).",
        hint_de="Bitte gleich noch einmal versuchen oder die Abfrage eingrenzen (Datum, Station, Name).",
    ),
    "worklist.identifier_mismatch": Message(
        en="The worklist server {peer} did not accept our query keys (status {code}).",
        de="Der Worklist-Server {peer} hat unsere Suchschlüssel nicht akzeptiert (Status {code}).",
        hint_en="Inform the RIS administrator and send them the SmartBox log of this query.",
        hint_de="Bitte den RIS-Administrator informieren und ihm das SmartBox-Protokoll dieser Abfrage senden.",
    ),
    "worklist.unable_to_process": Message(
        en="The worklist server {peer} was unable to process the query (status {code}).",
        de="Der Worklist-Server {peer} konnte die Abfrage nicht verarbeiten (Status {code}).",
        hint_en=_RETRY_EN,
        hint_de=_RETRY_DE,
    ),
    "worklist.not_supported": Message(
        en="{peer} does not offer a Modality Worklist (status {code}).",
        de="{peer} bietet keine Modality Worklist an (Status {code}).",
        hint_en="Check the worklist server (worklist.peer) in the settings.",
        hint_de="Bitte den Worklist-Server (worklist.peer) in den Einstellungen prüfen.",
    ),
    "worklist.cancelled": Message(
        en="The worklist server {peer} cancelled the query (status {code}).",
        de="Der Worklist-Server {peer} hat die Abfrage abgebrochen (Status {code}).",
        hint_en=_RETRY_EN,
        hint_de=_RETRY_DE,
    ),
    "worklist.no_peer": Message(
        en="No worklist server is configured.",
        de="Es ist kein Worklist-Server eingerichtet.",
        hint_en="Set worklist.peer in the settings (a peer name or AET@host:port), or pass --from.",
        hint_de="Bitte worklist.peer in den Einstellungen setzen (Name einer Gegenstelle oder AET@host:port) "
        "oder --from angeben.",
    ),
    "worklist.bad_date": Message(
        en="'{value}' is not a date the worklist query accepts. Accepted: today, a day YYYYMMDD, a range "
           "YYYYMMDD-YYYYMMDD (the first day not after the last), from a day on YYYYMMDD-, up to a day -YYYYMMDD, "
           "or any (every date).",
        de="'{value}' ist kein Datum, das die Worklist-Abfrage annimmt. Möglich sind: today (heute), ein Tag "
           "JJJJMMTT, ein Zeitraum JJJJMMTT-JJJJMMTT (der erste Tag nicht nach dem letzten), ab einem Tag "
           "JJJJMMTT-, bis zu einem Tag -JJJJMMTT, oder any (jedes Datum).",
        hint_en="For example --date today, --date 20250314, --date 20250301-20250331 or --date any.",
        hint_de="Bitte z. B. --date today, --date 20250314, --date 20250301-20250331 oder --date any angeben.",
    ),
    "worklist.not_found": Message(
        en="No worklist entry matches {what}.",
        de="Kein Worklist-Eintrag passt zu {what}.",
        hint_en="Check the value, list the worklist with 'smartbox worklist --date any', or use --from for "
        "another worklist server.",
        hint_de="Bitte den Wert prüfen, die Worklist mit 'smartbox worklist --date any' anzeigen oder mit --from "
        "einen anderen Worklist-Server wählen.",
    ),
    "worklist.ambiguous": Message(
        en="{count} worklist entries of different patients or studies match: {items}.",
        de="{count} Worklist-Einträge verschiedener Patienten oder Studien passen: {items}.",
        hint_en="Choose one entry with --worklist-item ID (IDs are shown by 'smartbox worklist').",
        hint_de="Bitte einen Eintrag mit --worklist-item ID wählen (die IDs zeigt 'smartbox worklist').",
    ),
    "worklist.bad_uid": Message(
        en="Worklist entry {item} has an invalid {attribute}: '{value}' is not a UID; the entry is not used.",
        de="Der Worklist-Eintrag {item} hat eine ungültige {attribute}: '{value}' ist keine UID; der Eintrag "
        "wird nicht verwendet.",
        hint_en="Ask the RIS administrator to correct the entry (a UID has only digits and dots, at most 64 "
        "characters); meanwhile use --patient-id and --patient-name.",
        hint_de="Bitte den RIS-Administrator bitten, den Eintrag zu korrigieren (eine UID besteht nur aus Ziffern "
        "und Punkten, höchstens 64 Zeichen); bis dahin bitte --patient-id und --patient-name verwenden.",
    ),
    "worklist.no_study_uid": Message(
        en="Worklist entry {item} has no Study Instance UID; a scheduled exam must not get a new one.",
        de="Der Worklist-Eintrag {item} hat keine Study Instance UID; eine geplante Untersuchung darf keine "
        "neue erhalten.",
        hint_en="Ask the RIS administrator to send the Study Instance UID in the worklist.",
        hint_de="Bitte den RIS-Administrator bitten, die Study Instance UID in der Worklist mitzusenden.",
    ),
    "worklist.charset_doubtful": Message(
        en="The patient data of worklist entry {item} does not decode cleanly as {character_set}; it is not used "
        "so that no garbled name reaches the PACS.",
        de="Die Patientendaten des Worklist-Eintrags {item} lassen sich als {character_set} nicht sauber lesen; "
        "sie werden nicht verwendet, damit kein verstümmelter Name ins PACS gelangt.",
        hint_en="Set worklist.fallback_character_set to the RIS character set (e.g. ISO_IR 192), or ask the RIS "
        "administrator to send Specific Character Set.",
        hint_de="Bitte worklist.fallback_character_set auf den Zeichensatz des RIS stellen (z. B. ISO_IR 192) "
        "oder den RIS-Administrator bitten, den Specific Character Set mitzusenden.",
    ),
    "worklist.stale": Message(
        en="Worklist server {peer} is unreachable. Showing the list saved {age} ago ({fetched_at}); it may be "
        "out of date.",
        de="Der Worklist-Server {peer} ist nicht erreichbar. Angezeigt wird die vor {age} gespeicherte Liste "
        "({fetched_at}); sie ist möglicherweise veraltet.",
        hint_en="Check the network connection to the RIS; compare patient and accession number with the request.",
        hint_de="Bitte die Netzwerkverbindung zum RIS prüfen und Patient sowie Auftragsnummer mit dem Auftrag "
        "vergleichen.",
    ),
    "worklist.truncated": Message(
        en="More than {limit} worklist entries match; only the first {limit} are shown.",
        de="Mehr als {limit} Worklist-Einträge passen; nur die ersten {limit} werden angezeigt.",
        hint_en="Narrow the query with --date, --station, --patient-name or --accession.",
        hint_de="Bitte die Abfrage mit --date, --station, --patient-name oder --accession eingrenzen.",
    ),
    "worklist.empty": Message(
        en="No scheduled procedure steps match ({peer}).",
        de="Keine geplanten Untersuchungsschritte gefunden ({peer}).",
        hint_en="Check date, station and modality, or use --date any / --any-station.",
        hint_de="Bitte Datum, Station und Modalität prüfen oder --date any / --any-station verwenden.",
    ),
    "worklist.undeclared_charset": Message(
        en="{count} worklist entries came without Specific Character Set and were read as {character_set}.",
        de="{count} Worklist-Einträge kamen ohne Specific Character Set und wurden als {character_set} gelesen.",
        hint_en="If names look wrong, set worklist.fallback_character_set to the RIS character set.",
        hint_de="Wenn Namen falsch aussehen, bitte worklist.fallback_character_set auf den Zeichensatz des RIS "
        "stellen.",
    ),
}
