"""The pure core of lrpstudio: numpy, torch, nibabel, SimpleITK, zennit, scikit-learn.

Nothing under this package may import PySide6, pyqtgraph, ``lrpstudio.gui`` or
``lrpstudio.cli``; ``tests/test_layering.py`` enforces it.
"""
