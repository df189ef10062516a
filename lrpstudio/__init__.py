"""lrpstudio: a workbench for explanation-guided training on brain MRI.

The public, stable surface is :mod:`lrpstudio.api`.
"""

__version__ = "0.1.0"
