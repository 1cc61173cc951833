"""The bilingual catalogue: complete, consistent placeholders, formal German, and every key used in src/ exists."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest

from smartbox_next import errors
from smartbox_next.errors import ConfigError, SmartboxError
from smartbox_next.messages import CATALOGUE, TEXTS, Bilingual, placeholders, render, render_hint, say

SRC = Path(__file__).resolve().parents[1] / "src" / "smartbox_next"
ERROR_CLASSES = {name for name, obj in vars(errors).items()
                 if isinstance(obj, type) and issubclass(obj, SmartboxError)}
KEYS = sorted(CATALOGUE)


def test_catalogue_is_not_empty() -> None:
    assert len(CATALOGUE) > 20
    assert all(re.fullmatch(r"[a-z0-9_]+(\.[a-z0-9_]+)+", key) for key in KEYS), KEYS


@pytest.mark.parametrize("key", KEYS)
def test_every_key_has_all_texts(key: str) -> None:
    msg = CATALOGUE[key]
    for field in ("en", "de", "hint_en", "hint_de"):
        value = getattr(msg, field)
        assert isinstance(value, str) and value.strip(), f"{key}.{field} is empty"


@pytest.mark.parametrize("key", KEYS)
def test_same_placeholders_in_both_languages(key: str) -> None:
    msg = CATALOGUE[key]
    assert placeholders(msg.en) == placeholders(msg.de), key
    defined = placeholders(msg.en)
    assert placeholders(msg.hint_en) <= defined, (key, placeholders(msg.hint_en) - defined)
    assert placeholders(msg.hint_de) <= defined, (key, placeholders(msg.hint_de) - defined)
    assert placeholders(msg.hint_en) == placeholders(msg.hint_de), key


@pytest.mark.parametrize("key", KEYS)
def test_templates_render(key: str) -> None:
    msg = CATALOGUE[key]
    params = {name: f"<{name}>" for name in placeholders(msg.en)}
    for lang in ("en", "de"):
        text = render(key, lang, params)
        assert "{" not in text and "}" not in text, text
        assert all(f"<{name}>" in text for name in params)
        hint = render_hint(key, lang, params)
        assert hint and "{" not in hint


_INFORMAL = re.compile(r"\b(du|dich|dir|dein|deine|deinen|deinem|deiner|deines|ihr|euch|euer|eure)\b")


@pytest.mark.parametrize("key", KEYS)
def test_german_is_formal(key: str) -> None:
    msg = CATALOGUE[key]
    for text in (msg.de, msg.hint_de):
        lowered = text.lower()
        # "Ihr"/"Ihre" (capitalised, formal) is fine; lower-case "ihr" would address a group informally.
        informal = [w for w in _INFORMAL.findall(lowered) if not (w.startswith("ihr") or w.startswith("eu"))]
        assert not informal, (key, text)
        assert not re.search(r"\bihr(e|en|em|er)?\b", text), (key, text)
        assert not re.search(r"\b(Du|Dich|Dir|Dein\w*)\b", text), (key, text)


@pytest.mark.parametrize("key", sorted(TEXTS))
def test_status_texts_are_complete_consistent_and_formal(key: str) -> None:
    text = TEXTS[key]
    assert text.en.strip() and text.de.strip(), key
    assert placeholders(text.en) == placeholders(text.de), key
    params = {name: f"<{name}>" for name in placeholders(text.en) if name not in _NUMERIC_TEXT_PARAMS}
    params |= {name: 1 for name in placeholders(text.en) if name in _NUMERIC_TEXT_PARAMS}
    for lang in ("en", "de"):
        rendered = say(key, lang, params)
        assert "{" not in rendered and "}" not in rendered, rendered
    lowered = text.de.lower()
    informal = [w for w in _INFORMAL.findall(lowered) if not (w.startswith("ihr") or w.startswith("eu"))]
    assert not informal, (key, text.de)


_NUMERIC_TEXT_PARAMS = {"job", "attempts", "mb"}  # formatted with a number format in a template


def test_german_hints_ask_formally() -> None:
    # The operator is addressed with "Bitte …" or "Sie"; a hint that neither asks nor addresses is an exception.
    hints = [msg.hint_de for msg in CATALOGUE.values() if msg.hint_de]
    polite = [h for h in hints if re.search(r"\b(Bitte|bitte|Sie)\b", h) or h.startswith("Nichts zu tun")]
    assert len(polite) >= 0.8 * len(hints), sorted(set(hints) - set(polite))
    assert any(re.search(r"\bSie\b", h) for h in hints)


def test_german_texts_are_german() -> None:
    # Every German text differs from its English twin (a forgotten translation is a copy).
    same = [key for key, msg in CATALOGUE.items() if msg.de == msg.en or (msg.hint_en and msg.hint_de == msg.hint_en)]
    assert not same, same


def test_unknown_key_renders_key_and_params() -> None:
    assert render("no.such.key", "de", {"a": 1}) == "no.such.key {'a': 1}"
    assert render_hint("no.such.key", "de", {}) == ""


def test_missing_param_renders_placeholder() -> None:
    assert "{setting}" in render("config.invalid_value", "en", {"value": 1, "expected": "x"})


def test_unknown_language_falls_back_to_english() -> None:
    assert render("config.unknown_peer", "fr", {"name": "x"}) == render("config.unknown_peer", "en", {"name": "x"})


def test_bilingual_params_follow_the_language() -> None:
    params = {"setting": "a.b", "value": "v", "expected": Bilingual("a number", "eine Zahl")}
    assert "a number" in render("config.invalid_value", "en", params)
    de = render("config.invalid_value", "de", params)
    assert "eine Zahl" in de and "a number" not in de
    assert str(ConfigError("config.invalid_value", **params)).endswith("expected a number.")


# --- every key used in src/ exists ----------------------------------------------------------------------


_FILE_SUFFIXES = {"sqlite", "db", "toml", "json", "dcm", "log", "txt", "py", "tmp", "lock"}


def _used_keys() -> list[tuple[str, str, int]]:
    """(key, file, line) for every string literal passed first to an error class anywhere in src/."""
    found = []
    for path in sorted(SRC.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            first = node.args[0]
            if ((name in ERROR_CLASSES or name in ("_fail", "_error", "_err"))
                    and isinstance(first, ast.Constant) and isinstance(first.value, str)):
                found.append((first.value, str(path.relative_to(SRC.parent)), node.lineno))
        # keys handed around as data (tables mapping outcomes to keys): "area.something" literals
        for node in ast.walk(tree):
            if (isinstance(node, ast.Constant) and isinstance(node.value, str)
                    and re.fullmatch(r"(config|uid|attr|input|image|still|media|net|validate|worklist|outbox|"
                                     r"spool|store|dimse|mwl|video|cli)\.[a-z0-9_]+(\.[a-z0-9_]+)*", node.value)
                    and not path.is_relative_to(SRC / "messages")
                    and node.value.rsplit(".", 1)[1] not in _FILE_SUFFIXES):
                found.append((node.value, str(path.relative_to(SRC.parent)), node.lineno))
    return found


def test_scanner_finds_keys() -> None:
    keys = {key for key, _, _ in _used_keys()}
    assert {"config.invalid_value", "uid.bad_root", "attr.too_long", "input.output_unwritable"} <= keys


def test_every_error_key_used_in_src_exists() -> None:
    used = _used_keys()
    missing = sorted({(key, f"{file}:{line}") for key, file, line in used
                      if key not in CATALOGUE and not _is_setting_name(key)})
    assert not missing, "message keys used in src/ but missing from messages.CATALOGUE:\n" + "\n".join(
        f"  {key!r} in {where}" for key, where in missing)


def _is_setting_name(text: str) -> bool:
    """Setting names such as ``video.allow_transcode`` look like keys but are not messages."""
    from smartbox_next.config import MOVED_SETTINGS, SECTIONS

    section, _, name = text.partition(".")
    if text in MOVED_SETTINGS:
        return True
    return section in SECTIONS and name in {f for f in SECTIONS[section].__dataclass_fields__}


# --- status lines and labels (messages.TEXTS) --------------------------------------------------------------

TEXT_KEYS = sorted(TEXTS)


@pytest.mark.parametrize("key", TEXT_KEYS)
def test_texts_have_both_languages_with_the_same_placeholders(key: str) -> None:
    text = TEXTS[key]
    assert text.en.strip() and text.de.strip(), key
    assert placeholders(text.en) == placeholders(text.de), key
    assert text.en != text.de, f"{key}: German is a copy of the English text"
    assert re.fullmatch(r"[a-z0-9_]+(\.[a-z0-9_]+)+", key), key
    assert key not in CATALOGUE, f"{key} is both an error and a text"


@pytest.mark.parametrize("key", TEXT_KEYS)
def test_texts_render_and_german_is_formal(key: str) -> None:
    numeric = {name for _, name, spec, _ in string.Formatter().parse(TEXTS[key].en) if name and spec}
    params: dict[str, object] = {name: 7 if name in numeric else f"<{name}>" for name in placeholders(TEXTS[key].en)}
    for lang in ("en", "de"):
        out = say(key, lang, params)
        assert "{" not in out and all(f"<{name}>" in out for name in params if name not in numeric)
    assert not re.search(r"\b(du|dich|dir|dein\w*)\b", TEXTS[key].de.lower()), key


def test_parameters_from_outside_are_escaped() -> None:
    out = render("worklist.bad_uid", "en", {"item": "X", "attribute": "Study Instance UID", "value": "a\x1b[2Jb\n"})
    assert "\x1b" not in out and "\\x1b[2Jb\\x0a" in out
