"""Per-epoch heatmap PNG (the run folder's Fig. 7 sheet): Pillow contact sheet vs matplotlib.

Training renders this picture after every epoch. Inside the desktop app that happens in
the training thread, so what matters is not only how long it takes but how long it holds
the GIL: a thread that holds it stalls the GUI thread. Side by side in one run: the
lrpstudio renderer (Pillow, the GUI's own pixels) and a matplotlib figure of the same
layout (the renderer before), each timed alone, then run in a thread while the main thread
wakes every millisecond; the longest gap between wake-ups is how long the GIL was held.
"""

from __future__ import annotations

import io
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Callable

import numpy as np


def _matplotlib_sheet(images: np.ndarray, masks: np.ndarray, relevance: np.ndarray, vmax: float) -> bytes:
    """The same layout drawn with matplotlib's Agg canvas (inputs with outline over heatmaps)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    n = len(images)
    fig = Figure(figsize=(1.9 * n, 4.0))
    axes = fig.subplots(2, n, squeeze=False)
    for i in range(n):
        axes[0, i].imshow(images[i], cmap="gray", interpolation="nearest")
        axes[0, i].contour(masks[i].astype(float), levels=[0.5], colors="yellow", linewidths=0.8)
        axes[0, i].set_title(f"case {i}\nz{i}", fontsize=6)
        axes[1, i].imshow(relevance[i], cmap="bwr", vmin=-vmax, vmax=vmax, interpolation="nearest")
        axes[1, i].set_title("S=0.50\npred HGG (ok)", fontsize=7)
        for ax in axes[:, i]:
            ax.set_axis_off()
    fig.suptitle("epoch 1", fontsize=9)
    FigureCanvasAgg(fig)
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=110)
    return out.getvalue()


def _longest_gap(job: Callable[[], object], repeats: int) -> float:
    """Run ``job`` ``repeats`` times in a thread; the main thread's longest wait (s)."""
    thread = threading.Thread(target=lambda: [job() for _ in range(repeats)])
    gaps: list[float] = []
    thread.start()
    last = time.perf_counter()
    while thread.is_alive():
        time.sleep(0.001)
        now = time.perf_counter()
        gaps.append(now - last - 0.001)
        last = now
    thread.join()
    return max(gaps) if gaps else 0.0


def run(quick: bool = False) -> list[dict]:
    """Benchmark rows (see module docstring)."""
    from lrpstudio.core.train.heatmaps import Heatmaps
    from lrpstudio.core.render.figures import render_epoch_png

    repeats = 3 if quick else 10
    rows: list[dict] = []
    for size in (64, 128):
        rng = np.random.default_rng(0)
        n = 6
        images = rng.random((n, size, size)).astype(np.float32)
        masks = np.zeros((n, size, size), dtype=bool)
        masks[:, size // 4: size // 2, size // 4: size // 2] = True
        relevance = rng.normal(size=(n, size, size)).astype(np.float32)
        relevance /= np.abs(relevance).sum(axis=(1, 2), keepdims=True)
        maps = Heatmaps(relevance, np.full(n, 0.5), np.ones(n, dtype=np.int64), np.full(n, 0.5))
        with tempfile.TemporaryDirectory() as tmp:
            # the loop's arrays are bound as defaults: each job draws this size's slices
            def pillow(images: np.ndarray = images, masks: np.ndarray = masks, n: int = n,
                       maps: Heatmaps = maps, tmp: str = tmp) -> object:
                return render_epoch_png(Path(tmp) / "epoch.png", images, masks, np.ones(n),
                                        [f"case{i} z{i}" for i in range(n)], maps, 0.01, "epoch 1")

            def mpl(images: np.ndarray = images, masks: np.ndarray = masks,
                    relevance: np.ndarray = relevance) -> object:
                return _matplotlib_sheet(images, masks, relevance, 0.01)

            for name, job in (("Pillow sheet (lrpstudio)", pillow), ("matplotlib figure", mpl)):
                job()  # warm-up: imports, fonts
                times = []
                for _ in range(repeats):
                    start = time.perf_counter()
                    job()
                    times.append(time.perf_counter() - start)
                case = f"6 slices, {size} px, {name}"
                rows.append({"benchmark": "heatmap_png", "case": case, "metric": "render median",
                             "value": 1000 * statistics.median(times), "unit": "ms"})
                rows.append({"benchmark": "heatmap_png", "case": case,
                             "metric": "longest GIL hold seen by another thread",
                             "value": 1000 * _longest_gap(job, repeats), "unit": "ms"})
    return rows


if __name__ == "__main__":
    for row in run(quick=True):
        print(row)
