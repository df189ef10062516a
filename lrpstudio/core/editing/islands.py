"""Clean-up of the edited layer: remove small islands, keep the largest connected component.

Removed voxels become background. The intensity limit does not apply here: an island is
removed whole or not at all. In guidance mode the layer is the whole tumour (``seg > 0``)
and an island loses all its sub-labels.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from .change import Change, change_from_box, empty_change
from .fill import mask_box
from .rules import WritePolicy, resolve_write


def _components(seg: np.ndarray, policy: WritePolicy, connectivity: int
                ) -> tuple[np.ndarray, np.ndarray, tuple[slice, ...]] | None:
    """Connected components of the layer inside its bounding box: (labels, sizes, box)."""
    if connectivity not in (1, 2, 3):
        raise ValueError(f"connectivity must be 1 (faces), 2 (edges) or 3 (corners), got {connectivity}")
    layer = policy.layer(seg)
    box = mask_box(layer)
    if box is None:
        return None
    structure = ndimage.generate_binary_structure(seg.ndim, connectivity)
    labels, count = ndimage.label(layer[box], structure=structure)
    sizes = np.bincount(labels.ravel(), minlength=count + 1)
    sizes[0] = 0  # background of the layer is not a component
    return labels, sizes, box


def _erase_components(seg: np.ndarray, policy: WritePolicy, labels: np.ndarray,
                      drop: np.ndarray, box: tuple[slice, ...]) -> Change:
    """The change that erases the components whose id is True in ``drop``."""
    region = drop[labels]
    mask, value = resolve_write(seg[box], region, policy, erase=True, use_intensity=False)
    return change_from_box(seg, [b.start for b in box], mask, value)


def remove_small_islands(seg: np.ndarray, policy: WritePolicy, min_size: int,
                         connectivity: int = 1) -> Change:
    """The change that erases every connected component of the layer smaller than ``min_size``.

    Parameters
    ----------
    seg
        Segmentation (X, Y, Z) uint8; not modified.
    policy
        Which layer (label mode: ``active_label``; guidance mode: the whole tumour).
    min_size
        Components with fewer voxels are removed.
    connectivity
        1 = face neighbours, 2 = also edges, 3 = also corners (26-neighbourhood in 3D).
    """
    found = _components(seg, policy, connectivity)
    if found is None:
        return empty_change(seg.size)
    labels, sizes, box = found
    drop = (sizes > 0) & (sizes < int(min_size))
    return _erase_components(seg, policy, labels, drop, box)


def keep_largest(seg: np.ndarray, policy: WritePolicy, connectivity: int = 1) -> Change:
    """The change that erases every component of the layer but the largest (ties: lowest id)."""
    found = _components(seg, policy, connectivity)
    if found is None:
        return empty_change(seg.size)
    labels, sizes, box = found
    drop = sizes > 0
    drop[int(np.argmax(sizes))] = False
    return _erase_components(seg, policy, labels, drop, box)
