"""RGBA pictures shared by the desktop views and the PNG files."""

from __future__ import annotations

import numpy as np

from lrpstudio.core.render.colours import (LABEL_COLOURS, OUTLINE_RGB, SCALE_PERCENTILE, caption, colour_scale,
                                           display_channel, heat_ramp, heat_rgba, input_rgba, label_lut, mask_rgba,
                                           outline)


def _outline_reference(labels: np.ndarray) -> np.ndarray:
    """Slow per-pixel version of :func:`outline`."""
    out = np.zeros_like(labels)
    h, w = labels.shape
    for y in range(h):
        for x in range(w):
            value = labels[y, x]
            if value == 0:
                continue
            neighbours = [(y - 1, x), (y + 1, x), (y, x - 1), (y, x + 1)]
            if any(not (0 <= ny < h and 0 <= nx < w) or labels[ny, nx] != value for ny, nx in neighbours):
                out[y, x] = value
    return out


def test_outline_matches_a_per_pixel_reference() -> None:
    rng = np.random.default_rng(0)
    for _ in range(5):
        labels = rng.integers(0, 4, size=(13, 9)).astype(np.uint8)
        labels[rng.random(labels.shape) < 0.5] = 0
        np.testing.assert_array_equal(outline(labels), _outline_reference(labels))
    block = np.zeros((8, 8), np.uint8)
    block[2:6, 2:6] = 2
    assert outline(block)[3:5, 3:5].sum() == 0 and outline(block)[2, 2:6].all()


def test_heat_rgba_maps_sign_to_red_and_blue_and_zero_to_white() -> None:
    rgba = heat_rgba(np.array([[1.0, -1.0, 0.0, 5.0, 0.5]]), vmax=1.0)
    np.testing.assert_array_equal(rgba[0, 0], [255, 0, 0, 255])
    np.testing.assert_array_equal(rgba[0, 1], [0, 0, 255, 255])
    np.testing.assert_array_equal(rgba[0, 2], [255, 255, 255, 255])
    np.testing.assert_array_equal(rgba[0, 3], [255, 0, 0, 255])  # clipped at +vmax
    assert rgba[0, 4, 0] == 255 and 0 < rgba[0, 4, 1] < 255 and rgba[0, 4, 1] == rgba[0, 4, 2]


def test_the_colour_ramp_runs_from_blue_through_white_to_red() -> None:
    ramp = heat_ramp(0.5, width=101, height=3)
    assert ramp.shape == (3, 101, 4) and (ramp[0] == ramp[2]).all()
    assert tuple(ramp[0, 0, :3]) == (0, 0, 255) and tuple(ramp[0, 50, :3]) == (255, 255, 255)
    assert tuple(ramp[0, -1, :3]) == (255, 0, 0)
    np.testing.assert_array_equal(ramp, heat_rgba(np.linspace(-0.5, 0.5, 101)[None].repeat(3, 0), 0.5))


def test_colour_scale_and_display_channel() -> None:
    relevance = np.linspace(-1.0, 1.0, 2001)
    assert colour_scale(relevance) == np.percentile(np.abs(relevance), SCALE_PERCENTILE)
    assert colour_scale(np.zeros((4, 4))) == 1e-6  # never 0: a blank map still draws
    assert display_channel(("t1", "t2", "flair")) == 2 and display_channel(("flair", "t1")) == 0
    assert display_channel(("t1", "t2")) == 1


def test_input_rgba_windows_grey_and_draws_the_mask_edge_only() -> None:
    image = np.linspace(0, 1, 64, dtype=np.float32).reshape(8, 8)
    mask = np.zeros((8, 8), dtype=bool)
    mask[2:6, 2:6] = True
    rgba = input_rgba(image, mask)
    assert tuple(rgba[2, 2, :3]) == OUTLINE_RGB  # edge
    assert tuple(rgba[3, 3, :3]) != OUTLINE_RGB  # inside stays grey
    assert rgba[3, 3, 0] == rgba[3, 3, 1] == rgba[3, 3, 2]
    assert rgba[0, 0, 0] == 0 and rgba[7, 7, 0] == 255  # 1-99 percentile window saturates the ends
    assert (rgba[..., 3] == 255).all()


def test_mask_rgba_is_white_on_black() -> None:
    rgba = mask_rgba(np.array([[True, False]]))
    np.testing.assert_array_equal(rgba[0], [[255, 255, 255, 255], [0, 0, 0, 255]])


def test_caption_names_score_prediction_and_correctness() -> None:
    assert caption(0.4212, 1, 1) == "S=0.42 · pred HGG (ok)"
    assert caption(float("nan"), 0, 1) == "S=n/a · pred LGG (wrong)"
    assert caption(0.5, 0) == "S=0.50 · pred LGG"


def test_background_is_black_and_left_out_of_the_window() -> None:
    # Two slices whose heads hold the same values but whose constant backgrounds differ
    # (as z-scored slices do) must look the same.
    head = np.zeros((12, 12), dtype=bool)
    head[3:9, 3:9] = True
    values = np.linspace(-1, 2, 36).reshape(6, 6)
    pictures = []
    for outside_value in (-3.0, 0.5):
        image = np.full((12, 12), outside_value)
        image[3:9, 3:9] = values
        pictures.append(input_rgba(image, None))
    np.testing.assert_array_equal(pictures[0], pictures[1])
    assert (pictures[0][~head, :3] == 0).all()
    assert pictures[0][head, 0].max() == 255 and pictures[0][head, 0].min() == 0


def test_an_image_without_a_constant_border_keeps_every_pixel_in_the_window() -> None:
    image = np.random.default_rng(1).random((10, 10))
    rgba = input_rgba(image, None)
    assert rgba[..., 0].min() == 0 and rgba[..., 0].max() == 255


def test_a_constant_head_is_shown_bright() -> None:
    image = np.zeros((8, 8))
    image[2:6, 2:6] = 1.0
    rgba = input_rgba(image, None)
    assert (rgba[2:6, 2:6, 0] == 255).all() and (rgba[0, :, 0] == 0).all()


def test_the_label_table_colours_the_three_tumour_labels_only() -> None:
    lut = label_lut()
    assert lut.shape == (256, 4) and lut[0, 3] == 0 and not lut[4:].any()
    for label, rgb in LABEL_COLOURS.items():
        assert tuple(lut[label]) == (*rgb, 255)
    assert OUTLINE_RGB == LABEL_COLOURS[2]  # the outline is the overlay's oedema yellow
