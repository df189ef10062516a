"""The segmentation overlay: its style (opacity, outline, visibility), label names, crosshair.

The label colours and their lookup table are the one rendering module's
(:data:`~lrpstudio.app.pictures.LABEL_COLOURS`, :func:`~lrpstudio.app.pictures.label_lut`:
Okabe-Ito, distinguishable under the common colour-vision deficiencies), re-exported here
for the views.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Mapping

import numpy as np

from lrpstudio.app.label_stats import ADDED, RELABELLED, REMOVED
from lrpstudio.app.pictures import LABEL_COLOURS, label_lut

__all__ = ["CROSSHAIR_COLOUR", "DIFFERENCE_COLOURS", "DIFFERENCE_NAMES", "LABEL_COLOURS", "LABEL_NAMES",
           "OverlayStyle", "difference_lut", "label_lut", "styled_lut"]

#: Short names shown in the tool panel and the cursor read-out.
LABEL_NAMES: Mapping[int, str] = MappingProxyType({
    0: "background", 1: "core (NCR/NET)", 2: "oedema (ED)", 3: "enhancing (ET)",
})
#: Colour of the crosshair (Okabe-Ito bluish green, distinct from every label).
CROSSHAIR_COLOUR: tuple[int, int, int] = (0x00, 0x9E, 0x73)


@dataclass(frozen=True)
class OverlayStyle:
    """How the segmentation is drawn.

    Attributes
    ----------
    opacity
        0 (invisible) .. 1 (opaque) for filled labels.
    outline
        Draw only each label's boundary instead of filling it.
    visible
        False while the hold-to-hide key is down or the overlay is switched off.
    """

    opacity: float = 0.5
    outline: bool = False
    visible: bool = True
    #: Labels switched off in the label table.
    hidden: frozenset[int] = frozenset()
    #: Per-label opacity (label -> 0..1, default 1), a factor on ``opacity``.
    label_opacity: tuple[tuple[int, float], ...] = ()

    def opacity_of(self, label: int) -> float:
        """The label's own opacity factor (1.0 unless set in the label table)."""
        return dict(self.label_opacity).get(label, 1.0)


#: Compare mode's difference overlay: Okabe-Ito blue (tumour added by the correction),
#: vermillion (removed) and yellow (relabelled). It replaces the label overlay, so sharing
#: two colours with labels is harmless; the three stay apart under colour-vision deficiencies.
DIFFERENCE_COLOURS: Mapping[int, tuple[int, int, int]] = MappingProxyType({
    ADDED: (0x00, 0x72, 0xB2), REMOVED: (0xD5, 0x5E, 0x00), RELABELLED: (0xF0, 0xE4, 0x42),
})
DIFFERENCE_NAMES: Mapping[int, str] = MappingProxyType({
    ADDED: "added", REMOVED: "removed", RELABELLED: "relabelled",
})


def styled_lut(style: OverlayStyle) -> np.ndarray:
    """The label lookup table with each label's alpha from ``style`` (the item is drawn opaque).

    Filled labels get ``opacity * label opacity``; outlines are drawn at the label opacity
    alone, as before, so a thin outline stays visible at a low fill opacity.
    """
    lut = label_lut().copy()
    base = 1.0 if style.outline else style.opacity
    for label in range(1, lut.shape[0]):
        if lut[label, 3] == 0:
            continue
        alpha = 0.0 if label in style.hidden else base * style.opacity_of(label)
        lut[label, 3] = int(round(255 * min(max(alpha, 0.0), 1.0)))
    return lut


def difference_lut(opacity: float) -> np.ndarray:
    """Lookup table of the difference codes (0 transparent) at ``opacity``."""
    lut = np.zeros((256, 4), dtype=np.uint8)
    for code, rgb in DIFFERENCE_COLOURS.items():
        lut[code] = (*rgb, int(round(255 * min(max(opacity, 0.0), 1.0))))
    return lut
