"""lrpstudio.core.render: the pictures lrpstudio draws, in one place.

- :mod:`~lrpstudio.core.render.colours`: slices, masks and heatmaps as pixel arrays
  (the one colour mapping; the GUI shows these arrays too),
- :mod:`~lrpstudio.core.render.sheet`: contact sheets of such tiles with captions (Pillow),
- :mod:`~lrpstudio.core.render.figures`: the paper's Fig. 5 and Fig. 7 as sheets,
- :mod:`~lrpstudio.core.render.bilrp_lines`: BiLRP explanations as line segments, and
  their figures (matplotlib).
"""
