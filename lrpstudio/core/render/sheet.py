"""Contact sheets of image tiles with captions, written as PNG with Pillow.

Heatmap figures (the paper's Fig. 5 and Fig. 7) are grids of small pictures with a few
words above and below each. They used to be drawn with matplotlib, which took 300 to
500 ms per epoch while holding the GIL, and left ~100,000 objects of cyclic garbage per
figure: a training run inside the desktop app stalled the interface for up to 160 ms
each epoch. Pasting the arrays of :mod:`lrpstudio.core.render.colours` into a Pillow
image takes a few milliseconds and draws exactly the pixels the GUI shows; most of the
rest is PNG compression, during which Pillow releases the GIL (``bench_heatmap_png``:
the longest GIL hold fell from 210 to under 2 ms).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from lrpstudio.core.atomic import atomic_write
from lrpstudio.core.render.colours import heat_ramp

#: Tiles are enlarged (nearest neighbour, whole factors) to at least this many pixels.
MIN_TILE_PX = 128
TEXT_PX = 12
HEADING_PX = 15
PAD = 6
BACKGROUND = (255, 255, 255)
INK = (20, 20, 20)
FRAME = (170, 170, 170)
BAR_NOTE = "relevance: red for the true class, blue against"


@dataclass(frozen=True)
class Cell:
    """One tile of a sheet: an RGBA picture and text lines above and below it."""

    rgba: np.ndarray | None
    above: tuple[str, ...] = ()
    below: tuple[str, ...] = ()


@dataclass(frozen=True)
class SheetStyle:
    """Sizes of a sheet (pixels)."""

    min_tile: int = MIN_TILE_PX
    text: int = TEXT_PX
    heading: int = HEADING_PX
    pad: int = PAD


@dataclass
class _Fonts:
    text: ImageFont.ImageFont | ImageFont.FreeTypeFont
    heading: ImageFont.ImageFont | ImageFont.FreeTypeFont
    line_px: int = field(default=0)


def font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    """Pillow's built-in font at ``size`` px (its bitmap font where FreeType is missing)."""
    try:
        return ImageFont.load_default(size)
    except (ImportError, OSError):  # Pillow built without FreeType
        return ImageFont.load_default()


def tile_scale(shape: tuple[int, ...], min_tile: int = MIN_TILE_PX) -> int:
    """Whole enlargement factor so a tile of ``shape`` is at least ``min_tile`` px."""
    return max(1, math.ceil(min_tile / max(1, max(shape[:2]))))


def enlarge(rgba: np.ndarray, factor: int) -> np.ndarray:
    """Nearest-neighbour enlargement by a whole factor (voxels stay visible)."""
    return rgba if factor == 1 else rgba.repeat(factor, axis=0).repeat(factor, axis=1)


def fit_text(draw: ImageDraw.ImageDraw, text: str, width: int,
             face: ImageFont.ImageFont | ImageFont.FreeTypeFont) -> str:
    """``text`` shortened with an ellipsis in the middle until it fits ``width`` px."""
    if draw.textlength(text, font=face) <= width:
        return text
    keep = len(text)
    while keep > 2:
        keep -= 1
        head, tail = text[: (keep + 1) // 2], text[len(text) - keep // 2:]
        short = f"{head}…{tail}"
        if draw.textlength(short, font=face) <= width:
            return short
    return "…"


def render_sheet(path: str | Path, rows: Sequence[Sequence[Cell]], heading: str = "",
                 colour_bar: float | None = None, style: SheetStyle = SheetStyle()) -> Path:
    """Draw a grid of cells and write it as PNG (atomically).

    Parameters
    ----------
    path
        The PNG to write.
    rows
        Cells by row; every picture is enlarged by the same whole factor.
    heading
        A line on top of the sheet.
    colour_bar
        When given, a blue-white-red bar labelled ``-vmax, 0, +vmax`` at the bottom.
    style
        Sizes.
    """
    image = sheet_image(rows, heading, colour_bar, style)
    return atomic_write(Path(path), lambda handle: image.save(handle, format="PNG"))


def sheet_image(rows: Sequence[Sequence[Cell]], heading: str = "", colour_bar: float | None = None,
                style: SheetStyle = SheetStyle()) -> Image.Image:
    """The picture :func:`render_sheet` writes (RGB)."""
    fonts = _Fonts(font(style.text), font(style.heading), line_px=style.text + 3)
    shapes = [c.rgba.shape for row in rows for c in row if c.rgba is not None] or [(1, 1)]
    factor = tile_scale(max(shapes, key=lambda s: max(s[:2])), style.min_tile)
    tile_h = max(s[0] for s in shapes) * factor
    tile_w = max(s[1] for s in shapes) * factor
    n_cols = max((len(r) for r in rows), default=1)
    above = [max((len(c.above) for c in r), default=0) for r in rows]
    below = [max((len(c.below) for c in r), default=0) for r in rows]
    col_w = tile_w + style.pad
    row_h = [(a + b) * fonts.line_px + tile_h + style.pad for a, b in zip(above, below)]
    top = style.pad + (style.heading + 8 if heading else 0)
    bar_h = 3 * fonts.line_px if colour_bar is not None else 0
    width = style.pad + n_cols * col_w
    height = top + sum(row_h) + bar_h + style.pad
    if colour_bar is not None:  # the bar (200 px) and its note must fit
        width = max(width, style.pad + 212 + int(ImageDraw.Draw(Image.new("RGB", (1, 1))).textlength(
            BAR_NOTE, font=fonts.text)) + style.pad)
    sheet = Image.new("RGB", (max(width, 260), height), BACKGROUND)
    draw = ImageDraw.Draw(sheet)
    if heading:
        draw.text((style.pad, style.pad), fit_text(draw, heading, sheet.width - 2 * style.pad,
                                                   fonts.heading), fill=INK, font=fonts.heading)
    y = top
    for r, row in enumerate(rows):
        for c, cell in enumerate(row):
            x = style.pad + c * col_w
            _draw_cell(sheet, draw, cell, (x, y), (tile_w, tile_h), above[r], factor, fonts)
        y += row_h[r]
    if colour_bar is not None:
        _draw_colour_bar(sheet, draw, colour_bar, (style.pad, y + 4), fonts)
    return sheet


def _draw_cell(sheet: Image.Image, draw: ImageDraw.ImageDraw, cell: Cell, at: tuple[int, int],
               tile: tuple[int, int], lines_above: int, factor: int, fonts: _Fonts) -> None:
    x, y = at
    tile_w, tile_h = tile
    for i, line in enumerate(cell.above):
        _centred(draw, line, x, y + i * fonts.line_px, tile_w, fonts)
    y += lines_above * fonts.line_px
    if cell.rgba is not None:
        picture = Image.fromarray(np.ascontiguousarray(enlarge(cell.rgba, factor)[..., :3]), "RGB")
        left, top = x + (tile_w - picture.width) // 2, y + (tile_h - picture.height) // 2
        sheet.paste(picture, (left, top))
        # A frame: a heatmap is mostly white and would melt into the page without one.
        draw.rectangle((left - 1, top - 1, left + picture.width, top + picture.height), outline=FRAME)
    y += tile_h + 1
    for i, line in enumerate(cell.below):
        _centred(draw, line, x, y + i * fonts.line_px, tile_w, fonts)


def _centred(draw: ImageDraw.ImageDraw, text: str, x: int, y: int, width: int, fonts: _Fonts) -> None:
    text = fit_text(draw, text, width, fonts.text)
    offset = (width - draw.textlength(text, font=fonts.text)) / 2
    draw.text((x + offset, y), text, fill=INK, font=fonts.text)


def _draw_colour_bar(sheet: Image.Image, draw: ImageDraw.ImageDraw, vmax: float,
                     at: tuple[int, int], fonts: _Fonts) -> None:
    x, y = at
    width = 200
    ramp = heat_ramp(vmax, width, 10)
    sheet.paste(Image.fromarray(np.ascontiguousarray(ramp[..., :3]), "RGB"), (x, y))
    draw.rectangle((x, y, x + width - 1, y + 9), outline=(120, 120, 120))
    labels = ((0, f"-{vmax:.3g}"), (width // 2, "0"), (width, f"+{vmax:.3g}"))
    for pos, text in labels:
        offset = draw.textlength(text, font=fonts.text) / 2
        draw.text((x + pos - offset if pos else x, y + 12), text, fill=INK, font=fonts.text)
    draw.text((x + width + 12, y - 2), BAR_NOTE, fill=INK, font=fonts.text)
