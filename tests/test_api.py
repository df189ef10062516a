"""The public facade names exist, are callable, and keep their signatures."""

from __future__ import annotations

import inspect
import subprocess
import sys

import pytest

from lrpstudio import api

PROMISED = {
    "discover": ["root"],
    "load_case": ["case_or_path", "workspace"],
    "save_correction": ["case", "seg", "workspace"],
    "load_dataset": ["path"],
    "workspace_for": ["data_root", "explicit"],
    "open_slices": ["path", "config", "workspace"],
    "build_model": ["name", "image_size", "in_channels", "num_classes"],
    "relevance": ["model", "x", "target", "composite", "create_graph"],
    "tumor_lrp_score": ["relevance", "tumor_mask", "brain_mask", "normalized"],
    "lrp_loss": ["model", "x", "y", "tumor_mask", "brain_mask", "penalty", "composite",
                 "score_gradient"],
    "feature_layers": ["model"],
    "bilrp": ["model", "x", "x_other", "layer", "projection_dim", "pool"],
}


@pytest.mark.parametrize("name", sorted(PROMISED))
def test_promised_signature(name: str) -> None:
    parameters = list(inspect.signature(getattr(api, name)).parameters)
    assert parameters[: len(PROMISED[name])] == PROMISED[name]


def test_every_export_resolves() -> None:
    for name in api.__all__:
        assert getattr(api, name) is not None
    with pytest.raises(AttributeError, match="no attribute 'nonsense'"):
        api.nonsense  # noqa: B018


def test_data_names_do_not_import_torch() -> None:
    code = "from lrpstudio import api; api.discover; api.load_case; import sys; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"
