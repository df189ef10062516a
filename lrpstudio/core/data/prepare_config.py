"""The parameters of a prepared slice dataset (:class:`PrepareConfig`)."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Mapping

from lrpstudio.core.data.balance import BALANCE_MODES, balanced_slice_counts
from lrpstudio.core.data.layouts import MODALITIES
from lrpstudio.core.data.prepare_cache import EXTRACT_VERSION, stable_hash
from lrpstudio.core.data.slice_dataset import GRADES
from lrpstudio.core.data.slicing import MASK_REGIONS
from lrpstudio.core.errors import InputError


@dataclass(frozen=True)
class PrepareConfig:
    """How to build the 2D slice dataset from BraTS cases.

    T1, T2 and FLAIR are the channels, as in the paper. How many slices each case gives
    is chosen from the class counts of the data at hand (``balance="auto"``, the paper's
    "a different number of slices per class to balance the dataset"): the authors'
    fixed 5 HGG slices 3 apart and 15 LGG slices 1 apart balance only BraTS 2019's
    259/76 patients (on 18 HGG / 22 LGG cases they give 79 % LGG slices); they remain
    available as ``balance="fixed"`` with the ``*_slices`` / ``*_step`` fields. The
    patient-level split is 60/20/20 rather than the authors' 70/20/10, so that the test
    split of a small set (40 cases) holds 8 patients, not 4.

    Attributes
    ----------
    channels
        Modalities, in channel order (any of t1, t1ce, t2, flair).
    image_size
        Side of the square slices in pixels; 240 keeps the BraTS grid.
    balance
        ``"auto"`` (slice counts per grade from the class counts, see
        :func:`balanced_slice_counts`) or ``"fixed"`` (the four fields below).
    hgg_slices, hgg_step, lgg_slices, lgg_step
        Slices per case and their spacing, per grade, with ``balance="fixed"``.
    max_slices, min_slices
        Bounds of the per-case slice count with ``balance="auto"``.
    split
        Fractions of each grade's patients in train, val and test.
    seed
        Seed of the patient-level split.
    use_corrections
        Use corrected masks from the workspace where they exist, and the artefact
        regions marked in the review (the slices' forbidden masks); False gives the
        data as it is on disk.
    mask
        The guidance region stored as tumour mask: ``"whole"`` (seg > 0),
        ``"core"`` (necrotic core + enhancing) or ``"enhancing"``.
    grades
        A grade table (CSV ``case,grade``) for releases without grades, or None.
    """

    channels: tuple[str, ...] = ("t1", "t2", "flair")
    image_size: int = 128
    balance: str = "auto"
    hgg_slices: int = 5
    hgg_step: int = 3
    lgg_slices: int = 15
    lgg_step: int = 1
    max_slices: int = 15
    min_slices: int = 3
    split: tuple[float, float, float] = (0.6, 0.2, 0.2)
    seed: int = 0
    use_corrections: bool = True
    mask: str = "whole"
    grades: str | None = None

    def __post_init__(self) -> None:
        # Accept lists (from JSON or argparse) but store tuples: the config stays hashable.
        object.__setattr__(self, "channels", tuple(str(c) for c in self.channels))
        object.__setattr__(self, "split", tuple(float(f) for f in self.split))
        if self.grades is not None:
            # Absolute, so the config (and its hash) means the same file from any folder.
            object.__setattr__(self, "grades", str(Path(self.grades).expanduser().resolve()))
        self._validate()

    def _validate(self) -> None:
        unknown = [c for c in self.channels if c not in MODALITIES]
        if not self.channels or unknown or len(set(self.channels)) != len(self.channels):
            raise InputError("channels must be distinct modalities", expected=MODALITIES,
                             actual=self.channels)
        for name in ("image_size", "hgg_slices", "hgg_step", "lgg_slices", "lgg_step",
                     "max_slices", "min_slices"):
            if int(getattr(self, name)) < 1:
                raise InputError(f"{name} must be at least 1", actual=getattr(self, name))
        if self.balance not in BALANCE_MODES:
            raise InputError("unknown balance mode", expected=BALANCE_MODES, actual=self.balance)
        if self.min_slices > self.max_slices:
            raise InputError("min_slices must not exceed max_slices",
                             expected=f"<= {self.max_slices}", actual=self.min_slices)
        if (len(self.split) != 3 or any(f < 0 for f in self.split)
                or not math.isclose(sum(self.split), 1.0, abs_tol=1e-6)):
            raise InputError("split must be three fractions >= 0 that sum to 1",
                             expected="(train, val, test)", actual=self.split)
        if self.mask not in MASK_REGIONS:
            raise InputError("unknown mask region", expected=tuple(MASK_REGIONS), actual=self.mask)
        if self.seed < 0:
            raise InputError("seed must be >= 0", actual=self.seed)

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly parameters (lists instead of tuples)."""
        data = asdict(self)
        data["channels"] = list(self.channels)
        data["split"] = list(self.split)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "PrepareConfig":
        """The config a manifest's ``parameters`` describe (unknown keys are ignored)."""
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)

    def slices_for(self, grade: str, cases: Mapping[str, int] | None = None) -> tuple[int, int]:
        """``(count, step)`` for ``"HGG"`` or ``"LGG"``.

        ``cases`` (grade -> number of usable cases) is needed with ``balance="auto"``.
        """
        if self.balance == "auto":
            if cases is None:
                raise InputError("balance='auto' needs the number of cases per grade")
            return balanced_slice_counts(cases, self.min_slices, self.max_slices)[grade]
        if grade == "HGG":
            return self.hgg_slices, self.hgg_step
        return self.lgg_slices, self.lgg_step

    def extraction_parameters(self, grade: str,
                              cases: Mapping[str, int] | None = None) -> dict[str, Any]:
        """The parameters one case's slices depend on (part of its cache key)."""
        count, step = self.slices_for(grade, cases)
        return {"channels": list(self.channels), "image_size": self.image_size,
                "count": count, "step": step, "mask": self.mask}

    def config_hash(self) -> str:
        """A short hash naming the cache folder of this config (``<ws>/datasets/<hash>``)."""
        return stable_hash({"extract_version": EXTRACT_VERSION, **self.as_dict()}, length=16)


def slices_per_case(config: PrepareConfig,
                    records: dict[str, dict[str, Any]]) -> dict[str, dict[str, int]]:
    """The per-grade ``count`` and ``step`` this build used (from the prepared cases)."""
    cases = Counter(str(r["grade"]) for r in records.values() if r["status"] == "prepared")
    out = {}
    for grade in GRADES:
        count, step = config.slices_for(grade, cases)
        out[grade] = {"count": count, "step": step, "cases": cases.get(grade, 0)}
    return out
