"""Statement sections of the workflow services: MPPS SCU (PS3.2 N.5, PS3.4 F.7) and Storage Commitment SCU with
the SCP role for N-EVENT-REPORT (PS3.4 J.3; PS3.2 N.5, N.7), from the code that implements them.

* MPPS attributes: the N-CREATE and final N-SET :mod:`smartbox_next.iod.mpps` builds for the probe exams of
  :mod:`smartbox_next.conformance.objects` (scheduled from the worklist probe, unscheduled, emergency), each value's
  source told by :func:`~smartbox_next.conformance.objects.source_of` like the object tables;
* statuses: :data:`smartbox_next.net.mpps.STATUS_ROWS`, :func:`smartbox_next.net.commitment.classify_action`,
  the Failure Reasons of :data:`smartbox_next.net.commitment.FAILURE_REASONS` and the report checks' statuses;
* contexts and roles: :func:`~smartbox_next.net.mpps.mpps_context`, :func:`~smartbox_next.net.commitment.
  commitment_context`, the listener of :mod:`smartbox_next.net.adapter`; settings from the given configuration.
"""

# ruff: noqa: E501  (bilingual prose: long English/German sentence pairs, like smartbox_next.messages)

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from types import MappingProxyType

from pydicom.datadict import dictionary_description, tag_for_keyword
from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset

from smartbox_next.config import Config, with_overrides
from smartbox_next.conformance import objects, samples
from smartbox_next.conformance.doc import Document, t
from smartbox_next.dicom import sop as sops
from smartbox_next.dicom.peer import Peer
from smartbox_next.dicom.uid import generate_uid
from smartbox_next.exam.model import Study
from smartbox_next.iod import mpps
from smartbox_next.messages import render_hint
from smartbox_next.net.adapter import STORAGE_COMMITMENT_INSTANCE, STORAGE_COMMITMENT_PUSH_MODEL
from smartbox_next.net.commitment import FAILURE_REASONS, classify_action, commitment_context
from smartbox_next.net.link import VERIFICATION_CONTEXT
from smartbox_next.net.mpps import STATUS_ROWS, mpps_context
from smartbox_next.worklist.item import WorklistItem
from smartbox_next.worklist.mapping import protocol_name, scheduled_step_attributes

SCENARIOS = ("scheduled", "unscheduled", "emergency")


def contexts() -> list[tuple[str, str, list[str]]]:
    """(abstract syntax, service, transfer syntaxes) the workflow services propose as SCU."""
    m, c = mpps_context(), commitment_context()
    return [(m.abstract_syntax, "Modality Performed Procedure Step (N-CREATE, N-SET)", list(m.transfer_syntaxes)),
            (c.abstract_syntax, "Storage Commitment Push Model (N-ACTION)", list(c.transfer_syntaxes))]


# ------------------------------------------------------------------------------------------ MPPS data sets


def _messages(config: Config, scenario: str, variant: int) -> tuple[Dataset, Dataset]:
    """The N-CREATE and final N-SET of a probe exam (as ``app.exams`` builds them)."""
    exam = objects._exam(config, scenario, variant)
    time = samples.PROBE_TIMES[variant]
    study: Study = exam.study
    attributes = dict(study.attributes)
    attributes.update({"PerformedProcedureStepID": f"E0{variant}0203-PRB{variant}",
                       "PerformedProcedureStepStartDate": f"{time:%Y%m%d}",
                       "PerformedProcedureStepStartTime": f"{time:%H%M%S}"})
    study = replace(study, attributes=MappingProxyType(attributes))
    if scenario == "scheduled":
        item = WorklistItem.from_dataset(objects.worklist_probe()[0])
        steps, protocol = scheduled_step_attributes(item), protocol_name(item) or config.mpps.protocol_name
    else:
        steps = [mpps.unscheduled_step(study.study_instance_uid, study.accession_number)]
        protocol = config.mpps.protocol_name
    create = mpps.n_create(config, exam.patient, study, steps, protocol_name=protocol)
    series = [mpps.PerformedSeries(generate_uid(), ((sops.SC.uid, generate_uid()),))]
    final = mpps.n_set_final(
        config, status=mpps.DISCONTINUED if variant else mpps.COMPLETED, end_date=f"{time:%Y%m%d}",
        end_time=f"{time:%H%M%S}", series=series, protocol_name=protocol,
        character_set=str(create.get("SpecificCharacterSet", "")) or None, reason="110513" if variant else None)
    return create, final


def _elements(ds: Dataset, prefix: str = "") -> Iterator[tuple[str, DataElement]]:
    """(``Sequence>Keyword`` path, element) of every attribute (first item of each sequence)."""
    for elem in ds:
        path = f"{prefix}{elem.keyword}"
        yield path, elem
        if elem.VR == "SQ" and len(elem.value):
            yield from _elements(elem.value[0], f"{path}>")


_MPPS_PROBE = {"performed_location": "Probe Location", "protocol_name": "Probe Protocol"}
"""Distinctive values of the ``[mpps]`` settings (the other settings: the object tables' probe values)."""


def _source_of(elem: DataElement, other: DataElement | None) -> tuple[str, str]:
    values = objects.leaves(elem)
    for key, marker in _MPPS_PROBE.items():
        if marker in values:
            return "CONFIGURATION", f"mpps.{key}"
    return objects.source_of(elem, other)


def _attribute_rows() -> tuple[tuple[str, int, dict[str, str], str], ...]:
    """(path, tag, {scenario: source}, N-SET source) of every attribute the MPPS messages carry, for the probe
    exams under the probe configuration (so each value's source can be told)."""
    config = with_overrides(objects.probe_config(), "mpps", **_MPPS_PROBE)
    built = {(sc, v): _messages(config, sc, v) for sc in SCENARIOS for v in (0, 1)}
    rows: dict[str, tuple[int, dict[str, str]]] = {}
    set_rows: dict[str, tuple[int, list[str]]] = {}
    for sc in SCENARIOS:
        other = dict(_elements(built[(sc, 1)][0]))
        for path, elem in _elements(built[(sc, 0)][0]):
            kind, detail = _source_of(elem, other.get(path))
            rows.setdefault(path, (int(elem.tag), {}))[1][sc] = f"{kind} `{detail}`" if detail else kind
        set_other = dict(_elements(built[(sc, 1)][1]))
        for path, elem in _elements(built[(sc, 0)][1]):
            kind, detail = _source_of(elem, set_other.get(path))
            if path == "PerformedProcedureStepStatus":
                kind, detail = "USER", "exam complete / exam discontinue"
            text = f"{kind} `{detail}`" if detail else kind
            found = set_rows.setdefault(path, (int(elem.tag), []))[1]
            if text not in found:
                found.append(text)
        for path, elem in set_other.items():  # present only when DISCONTINUED with a reason
            if path not in set_rows:
                set_rows[path] = (int(elem.tag), ["USER (`--reason`, CID 9301)"])
    joined = {path: (tag, " or ".join(found)) for path, (tag, found) in set_rows.items()}
    out = [(path, tag, sources, joined.pop(path, (0, ""))[1]) for path, (tag, sources) in rows.items()]
    out += [(path, tag, {}, source) for path, (tag, source) in joined.items()]
    return tuple(sorted(out, key=lambda row: tuple(tag_for_keyword(k) or 0 for k in row[0].split(">"))))


def _name(path: str, tag: int) -> str:
    depth = path.count(">")
    tag = tag_for_keyword(path.split(">")[-1]) or tag
    return f"{'>' * depth}{dictionary_description(tag)} ({tag >> 16:04X},{tag & 0xFFFF:04X})"


# ------------------------------------------------------------------------------------------ sections


def services(doc: Document, config: Config, lang: str) -> None:
    """N.5 subsections: MPPS SCU, Storage Commitment SCU."""
    _mpps(doc, config, lang)
    _commitment(doc, config, lang)


def _mpps(doc: Document, config: Config, lang: str) -> None:
    doc.h(2, t(lang, "5.3 Modality Performed Procedure Step SCU", "5.3 Modality Performed Procedure Step SCU"))
    peers = ", ".join(config.mpps_peers()) or t(lang, "none configured", "keine konfiguriert")
    doc.p(t(lang, "Every exam (`smartbox exam start`, or the station UI) is one Performed Procedure Step reported to "
                  f"every peer with role `mpps` (now: {peers}). **N-CREATE** (status IN PROGRESS) when the exam starts; "
                  "the SCU chooses the SOP Instance UID, which every object of the exam references (Referenced "
                  "Performed Procedure Step Sequence), and the PPS ID (the exam number) and start date/time are the "
                  "same in the objects. **N-SET** once, when the exam ends: COMPLETED (`smartbox exam complete`) or "
                  "DISCONTINUED (`smartbox exam discontinue [--reason CODE]`, CID 9301), with end date/time and the "
                  "Performed Series Sequence listing every series and every object created in the exam (video "
                  "included) in Referenced Image Sequence; with no object, one empty series. Only attributes created "
                  "in the N-CREATE are set; nothing is sent after the final state. No N-GET, no N-EVENT-REPORT.",
                  "Jede Untersuchung (`smartbox exam start` oder die Stations-Oberfläche) ist ein Performed Procedure "
                  f"Step, gemeldet an jede Gegenstelle mit der Rolle `mpps` (derzeit: {peers}). **N-CREATE** (Status "
                  "IN PROGRESS) beim Beginn; die SOP Instance UID wählt die Station, jedes Objekt der Untersuchung "
                  "verweist darauf (Referenced Performed Procedure Step Sequence), PPS-ID (die Untersuchungsnummer) und "
                  "Beginn sind in den Objekten dieselben. **N-SET** einmal am Ende: COMPLETED (`smartbox exam complete`) "
                  "oder DISCONTINUED (`smartbox exam discontinue [--reason CODE]`, CID 9301), mit Ende und der Performed "
                  "Series Sequence mit jeder Serie und jedem Objekt der Untersuchung (auch Video) in der Referenced "
                  "Image Sequence; ohne Objekt eine leere Serie. Gesetzt werden nur beim N-CREATE angelegte Attribute; "
                  "nach dem Endzustand wird nichts mehr gesendet. Kein N-GET, kein N-EVENT-REPORT."))
    doc.p(t(lang, "Both messages are outbox jobs: stored before they are sent, sent in order (the N-SET only after the "
                  "N-CREATE was accepted), on one association each, and retried with back-off while the RIS is "
                  "unreachable — without giving up, as long as the failure is transient. A message whose answer never "
                  "came (timeout, abort) is sent again; a repeated N-CREATE answered 0111 (duplicate) counts as "
                  "created. A refused N-CREATE fails the exam's N-SET too (`mpps.not_created`).",
                  "Beide Nachrichten sind Outbox-Aufträge: gespeichert, bevor sie gesendet werden, der Reihe nach "
                  "gesendet (das N-SET erst nach angenommenem N-CREATE), je über eine Verbindung, und mit Wartezeit "
                  "wiederholt, solange das RIS nicht erreichbar ist — ohne Aufgeben, solange der Fehler vorübergehend "
                  "ist. Eine Nachricht ohne Antwort (Zeitlimit, Abbruch) wird erneut gesendet; ein wiederholtes "
                  "N-CREATE mit 0111 (Duplikat) gilt als angelegt. Ein abgelehntes N-CREATE lässt auch das N-SET der "
                  "Untersuchung scheitern (`mpps.not_created`)."))
    rows = []
    for path, tag, sources, set_source in _attribute_rows():
        cells = [sources.get(sc, t(lang, "absent", "fehlt")) for sc in SCENARIOS] if sources else ["—"] * 3
        rows.append([_name(path, tag), *cells, set_source or "—"])
    doc.table([t(lang, "Attribute", "Attribut"), "N-CREATE SCHEDULED", "N-CREATE UNSCHEDULED", "N-CREATE EMERGENCY",
               t(lang, "Final N-SET", "Abschließendes N-SET")], rows,
              t(lang, "Table 5-6. MPPS attributes sent (PS3.2 Table N.5-4, PS3.4 Table F.7.2-1); sources as in Section "
                      "3.2; `>` marks sequence items",
                "Tabelle 5-6. Gesendete MPPS-Attribute (PS3.2 Tabelle N.5-4, PS3.4 Tabelle F.7.2-1); Herkunft wie in "
                "Abschnitt 3.2; `>` kennzeichnet Sequenz-Elemente"))
    behaviour = {"success": t(lang, "accepted", "angenommen"),
                 "warning": t(lang, "accepted; warning recorded", "angenommen; Warnung vermerkt"),
                 "retry": t(lang, "sent again with back-off", "mit Wartezeit erneut gesendet"),
                 "failed": t(lang, "failed; shown with the exam", "fehlgeschlagen; bei der Untersuchung angezeigt")}
    doc.table(["Status", t(lang, "Message", "Meldung"), t(lang, "Behaviour", "Verhalten"), t(lang, "Operator", "Bediener")],
              [[r.codes, f"`{r.key}`" if r.key else "—", behaviour[r.outcome], render_hint(r.key, lang, {}) if r.key else ""]
               for r in STATUS_ROWS],
              t(lang, "Table 5-7. N-CREATE / N-SET response status (PS3.7 Annex C)",
                "Tabelle 5-7. Antwortstatus N-CREATE / N-SET (PS3.7 Anhang C)"))


def _commitment(doc: Document, config: Config, lang: str) -> None:
    c, lc = config.commitment, config.listener
    doc.h(2, t(lang, "5.4 Storage Commitment SCU", "5.4 Storage Commitment SCU"))
    dests = ", ".join(config.commitment_peers()) or t(lang, "none configured", "keine konfiguriert")
    doc.p(t(lang, "Storage commitment is requested from every storage destination that also has role `commitment` "
                  f"(now: {dests}), for the objects stored there: once an exam has ended and its objects are stored "
                  "(objects outside an exam once stored), one **N-ACTION** (Action Type 1, the well-known SOP Instance "
                  f"`{STORAGE_COMMITMENT_INSTANCE}`) per exam with at most {c.batch_size} objects (`commitment.batch_size`), "
                  "each with a new Transaction UID generated under `uid.root`, each object once. The request is an "
                  "outbox job like a C-STORE (kept, retried while the archive is unreachable, never given up while "
                  "the failure is transient). File-Set ID / UID are not used.",
                  "Eine Speicherbestätigung wird bei jedem Speicherziel angefragt, das auch die Rolle `commitment` hat "
                  f"(derzeit: {dests}), für die dort gespeicherten Objekte: wenn eine Untersuchung beendet und ihre "
                  "Objekte gespeichert sind (Objekte ohne Untersuchung nach dem Speichern), ein **N-ACTION** (Action "
                  f"Type 1, die feste SOP-Instanz `{STORAGE_COMMITMENT_INSTANCE}`) je Untersuchung mit höchstens "
                  f"{c.batch_size} Objekten (`commitment.batch_size`), jeweils mit neuer Transaction UID unter "
                  "`uid.root`, jedes Objekt einmal. Die Anfrage ist ein Outbox-Auftrag wie ein C-STORE (gespeichert, "
                  "wiederholt, solange das Archiv nicht erreichbar ist, nie aufgegeben, solange der Fehler "
                  "vorübergehend ist). File-Set ID / UID werden nicht verwendet."))
    doc.ul([
        t(lang, f"The report (N-EVENT-REPORT) is received on the request's association, which stays open up to "
                f"{c.wait_on_association:g} s (`commitment.wait_on_association`), or on a new association the archive "
                "opens to the station's listener (SCP role for N-EVENT-REPORT by SCU/SCP Role Selection, PS3.4 "
                f"J.3.3.1.3): `smartbox serve` listens on `listener.port` (now: {lc.port or 'off'}) as `listener.ae_title` "
                "(empty: `station.ae_title`) and accepts only the AE titles of the commitment peers.",
          f"Die Meldung (N-EVENT-REPORT) kommt auf der Verbindung der Anfrage, die bis zu {c.wait_on_association:g} s "
          "offen bleibt (`commitment.wait_on_association`), oder auf einer neuen Verbindung, die das Archiv zum "
          "Empfänger der Station aufbaut (SCP-Rolle für N-EVENT-REPORT per SCU/SCP Role Selection, PS3.4 J.3.3.1.3): "
          f"`smartbox serve` lauscht auf `listener.port` (derzeit: {lc.port or 'aus'}) als `listener.ae_title` (leer: "
          "`station.ae_title`) und nimmt nur die AE-Titel der Bestätigungs-Gegenstellen an."),
        t(lang, "Transaction UIDs are kept in the outbox database for as long as their objects are: a report that "
                "arrives while no request waits (after a restart) is matched by its Transaction UID. Without a "
                f"report {c.report_timeout:g} s (`commitment.report_timeout`) after the archive accepted a request, the "
                "objects are requested again with a new Transaction UID; a late report of the earlier request still "
                "counts.",
          "Transaction UIDs bleiben in der Outbox-Datenbank, solange ihre Objekte: Eine Meldung, auf die gerade "
          "keine Anfrage wartet (nach einem Neustart), wird über ihre Transaction UID zugeordnet. Ohne Meldung "
          f"{c.report_timeout:g} s (`commitment.report_timeout`) nach Annahme einer Anfrage werden die Objekte mit neuer "
          "Transaction UID erneut angefragt; eine späte Meldung der früheren Anfrage zählt weiterhin."),
        t(lang, "A report is checked before anything is used: the SOP Class and well-known instance, Event Type 1 "
                "(all committed, no Failed SOP Sequence) or 2 (failures exist), a Transaction UID of this station, "
                "sent by that request's peer (AE title; on the listener also the host), every requested instance "
                "exactly once in the Referenced or Failed SOP Sequence, valid UIDs and a Failure Reason on every "
                "failed item. Else it is answered with a failure status (0110, 0112, 0113, 0115 or 0118) and "
                "changes nothing. A report applied before is answered 0000 and not applied again.",
          "Eine Meldung wird geprüft, bevor etwas davon verwendet wird: SOP-Klasse und feste Instanz, Event Type 1 "
          "(alles bestätigt, keine Failed SOP Sequence) oder 2 (Fehler vorhanden), eine Transaction UID dieser "
          "Station, gesendet von der Gegenstelle der Anfrage (AE-Titel; am Empfänger auch der Rechner), jede "
          "angefragte Instanz genau einmal in der Referenced oder Failed SOP Sequence, gültige UIDs und ein Failure "
          "Reason an jedem fehlgeschlagenen Element. Sonst wird sie mit einem Fehlerstatus (0110, 0112, 0113, 0115 "
          "oder 0118) beantwortet und ändert nichts. Eine bereits angewendete Meldung wird mit 0000 beantwortet und "
          "nicht erneut angewendet."),
        t(lang, f"An object reported as failed is sent again by C-STORE and requested again, at most {c.max_resends} "
                "times (`commitment.max_resends`); Failure Reason 0122 (SOP class not supported) fails it at once. "
                f"An object not committed {c.window_hours:g} hours after its first request (`commitment.window_hours`) "
                "is shown as commitment overdue (`commitment.overdue`).",
          f"Ein als fehlgeschlagen gemeldetes Objekt wird per C-STORE erneut gesendet und erneut angefragt, höchstens "
          f"{c.max_resends}-mal (`commitment.max_resends`); Failure Reason 0122 (SOP-Klasse nicht unterstützt) lässt "
          f"es sofort scheitern. Ein Objekt, das {c.window_hours:g} Stunden nach der ersten Anfrage nicht bestätigt ist "
          "(`commitment.window_hours`), wird als überfällig angezeigt (`commitment.overdue`)."),
        t(lang, "Retention: a spool file is kept until every destination requiring commitment has committed its "
                "object (and every other destination has it); only then may `smartbox queue purge` delete it.",
          "Aufbewahrung: Eine Spool-Datei bleibt, bis jedes Ziel mit Speicherbestätigung ihr Objekt bestätigt hat "
          "(und jedes andere Ziel es hat); erst dann darf `smartbox queue purge` sie löschen."),
    ])
    reasons = [[f"{code:04X}", name, t(lang, "failed for good", "endgültig fehlgeschlagen") if code == 0x0122 else
                t(lang, "sent again, requested again", "erneut gesendet und angefragt")]
               for code, name in FAILURE_REASONS.items()]
    doc.table(["Failure Reason", t(lang, "Meaning", "Bedeutung"), t(lang, "Behaviour", "Verhalten")], reasons,
              t(lang, "Table 5-8. Failure Reason (0008,1197) of a report (PS3.3 C.14.1.1); any other: sent again",
                "Tabelle 5-8. Failure Reason (0008,1197) einer Meldung (PS3.3 C.14.1.1); jeder andere: erneut gesendet"))
    probe = []
    for code in (0x0000, 0x0213, 0xA700, 0x0210, 0x0110, 0x0122, 0x0124):
        status = Dataset()
        status.Status = code
        err = classify_action(status, Peer("PACS", "127.0.0.1", 104))
        probe.append([f"{code:04X}", f"`{err.key}`" if err else "—",
                      t(lang, "accepted; report awaited", "angenommen; Meldung erwartet") if err is None else
                      t(lang, "a new request later", "später eine neue Anfrage") if err.retryable else
                      t(lang, "the objects fail; kept in the spool", "die Objekte scheitern; bleiben im Spool")])
    doc.table(["Status", t(lang, "Message", "Meldung"), t(lang, "Behaviour", "Verhalten")], probe,
              t(lang, "Table 5-9. N-ACTION response status (PS3.7 §10.1.4.1.10); other failures like 0110",
                "Tabelle 5-9. Antwortstatus N-ACTION (PS3.7 §10.1.4.1.10); andere Fehler wie 0110"))


def acceptor_contexts() -> list[tuple[str, str, list[str], str]]:
    """(abstract syntax, name, transfer syntaxes, role) the listener accepts (PS3.2 N.7 as acceptor)."""
    return [(STORAGE_COMMITMENT_PUSH_MODEL, "Storage Commitment Push Model", list(commitment_context().transfer_syntaxes),
             "SCU (the archive takes the SCP role: Role Selection accepted)"),
            (VERIFICATION_CONTEXT.abstract_syntax, "Verification", list(VERIFICATION_CONTEXT.transfer_syntaxes), "SCP")]
