"""Tiny in-memory slice datasets for the training tests (no file I/O)."""

from __future__ import annotations

import numpy as np

from lrpstudio.core.data.slice_dataset import SliceDataset


def tiny_dataset(n_cases: int = 10, slices_per_case: int = 4, size: int = 64, seed: int = 0,
                 shortcut: bool = False) -> SliceDataset:
    """Blob tumours inside a disc-shaped brain; HGG tumours are brighter in channel 2.

    With ``shortcut`` the label is also written as a bright square in a corner of the
    brain, outside the tumour (a confounder).
    """
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:size, :size]
    brain = (yy - size / 2) ** 2 + (xx - size / 2) ** 2 < (0.42 * size) ** 2
    images, tumors, labels, cases, zs, splits = [], [], [], [], [], []
    split_of = ["train"] * (n_cases - 4) + ["val"] * 2 + ["test"] * 2
    for c in range(n_cases):
        label = c % 2
        cy, cx = rng.uniform(0.35, 0.65, 2) * size
        for z in range(slices_per_case):
            r = size * rng.uniform(0.08, 0.15)
            tumor = ((yy - cy) ** 2 + (xx - cx) ** 2 < r ** 2) & brain
            img = rng.normal(0.0, 0.3, (3, size, size)).astype(np.float32) * brain
            img[:, tumor] += 1.0
            img[2, tumor] += 1.5 * label
            if shortcut:
                img[:, size // 4 - 3:size // 4 + 3, size // 4 - 3:size // 4 + 3] += 2.0 * label
            images.append(img * brain)
            tumors.append(tumor)
            labels.append(label)
            cases.append(f"case{c:02d}")
            zs.append(60 + z)
            splits.append(split_of[c])
    n = len(labels)
    return SliceDataset(
        images=np.stack(images).astype(np.float32), tumor_masks=np.stack(tumors),
        brain_masks=np.repeat(brain[None], n, axis=0), labels=np.asarray(labels, dtype=np.int64),
        case_ids=np.asarray(cases), slice_index=np.asarray(zs, dtype=np.int64),
        split=np.asarray(splits), channels=("t1", "t2", "flair"), manifest={"test": True, "seed": seed})
