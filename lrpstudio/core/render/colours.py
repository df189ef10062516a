"""Colour mapping: every slice, mask and heatmap lrpstudio draws, as pixel arrays.

The desktop views (the segmentation overlay's :data:`LABEL_COLOURS` included), the PNG
files a run writes (:mod:`lrpstudio.core.render.figures`) and the BiLRP pictures
(:mod:`lrpstudio.core.render.bilrp_lines`) take their pixels from these functions, so
what the GUI shows matches the files. Images are shown as the
dataset stores a slice (rows x columns, ``volume[:, :, z].T``). Heatmaps use a
blue-white-red scale symmetric around 0 with a fixed limit ``vmax``: red = evidence for
the explained class, blue = against; a run fixes ``vmax`` once (:func:`colour_scale`) so
that colours mean the same in every epoch.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Mapping, Sequence

import numpy as np

from lrpstudio.core.data.slice_dataset import GRADES
from lrpstudio.core.errors import InputError

#: Okabe-Ito colours (RGB) per canonical label; 0 (background) is not drawn. The palette
#: stays distinguishable for the common colour-vision deficiencies and differs in
#: lightness too, so sky blue (core), yellow (oedema) and vermillion (enhancing) never
#: collapse onto each other on a grey MRI background.
LABEL_COLOURS: Mapping[int, tuple[int, int, int]] = MappingProxyType({
    1: (0x56, 0xB4, 0xE9),  # necrotic / non-enhancing core: sky blue
    2: (0xF0, 0xE4, 0x42),  # oedema: yellow
    3: (0xD5, 0x5E, 0x00),  # enhancing tumour: vermillion
})
#: The tumour outline colour: the segmentation overlay's oedema yellow, visible on grey.
OUTLINE_RGB = LABEL_COLOURS[2]
#: BiLRP lines: red where a patch pair makes two slices more similar, blue less.
POSITIVE_RGB = (0.90, 0.10, 0.10)
NEGATIVE_RGB = (0.15, 0.35, 1.00)
#: The tumour outline in the BiLRP figures (matplotlib colour).
TUMOUR_COLOUR = "#ffd400"
#: Percentile of |normalised relevance| that sets a run's colour scale.
SCALE_PERCENTILE = 99.5


def label_lut(n: int = 256) -> np.ndarray:
    """An ``(n, 4)`` uint8 RGBA lookup table of :data:`LABEL_COLOURS`: labels coloured, the rest clear."""
    lut = np.zeros((n, 4), dtype=np.uint8)
    for label, (r, g, b) in LABEL_COLOURS.items():
        lut[label] = (r, g, b, 255)
    return lut


def outline(labels: np.ndarray) -> np.ndarray:
    """Keep only boundary pixels of each label region in a 2D label image.

    A pixel is on the boundary when it is labelled (non-zero) and one of its four
    neighbours carries a different value (or lies outside the image).

    Parameters
    ----------
    labels
        2D integer array.

    Returns
    -------
    ndarray
        Same shape and dtype: boundary pixels keep their label, the rest is 0.
    """
    padded = np.pad(labels, 1, mode="constant", constant_values=0)
    centre = padded[1:-1, 1:-1]
    differs = (
        (padded[:-2, 1:-1] != centre) | (padded[2:, 1:-1] != centre)
        | (padded[1:-1, :-2] != centre) | (padded[1:-1, 2:] != centre)
    )
    return np.where(differs & (centre != 0), centre, 0).astype(labels.dtype, copy=False)


def background(image: np.ndarray) -> np.ndarray | None:
    """Pixels of the constant background around the head, or None when there is none.

    Normalised MRI (z-scored inside the brain) keeps one constant value outside it, and
    which grey that becomes depends on the image when the window includes it. When the
    whole border holds one value, every pixel with that value is background.
    """
    if image.ndim != 2 or min(image.shape) < 2:
        return None
    border = np.concatenate([image[0], image[-1], image[:, 0], image[:, -1]])
    if not np.allclose(border, border[0]):
        return None
    found = np.isclose(image, border[0])
    return found if not found.all() else None


def input_rgba(image: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
    """(H, W, 4) uint8: ``image`` in grey, the tumour outline of ``mask`` in yellow.

    The grey window is the 1-99 percentile of the head (the constant background, see
    :func:`background`, is left out and drawn black), so slices of different cases
    look alike side by side whatever their background value.
    """
    image = np.asarray(image, dtype=np.float64)
    outside = background(image)
    inside = image[~outside] if outside is not None else image.ravel()
    low, high = np.percentile(inside, [1, 99]) if inside.size else (0.0, 1.0)
    if high - low > 1e-12:
        grey = np.clip((image - low) / (high - low), 0, 1)
    else:  # one value (a mask, a blank slice): show it bright, not black
        grey = np.ones(image.shape) if inside.size else np.zeros(image.shape)
    if outside is not None:
        grey[outside] = 0.0
    rgba = np.empty(image.shape + (4,), dtype=np.uint8)
    rgba[..., :3] = (grey * 255).astype(np.uint8)[..., None]
    rgba[..., 3] = 255
    if mask is not None and np.any(mask):
        edge = outline(np.asarray(mask, dtype=np.uint8)) > 0
        rgba[edge, :3] = OUTLINE_RGB
    return rgba


def mask_rgba(mask: np.ndarray) -> np.ndarray:
    """(H, W, 4) uint8: the mask in white on black."""
    value = np.where(np.asarray(mask, dtype=bool), 255, 0).astype(np.uint8)
    rgba = np.repeat(value[..., None], 4, axis=-1)
    rgba[..., 3] = 255
    return rgba


def heat_rgba(relevance: np.ndarray, vmax: float) -> np.ndarray:
    """(H, W, 4) uint8 blue-white-red picture of ``relevance`` on [-vmax, vmax]."""
    t = np.clip(np.asarray(relevance, dtype=np.float64) / max(float(vmax), 1e-30), -1, 1)
    rgba = np.full(t.shape + (4,), 255, dtype=np.uint8)
    pos, neg = np.clip(t, 0, 1), np.clip(-t, 0, 1)
    rgba[..., 0] = (255 * (1 - neg)).astype(np.uint8)        # red stays for positive
    rgba[..., 1] = (255 * (1 - np.maximum(pos, neg))).astype(np.uint8)
    rgba[..., 2] = (255 * (1 - pos)).astype(np.uint8)        # blue stays for negative
    return rgba


def heat_ramp(vmax: float, width: int, height: int) -> np.ndarray:
    """(height, width, 4) uint8: the colour scale from ``-vmax`` (left) to ``+vmax`` (right)."""
    return heat_rgba(np.linspace(-vmax, vmax, width)[None, :].repeat(height, axis=0), vmax)


def colour_scale(relevance: np.ndarray) -> float:
    """Symmetric colour limit: a high percentile of |relevance| (never 0)."""
    value = float(np.percentile(np.abs(relevance), SCALE_PERCENTILE)) if relevance.size else 0.0
    return value if value > 0 else 1e-6


def display_channel(channels: Sequence[str]) -> int:
    """Index of the channel shown as the grey input image (FLAIR when present)."""
    return list(channels).index("flair") if "flair" in channels else len(channels) - 1


def display_image(image: np.ndarray, channel: int = -1) -> np.ndarray:
    """A 2D grey image in [0, 1] from (C, H, W) or (H, W): one channel, 1-99 % window.

    The window is taken inside the brain (non-zero pixels); the background, exactly zero
    in skull-stripped BraTS slices, is drawn black whatever the normalisation made of 0.
    """
    img = np.asarray(image, dtype=np.float64)
    background = np.all(img == 0, axis=0) if img.ndim == 3 else img == 0
    if img.ndim == 3:
        img = img[channel]
    if img.ndim != 2:
        raise InputError("an image must be (C, H, W) or (H, W)", expected="2 or 3 dims", actual=img.ndim)
    inside = img[~background]
    lo, hi = np.percentile(inside, [1, 99]) if inside.size else (0.0, 1.0)
    if hi <= lo:
        hi = lo + 1.0
    out = np.clip((img - lo) / (hi - lo), 0.0, 1.0)
    out[background] = 0.0
    return out


def caption(score: float, prediction: int, label: int | None = None) -> str:
    """'S=0.42 · pred HGG (ok)': the score (n/a without tumour) and the prediction."""
    text = f"S={score:.2f}" if np.isfinite(score) else "S=n/a"
    text += f" · pred {GRADES[int(prediction)]}"
    if label is not None:
        text += " (ok)" if int(prediction) == int(label) else " (wrong)"
    return text
