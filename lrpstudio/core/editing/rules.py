"""Which voxels an edit may change: the layer being edited, paint-over rules, intensity limits.

Every tool (brush, eraser, flood fill, fill holes, interpolation, island removal) first
decides a *region* (the voxels it covers) and then asks :func:`resolve_write` which of
them really change and to which value. That keeps the rules in one place.

Layers
------
``mode="label"`` edits one canonical label ``active_label`` (1, 2 or 3):
painting writes ``active_label``, erasing writes 0.

``mode="guidance"`` edits the whole-tumour guidance mask (``seg > 0``) as one binary
layer: painting turns *background* voxels into ``guidance_label`` (existing tumour voxels
keep their sub-label, they are already in the mask); erasing turns *any* tumour voxel
into background. Paint-over rules do not apply in this mode (there is only one layer).

Paint-over rules (label mode), stated as the set of current values a write may change
-----------------------------------------------------------------------------------
=================  ===========================  ====================================
rule               painting label L             erasing (writing 0), active label L
=================  ===========================  ====================================
everything         any voxel                    any tumour voxel (labels 1, 2, 3)
background_only    background (0) only          voxels of L only
protect_others     background or L              voxels of L only
=================  ===========================  ====================================

Writing ``L`` over ``L`` changes nothing, so for a single tool stroke
``protect_others`` and ``background_only`` change the same voxels; they differ only in
intent (``protect_others`` is "never touch another label", ``background_only`` is
"only fill empty space"), and the eraser never removes other labels under either.

Intensity limit: when ``intensity_range=(lo, hi)`` is set, only voxels whose reference
intensity ``v`` satisfies ``lo <= v <= hi`` may change (both painting and erasing).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

PaintOver = Literal["everything", "background_only", "protect_others"]
EditMode = Literal["label", "guidance"]
PAINT_OVER_RULES: tuple[str, ...] = ("everything", "background_only", "protect_others")
#: Labels a user can paint (canonical: 1 core, 2 oedema, 3 enhancing).
PAINTABLE_LABELS: tuple[int, ...] = (1, 2, 3)


@dataclass(frozen=True)
class WritePolicy:
    """Everything that decides which voxels a write changes (see the module docstring).

    Attributes
    ----------
    mode
        ``"label"`` (edit ``active_label``) or ``"guidance"`` (edit the whole-tumour mask).
    active_label
        The label painted in label mode (1..3).
    paint_over
        Paint-over rule in label mode.
    intensity_range
        ``(lo, hi)`` inclusive limits on the reference intensity, or None.
    guidance_label
        The label that painting in guidance mode gives to background voxels (default 2,
        oedema: the outer layer of a glioma, where the whole-tumour border usually moves).
    """

    mode: EditMode = "label"
    active_label: int = 1
    paint_over: PaintOver = "everything"
    intensity_range: tuple[float, float] | None = None
    guidance_label: int = 2

    def __post_init__(self) -> None:
        if self.mode not in ("label", "guidance"):
            raise ValueError(f"mode must be 'label' or 'guidance', got {self.mode!r}")
        if self.active_label not in PAINTABLE_LABELS:
            raise ValueError(f"active_label must be one of {PAINTABLE_LABELS}, got {self.active_label}")
        if self.guidance_label not in PAINTABLE_LABELS:
            raise ValueError(f"guidance_label must be one of {PAINTABLE_LABELS}, got {self.guidance_label}")
        if self.paint_over not in PAINT_OVER_RULES:
            raise ValueError(f"paint_over must be one of {PAINT_OVER_RULES}, got {self.paint_over!r}")
        if self.intensity_range is not None and self.intensity_range[0] > self.intensity_range[1]:
            raise ValueError(f"intensity_range must have lo <= hi, got {self.intensity_range}")

    def paint_value(self) -> int:
        """The value painting writes."""
        return self.guidance_label if self.mode == "guidance" else self.active_label

    def layer(self, seg: np.ndarray) -> np.ndarray:
        """The binary layer being edited: ``seg == active_label`` or ``seg > 0``."""
        return seg > 0 if self.mode == "guidance" else seg == self.active_label


def changeable(current: np.ndarray, policy: WritePolicy, erase: bool) -> np.ndarray:
    """Boolean mask of the voxels whose current value the write may change (no intensity)."""
    if policy.mode == "guidance":
        return current != 0 if erase else current == 0
    label = policy.active_label
    if erase:
        return current != 0 if policy.paint_over == "everything" else current == label
    if policy.paint_over == "everything":
        return np.ones(current.shape, dtype=bool)
    if policy.paint_over == "background_only":
        return current == 0
    return (current == 0) | (current == label)


def within_intensity(intensity: np.ndarray | None, policy: WritePolicy) -> np.ndarray | bool:
    """Boolean mask of voxels inside the intensity range (True when no range is set)."""
    if policy.intensity_range is None or intensity is None:
        return True
    lo, hi = policy.intensity_range
    return (intensity >= lo) & (intensity <= hi)


def resolve_write(current: np.ndarray, region: np.ndarray, policy: WritePolicy, erase: bool,
                  intensity: np.ndarray | None = None, use_intensity: bool = True
                  ) -> tuple[np.ndarray, int]:
    """Which voxels of ``region`` change, and to which value.

    Parameters
    ----------
    current
        The segmentation values under the region (any shape; usually a bounding box).
    region
        Boolean mask of the same shape: the voxels the tool covers.
    policy
        Layer, paint-over rule and intensity limit.
    erase
        True for the eraser (writes 0), False for painting.
    intensity
        Reference intensities of the same shape, used when ``policy.intensity_range`` is set.
    use_intensity
        False for clean-up tools (island removal) that must act on whole components.

    Returns
    -------
    (mask, value)
        Voxels that really change (``mask & current != value``) and the value written.
    """
    value = 0 if erase else policy.paint_value()
    mask = region & changeable(current, policy, erase) & (current != value)
    if use_intensity and policy.intensity_range is not None:
        if intensity is None:
            raise ValueError("an intensity range is set but no reference intensity was given")
        mask &= within_intensity(intensity, policy)
    return mask, value
