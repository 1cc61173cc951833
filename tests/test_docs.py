"""Generated documents are committed and must equal what the code renders now (default configuration)."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

import pytest

from smartbox_next.config import SECTIONS
from smartbox_next.conformance import REGENERATE, generated_docs
from smartbox_next.conformance.docs import default_text
from smartbox_next.messages import CATALOGUE

DOCS = Path(__file__).resolve().parent.parent / "docs"


@pytest.fixture(scope="module")
def rendered() -> dict[str, str]:
    return generated_docs()


@pytest.mark.parametrize("name", ["conformance.md", "conformance.de.md", "configuration.md", "operations.md"])
def test_committed_doc_is_current(rendered: dict[str, str], name: str) -> None:
    path = DOCS / name
    assert path.exists(), f"docs/{name} missing; run {REGENERATE}"
    committed = path.read_text(encoding="utf-8")
    if committed != rendered[name]:
        diff = next(i for i, (a, b) in enumerate(zip(committed.splitlines(), rendered[name].splitlines(), strict=False))
                    if a != b) if committed.splitlines()[:1] else 0
        pytest.fail(f"docs/{name} differs from what the code renders (first at line {diff + 1}); "
                    f"regenerate with: {REGENERATE}")


def test_rendering_is_deterministic(rendered: dict[str, str]) -> None:
    assert generated_docs() == rendered
    assert not re.search(r"\b20\d\d-\d\d-\d\d\b", "".join(rendered.values()))  # no dates


def test_configuration_doc_covers_every_setting_with_its_default(rendered: dict[str, str]) -> None:
    rows = {}
    for line in rendered["configuration.md"].splitlines():
        m = re.match(r"^\| `([a-z_]+\.[a-z_0-9]+)` \| \w+ \| `(.*)` \| (.*) \| `(SMARTBOX_\w+)` \|$", line)
        if m:
            rows[m.group(1)] = (m.group(2), m.group(3), m.group(4))
    expected = {f"{s}.{f.name}": f for s, cls in SECTIONS.items() for f in fields(cls)}
    assert set(rows) == set(expected)
    for setting, f in expected.items():
        default, meaning, env = rows[setting]
        assert default == default_text(f.default), setting
        assert meaning == f.metadata["doc"].replace("|", "\\|"), setting
        assert env == f"SMARTBOX_{setting.replace('.', '_').upper()}"


def test_operations_doc_has_every_message_and_what_to_do(rendered: dict[str, str]) -> None:
    text = rendered["operations.md"]
    for key, msg in CATALOGUE.items():
        row = next((line for line in text.splitlines() if line.startswith(f"| `{key}` |")), None)
        assert row is not None, key
        assert msg.hint_en.replace("|", "\\|") in row and msg.hint_de.replace("|", "\\|") in row
        assert msg.hint_en and msg.hint_de, f"{key} tells the operator nothing to do"
