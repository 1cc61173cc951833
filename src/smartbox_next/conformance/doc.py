"""A tiny document model (headings, paragraphs, lists, tables) rendered as Markdown or HTML.

The conformance statement (PS3.2 Annex N) and the operator documents are built once as a list of
blocks and rendered in either format, so the two renderings cannot say different things.
Output is deterministic: no timestamps, stable ordering, ``\\n`` line ends.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field


def t(lang: str, en: str, de: str) -> str:
    """``en`` or ``de`` for ``lang`` (German texts use the formal "Sie")."""
    return de if lang == "de" else en


@dataclass(frozen=True)
class Heading:
    level: int
    text: str
    anchor: str = ""


@dataclass(frozen=True)
class Para:
    text: str


@dataclass(frozen=True)
class Bullets:
    items: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    caption: str = ""


@dataclass(frozen=True)
class Code:
    text: str


Block = Heading | Para | Bullets | Table | Code


@dataclass
class Document:
    """An ordered list of blocks with a title."""

    title: str
    lang: str = "en"
    blocks: list[Block] = field(default_factory=list)

    def h(self, level: int, text: str) -> None:
        self.blocks.append(Heading(level, text))

    def p(self, text: str) -> None:
        self.blocks.append(Para(text))

    def ul(self, items: Sequence[str]) -> None:
        self.blocks.append(Bullets(tuple(items)))

    def table(self, headers: Sequence[str], rows: Sequence[Sequence[str]], caption: str = "") -> None:
        self.blocks.append(Table(tuple(headers), tuple(tuple(str(c) for c in r) for r in rows), caption))

    def code(self, text: str) -> None:
        self.blocks.append(Code(text))


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ") or " "


def to_markdown(doc: Document) -> str:
    """GitHub-flavoured Markdown."""
    out: list[str] = [f"# {doc.title}", ""]
    for b in doc.blocks:
        if isinstance(b, Heading):
            out += ["#" * (b.level + 1) + " " + b.text, ""]
        elif isinstance(b, Para):
            out += [b.text, ""]
        elif isinstance(b, Bullets):
            out += [f"- {item}" for item in b.items] + [""]
        elif isinstance(b, Table):
            if b.caption:
                out += [f"*{b.caption}*", ""]
            out.append("| " + " | ".join(_md_cell(h) for h in b.headers) + " |")
            out.append("|" + "|".join("---" for _ in b.headers) + "|")
            out += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in b.rows]
            out.append("")
        else:
            out += ["```", b.text.rstrip("\n"), "```", ""]
    return "\n".join(out).rstrip("\n") + "\n"


def _inline(text: str) -> str:
    """HTML-escape, then turn Markdown ``code`` and **bold** spans into tags."""
    escaped = html.escape(text, quote=False)
    parts = escaped.split("`")
    for i in range(1, len(parts), 2):
        parts[i] = f"<code>{parts[i]}</code>"
    joined = "".join(parts)
    bold = joined.split("**")
    for i in range(1, len(bold), 2):
        bold[i] = f"<strong>{bold[i]}</strong>"
    return "".join(bold)


def to_html(doc: Document) -> str:
    """A self-contained HTML page (no scripts, one small style sheet)."""
    out = [
        "<!DOCTYPE html>",
        f'<html lang="{doc.lang}">',
        '<head><meta charset="utf-8">',
        f"<title>{html.escape(doc.title)}</title>",
        "<style>body{font-family:sans-serif;max-width:72em;margin:auto;padding:1em}"
        "table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #999;padding:.2em .4em;"
        "vertical-align:top;text-align:left}th{background:#eee}code{font-size:.95em}</style>",
        "</head>",
        "<body>",
        f"<h1>{html.escape(doc.title)}</h1>",
    ]
    for b in doc.blocks:
        if isinstance(b, Heading):
            n = min(6, b.level + 1)
            out.append(f"<h{n}>{_inline(b.text)}</h{n}>")
        elif isinstance(b, Para):
            out.append(f"<p>{_inline(b.text)}</p>")
        elif isinstance(b, Bullets):
            out.append("<ul>" + "".join(f"<li>{_inline(i)}</li>" for i in b.items) + "</ul>")
        elif isinstance(b, Table):
            out.append("<table>")
            if b.caption:
                out.append(f"<caption>{_inline(b.caption)}</caption>")
            out.append("<tr>" + "".join(f"<th>{_inline(h)}</th>" for h in b.headers) + "</tr>")
            out += ["<tr>" + "".join(f"<td>{_inline(c)}</td>" for c in row) + "</tr>" for row in b.rows]
            out.append("</table>")
        else:
            out.append(f"<pre>{html.escape(b.text)}</pre>")
    out += ["</body>", "</html>"]
    return "\n".join(out) + "\n"


def render(doc: Document, fmt: str) -> str:
    """``md`` or ``html``."""
    if fmt == "html":
        return to_html(doc)
    if fmt == "md":
        return to_markdown(doc)
    raise ValueError(f"unknown format {fmt!r}")
