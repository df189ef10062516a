"""Patient-level cross-validation folds: stratified, disjoint, every case tested once."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from lrpstudio.core.data.folds import case_grades, check_folds, fold_cases, fold_split
from lrpstudio.core.errors import DatasetError, InputError
from tests.core.train.factory import tiny_dataset


def _grades(lgg: int, hgg: int) -> dict[str, str]:
    return {**{f"L{i:02d}": "LGG" for i in range(lgg)}, **{f"H{i:02d}": "HGG" for i in range(hgg)}}


@pytest.mark.parametrize(("lgg", "hgg", "k"), [(7, 20, 5), (4, 4, 3), (3, 11, 4), (10, 10, 10)])
def test_folds_are_stratified_and_balanced(lgg: int, hgg: int, k: int) -> None:
    grades = _grades(lgg, hgg)
    fold_of = fold_cases(grades, k, seed=4)
    assert set(fold_of) == set(grades) and set(fold_of.values()) <= set(range(k))
    for grade in ("LGG", "HGG"):
        per_fold = Counter(f for case, f in fold_of.items() if grades[case] == grade)
        sizes = [per_fold.get(f, 0) for f in range(k)]
        assert max(sizes) - min(sizes) <= 1, (grade, sizes)  # stratified
    totals = Counter(fold_of.values())
    assert max(totals.values()) - min(totals.get(f, 0) for f in range(k)) <= 1  # balanced overall


def test_folds_are_deterministic_and_follow_the_seed() -> None:
    grades = _grades(12, 15)
    assert fold_cases(grades, 4, seed=1) == fold_cases(dict(reversed(grades.items())), 4, seed=1)
    assert fold_cases(grades, 4, seed=1) != fold_cases(grades, 4, seed=2)
    # Adding an HGG case keeps the LGG cases together as they were (one stream per grade);
    # only the fold numbers they are dealt into may turn by one.
    more = {**grades, "H99": "HGG"}

    def lgg_groups(fold_of: dict[str, int]) -> set[frozenset[str]]:
        return {frozenset(c for c, f in fold_of.items() if f == k and c.startswith("L")) for k in range(4)}

    assert lgg_groups(fold_cases(grades, 4, seed=1)) == lgg_groups(fold_cases(more, 4, seed=1))


def test_fold_split_tests_every_case_once_and_keeps_patients_whole() -> None:
    data = tiny_dataset(n_cases=9, slices_per_case=3, size=16)
    k = 3
    fold_of = fold_cases(case_grades(data), k, seed=0)
    tested: Counter[str] = Counter()
    for fold in range(k):
        part = fold_split(data, fold_of, k, fold, seed=0)
        for case in np.unique(part.case_ids):
            assert np.unique(part.split[part.case_ids == case]).size == 1  # no patient in two splits
        tested.update(np.unique(part.case_ids[part.split == "test"]).tolist())
        val = {c for c, f in fold_of.items() if f == (fold + 1) % k}
        assert set(np.unique(part.case_ids[part.split == "val"])) == val
        assert (part.split == "train").any()
        assert part.manifest["cross_validation"] == {"folds": k, "fold": fold, "seed": 0}
        assert part.images is data.images and data.manifest.get("cross_validation") is None
    assert tested == Counter({str(c): 1 for c in np.unique(data.case_ids)})


def test_cases_unknown_to_the_folds_are_test_cases() -> None:
    data = tiny_dataset(n_cases=6, slices_per_case=1, size=16)
    fold_of = {f"case0{i}": i % 3 for i in range(3)}
    part = fold_split(data, fold_of, 3, 0)
    assert set(part.case_ids[part.split == "test"]) == {"case00", "case03", "case04", "case05"}


@pytest.mark.parametrize("k", [-1, 2])
def test_fold_counts_without_a_training_split_are_refused(k: int) -> None:
    with pytest.raises(InputError, match="training fold"):
        check_folds(k)
    check_folds(0)
    check_folds(1)
    with pytest.raises(InputError, match="more folds than cases"):
        fold_cases(_grades(2, 2), 5)


def test_case_grades_refuses_a_case_with_both_labels() -> None:
    data = tiny_dataset(n_cases=4, slices_per_case=2, size=16)
    assert case_grades(data) == {"case00": "LGG", "case01": "HGG", "case02": "LGG", "case03": "HGG"}
    labels = data.labels.copy()
    labels[0] = 1 - labels[0]
    with pytest.raises(DatasetError, match="both grades"):
        from dataclasses import replace
        case_grades(replace(data, labels=labels))
