"""Statement annexes: created SOP instances (PS3.2 Annex N.9, Table N.9-1) and the worklist-to-instance
mapping per scenario (PS3.2 Annex N.12, Table N.12-1).

Rows come from :mod:`smartbox_next.conformance.objects` (objects built from sample inputs); the module of
each attribute from :mod:`smartbox_next.conformance.modules`. Presence: ALWAYS when every sample and scenario
carries the attribute, else CONDITIONAL with the samples/scenarios that do; an attribute from an empty setting
of the rendered configuration is absent.
"""

# ruff: noqa: E501  (bilingual prose: long English/German sentence pairs, like smartbox_next.messages)

from __future__ import annotations

from pydicom.datadict import dictionary_description

from smartbox_next.config import Config
from smartbox_next.conformance import objects, samples
from smartbox_next.conformance.doc import Document, t
from smartbox_next.conformance.modules import module_of, module_rank
from smartbox_next.dicom import sop as sops

_PRESENCE_ORDER = ("MWL", "USER", "CONFIGURATION", "FIXED", "GENERATED", "EMPTY")
FALLBACKS = {"station.station_name": "station.ae_title"}
"""Settings that, when empty, are replaced by another one: the attribute is still always written."""
REGION = "AnatomicRegionSequence"


def _tag(tag: int) -> str:
    return f"({tag >> 16:04X},{tag & 0xFFFF:04X})"


def _setting_value(config: Config, setting: str) -> object:
    section, key = setting.split(".", 1)
    return getattr(getattr(config, section), key)


def _source_text(row: objects.AttributeRow, lang: str) -> str:
    if row.keyword == REGION:  # chosen per exam, in this order (smartbox_next.app.identity); see Annex E
        return t(lang, "USER `--anatomic-region`, else MWL (procedure code or description, Annex E), else "
                       "CONFIGURATION `objects.anatomic_region`",
                 "USER `--anatomic-region`, sonst MWL (Untersuchungscode oder -beschreibung, Anhang E), sonst "
                 "CONFIGURATION `objects.anatomic_region`")

    def one(entries: set[tuple[str, str]]) -> str:
        parts = []
        kinds = sorted({k for k, _ in entries}, key=_PRESENCE_ORDER.index)
        for kind in kinds:
            details = sorted({d for k, d in entries if k == kind and d})
            if kind == "FIXED":
                parts.append("FIXED " + " / ".join(f"`{d}`" for d in details))
            elif details:
                parts.append(f"{kind} " + ", ".join(f"`{d}`" + (t(lang, f" (empty: `{FALLBACKS[d]}`)",
                                                                 f" (leer: `{FALLBACKS[d]}`)") if d in FALLBACKS else "")
                                                    for d in details))
            else:
                parts.append(kind)
        return " or ".join(parts) if lang == "en" else " oder ".join(parts)

    texts = {sc: one(row.sources[sc]) for sc in objects.SCENARIOS if sc in row.sources}
    if len(set(texts.values())) == 1:
        return next(iter(texts.values()))
    return "; ".join(f"{t(lang, *objects.SCENARIO_NAMES[sc])}: {txt}" for sc, txt in texts.items())


def _presence(row: objects.AttributeRow, combos: frozenset[tuple[tuple[str, str], str]], config: Config,
              lang: str, sop: sops.SopClass) -> str:
    if row.keyword == REGION:
        if sop.kind is sops.SopKind.VIDEO:
            return t(lang, "ALWAYS (refused when no region is known)", "ALWAYS (abgelehnt, wenn keine Region bekannt ist)")
        return t(lang, "CONDITIONAL: when the region is known", "CONDITIONAL: wenn die Region bekannt ist")
    empty_settings = sorted({d for entries in row.sources.values() for k, d in entries
                             if k == "CONFIGURATION" and d and d not in FALLBACKS
                             and _setting_value(config, d) in ("", None)})
    if empty_settings:
        return t(lang, "CONDITIONAL: when set — now empty", "CONDITIONAL: wenn gesetzt — derzeit leer")
    if row.present == combos:
        return "ALWAYS"
    scenarios = {sc for _, sc in combos}
    present_sc = {sc for sc in scenarios if all((s, sc) in row.present for s, c in combos if c == sc)}
    absent_sc = {sc for sc in scenarios if not any(c == sc for _, c in row.present)}
    if present_sc | absent_sc == scenarios and present_sc:
        return "CONDITIONAL: " + ", ".join(t(lang, *objects.SCENARIO_NAMES[sc]) for sc in objects.SCENARIOS
                                           if sc in present_sc)
    every = {s for s, _ in combos}
    present = {s for s, _ in row.present}
    if len(every - present) < len(present):
        missing = sorted(every - present, key=_sample_rank)
        return t(lang, "CONDITIONAL: except ", "CONDITIONAL: außer ") + "; ".join(t(lang, *s) for s in missing)
    return "CONDITIONAL: " + "; ".join(t(lang, *s) for s in sorted(present, key=_sample_rank))


def _sample_rank(sample: tuple[str, str]) -> int:
    names = [(s.name_en, s.name_de) for s in (*samples.STILL_SAMPLES, *samples.BURST_SAMPLES, *samples.VIDEO_SAMPLES)]
    return names.index(sample) if sample in names else len(names)


def build(doc: Document, config: Config, lang: str) -> None:
    doc.h(1, t(lang, "Annex A. Created SOP Instances", "Anhang A. Erzeugte SOP-Instanzen"))
    doc.p(t(lang, "Per SOP class: every attribute the builders wrote for the sample inputs listed, its module, the "
                  "source of its value (Section 3.2) and its presence. Scenarios: scheduled (patient from the "
                  "worklist), unscheduled (entered by the operator), emergency (generated identity).",
                  "Je SOP-Klasse: jedes Attribut, das die Erzeugung für die genannten Beispieleingaben schrieb, sein "
                  "Modul, die Herkunft seines Wertes (Abschnitt 3.2) und sein Vorkommen. Szenarien: geplant (Patient "
                  "aus der Worklist), ungeplant (vom Bediener eingegeben), Notfall (erzeugte Identität)."))
    for n, s in enumerate(sops.ALL, 1):
        doc.h(2, f"A.{n} {s.name} ({s.section})")
        names = [sm for sm in (*samples.STILL_SAMPLES, *samples.BURST_SAMPLES, *samples.VIDEO_SAMPLES)
                 if any(b.sop_uid == s.uid and b.sample == (sm.name_en, sm.name_de) for b in objects.built_objects())]
        doc.p(t(lang, "Sample inputs: ", "Beispieleingaben: ") + "; ".join(t(lang, sm.name_en, sm.name_de) for sm in names)
              + ".")
        rows, combos = objects.attribute_rows(s.uid)
        ordered = sorted(rows, key=lambda r: (module_rank(module_of(r.keyword, s) or ""), r.tag))
        table = []
        for r in ordered:
            name = dictionary_description(r.tag) if r.tag >> 16 != 0x7FE0 else "Pixel Data"
            table.append([module_of(r.keyword, s) or "?", f"{name} {_tag(r.tag)}", _source_text(r, lang),
                          _presence(r, combos, config, lang, s)])
        doc.table([t(lang, "Module", "Modul"), t(lang, "Attribute", "Attribut"), t(lang, "Source", "Herkunft"),
                   t(lang, "Presence", "Vorkommen")], table)
    _mwl_mapping(doc, lang)
    _code_sets(doc, lang)


def _code_sets(doc: Document, lang: str) -> None:
    """PS3.2 Annex N (A.E code sets): the anatomic region names and the procedure → region table, from the code."""
    from smartbox_next.dicom.anatomy import REGION_NAMES
    from smartbox_next.worklist.regions import PROCEDURE_CODES, PROCEDURE_WORDS

    doc.h(1, t(lang, "Annex E. Code Sets: Anatomic Region", "Anhang E. Codesätze: Anatomische Region"))
    doc.p(t(lang, "Anatomic Region Sequence (0008,2218) (PS3.3 C.8.12.1; Video Endoscopic: DCID 4040, A.32.5.4.3) is "
                  "chosen per exam, never from a built-in default: (1) `--anatomic-region` (a name below or "
                  "SCHEME:VALUE:Meaning); (2) the worklist entry: codes of the Requested Procedure Code Sequence and "
                  "the Scheduled Protocol Code Sequence, then their meanings and the Requested Procedure / Scheduled "
                  "Procedure Step Descriptions, matched against the site's `[procedure_regions]` first and the "
                  "tables below (after PS3.16 Annex I); an entry naming two regions is ambiguous; (3) the station "
                  "default `objects.anatomic_region`, only when set. A video object without a region is refused "
                  "with a message that asks the operator to choose it.",
                  "Anatomic Region Sequence (0008,2218) (PS3.3 C.8.12.1; Video Endoscopic: DCID 4040, A.32.5.4.3) "
                  "wird je Untersuchung gewählt, nie aus einem eingebauten Standardwert: (1) `--anatomic-region` "
                  "(ein Name unten oder SCHEMA:WERT:Bedeutung); (2) der Worklist-Eintrag: Codes der Requested "
                  "Procedure Code Sequence und der Scheduled Protocol Code Sequence, dann ihre Bedeutungen und die "
                  "Beschreibungen von Requested Procedure / Scheduled Procedure Step, abgeglichen zuerst mit "
                  "`[procedure_regions]` der Einrichtung, dann mit den Tabellen unten (nach PS3.16 Anhang I); ein "
                  "Eintrag mit zwei Regionen ist mehrdeutig; (3) der Stationsstandard `objects.anatomic_region`, nur "
                  "wenn gesetzt. Ein Videoobjekt ohne Region wird mit einer Meldung abgelehnt, die den Bediener um "
                  "die Wahl bittet."))
    doc.table([t(lang, "Name", "Name"), "Code"],
              [[f"`{name}`", str(region)] for name, region in REGION_NAMES.items()],
              t(lang, "Table E-1. Region names (every code a member of CID 4040)",
                "Tabelle E-1. Regionsnamen (jeder Code aus CID 4040)"))
    by_region: dict[str, list[str]] = {}
    for word, name in PROCEDURE_WORDS.items():
        by_region.setdefault(name, []).append(word)
    doc.table([t(lang, "Region", "Region"), t(lang, "Procedure words (normalised)", "Untersuchungswörter (normalisiert)")],
              [[f"`{name}`", ", ".join(f"`{w}`" for w in words)] for name, words in by_region.items()]
              + [[f"`{name}`", f"{scheme} {value}"] for (scheme, value), name in PROCEDURE_CODES.items()],
              t(lang, "Table E-2. Built-in procedure → region table (words of at most 4 letters match whole words)",
                "Tabelle E-2. Eingebaute Tabelle Untersuchung → Region (Wörter bis 4 Buchstaben nur als ganzes Wort)"))


def _mwl_mapping(doc: Document, lang: str) -> None:
    """PS3.2 N.12: which worklist key fills which object attribute; what unscheduled exams have instead."""
    doc.h(1, t(lang, "Annex D. Worklist → Instance Mapping", "Anhang D. Abbildung Worklist → Instanz"))
    doc.p(t(lang, "SCHEDULED: the operator picks a worklist entry; its values are copied verbatim, the worklist's "
                  "Study Instance UID is kept (never a new one). UNSCHEDULED: patient data as entered, a new Study "
                  "Instance UID. EMERGENCY: a generated, clearly marked identity. GROUP: several steps of one "
                  "requested procedure give one Request Attributes item each. APPEND: later captures of an open "
                  "exam join its study and series.",
                  "SCHEDULED: Der Bediener wählt einen Worklist-Eintrag; seine Werte werden unverändert übernommen, die "
                  "Study Instance UID der Worklist bleibt erhalten (nie eine neue). UNSCHEDULED: Patientendaten wie "
                  "eingegeben, eine neue Study Instance UID. EMERGENCY: eine erzeugte, deutlich gekennzeichnete "
                  "Identität. GROUP: mehrere Schritte eines angeforderten Verfahrens ergeben je ein Request-"
                  "Attributes-Element. APPEND: spätere Aufnahmen einer offenen Untersuchung gehören zu ihrer Studie "
                  "und Serie."))
    rows_by_kw = {r.keyword: r for r in objects.attribute_rows(sops.SC.uid)[0]}
    table = []
    for key, targets in objects.mwl_mapping():
        if not targets:
            table.append([key, t(lang, "— (not copied)", "— (nicht übernommen)"), "", ""])
            continue
        top = targets[0].split(" > ")[0]
        row = rows_by_kw.get(top)

        def src(scenario: str, row: objects.AttributeRow | None = row) -> str:
            if row is None or scenario not in row.sources:
                return t(lang, "absent", "fehlt")
            return " / ".join(sorted({k for k, _ in row.sources[scenario]}))

        table.append([key, "; ".join(targets), src("unscheduled"), src("emergency")])
    doc.table([t(lang, "Worklist attribute", "Worklist-Attribut"),
               t(lang, "Instance attribute (SCHEDULED)", "Instanz-Attribut (SCHEDULED)"),
               "UNSCHEDULED", "EMERGENCY"], table,
              t(lang, "Table D-1. Worklist to instance (PS3.2 Table N.12-1); Referenced Performed Procedure Step "
                      "Sequence and PPS ID / start / description are generated for scheduled exams",
                "Tabelle D-1. Worklist zu Instanz (PS3.2 Tabelle N.12-1); Referenced Performed Procedure Step "
                "Sequence und PPS-ID / -Beginn / -Beschreibung werden bei geplanten Untersuchungen erzeugt"))
