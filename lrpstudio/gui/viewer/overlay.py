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

from lrpstudio.app.pictures import LABEL_COLOURS, label_lut

__all__ = ["CROSSHAIR_COLOUR", "LABEL_COLOURS", "LABEL_NAMES", "OverlayStyle", "label_lut"]

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
