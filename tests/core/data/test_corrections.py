"""Mask corrections: source grid and header, release labels, atomic, read back by other readers."""

from __future__ import annotations

import gzip
import hashlib
import json
from datetime import datetime
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest
import SimpleITK as sitk

from lrpstudio import __version__
from lrpstudio.core.data.case import Case
from lrpstudio.core.data.loading import load_case
from lrpstudio.core.data.corrections import save_correction
from lrpstudio.core.data.layouts import Release
from lrpstudio.core.data.workspace import Workspace, open_workspace
from lrpstudio.core.errors import CorrectionError, SegmentationError
from tests.brats_factory import case_files, read_back, save_volume, write_case

ROTATED = np.array([[0.0, -1.2, 0.0, 90.0], [0.9, 0.0, 0.0, -126.0],
                    [0.0, 0.0, 2.0, -72.0], [0.0, 0.0, 0.0, 1.0]])


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _edit(case: Case) -> np.ndarray:
    """A plausible correction: oedema removed, a new core blob painted."""
    seg = case.seg.copy()
    seg[seg == 2] = 0
    seg[2:5, 2:5, 2:4] = 1
    return seg


def _ws(tmp_path: Path) -> Workspace:
    return open_workspace(tmp_path / "ws")


def test_saved_correction_reads_back_with_nibabel_on_the_source_header(tmp_path: Path) -> None:
    folder = write_case(tmp_path / "data", Release.BRATS2021, "BraTS2021_00001", affine=ROTATED)
    source = case_files(Release.BRATS2021, folder)["seg"]
    header = nib.load(str(source)).header
    header.set_sform(ROTATED, code=2)  # aligned, not scanner: the codes must survive as they are
    header.set_qform(ROTATED, code=1)
    nib.save(nib.Nifti1Image(np.asanyarray(nib.load(str(source)).dataobj), None, header), str(source))
    before = {p: _sha(p) for p in folder.iterdir()}
    case = load_case(folder)
    seg = _edit(case)
    path = save_correction(case, seg, _ws(tmp_path))
    assert path == tmp_path / "ws" / "corrections" / case.id / f"{case.id}_seg.nii.gz"
    assert {p: _sha(p) for p in folder.iterdir()} == before  # the data is untouched
    back = nib.load(str(path))
    original = nib.load(str(source))
    assert back.get_data_dtype() == np.uint8 and back.shape == original.shape
    with gzip.open(path, "rb") as handle:  # the fields as stored (nib.load blanks them)
        stored = nib.Nifti1Header.from_fileobj(handle)
    assert float(stored["scl_slope"]) == 1.0 and float(stored["scl_inter"]) == 0.0
    assert (back.dataobj.slope, back.dataobj.inter) == (1.0, 0.0)
    assert int(back.header["sform_code"]) == 2 and int(back.header["qform_code"]) == 1
    for key in ("srow_x", "srow_y", "srow_z", "quatern_b", "quatern_c", "quatern_d", "pixdim"):
        np.testing.assert_array_equal(back.header[key], original.header[key])
    np.testing.assert_array_equal(back.affine, original.affine)
    written = np.asanyarray(back.dataobj)
    np.testing.assert_array_equal(written, np.where(seg == 3, 4, seg))  # 2017-2021 labels
    assert [p.name for p in path.parent.iterdir() if p.name.startswith(".")] == []  # no temp left


def test_correction_read_with_simpleitk_matches_source_geometry_and_voxels(tmp_path: Path) -> None:
    folder = write_case(tmp_path / "data", Release.BRATS2023, "BraTS-GLI-00002-000",
                        affine=ROTATED)
    case = load_case(folder)
    seg = _edit(case)
    path = save_correction(case, seg, _ws(tmp_path))
    image = sitk.ReadImage(str(path))
    source = sitk.ReadImage(str(case_files(Release.BRATS2023, folder)["seg"]))
    np.testing.assert_allclose(image.GetOrigin(), source.GetOrigin(), atol=1e-5)
    np.testing.assert_allclose(image.GetSpacing(), source.GetSpacing(), atol=1e-6)
    np.testing.assert_allclose(image.GetDirection(), source.GetDirection(), atol=1e-6)
    # SimpleITK's array is (z, y, x); what was saved is (x, y, z), canonical = 2023 labels.
    np.testing.assert_array_equal(sitk.GetArrayFromImage(image), np.transpose(seg, (2, 1, 0)))
    assert image.GetPixelIDValue() == sitk.sitkUInt8


def test_loading_prefers_the_correction_and_says_so(tmp_path: Path) -> None:
    folder = write_case(tmp_path / "data", Release.BRATS2021, "BraTS2021_00001", grade="HGG")
    case = load_case(folder)
    ws = _ws(tmp_path)
    seg = _edit(case)
    path = save_correction(case, seg, ws)
    again = load_case(folder, workspace=ws)
    assert again.correction == path and "corrected mask" in again.notices[0]
    np.testing.assert_array_equal(again.seg, seg)
    assert load_case(folder).correction is None  # no workspace, no correction
    assert load_case(folder, workspace=tmp_path / "ws").correction == path  # a folder works too


def test_sidecar_records_origin_and_change(tmp_path: Path) -> None:
    folder = write_case(tmp_path / "data", Release.BRATS2021, "BraTS2021_00001")
    case = load_case(folder)
    ws = _ws(tmp_path)
    seg = _edit(case)
    path = save_correction(case, seg, ws)
    sidecar = json.loads(ws.sidecar_path(case.id).read_text())
    source = case_files(Release.BRATS2021, folder)["seg"]
    assert sidecar["source_file"] == str(source.resolve())
    assert sidecar["source_sha256"] == _sha(source)
    assert sidecar["source_size"] == source.stat().st_size
    assert sidecar["correction_sha256"] == _sha(path)
    assert sidecar["voxels_changed"] == int((seg != case.seg).sum()) > 0
    assert sidecar["lrpstudio_version"] == __version__
    assert sidecar["label_convention"] == "brats2017-2021"
    assert datetime.fromisoformat(sidecar["created_utc"].replace("Z", "+00:00")).tzinfo


def test_2024_keeps_the_resection_cavity(tmp_path: Path) -> None:
    root = tmp_path / "BraTS2024"
    folder = write_case(root, Release.BRATS2024, "BraTS-GLI-00001-100")
    raw, _ = read_back(case_files(Release.BRATS2024, folder)["seg"])
    assert (raw == 4).any()
    case = load_case(folder)
    seg = case.seg.copy()
    seg[seg == 2] = 1
    path = save_correction(case, seg, _ws(tmp_path))
    written = np.asanyarray(nib.load(str(path)).dataobj)
    np.testing.assert_array_equal(written == 4, raw == 4)
    np.testing.assert_array_equal(np.where(written == 4, 0, written), seg)
    np.testing.assert_array_equal(load_case(folder, workspace=tmp_path / "ws").seg, seg)


def test_itk_source_gets_a_nifti_correction_on_the_same_grid(tmp_path: Path) -> None:
    folder = write_case(tmp_path / "data", Release.BRATS2021, "BraTS2021_00004", ext=".mha",
                        affine=ROTATED)
    case = load_case(folder)
    path = save_correction(case, _edit(case), _ws(tmp_path))
    image = sitk.ReadImage(str(path))
    source = sitk.ReadImage(str(case_files(Release.BRATS2021, folder, ".mha")["seg"]))
    np.testing.assert_allclose(image.GetOrigin(), source.GetOrigin(), atol=1e-4)
    np.testing.assert_allclose(image.GetDirection(), source.GetDirection(), atol=1e-6)
    np.testing.assert_allclose(image.GetSpacing(), source.GetSpacing(), atol=1e-6)


def test_bad_corrections_are_refused(tmp_path: Path) -> None:
    folder = write_case(tmp_path / "data", Release.BRATS2021, "BraTS2021_00001")
    case = load_case(folder)
    ws = _ws(tmp_path)
    with pytest.raises(SegmentationError, match="wrong shape"):
        save_correction(case, case.seg[:, :, :-1], ws)
    with pytest.raises(SegmentationError, match="non-canonical"):
        save_correction(case, np.where(case.seg == 3, 4, case.seg), ws)
    with pytest.raises(SegmentationError, match="fractional"):
        save_correction(case, case.seg.astype(np.float32) / 2, ws)
    assert ws.find_correction(case.id) is None
    path = save_correction(case, case.tumor_mask, ws)  # a bool mask is label 1
    assert set(np.unique(np.asanyarray(nib.load(str(path)).dataobj))) == {0, 1}


def test_never_written_into_a_case_folder(tmp_path: Path) -> None:
    inside = tmp_path / "ws" / "corrections"
    folder = write_case(inside, Release.BRATS2021, "BraTS2021_00001")
    case = load_case(folder)
    with pytest.raises(CorrectionError, match="case folder"):
        save_correction(case, case.seg, open_workspace(tmp_path / "ws"))


def test_stale_correction_is_noticed(tmp_path: Path) -> None:
    folder = write_case(tmp_path / "data", Release.BRATS2021, "BraTS2021_00001")
    case = load_case(folder)
    ws = _ws(tmp_path)
    save_correction(case, _edit(case), ws)
    seg_file = case_files(Release.BRATS2021, folder)["seg"]
    raw, affine = read_back(seg_file)
    raw[0, 0, 0] = 1
    save_volume(seg_file, raw, affine)
    notices = load_case(folder, workspace=ws).notices
    assert len(notices) == 2 and "changed after this correction" in notices[1]


def test_save_reports_its_stages(tmp_path: Path) -> None:
    from lrpstudio.core.data.corrections import SAVE_STAGES

    folder = write_case(tmp_path / "data", Release.BRATS2021, "BraTS2021_00002")
    case = load_case(folder)
    heard: list[tuple[int, int, str]] = []
    save_correction(case, _edit(case), _ws(tmp_path), lambda done, total, stage: heard.append((done, total, stage)))
    total = len(SAVE_STAGES)
    assert heard == [*((i, total, stage) for i, stage in enumerate(SAVE_STAGES)), (total, total, "saved")]
