"""Explaining the viewer's slice is the same explanation ``lrpstudio explain`` gives for that
slice of the dataset: same input pixels, score, prediction and probability."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lrpstudio.app.data_source import open_source
from lrpstudio.app.datasets import PrepareConfig, open_slices
from lrpstudio.app.explain import explain_viewer_slice
from lrpstudio.app.run_info import run_data_settings
from lrpstudio.app.similar import similar_query
from lrpstudio.app.slices import capture, prepare_viewer_slice
from lrpstudio.cli.main import main
from lrpstudio.core.data.demo import DemoConfig, generate_demo
from lrpstudio.core.render.colours import display_channel
from lrpstudio.core.train.explain import explain_slice


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("explain")
    demo = root / "demo"
    generate_demo(demo, DemoConfig(cases=3, seed=11, shape=(48, 48, 32), workers=1))
    run = root / "run"
    assert main(["train", str(demo), "--out", str(run), "--size", "32", "--epochs", "1", "--batch-size", "16",
                 "--pinned", "2", "--penalty", "1", "--warmup-epochs", "0"]) == 0
    return demo, run


def test_the_viewer_slice_is_explained_as_the_dataset_slice(trained: tuple[Path, Path], tmp_path: Path) -> None:
    demo, run = trained
    dataset = open_slices(demo, PrepareConfig(image_size=32))
    source = open_source(demo)
    row = source.rows()[0]
    case = source.load(row)
    index = dataset.find(case.id)
    z = int(dataset.slice_index[index])
    current = capture(case.id, case.grade, case.images, case.seg, z)

    prepared = prepare_viewer_slice(current, run_data_settings(run))
    np.testing.assert_allclose(prepared.image, dataset.images[index], rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(prepared.tumour, dataset.tumor_masks[index])

    ours = explain_viewer_slice(run, current)
    theirs = explain_slice(run, dataset, case.id, tmp_path / "slice.png", z)
    assert theirs["slice"] == z and (tmp_path / "slice.png").is_file()
    assert ours.label is not None and theirs["label"] == case.grade
    assert theirs["prediction"] == ("LGG", "HGG")[ours.prediction]
    assert ours.probability_hgg == pytest.approx(theirs["probability_hgg"], abs=1e-5)
    assert ours.score == pytest.approx(theirs["score"], abs=1e-5)
    np.testing.assert_allclose(ours.image, dataset.images[index, display_channel(dataset.channels)],
                               rtol=1e-5, atol=1e-5)
    assert "TumorLRPScore" in ours.summary()


def test_a_similar_cases_query_is_the_same_prepared_slice(trained: tuple[Path, Path]) -> None:
    demo, run = trained
    source = open_source(demo)
    case = source.load(source.rows()[1])
    current = capture(case.id, case.grade, case.images, case.seg, 16)
    query = similar_query(run, 3, current)
    prepared = prepare_viewer_slice(current, run_data_settings(run))
    np.testing.assert_array_equal(query.image, prepared.image)
    assert query.k == 3 and query.case_id == case.id and query.z == 16
    assert query.grey.shape == (32, 32)
