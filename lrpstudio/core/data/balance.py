"""Class balance of the slice dataset: slices per case from the class counts, and warnings.

The paper balances the classes by taking "for each class, a different number of
slices"; the authors' code fixed 5 HGG and 15 LGG slices per case, which balances
only BraTS 2019's 259 / 76 patients. Here the counts follow the data at hand
(:func:`balanced_slice_counts`), within per-case bounds, and a split that is still
worse than 60/40 is reported (:func:`balance_warnings`). The split itself stays at the
patient level: balancing only chooses how many slices each case gives.
"""

from __future__ import annotations

from typing import Mapping


#: ``balance`` values: slice counts from the class counts, or the fixed per-grade fields.
BALANCE_MODES: tuple[str, ...] = ("auto", "fixed")
#: Axial span (in slices) the per-case window aims at: the authors' 15 LGG slices 1 apart
#: and 5 HGG slices 3 apart both cover about this much of the tumour.
_SPAN = 15
#: A split whose larger class holds more than this share of its slices is reported.
IMBALANCE_WARNING = 0.6


def slice_step(count: int) -> int:
    """Spacing of ``count`` slices so that they cover about :data:`_SPAN` slices."""
    return max(1, _SPAN // max(count, 1))


def balanced_slice_counts(cases: Mapping[str, int], low: int = 3,
                          high: int = 15) -> dict[str, tuple[int, int]]:
    """``grade -> (count, step)`` so that both grades give about as many slices.

    The grade with fewer cases takes ``high`` slices per case; the other takes
    ``high * fewer / more`` (rounded), bounded to ``[low, high]``. The bounds keep
    neighbouring slices from being near-copies and every case represented, so a very
    skewed set stays somewhat imbalanced (reported, see :data:`IMBALANCE_WARNING`).

    Parameters
    ----------
    cases
        Number of usable cases per grade (``"HGG"``, ``"LGG"``); missing grades count 0.
    low, high
        Bounds of the per-case slice count.
    """
    n_h, n_l = int(cases.get("HGG", 0)), int(cases.get("LGG", 0))
    counts = {"HGG": high, "LGG": high}
    if n_h > 0 and n_l > 0 and n_h != n_l:
        more, fewer = ("HGG", "LGG") if n_h > n_l else ("LGG", "HGG")
        ratio = min(n_h, n_l) / max(n_h, n_l)
        counts[more] = int(min(high, max(low, round(high * ratio))))
        counts[fewer] = high
    return {grade: (count, slice_step(count)) for grade, count in counts.items()}


def balance_warnings(counts: dict[str, dict[str, int]]) -> list[str]:
    """One line per split whose larger class holds more than 60 % of its slices.

    Parameters
    ----------
    counts
        ``split -> grade -> slices``, as in the manifest's ``counts``.
    """
    lines = []
    for split, per_grade in counts.items():
        total = sum(per_grade.values())
        if total == 0:
            continue
        grade, largest = max(per_grade.items(), key=lambda item: item[1])
        if largest / total > IMBALANCE_WARNING:
            lines.append(f"{split} split is imbalanced: {largest / total:.0%} of its {total} "
                         f"slices are {grade} ({format_counts(per_grade)})")
    return lines


def format_counts(per_grade: dict[str, int]) -> str:
    """``"150 LGG, 140 HGG"``."""
    return ", ".join(f"{n} {grade}" for grade, n in per_grade.items())
