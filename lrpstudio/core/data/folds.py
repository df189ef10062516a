"""Patient-level cross-validation folds of a slice dataset, stratified by grade.

``fold_cases`` deals the cases of each grade, shuffled reproducibly, over K folds;
``fold_split`` turns fold k into a split: fold k is the test split, the next fold
(k + 1 mod K) the validation split, the other K - 2 folds the training split. Folds
are whole patients, so no patient is in two splits, and over k = 0..K-1 every case is
tested exactly once.

The shuffle follows :func:`lrpstudio.core.data.slicing.split_cases`: per grade, the
sorted case ids are permuted by a generator seeded with ``(seed, grade)``. The
permuted ids are then dealt round-robin, the second grade continuing where the first
stopped, so each fold gets about the same number of cases of each grade and in all.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Mapping

import numpy as np

from lrpstudio.core.data.slice_dataset import GRADES, SliceDataset
from lrpstudio.core.errors import DatasetError, InputError

#: Fewest folds with a training split: one tests, the next validates, the rest train.
MIN_FOLDS = 3


def check_folds(folds: int, cases: int | None = None) -> None:
    """Refuse a number of folds that leaves a split without cases.

    Parameters
    ----------
    folds
        K; 0 and 1 mean "no cross-validation" and are accepted here.
    cases
        Number of cases to divide, when known.

    Raises
    ------
    InputError
        K < 0, K = 2 (fold k tests and the other validates: nothing left to train
        on), or more folds than cases.
    """
    if folds < 0 or folds == MIN_FOLDS - 1:
        raise InputError("cross-validation needs a test fold, a validation fold and at least one "
                         "training fold", expected=f"0 or 1 (the dataset's own split) or >= {MIN_FOLDS}",
                         actual=folds)
    if cases is not None and folds > cases:
        raise InputError("more folds than cases: a fold would be empty",
                         expected=f"<= {cases} folds", actual=folds)


def fold_cases(grades: Mapping[str, str], folds: int, seed: int = 0) -> dict[str, int]:
    """Assign each case to one of ``folds`` folds, stratified by grade, reproducibly.

    Parameters
    ----------
    grades
        Case id -> grade (``"HGG"`` / ``"LGG"``, or any other group name).
    folds
        K >= 3.
    seed
        Seed of the shuffle; the same ids, grades and seed give the same folds.

    Returns
    -------
    dict
        Case id -> fold index in ``0..folds-1``.
    """
    check_folds(folds, len(grades))
    result: dict[str, int] = {}
    start = 0
    for grade in sorted(set(grades.values())):
        ids = sorted(case for case, g in grades.items() if g == grade)
        # One stream per grade, keyed by its name (as split_cases), so grades do not interact.
        rng = np.random.default_rng([seed, *grade.encode()])
        for position, index in enumerate(rng.permutation(len(ids))):
            result[ids[index]] = (start + position) % folds
        start = (start + len(ids)) % folds
    return result


def case_grades(dataset: SliceDataset) -> dict[str, str]:
    """Case id -> ``"LGG"`` / ``"HGG"`` from the slice labels.

    Raises
    ------
    DatasetError
        A case whose slices carry both labels.
    """
    grades: dict[str, str] = {}
    for case in np.unique(dataset.case_ids):
        labels = np.unique(dataset.labels[dataset.case_ids == case])
        if labels.size != 1:
            raise DatasetError(f"case {case!s} has slices of both grades", expected="one label per case",
                               actual=labels.tolist())
        grades[str(case)] = GRADES[int(labels[0])]
    return grades


def fold_split(dataset: SliceDataset, fold_of: Mapping[str, int], folds: int, fold: int,
               seed: int | None = None) -> SliceDataset:
    """A copy of ``dataset`` whose split is fold ``fold`` of a K-fold partition.

    Parameters
    ----------
    dataset
        The slices; only ``split`` (and the manifest) change.
    fold_of
        Case id -> fold, from :func:`fold_cases`. Cases it does not know were in no
        training or validation fold, so they become test cases (e.g. extra patients
        of a second, external dataset).
    folds, fold
        K, and the fold that is tested.
    seed
        Seed the folds were made with, recorded in the manifest.

    Returns
    -------
    SliceDataset
        Fold ``fold`` -> ``"test"``, fold ``fold + 1 mod K`` -> ``"val"``, the rest ->
        ``"train"``. The manifest records ``cross_validation`` (folds, fold, seed).
    """
    val = (fold + 1) % folds
    names = {case: "test" if f == fold else "val" if f == val else "train" for case, f in fold_of.items()}
    split = np.asarray([names.get(str(case), "test") for case in dataset.case_ids], dtype=str)
    manifest = {**dataset.manifest, "cross_validation": {"folds": folds, "fold": fold, "seed": seed}}
    return replace(dataset, split=split, manifest=manifest)
