"""One synthetic case in memory: anatomy, tumour, shortcut, bias and noise.

:func:`synthesize_case` is a pure function of its arguments: the same ``(seed, index)``
gives the same arrays, whichever process runs it and however many cases are made.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from lrpstudio.core.data.demo.anatomy import finalize, make_anatomy, triple
from lrpstudio.core.data.demo.shortcut import (
    ShortcutMark, carries_shortcut, paint_shortcut, place_shortcut,
)
from lrpstudio.core.data.demo.tumour import draw_params, grow_tumour, paint_tumour, whole_labels

GRADES: tuple[str, ...] = ("HGG", "LGG")


@dataclass(frozen=True, eq=False)
class DemoCase:
    """The arrays of one demo case, in the whole volume's voxel order.

    Attributes
    ----------
    grade
        ``"HGG"`` or ``"LGG"``.
    images
        Modality (t1, t1ce, t2, flair) -> int16 array; 0 outside the brain.
    seg
        uint8 canonical labels (0 background, 1 necrotic / non-enhancing core, 2 oedema,
        3 enhancing); a writer converts them to a release's convention.
    shortcut
        Where the shortcut is (``present=False`` when the case has none).
    info
        Tumour parameters and a few measured volumes, for the demo manifest.
    """

    grade: str
    images: dict[str, np.ndarray]
    seg: np.ndarray
    shortcut: ShortcutMark
    info: dict[str, Any] = field(default_factory=dict)


def case_rng(seed: int, index: int) -> np.random.Generator:
    """The random generator of case ``index`` of a set made with ``seed``.

    Derived from ``(seed, index)`` only, so results do not depend on the number of
    worker processes nor on the order in which cases are made.
    """
    return np.random.default_rng(np.random.SeedSequence([int(seed), int(index)]))


def synthesize_case(shape: tuple[int, int, int], seed: int, index: int, grade: str,
                    shortcut: float = 0.0) -> DemoCase:
    """Make one BraTS-like case.

    Parameters
    ----------
    shape
        Volume shape (x, y, z) in 1 mm voxels; BraTS is (240, 240, 155).
    seed, index
        The set's seed and the case's index; together they fix every random draw.
    grade
        ``"HGG"`` or ``"LGG"``.
    shortcut
        Strength S in [0, 1] of the grade-correlated shortcut (see
        :mod:`lrpstudio.core.data.demo.shortcut`).

    Returns
    -------
    DemoCase
    """
    if grade not in GRADES:
        raise ValueError(f"grade must be one of {GRADES}, got {grade!r}")
    # The matrix products of the smooth fields are small: BLAS threads only contend
    # (10x slower for small volumes on a busy 2-core machine); cases run in parallel instead.
    with threadpool_limits(limits=1, user_api="blas"):
        return _synthesize(triple(int(n) for n in shape), seed, index, grade, shortcut)


def _synthesize(shape: tuple[int, int, int], seed: int, index: int, grade: str,
                shortcut: float) -> DemoCase:
    rng = case_rng(seed, index)
    # Separate streams for anatomy/tumour and for the shortcut: a case with the shortcut
    # is the same brain and tumour as the case without it.
    anatomy_rng, shortcut_rng = rng.spawn(2)
    anatomy = make_anatomy(anatomy_rng, shape)
    params = draw_params(anatomy_rng, anatomy, grade)
    tumour = grow_tumour(anatomy_rng, anatomy, params)
    images = anatomy.images
    paint_tumour(images, tumour)
    labels = whole_labels(tumour, anatomy.grid.crop_shape)
    mark = ShortcutMark(present=False)
    if carries_shortcut(shortcut_rng, grade, float(shortcut)):
        profile, mark = place_shortcut(shortcut_rng, anatomy, labels, params.centre[0])
        paint_shortcut(images, profile)
    volumes = finalize(anatomy_rng, anatomy, images)
    seg = np.zeros(anatomy.grid.shape, np.uint8)
    seg[anatomy.grid.box] = labels
    counts = np.bincount(labels.ravel(), minlength=4)
    info = {
        "tumour": params.as_dict(),
        "voxels": {"necrotic_core": int(counts[1]), "oedema": int(counts[2]),
                   "enhancing": int(counts[3]), "whole": int(counts[1:].sum())},
    }
    return DemoCase(grade=grade, images=volumes, seg=seg, shortcut=mark, info=info)
