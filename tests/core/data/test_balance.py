"""Per-grade slice counts chosen from the class counts of the data at hand."""

from __future__ import annotations

import pytest

from lrpstudio.core.data.balance import balance_warnings, balanced_slice_counts, slice_step
from lrpstudio.core.data.prepare_config import PrepareConfig


@pytest.mark.parametrize("n_hgg, n_lgg", [(259, 76), (18, 22), (24, 16), (10, 10), (17, 31), (3, 40)])
def test_both_grades_give_about_as_many_slices(n_hgg: int, n_lgg: int) -> None:
    counts = balanced_slice_counts({"HGG": n_hgg, "LGG": n_lgg})
    hgg, lgg = n_hgg * counts["HGG"][0], n_lgg * counts["LGG"][0]
    assert all(3 <= c <= 15 for c, _ in counts.values())
    if max(n_hgg, n_lgg) / min(n_hgg, n_lgg) <= 5:  # within the bounds: balanced
        assert max(hgg, lgg) / (hgg + lgg) <= 0.55
    else:  # bounded at 3 slices per case: as balanced as the bounds allow
        assert counts["HGG" if n_hgg < n_lgg else "LGG"][0] == 15


def test_brats2019_counts_are_close_to_the_authors() -> None:
    # The authors' 5 HGG / 15 LGG for 259 / 76 patients; auto gives 4 / 15 (1036 / 1140 slices).
    assert balanced_slice_counts({"HGG": 259, "LGG": 76}) == {"HGG": (4, 3), "LGG": (15, 1)}


def test_step_keeps_the_span() -> None:
    assert [slice_step(c) for c in (15, 8, 7, 5, 3, 1)] == [1, 1, 2, 3, 5, 15]


def test_fixed_mode_uses_the_given_counts_and_auto_needs_the_class_counts() -> None:
    fixed = PrepareConfig(balance="fixed")
    assert fixed.slices_for("HGG") == (5, 3) and fixed.slices_for("LGG") == (15, 1)
    auto = PrepareConfig()
    assert auto.balance == "auto"
    assert auto.slices_for("LGG", {"HGG": 24, "LGG": 16}) == (15, 1)
    assert auto.slices_for("HGG", {"HGG": 24, "LGG": 16}) == (10, 1)
    from lrpstudio.core.errors import InputError

    with pytest.raises(InputError):
        auto.slices_for("HGG")
    with pytest.raises(InputError):
        PrepareConfig(balance="sometimes")


def test_imbalance_warnings_name_the_split() -> None:
    counts = {"train": {"LGG": 165, "HGG": 85}, "val": {"LGG": 30, "HGG": 30},
              "test": {"LGG": 0, "HGG": 0}}
    lines = balance_warnings(counts)
    assert lines == ["train split is imbalanced: 66% of its 250 slices are LGG (165 LGG, 85 HGG)"]
