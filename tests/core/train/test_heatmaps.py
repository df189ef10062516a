"""Fig. 7 and Fig. 5 PNGs: the GUI's pixels, quick, and without cyclic garbage."""

from __future__ import annotations

import gc
from pathlib import Path

import numpy as np
from PIL import Image

from lrpstudio.core.train.heatmaps import Heatmaps
from lrpstudio.core.render.figures import render_comparison_png, render_epoch_png
from lrpstudio.core.render.colours import heat_rgba, input_rgba
from lrpstudio.core.render.sheet import enlarge, tile_scale


def _maps(n: int, size: int, seed: int = 0) -> Heatmaps:
    rng = np.random.default_rng(seed)
    relevance = rng.normal(size=(n, size, size)).astype(np.float32)
    return Heatmaps(relevance=relevance / np.abs(relevance).sum(axis=(1, 2), keepdims=True),
                    scores=np.linspace(0.1, 0.9, n), predictions=np.arange(n) % 2,
                    probabilities=np.full(n, 0.5))


def _inputs(n: int, size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    rng = np.random.default_rng(1)
    images = rng.random((n, size, size)).astype(np.float32)
    masks = np.zeros((n, size, size), dtype=bool)
    masks[:, size // 4: size // 2, size // 4: size // 2] = True
    return images, masks, np.arange(n) % 2, [f"BraTS20_Training_{i:03d} z{50 + i}" for i in range(n)]


def _contains(sheet: np.ndarray, tile: np.ndarray) -> bool:
    h, w = tile.shape[:2]
    ys, xs = np.nonzero(np.all(sheet == tile[0, 0], axis=-1))
    return any(np.array_equal(sheet[y:y + h, x:x + w], tile) for y, x in zip(ys, xs))


def test_epoch_png_shows_the_gui_pixels_of_inputs_and_heatmaps(tmp_path: Path) -> None:
    images, masks, labels, titles = _inputs(3, 32)
    maps = _maps(3, 32)
    out = render_epoch_png(tmp_path / "epoch_001.png", images, masks, labels, titles, maps, 0.01, "epoch 1")
    sheet = np.asarray(Image.open(out).convert("RGB"))
    factor = tile_scale((32, 32))
    for i in range(3):
        assert _contains(sheet, enlarge(input_rgba(images[i], masks[i]), factor)[..., :3])
        assert _contains(sheet, enlarge(heat_rgba(maps.relevance[i], 0.01), factor)[..., :3])


def test_comparison_png_has_one_row_per_slice_and_a_column_per_model(tmp_path: Path) -> None:
    images, masks, labels, titles = _inputs(2, 16)
    out = render_comparison_png(tmp_path / "fig5.png", images, masks, labels, titles, ["ce", "lrp p=1"],
                                [_maps(2, 16, 0), _maps(2, 16, 1)])
    width, height = Image.open(out).size
    tile = 16 * tile_scale((16, 16))
    assert width >= 4 * tile and height >= 2 * tile  # input, mask, two models; two slices


def test_epoch_png_leaves_no_cyclic_garbage(tmp_path: Path) -> None:
    # matplotlib left ~100,000 objects per figure for the GUI thread's collector: a
    # collection that stalled the desktop app while a run trained in a worker.
    images, masks, labels, titles = _inputs(6, 64)
    maps = _maps(6, 64)
    render_epoch_png(tmp_path / "warm.png", images, masks, labels, titles, maps, 0.01, "warm-up")
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        render_epoch_png(tmp_path / "epoch.png", images, masks, labels, titles, maps, 0.01, "epoch 2")
        assert gc.collect() < 1000
    finally:
        if was_enabled:
            gc.enable()
