"""Pictures of similar cases: BiLRP line views and neighbour galleries (matplotlib, Agg).

A BiLRP explanation ``R`` (h, w, h', w') says how much each pair of patches (one in each
slice) contributes to the slices' similarity. :func:`strongest_pairs` turns it into plain
line segments between patch centres -- the strongest ``top_n`` pairs by ``|R|``, with an
opacity that is ``|R| / max|R|`` soft-thresholded (pairs under the threshold vanish,
strength rises linearly to 1 at the maximum), keeping both signs: red for positive
contributions, blue for negative. The GUI draws the same :class:`BilrpLines` itself;
:func:`render_bilrp_png` draws them with matplotlib for the CLI and reports.

Nothing here uses pyplot: each figure is a standalone :class:`matplotlib.figure.Figure`
on an Agg canvas (no global state, safe in worker threads), written atomically.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure

from lrpstudio.core.atomic import atomic_write
from lrpstudio.core.errors import InputError
from lrpstudio.core.render.colours import NEGATIVE_RGB, POSITIVE_RGB, TUMOUR_COLOUR, display_image



@dataclass(frozen=True)
class LineSegment:
    """One patch pair: centres in each image's own pixel coordinates ``(x=column, y=row)``."""

    start: tuple[float, float]
    end: tuple[float, float]
    value: float      # R_ii' (signed)
    strength: float   # opacity in (0, 1]

    def as_dict(self) -> dict[str, Any]:
        return {"start": list(self.start), "end": list(self.end), "value": self.value,
                "strength": self.strength}


@dataclass(frozen=True)
class BilrpLines:
    """The strongest patch pairs of one BiLRP explanation, strongest last (drawn on top)."""

    segments: tuple[LineSegment, ...]
    shape: tuple[int, int]        # (H, W) of the first image
    shape_other: tuple[int, int]  # (H', W') of the second image
    pool: int
    total: float                  # sum of all R_ii' (the explained similarity)
    max_abs: float                # max |R_ii'| (strength 1)

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly form (the GUI and ``--json`` use it)."""
        return {"segments": [s.as_dict() for s in self.segments], "shape": list(self.shape),
                "shape_other": list(self.shape_other), "pool": self.pool, "total": self.total,
                "max_abs": self.max_abs}


def _centre(index: int, pool: int, size: int) -> float:
    """Pixel coordinate of the centre of patch ``index`` (a border patch may be cut)."""
    lo, hi = index * pool, min((index + 1) * pool, size)
    return (lo + hi - 1) / 2.0


def strongest_pairs(relevance: torch.Tensor | np.ndarray, pool: int, shape: tuple[int, int],
                    shape_other: tuple[int, int] | None = None, *, top_n: int = 40,
                    threshold: float = 0.1) -> BilrpLines:
    """The ``top_n`` strongest patch pairs of ``relevance`` as line segments.

    Parameters
    ----------
    relevance
        (h, w, h', w') BiLRP output.
    pool
        Patch size used to compute it.
    shape, shape_other
        (H, W) of the two images (for the patch centres).
    top_n
        Most pairs kept (by ``|R|``).
    threshold
        Soft threshold on ``|R| / max|R|`` in [0, 1): strength
        ``(|R|/max - threshold) / (1 - threshold)``; pairs at or under it are dropped.
    """
    r = np.asarray(relevance.detach().cpu() if isinstance(relevance, torch.Tensor) else relevance,
                   dtype=np.float64)
    if r.ndim != 4:
        raise InputError("BiLRP relevance must be (h, w, h', w')", expected=4, actual=r.ndim)
    if not 0.0 <= threshold < 1.0:
        raise InputError("threshold must be in [0, 1)", expected="[0, 1)", actual=threshold)
    shape_other = shape if shape_other is None else shape_other
    flat = r.ravel()
    max_abs = float(np.abs(flat).max()) if flat.size else 0.0
    segments: list[LineSegment] = []
    if max_abs > 0:
        order = np.argsort(-np.abs(flat), kind="stable")[:max(top_n, 0)]
        for pos in order[::-1]:  # weakest first, so the strongest are drawn last (on top)
            strength = (abs(flat[pos]) / max_abs - threshold) / (1.0 - threshold)
            if strength <= 0:
                continue
            i, j, k, m = np.unravel_index(pos, r.shape)
            segments.append(LineSegment(
                start=(float(_centre(int(j), pool, shape[1])), float(_centre(int(i), pool, shape[0]))),
                end=(float(_centre(int(m), pool, shape_other[1])), float(_centre(int(k), pool, shape_other[0]))),
                value=float(flat[pos]), strength=float(min(strength, 1.0))))
    return BilrpLines(segments=tuple(segments), shape=(int(shape[0]), int(shape[1])),
                      shape_other=(int(shape_other[0]), int(shape_other[1])),
                      pool=pool, total=float(flat.sum()), max_abs=max_abs)


def _outline(ax: Any, mask: np.ndarray | None, dx: float) -> None:
    """Tumour outline (the 0.5 level of the mask), shifted right by ``dx`` pixels."""
    if mask is None or not np.any(mask):
        return
    m = np.asarray(mask, dtype=float)
    ys, xs = np.arange(m.shape[0]), np.arange(m.shape[1]) + dx
    ax.contour(xs, ys, m, levels=[0.5], colors=TUMOUR_COLOUR, linewidths=1.2)


def _save(fig: Figure, path: str | Path, dpi: int) -> Path:
    FigureCanvasAgg(fig)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, facecolor=fig.get_facecolor())
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return atomic_write(path, lambda handle: handle.write(buffer.getvalue()))


def render_bilrp_png(path: str | Path, image: np.ndarray, image_other: np.ndarray,
                     lines: BilrpLines, *, tumor: np.ndarray | None = None,
                     tumor_other: np.ndarray | None = None, title: str = "",
                     captions: tuple[str, str] = ("", ""), channel: int = -1,
                     dpi: int = 110) -> Path:
    """Draw the two slices side by side with tumour outlines and the BiLRP lines; write a PNG.

    Parameters
    ----------
    path
        Output file.
    image, image_other
        (C, H, W) slices (``channel`` is shown, default the last: FLAIR).
    lines
        From :func:`strongest_pairs`.
    tumor, tumor_other
        (H, W) masks, outlined in yellow.
    title, captions
        Figure title and one caption under each slice.
    """
    left, right = display_image(image, channel), display_image(image_other, channel)
    gap = max(8, left.shape[1] // 6)
    height = max(left.shape[0], right.shape[0])
    canvas = np.ones((height, left.shape[1] + gap + right.shape[1]))
    canvas[:left.shape[0], :left.shape[1]] = left
    dx = left.shape[1] + gap
    canvas[:right.shape[0], dx:] = right
    fig = Figure(figsize=(8.0, 8.0 * height / canvas.shape[1] + 1.0), facecolor="white")
    ax = fig.add_axes((0.01, 0.13, 0.98, 0.77))
    ax.imshow(canvas, cmap="gray", vmin=0, vmax=1, interpolation="nearest")
    _outline(ax, tumor, 0.0)
    _outline(ax, tumor_other, float(dx))
    if lines.segments:
        ax.add_collection(LineCollection(
            [[s.start, (s.end[0] + dx, s.end[1])] for s in lines.segments],
            colors=[(*(POSITIVE_RGB if s.value > 0 else NEGATIVE_RGB), s.strength)
                    for s in lines.segments],
            linewidths=[0.6 + 2.2 * s.strength for s in lines.segments]))
    ax.set_xlim(-0.5, canvas.shape[1] - 0.5)
    ax.set_ylim(height - 0.5, -0.5)
    ax.axis("off")
    for x_text, caption in ((left.shape[1] / 2, captions[0]), (dx + right.shape[1] / 2, captions[1])):
        fig.text(0.01 + 0.98 * (x_text + 0.5) / canvas.shape[1], 0.085, caption, ha="center",
                 va="center", fontsize=9)
    fig.suptitle(title, fontsize=10)
    fig.text(0.5, 0.015, f"{len(lines.segments)} strongest patch pairs ({lines.pool}x{lines.pool} px): "
             "red = positive, blue = negative, opacity = strength; yellow = tumour",
             ha="center", fontsize=8)
    return _save(fig, path, dpi)


@dataclass(frozen=True)
class GalleryItem:
    """One panel of a gallery: a slice, its tumour mask and a caption."""

    image: np.ndarray
    tumor: np.ndarray | None
    caption: str


def render_gallery_png(path: str | Path, items: Sequence[GalleryItem], *, title: str = "",
                       channel: int = -1, dpi: int = 100) -> Path:
    """One row of panels (the query first, then its neighbours) with tumour outlines; write a PNG."""
    if not items:
        raise InputError("a gallery needs at least one image")
    n = len(items)
    fig = Figure(figsize=(2.2 * n, 3.0), facecolor="white")
    for i, item in enumerate(items):
        ax = fig.add_axes((i / n + 0.005, 0.03, 1 / n - 0.01, 0.74))
        ax.imshow(display_image(item.image, channel), cmap="gray", vmin=0, vmax=1,
                  interpolation="nearest")
        _outline(ax, item.tumor, 0.0)
        ax.set_xticks([])
        ax.set_yticks([])
        for spine in ax.spines.values():
            spine.set_edgecolor("#2a7ab0" if i == 0 else "#999999")
            spine.set_linewidth(2.0 if i == 0 else 0.8)
        ax.set_title(item.caption, fontsize=7, pad=3)
    fig.suptitle(title, fontsize=9)
    return _save(fig, path, dpi)
