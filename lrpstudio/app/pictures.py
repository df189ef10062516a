"""The pictures the front ends show, as RGBA arrays: inputs, masks, heatmaps, outlines, captions.

One vocabulary for every view: the rendering itself lives in the core
(:mod:`lrpstudio.core.render.colours`, the overlay's label colours included; the brush outline in
:mod:`lrpstudio.core.editing.footprint`), so a heatmap in the app looks like the one
``lrpstudio explain`` writes.
"""

from __future__ import annotations

from lrpstudio.core.editing.footprint import outline_segments
from lrpstudio.core.render.colours import (
    LABEL_COLOURS, NEGATIVE_RGB, POSITIVE_RGB, caption, heat_ramp, heat_rgba, input_rgba, label_lut, mask_rgba,
    outline,
)

__all__ = ["LABEL_COLOURS", "NEGATIVE_RGB", "POSITIVE_RGB", "caption", "heat_ramp", "heat_rgba", "input_rgba",
           "label_lut", "mask_rgba", "outline", "outline_segments"]
