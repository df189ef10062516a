"""The relevance layer's app side: the viewer slices are prepared and explained exactly as the
Explain dock does, mapped back onto the axial plane through the dataset's inverse, with the
case's statistics reused until the mask changes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lrpstudio.app.data_source import open_source
from lrpstudio.app.explain import explain_viewer_slice
from lrpstudio.app.relevance_layer import (LayerEngine, layer_ramp, layer_rgba, prepare_slices,
                                           tumour_range, case_statistics)
from lrpstudio.app.run_info import RunDataSettings
from lrpstudio.app.slices import capture, prepare_viewer_slice
from lrpstudio.cli.main import main
from lrpstudio.core.data.demo import DemoConfig, generate_demo
from lrpstudio.core.errors import CancelledError
from lrpstudio.core.review.mapping import prepared_to_plane


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("layer")
    demo = root / "demo"
    generate_demo(demo, DemoConfig(cases=3, seed=5, shape=(40, 48, 24), workers=1))
    run = root / "run"
    assert main(["train", str(demo), "--out", str(run), "--size", "32", "--epochs", "1", "--batch-size", "16",
                 "--pinned", "0", "--guidance", "none"]) == 0
    return demo, run


def _case(demo: Path):  # noqa: ANN202 - a loaded demo case
    source = open_source(demo)
    return source.load(source.rows()[0])


def test_slices_are_prepared_as_the_viewer_prepares_them(trained: tuple[Path, Path]) -> None:
    case = _case(trained[0])
    settings = RunDataSettings(("t1", "t2", "flair"), 32, "whole", None)
    current = capture(case.id, case.grade, case.images, case.seg, 0)
    stats = case_statistics(current, settings.channels)
    zs = [0, 7, 12, 23]
    for z, ours in zip(zs, prepare_slices(current, settings, stats, zs)):
        theirs = prepare_viewer_slice(capture(case.id, case.grade, case.images, case.seg, z), settings)
        np.testing.assert_array_equal(ours.image, theirs.image)
        np.testing.assert_array_equal(ours.tumour, theirs.tumour)
        np.testing.assert_array_equal(ours.brain, theirs.brain)


def test_the_layer_is_the_explain_heatmap_on_the_axial_plane(trained: tuple[Path, Path]) -> None:
    demo, run = trained
    case = _case(demo)
    z = int(np.argmax((case.seg > 0).sum(axis=(0, 1))))
    current = capture(case.id, case.grade, case.images, case.seg, z)
    engine = LayerEngine()
    result = engine.compute(run, current, version=3)
    explained = explain_viewer_slice(run, current)
    assert result.zs == (z,) and result.planes.shape == (1, 40, 48)
    np.testing.assert_allclose(result.plane(z), prepared_to_plane(explained.relevance, (40, 48)),
                               rtol=1e-5, atol=1e-7)
    assert result.vmax == pytest.approx(explained.vmax)
    assert result.scores[0] == pytest.approx(explained.score, abs=1e-6)
    assert result.plane(z + 1) is None and result.label == ("LGG", "HGG").index(case.grade)
    # The statistics are kept while the mask version stays, recomputed after an edit.
    kept = engine.statistics(current, ("t1", "t2", "flair"), 3)
    assert engine.statistics(current, ("t1", "t2", "flair"), 3) is kept
    assert engine.statistics(current, ("t1", "t2", "flair"), 4) is not kept


def test_all_tumour_slices_and_cancel(trained: tuple[Path, Path]) -> None:
    demo, run = trained
    case = _case(demo)
    first, end = tumour_range(case.seg)
    assert case.seg[:, :, first].any() and case.seg[:, :, end - 1].any()
    assert not case.seg[:, :, :first].any() and not case.seg[:, :, end:].any()
    current = capture(case.id, case.grade, case.images, case.seg, first)
    seen: list[tuple[int, int]] = []
    result = LayerEngine().compute(run, current, range(first, end), progress=lambda d, t, _m: seen.append((d, t)))
    assert result.zs == tuple(range(first, end)) and seen[-1] == (end - first, end - first)
    volume = result.volume(case.seg.shape)
    np.testing.assert_array_equal(volume[:, :, first], result.planes[0])
    assert not volume[:, :, :first].any()
    with pytest.raises(CancelledError):
        LayerEngine().compute(run, current, range(first, end), cancel=lambda: True)
    assert tumour_range(np.zeros((4, 4, 4), np.uint8)) is None


def test_colours_are_clear_at_zero_and_signed_on_request() -> None:
    plane = np.array([[0.0, 1.0, -1.0, 0.25]])
    positive = layer_rgba(plane, 1.0, "positive")
    assert positive[0, 0, 3] == 0 and positive[0, 1, 3] == 255 and positive[0, 2, 3] == 0
    assert 0 < positive[0, 3, 3] < 255
    both = layer_rgba(plane, 1.0, "both")
    assert both[0, 2, 3] == 255 and both[0, 2, 2] > both[0, 2, 0]  # negative: blue
    assert both[0, 1, 0] > both[0, 1, 2]  # positive: red
    ramp = layer_ramp("both", 64, 8)
    assert ramp.shape == (8, 64, 4) and (ramp[..., 3] == 255).all()
    with pytest.raises(ValueError):
        layer_rgba(plane, 1.0, "negative")
