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
    "net.worker_ended": Message(
        en="The sending process for {peer} ended unexpectedly (exit code {code}): none of these objects is "
           "confirmed there.",
        de="Der Sendeprozess für {peer} wurde unerwartet beendet (Exit-Code {code}): Für keines dieser Objekte "
           "liegt von dort eine Bestätigung vor.",
        hint_en="Send these objects to {peer} again; what had already arrived is simply stored once more.",
        hint_de="Diese Objekte bitte erneut an {peer} senden; was schon angekommen war, wird dort einfach noch "
                "einmal gespeichert.",
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
    # --- what a peer did wrong (net/guard.py, PS3.8 §9.3): the association was aborted (A-ABORT, §9.3.8)
    "net.peer.pdu_too_long": Message(
        en="{peer} sent one {pdu} PDU of {length} bytes, more than the {limit} bytes this station accepts; "
           "the association was aborted.",
        de="{peer} hat eine {pdu}-PDU mit {length} Bytes gesendet, mehr als die {limit} Bytes, die diese Station "
           "annimmt; die Verbindung wurde abgebrochen.",
        hint_en="Inform the administrator of {peer}: the peer ignores the maximum PDU length this station announced "
                "(network.max_pdu, PS3.8 D.1). Sending is retried automatically.",
        hint_de="Bitte den Administrator von {peer} informieren: Die Gegenstelle hält die angekündigte maximale PDU-Länge "
                "nicht ein (network.max_pdu, PS3.8 D.1). Das Senden wird automatisch wiederholt.",
    ),
    "net.peer.message_too_long": Message(
        en="{peer} sent a DIMSE message of more than {limit} bytes in {pdu} PDUs; the association was aborted.",
        de="{peer} hat in {pdu}-PDUs eine DIMSE-Nachricht mit mehr als {limit} Bytes gesendet; die Verbindung "
           "wurde abgebrochen.",
        hint_en="Inform the administrator of {peer}: no answer to this station's requests is that large.",
        hint_de="Bitte den Administrator von {peer} informieren: Keine Antwort auf die Anfragen dieser Station ist so groß.",
    ),
    "net.peer.flood": Message(
        en="{peer} sent more than {limit} DIMSE messages that could not be processed within {seconds} s; "
           "the association was aborted.",
        de="{peer} hat mehr als {limit} DIMSE-Nachrichten gesendet, die innerhalb von {seconds} s nicht verarbeitet "
           "werden konnten; die Verbindung wurde abgebrochen.",
        hint_en="Inform the administrator of {peer} with this message; sending is retried automatically.",
        hint_de="Bitte den Administrator von {peer} mit dieser Meldung informieren; das Senden wird automatisch wiederholt.",
    ),
    "net.peer.malformed": Message(
        en="{peer} sent a malformed PDU ({pdu}: {detail}); the association was aborted.",
        de="{peer} hat eine fehlerhafte PDU gesendet ({pdu}: {detail}); die Verbindung wurde abgebrochen.",
        hint_en="Inform the administrator of {peer}: the peer violates the DICOM upper layer protocol (PS3.8 §9.3).",
        hint_de="Bitte den Administrator von {peer} informieren: Die Gegenstelle verletzt das DICOM-Protokoll (PS3.8 §9.3).",
    ),
    "net.peer.slow_pdu": Message(
        en="{peer} sent only {received} of {length} bytes of one {pdu} PDU within {seconds} s; "
           "the association was aborted.",
        de="{peer} hat von einer {pdu}-PDU in {seconds} s nur {received} von {length} Bytes gesendet; "
           "die Verbindung wurde abgebrochen.",
        hint_en="Check the network to {peer}; if it is fine, inform the administrator of {peer}. "
                "Sending is retried automatically.",
        hint_de="Bitte das Netzwerk zu {peer} prüfen; ist es in Ordnung, bitte den Administrator von {peer} informieren. "
                "Das Senden wird automatisch wiederholt.",
    ),
    "net.peer.truncated": Message(
        en="{peer} closed the connection in the middle of one {pdu} PDU ({received} of {length} bytes).",
        de="{peer} hat die Verbindung mitten in einer {pdu}-PDU geschlossen ({received} von {length} Bytes).",
        hint_en="Nothing to do: sending is retried automatically. If it keeps happening, check the network.",
        hint_de="Nichts zu tun: Das Senden wird automatisch wiederholt. Passiert es öfter, bitte das Netzwerk prüfen.",
    ),
    # --- the connection is no DICOM association at all
    "net.peer.not_dicom": Message(
        en="{peer} does not speak DICOM: it answered the association request with bytes that are no DICOM PDU "
           "(they look like: {detail}).",
        de="{peer} spricht kein DICOM: Auf die Verbindungsanfrage kamen Bytes, die keine DICOM-PDU sind "
           "(sie sehen so aus: {detail}).",
        hint_en="Check host and port in the settings: another service (HTTP means a web server) runs there, "
                "not the DICOM port of {peer}.",
        hint_de="Bitte Rechner und Port in den Einstellungen prüfen: Dort läuft ein anderer Dienst (HTTP heißt: "
                "ein Webserver), nicht der DICOM-Port von {peer}.",
    ),
    "net.peer.answers_tls": Message(
        en="{peer} answers with TLS ({detail}), but this station speaks DICOM without TLS to it.",
        de="{peer} antwortet mit TLS ({detail}), aber diese Station spricht dorthin DICOM ohne TLS.",
        hint_en="Set tls = true for this peer ([peers.NAME]) and configure the CA (network.tls_ca_certificates), "
                "or use its port without TLS.",
        hint_de="Bitte für diese Gegenstelle tls = true setzen ([peers.NAME]) und die CA konfigurieren "
                "(network.tls_ca_certificates) oder deren Port ohne TLS verwenden.",
    ),
    "net.peer.closed": Message(
        en="{peer} closed the connection without answering the association request.",
        de="{peer} hat die Verbindung geschlossen, ohne auf die Verbindungsanfrage zu antworten.",
        hint_en="Check whether {peer} expects TLS on this port (tls = true) and whether it allows this "
                "station (AE title, host); ask the administrator of {peer}.",
        hint_de="Bitte prüfen, ob {peer} auf diesem Port TLS erwartet (tls = true) und diese Station "
                "zulässt (AE-Titel, Rechner); bitte den Administrator von {peer} fragen.",
    ),
    # --- DICOM over TLS (net/tls.py, PS3.15 B.1/B.9)
    "net.tls.no_ca": Message(
        en="TLS is switched on for {peer}, but no CA is configured to verify its certificate.",
        de="Für {peer} ist TLS eingeschaltet, aber es ist keine CA konfiguriert, um sein Zertifikat zu prüfen.",
        hint_en="Set network.tls_ca_certificates to the PEM file of the CA that issued the certificate of {peer} "
                "(or network.tls_system_ca = true to trust the operating system's CA store); jobs that failed "
                "because of it go out again with smartbox queue retry --all.",
        hint_de="Bitte network.tls_ca_certificates auf die PEM-Datei der CA setzen, die das Zertifikat von {peer} "
                "ausgestellt hat (oder network.tls_system_ca = true, um dem CA-Speicher des Betriebssystems zu "
                "vertrauen); deshalb fehlgeschlagene Aufträge gehen mit smartbox queue retry --all erneut hinaus.",
    ),
    "net.tls.files": Message(
        en="The TLS files for {peer} cannot be loaded: {detail}",
        de="Die TLS-Dateien für {peer} können nicht geladen werden: {detail}",
        hint_en="Check network.tls_certificate, network.tls_private_key and network.tls_ca_certificates "
                "(readable PEM files); jobs that failed because of it go out again with smartbox queue retry --all.",
        hint_de="Bitte network.tls_certificate, network.tls_private_key und network.tls_ca_certificates prüfen "
                "(lesbare PEM-Dateien); deshalb fehlgeschlagene Aufträge gehen mit smartbox queue retry --all "
                "erneut hinaus.",
    ),
    "net.tls.unknown_ca": Message(
        en="The TLS certificate of {peer} is not issued by a CA this station trusts ({detail}).",
        de="Das TLS-Zertifikat von {peer} stammt nicht von einer CA, der diese Station vertraut ({detail}).",
        hint_en="Set network.tls_ca_certificates to the CA that issued the certificate of {peer}, or ask the "
                "administrator of {peer} for a certificate from the hospital's CA.",
        hint_de="Bitte network.tls_ca_certificates auf die CA setzen, die das Zertifikat von {peer} ausgestellt hat, "
                "oder den Administrator von {peer} um ein Zertifikat der Klinik-CA bitten.",
    ),
    "net.tls.expired": Message(
        en="The TLS certificate of {peer} has expired ({detail}).",
        de="Das TLS-Zertifikat von {peer} ist abgelaufen ({detail}).",
        hint_en="Ask the administrator of {peer} to renew the certificate; sending is retried automatically. "
                "Also check this station's clock.",
        hint_de="Bitte den Administrator von {peer} bitten, das Zertifikat zu erneuern; das Senden wird automatisch "
                "wiederholt. Bitte auch die Uhr dieser Station prüfen.",
    ),
    "net.tls.not_yet_valid": Message(
        en="The TLS certificate of {peer} is not valid yet ({detail}).",
        de="Das TLS-Zertifikat von {peer} ist noch nicht gültig ({detail}).",
        hint_en="Check this station's date and time; sending is retried automatically.",
        hint_de="Bitte Datum und Uhrzeit dieser Station prüfen; das Senden wird automatisch wiederholt.",
    ),
    "net.tls.name_mismatch": Message(
        en="The TLS certificate of {peer} is not issued for {name} ({detail}).",
        de="Das TLS-Zertifikat von {peer} ist nicht für {name} ausgestellt ({detail}).",
        hint_en="Address {peer} by a name its certificate carries, or set the name the certificate is issued "
                "for as tls_name of [peers.NAME] (for a peer addressed by IP).",
        hint_de="Bitte {peer} unter einem Namen ansprechen, den sein Zertifikat enthält, oder den Namen, für den "
                "das Zertifikat ausgestellt ist, als tls_name von [peers.NAME] setzen (für eine Gegenstelle, die "
                "per IP angesprochen wird).",
    ),
    "net.tls.untrusted": Message(
        en="The TLS certificate of {peer} was not accepted: {detail}",
        de="Das TLS-Zertifikat von {peer} wurde nicht akzeptiert: {detail}",
        hint_en="Inform the administrator of {peer} with this message.",
        hint_de="Bitte den Administrator von {peer} mit dieser Meldung informieren.",
    ),
    "net.tls.not_tls": Message(
        en="{peer} does not answer with TLS on port {port} ({detail}): it probably speaks DICOM without TLS there.",
        de="{peer} antwortet auf Port {port} nicht mit TLS ({detail}): Dort spricht es vermutlich DICOM ohne TLS.",
        hint_en="Set tls = false for this peer ([peers.NAME]), or use its TLS port.",
        hint_de="Bitte für diese Gegenstelle tls = false setzen ([peers.NAME]) oder deren TLS-Port verwenden.",
    ),
    "net.tls.peer_refused": Message(
        en="{peer} refused the TLS connection ({detail}).",
        de="{peer} hat die TLS-Verbindung abgelehnt ({detail}).",
        hint_en="{peer} does not accept this station's certificate (network.tls_certificate) or TLS version; "
                "ask the administrator of {peer} to trust the station's certificate.",
        hint_de="{peer} akzeptiert das Zertifikat dieser Station (network.tls_certificate) oder die TLS-Version "
                "nicht; bitte den Administrator von {peer} bitten, dem Zertifikat der Station zu vertrauen.",
    ),
    "net.tls.closed": Message(
        en="{peer} closed the connection during the TLS handshake without a TLS answer ({detail}): "
           "it probably does not speak TLS on port {port}.",
        de="{peer} hat die Verbindung während des TLS-Verbindungsaufbaus ohne TLS-Antwort geschlossen ({detail}): "
           "Auf Port {port} spricht es vermutlich kein TLS.",
        hint_en="Set tls = false for this peer ([peers.NAME]) or use its TLS port; if {peer} does expect "
                "TLS there, ask its administrator whether it accepts this station.",
        hint_de="Bitte für diese Gegenstelle tls = false setzen ([peers.NAME]) oder deren TLS-Port verwenden; "
                "erwartet {peer} dort TLS, bitte deren Administrator fragen, ob diese Station zugelassen ist.",
    ),
    "net.tls.timeout": Message(
        en="{peer} accepted the connection but did not finish the TLS handshake within {seconds} s.",
        de="{peer} hat die Verbindung angenommen, den TLS-Verbindungsaufbau aber nicht innerhalb von {seconds} s "
           "abgeschlossen.",
        hint_en="Check that {peer} expects TLS on this port; sending is retried automatically.",
        hint_de="Bitte prüfen, ob {peer} auf diesem Port TLS erwartet; das Senden wird automatisch wiederholt.",
    ),
    "net.tls.failed": Message(
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
