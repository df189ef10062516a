"""The review queue on demo data: the viewer's components match the queue's, and shrunken
masks rank first (the issue's check at small scale)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy import ndimage

from lrpstudio.app.data_source import open_source
from lrpstudio.app.datasets import PrepareConfig, open_slices
from lrpstudio.app.review import build_queue, component_plane_mask, viewer_components, write_queue
from lrpstudio.app.slices import capture
from lrpstudio.cli.main import main
from lrpstudio.core.data.demo import DemoConfig, generate_demo
from lrpstudio.core.data.slice_dataset import SliceDataset
from lrpstudio.core.errors import InputError


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("review")
    demo = root / "demo"
    generate_demo(demo, DemoConfig(cases=3, seed=11, shape=(48, 48, 32), workers=1))
    run = root / "run"
    assert main(["train", str(demo), "--out", str(run), "--size", "32", "--epochs", "1", "--batch-size", "16",
                 "--pinned", "0", "--penalty", "1", "--warmup-epochs", "0"]) == 0
    return demo, run


def test_viewer_components_are_the_queue_components_on_the_plane(trained: tuple[Path, Path],
                                                                  tmp_path: Path) -> None:
    demo, run = trained
    queue = build_queue(run, demo)
    assert queue.entries and [e.rank for e in queue.entries] == list(range(1, len(queue.entries) + 1))
    entry = next(e for e in queue.entries if e.components)
    source = open_source(demo)
    row = next(r for r in source.rows() if r.case_id == entry.case_id)
    case = source.load(row)
    current = capture(case.id, case.grade, case.images, case.seg, entry.z)
    components, _labels, plane = viewer_components(run, current)
    assert plane == case.shape[:2]
    assert [c.voxels for c in components[:len(entry.components)]] == [c.voxels for c in entry.components]
    mask = component_plane_mask(run, current, 0)
    assert mask.dtype == bool and mask.shape == plane
    assert int(mask.sum()) == entry.components[0].voxels
    i, j = entry.components[0].centroid_ij
    assert 0 <= i < plane[0] and 0 <= j < plane[1]
    with pytest.raises(InputError):
        component_plane_mask(run, current, len(components))
    assert write_queue(queue, tmp_path / "q.json").is_file()
    with pytest.raises(InputError):
        write_queue(queue, tmp_path / "q.txt")


def _shrunk(dataset: SliceDataset, cases: list[str]) -> SliceDataset:
    """The dataset with the tumour masks of ``cases`` eroded (a mask that misses tumour)."""
    masks = dataset.tumor_masks.copy()
    for row in np.flatnonzero(np.isin(dataset.case_ids, cases)):
        masks[row] = ndimage.binary_erosion(masks[row])
    return SliceDataset(images=dataset.images, tumor_masks=masks, brain_masks=dataset.brain_masks,
                        labels=dataset.labels, case_ids=dataset.case_ids, slice_index=dataset.slice_index,
                        split=dataset.split, channels=dataset.channels, manifest=dataset.manifest)


@pytest.mark.slow
def test_shrunken_masks_rank_at_the_top(tmp_path: Path) -> None:
    demo = tmp_path / "demo"
    generate_demo(demo, DemoConfig(cases=12, seed=5, shape=(64, 64, 40), workers=1, shortcut=0.0))
    run = tmp_path / "run"
    assert main(["train", str(demo), "--out", str(run), "--size", "32", "--epochs", "4", "--batch-size", "8",
                 "--lr", "0.003", "--pinned", "0", "--penalty", "1", "--warmup-epochs", "0", "--seed", "1",
                 "--json"]) == 0
    dataset = open_slices(demo, PrepareConfig(image_size=32))
    cases = sorted(set(dataset.case_ids.tolist()))
    shrunk = cases[1:10:3]
    queue = build_queue(run, _shrunk(dataset, shrunk))
    mean_rank = {c: np.mean([e.rank for e in queue.entries if e.case_id == c]) for c in cases}
    first = sorted(cases, key=lambda c: mean_rank[c])[:3]
    assert sorted(first) == shrunk, mean_rank
    top = [e.case_id for e in queue.entries[:10]]
    assert sum(c in shrunk for c in top) >= 6, top
