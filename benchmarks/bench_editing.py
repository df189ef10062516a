"""Mask-editing speed on a BraTS-sized volume (240 x 240 x 155): median and p95 per operation.

Aim (issue 5): a brush dab in 16 ms p95 or less. Operations are measured through the
:class:`EditSession` a GUI uses, journaling into a temporary workspace (fsync included).
"""

from __future__ import annotations

import tempfile
import time
from typing import Callable

import numpy as np

from lrpstudio.core.editing import BrushSettings, EditSession

SHAPE = (240, 240, 155)


def _volume() -> tuple[np.ndarray, np.ndarray]:
    """A segmentation with an ellipsoidal tumour (oedema, core, enhancing) and a FLAIR-like image."""
    x, y, z = np.ogrid[:SHAPE[0], :SHAPE[1], :SHAPE[2]]
    r = ((x - 120) / 40.0) ** 2 + ((y - 110) / 35.0) ** 2 + ((z - 80) / 25.0) ** 2
    seg = np.zeros(SHAPE, np.uint8)
    seg[r <= 1.0] = 2
    seg[r <= 0.45] = 3
    seg[r <= 0.2] = 1
    flair = (np.random.default_rng(0).normal(100, 10, SHAPE) + 80 * (r <= 1.0)).astype(np.float32)
    return seg, flair


def _stats(samples: list[float]) -> tuple[float, float]:
    ms = np.asarray(samples) * 1e3
    return float(np.median(ms)), float(np.percentile(ms, 95))


def _rows(case: str, samples: list[float]) -> list[dict]:
    median, p95 = _stats(samples)
    return [{"benchmark": "editing", "case": case, "metric": "median", "value": median, "unit": "ms"},
            {"benchmark": "editing", "case": case, "metric": "p95", "value": p95, "unit": "ms"}]


def _time(action: Callable[[], object], repeats: int) -> list[float]:
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        samples.append(time.perf_counter() - start)
    return samples


def _dabs(session: EditSession, brush: BrushSettings, count: int, z: int) -> list[float]:
    """Time ``stroke_to`` along a drag (2 voxels per mouse move), as a GUI sends it.

    Each case drags over its own, unpainted slice ``z`` so that every dab changes voxels.
    """
    session.set_brush(brush)
    session.begin_stroke()
    samples = []
    for i in range(count):
        point = (40 + (i * 2) % 160, 40 + (i // 80) * 8 % 160, z)
        start = time.perf_counter()
        session.stroke_to(point)
        samples.append(time.perf_counter() - start)
    session.end_stroke()
    return samples


def _click(session: EditSession) -> float:
    """Time one brush click (a one-dab stroke, committed and fsynced), then undo it untimed."""
    start = time.perf_counter()
    step = session.paint((30, 30 + int(start * 1000) % 150, 10))
    elapsed = time.perf_counter() - start
    assert step is not None  # a click that changes nothing would not be journaled
    session.undo()
    return elapsed


def run(quick: bool = False) -> list[dict]:
    """Benchmark rows: brush 2D/3D, flood fill, fill holes, undo/redo, interpolation, journal flush."""
    repeats = 10 if quick else 40
    dabs = 100 if quick else 600
    seg, flair = _volume()
    rows: list[dict] = []
    with tempfile.TemporaryDirectory() as workspace:
        session = EditSession(seg, images={"flair": flair}, workspace=workspace, case_id="bench")
        session.set_active_label(1)
        rows += _rows("brush dab 2D r=5", _dabs(session, BrushSettings(radius=5), dabs, 70))
        rows += _rows("brush dab 2D r=15", _dabs(session, BrushSettings(radius=15), dabs, 75))
        rows += _rows("brush dab 3D r=5", _dabs(session, BrushSettings(radius=5, shape="ball"), dabs, 90))
        rows += _rows("brush dab 2D r=10 intensity-limited",
                      _dabs(session, BrushSettings(radius=10, intensity_range=(150.0, 400.0)), dabs, 85))

        def stroke() -> float:
            start = time.perf_counter()
            session.begin_stroke()
            for x in range(80, 160, 2):
                session.stroke_to((x, 100, 60))
            session.end_stroke()  # merge + journal commit + fsync
            elapsed = time.perf_counter() - start
            session.undo()  # untimed: the next stroke paints the same voxels again
            return elapsed

        rows += _rows("stroke of 40 dabs incl. journal flush", [stroke() for _ in range(repeats)])
        session.redo()
        undo_times: list[float] = []
        redo_times: list[float] = []
        for _ in range(repeats):  # alternate: each undo and redo moves the same 40-dab stroke
            undo_times += _time(session.undo, 1)
            redo_times += _time(session.redo, 1)
        rows += _rows("undo of a 40-dab stroke incl. journal flush", undo_times)
        rows += _rows("redo of a 40-dab stroke incl. journal flush", redo_times)
        session.set_brush(BrushSettings(radius=5))
        rows += _rows("brush click (1 dab) incl. journal flush", [_click(session) for _ in range(repeats)])
        rows += _rows("flood fill 2D (axial, background)",
                      _time(lambda: (session.flood_fill((5, 5, 70), plane="axial"), session.undo()), repeats))
        rows += _rows("flood fill 3D (tumour label)",
                      _time(lambda: (session.flood_fill((120, 110, 80), plane=None), session.undo()), repeats))
        session.set_active_label(3)
        rows += _rows("fill holes 3D", _time(lambda: (session.fill_holes(), session.undo()), repeats))
        rows += _rows("remove small islands 3D", _time(lambda: session.remove_small_islands(50), repeats))
        session.set_active_label(1)
        session.set_brush(BrushSettings(radius=12, paint_over="everything"))
        session.paint((120, 110, 40))
        session.paint((125, 112, 70))
        rows += _rows("interpolation preview (30 slices)",
                      _time(lambda: session.preview_interpolation("axial", key_slices=[40, 70]), repeats))
        preview = session.preview_interpolation("axial", key_slices=[40, 70])
        rows += _rows("interpolation apply", _time(lambda: session.apply_preview(preview), 1))
        session.close()
    return rows


if __name__ == "__main__":
    for row in run(quick=True):
        print(f"{row['case']:45s} {row['metric']:7s} {row['value']:9.3f} {row['unit']}")
