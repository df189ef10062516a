"""One synthetic case: determinism, dtypes, anatomy, tumour classes, shortcut."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from lrpstudio.core.data.demo.anatomy import TISSUE_CONTRAST, make_anatomy
from lrpstudio.core.data.demo.shortcut import CHANNELS
from lrpstudio.core.data.demo.synth import synthesize_case
from lrpstudio.core.data.demo.tumour import draw_params
from lrpstudio.core.data.layouts import MODALITIES

SMALL = (48, 48, 32)
MEDIUM = (80, 80, 56)


def _brain(case) -> np.ndarray:
    return np.any([case.images[m] > 0 for m in MODALITIES], axis=0)


def test_same_seed_and_index_give_identical_cases() -> None:
    a = synthesize_case(SMALL, 11, 3, "HGG", 0.5)
    b = synthesize_case(SMALL, 11, 3, "HGG", 0.5)
    for name in MODALITIES:
        np.testing.assert_array_equal(a.images[name], b.images[name])
    np.testing.assert_array_equal(a.seg, b.seg)
    assert a.info == b.info and a.shortcut == b.shortcut
    other = synthesize_case(SMALL, 11, 4, "HGG", 0.5)
    assert not np.array_equal(a.images["t1"], other.images["t1"])
    other_seed = synthesize_case(SMALL, 12, 3, "HGG", 0.5)
    assert not np.array_equal(a.images["t1"], other_seed.images["t1"])


@pytest.mark.parametrize("grade", ["HGG", "LGG"])
def test_dtypes_shape_background_and_labels(grade: str) -> None:
    case = synthesize_case((64, 56, 40), 0, 1, grade, 1.0)
    brain = _brain(case)
    for name in MODALITIES:
        volume = case.images[name]
        assert volume.dtype == np.int16 and volume.shape == (64, 56, 40)
        # skull-stripped: every modality is > 0 exactly on the same brain, 0 elsewhere
        np.testing.assert_array_equal(volume > 0, brain)
    assert case.seg.dtype == np.uint8 and case.seg.shape == (64, 56, 40)
    assert set(np.unique(case.seg)) <= {0, 1, 2, 3}
    assert (case.seg > 0).sum() > 50
    assert brain[case.seg > 0].all()
    # the brain is well inside the volume and not touching its faces
    assert not brain[0].any() and not brain[-1].any() and not brain[:, 0].any()
    assert 0.15 < brain.mean() < 0.6


def test_unknown_grade_is_refused() -> None:
    with pytest.raises(ValueError):
        synthesize_case(SMALL, 0, 0, "GBM")


def test_healthy_contrasts_follow_the_textbook_order() -> None:
    anatomy = make_anatomy(np.random.default_rng(2), (96, 96, 64))
    wm = (anatomy.wm > 0.95) & anatomy.brain
    csf = (anatomy.csf > 0.95) & anatomy.brain
    assert wm.sum() > 1000 and csf.sum() > 100
    means = {m: (float(anatomy.images[m][wm].mean()), float(anatomy.images[m][csf].mean()))
             for m in MODALITIES}
    assert means["t1"][0] > 2.5 * means["t1"][1]      # T1: WM bright, CSF dark
    assert means["t2"][1] > 2.5 * means["t2"][0]      # T2: CSF bright
    assert means["flair"][0] > 2.0 * means["flair"][1]  # FLAIR: fluid suppressed
    assert TISSUE_CONTRAST["t1"]["gm"] < 1.0 < TISSUE_CONTRAST["t2"]["gm"]


def test_shortcut_is_outside_the_tumour_inside_the_brain_and_only_in_training_channels() -> None:
    with_it = synthesize_case(MEDIUM, 4, 2, "HGG", 1.0)
    without = synthesize_case(MEDIUM, 4, 2, "HGG", 0.0)
    assert with_it.shortcut.present and not without.shortcut.present
    np.testing.assert_array_equal(with_it.seg, without.seg)
    np.testing.assert_array_equal(with_it.images["t1ce"], without.images["t1ce"])
    near_tumour = ndimage.binary_dilation(with_it.seg > 0, iterations=2)
    brain = _brain(without)
    for name in CHANNELS:
        changed = with_it.images[name] != without.images[name]
        assert changed.sum() > 0.3 * with_it.shortcut.voxels
        assert brain[changed].all()
        assert not near_tumour[changed].any()
        # brighter, never darker
        assert (with_it.images[name][changed] >= without.images[name][changed]).all()
    changed = with_it.images["t1"] != without.images["t1"]
    xs, ys, zs = np.nonzero(changed)
    cx, cy = with_it.shortcut.centre
    radius = with_it.shortcut.radius_voxels
    assert np.hypot(xs - cx, ys - cy).max() <= radius + 1.5
    z0, z1 = with_it.shortcut.z_range
    assert z0 <= zs.min() and zs.max() <= z1
    tumour_z = np.flatnonzero((with_it.seg > 0).any(axis=(0, 1)))
    assert z0 <= tumour_z.min() and tumour_z.max() <= z1  # visible on every tumour slice


def test_shortcut_follows_grade_and_strength() -> None:
    for index in range(6):
        assert not synthesize_case(SMALL, 1, index, "LGG", 1.0).shortcut.present
        assert not synthesize_case(SMALL, 1, index, "HGG", 0.0).shortcut.present
        assert synthesize_case(SMALL, 1, index, "HGG", 1.0).shortcut.present
    present = [synthesize_case(SMALL, 1, i, "HGG", 0.5).shortcut.present for i in range(16)]
    assert 2 <= sum(present) <= 14


@pytest.fixture(scope="module")
def cohort() -> dict[str, list]:
    return {g: [synthesize_case(MEDIUM, 9, i, g, 0.0) for i in range(6)] for g in ("HGG", "LGG")}


def _fractions(case) -> tuple[float, float]:
    v = case.info["voxels"]
    return v["enhancing"] / max(v["whole"], 1), v["oedema"] / max(v["whole"], 1)


def test_hgg_enhance_more_and_have_more_oedema_than_lgg(cohort: dict[str, list]) -> None:
    enh = {g: np.mean([_fractions(c)[0] for c in cases]) for g, cases in cohort.items()}
    oed = {g: np.mean([_fractions(c)[1] for c in cases]) for g, cases in cohort.items()}
    assert enh["HGG"] > 3 * enh["LGG"] and enh["HGG"] > 0.03
    assert oed["HGG"] > oed["LGG"] + 0.1
    for cases in cohort.values():  # the labels agree with the measured volumes
        for case in cases:
            assert case.info["voxels"]["whole"] == int((case.seg > 0).sum())


def test_tumour_compartments_have_their_mri_signature(cohort: dict[str, list]) -> None:
    for grade, cases in cohort.items():
        for case in cases:
            normal = _brain(case) & (case.seg == 0)
            ref = {m: float(np.median(case.images[m][normal])) for m in MODALITIES}
            core = case.seg == 1
            oedema = case.seg == 2
            assert case.images["flair"][oedema].mean() > 1.3 * ref["flair"]
            assert case.images["t1"][core].mean() < ref["t1"]
            assert case.images["t2"][core].mean() > 1.3 * ref["t2"]
            enhancing = case.seg == 3
            if grade == "HGG" and enhancing.sum() > 20:
                assert case.images["t1ce"][enhancing].mean() > 1.3 * ref["t1ce"]


def test_lgg_are_more_homogeneous_than_hgg(cohort: dict[str, list]) -> None:
    def spread(case) -> float:
        tumour = case.seg > 0
        values = case.images["flair"][tumour].astype(float)
        return float(values.std() / values.mean())

    assert np.mean([spread(c) for c in cohort["HGG"]]) > np.mean([spread(c) for c in cohort["LGG"]])


def test_classes_overlap_so_the_task_is_not_trivial() -> None:
    anatomy = make_anatomy(np.random.default_rng(0), SMALL)
    rng = np.random.default_rng(1)
    draws = {g: [draw_params(rng, anatomy, g) for _ in range(300)] for g in ("HGG", "LGG")}
    lgg_enhancing = np.mean([p.rim_coverage > 0 or p.focus for p in draws["LGG"]])
    hgg_without_rim = np.mean([p.rim_coverage == 0 for p in draws["HGG"]])
    assert 0.1 < lgg_enhancing < 0.6
    assert hgg_without_rim < 0.4
    # the latent aggressiveness crosses the middle for about one case in fifty per grade
    tame_hgg = np.mean([p.aggressiveness < 0.5 for p in draws["HGG"]])
    fierce_lgg = np.mean([p.aggressiveness > 0.5 for p in draws["LGG"]])
    assert 0.005 < tame_hgg < 0.06 and 0.005 < fierce_lgg < 0.06
    # the extent of the whole tumour (core and oedema) is not a giveaway
    reach = {g: np.array([p.radius * p.oedema_ratio for p in ps]) for g, ps in draws.items()}
    assert abs(reach["HGG"].mean() - reach["LGG"].mean()) < 0.05 * reach["HGG"].mean()
    assert abs(np.percentile(reach["HGG"], 90) - np.percentile(reach["LGG"], 90)) < 0.1 * reach["HGG"].mean()
    # a high-grade core is never so small that its necrosis and rim vanish on a slice
    assert min(p.radius for p in draws["HGG"]) * 68.0 >= 12.0 - 1e-9
