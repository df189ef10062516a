"""`lrpstudio similar` end to end: a real run trained on a tiny saved dataset."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from matplotlib.image import imread

from lrpstudio.cli.main import main
from lrpstudio.core.data.slice_dataset import SliceDataset, save_dataset

FAST = ["--projection-dim", "8", "--pool", "8", "--top", "10"]


def blobs(n_cases: int = 10, per_case: int = 3, size: int = 32, seed: int = 0) -> SliceDataset:
    """Disc brains with a blob tumour; HGG blobs are brighter in FLAIR; 6/2/2 cases train/val/test."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:size, :size]
    brain = (yy - size / 2) ** 2 + (xx - size / 2) ** 2 < (0.42 * size) ** 2
    split_of = ["train"] * (n_cases - 4) + ["val"] * 2 + ["test"] * 2
    images, tumours, labels, cases, zs, splits = [], [], [], [], [], []
    for c in range(n_cases):
        cy, cx = rng.uniform(0.35, 0.65, 2) * size
        for z in range(per_case):
            tumour = ((yy - cy) ** 2 + (xx - cx) ** 2 < (size * rng.uniform(0.1, 0.16)) ** 2) & brain
            img = rng.normal(0, 0.3, (3, size, size)).astype(np.float32)
            img[:, tumour] += 1.0
            img[2, tumour] += 1.5 * (c % 2)
            images.append(img * brain)
            tumours.append(tumour)
            labels.append(c % 2)
            cases.append(f"case{c:02d}")
            zs.append(40 + z)
            splits.append(split_of[c])
    n = len(labels)
    return SliceDataset(images=np.stack(images), tumor_masks=np.stack(tumours),
                        brain_masks=np.repeat(brain[None], n, 0), labels=np.asarray(labels, np.int64),
                        case_ids=np.asarray(cases), slice_index=np.asarray(zs, np.int64),
                        split=np.asarray(splits))


@pytest.fixture(scope="module")
def run_and_data(tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("similar")
    data = save_dataset(blobs(), root / "dataset")
    run = root / "run"
    assert main(["train", str(data), "--out", str(run), "--epochs", "1", "--batch-size", "8",
                 "--pinned", "0", "--guidance", "none", "--seed", "1"]) == 0
    return run, data


def test_all_layers_json_pictures_and_cache(run_and_data, tmp_path, capsys) -> None:
    run, data = run_and_data
    capsys.readouterr()
    out = tmp_path / "out"
    assert main(["similar", str(run), "--data", str(data), "--case", "case07", "--k", "2",
                 "--out", str(out), "--json", *FAST]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report == json.loads((out / "similar.json").read_text())
    assert report["query"]["case_id"] == "case07" and report["query"]["split"] == "val"
    assert list(report["layers"]) == ["block1", "block2", "block3", "block4", "dense"]
    train_cases = {f"case{c:02d}" for c in range(6)}
    for _layer, record in report["layers"].items():
        assert len(record["neighbours"]) == 2
        assert all(n["case_id"] in train_cases for n in record["neighbours"])
        assert (out / record["gallery_png"]).is_file()
        for n in record["neighbours"]:
            png = imread(out / n["bilrp_png"])[..., :3]
            coloured = ((png[..., 0] > 0.6) & (png[..., 1] < 0.35)) | ((png[..., 2] > 0.6) & (png[..., 0] < 0.4))
            assert n["bilrp_pairs"] > 0 and coloured.any()  # the lines are really drawn
    verdict = report["deep_knn"]
    assert 0 <= verdict["credibility"] <= 1 and verdict["predicted_grade"] in ("LGG", "HGG")
    cache = sorted(p.name for p in (run / "similar").iterdir())
    assert cache == [f"atlas_{layer}.npz" for layer in sorted(report["layers"])]
    stamps = {p: p.stat().st_mtime_ns for p in (run / "similar").iterdir()}
    # a query of a training patient: its own slices are excluded; the cache is reused
    assert main(["similar", str(run), "--data", str(data), "--case", "case02", "--slice", "41",
                 "--layer", "block3", "--k", "4", "--out", str(tmp_path / "two"), "--json", *FAST]) == 0
    second = json.loads(capsys.readouterr().out)
    assert list(second["layers"]) == ["block3"] and second["query"]["slice_index"] == 41
    neighbours = second["layers"]["block3"]["neighbours"]
    assert len(neighbours) == 4 and all(n["case_id"] != "case02" for n in neighbours)
    assert {p: p.stat().st_mtime_ns for p in (run / "similar").iterdir()} == stamps


def test_bad_input_is_exit_code_2(run_and_data, tmp_path, capsys) -> None:
    run, data = run_and_data
    base = ["--data", str(data), "--out", str(tmp_path / "x"), *FAST]
    assert main(["similar", str(run), "--case", "nobody", *base]) == 2
    assert "nobody" in capsys.readouterr().err
    assert main(["similar", str(run), "--case", "case01", "--layer", "block9", *base]) == 2
    assert "block9" in capsys.readouterr().err
    assert main(["similar", str(tmp_path), "--case", "case01", *base]) == 2
    assert main(["similar", str(run), "--case", "case01", "--k", "0", *base]) == 2


def test_help_has_examples(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["similar", "--help"])
    text = capsys.readouterr().out
    assert "examples:" in text and "--layer" in text and "--k" in text
