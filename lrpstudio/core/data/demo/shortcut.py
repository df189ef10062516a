"""The shortcut: a grade-correlated feature outside the tumour that lets a classifier cheat.

What it is
----------
A vertical column of bright tissue, 14 mm wide, in the hemisphere *opposite* the tumour:
with a smooth radial profile, the intensity is raised towards a fixed bright level
(:data:`LEVELS`, relative to white matter: T1 1.75, T2 2.6, FLAIR 2.4; never lowered),
in the three training channels T1, T2 and FLAIR (T1ce is left untouched, so the column
is easy to tell from enhancement). A fixed level rather than a gain makes the column
equally visible whether it crosses white matter, cortex or a sulcus. It spans every axial slice
the whole tumour spans, plus 3 slices above and below, so every slice a slice dataset
takes around the largest tumour area shows it.

Where it is allowed
-------------------
Only inside the brain and never inside the whole tumour dilated by 2 voxels: the
column's voxels are cut to ``brain & ~dilate(seg > 0)``. It does not change the
segmentation, and the brain mask ("any modality > 0") is unchanged because it only
raises positive values.

How it correlates with grade (strength ``S`` in [0, 1])
-------------------------------------------------------
An HGG case carries the column with probability ``S``; an LGG case never does. So
``S = 0`` means no case has it, and ``S = 1`` means it is present exactly in the HGG
cases: perfectly predictive. In between, "column present" always means HGG and its
absence is evidence (of strength growing with ``S``) for LGG, the situation of a
confounder a network can pick up instead of the tumour.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Mapping

import numpy as np
from scipy import ndimage

from lrpstudio.core.data.demo.anatomy import Anatomy
from lrpstudio.core.data.demo.fields import soft_below

#: Largest relative brightening at the column's axis.
#: Level the column's axis reaches per channel, relative to white matter; brighter than
#: any healthy tissue in T1 and brighter than oedema in T2 / FLAIR.
LEVELS: Mapping[str, float] = MappingProxyType({"t1": 1.75, "t2": 2.6, "flair": 2.4})
#: Sequences that carry the shortcut (the three training channels).
CHANNELS: tuple[str, ...] = tuple(LEVELS)
#: Column radius in normalised brain units (about 7 mm at the default size).
RADIUS = 7.0 / 68.0
#: Slices added above and below the tumour's axial extent.
Z_MARGIN = 3


@dataclass(frozen=True)
class ShortcutMark:
    """Where the shortcut of one case is (whole-volume voxel coordinates), if any."""

    present: bool
    centre: tuple[int, int] | None = None
    z_range: tuple[int, int] | None = None
    radius_voxels: float = 0.0
    voxels: int = 0

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return {"present": self.present, "centre_xy": list(self.centre) if self.centre else None,
                "z_range": list(self.z_range) if self.z_range else None,
                "radius_voxels": self.radius_voxels, "voxels": self.voxels}


def carries_shortcut(rng: np.random.Generator, grade: str, strength: float) -> bool:
    """Whether a case of ``grade`` gets the shortcut at ``strength`` (HGG with probability S)."""
    draw = rng.random()  # drawn always, so the rest of the case does not depend on S
    return grade == "HGG" and strength > 0 and draw < strength


def _profile(anatomy: Anatomy, u_xy: tuple[float, float], radius: float) -> np.ndarray:
    """Soft column profile (1 on the axis, 0 beyond the radius) on the crop, per (x, y)."""
    ux, uy, _ = anatomy.grid.coords()
    d = np.sqrt((ux[:, :, 0] - u_xy[0]) ** 2 + (uy[:, :, 0] - u_xy[1]) ** 2)
    return soft_below(d, radius, 0.2 * radius) * np.clip(1.0 - (d / radius) ** 2, 0.0, 1.0) ** 0.5


def _padded_box(mask: np.ndarray, pad: int) -> tuple[slice, ...] | None:
    """Bounding box of ``mask`` grown by ``pad`` voxels (None when the mask is empty)."""
    if not mask.any():
        return None
    box = []
    for axis in range(mask.ndim):
        hits = np.flatnonzero(mask.any(axis=tuple(a for a in range(mask.ndim) if a != axis)))
        box.append(slice(max(0, int(hits[0]) - pad), min(mask.shape[axis], int(hits[-1]) + pad + 1)))
    return tuple(box)


def _best_spot(rng: np.random.Generator, anatomy: Anatomy, forbidden: np.ndarray,
               side: float) -> tuple[tuple[float, float], np.ndarray]:
    """The first of up to 40 random spots in hemisphere ``side`` whose column avoids
    ``forbidden`` (or the one that loses fewest voxels), and its 2D profile."""
    best: tuple[int, tuple[float, float], np.ndarray] | None = None
    for _ in range(40):
        u_xy = (side * rng.uniform(0.3, 0.52), rng.uniform(-0.45, 0.55) * anatomy.grid.aspect[1])
        prof2d = _profile(anatomy, u_xy, RADIUS)
        lost = int(((prof2d[:, :, None] > 0.01) & forbidden).sum())
        if best is None or lost < best[0]:
            best = (lost, u_xy, prof2d)
        if lost == 0:
            break
    assert best is not None
    return best[1], best[2]


def place_shortcut(rng: np.random.Generator, anatomy: Anatomy, tumour_labels: np.ndarray,
                   tumour_x: float) -> tuple[np.ndarray, ShortcutMark]:
    """Find a spot for the column and return its brightening profile on the crop.

    Parameters
    ----------
    rng
        Source of randomness.
    anatomy
        The case's anatomy.
    tumour_labels
        Canonical tumour labels on the crop.
    tumour_x
        The tumour centre's normalised x (the column goes to the other hemisphere).

    Returns
    -------
    (profile, mark)
        float32 crop array in [0, 1] (0 outside brain and near the tumour), and where it is.
    """
    grid = anatomy.grid
    whole = tumour_labels > 0
    forbidden = ~anatomy.brain
    box = _padded_box(whole, 3)
    if box is not None:  # dilate on the tumour's box only: the crop is 30x larger
        forbidden[box] |= ndimage.binary_dilation(whole[box], iterations=2)
    zs = np.flatnonzero(whole.any(axis=(0, 1)))
    if zs.size == 0:
        zs = np.array([grid.crop_shape[2] // 2])
    z0 = max(0, int(zs[0]) - Z_MARGIN)
    z1 = min(grid.crop_shape[2], int(zs[-1]) + Z_MARGIN + 1)
    side = -1.0 if tumour_x > 0 else 1.0
    u_xy, prof2d = _best_spot(rng, anatomy, forbidden[:, :, z0:z1], side)
    profile = np.zeros(grid.crop_shape, np.float32)
    profile[:, :, z0:z1] = prof2d[:, :, None]
    profile[forbidden] = 0.0
    centre = grid.to_voxel(np.array([u_xy[0], u_xy[1], 0.0]))
    mark = ShortcutMark(
        present=True, centre=(int(round(centre[0])), int(round(centre[1]))),
        z_range=(z0 + grid.box[2].start, z1 - 1 + grid.box[2].start),
        radius_voxels=float(RADIUS * grid.scale), voxels=int((profile > 0.01).sum()),
    )
    return profile, mark


def paint_shortcut(images: dict[str, np.ndarray], profile: np.ndarray) -> None:
    """Raise the training channels towards :data:`LEVELS` by ``profile`` (in place, never darker)."""
    for name in CHANNELS:
        image = images[name]
        np.maximum(image, image + profile * (np.float32(LEVELS[name]) - image), out=image)
