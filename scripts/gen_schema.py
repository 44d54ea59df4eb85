"""Regenerate schema/*.schema.json from the routine models: python scripts/gen_schema.py"""

from __future__ import annotations

from pathlib import Path

from matcast.routine.schema import SCHEMA_FILES, schema_text

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    for name in SCHEMA_FILES:
        target = ROOT / "schema" / name
        target.parent.mkdir(exist_ok=True)
        target.write_text(schema_text(name), encoding="utf-8")
        print(f"wrote {target.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
