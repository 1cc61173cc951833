"""``python -m smartbox_next.conformance --write DIR``: write every generated document (default config)."""

from __future__ import annotations

import argparse
from pathlib import Path

from smartbox_next.conformance import generated_docs


def main() -> int:
    parser = argparse.ArgumentParser(description="Write docs/conformance*.md, configuration.md, operations.md.")
    parser.add_argument("--write", type=Path, default=Path("docs"), help="target directory (default: docs)")
    args = parser.parse_args()
    args.write.mkdir(parents=True, exist_ok=True)
    for name, text in generated_docs().items():
        (args.write / name).write_text(text, encoding="utf-8", newline="\n")
        print(f"wrote {args.write / name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
