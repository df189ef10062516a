"""Demo-data generation time: one case (made / written), and a whole set.

Rows:

- ``case/synthesize``: one 240x240x155 case in memory (anatomy, tumour, shortcut, noise);
- ``case/write``: writing its 5 NIfTI files (deflate level 1, run-length strategy), and
  ``case/write_gzip6`` with gzip level 6, side by side (``ratio`` = level-6 / ours);
- ``set/<n> cases``: ``generate_demo`` of the default set (40 cases; 4 with ``quick``) on
  all cores, wall time and per case.
"""

from __future__ import annotations

import gzip
import tempfile
import time
from pathlib import Path

import nibabel as nib

from lrpstudio.core.data.demo import DEFAULT_DEMO, DemoConfig, generate_demo, synthesize_case
from lrpstudio.core.data.demo.generate import worker_count
from lrpstudio.core.data.demo.writer import brats_affine, write_case_files

NAME = "demo"


def _row(case: str, metric: str, value: float, unit: str) -> dict:
    return {"benchmark": NAME, "case": case, "metric": metric, "value": float(value), "unit": unit}


def _best(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def _write_gzip6(folder: Path, images: dict, seg) -> None:
    affine = brats_affine(seg.shape)
    for name, volume in {**images, "seg": seg}.items():
        image = nib.Nifti1Image(volume, affine)
        (folder / f"{name}.nii.gz").write_bytes(gzip.compress(image.to_bytes(), compresslevel=6))


def run(quick: bool = False) -> list[dict]:
    """Measure; returns rows for the benchmark table."""
    repeats = 1 if quick else 3
    rows = []
    synth = _best(lambda: synthesize_case(DEFAULT_DEMO.shape, 0, 1, "HGG", 1.0), repeats)
    rows.append(_row("case", "synthesize", synth, "s"))
    case = synthesize_case(DEFAULT_DEMO.shape, 0, 1, "HGG", 1.0)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write1 = _best(lambda: write_case_files(root, DEFAULT_DEMO.layout, "BraTS20_Training_001", "HGG",
                                                case.images, case.seg), repeats)
        write6 = _best(lambda: _write_gzip6(root, case.images, case.seg), repeats)
    rows.append(_row("case", "write", write1, "s"))
    rows.append(_row("case", "write_gzip6", write6, "s"))
    rows.append(_row("case", "write_gzip6/write ratio", write6 / write1, "x"))
    config = DemoConfig(cases=4) if quick else DEFAULT_DEMO
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        generate_demo(Path(tmp) / "demo", config)
        wall = time.perf_counter() - start
    label = f"set/{config.cases} cases, {worker_count(config)} workers"
    rows.append(_row(label, "wall", wall, "s"))
    rows.append(_row(label, "per case", wall / config.cases, "s"))
    return rows


if __name__ == "__main__":  # pragma: no cover
    for r in run(quick=True):
        print(r)
