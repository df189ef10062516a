"""The training options a front end offers: their choices and their settings types.

The desktop app's Training form and ``lrpstudio train``'s options choose from the same
lists, and build the same :class:`~lrpstudio.core.train.config.TrainConfig`.
"""

from __future__ import annotations

from lrpstudio.core.models.registry import model_names
from lrpstudio.core.train.augment import AugmentConfig
from lrpstudio.core.train.config import BEST_METRICS, CLASS_BALANCE, TrainConfig
from lrpstudio.core.train.metrics import collapse_message
from lrpstudio.core.train.schedule import LR_SCHEDULES
from lrpstudio.core.xai.composites import COMPOSITES, DEFAULT_COMPOSITE
from lrpstudio.core.xai.guidance import LOSS_FORMS, GuidanceConfig, GuidanceKind
from lrpstudio.core.xai.relevance import SEEDS

__all__ = ["BEST_METRICS", "CLASS_BALANCE", "COMPOSITES", "DEFAULT_COMPOSITE", "LOSS_FORMS", "LR_SCHEDULES",
           "SEEDS", "AugmentConfig", "GuidanceConfig", "TrainConfig", "collapse_message", "guidance_kind",
           "model_names"]


def guidance_kind(kind: GuidanceKind, penalty: float) -> GuidanceKind:
    """The guidance a run records: LRPLoss with penalty p = 0 is plain cross-entropy
    (``"none"``), from the app's Training form and ``lrpstudio train`` alike; other kinds stay."""
    return "none" if kind == "lrp" and penalty <= 0 else kind
