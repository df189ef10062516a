"""The built-in demo data set: BraTS-like synthetic cases, generated into the user's data folder.

Its workspace lives outside it (see :mod:`lrpstudio.app.workspace`): the generator
regenerates the folder only while it is empty.
"""

from __future__ import annotations

from lrpstudio.core.data.demo import DemoConfig, ensure_demo_data, generate_demo, is_demo_set

__all__ = ["DemoConfig", "ensure_demo_data", "generate_demo", "is_demo_set"]
