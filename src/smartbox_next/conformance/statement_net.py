"""Statement sections N.6 (configuration), N.7 (network communication details) and N.8 (security), PS3.2 Annex N.

Values come from :class:`~smartbox_next.config.Config` (the rendered configuration), the presentation-context
planner, the status classifiers, the receive limits of :mod:`smartbox_next.net.guard`, the TLS context of
:mod:`smartbox_next.net.tls` and the adapter's facts (via :mod:`smartbox_next.conformance.tables`).
"""

# ruff: noqa: E501  (bilingual prose: long English/German sentence pairs, like smartbox_next.messages)

from __future__ import annotations

from smartbox_next.config import Config
from smartbox_next.conformance import statement_web, tables, workflow
from smartbox_next.conformance.doc import Document, t
from smartbox_next.delivery.names import destination_names
from smartbox_next.dicom import sop as sops
from smartbox_next.dicom.peer import sorted_roles
from smartbox_next.dicom.uid import IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME
from smartbox_next.messages import render_hint
from smartbox_next.net.adapter import APPLICATION_CONTEXT_NAME

_PEER = {"en": {"peer": "the peer"}, "de": {"peer": "der Gegenstelle"}}  # hints as templates: whom


def build(doc: Document, config: Config, lang: str) -> None:
    _configuration(doc, config, lang)
    _network(doc, config, lang)
    statement_web.network(doc, config, lang)
    _security(doc, config, lang)
    statement_web.security(doc, config, lang)


def _configuration(doc: Document, config: Config, lang: str) -> None:
    """PS3.2 N.6: the settings hospital IT configures for the network."""
    doc.h(1, t(lang, "6 Configuration", "6 Konfiguration"))
    doc.p(t(lang, "Settings come from a TOML file and `SMARTBOX_<SECTION>_<KEY>` environment variables; every "
                  "setting with its default is listed by `smartbox config settings`. Network settings in this "
                  "configuration:",
                  "Einstellungen stammen aus einer TOML-Datei und Umgebungsvariablen `SMARTBOX_<ABSCHNITT>_<SCHLÜSSEL>`; "
                  "jede Einstellung mit ihrem Standardwert zeigt `smartbox config settings`. Netzwerkeinstellungen "
                  "dieser Konfiguration:"))
    n = config.network
    rows = [["`station.ae_title`", config.station.ae_title],
            ["`network.connect_timeout`", f"{n.connect_timeout:g} s"],
            ["`network.acse_timeout`", f"{n.acse_timeout:g} s"],
            ["`network.dimse_timeout`", f"{n.dimse_timeout:g} s"],
            ["`network.network_timeout`", f"{n.network_timeout:g} s"],
            ["`network.max_pdu`", str(n.max_pdu)],
            ["`worklist.peer`", config.worklist_source() or "—"],
            ["`listener.port` / `listener.host` / `listener.ae_title`",
             f"{config.listener.port or t(lang, 'off', 'aus')} / {config.listener.host} / "
             f"{config.listener.ae_title or config.station.ae_title}"],
            ["`commitment.wait_on_association` / `report_timeout` / `window_hours`",
             f"{config.commitment.wait_on_association:g} s / {config.commitment.report_timeout:g} s / "
             f"{config.commitment.window_hours:g} h"],
            ["`commitment.max_resends` / `batch_size`", f"{config.commitment.max_resends} / {config.commitment.batch_size}"],
            ["`mpps.performed_location` / `mpps.protocol_name`",
             f"{config.mpps.performed_location or '—'} / {config.mpps.protocol_name}"]]
    rows += [[f"`peers.{name}`", f"{p}{_tls_note(p.tls, p.tls_name, lang)}; {t(lang, 'roles', 'Rollen')}: "
                                 f"{', '.join(sorted_roles(p.roles)) or t(lang, 'none', 'keine')}"]
             for name, p in sorted(config.peers.items())]
    if not config.peers:
        rows.append(["`peers.*`", t(lang, "none configured", "keine konfiguriert")])
    doc.table([t(lang, "Setting", "Einstellung"), t(lang, "Value", "Wert")], rows)


def _tls_note(tls: bool, name: str, lang: str) -> str:
    if not tls:
        return ""
    return f" (TLS, {t(lang, 'certificate for', 'Zertifikat für')} `{name}`)" if name else " (TLS)"


def _network(doc: Document, config: Config, lang: str) -> None:
    """PS3.2 N.7: Table N.7-1, association policies, presentation contexts, status behaviour."""
    doc.h(1, t(lang, "7 Network and Media Communication Details", "7 Netzwerk- und Datenträgerkommunikation"))
    n = config.network
    dests = len(destination_names(config))
    doc.table([t(lang, "Parameter", "Parameter"), t(lang, "Value", "Wert")], [
        ["Application Context Name", APPLICATION_CONTEXT_NAME],
        ["Implementation Class UID", IMPLEMENTATION_CLASS_UID],
        ["Implementation Version Name", IMPLEMENTATION_VERSION_NAME],
        [t(lang, "Maximum PDU size received", "Maximale empfangene PDU-Größe"),
         f"{n.max_pdu} (`network.max_pdu`; "
         + t(lang, f"a longer P-DATA-TF aborts the association; 0 = no limit announced, still at most "
                   f"{tables.receive_cap()} bytes",
             f"eine längere P-DATA-TF bricht die Verbindung ab; 0 = keine Grenze angekündigt, trotzdem höchstens "
             f"{tables.receive_cap()} Bytes") + ")"],
        [t(lang, "Maximum PDU size sent", "Maximale gesendete PDU-Größe"),
         t(lang, "the peer's announced maximum (PS3.8 D.1)", "das vom Partner angekündigte Maximum (PS3.8 D.1)")],
        [t(lang, "Association (ARTIM) timeout", "Verbindungs-(ARTIM-)Zeitlimit"), f"{n.acse_timeout:g} s"],
        [t(lang, "Maximum associations as initiator", "Maximale Verbindungen als Initiator"),
         t(lang, f"one per destination (now {dests}) plus one worklist query and one echo",
           f"eine je Ziel (derzeit {dests}) plus eine Worklist-Abfrage und ein Echo")],
        [t(lang, "Maximum associations as acceptor", "Maximale Verbindungen als Akzeptor"),
         t(lang, "0 without listener; with `listener.port` as many as the commitment peers open (each served in "
                 "its own thread)", "0 ohne Empfänger; mit `listener.port` so viele, wie die Bestätigungs-"
                 "Gegenstellen öffnen (jede in einem eigenen Thread)")],
        [t(lang, "Asynchronous operations", "Asynchrone Operationen"),
         t(lang, "not negotiated; one outstanding request", "nicht ausgehandelt; eine offene Anfrage")],
        [t(lang, "Extended negotiation, role selection", "Erweiterte Aushandlung, Rollenauswahl"),
         t(lang, "none proposed; as acceptor the requestor's SCP role for Storage Commitment is accepted (PS3.7 "
                 "D.3.3.4)", "keine vorgeschlagen; als Akzeptor wird die SCP-Rolle des Anfragenden für Storage "
                 "Commitment angenommen (PS3.7 D.3.3.4)")],
    ], t(lang, "Table 7-1. Communication parameters (PS3.2 Table N.7-1)",
         "Tabelle 7-1. Kommunikationsparameter (PS3.2 Tabelle N.7-1)"))

    doc.h(2, t(lang, "7.1 Association policies and presentation contexts", "7.1 Verbindungsregeln und Präsentationskontexte"))
    doc.p(t(lang, "An association proposes exactly the contexts its batch needs: one presentation context per (SOP "
                  "class, transfer syntax) — the object's own syntax first, then the syntaxes it can honestly be "
                  f"converted to — at most {tables.max_contexts()} per association (PS3.8 §9.3.2.2); a larger "
                  "batch is split into several associations. Implicit VR Little Endian is proposed wherever the "
                  "data can be converted to it; lossy-only data (JPEG, video) is proposed without it (PS3.5 §10.1). "
                  "An object is sent on the first accepted context in that order; when none is accepted it fails "
                  "for that destination without retry.",
                  "Eine Verbindung schlägt genau die Kontexte vor, die ihre Objekte brauchen: je (SOP-Klasse, "
                  "Transfer-Syntax) einen Präsentationskontext — zuerst die eigene Syntax des Objekts, dann die, in "
                  f"die es ehrlich umgewandelt werden kann — höchstens {tables.max_contexts()} je Verbindung "
                  "(PS3.8 §9.3.2.2); größere Gruppen werden auf mehrere Verbindungen verteilt. Implicit VR Little "
                  "Endian wird vorgeschlagen, wo die Daten dahin umwandelbar sind; nur verlustbehaftet vorliegende "
                  "Daten (JPEG, Video) ohne sie (PS3.5 §10.1). Ein Objekt wird über den ersten angenommenen Kontext "
                  "dieser Reihenfolge gesendet; wird keiner angenommen, scheitert es für dieses Ziel ohne "
                  "Wiederholung."))
    groups: dict[tuple[str, ...], list[sops.SopClass]] = {}
    for s in sops.ALL:
        if s.uid in tables.creatable():
            groups.setdefault(tuple(tables.proposed_syntaxes(s.uid)), []).append(s)
    rows = [[", ".join(s.name for s in members), ", ".join(s.uid for s in members),
             "; ".join(f"{tables.ts_name(ts)} `{ts}`" for ts in tss), "SCU"] for tss, members in groups.items()]
    rows += [[name, uid, "; ".join(f"{tables.ts_name(ts)} `{ts}`" for ts in tss), "SCU"]
             for uid, name, tss in tables.other_contexts()]
    doc.table([t(lang, "Abstract syntax", "Abstrakte Syntax"), "UID",
               t(lang, "Transfer syntaxes proposed (one context each)", "Vorgeschlagene Transfer-Syntaxen (je ein Kontext)"),
               t(lang, "Role", "Rolle")], rows,
              t(lang, "Table 7-2. Proposed presentation contexts", "Tabelle 7-2. Vorgeschlagene Präsentationskontexte"))
    doc.table([t(lang, "Abstract syntax", "Abstrakte Syntax"), "UID",
               t(lang, "Transfer syntaxes accepted", "Angenommene Transfer-Syntaxen"), t(lang, "Role", "Rolle")],
              [[name, uid, "; ".join(f"{tables.ts_name(ts)} `{ts}`" for ts in tss), role]
               for uid, name, tss, role in workflow.acceptor_contexts()],
              t(lang, "Table 7-2b. Contexts the listener accepts (from the commitment peers only)",
                "Tabelle 7-2b. Kontexte, die der Empfänger annimmt (nur von den Bestätigungs-Gegenstellen)"))
    doc.p(t(lang, "Contexts are proposed only for SOP classes present in the batch. `smartbox send` of files this "
                  "station did not create proposes each file's own SOP class and transfer syntax (and their "
                  "conversions) in the same way.",
                  "Kontexte werden nur für SOP-Klassen der jeweiligen Gruppe vorgeschlagen. `smartbox send` mit "
                  "Dateien, die nicht von dieser Station stammen, schlägt ebenso die eigene SOP-Klasse und "
                  "Transfer-Syntax jeder Datei (und deren Umwandlungen) vor."))

    doc.h(2, t(lang, "7.2 Rejection, abort and timeouts", "7.2 Ablehnung, Abbruch und Zeitlimits"))
    limits = tables.receive_limits()
    rows = [[f"{s}", f"{r}", f"`net.rejected.{k}`", render_hint(f"net.rejected.{k}", lang, _PEER[lang])]
            for s, r, k in tables.reject_rows()]
    doc.table([t(lang, "Source", "Quelle"), t(lang, "Reason", "Grund"), t(lang, "Message", "Meldung"),
               t(lang, "Operator", "Bediener")], rows,
              t(lang, "Table 7-3. A-ASSOCIATE-RJ (PS3.8 §9.3.4): result 2 (transient) is retried, result 1 "
                      "(permanent) is not; other (source, reason) pairs are reported as `no_reason`",
                "Tabelle 7-3. A-ASSOCIATE-RJ (PS3.8 §9.3.4): Ergebnis 2 (vorübergehend) wird wiederholt, Ergebnis 1 "
                "(dauerhaft) nicht; andere (Quelle, Grund) werden als `no_reason` gemeldet"))
    doc.ul([
        t(lang, f"TCP connect timeout {n.connect_timeout:g} s; TCP_NODELAY is set on every connection.",
          f"TCP-Verbindungszeitlimit {n.connect_timeout:g} s; TCP_NODELAY wird für jede Verbindung gesetzt."),
        t(lang, f"A DIMSE response not received within {n.dimse_timeout:g} s aborts the association "
                "(A-ABORT); the outcome is unknown and the object is sent again later with the same SOP Instance UID.",
          f"Kommt eine DIMSE-Antwort nicht binnen {n.dimse_timeout:g} s, wird die Verbindung abgebrochen "
          "(A-ABORT); das Ergebnis ist unbekannt, das Objekt wird später mit derselben SOP Instance UID erneut gesendet."),
        t(lang, f"Network idle timeout {n.network_timeout:g} s; sending data counts as activity.",
          f"Netzwerk-Leerlaufzeitlimit {n.network_timeout:g} s; laufendes Senden zählt als Aktivität."),
        t(lang, "An A-ABORT or dropped connection is retried like a transient failure.",
          "Ein A-ABORT oder Verbindungsabbruch wird wie ein vorübergehender Fehler wiederholt."),
        t(lang, f"Every PDU received is checked on its header before it is read: A-ASSOCIATE-AC at most "
                f"{limits['associate']} bytes, A-ASSOCIATE-RJ, A-RELEASE-RQ/RP and A-ABORT exactly 4 bytes, "
                f"P-DATA-TF at most the Maximum Length announced (above); the items of an A-ASSOCIATE-AC and the "
                f"PDVs of a P-DATA-TF must fill their PDU exactly, and one DIMSE response may carry at most "
                f"{limits['message']} bytes. One PDU must arrive within the ACSE timeout while associating and "
                f"within the network timeout after. A peer that breaks a rule gets an A-ABORT (source 2, reason 1 "
                "unrecognized PDU or 6 invalid parameter value, PS3.8 §9.3.8) and the operator a message naming "
                "what it sent (a PDU length, a web server, a TLS answer, a malformed PDU). The listener "
                "(Storage Commitment reports) applies the same checks to every connection it accepts, the "
                "A-ASSOCIATE-RQ included, before any AE title is looked at, and logs what it refused.",
          f"Jede empfangene PDU wird an ihrem Kopf geprüft, bevor sie gelesen wird: A-ASSOCIATE-AC höchstens "
          f"{limits['associate']} Bytes, A-ASSOCIATE-RJ, A-RELEASE-RQ/RP und A-ABORT genau 4 Bytes, P-DATA-TF "
          f"höchstens die angekündigte Maximallänge (oben); die Einträge einer A-ASSOCIATE-AC und die PDVs einer "
          f"P-DATA-TF müssen ihre PDU genau füllen, und eine DIMSE-Antwort darf höchstens {limits['message']} Bytes "
          "umfassen. Eine PDU muss beim Verbindungsaufbau innerhalb des ACSE-Zeitlimits ankommen, danach innerhalb "
          "des Netzwerk-Zeitlimits. Eine Gegenstelle, die eine Regel bricht, erhält ein A-ABORT (Quelle 2, Grund 1 "
          "unbekannte PDU oder 6 ungültiger Parameterwert, PS3.8 §9.3.8) und der Bediener eine Meldung, was sie "
          "gesendet hat (eine PDU-Länge, einen Webserver, eine TLS-Antwort, eine fehlerhafte PDU). Der Listener "
          "(Meldungen der Speicherbestätigung) prüft jede angenommene Verbindung ebenso, die A-ASSOCIATE-RQ "
          "eingeschlossen, bevor ein AE-Titel betrachtet wird, und protokolliert, was er abgewiesen hat."),
        t(lang, "When the sending service is stopped (SIGTERM, SIGINT) an association in progress is aborted "
                "(A-ABORT) within about a second; the object in flight stays queued and is sent again later with "
                "the same SOP Instance UID. Each object is marked delivered as soon as its C-STORE response "
                "arrives, so after a crash at most the object in flight is sent twice.",
          "Wird der Sendedienst beendet (SIGTERM, SIGINT), wird eine laufende Verbindung binnen etwa einer Sekunde "
          "abgebrochen (A-ABORT); das gerade gesendete Objekt bleibt in der Warteschlange und wird später mit "
          "derselben SOP Instance UID erneut gesendet. Jedes Objekt gilt als zugestellt, sobald seine "
          "C-STORE-Antwort eintrifft; nach einem Absturz wird daher höchstens das gerade gesendete Objekt doppelt "
          "gesendet."),
    ])

    doc.h(2, t(lang, "7.3 C-STORE status handling", "7.3 Statusbehandlung C-STORE"))
    rows = []
    for r in tables.store_status_rows():
        behaviour = {"stored": t(lang, "stored; job done", "gespeichert; Auftrag erledigt"),
                     "warning": t(lang, "stored; warning recorded with the status and Error Comment",
                                  "gespeichert; Warnung mit Status und Error Comment vermerkt"),
                     "failed": t(lang, "retried with back-off", "mit Wartezeit wiederholt") if r.retryable else
                     t(lang, "failed for this destination; not resent unchanged",
                       "für dieses Ziel fehlgeschlagen; nicht unverändert erneut gesendet")}[r.outcome]
        rows.append([r.codes, f"`{r.key}`" if r.key else "—", behaviour,
                     render_hint(r.key, lang, _PEER[lang]) if r.key else ""])
    doc.table(["Status", t(lang, "Message", "Meldung"), t(lang, "Behaviour", "Verhalten"),
               t(lang, "Operator", "Bediener")], rows,
              t(lang, "Table 7-4. C-STORE response status (PS3.2 Table N.7-42; any code in a range behaves like "
                      "the range; codes not listed behave like the last row)",
                "Tabelle 7-4. C-STORE-Antwortstatus (PS3.2 Tabelle N.7-42; jeder Code eines Bereichs verhält sich "
                "wie der Bereich; nicht genannte Codes wie die letzte Zeile)"))

    doc.h(2, t(lang, "7.4 Retry policy", "7.4 Wiederholungsregeln"))
    rc = config.retry
    delays = ", ".join(f"{d:g}" for d in tables.retry_delays(config))
    doc.p(t(lang, f"Retryable failures are retried up to {rc.max_attempts} attempts (`retry.max_attempts`) within "
                  f"{rc.max_total:g} s (`retry.max_total`). Delays double from {rc.initial_delay:g} s "
                  f"(`retry.initial_delay`) up to {rc.max_delay:g} s (`retry.max_delay`), each spread by "
                  f"±{rc.jitter:.0%} (`retry.jitter`): {delays} … s. The next attempt time is stored in the outbox, "
                  "so a restart keeps it; objects left in `sending` after a crash return to `queued`.",
                  f"Wiederholbare Fehler werden bis zu {rc.max_attempts} Versuche (`retry.max_attempts`) innerhalb "
                  f"von {rc.max_total:g} s (`retry.max_total`) wiederholt. Die Wartezeit verdoppelt sich von "
                  f"{rc.initial_delay:g} s (`retry.initial_delay`) bis {rc.max_delay:g} s (`retry.max_delay`), jeweils "
                  f"um ±{rc.jitter:.0%} gestreut (`retry.jitter`): {delays} … s. Der nächste Versuchszeitpunkt steht "
                  "in der Outbox und übersteht einen Neustart; nach einem Absturz gehen Objekte in `sending` "
                  "zurück nach `queued`."))


def _security(doc: Document, config: Config, lang: str) -> None:
    """PS3.2 N.8: network security, TLS profile (PS3.15 B.1/B.9), user identity, patient data in logs."""
    doc.h(1, t(lang, "8 Security", "8 Sicherheit"))
    tls = tables.tls_facts(config)
    tls_peers = sorted(name for name, p in config.peers.items() if p.tls)
    logs = tables.pynetdicom_logs_identifiers()
    doc.ul([
        t(lang, "The station listens only while `smartbox serve` runs with `listener.port` set (now: "
                f"{config.listener.port or 'off'}), on `listener.host`; it accepts only the AE titles of the commitment "
                "peers (others: A-ASSOCIATE-RJ, calling AE title not recognized), and a report counts only from the "
                "host of the peer that was asked.",
          "Die Station lauscht nur, solange `smartbox serve` mit gesetztem `listener.port` läuft (derzeit: "
          f"{config.listener.port or 'aus'}), auf `listener.host`; sie nimmt nur die AE-Titel der Bestätigungs-"
          "Gegenstellen an (andere: A-ASSOCIATE-RJ, Calling AE Title unbekannt), und eine Meldung zählt nur vom "
          "Rechner der angefragten Gegenstelle."),
        t(lang, f"DICOM over TLS per peer (`[peers.NAME] tls = true`; now: {', '.join(tls_peers) or 'none'}), "
                f"PS3.15 B.1 and B.9: minimum {tls['minimum_version']}; the station presents "
                "`network.tls_certificate` / `network.tls_private_key` when set.",
          f"DICOM über TLS je Gegenstelle (`[peers.NAME] tls = true`; derzeit: {', '.join(tls_peers) or 'keine'}), "
          f"PS3.15 B.1 und B.9: mindestens {tls['minimum_version']}; die Station weist sich mit "
          "`network.tls_certificate` / `network.tls_private_key` aus, wenn gesetzt."),
        t(lang, f"Trust model: the peer's certificate must chain to a CA in `network.tls_ca_certificates` "
                f"(verification {tls['verify_mode']}) — only that bundle is trusted; the operating system's CA "
                f"store (which trusts any public web certificate) is added only with `network.tls_system_ca = "
                f"true` (now: {'on' if config.network.tls_system_ca else 'off'}). A TLS peer with neither is refused "
                "before any connection is made. The certificate must be valid now and issued for the peer's host "
                f"(DNS name or IP address in its subject alternative names; host-name check {tls['check_hostname']}) "
                "or for the name set as `[peers.NAME] tls_name` (a peer addressed by IP whose certificate names "
                "its DNS name); that name is sent as SNI. An unknown CA, an expired certificate, a name mismatch, "
                "a peer that refuses the station's certificate and TLS spoken to a plain port (or plain DICOM to "
                "a TLS port) are each reported as such.",
          f"Vertrauensmodell: Das Zertifikat der Gegenstelle muss sich auf eine CA aus "
          f"`network.tls_ca_certificates` zurückführen lassen (Prüfung {tls['verify_mode']}) — nur diesem Bündel "
          "wird vertraut; der CA-Speicher des Betriebssystems (der jedem öffentlichen Web-Zertifikat vertraut) "
          f"kommt nur mit `network.tls_system_ca = true` hinzu (derzeit: "
          f"{'an' if config.network.tls_system_ca else 'aus'}). Eine TLS-Gegenstelle ohne beides wird abgelehnt, "
          "bevor eine Verbindung aufgebaut wird. Das Zertifikat muss jetzt gültig und für den Rechner der "
          "Gegenstelle ausgestellt sein (DNS-Name oder IP-Adresse in den Subject Alternative Names; "
          f"Namensprüfung {tls['check_hostname']}) oder für den Namen in `[peers.NAME] tls_name` (eine per IP "
          "angesprochene Gegenstelle, deren Zertifikat ihren DNS-Namen trägt); dieser Name wird als SNI gesendet. "
          "Unbekannte CA, abgelaufenes Zertifikat, falscher Name, eine Gegenstelle, die das Zertifikat der Station "
          "ablehnt, und TLS an einen Port ohne TLS (oder DICOM ohne TLS an einen TLS-Port) werden jeweils als "
          "solche gemeldet."),
        t(lang, "No user identity negotiation; access is controlled by AE title, host, port and TLS certificates.",
          "Keine Aushandlung der Benutzeridentität; Zugriff wird über AE-Titel, Rechner, Port und "
          "TLS-Zertifikate gesteuert."),
        t(lang, "Logs carry job IDs and SOP Instance UIDs, never patient names or birth dates at INFO; the DICOM "
                f"library's logging of query identifiers is {'ON' if logs else 'off'}.",
          "Protokolle enthalten Auftragsnummern und SOP Instance UIDs, auf INFO nie Patientennamen oder "
          f"Geburtsdaten; das Protokollieren von Abfrage-Identifiern der DICOM-Bibliothek ist {'AN' if logs else 'aus'}."),
    ])
