"""Is there a grade cue outside the tumour? Train plain CE with the tumour blanked out.

Every pixel of the whole-tumour mask, grown by ``--margin`` pixels, is set to 0 (the
normalised value of the background) in the training and in the test slices; a model
that still tells the grades apart above chance must be reading something outside the
tumour. Usage::

    python docs/experiments/tumour_blanked.py TRAIN_DATASET TEST_DATASET [--split all]
        [--epochs 12] [--seeds 3] [--out DIR]

Prints one line per seed and the mean balanced accuracy on TEST_DATASET's split.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import tempfile
from pathlib import Path

import numpy as np
from scipy import ndimage

from lrpstudio.core.data.slice_dataset import SliceDataset, load_dataset
from lrpstudio.core.train.config import TrainConfig
from lrpstudio.core.train.engine import fit
from lrpstudio.core.train.evaluate import evaluate_model, load_run_model
from lrpstudio.core.xai.losses import GuidanceConfig


def blank_tumour(dataset: SliceDataset, margin: int = 2) -> SliceDataset:
    """A copy of ``dataset`` whose images are 0 inside the tumour mask grown by ``margin``."""
    grown = np.stack([ndimage.binary_dilation(m, iterations=margin) if margin else m
                      for m in dataset.tumor_masks.astype(bool)])
    images = np.where(grown[:, None], np.float32(0), dataset.images).astype(np.float32)
    return dataclasses.replace(dataset, images=images)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("train", type=Path)
    parser.add_argument("test", type=Path)
    parser.add_argument("--split", default="all")
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--margin", type=int, default=2)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    train = blank_tumour(load_dataset(args.train), args.margin)
    test = blank_tumour(load_dataset(args.test), args.margin).subset(args.split)
    out = args.out or Path(tempfile.mkdtemp(prefix="blanked-"))
    results = []
    for seed in range(args.seeds):
        config = TrainConfig(guidance=GuidanceConfig(kind="none", penalty=0.0), epochs=args.epochs,
                             seed=seed)
        fit(config, train, run_dir=out / f"seed{seed}")
        model, run_config, _ = load_run_model(out / f"seed{seed}")
        metrics = evaluate_model(model, test, run_config.composite)
        results.append(metrics)
        print(f"seed {seed}: balanced accuracy {metrics['balanced_accuracy']:.3f} "
              f"(sensitivity {metrics['sensitivity']:.2f}, specificity {metrics['specificity']:.2f})")
    mean = float(np.mean([r["balanced_accuracy"] for r in results]))
    sd = float(np.std([r["balanced_accuracy"] for r in results], ddof=1)) if len(results) > 1 else 0.0
    print(json.dumps({"balanced_accuracy_mean": mean, "balanced_accuracy_sd": sd,
                      "runs": len(results), "slices": len(test)}))


if __name__ == "__main__":
    main()
