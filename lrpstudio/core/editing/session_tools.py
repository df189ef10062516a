"""The one-shot region tools of the edit session: fills, region growing, polygons, islands,
added regions.

Each computes a :class:`~lrpstudio.core.editing.change.Change` with a pure function of
its own module (``fill``, ``grow``, ``polygon``, ``islands``) and hands it to the
session, which applies it as one undo step, journals it and tells the views.
:class:`RegionTools` is a part of :class:`~lrpstudio.core.editing.session.EditSession`
(kept apart so the session module stays one concept: state, strokes, history, saving);
it also resolves the reference intensity volumes the tools and the brush's limit use.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from ..errors import EditingError
from .brush import BrushSettings
from .change import Change
from .fill import FillCriterion, fill_holes, flood_fill
from .footprint import Plane
from .grow import SEED_K, grow_region, seed_range
from .history import Step
from .islands import keep_largest, remove_small_islands
from .polygon import polygon_fill
from .region import add_region
from .rules import WritePolicy


class RegionTools:
    """Fill, grow, polygon, fill holes, island and added-region tools; mixed into ``EditSession``."""

    _seg: np.ndarray
    _images: Mapping[str, np.ndarray]
    _brush: BrushSettings

    @property
    def policy(self) -> WritePolicy:
        """The write policy (the session's current layer, rule and limit)."""
        raise NotImplementedError

    def _apply_step(self, name: str, change: Change) -> Step | None:
        raise NotImplementedError

    def add_mask(self, mask: np.ndarray, label: int, name: str = "add suggested region", *,
                 z: int | None = None, intensity: np.ndarray | None = None,
                 low: float | None = None, high: float | None = None) -> Step | None:
        """Paint ``mask`` (a volume, or an axial plane at slice ``z``) with ``label`` as one
        undoable, journaled step; optionally only where ``low <= intensity <= high``
        (default intensity: the brush's reference modality). See :func:`region.add_region`."""
        limited = low is not None or high is not None
        values = intensity if intensity is not None or not limited else self._reference(required=True)
        return self._apply_step(name, add_region(self._seg, mask, label, z, values, low, high))

    def flood_fill(self, seed: Sequence[int], *, plane: Plane | None = "axial",
                   criterion: FillCriterion = "label", tolerance: float = 0.0,
                   erase: bool = False, modality: str | None = None) -> Step | None:
        """Flood fill from ``seed`` in the slice of ``plane`` (None: 3D); see :func:`fill.flood_fill`.

        ``modality`` is the reference of ``criterion="intensity"`` (default: the brush's).
        """
        intensity = (self._intensity() if criterion == "label" and modality is None
                     else self._volume(modality))
        change = flood_fill(self._seg, seed, self.policy, erase=erase, plane=plane,
                            criterion=criterion, tolerance=tolerance, intensity=intensity)
        return self._apply_step("flood fill", change)

    def polygon_fill(self, points: Sequence[Sequence[float]], plane: Plane, index: int, *,
                     erase: bool = False) -> Step | None:
        """Fill (or erase) a closed polygon in one slice as one step; see :mod:`.polygon`.

        ``points`` are ``(u, v)`` in the slice's in-plane voxel axes in increasing order.
        """
        change = polygon_fill(self._seg, points, plane, index, self.policy, erase=erase,
                              intensity=self._intensity())
        return self._apply_step("polygon erase" if erase else "polygon fill", change)

    def seed_range(self, seed: Sequence[int], plane: Plane | None = "axial", *, k: float = SEED_K,
                   modality: str | None = None) -> tuple[float, float]:
        """The default region-growing range around ``seed``: mean ± k·sd; see :mod:`.grow`."""
        return seed_range(self._volume(modality), seed, plane, k=k)

    def grow_region(self, seed: Sequence[int], low: float | None = None, high: float | None = None,
                    *, plane: Plane | None = "axial", k: float = SEED_K, modality: str | None = None,
                    erase: bool = False) -> Step | None:
        """Grow a region from ``seed`` within ``[low, high]`` of ``modality`` as one step.

        A missing bound comes from :meth:`seed_range`. ``modality`` defaults to the brush's
        reference modality; ``plane=None`` grows in 3D.
        """
        volume = self._volume(modality)
        if low is None or high is None:
            auto = seed_range(volume, seed, plane, k=k)
            low, high = (auto[0] if low is None else low), (auto[1] if high is None else high)
        change = grow_region(self._seg, seed, self.policy, volume, low, high, plane=plane, erase=erase)
        return self._apply_step("grow region", change)

    def fill_holes(self, plane: Plane | None = None, index: int | None = None) -> Step | None:
        """Fill holes of the edited layer in 3D, in one slice, or slice by slice (``index=None``)."""
        change = fill_holes(self._seg, self.policy, plane=plane, index=index, intensity=self._intensity())
        return self._apply_step("fill holes", change)

    def remove_small_islands(self, min_size: int, connectivity: int = 1) -> Step | None:
        """Erase connected components of the edited layer smaller than ``min_size`` voxels."""
        return self._apply_step("remove islands",
                                remove_small_islands(self._seg, self.policy, min_size, connectivity))

    def keep_largest(self, connectivity: int = 1) -> Step | None:
        """Erase every component of the edited layer but the largest."""
        return self._apply_step("keep largest", keep_largest(self._seg, self.policy, connectivity))

    # -- reference intensities -----------------------------------------------------------
    def _reference(self, required: bool) -> np.ndarray | None:
        if not required:
            return None
        name = self._brush.intensity_modality
        if name not in self._images:
            raise EditingError(f"no reference volume {name!r} for intensity-limited editing",
                               expected=sorted(self._images), actual=name)
        return self._images[name]

    def _volume(self, modality: str | None) -> np.ndarray:
        name = modality or self._brush.intensity_modality
        if name not in self._images:
            raise EditingError(f"no reference volume {name!r} for region growing",
                               expected=sorted(self._images), actual=name)
        return self._images[name]

    def _intensity(self) -> np.ndarray | None:
        return self._reference(required=self._brush.intensity_range is not None)
