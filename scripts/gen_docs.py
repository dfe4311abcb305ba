#!/usr/bin/env python3
"""Writes the README's table of operations from core/catalog.json (the one description of every
call), between the `operations:begin` and `operations:end` markers.

    scripts/gen_docs.py          # rewrite README.md
    scripts/gen_docs.py --check  # exit 1 when README.md is stale (make test runs this)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BEGIN = "<!-- operations:begin"
END = "<!-- operations:end -->"


def table() -> str:
    catalog = json.loads((ROOT / "core" / "catalog.json").read_text(encoding="utf-8"))
    rows = [
        "| OpenAPI call | Rust method | HTTP | path after `…/apps/{appName}` | effect | what it does |",
        "|---|---|---|---|---|---|",
    ]
    for op in catalog["operations"]:
        tail = op["path_region"].removeprefix("/apps/{appName}") or "/"
        query = "".join(f"{'?' if i == 0 else '&'}{q}=" for i, q in enumerate(op["query"]))
        rows.append(
            f"| {op['name']} | `{op['method_name']}` | {op['http_method']} | `{tail}{query}` | "
            f"{op['effect'].replace('_', '-')} | {op['summary']} |"
        )
    return "\n".join(rows)


def main() -> int:
    readme = ROOT / "README.md"
    text = readme.read_text(encoding="utf-8")
    start = text.index(BEGIN)
    start = text.index("\n", start) + 1
    end = text.index(END)
    new = text[:start] + table() + "\n" + text[end:]
    if "--check" in sys.argv:
        if new != text:
            print("README.md's table of operations is stale: run scripts/gen_docs.py", file=sys.stderr)
            return 1
        return 0
    readme.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
