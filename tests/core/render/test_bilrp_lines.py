"""BiLRP line data and pictures: strongest pairs, soft threshold, colours, outlines."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.image import imread

from lrpstudio.core.errors import InputError
from lrpstudio.core.render.bilrp_lines import (
    GalleryItem, render_bilrp_png, render_gallery_png, strongest_pairs,
)
from lrpstudio.core.render.colours import display_image


def relevance() -> np.ndarray:
    r = np.zeros((4, 4, 4, 4))
    r[0, 0, 3, 3] = 1.0      # top-left of A with bottom-right of B: strongest, positive
    r[3, 0, 0, 3] = -0.8     # bottom-left of A with top-right of B: negative
    r[1, 1, 1, 1] = 0.05     # under the threshold: dropped
    return r


def test_strongest_pairs_matches_a_loop() -> None:
    rng = np.random.default_rng(0)
    r = rng.normal(size=(3, 4, 2, 5))
    lines = strongest_pairs(r, 8, (24, 32), (16, 40), top_n=10, threshold=0.3)
    flat = [(abs(r[idx]), idx) for idx in np.ndindex(r.shape)]
    flat.sort(key=lambda t: -t[0])
    top = [(idx, a / flat[0][0]) for a, idx in flat[:10] if a / flat[0][0] > 0.3]
    assert len(lines.segments) == len(top)
    by_value = {s.value: s for s in lines.segments}
    for (i, j, k, m), rel in top:
        s = by_value[r[i, j, k, m]]
        assert s.start == (8 * j + 3.5, 8 * i + 3.5) and s.end == (8 * m + 3.5, 8 * k + 3.5)
        assert s.strength == pytest.approx((rel - 0.3) / 0.7)
    # drawn weakest first, so the strongest ends on top
    assert [abs(s.value) for s in lines.segments] == sorted(abs(s.value) for s in lines.segments)
    assert lines.total == pytest.approx(r.sum()) and lines.max_abs == pytest.approx(flat[0][0])


def test_border_patches_have_their_own_centres_and_zero_gives_no_lines() -> None:
    r = np.zeros((2, 2, 2, 2))
    r[1, 1, 0, 0] = 2.0
    lines = strongest_pairs(r, 8, (12, 12))
    assert lines.segments[0].start == (9.5, 9.5)  # the cut patch spans pixels 8..11
    assert strongest_pairs(np.zeros((2, 2, 2, 2)), 8, (16, 16)).segments == ()
    with pytest.raises(InputError):
        strongest_pairs(np.zeros((2, 2)), 8, (16, 16))
    with pytest.raises(InputError):
        strongest_pairs(r, 8, (16, 16), threshold=1.0)


def _colour_fraction(png: np.ndarray, kind: str) -> float:
    rgb = png[..., :3]
    red = (rgb[..., 0] > 0.6) & (rgb[..., 1] < 0.35) & (rgb[..., 2] < 0.35)
    blue = (rgb[..., 2] > 0.6) & (rgb[..., 0] < 0.4)
    yellow = (rgb[..., 0] > 0.8) & (rgb[..., 1] > 0.7) & (rgb[..., 2] < 0.3)
    return float({"red": red, "blue": blue, "yellow": yellow}[kind].mean())


def test_png_shows_red_blue_lines_and_tumour_outlines(tmp_path) -> None:
    image = np.zeros((3, 32, 32), np.float32)
    image[:, 4:28, 4:28] = 1.0
    tumour = np.zeros((32, 32), bool)
    tumour[10:20, 10:20] = True
    lines = strongest_pairs(relevance(), 8, (32, 32))
    assert [s.value > 0 for s in lines.segments] == [False, True]
    path = render_bilrp_png(tmp_path / "pair.png", image, image, lines, tumor=tumour, tumor_other=tumour,
                            title="t", captions=("a", "b"))
    png = imread(path)
    assert _colour_fraction(png, "red") > 1e-4
    assert _colour_fraction(png, "blue") > 1e-4
    assert _colour_fraction(png, "yellow") > 1e-4
    only_positive = strongest_pairs(np.maximum(relevance(), 0), 8, (32, 32))
    png2 = imread(render_bilrp_png(tmp_path / "pos.png", image, image, only_positive))
    assert _colour_fraction(png2, "blue") == 0.0 and _colour_fraction(png2, "yellow") == 0.0


def test_gallery_and_display(tmp_path) -> None:
    img = np.zeros((3, 16, 16), np.float32)
    img[2, 4:12, 4:12] = np.linspace(-1, 3, 64).reshape(8, 8)
    shown = display_image(img)
    assert shown[0, 0] == 0.0 and shown.max() == 1.0  # background black, window 1-99 %
    tumour = np.zeros((16, 16), bool)
    tumour[6:10, 6:10] = True
    path = render_gallery_png(tmp_path / "g.png", [GalleryItem(img, tumour, "query"),
                                                   GalleryItem(img, None, "#1")], title="layer")
    png = imread(path)
    assert png.shape[1] > png.shape[0] and _colour_fraction(png, "yellow") > 0
    with pytest.raises(InputError):
        render_gallery_png(tmp_path / "e.png", [])
