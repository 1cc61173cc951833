"""The DICOM Conformance Statement (PS3.2 Annex N) and the operator documents, generated from the code.

``render_statement(config, fmt, lang)`` renders the statement for a configuration; ``generated_docs()``
returns every committed document (``docs/conformance.md``, ``docs/conformance.de.md``,
``docs/configuration.md``, ``docs/operations.md``) as rendered from the *default* configuration, which
``python -m smartbox_next.conformance`` (``scripts/gen-docs``) writes and a test compares byte for byte.
"""

from __future__ import annotations

from smartbox_next.config import Config

REGENERATE = "scripts/gen-docs  (or: python -m smartbox_next.conformance --write docs)"


def render_statement(config: Config, fmt: str = "md", lang: str = "en", *, defaults: bool = False) -> str:
    """The conformance statement for ``config`` as ``md`` or ``html`` in ``en`` or ``de``."""
    from smartbox_next.conformance import doc, statement

    return doc.render(statement.build(config, lang, defaults=defaults), fmt)


def generated_docs() -> dict[str, str]:
    """File name (under ``docs/``) -> content, all from the default configuration."""
    from smartbox_next.conformance import docs

    config = Config()
    return {
        "conformance.md": render_statement(config, "md", "en", defaults=True),
        "conformance.de.md": render_statement(config, "md", "de", defaults=True),
        "configuration.md": docs.configuration_md(),
        "operations.md": docs.operations_md(),
    }


__all__ = ["REGENERATE", "generated_docs", "render_statement"]
