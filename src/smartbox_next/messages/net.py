"""Messages of the network area: association, echo, store, send (see smartbox_next.messages).

Store statuses follow PS3.4 B.2.3 and PS3.7 Annex C; every store message carries the status ({code}) and the
PACS's Error Comment (0000,0902) ({comment}).
"""

from __future__ import annotations

from smartbox_next.messages._types import Message


def _rejected(en: str, de: str, hint_en: str, hint_de: str) -> Message:
    return Message(
        en=f"{{peer}} rejected the association: {en} (result {{result}}, source {{source}}, reason {{reason}}).",
        de=f"{{peer}} hat die Verbindung abgelehnt: {de} (Ergebnis {{result}}, Quelle {{source}}, Grund {{reason}}).",
        hint_en=hint_en,
        hint_de=hint_de,
    )


MESSAGES: dict[str, Message] = {
    "net.connect_failed": Message(
        en="No connection to {peer}: nothing answers at {host} port {port}.",
        de="Keine Verbindung zu {peer}: unter {host} Port {port} antwortet niemand.",
        hint_en="Check the address ({host} port {port}) in the settings, and that {peer} is running and reachable "
                "from this station.",
        hint_de="Bitte die Adresse ({host} Port {port}) in den Einstellungen prüfen und ob {peer} läuft und von "
                "dieser Station erreichbar ist.",
    ),
    "net.rejected.called_ae": _rejected(
        "our called AE title is not recognised", "der angerufene AE-Titel ist dort unbekannt",
        "Check the AE title of {peer} in the settings (case matters).",
        "Bitte den AE-Titel von {peer} in den Einstellungen prüfen (Groß-/Kleinschreibung beachten).",
    ),
    "net.rejected.calling_ae": _rejected(
        "our AE title is not recognised", "unser AE-Titel ist dort nicht bekannt",
        "Ask the administrator of {peer} to register this station's AE title, host and port.",
        "Bitte den Administrator von {peer} bitten, AE-Titel, Rechner und Port dieser Station einzutragen.",
    ),
    "net.rejected.congestion": _rejected(
        "temporary congestion", "vorübergehende Überlastung",
        "Nothing to do: sending is retried automatically; repeat a worklist query in a moment.",
        "Nichts zu tun: Das Senden wird automatisch wiederholt; eine Worklist-Abfrage bitte gleich noch einmal "
        "starten.",
    ),
    "net.rejected.local_limit": _rejected(
        "its connection limit is reached", "die Verbindungsgrenze der Gegenstelle ist erreicht",
        "Nothing to do: sending is retried automatically; if it persists, inform the administrator of {peer}.",
        "Nichts zu tun: Das Senden wird automatisch wiederholt; bleibt es so, bitte den Administrator von {peer} "
        "informieren.",
    ),
    "net.rejected.application_context": _rejected(
        "the DICOM application context is not supported", "der DICOM-Anwendungskontext wird nicht unterstützt",
        "The peer is probably not a DICOM node; check host and port.",
        "Die Gegenstelle ist vermutlich kein DICOM-Knoten; bitte Rechner und Port prüfen.",
    ),
    "net.rejected.protocol_version": _rejected(
        "the protocol version is not supported", "die Protokollversion wird nicht unterstützt",
        "Inform the administrator of {peer}.", "Bitte den Administrator von {peer} informieren.",
    ),
    "net.rejected.no_reason": _rejected(
        "no reason given", "ohne Angabe von Gründen",
        "Check the AE titles in the settings and ask the administrator of {peer}.",
        "Bitte die AE-Titel in den Einstellungen prüfen und den Administrator von {peer} fragen.",
    ),
    "net.aborted": Message(
        en="The connection to {peer} was aborted during {operation} (by the {source}).",
        de="Die Verbindung zu {peer} wurde während {operation} abgebrochen (durch {source}).",
        hint_en="Nothing to do: sending is retried automatically (repeat a worklist query). If it keeps happening, "
                "check the network.",
        hint_de="Nichts zu tun: Das Senden wird automatisch wiederholt (eine Worklist-Abfrage bitte wiederholen). "
                "Passiert es öfter, bitte das Netzwerk prüfen.",
    ),
    "net.timeout": Message(
        en="{peer} did not answer in time during {operation}.",
        de="{peer} hat während {operation} nicht rechtzeitig geantwortet.",
        hint_en="Nothing to do: sending is retried automatically (repeat a worklist query). If it persists, check "
                "{peer} or raise the timeouts (network.*, worklist.timeout).",
        hint_de="Nichts zu tun: Das Senden wird automatisch wiederholt (eine Worklist-Abfrage bitte wiederholen). "
                "Bleibt es so, bitte {peer} prüfen oder die Zeitlimits erhöhen (network.*, worklist.timeout).",
    ),
    "net.no_context": Message(
        en="{peer} accepts neither the object type {sop_class} nor its transfer syntax {transfer_syntax}.",
        de="{peer} nimmt weder den Objekttyp {sop_class} noch dessen Transfersyntax {transfer_syntax} an.",
        hint_en="Ask the PACS administrator to accept this object type and transfer syntax.",
        hint_de="Bitte den PACS-Administrator bitten, diesen Objekttyp und diese Transfersyntax freizuschalten.",
    ),
    "net.sop_class_refused": Message(
        en="{peer} does not accept objects of type {sop_class} ({path}).",
        de="{peer} nimmt keine Objekte vom Typ {sop_class} an ({path}).",
        hint_en="Ask the PACS administrator to accept this object type; the other objects were sent.",
        hint_de="Bitte den PACS-Administrator bitten, diesen Objekttyp freizuschalten; die übrigen Objekte wurden gesendet.",
    ),
    "net.no_transfer_syntax": Message(
        en="{peer} accepts {sop_class}, but in none of the transfer syntaxes this object can be sent in "
        "(it is encoded as {transfer_syntax}; possible: {possible}).",
        de="{peer} nimmt {sop_class} an, aber in keiner Transfersyntax, in der dieses Objekt gesendet werden "
        "kann (es ist als {transfer_syntax} kodiert; möglich: {possible}).",
        hint_en="Ask the PACS administrator to accept transfer syntax {transfer_syntax} for this object type.",
        hint_de="Bitte den PACS-Administrator bitten, die Transfersyntax {transfer_syntax} für diesen Objekttyp freizuschalten.",
    ),
    "net.tls_failed": Message(
        en="The secure (TLS) connection to {peer} could not be established: {detail}",
        de="Die gesicherte (TLS-)Verbindung zu {peer} konnte nicht aufgebaut werden: {detail}",
        hint_en="Check the certificate, key and CA settings (network.tls_*) and that {peer} expects TLS on this port.",
        hint_de="Bitte Zertifikat, Schlüssel und CA (network.tls_*) prüfen und ob {peer} auf diesem Port TLS erwartet.",
    ),
    "echo.ok": Message(
        en="{peer} answered the echo in {echo_ms} ms (connection and association {association_ms} ms).",
        de="{peer} hat das Echo in {echo_ms} ms beantwortet (Verbindungsaufbau {association_ms} ms).",
        hint_en="Nothing to do.",
        hint_de="Nichts zu tun.",
    ),
    "echo.failed": Message(
        en="{peer} answered the echo with status {code}.",
        de="{peer} hat das Echo mit Status {code} beantwortet.",
        hint_en="Inform the administrator of {peer}.",
        hint_de="Bitte den Administrator von {peer} informieren.",
    ),
    "send.not_dicom": Message(
        en="{path} is not a DICOM file that can be sent: {reason}.",
        de="{path} ist keine sendbare DICOM-Datei: {reason}.",
        hint_en="Nothing to do for the other files; remove this file from the selection.",
        hint_de="Für die übrigen Dateien ist nichts zu tun; bitte diese Datei aus der Auswahl entfernen.",
    ),
    "send.downscale_off": Message(
        en="{path} can go to this PACS only as {syntax} ({target}), which means scaling the video down from "
           "{source} — and downscaling is switched off at this station.",
        de="{path} kann an dieses PACS nur als {syntax} ({target}) gehen, also auf {target} verkleinert statt "
           "{source} — und das Verkleinern ist an dieser Station ausgeschaltet.",
        hint_en="Set video.allow_downscale = true (the PACS then gets a 720x576 copy marked DERIVED), or ask the "
                "PACS administrator to accept H.264 or MPEG-2 High Level for this object type.",
        hint_de="Bitte video.allow_downscale = true setzen (das PACS erhält dann eine als DERIVED gekennzeichnete "
                "Kopie in 720x576) oder den PACS-Administrator bitten, H.264 oder MPEG-2 High Level anzunehmen.",
    ),
    "send.no_conversion": Message(
        en="{path} cannot be converted from {source} to {target}.",
        de="{path} kann nicht von {source} nach {target} umgewandelt werden.",
        hint_en="Ask the PACS administrator to accept transfer syntax {source}.",
        hint_de="Bitte den PACS-Administrator bitten, die Transfersyntax {source} freizuschalten.",
    ),
    "send.decode_failed": Message(
        en="The image in {path} could not be decoded for sending: {detail}",
        de="Das Bild in {path} konnte zum Senden nicht dekodiert werden: {detail}",
        hint_en="The file may be damaged; capture it again or inform support.",
        hint_de="Die Datei ist möglicherweise beschädigt; bitte neu aufnehmen oder den Support informieren.",
    ),
    "send.file_changed": Message(
        en="{path} could not be read while sending: {detail}",
        de="{path} konnte beim Senden nicht gelesen werden: {detail}",
        hint_en="Check that the file still exists and is not being written; it is sent again automatically.",
        hint_de="Bitte prüfen, ob die Datei noch vorhanden ist und nicht gerade geschrieben wird; sie wird automatisch erneut gesendet.",
    ),
    "store.warning": Message(
        en="{peer} stored {sop_instance_uid} with warning {code}: {comment}",
        de="{peer} hat {sop_instance_uid} mit Warnung {code} gespeichert: {comment}",
        hint_en="The object is stored; the PACS changed (B000) or dropped (B006) attributes, or found a mismatch with the SOP class (B007). Check it in the PACS.",
        hint_de="Das Objekt ist gespeichert; das PACS hat Attribute geändert (B000) oder verworfen (B006) oder eine Abweichung von der SOP-Klasse festgestellt (B007). Bitte im PACS prüfen.",
    ),
    "store.out_of_resources": Message(
        en="{peer} cannot store {sop_instance_uid} right now: out of resources (status {code}): {comment}",
        de="{peer} kann {sop_instance_uid} gerade nicht speichern: keine Ressourcen frei (Status {code}): {comment}",
        hint_en="Nothing to do: sending is retried automatically. If it persists, inform the PACS administrator (disk full?).",
        hint_de="Nichts zu tun: Das Senden wird automatisch wiederholt. Bleibt es so, bitte den PACS-Administrator informieren (Speicher voll?).",
    ),
    "store.does_not_match": Message(
        en="{peer} refused {sop_instance_uid}: data set does not match the SOP class (status {code}): {comment}",
        de="{peer} hat {sop_instance_uid} abgelehnt: Datensatz passt nicht zur SOP-Klasse (Status {code}): {comment}",
        hint_en="The object is kept and not resent unchanged; inform support with this message.",
        hint_de="Das Objekt bleibt erhalten und wird nicht unverändert erneut gesendet; bitte den Support mit dieser Meldung informieren.",
    ),
    "store.cannot_understand": Message(
        en="{peer} refused {sop_instance_uid}: cannot understand (status {code}): {comment}",
        de="{peer} hat {sop_instance_uid} abgelehnt: nicht verarbeitbar (Status {code}): {comment}",
        hint_en="The object is kept and not resent unchanged; inform support with this message.",
        hint_de="Das Objekt bleibt erhalten und wird nicht unverändert erneut gesendet; bitte den Support mit dieser Meldung informieren.",
    ),
    "store.sop_class_not_supported": Message(
        en="{peer} refused {sop_instance_uid}: SOP class not supported (status {code}): {comment}",
        de="{peer} hat {sop_instance_uid} abgelehnt: SOP-Klasse nicht unterstützt (Status {code}): {comment}",
        hint_en="Ask the PACS administrator to accept this object type.",
        hint_de="Bitte den PACS-Administrator bitten, diesen Objekttyp freizuschalten.",
    ),
    "store.not_authorized": Message(
        en="{peer} refused {sop_instance_uid}: not authorised (status {code}): {comment}",
        de="{peer} hat {sop_instance_uid} abgelehnt: keine Berechtigung (Status {code}): {comment}",
        hint_en="Ask the PACS administrator to allow this station to store objects.",
        hint_de="Bitte den PACS-Administrator bitten, dieser Station das Speichern zu erlauben.",
    ),
    "store.invalid_instance": Message(
        en="{peer} refused {sop_instance_uid}: invalid SOP instance (status {code}): {comment}",
        de="{peer} hat {sop_instance_uid} abgelehnt: ungültige SOP-Instanz (Status {code}): {comment}",
        hint_en="The object is kept; inform support with this message.",
        hint_de="Das Objekt bleibt erhalten; bitte den Support mit dieser Meldung informieren.",
    ),
    "store.protocol_error": Message(
        en="{peer} reported a protocol error for {sop_instance_uid} (status {code}): {comment}",
        de="{peer} hat einen Protokollfehler für {sop_instance_uid} gemeldet (Status {code}): {comment}",
        hint_en="Nothing to do: it is retried once on a new connection; if it persists, inform support.",
        hint_de="Nichts zu tun: Es wird einmal über eine neue Verbindung wiederholt; bleibt es so, bitte den Support informieren.",
    ),
    "store.failed": Message(
        en="{peer} refused {sop_instance_uid} (status {code}): {comment}",
        de="{peer} hat {sop_instance_uid} abgelehnt (Status {code}): {comment}",
        hint_en="The object is kept; inform the PACS administrator with this message.",
        hint_de="Das Objekt bleibt erhalten; bitte den PACS-Administrator mit dieser Meldung informieren.",
    ),
    "send.summary": Message(
        en="{peer}: {stored} of {total} stored ({warnings} with warning), {failed} failed, {mb} MB in {seconds} s.",
        de="{peer}: {stored} von {total} gespeichert ({warnings} mit Warnung), {failed} fehlgeschlagen, {mb} MB in {seconds} s.",
        hint_en="For failed objects see the message above each one; objects with a warning are stored.",
        hint_de="Zu fehlgeschlagenen Objekten siehe die Meldung darüber; Objekte mit Warnung sind gespeichert.",
    ),
}
