"""Contact sheets: tiles pasted pixel for pixel, text fitted, PNG written atomically."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from lrpstudio.core.render.colours import heat_rgba
from lrpstudio.core.render.sheet import Cell, SheetStyle, enlarge, fit_text, font, render_sheet, tile_scale


def _find(sheet: np.ndarray, tile: np.ndarray) -> tuple[int, int]:
    """Top-left corner where ``tile`` (RGB) occurs exactly in ``sheet``."""
    h, w = tile.shape[:2]
    for y in range(sheet.shape[0] - h + 1):
        for x in range(sheet.shape[1] - w + 1):
            if np.array_equal(sheet[y:y + h, x:x + w], tile):
                return y, x
    raise AssertionError("tile not found in the sheet")


def test_tile_scale_and_enlarge_keep_voxels_square_and_whole() -> None:
    assert tile_scale((64, 64), 128) == 2 and tile_scale((240, 240), 128) == 1
    assert tile_scale((50, 30), 128) == 3
    tile = np.arange(4, dtype=np.uint8).reshape(2, 2)
    np.testing.assert_array_equal(enlarge(tile, 2), [[0, 0, 1, 1], [0, 0, 1, 1], [2, 2, 3, 3], [2, 2, 3, 3]])


def test_fit_text_shortens_in_the_middle_to_fit() -> None:
    draw = ImageDraw.Draw(Image.new("RGB", (10, 10)))
    face = font(12)
    long = "BraTS20_Training_123_with_a_long_suffix"
    short = fit_text(draw, long, 80, face)
    assert draw.textlength(short, font=face) <= 80 and "…" in short
    assert short.startswith("BraTS") and short.endswith(long[-2:])
    assert fit_text(draw, "ok", 80, face) == "ok"


def test_sheet_contains_every_tile_pixel_for_pixel(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    tiles = [heat_rgba(rng.normal(size=(20, 20)), 1.0) for _ in range(3)]
    rows = [[Cell(tiles[0], above=("a",)), Cell(tiles[1], below=("b", "c"))], [Cell(tiles[2]), Cell(None)]]
    out = render_sheet(tmp_path / "sheet.png", rows, heading="heading", colour_bar=1.0,
                       style=SheetStyle(min_tile=40))
    sheet = np.asarray(Image.open(out).convert("RGB"))
    corners = [_find(sheet, enlarge(t, 2)[..., :3]) for t in tiles]
    assert corners[0][1] < corners[1][1]  # side by side in the first row
    assert corners[2][0] > corners[0][0] and corners[2][1] == corners[0][1]  # below, same column
    assert not list(tmp_path.glob("*.tmp*")), "no temporary file left behind"


def test_colour_bar_runs_from_blue_through_white_to_red(tmp_path: Path) -> None:
    out = render_sheet(tmp_path / "bar.png", [[Cell(np.full((4, 4, 4), 128, np.uint8))]], colour_bar=2.0,
                       style=SheetStyle(min_tile=8))
    sheet = np.asarray(Image.open(out).convert("RGB")).astype(int)
    bar_rows = [y for y in range(sheet.shape[0]) if (sheet[y, :, 2] - sheet[y, :, 0] > 200).any()]
    assert bar_rows, "no blue in the sheet"
    line = sheet[bar_rows[len(bar_rows) // 2]]
    reds = np.flatnonzero((line[:, 0] - line[:, 2]) > 200)
    blues = np.flatnonzero((line[:, 2] - line[:, 0]) > 200)
    assert reds.size and blues.size and blues.max() < reds.min()


def test_a_narrow_sheet_widens_for_the_colour_bar_note(tmp_path: Path) -> None:
    from lrpstudio.core.render.sheet import BAR_NOTE, font

    out = render_sheet(tmp_path / "one.png", [[Cell(np.full((8, 8, 4), 200, np.uint8))]], colour_bar=1.0,
                       style=SheetStyle(min_tile=16))
    note = ImageDraw.Draw(Image.new("RGB", (1, 1))).textlength(BAR_NOTE, font=font(12))
    assert Image.open(out).width >= 200 + note
