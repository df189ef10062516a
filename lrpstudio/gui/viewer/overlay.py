"""Segmentation overlay colours and outline mode (pure numpy, no Qt).

Colours come from the Okabe-Ito palette, which stays distinguishable for the common
colour-vision deficiencies (protanopia, deuteranopia, tritanopia) and differs in
lightness too: sky blue (core), yellow (oedema) and vermillion (enhancing) never
collapse onto each other on a grey MRI background.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Mapping

import numpy as np

#: Okabe-Ito colours (RGB) per canonical label; 0 (background) is transparent.
LABEL_COLOURS: Mapping[int, tuple[int, int, int]] = MappingProxyType({
    1: (0x56, 0xB4, 0xE9),  # necrotic / non-enhancing core: sky blue
    2: (0xF0, 0xE4, 0x42),  # oedema: yellow
    3: (0xD5, 0x5E, 0x00),  # enhancing tumour: vermillion
})
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


def label_lut(n: int = 256) -> np.ndarray:
    """An ``(n, 4)`` uint8 RGBA lookup table: labels coloured, everything else clear."""
    lut = np.zeros((n, 4), dtype=np.uint8)
    for label, (r, g, b) in LABEL_COLOURS.items():
        lut[label] = (r, g, b, 255)
    return lut
