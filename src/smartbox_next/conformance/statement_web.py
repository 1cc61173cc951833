"""Statement parts for DICOMweb (PS3.2 Annex N: N.1 web services, N.7.3.3 web communication, N.8 security).

The station is a user agent of the Store (STOW-RS, PS3.18 §10.5) and Search (QIDO-RS, §10.6) transactions.
Every table comes from the code: the status and reason tables of :mod:`smartbox_next.dicomweb.response`, the
request grouping and timeouts of :class:`~smartbox_next.dicomweb.client.WebSettings`, and the configured peers.
"""

# ruff: noqa: E501  (bilingual prose: long English/German sentence pairs, like smartbox_next.messages)

from __future__ import annotations

from smartbox_next.config import Config
from smartbox_next.conformance.doc import Document, t
from smartbox_next.dicom.peer import sorted_roles
from smartbox_next.dicomweb.client import ACCEPT_QUERY, ACCEPT_STORE, WebSettings
from smartbox_next.dicomweb.multipart import BLOCK, PART_TYPE
from smartbox_next.dicomweb.response import FAILURE_ROWS, HTTP_ROWS, MAX_RETRY_AFTER, WARNING_ROWS
from smartbox_next.messages import render_hint


def overview(doc: Document, lang: str) -> None:
    """PS3.2 N.1: the web services and the role in each."""
    no, yes = t(lang, "no", "nein"), t(lang, "yes", "ja")
    doc.table([t(lang, "Web service (PS3.18)", "Webdienst (PS3.18)"), t(lang, "User agent", "User Agent"),
               t(lang, "Origin server", "Origin Server")], [
        ["Store (STOW-RS, §10.5)", yes, no],
        [t(lang, "Search (QIDO-RS, §10.6): reachability and verification only",
           "Suche (QIDO-RS, §10.6): nur Erreichbarkeit und Prüfung"), yes, no],
        ["Retrieve (WADO-RS, §10.4)", no, no],
        ["Worklist (UPS-RS, §11)", no, no],
    ], t(lang, "Table 1-3. Web services", "Tabelle 1-3. Webdienste"))


def network(doc: Document, config: Config, lang: str) -> None:
    """PS3.2 N.7.3.3: transactions, media types, status behaviour of the STOW-RS / QIDO-RS user agent."""
    s = WebSettings.of(config.network, config.dicomweb)
    doc.h(2, t(lang, "7.5 DICOMweb user agent (STOW-RS, QIDO-RS)", "7.5 DICOMweb-User-Agent (STOW-RS, QIDO-RS)"))
    doc.p(t(lang, "A peer configured with `url` (a DICOMweb base URL, PS3.18 §8.2) instead of an AE address is a "
                  "DICOMweb destination: the outbox, `smartbox send`, `export` and `serve` deliver to it like to a "
                  "Storage SCP, with the same jobs, retries and per-object outcomes.",
                  "Eine mit `url` (Basisadresse eines DICOMweb-Dienstes, PS3.18 §8.2) statt einer AE-Adresse "
                  "konfigurierte Gegenstelle ist ein DICOMweb-Ziel: Outbox, `smartbox send`, `export` und `serve` "
                  "liefern dorthin wie an einen Storage SCP, mit denselben Aufträgen, Wiederholungen und Ergebnissen "
                  "je Objekt."))
    doc.table([t(lang, "Transaction", "Transaktion"), t(lang, "Request", "Anfrage"), t(lang, "Media types", "Medientypen"),
               t(lang, "Used for", "Verwendet für")], [
        ["Store Instances (STOW-RS)", "`POST {base}/studies`",
         t(lang, f'`multipart/related; type="{PART_TYPE}"`, one Part 10 file per part, unchanged; Accept `{ACCEPT_STORE}`',
           f'`multipart/related; type="{PART_TYPE}"`, eine Part-10-Datei je Teil, unverändert; Accept `{ACCEPT_STORE}`'),
         t(lang, "delivery", "Versand")],
        ["Search for Studies (QIDO-RS)", "`GET {base}/studies?limit=1`", f"Accept `{ACCEPT_QUERY}`",
         t(lang, "`smartbox echo`: reachability, TLS, credentials", "`smartbox echo`: Erreichbarkeit, TLS, Anmeldung")],
        ["Search for a Study's Instances (QIDO-RS)", "`GET {base}/studies/{study}/instances?SOPInstanceUID={uid}`",
         f"Accept `{ACCEPT_QUERY}`",
         t(lang, "`verify_stored`: a job counts as delivered only once the instance is found",
           "`verify_stored`: ein Auftrag gilt erst als zugestellt, wenn die Instanz gefunden wird")],
    ], t(lang, "Table 7-5. DICOMweb transactions (user agent)", "Tabelle 7-5. DICOMweb-Transaktionen (User Agent)"))
    web = sorted(config.web_peers.items())
    rows = [[f"`peers.{name}`", p.url, p.auth.value, ", ".join(sorted_roles(p.roles)) or t(lang, "none", "keine"),
             t(lang, "yes", "ja") if p.verify_stored else t(lang, "no", "nein")] for name, p in web]
    if not rows:
        rows = [["`peers.*`", t(lang, "none configured", "keine konfiguriert"), "—", "—", "—"]]
    doc.table([t(lang, "Setting", "Einstellung"), "URL", t(lang, "Authentication", "Anmeldung"),
               t(lang, "Roles", "Rollen"), "verify_stored"], rows,
              t(lang, "Table 7-6. Configured DICOMweb peers", "Tabelle 7-6. Konfigurierte DICOMweb-Gegenstellen"))
    doc.ul([
        t(lang, f"Requests: up to {s.objects_per_request} objects (`dicomweb.objects_per_request`) and "
                f"{s.request_bytes // (1024 * 1024)} MB (`dicomweb.request_mb`) per request; an object at least that "
                "large goes alone. The body is sent with its exact Content-Length (no chunked encoding), streamed "
                f"from the files in blocks of {BLOCK // 1024} KiB; one kept-alive connection per destination.",
          f"Anfragen: bis zu {s.objects_per_request} Objekte (`dicomweb.objects_per_request`) und "
          f"{s.request_bytes // (1024 * 1024)} MB (`dicomweb.request_mb`) je Anfrage; ein mindestens so großes "
          "Objekt geht allein. Der Inhalt wird mit genauer Content-Length gesendet (ohne chunked), in Blöcken von "
          f"{BLOCK // 1024} KiB aus den Dateien gestreamt; eine offen gehaltene Verbindung je Ziel."),
        t(lang, f"Timeouts: connect {s.connect_timeout:g} s (`network.connect_timeout`); no progress sending "
                f"{s.write_timeout:g} s (`network.network_timeout`); answer after the body {s.response_timeout:g} s "
                "(`dicomweb.response_timeout`). A timeout or a dropped connection is retried like a transient "
                "failure; the object is sent again with the same SOP Instance UID.",
          f"Zeitlimits: Verbindungsaufbau {s.connect_timeout:g} s (`network.connect_timeout`); kein Sendefortschritt "
          f"{s.write_timeout:g} s (`network.network_timeout`); Antwort nach dem Senden {s.response_timeout:g} s "
          "(`dicomweb.response_timeout`). Zeitüberschreitung oder Verbindungsabbruch werden wie vorübergehende "
          "Fehler wiederholt; das Objekt wird mit derselben SOP Instance UID erneut gesendet."),
        t(lang, "One failed instance never hides the others: outcomes are taken per instance from the Store "
                "Instances Response Module (Referenced / Failed SOP Sequence); an instance the answer does not "
                "mention is sent again; a request of several objects refused as a whole without per-instance "
                "reasons (400, 409, 413) is repeated with each object alone. Redirections are not followed.",
          "Ein fehlgeschlagenes Objekt verdeckt nie die anderen: Ergebnisse werden je Instanz aus dem Store "
          "Instances Response Module gelesen (Referenced / Failed SOP Sequence); eine in der Antwort nicht genannte "
          "Instanz wird erneut gesendet; eine als Ganzes ohne Gründe je Instanz abgelehnte Anfrage mit mehreren "
          "Objekten (400, 409, 413) wird mit jedem Objekt einzeln wiederholt. Umleitungen werden nicht befolgt."),
        t(lang, f"`Retry-After` (seconds or an HTTP date) is honoured: the next attempt is never earlier, even past "
                f"`retry.max_delay`; at most {MAX_RETRY_AFTER:g} s.",
          f"`Retry-After` (Sekunden oder HTTP-Datum) wird beachtet: Der nächste Versuch kommt nie früher, auch über "
          f"`retry.max_delay` hinaus; höchstens {MAX_RETRY_AFTER:g} s."),
        t(lang, "No transfer-syntax conversion: each file is sent in the syntax it is stored in (failure reason "
                "C122 is reported with the syntax to ask for).",
          "Keine Umwandlung der Transfer-Syntax: Jede Datei geht in der gespeicherten Syntax (Fehlergrund C122 wird "
          "mit der zu erbittenden Syntax gemeldet)."),
    ])
    rows = []
    for r in HTTP_ROWS:
        if not r.key:
            behaviour = t(lang, "outcome per instance (below)", "Ergebnis je Instanz (unten)")
        elif r.retryable:
            behaviour = t(lang, "retried with back-off", "mit Wartezeit wiederholt")
        else:
            behaviour = t(lang, "failed for this destination; not resent unchanged",
                          "für dieses Ziel fehlgeschlagen; nicht unverändert erneut gesendet")
        rows.append([r.codes, r.meaning, f"`{r.key}`" if r.key else "—", behaviour,
                     render_hint(r.key, lang, {}) if r.key else ""])
    doc.table(["HTTP", t(lang, "Meaning (PS3.18 Table 10.5.3-1, §8.5)", "Bedeutung (PS3.18 Tabelle 10.5.3-1, §8.5)"),
               t(lang, "Message", "Meldung"), t(lang, "Behaviour", "Verhalten"), t(lang, "Operator", "Bediener")], rows,
              t(lang, "Table 7-7. Status codes of the user agent for the Store transaction (PS3.2 N.7.3.3)",
                "Tabelle 7-7. Statuscodes des User Agents für die Store-Transaktion (PS3.2 N.7.3.3)"))
    rows = [[r.codes, t(lang, "stored with warning; recorded", "mit Warnung gespeichert; vermerkt"), f"`{r.key}`"]
            for r in WARNING_ROWS]
    rows += [[r.codes, t(lang, "retried with back-off", "mit Wartezeit wiederholt") if r.retryable else
              t(lang, "failed; not resent unchanged", "fehlgeschlagen; nicht unverändert erneut gesendet"), f"`{r.key}`"]
             for r in FAILURE_ROWS]
    doc.table([t(lang, "Reason", "Grund"), t(lang, "Behaviour", "Verhalten"), t(lang, "Message", "Meldung")], rows,
              t(lang, "Table 7-8. Warning Reason (0008,1196) and Failure Reason (0008,1197) per instance (PS3.18 "
                      "Tables I.2-1, I.2-2; the first matching row applies)",
                "Tabelle 7-8. Warning Reason (0008,1196) und Failure Reason (0008,1197) je Instanz (PS3.18 "
                "Tabellen I.2-1, I.2-2; es gilt die erste passende Zeile)"))


def security(doc: Document, config: Config, lang: str) -> None:
    """PS3.2 N.8: HTTPS trust and user authentication of DICOMweb peers."""
    plain = sorted(name for name, p in config.web_peers.items() if not p.tls and p.auth.value != "none")
    doc.ul([
        t(lang, "DICOMweb over HTTPS verifies the server certificate and its host name by default, against the "
                "peer's `ca_bundle` or else the system's CAs; `verify_tls = false` switches this off per peer.",
          "DICOMweb über HTTPS prüft standardmäßig das Serverzertifikat und den Rechnernamen, gegen `ca_bundle` der "
          "Gegenstelle oder sonst die System-CAs; `verify_tls = false` schaltet das je Gegenstelle ab."),
        t(lang, "User authentication per DICOMweb peer: none, HTTP Basic (RFC 7617) or a bearer token (RFC 6750). "
                "The password or token is read from an environment variable or a file when a connection is made; "
                "it is never written to the configuration, `config show`, the outbox or the logs.",
          "Benutzeranmeldung je DICOMweb-Gegenstelle: keine, HTTP Basic (RFC 7617) oder ein Bearer-Token (RFC 6750). "
          "Passwort oder Token werden beim Verbindungsaufbau aus einer Umgebungsvariable oder Datei gelesen; sie "
          "stehen nie in der Konfiguration, in `config show`, in der Outbox oder in Protokollen."),
        t(lang, f"Credentials over plain http:// (readable on the network): {', '.join(plain) or 'none'}.",
          f"Anmeldedaten über unverschlüsseltes http:// (im Netz lesbar): {', '.join(plain) or 'keine'}."),
    ])
