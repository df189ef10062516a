"""Pictures of slices and heatmaps as RGBA arrays (pure numpy, shared by GUI and PNGs).

The desktop views and the PNG files a run writes draw the same pixels from these
functions, so what the GUI shows matches the files. Images are shown as the dataset
stores a slice (rows x columns, ``volume[:, :, z].T``). Heatmaps use a blue-white-red
scale symmetric around 0 with a fixed limit ``vmax``: red = evidence for the explained
class, blue = against.
"""

from __future__ import annotations

import numpy as np

from lrpstudio.core.data.slice_dataset import GRADES

#: The tumour outline colour: the segmentation overlay's oedema yellow, visible on grey.
OUTLINE_RGB = (0xF0, 0xE4, 0x42)


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


def caption(score: float, prediction: int, label: int | None = None) -> str:
    """'S=0.42 · pred HGG (ok)': the score (n/a without tumour) and the prediction."""
    text = f"S={score:.2f}" if np.isfinite(score) else "S=n/a"
    text += f" · pred {GRADES[int(prediction)]}"
    if label is not None:
        text += " (ok)" if int(prediction) == int(label) else " (wrong)"
    return text
