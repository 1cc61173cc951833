"""The catalogue entry type."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Message:
    """One catalogue entry: text and hint, in English and German."""

    en: str
    de: str
    hint_en: str
    hint_de: str


@dataclass(frozen=True)
class Bilingual:
    """A parameter value worded per language (e.g. a setting's expected form); ``str()`` is English."""

    en: str
    de: str

    def __str__(self) -> str:
        return self.en


@dataclass(frozen=True)
class Text:
    """A status line or label (not an error): English and German, same placeholders."""

    en: str
    de: str
