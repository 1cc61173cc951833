"""Messages of DICOMweb destinations (STOW-RS, QIDO-RS; PS3.18) and their configuration (see smartbox_next.messages).

HTTP failures name the status ({http_status}, PS3.18 Table 10.5.3-1 and §8.5); per-instance failures of a store
response reuse the ``store.*`` messages, whose codes are the same (PS3.18 Table I.2-2 follows PS3.4 B.2.3).
"""

from __future__ import annotations

from smartbox_next.messages._types import Message

MESSAGES: dict[str, Message] = {
    # ---------------------------------------------------------------- configuration
    "config.peer_is_web": Message(
        en="'{name}' is a DICOMweb service (a URL); this needs a DICOM peer written AET@host:port.",
        de="'{name}' ist ein DICOMweb-Dienst (eine Adresse im Web); hierfür wird eine DICOM-Gegenstelle der Form "
        "AET@host:port gebraucht.",
        hint_en="DICOMweb peers are STOW-RS destinations only (send, export, serve, echo); use a DIMSE peer for "
        "worklist, MPPS and storage commitment.",
        hint_de="DICOMweb-Gegenstellen sind nur Ziele für STOW-RS (send, export, serve, echo); für Worklist, MPPS "
        "und Speicherbestätigung bitte eine DIMSE-Gegenstelle verwenden.",
    ),
    "config.web_peer_role": Message(
        en="Setting '{setting}' gives a DICOMweb peer the role(s) {role}; a DICOMweb peer can only have the role "
        "storage.",
        de="Die Einstellung '{setting}' gibt einer DICOMweb-Gegenstelle die Rolle(n) {role}; eine "
        "DICOMweb-Gegenstelle kann nur die Rolle storage haben.",
        hint_en="Write roles = [\"storage\"] (or [] for a peer used only with send --to), and configure worklist, "
        "MPPS or commitment on a DIMSE peer (address = \"AET@host:port\").",
        hint_de="Bitte roles = [\"storage\"] eintragen (oder [] für eine Gegenstelle nur für send --to) und "
        "Worklist, MPPS oder Speicherbestätigung bei einer DIMSE-Gegenstelle (address = \"AET@host:port\") "
        "einrichten.",
    ),
    "config.secret_source": Message(
        en="Setting '{setting}': authentication {auth} needs exactly one of {env_key} and {file_key}.",
        de="Einstellung '{setting}': Die Anmeldung {auth} braucht genau eine der Angaben {env_key} und {file_key}.",
        hint_en="Name the environment variable ({env_key}) or the file ({file_key}) that holds the secret — never "
        "the secret itself — in the configuration file.",
        hint_de="Bitte in der Konfigurationsdatei die Umgebungsvariable ({env_key}) oder die Datei ({file_key}) "
        "nennen, die das Geheimnis enthält — nie das Geheimnis selbst.",
    ),
    "config.secret_not_used": Message(
        en="Setting '{setting}' does not fit authentication {auth}.",
        de="Die Einstellung '{setting}' passt nicht zur Anmeldung {auth}.",
        hint_en="basic takes username with password_env or password_file; bearer takes token_env or token_file; "
        "none takes neither. Remove '{setting}' or change auth.",
        hint_de="basic braucht username mit password_env oder password_file; bearer braucht token_env oder "
        "token_file; none braucht keines davon. Bitte '{setting}' entfernen oder auth ändern.",
    ),
    "config.secret_unavailable": Message(
        en="The secret named by '{setting}' cannot be read: {source} is missing or empty.",
        de="Das in '{setting}' genannte Geheimnis kann nicht gelesen werden: {source} fehlt oder ist leer.",
        hint_en="Set the environment variable for the service, or create the file (readable by the station's user "
        "only); objects stay queued until then.",
        hint_de="Bitte die Umgebungsvariable für den Dienst setzen oder die Datei anlegen (nur für den Benutzer der "
        "Station lesbar); die Objekte bleiben bis dahin in der Warteschlange.",
    ),
    # ---------------------------------------------------------------- HTTP answers
    "dicomweb.unauthorized": Message(
        en="{peer} refused the station's credentials for {operation} (HTTP {http_status}).",
        de="{peer} hat die Anmeldedaten der Station für {operation} abgelehnt (HTTP {http_status}).",
        hint_en="Check auth, username and the password or token (password_env / password_file, token_env / "
        "token_file) of this peer; nothing is resent until the credentials are fixed and the jobs retried.",
        hint_de="Bitte auth, username und Passwort bzw. Token (password_env / password_file, token_env / token_file) "
        "dieser Gegenstelle prüfen; bis dahin wird nichts erneut gesendet, danach bitte die Aufträge wiederholen.",
    ),
    "dicomweb.forbidden": Message(
        en="{peer} does not allow this station's user to perform {operation} (HTTP {http_status}).",
        de="{peer} erlaubt dem Benutzer dieser Station {operation} nicht (HTTP {http_status}).",
        hint_en="Ask the archive administrator to grant this user permission to store (and, for verify_stored, to "
        "query); then retry the jobs.",
        hint_de="Bitte den Archiv-Administrator bitten, diesem Benutzer das Speichern (und für verify_stored das "
        "Abfragen) zu erlauben; danach die Aufträge wiederholen.",
    ),
    "dicomweb.not_found": Message(
        en="{peer} has no DICOMweb {operation} resource at {url} (HTTP {http_status}).",
        de="{peer} bietet unter {url} keine DICOMweb-Ressource für {operation} an (HTTP {http_status}).",
        hint_en="Check the peer's url: it is the service's base URL (e.g. https://pacs.example/dicom-web), without "
        "/studies at the end.",
        hint_de="Bitte die url der Gegenstelle prüfen: Sie ist die Basisadresse des Dienstes (z. B. "
        "https://pacs.example/dicom-web), ohne /studies am Ende.",
    ),
    "dicomweb.redirected": Message(
        en="{peer} answered {operation} with a redirection (HTTP {http_status}) to {location}.",
        de="{peer} hat {operation} mit einer Umleitung (HTTP {http_status}) nach {location} beantwortet.",
        hint_en="Enter the final address as the peer's url (often https:// instead of http://).",
        hint_de="Bitte die endgültige Adresse als url der Gegenstelle eintragen (oft https:// statt http://).",
    ),
    "dicomweb.too_large": Message(
        en="{peer} refused a request of {mb} MB as too large (HTTP {http_status}).",
        de="{peer} hat eine Anfrage mit {mb} MB als zu groß abgelehnt (HTTP {http_status}).",
        hint_en="Ask the archive administrator to raise the upload limit; the object is kept and not resent "
        "unchanged.",
        hint_de="Bitte den Archiv-Administrator bitten, die Größengrenze für Uploads zu erhöhen; das Objekt bleibt "
        "erhalten und wird nicht unverändert erneut gesendet.",
    ),
    "dicomweb.unsupported_media_type": Message(
        en="{peer} does not accept multipart/related; type=\"application/dicom\" for {operation} (HTTP "
        "{http_status}).",
        de="{peer} nimmt multipart/related; type=\"application/dicom\" für {operation} nicht an (HTTP "
        "{http_status}).",
        hint_en="Check that the url is the archive's STOW-RS service (PS3.18 §10.5), not another web interface.",
        hint_de="Bitte prüfen, ob die url der STOW-RS-Dienst des Archivs ist (PS3.18 §10.5) und keine andere "
        "Weboberfläche.",
    ),
    "dicomweb.bad_request": Message(
        en="{peer} refused {sop_instance_uid} as a malformed request (HTTP {http_status}): {detail}",
        de="{peer} hat {sop_instance_uid} als fehlerhafte Anfrage abgelehnt (HTTP {http_status}): {detail}",
        hint_en="The object is kept and not resent unchanged; inform support with this message.",
        hint_de="Das Objekt bleibt erhalten und wird nicht unverändert erneut gesendet; bitte den Support mit dieser "
        "Meldung informieren.",
    ),
    "dicomweb.conflict": Message(
        en="{peer} could not store {sop_instance_uid} (HTTP {http_status}, no reason per instance): {detail}",
        de="{peer} konnte {sop_instance_uid} nicht speichern (HTTP {http_status}, ohne Grund je Instanz): {detail}",
        hint_en="The object is kept and not resent unchanged; inform the archive administrator with this message.",
        hint_de="Das Objekt bleibt erhalten und wird nicht unverändert erneut gesendet; bitte den "
        "Archiv-Administrator mit dieser Meldung informieren.",
    ),
    "dicomweb.busy": Message(
        en="{peer} is busy (HTTP {http_status}) and asks to wait {retry_after} s before {operation} again.",
        de="{peer} ist ausgelastet (HTTP {http_status}) und bittet, {retry_after} s bis zum nächsten {operation} zu "
        "warten.",
        hint_en="Nothing to do: it is retried automatically, not before the time the server asked for.",
        hint_de="Nichts zu tun: Es wird automatisch wiederholt, frühestens nach der vom Server erbetenen Zeit.",
    ),
    "dicomweb.server_error": Message(
        en="{peer} failed to handle {operation} (HTTP {http_status}): {detail}",
        de="{peer} konnte {operation} nicht ausführen (HTTP {http_status}): {detail}",
        hint_en="Nothing to do: it is retried automatically. If it persists, inform the archive administrator.",
        hint_de="Nichts zu tun: Es wird automatisch wiederholt. Bleibt es so, bitte den Archiv-Administrator "
        "informieren.",
    ),
    "dicomweb.http_failed": Message(
        en="{peer} refused {operation} (HTTP {http_status}): {detail}",
        de="{peer} hat {operation} abgelehnt (HTTP {http_status}): {detail}",
        hint_en="The object is kept and not resent unchanged; inform the archive administrator with this message.",
        hint_de="Das Objekt bleibt erhalten und wird nicht unverändert erneut gesendet; bitte den "
        "Archiv-Administrator mit dieser Meldung informieren.",
    ),
    "dicomweb.not_reported": Message(
        en="{peer} answered HTTP {http_status} but said nothing about {sop_instance_uid}.",
        de="{peer} hat mit HTTP {http_status} geantwortet, aber nichts zu {sop_instance_uid} gemeldet.",
        hint_en="Nothing to do: the object is sent again automatically (same SOP Instance UID).",
        hint_de="Nichts zu tun: Das Objekt wird automatisch erneut gesendet (mit derselben SOP Instance UID).",
    ),
    "dicomweb.transfer_syntax_refused": Message(
        en="{peer} refused {sop_instance_uid}: transfer syntax {transfer_syntax} not supported (failure reason "
        "{code}).",
        de="{peer} hat {sop_instance_uid} abgelehnt: Transfersyntax {transfer_syntax} wird nicht unterstützt "
        "(Fehlergrund {code}).",
        hint_en="Ask the archive administrator to accept transfer syntax {transfer_syntax}, or send this object "
        "type to a DIMSE peer, which can fall back to another syntax.",
        hint_de="Bitte den Archiv-Administrator bitten, die Transfersyntax {transfer_syntax} anzunehmen, oder "
        "diesen Objekttyp an eine DIMSE-Gegenstelle senden, die auf eine andere Syntax ausweichen kann.",
    ),
    "dicomweb.not_confirmed": Message(
        en="{peer} accepted {sop_instance_uid}, but a QIDO-RS query does not find it (yet).",
        de="{peer} hat {sop_instance_uid} angenommen, eine QIDO-RS-Abfrage findet es aber (noch) nicht.",
        hint_en="Nothing to do: it is checked again automatically and sent again if it stays missing; the spool "
        "file is kept until the archive confirms it.",
        hint_de="Nichts zu tun: Es wird automatisch erneut geprüft und, falls es fehlt, erneut gesendet; die "
        "Spool-Datei bleibt erhalten, bis das Archiv es bestätigt.",
    ),
    "dicomweb.tls_failed": Message(
        en="The secure (HTTPS) connection to {peer} could not be established: {detail}",
        de="Die gesicherte (HTTPS-)Verbindung zu {peer} konnte nicht aufgebaut werden: {detail}",
        hint_en="Check the server certificate and the peer's ca_bundle (the CA that signed it) and that the host "
        "name in url matches the certificate.",
        hint_de="Bitte das Serverzertifikat und ca_bundle der Gegenstelle (die CA, die es signiert hat) prüfen, "
        "und ob der Rechnername in url zum Zertifikat passt.",
    ),
    "dicomweb.bad_url": Message(
        en="{peer} cannot be reached at {url}: {detail}",
        de="{peer} ist unter {url} nicht erreichbar: {detail}",
        hint_en="Check the peer's url in the settings.",
        hint_de="Bitte die url der Gegenstelle in den Einstellungen prüfen.",
    ),
    # ---------------------------------------------------------------- verification
    "echo.web_ok": Message(
        en="{peer} answered QIDO-RS in {echo_ms} ms (HTTP {http_status}); the credentials were accepted.",
        de="{peer} hat QIDO-RS in {echo_ms} ms beantwortet (HTTP {http_status}); die Anmeldedaten wurden "
        "angenommen.",
        hint_en="Nothing to do.",
        hint_de="Nichts zu tun.",
    ),
}
