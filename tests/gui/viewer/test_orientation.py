"""The same anatomy stored in another voxel order looks the same on screen (end to end)."""

from __future__ import annotations

import shutil
from pathlib import Path

import nibabel as nib
import numpy as np


def _flip_case_files(folder: Path) -> None:
    """Rewrite every volume with voxel axis 0 reversed and the affine adjusted (same world)."""
    for path in folder.glob("*.nii.gz"):
        image = nib.load(str(path))
        data = np.asarray(image.dataobj)[::-1]
        flip = np.eye(4)
        flip[0, 0], flip[0, 3] = -1, data.shape[0] - 1
        affine = image.affine @ flip
        out = nib.Nifti1Image(np.ascontiguousarray(data), affine, image.header)
        out.set_sform(affine, code=1)
        out.set_qform(affine, code=1)
        nib.save(out, str(path))


def test_flipped_storage_shows_the_same_slices(make_window, demo_root: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(demo_root, data)
    case = sorted(p for p in data.iterdir() if p.is_dir())[0]
    flipped_root = tmp_path / "flipped"
    shutil.copytree(data, flipped_root)
    _flip_case_files(flipped_root / case.name)

    shown = []
    for root in (data, flipped_root):
        window = make_window()
        window.open_path(root, tmp_path / f"ws-{root.name}")
        window.browser.select(case.name)
        assert window.case.id == case.name
        views = window.views.views
        shown.append({plane: (np.array(v.image.image), np.array(v.overlay.image),
                              dict(v.mapping.labels)) for plane, v in views.items()})
    for plane in shown[0]:
        image_a, overlay_a, labels_a = shown[0][plane]
        image_b, overlay_b, labels_b = shown[1][plane]
        assert labels_a == labels_b
        np.testing.assert_array_equal(image_a, image_b)
        np.testing.assert_array_equal(overlay_a, overlay_b)
