"""lrpstudio.core.models: networks by name (see :mod:`lrpstudio.core.models.registry`)."""

from lrpstudio.core.models.registry import build_model, feature_layers, model_names

__all__ = ["build_model", "feature_layers", "model_names"]
