"""Regenerate ``docs/demo_montage.png`` from a fresh demo set.

Usage::

    python docs/make_demo_montage.py [OUT_PNG]

Makes 10 full-size cases (seed 0, shortcut 0.7, as the built-in demo set) in a temporary
folder and draws an HGG with the shortcut, an HGG without, and two LGG.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from lrpstudio.core.data.demo import DEFAULT_DEMO, DemoConfig, generate_demo, render_montage


def main(argv: list[str] | None = None) -> int:
    """Write the montage; returns the process exit code."""
    args = sys.argv[1:] if argv is None else argv
    out = Path(args[0]) if args else Path(__file__).resolve().with_name("demo_montage.png")
    config = DemoConfig(cases=10, seed=DEFAULT_DEMO.seed, shortcut=DEFAULT_DEMO.shortcut)
    with tempfile.TemporaryDirectory() as tmp:
        root = generate_demo(Path(tmp) / "demo", config)
        render_montage(root, out)
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
