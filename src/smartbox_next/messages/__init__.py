"""Bilingual message catalogue: key -> English and German text, each with a hint.

One module per area (``core``, ``media``, ``net``, ``web``, ``worklist``, ``outbox``) holds a
``MESSAGES`` dict of errors (each with a hint); this package merges them and refuses duplicate keys.
:data:`TEXTS` (``texts.py``, and ``TEXTS`` of an area module such as ``workflow``) holds status lines and labels, rendered with :func:`say`. German uses
the formal "Sie" and names the action to take. Placeholders are ``{name}`` and
must be the same in both languages (checked by a test).
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from typing import Any, TypeVar

from smartbox_next.messages import core, image, media, net, objects, outbox, station, web, workflow, worklist
from smartbox_next.messages._types import Bilingual, Message, Text
from smartbox_next.messages.language import LANGUAGES, operator_language, os_reason, system_language
from smartbox_next.messages.printable import printable
from smartbox_next.messages.texts import TEXTS as _TEXTS

_Entry = TypeVar("_Entry", Message, Text)


def _merge(*parts: Mapping[str, _Entry]) -> dict[str, _Entry]:
    merged: dict[str, _Entry] = {}
    for part in parts:
        for key, msg in part.items():
            if key in merged:
                raise RuntimeError(f"duplicate message key {key!r}")
            merged[key] = msg
    return merged


CATALOGUE: dict[str, Message] = _merge(
    core.MESSAGES, image.MESSAGES, media.MESSAGES, net.MESSAGES, worklist.MESSAGES, outbox.MESSAGES,
    web.MESSAGES, workflow.MESSAGES, objects.MESSAGES, station.MESSAGES,
)
TEXTS: dict[str, Text] = _merge(_TEXTS, workflow.TEXTS, station.TEXTS)


class _Lenient(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _fmt(template: str, params: Mapping[str, Any], lang: str = "en") -> str:
    localized = {k: (v.de if lang == "de" else v.en) if isinstance(v, Bilingual)
                 else printable(v) if isinstance(v, str) else v for k, v in params.items()}
    return string.Formatter().vformat(template, (), _Lenient(localized))


def _lang(lang: str) -> str:
    return lang if lang in LANGUAGES else "en"


def render(key: str, lang: str, params: Mapping[str, Any]) -> str:
    """The message for ``key`` in ``lang``; an unknown key renders as the key with its params."""
    msg = CATALOGUE.get(key)
    if msg is None:
        return f"{key} {dict(params)}"
    return _fmt(msg.de if _lang(lang) == "de" else msg.en, params, _lang(lang))


def render_hint(key: str, lang: str, params: Mapping[str, Any]) -> str:
    """What the operator should do about ``key``, in ``lang``."""
    msg = CATALOGUE.get(key)
    if msg is None:
        return ""
    return _fmt(msg.hint_de if _lang(lang) == "de" else msg.hint_en, params, _lang(lang))


def say(key: str, lang: str, params: Mapping[str, Any] | None = None) -> str:
    """The status line or label ``key`` (:data:`TEXTS`) in ``lang``; an unknown key renders as the key."""
    text = TEXTS.get(key)
    if text is None:
        return f"{key} {dict(params or {})}"
    return _fmt(text.de if _lang(lang) == "de" else text.en, params or {}, _lang(lang))


def placeholders(template: str) -> set[str]:
    """The ``{name}`` fields of a template."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


__all__ = ["CATALOGUE", "LANGUAGES", "TEXTS", "Bilingual", "Message", "Text", "operator_language", "os_reason",
           "placeholders", "printable", "render", "render_hint", "say", "system_language"]
