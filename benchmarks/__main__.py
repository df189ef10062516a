"""Run every benchmark under benchmarks/ and print one table (also written as JSON).

Each ``benchmarks/bench_<topic>.py`` exposes ``run(quick: bool = False) -> list[dict]``
returning rows ``{"benchmark", "case", "metric", "value", "unit"}``. Ratios are measured
side by side inside one benchmark, since absolute times on a shared machine are noisy.

Usage: ``python -m benchmarks [--quick] [--only NAME ...] [--json OUT]``
"""

from __future__ import annotations

import argparse
import importlib
import json
import platform
import sys
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _modules(only: list[str] | None) -> list[str]:
    names = sorted(p.stem for p in HERE.glob("bench_*.py"))
    if only:
        names = [n for n in names if any(o in n for o in only)]
    return names


def _format(rows: list[dict]) -> str:
    header = ("benchmark", "case", "metric", "value", "unit")
    table = [header] + [
        (r["benchmark"], r["case"], r["metric"], f"{r['value']:.4g}", r["unit"]) for r in rows
    ]
    widths = [max(len(str(row[i])) for row in table) for i in range(len(header))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(row, widths)) for row in table]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the selected benchmarks; returns 1 if any of them failed."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions, smaller inputs")
    parser.add_argument("--only", nargs="*", help="run only benchmarks whose name contains one of these")
    parser.add_argument("--json", type=Path, default=HERE / "results" / "latest.json",
                        help="where to write the rows as JSON (default: benchmarks/results/latest.json)")
    args = parser.parse_args(argv)
    rows: list[dict] = []
    failed: list[str] = []
    for name in _modules(args.only):
        start = time.perf_counter()
        print(f"[{name}] running...", file=sys.stderr, flush=True)
        try:
            rows.extend(importlib.import_module(f"benchmarks.{name}").run(quick=args.quick))
        except Exception:  # one broken benchmark must not hide the others' numbers
            traceback.print_exc()
            failed.append(name)
        print(f"[{name}] {time.perf_counter() - start:.1f} s", file=sys.stderr, flush=True)
    print(_format(rows))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"machine": platform.platform(), "python": sys.version.split()[0],
                                     "rows": rows, "failed": failed}, indent=2))
    print(f"\nwritten: {args.json}", file=sys.stderr)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
