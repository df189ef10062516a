"""The public facade of lrpstudio: stable names, re-exported from the core.

Names are resolved on first use, so ``from lrpstudio import api`` stays cheap: reading
BraTS data does not import torch, and training does not import SimpleITK until needed.

>>> from lrpstudio import api
>>> cases, problems = api.discover("BraTS2020_TrainingData")     # doctest: +SKIP
>>> case = api.load_case(cases[0])                               # doctest: +SKIP
>>> model = api.build_model("paper", image_size=128)             # doctest: +SKIP

Signatures (the stable public names; the README documents them):
    discover(root) -> (cases, problems)
    load_case(case_or_path, workspace=None) -> Case
    save_correction(case, seg, workspace) -> Path
    workspace_for(data_root, explicit=None) -> Workspace   (the one rule the app and the CLI use)
    open_slices(path, config=None, workspace=None) -> SliceDataset
    load_dataset(path) -> SliceDataset
    build_model(name="paper", image_size=128, in_channels=3, num_classes=2) -> nn.Module
    relevance(model, x, target, composite="epsilon_plus_flat", create_graph=False) -> Tensor
    tumor_lrp_score(relevance, tumor_mask, brain_mask, normalized=False) -> Tensor
    lrp_loss(model, x, y, tumor_mask, brain_mask, penalty=1.0, composite="epsilon_plus_flat",
             score_gradient="full") -> (loss, parts)
    feature_layers(model) -> list[str]
    bilrp(model, x, x_other, layer, projection_dim=100, pool=8) -> Tensor
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

#: Public name -> module that defines it.
_EXPORTS: dict[str, str] = {
    # data
    "discover": "lrpstudio.core.data.discovery",
    "load_case": "lrpstudio.core.data.loading",
    "save_correction": "lrpstudio.core.data.corrections",
    "open_workspace": "lrpstudio.core.data.workspace",
    "workspace_for": "lrpstudio.app.workspace",
    "open_slices": "lrpstudio.app.datasets",
    "load_dataset": "lrpstudio.core.data.slice_dataset",
    "prepare_dataset": "lrpstudio.core.data.prepare",
    "PrepareConfig": "lrpstudio.core.data.prepare_config",
    "Case": "lrpstudio.core.data.case",
    "CaseRef": "lrpstudio.core.data.case",
    "SliceDataset": "lrpstudio.core.data.slice_dataset",
    "generate_demo": "lrpstudio.core.data.demo",
    "DemoConfig": "lrpstudio.core.data.demo",
    # models and explanations
    "build_model": "lrpstudio.core.models.registry",
    "feature_layers": "lrpstudio.core.models.registry",
    "relevance": "lrpstudio.core.xai.relevance",
    "tumor_lrp_score": "lrpstudio.core.xai.score",
    "lrp_loss": "lrpstudio.core.xai.losses",
    "rrr_loss": "lrpstudio.core.xai.rrr",
    "GuidanceConfig": "lrpstudio.core.xai.guidance",
    "bilrp": "lrpstudio.core.xai.bilrp",
    # editing
    "EditSession": "lrpstudio.core.editing.session",
    "BrushSettings": "lrpstudio.core.editing",
    "find_recoverable": "lrpstudio.core.editing.journal",
    "recover": "lrpstudio.core.editing.journal",
}

__all__ = sorted(_EXPORTS)

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only (``X as X``: re-exported)
    from lrpstudio.app.datasets import open_slices as open_slices
    from lrpstudio.app.workspace import workspace_for as workspace_for
    from lrpstudio.core.data.case import Case as Case, CaseRef as CaseRef
    from lrpstudio.core.data.loading import load_case as load_case
    from lrpstudio.core.data.corrections import save_correction as save_correction
    from lrpstudio.core.data.demo import DemoConfig as DemoConfig, generate_demo as generate_demo
    from lrpstudio.core.data.discovery import discover as discover
    from lrpstudio.core.data.prepare import PrepareConfig as PrepareConfig, prepare_dataset as prepare_dataset
    from lrpstudio.core.data.slice_dataset import SliceDataset as SliceDataset, load_dataset as load_dataset
    from lrpstudio.core.data.workspace import open_workspace as open_workspace
    from lrpstudio.core.editing import BrushSettings as BrushSettings
    from lrpstudio.core.editing.journal import find_recoverable as find_recoverable, recover as recover
    from lrpstudio.core.editing.session import EditSession as EditSession
    from lrpstudio.core.models.registry import build_model as build_model, feature_layers as feature_layers
    from lrpstudio.core.xai.bilrp import bilrp as bilrp
    from lrpstudio.core.xai.guidance import GuidanceConfig as GuidanceConfig
    from lrpstudio.core.xai.losses import lrp_loss as lrp_loss
    from lrpstudio.core.xai.relevance import relevance as relevance
    from lrpstudio.core.xai.rrr import rrr_loss as rrr_loss
    from lrpstudio.core.xai.score import tumor_lrp_score as tumor_lrp_score


def __getattr__(name: str) -> Any:
    """Import the defining module of a public name on first use."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'lrpstudio.api' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return __all__
