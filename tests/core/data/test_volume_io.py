"""Reading one volume: NIfTI and SimpleITK formats, and every way a file can be broken."""

from __future__ import annotations

import gzip
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest
import SimpleITK as sitk

from lrpstudio.core.data.layouts import Release
from lrpstudio.core.data.volume_io import read_header, read_volume
from lrpstudio.core.errors import InvalidValuesError, VolumeReadError
from tests.brats_factory import DEFAULT_AFFINE, save_volume, write_broken_case

# A rotated, anisotropic grid: catches any slip in the LPS/RAS or axis-order conversion.
_ANGLE = np.deg2rad(20)
ROTATED_AFFINE = np.array([
    [np.cos(_ANGLE) * 0.9, -np.sin(_ANGLE) * 1.1, 0.0, 12.5],
    [np.sin(_ANGLE) * 0.9, np.cos(_ANGLE) * 1.1, 0.0, -30.0],
    [0.0, 0.0, 2.5, 7.0],
    [0.0, 0.0, 0.0, 1.0],
])


def _ramp(shape: tuple[int, int, int] = (7, 5, 3), dtype: str = "int16") -> np.ndarray:
    """Every voxel a different value, so any axis swap or flip shows."""
    return np.arange(np.prod(shape)).reshape(shape).astype(dtype)


@pytest.mark.parametrize("ext", [".nii", ".nii.gz"])
def test_nifti_round_trip_keeps_voxel_order_dtype_and_affine(tmp_path: Path, ext: str) -> None:
    array = _ramp()
    path = save_volume(tmp_path / f"v{ext}", array, ROTATED_AFFINE)
    volume = read_volume(path)
    assert volume.array.dtype == np.int16
    np.testing.assert_array_equal(volume.array, array)
    np.testing.assert_allclose(volume.affine, ROTATED_AFFINE, atol=1e-5)
    assert volume.header.format == "nifti" and volume.header.nifti_header is not None


@pytest.mark.parametrize("ext", [".nrrd", ".mha", ".mhd"])
def test_itk_formats_give_xyz_arrays_and_ras_affines(tmp_path: Path, ext: str) -> None:
    array = _ramp(dtype="float32")
    path = save_volume(tmp_path / f"v{ext}", array, ROTATED_AFFINE)
    volume = read_volume(path)
    np.testing.assert_array_equal(volume.array, array)
    # Independent reference: SimpleITK's own index -> physical (LPS) mapping.
    image = sitk.ReadImage(str(path))
    for index in [(0, 0, 0), (6, 0, 0), (0, 4, 0), (0, 0, 2), (3, 2, 1)]:
        lps = np.array(image.TransformIndexToPhysicalPoint(index))
        ras = volume.affine @ np.array([*index, 1.0])
        np.testing.assert_allclose(ras[:3], lps * [-1, -1, 1], atol=1e-4)
        assert volume.array[index] == sitk.GetArrayFromImage(image)[index[::-1]]


def test_header_matches_full_read_without_voxels(tmp_path: Path) -> None:
    for ext in (".nii.gz", ".nrrd"):
        path = save_volume(tmp_path / f"h{ext}", _ramp(), ROTATED_AFFINE)
        header, volume = read_header(path), read_volume(path)
        assert header.shape == volume.array.shape == (7, 5, 3)
        np.testing.assert_allclose(header.affine, volume.affine)
        assert header.dtype == np.dtype("int16")


@pytest.mark.parametrize(("defect", "error", "words"), [
    ("truncated_gz", VolumeReadError, "truncated"),
    ("empty_file", VolumeReadError, "empty"),
    ("text_file", VolumeReadError, "not a gzip file"),
    ("4d", InvalidValuesError, "2 volumes"),
])
def test_broken_files_are_typed_errors_naming_the_file(tmp_path: Path, defect: str,
                                                       error: type, words: str) -> None:
    _, bad = write_broken_case(tmp_path, Release.BRATS2021, "BraTS2021_00001", defect)
    for reader in (read_header, read_volume):
        with pytest.raises(error) as caught:
            reader(bad)
        assert caught.value.path == bad
        assert words in str(caught.value) and str(bad) in caught.value.message()


def test_nan_and_inf_are_found_when_voxels_are_read(tmp_path: Path) -> None:
    _, bad = write_broken_case(tmp_path, Release.BRATS2021, "BraTS2021_00001", "nan")
    read_header(bad)  # the header is fine
    with pytest.raises(InvalidValuesError, match="1 NaN and 1 infinite"):
        read_volume(bad)
    assert np.isnan(read_volume(bad, check_finite=False).array).sum() == 1


def test_singleton_fourth_axis_is_squeezed(tmp_path: Path) -> None:
    array = _ramp()
    path = save_volume(tmp_path / "s.nii.gz", array[..., np.newaxis])
    assert read_header(path).shape == (7, 5, 3)
    np.testing.assert_array_equal(read_volume(path).array, array)
    itk = save_volume(tmp_path / "s.mha", array[..., np.newaxis])
    np.testing.assert_array_equal(read_volume(itk).array, array)


def test_two_dimensional_image_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "flat.nii.gz"
    nib.save(nib.Nifti1Image(np.ones((4, 4), np.int16), np.eye(4)), str(path))
    with pytest.raises(InvalidValuesError, match="not a 3-D volume"):
        read_header(path)


def test_truncated_uncompressed_nifti_is_found_from_the_header(tmp_path: Path) -> None:
    path = save_volume(tmp_path / "t.nii", _ramp((16, 16, 8)))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 100])
    with pytest.raises(VolumeReadError, match="shorter than its header") as caught:
        read_header(path)
    assert caught.value.actual == f"{len(data) - 100} bytes"


def test_multi_member_gzip_is_not_mistaken_for_truncation(tmp_path: Path) -> None:
    raw = nib.Nifti1Image(_ramp((16, 16, 8)), np.eye(4)).to_bytes()
    path = tmp_path / "multi.nii.gz"
    path.write_bytes(gzip.compress(raw[:1000]) + gzip.compress(raw[1000:]))
    assert read_header(path).shape == (16, 16, 8)
    np.testing.assert_array_equal(read_volume(path).array, _ramp((16, 16, 8)))


def test_uncompressed_nifti_named_gz_gets_a_hint(tmp_path: Path) -> None:
    path = tmp_path / "plain.nii.gz"
    path.write_bytes(nib.Nifti1Image(_ramp(), np.eye(4)).to_bytes())
    with pytest.raises(VolumeReadError, match="uncompressed NIfTI"):
        read_header(path)


def test_garbage_nii_and_unknown_extension_and_missing(tmp_path: Path) -> None:
    garbage = tmp_path / "g.nii"
    garbage.write_bytes(b"hello" * 200)
    with pytest.raises(VolumeReadError, match="not a NIfTI"):
        read_header(garbage)
    other = tmp_path / "scan.dcm"
    other.write_bytes(b"x")
    with pytest.raises(VolumeReadError, match="not a supported volume file"):
        read_header(other)
    with pytest.raises(VolumeReadError, match="does not exist"):
        read_volume(tmp_path / "absent.nii.gz")
    bad_itk = tmp_path / "g.mha"
    bad_itk.write_text("not an image")
    with pytest.raises(VolumeReadError) as caught:
        read_header(bad_itk)
    assert str(tmp_path) not in caught.value.detail()  # the path is said once, in front


def test_truncated_itk_file_fails_on_voxel_read(tmp_path: Path) -> None:
    path = save_volume(tmp_path / "t.mha", _ramp((16, 16, 8)))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(VolumeReadError, match="truncated"):
        read_volume(path)


def test_scaled_nifti_is_float32_with_scaling_applied(tmp_path: Path) -> None:
    image = nib.Nifti1Image(_ramp(), DEFAULT_AFFINE)
    image.header.set_slope_inter(0.5, 10.0)
    path = tmp_path / "scaled.nii.gz"
    nib.save(image, str(path))
    volume = read_volume(path)
    assert volume.array.dtype == np.float32
    np.testing.assert_allclose(volume.array, _ramp() * 0.5 + 10.0)
