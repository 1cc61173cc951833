"""``smartbox worklist``: query the Modality Worklist (PS3.4 K.6) and show it as a table or JSON lines.

When the worklist server cannot be reached, the last answer to the same query is shown, and a notice in
the operator's language says it is stale and how old it is.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import click

from smartbox_next.app.station import worklist_cache
from smartbox_next.cli._app import AppState, WordedUsageError, cli, emit_json, pass_state, reporting
from smartbox_next.cli._table import format_table as table_lines
from smartbox_next.errors import SmartboxError
from smartbox_next.messages import render, render_hint, say

if TYPE_CHECKING:  # the worklist stage loads pydicom (and the service pynetdicom): imported where used
    from smartbox_next.worklist.item import WorklistItem, WorklistResult

_COLUMNS = ("patient", "birth", "procedure", "when", "accession", "patient_id", "id")  # as the legacy station
_SEX = {"de": {"M": "m", "F": "w", "O": "d"}, "en": {"M": "M", "F": "F", "O": "O"}}


def notice(key: str, lang: str, **params: Any) -> None:
    """A bilingual catalogue message and its hint on stderr (not an error)."""
    label = say("label.note", lang)
    click.echo(f"{label}: {render(key, lang, params)}", err=True)
    hint = render_hint(key, lang, params)
    if hint:
        click.echo(f"  → {hint}", err=True)


def report_result(result: WorklistResult, lang: str, limit: int | None = None) -> None:
    """Tell the operator when the list is stale, truncated, or read with an assumed character set."""
    from smartbox_next.worklist.item import age_text

    if result.stale:
        notice("worklist.stale", lang, peer=result.peer, age=age_text(result.age(), lang),
               fetched_at=result.fetched_at.strftime("%Y-%m-%d %H:%M"))
    if result.truncated:
        notice("worklist.truncated", lang, limit=limit if limit is not None else len(result.items))
    undeclared = [i for i in result.items if not i.character_set_declared]
    if undeclared:
        notice("worklist.undeclared_charset", lang, count=len(undeclared), character_set=undeclared[0].character_set)


def _fmt_date(da: str, lang: str) -> str:
    if len(da) == 8 and da.isdigit():
        return f"{da[6:8]}.{da[4:6]}.{da[:4]}" if lang == "de" else f"{da[:4]}-{da[4:6]}-{da[6:8]}"
    return da


def _fmt_time(tm: str) -> str:
    return f"{tm[:2]}:{tm[2:4]}" if len(tm) >= 4 and tm[:4].isdigit() else tm


def rows(items: tuple[WorklistItem, ...] | list[WorklistItem], lang: str = "en") -> list[dict[str, str]]:
    """One row per Scheduled Procedure Step (an answer with several steps gives several rows, same ID), sorted by
    scheduled start date and time, then patient name."""
    out: list[tuple[tuple[str, str, str], dict[str, str]]] = []
    for item in items:
        for step in item.steps or (item.first_step,):
            name = item.patient_name.replace("^", ", ", 1).replace("^", " ")
            sex = _SEX["de" if lang == "de" else "en"].get(item.sex, item.sex)
            out.append(((step.start_date, step.start_time, item.patient_name), {
                "id": item.item_id + ("!" if item.encoding_doubtful else ""),
                "when": f"{_fmt_date(step.start_date, lang)} {_fmt_time(step.start_time)}".strip(),
                "patient": f"{name} ({sex})" if sex else name,
                "patient_id": item.patient_id,
                "birth": _fmt_date(item.birth_date, lang),
                "accession": item.accession_number,
                "procedure": step.description or item.requested_procedure_description,
            }))
    return [row for _, row in sorted(out, key=lambda pair: pair[0])]


def title(result: WorklistResult, lang: str, now: datetime | None = None) -> str:
    """``Worklist RIS@host:104: 3 entries, as of 14:03`` — and, from the cache, the stale marker and its age."""
    from smartbox_next.worklist.item import age_text

    params = {"peer": result.peer, "count": len(rows(result.items, lang)),
              "fetched_at": result.fetched_at.strftime("%Y-%m-%d %H:%M"),
              "age": age_text(result.age(now), lang)}
    return say("worklist_table.title_stale" if result.stale else "worklist_table.title", lang, params)


def format_table(items: tuple[WorklistItem, ...] | list[WorklistItem], lang: str) -> str:
    """A plain-text table (umlauts kept as they are; no truncation of names; control characters escaped)."""
    data = rows(items, lang)
    heads = [say(f"worklist_table.col_{k}", lang) for k in _COLUMNS]
    return "\n".join(table_lines(heads, [[r[k] for k in _COLUMNS] for r in data]))


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
    from smartbox_next.worklist.query import WorklistQuery
    from smartbox_next.worklist.service import query_worklist, resolve_peer

    if station and any_station:
        raise WordedUsageError(say("usage.station_and_any_station", state.lang))
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
    click.echo(title(result, state.lang))
    click.echo(format_table(result.items, state.lang))
    if any(i.encoding_doubtful for i in result.items):
        doubtful = next(i for i in result.items if i.encoding_doubtful)
        err = SmartboxError("worklist.charset_doubtful", item=doubtful.item_id,
                            character_set=doubtful.character_set)
        notice(err.key, state.lang, **err.params)
    return 0
