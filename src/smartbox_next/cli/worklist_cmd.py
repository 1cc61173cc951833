"""``smartbox worklist``: query the Modality Worklist (PS3.4 K.6) and show it as a table or JSON lines.

When the worklist server cannot be reached, the last answer to the same query is shown, and a notice in
the operator's language says it is stale and how old it is.
"""

from __future__ import annotations

from typing import Any

import click

from smartbox_next.app.station import worklist_cache
from smartbox_next.cli._app import AppState, cli, emit_json, pass_state, reporting
from smartbox_next.errors import SmartboxError
from smartbox_next.messages import printable, render, render_hint
from smartbox_next.worklist.item import WorklistItem, WorklistResult, age_text
from smartbox_next.worklist.query import WorklistQuery
from smartbox_next.worklist.service import query_worklist, resolve_peer

_COLUMNS: dict[str, tuple[str, str]] = {  # key -> (en, de)
    "id": ("ID", "ID"),
    "when": ("Scheduled", "Geplant"),
    "patient": ("Patient", "Patient"),
    "patient_id": ("Patient ID", "Patienten-ID"),
    "birth": ("Born", "Geboren"),
    "sex": ("Sex", "Geschl."),
    "accession": ("Accession", "Auftragsnr."),
    "procedure": ("Procedure", "Untersuchung"),
    "station": ("Station", "Station"),
    "modality": ("Mod.", "Mod."),
}


def notice(key: str, lang: str, **params: Any) -> None:
    """A bilingual catalogue message and its hint on stderr (not an error)."""
    label = "Hinweis" if lang == "de" else "Note"
    click.echo(f"{label}: {render(key, lang, params)}", err=True)
    hint = render_hint(key, lang, params)
    if hint:
        click.echo(f"  → {hint}", err=True)


def report_result(result: WorklistResult, lang: str, limit: int | None = None) -> None:
    """Tell the operator when the list is stale, truncated, or read with an assumed character set."""
    if result.stale:
        notice("worklist.stale", lang, peer=result.peer, age=age_text(result.age(), lang),
               fetched_at=result.fetched_at.strftime("%Y-%m-%d %H:%M"))
    if result.truncated:
        notice("worklist.truncated", lang, limit=limit if limit is not None else len(result.items))
    undeclared = [i for i in result.items if not i.character_set_declared]
    if undeclared:
        notice("worklist.undeclared_charset", lang, count=len(undeclared), character_set=undeclared[0].character_set)


def _fmt_date(da: str) -> str:
    return f"{da[:4]}-{da[4:6]}-{da[6:8]}" if len(da) == 8 and da.isdigit() else da


def _fmt_time(tm: str) -> str:
    return f"{tm[:2]}:{tm[2:4]}" if len(tm) >= 4 and tm[:4].isdigit() else tm


def rows(items: tuple[WorklistItem, ...] | list[WorklistItem]) -> list[dict[str, str]]:
    """One row per Scheduled Procedure Step (an answer with several steps gives several rows, same ID)."""
    out: list[dict[str, str]] = []
    for item in items:
        for step in item.steps or (item.first_step,):
            out.append({
                "id": item.item_id + ("!" if item.encoding_doubtful else ""),
                "when": f"{_fmt_date(step.start_date)} {_fmt_time(step.start_time)}".strip(),
                "patient": item.patient_name.replace("^", ", ", 1).replace("^", " "),
                "patient_id": item.patient_id,
                "birth": _fmt_date(item.birth_date),
                "sex": item.sex,
                "accession": item.accession_number,
                "procedure": step.description or item.requested_procedure_description,
                "station": step.station_ae_title,
                "modality": step.modality,
            })
    return out


def format_table(items: tuple[WorklistItem, ...] | list[WorklistItem], lang: str) -> str:
    """A plain-text table (umlauts kept as they are; no truncation of names)."""
    data = [{k: printable(v) for k, v in row.items()} for row in rows(items)]  # RIS text: escape controls
    heads = {k: (en if lang == "en" else de) for k, (en, de) in _COLUMNS.items()}
    widths = {k: max([len(heads[k]), *(len(r[k]) for r in data)]) for k in _COLUMNS}
    lines = ["  ".join(heads[k].ljust(widths[k]) for k in _COLUMNS).rstrip(),
             "  ".join("-" * widths[k] for k in _COLUMNS)]
    lines += ["  ".join(r[k].ljust(widths[k]) for k in _COLUMNS).rstrip() for r in data]
    return "\n".join(lines)


@cli.command("worklist")
@click.option("--date", "date_spec", default="today", show_default=True,
              help="today | YYYYMMDD | YYYYMMDD-YYYYMMDD | any.")
@click.option("--modality", default=None, help="Modality (default from config: worklist.modality).")
@click.option("--station", default=None, help="Scheduled Station AE Title (default: worklist.station_ae_title "
              "or our own AE title).")
@click.option("--any-station", is_flag=True, help="Do not filter by station.")
@click.option("--patient-name", default="", help='Patient name, wildcards * and ?, e.g. "Mül*".')
@click.option("--patient-id", default="", help="Patient ID.")
@click.option("--accession", default="", help="Accession number.")
@click.option("--from", "from_peer", default=None, help="Worklist server: peer name or AET@host:port.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per worklist entry.")
@pass_state
def worklist(state: AppState, /, date_spec: str, modality: str | None, station: str | None, any_station: bool,
             patient_name: str, patient_id: str, accession: str, from_peer: str | None, as_json: bool) -> int:
    """Show the scheduled procedure steps of the Modality Worklist."""
    if station and any_station:
        raise click.UsageError("--station and --any-station exclude each other")
    config = state.config
    with reporting(state):
        query = WorklistQuery.from_options(config, date_spec=date_spec, modality=modality, station=station,
                                           any_station=any_station, patient_name=patient_name,
                                           patient_id=patient_id, accession_number=accession)
        peer = resolve_peer(config, from_peer)
        result = query_worklist(config, query, peer=peer, cache=worklist_cache(config))
    report_result(result, state.lang, config.worklist.max_results)
    if as_json:
        for item in result.items:
            emit_json({**item.to_json(), "peer": result.peer, "stale": result.stale,
                       "fetched_at": result.fetched_at.isoformat(timespec="seconds")})
        return 0
    if not result.items:
        notice("worklist.empty", state.lang, peer=result.peer)
        return 0
    click.echo(format_table(result.items, state.lang))
    if any(i.encoding_doubtful for i in result.items):
        doubtful = next(i for i in result.items if i.encoding_doubtful)
        err = SmartboxError("worklist.charset_doubtful", item=doubtful.item_id,
                            character_set=doubtful.character_set)
        notice(err.key, state.lang, **err.params)
    return 0
