"""A scratch folder whose ``home`` is lrpstudio's settings and log folder for a benchmark.

GUI benchmarks open real windows, which write settings and logs: they go to a temporary
``LRPSTUDIO_HOME``, never the user's folders, and the variable is restored afterwards.
"""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


@contextmanager
def scratch_home() -> Iterator[Path]:
    """A temporary folder; ``LRPSTUDIO_HOME`` points to its ``home`` inside the block."""
    saved = os.environ.get("LRPSTUDIO_HOME")
    try:
        with tempfile.TemporaryDirectory() as tmp:
            os.environ["LRPSTUDIO_HOME"] = str(Path(tmp) / "home")
            yield Path(tmp)
    finally:
        if saved is None:
            os.environ.pop("LRPSTUDIO_HOME", None)
        else:
            os.environ["LRPSTUDIO_HOME"] = saved
