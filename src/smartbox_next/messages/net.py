"""Messages of the network area: association, echo, store (see smartbox_next.messages)."""

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
        hint_en="Check IP address and port in the settings, and that the PACS is running and reachable.",
        hint_de="Bitte IP-Adresse und Port in den Einstellungen prüfen und ob das PACS läuft und erreichbar ist.",
    ),
    "net.rejected.called_ae": _rejected(
        "our called AE title is not recognised", "der angerufene AE-Titel ist dort unbekannt",
        "Check the PACS AE title in the settings (case matters).",
        "Bitte den AE-Titel des PACS in den Einstellungen prüfen (Groß-/Kleinschreibung beachten).",
    ),
    "net.rejected.calling_ae": _rejected(
        "our AE title is not recognised", "unser AE-Titel ist dort nicht bekannt",
        "Ask the PACS administrator to register this station's AE title, host and port.",
        "Bitte den PACS-Administrator bitten, AE-Titel, Rechner und Port dieser Station einzutragen.",
    ),
    "net.rejected.congestion": _rejected(
        "temporary congestion", "vorübergehende Überlastung",
        "Nothing to do: sending is retried automatically.",
        "Nichts zu tun: Das Senden wird automatisch wiederholt.",
    ),
    "net.rejected.local_limit": _rejected(
        "the PACS's connection limit is reached", "die Verbindungsgrenze des PACS ist erreicht",
        "Nothing to do: sending is retried automatically; if it persists, inform the PACS administrator.",
        "Nichts zu tun: Das Senden wird automatisch wiederholt; bleibt es so, bitte den PACS-Administrator informieren.",
    ),
    "net.rejected.application_context": _rejected(
        "the DICOM application context is not supported", "der DICOM-Anwendungskontext wird nicht unterstützt",
        "The peer is probably not a DICOM node; check host and port.",
        "Die Gegenstelle ist vermutlich kein DICOM-Knoten; bitte Rechner und Port prüfen.",
    ),
    "net.rejected.protocol_version": _rejected(
        "the protocol version is not supported", "die Protokollversion wird nicht unterstützt",
        "Inform the PACS administrator.", "Bitte den PACS-Administrator informieren.",
    ),
    "net.rejected.no_reason": _rejected(
        "no reason given", "ohne Angabe von Gründen",
        "Check the AE titles in the settings and ask the PACS administrator.",
        "Bitte die AE-Titel in den Einstellungen prüfen und den PACS-Administrator fragen.",
    ),
    "net.aborted": Message(
        en="The connection to {peer} was aborted during {operation} (by the {source}).",
        de="Die Verbindung zu {peer} wurde während {operation} abgebrochen (durch {source}).",
        hint_en="Nothing to do: sending is retried automatically. If it keeps happening, check the network.",
        hint_de="Nichts zu tun: Das Senden wird automatisch wiederholt. Passiert es öfter, bitte das Netzwerk prüfen.",
    ),
    "net.timeout": Message(
        en="{peer} did not answer in time during {operation}.",
        de="{peer} hat während {operation} nicht rechtzeitig geantwortet.",
        hint_en="Nothing to do: it is retried automatically. If it persists, check the PACS or raise the timeouts.",
        hint_de="Nichts zu tun: Es wird automatisch wiederholt. Bleibt es so, bitte PACS prüfen oder Zeitlimits erhöhen.",
    ),
    "net.no_context": Message(
        en="{peer} accepts neither the object type {sop_class} nor its transfer syntax {transfer_syntax}.",
        de="{peer} nimmt weder den Objekttyp {sop_class} noch dessen Transfersyntax {transfer_syntax} an.",
        hint_en="Ask the PACS administrator to accept this object type and transfer syntax.",
        hint_de="Bitte den PACS-Administrator bitten, diesen Objekttyp und diese Transfersyntax freizuschalten.",
    ),
}
