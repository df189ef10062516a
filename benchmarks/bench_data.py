"""BraTS data layer: discovery (headers only and deep), load_case, save_correction.

Rows, all on BraTS-sized cases (240 x 240 x 155, 4 int16 modalities + uint8 seg, .nii.gz):

- ``discover_headers``: ``discover(root)`` per case (what the GUI and prepare do first);
- ``discover_deep``: ``discover(root, deep=True)`` per case (what ``lrpstudio inspect`` does);
- ``nibabel_read``: reading the same 5 files with plain nibabel (the decompression floor);
- ``load_case``: one case into memory, validated; ``load_vs_nibabel`` is its ratio to the floor;
- ``save_correction``: write + read-back check + sidecar of one corrected mask.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Callable

import nibabel as nib
import numpy as np

from lrpstudio.core.data.loading import load_case
from lrpstudio.core.data.corrections import save_correction
from lrpstudio.core.data.discovery import discover
from lrpstudio.core.data.layouts import Release
from lrpstudio.core.data.workspace import open_workspace

SHAPE = (240, 240, 155)


def _best(job: Callable[[], object], repeats: int) -> float:
    """Best wall time of ``repeats`` runs (the least disturbed by other processes)."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        job()
        times.append(time.perf_counter() - start)
    return min(times)


def _row(case: str, metric: str, value: float, unit: str) -> dict:
    return {"benchmark": "data", "case": case, "metric": metric, "value": float(value), "unit": unit}


def run(quick: bool = False) -> list[dict]:
    """Measure and return the benchmark rows."""
    from tests.brats_factory import write_dataset  # the test factory writes BraTS-like cases

    n_cases, repeats = (2, 2) if quick else (6, 3)
    rows: list[dict] = []
    with tempfile.TemporaryDirectory() as tmp:
        root = write_dataset(Path(tmp) / "data", Release.BRATS2021, n_cases - n_cases // 3,
                             n_cases // 3, shape=SHAPE)
        case_name = f"{n_cases} cases {SHAPE[0]}x{SHAPE[1]}x{SHAPE[2]}"
        headers = _best(lambda: discover(root), repeats)
        deep = _best(lambda: discover(root, deep=True), 1)
        rows += [_row(case_name, "discover_headers", 1000 * headers / n_cases, "ms/case"),
                 _row(case_name, "discover_deep", deep / n_cases, "s/case")]
        refs, _ = discover(root)
        files = sorted(refs[0].files.values())
        floor = _best(lambda: [np.asanyarray(nib.load(str(f)).dataobj) for f in files], repeats)
        load = _best(lambda: load_case(refs[0]), repeats)
        rows += [_row("1 case", "nibabel_read", floor, "s"), _row("1 case", "load_case", load, "s"),
                 _row("1 case", "load_vs_nibabel", load / floor, "x")]
        case = load_case(refs[0])
        seg = case.seg.copy()
        seg[seg == 2] = 0
        workspace = open_workspace(Path(tmp) / "ws")
        save = _best(lambda: save_correction(case, seg, workspace), repeats)
        rows.append(_row("1 case", "save_correction", save, "s"))
    return rows


if __name__ == "__main__":  # pragma: no cover
    for r in run(quick=True):
        print(r)
