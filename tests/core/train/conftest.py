"""Shared fixtures of the training tests: a tiny dataset and a quick config."""

from __future__ import annotations

import pytest

from lrpstudio.core.data.slice_dataset import SliceDataset
from lrpstudio.core.train.augment import AugmentConfig
from lrpstudio.core.train.config import TrainConfig
from lrpstudio.core.xai.guidance import GuidanceConfig
from tests.core.train.factory import tiny_dataset


@pytest.fixture(scope="module")
def dataset() -> SliceDataset:
    return tiny_dataset(n_cases=8, slices_per_case=3, size=64)


@pytest.fixture
def config() -> TrainConfig:
    """LRPLoss p=1, augmentation on (so its RNG is exercised), 2 pinned slices."""
    return TrainConfig(epochs=2, batch_size=6, lr=1e-3, seed=3, pinned=2, warmup_epochs=0,
                       guidance=GuidanceConfig(kind="lrp", penalty=1.0),
                       augmentation=AugmentConfig(rotation=15.0))
