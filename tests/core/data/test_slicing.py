"""The numpy part of the slice dataset, checked against slow reference implementations."""

from __future__ import annotations

import numpy as np
import pytest

from lrpstudio.core.data.slicing import (
    area_weights,
    axial_slices,
    brain_statistics,
    extract_slices,
    slices_at,
    normalise,
    pad_to_square,
    region_mask,
    resize_area,
    resize_mask,
    select_slices,
    split_cases,
    split_counts,
)


# --- slice choice ---------------------------------------------------------------------

def _reference_window(areas: np.ndarray, count: int, step: int) -> list[int]:
    """Slow reference: of all windows on the centre's grid that fit, the closest one."""
    depth, centre = len(areas), int(np.argmax(areas))
    grid = [z for z in range(depth) if (z - centre) % step == 0]
    length = min(count, len(grid))
    windows = [grid[s:s + length] for s in range(len(grid) - length + 1)]
    return min(windows, key=lambda w: (sum(abs(z - centre) for z in w), w[0]))


def test_select_slices_centred_in_the_middle() -> None:
    areas = np.zeros(155)
    areas[80] = 10
    np.testing.assert_array_equal(select_slices(areas, 5, 3), [74, 77, 80, 83, 86])
    np.testing.assert_array_equal(select_slices(areas, 15, 1), np.arange(73, 88))


@pytest.mark.parametrize("centre", [0, 1, 2, 5, 150, 153, 154])
def test_select_slices_shift_inward_at_volume_ends(centre: int) -> None:
    areas = np.zeros(155)
    areas[centre] = 1
    for count, step in ((5, 3), (15, 1)):
        got = select_slices(areas, count, step)
        assert len(got) == count and got.min() >= 0 and got.max() <= 154
        assert centre in got and set(np.diff(got)) == {step}
        assert got.tolist() == _reference_window(areas, count, step)


def test_select_slices_random_against_reference() -> None:
    rng = np.random.default_rng(3)
    for _ in range(200):
        depth = int(rng.integers(1, 40))
        areas = rng.integers(0, 50, size=depth)
        count, step = int(rng.integers(1, 16)), int(rng.integers(1, 5))
        assert select_slices(areas, count, step).tolist() == _reference_window(areas, count, step)


def test_select_slices_short_volume_gives_fewer() -> None:
    areas = np.array([0, 3, 9, 1])
    assert select_slices(areas, 15, 1).tolist() == [0, 1, 2, 3]
    assert select_slices(areas, 5, 3).tolist() == [2]
    with pytest.raises(ValueError):
        select_slices(areas, 0, 1)


def test_axial_orientation_is_transposed_voxel_order() -> None:
    volume = np.arange(4 * 5 * 6).reshape(4, 5, 6)
    out = axial_slices(volume, np.array([2, 5]))
    assert out.shape == (2, 5, 4)
    for k, z in enumerate((2, 5)):
        for row in range(5):
            for col in range(4):
                assert out[k, row, col] == volume[col, row, z]


def test_region_masks() -> None:
    seg = np.array([0, 1, 2, 3], np.uint8)
    assert region_mask(seg, "whole").tolist() == [False, True, True, True]
    assert region_mask(seg, "core").tolist() == [False, True, False, True]
    assert region_mask(seg, "enhancing").tolist() == [False, False, False, True]
    with pytest.raises(ValueError):
        region_mask(seg, "oedema")


# --- normalisation --------------------------------------------------------------------

def _volume(shape=(20, 24, 10), seed=0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    grid = np.meshgrid(*[np.linspace(-1, 1, n) for n in shape], indexing="ij")
    brain = sum(g ** 2 for g in grid) < 0.8
    volume = np.where(brain, rng.gamma(4.0, 100.0, size=shape), 0.0)
    return volume, brain


def test_normalised_brain_has_zero_mean_unit_std_and_zero_outside() -> None:
    volume, brain = _volume()
    volume[brain.nonzero()[0][0], brain.nonzero()[1][0], brain.nonzero()[2][0]] = 1e7  # hot voxel
    stats = brain_statistics(volume, brain)
    out = normalise(volume, brain, stats)
    inside = out[brain].astype(np.float64)
    assert abs(inside.mean()) < 1e-5 and abs(inside.std() - 1) < 1e-5
    assert np.all(out[~brain] == 0)
    # The hot voxel is clipped to the 99.5th percentile of the brain, not kept at 1e7.
    assert stats.high == pytest.approx(np.percentile(volume[brain], 99.5))
    assert inside.max() == pytest.approx((stats.high - stats.mean) / stats.std, rel=1e-5)


def test_normalisation_of_constant_and_empty_brain() -> None:
    volume = np.full((4, 4, 4), 7.0)
    brain = np.ones_like(volume, bool)
    assert np.all(normalise(volume, brain, brain_statistics(volume, brain)) == 0)
    empty = np.zeros_like(brain)
    assert np.all(normalise(volume, empty, brain_statistics(volume, empty)) == 0)


# --- resizing -------------------------------------------------------------------------

def _reference_resize(image: np.ndarray, size: int) -> np.ndarray:
    """Slow exact area resampling: replicate every pixel ``size`` times, average blocks."""
    h, w = image.shape
    fine = np.repeat(np.repeat(image.astype(np.float64), size, axis=0), size, axis=1)
    return fine.reshape(size, h, size, w).mean(axis=(1, 3))


def _reference_mask(mask: np.ndarray, size: int) -> np.ndarray:
    """Coverage strictly above one half (exact ties, within rounding, are not set)."""
    return _reference_resize(mask, size) > 0.5 + 1e-9


@pytest.mark.parametrize(("n_in", "n_out"), [(30, 20), (20, 30), (24, 16), (17, 5), (16, 16)])
def test_area_resize_matches_slow_reference(n_in: int, n_out: int) -> None:
    image = np.random.default_rng(n_in).normal(size=(n_in, n_in))
    np.testing.assert_allclose(resize_area(image, n_out), _reference_resize(image, n_out),
                               rtol=0, atol=1e-12)
    np.testing.assert_allclose(area_weights(n_in, n_out).sum(axis=1), 1.0)


def test_resized_mask_is_coverage_over_half_and_stays_aligned() -> None:
    rng = np.random.default_rng(1)
    mask = np.zeros((2, 30, 30), bool)
    mask[0, 5:17, 8:23] = True
    mask[1] = rng.random((30, 30)) < 0.4
    got = resize_mask(mask, 20)
    for k in range(2):
        np.testing.assert_array_equal(got[k], _reference_mask(mask[k], 20))
    # An image that is the mask's indicator resizes to the mask's coverage: same grid.
    image = resize_area(mask[0].astype(float) * 5.0, 20)
    np.testing.assert_array_equal(image > 2.5 + 1e-8, got[0])


def test_pad_to_square_keeps_aspect_centred() -> None:
    stack = np.ones((2, 3, 6, 4))
    out = pad_to_square(stack)
    assert out.shape == (2, 3, 6, 6)
    assert np.all(out[..., :, 1:5] == 1) and np.all(out[..., :, 0] == 0) and np.all(out[..., :, 5] == 0)


# --- the whole extraction -------------------------------------------------------------

def _case(seed: int = 0, shape=(30, 30, 16)):
    volume, brain = _volume(shape, seed)
    rng = np.random.default_rng(seed)
    seg = np.zeros(shape, np.uint8)
    grid = np.meshgrid(*[np.arange(n) for n in shape], indexing="ij")
    dist = (grid[0] - 12) ** 2 + (grid[1] - 17) ** 2 + 5.0 * (grid[2] - 6) ** 2
    seg[dist < 45] = 2
    seg[dist < 15] = 3
    seg[dist < 4] = 1
    channels = [volume, volume * 0.5 + rng.normal(0, 5, shape) * brain, np.sqrt(volume)]
    return channels, seg, brain


def test_extract_slices_against_step_by_step_reference() -> None:
    channels, seg, brain = _case()
    got = extract_slices(channels, seg, brain, count=5, step=3, size=20, region="core")
    centre = int(np.argmax([(seg[:, :, z] > 0).sum() for z in range(seg.shape[2])]))
    assert centre == 6 and got.slice_index.tolist() == [0, 3, 6, 9, 12]
    assert got.images.shape == (5, 3, 20, 20) and got.images.dtype == np.float32
    for k, z in enumerate(got.slice_index):
        # Slow reference built slice by slice with explicit transposes.
        tumour = np.isin(seg[:, :, z], (1, 3)).T
        np.testing.assert_array_equal(got.tumor_masks[k], _reference_mask(tumour, 20))
        brain_2d = (brain[:, :, z] | (seg[:, :, z] > 0)).T
        np.testing.assert_array_equal(got.brain_masks[k], _reference_mask(brain_2d, 20))
        for c, vol in enumerate(channels):
            values = vol[brain & (seg == 0)]  # statistics of the healthy brain only
            low, high = np.percentile(values, (0.5, 99.5))
            clipped = np.clip(values, low, high)
            norm = np.where(brain_2d, (np.clip(vol[:, :, z].T, low, high) - clipped.mean())
                            / clipped.std(), 0.0)
            np.testing.assert_allclose(got.images[k, c], _reference_resize(norm, 20), atol=1e-5)


def test_extract_slices_native_size_is_unresampled() -> None:
    channels, seg, brain = _case(2)
    got = extract_slices(channels, seg, brain, count=15, step=1, size=30)
    assert got.images.shape == (15, 3, 30, 30)
    for k, z in enumerate(got.slice_index):
        np.testing.assert_array_equal(got.tumor_masks[k], (seg[:, :, z] > 0).T)


# --- splits ---------------------------------------------------------------------------

def _grades(n_hgg: int, n_lgg: int) -> dict[str, str]:
    grades = {f"h{i:03d}": "HGG" for i in range(n_hgg)}
    grades.update({f"l{i:03d}": "LGG" for i in range(n_lgg)})
    return grades


def test_split_counts_largest_remainder() -> None:
    assert split_counts(76, (0.7, 0.2, 0.1)) == [53, 15, 8]
    assert split_counts(259, (0.7, 0.2, 0.1)) == [181, 52, 26]
    assert split_counts(10, (0.7, 0.2, 0.1)) == [7, 2, 1]
    assert split_counts(0, (0.7, 0.2, 0.1)) == [0, 0, 0]


def test_split_is_patient_level_stratified_and_seeded() -> None:
    grades = _grades(259, 76)
    split = split_cases(grades, (0.7, 0.2, 0.1), seed=5)
    assert set(split) == set(grades)  # every patient in exactly one split (a dict)
    for grade, expected in (("HGG", [181, 52, 26]), ("LGG", [53, 15, 8])):
        got = [sum(1 for c, s in split.items() if s == name and grades[c] == grade)
               for name in ("train", "val", "test")]
        assert got == expected
    assert split_cases(dict(reversed(list(grades.items()))), (0.7, 0.2, 0.1), seed=5) == split
    assert split_cases(grades, (0.7, 0.2, 0.1), seed=6) != split


def test_split_of_one_grade_ignores_the_other() -> None:
    before = split_cases(_grades(20, 10), seed=1)
    after = split_cases(_grades(20, 11), seed=1)
    assert {c: s for c, s in after.items() if c.startswith("h")} == \
        {c: s for c, s in before.items() if c.startswith("h")}


def test_tumour_does_not_shift_the_healthy_grey_level() -> None:
    """One brain, one tumour mask; in the second copy the tumour is far brighter (a
    high-grade oedema): the healthy tissue gets the same normalised values, so the
    grade cannot leak into the whole brain's grey level."""
    channels, seg, brain = _case()
    seg = seg.copy()
    seg[2:10, 2:10, :] = 2  # a large oedema inside the brain box
    bright = [np.where(seg > 0, vol.max() * 3, vol) for vol in channels]
    z, size = np.asarray([6]), channels[0].shape[0]
    plain = slices_at(channels, seg, brain, z, size)
    hot = slices_at(bright, seg, brain, z, size)
    healthy = (brain[:, :, 6] & (seg[:, :, 6] == 0)).T
    assert healthy.sum() > 100
    np.testing.assert_allclose(hot.images[0][:, healthy], plain.images[0][:, healthy], atol=1e-6)
    # A brain-wide z-score (the former normalisation) would have shifted them.
    old = brain_statistics(bright[0], brain | (seg > 0))
    new = brain_statistics(bright[0], brain & (seg == 0))
    assert abs(old.mean - new.mean) > 0.1 * new.std


def test_statistics_do_not_depend_on_memory_layout() -> None:
    rng = np.random.default_rng(5)
    volume = rng.integers(0, 1000, (20, 18, 12)).astype(np.int16)
    brain = volume > 300
    reference = brain_statistics(volume, brain)
    for v in (np.asfortranarray(volume), volume):
        for b in (np.asfortranarray(brain), brain):
            got = brain_statistics(v, b)
            assert (got.low, got.high) == (reference.low, reference.high)
            assert got.mean == pytest.approx(reference.mean, rel=1e-12)
            assert got.std == pytest.approx(reference.std, rel=1e-12)
