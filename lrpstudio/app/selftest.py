"""The Qt-free steps of the built-in self-test (data, model, heatmap) and its runner.

The desktop app adds its window steps (:mod:`lrpstudio.gui.shell.selftest`) and runs
everything for ``lrpstudio --self-test``.
"""

from __future__ import annotations

from lrpstudio.core.selftest import (
    SelfTestConfig, SelfTestFailure, StepRunner, canonical_labels, check, slices_of, step_demo, step_heatmap,
    step_train,
)

__all__ = ["SelfTestConfig", "SelfTestFailure", "StepRunner", "canonical_labels", "check", "slices_of",
           "step_demo", "step_heatmap", "step_train"]
