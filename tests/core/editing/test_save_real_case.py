"""Edit a real case on disk, save through the corrections store, read it back with other readers."""

from __future__ import annotations

from pathlib import Path

import nibabel as nib
import numpy as np
import SimpleITK as sitk

from lrpstudio.core.data.loading import load_case
from lrpstudio.core.data.layouts import MODALITIES, Release, case_file_name
from lrpstudio.core.editing import BrushSettings, EditSession, find_recoverable, recover

CASE = "BraTS20_Training_001"
SHAPE = (32, 32, 16)


def _write_case(root: Path) -> tuple[Path, np.ndarray]:
    """A tiny BraTS 2020 case: four modalities and a segmentation using label 4 for enhancing."""
    folder = root / CASE
    folder.mkdir(parents=True)
    affine = np.diag([-1.0, -1.0, 2.0, 1.0])
    affine[:3, 3] = [10.0, 20.0, -5.0]
    rng = np.random.default_rng(14)
    brain = np.zeros(SHAPE, bool)
    brain[4:28, 4:28, 2:14] = True
    for modality in MODALITIES:
        image = (rng.uniform(50, 150, SHAPE) * brain).astype(np.float32)
        nib.save(nib.Nifti1Image(image, affine), folder / case_file_name(Release.BRATS2020, CASE, modality))
    seg = np.zeros(SHAPE, np.uint8)
    seg[10:20, 10:20, 5:10] = 2
    seg[13:17, 13:17, 6:9] = 4
    nib.save(nib.Nifti1Image(seg, affine), folder / case_file_name(Release.BRATS2020, CASE, "seg"))
    return folder, seg


def test_edit_save_and_read_back(tmp_path: Path) -> None:
    folder, original = _write_case(tmp_path / "data")
    workspace = tmp_path / "workspace"
    case = load_case(folder, workspace)
    session = EditSession.for_case(case, workspace)
    assert session.spacing == (1.0, 1.0, 2.0)
    session.set_active_label(1)
    session.set_brush(BrushSettings(radius=2, paint_over="protect_others"))
    session.begin_stroke()
    for x in (11, 14, 18):
        session.stroke_to((x, 15, 7))
    session.end_stroke()
    session.set_active_label(3)
    session.paint((25, 25, 12))
    session.undo()
    assert session.dirty and session.journal_file is not None and session.journal_file.exists()
    edited = session.seg.copy()

    saved = session.save()
    assert not session.dirty and find_recoverable(workspace) == []
    assert folder not in saved.parents  # never over the originals
    original_file = folder / case_file_name(Release.BRATS2020, CASE, "seg")
    np.testing.assert_array_equal(np.asarray(nib.load(original_file).dataobj), original)

    # another reader: SimpleITK (z, y, x order) and the release's labels (enhancing = 4)
    read = sitk.GetArrayFromImage(sitk.ReadImage(str(saved))).transpose(2, 1, 0)
    expected = edited.copy()
    expected[edited == 3] = 4
    np.testing.assert_array_equal(read, expected)
    header = nib.load(saved)
    np.testing.assert_allclose(header.affine, nib.load(original_file).affine)

    # the next session starts from the correction; a crash after more edits is recoverable
    reloaded = load_case(folder, workspace)
    np.testing.assert_array_equal(reloaded.seg, edited)
    second = EditSession.for_case(reloaded, workspace)
    second.erase((15, 15, 7))
    found = find_recoverable(workspace)
    assert [f.case_id for f in found] == [CASE] and found[0].source_file == str(saved)
    np.testing.assert_array_equal(recover(found[0].path, reloaded.seg), second.seg)
