"""The runs of an experiment: which (penalty, seed, fold) to train, where, on which split.

An experiment trains one run per penalty for every seed ``seed .. seed + seeds - 1``
and, with ``folds`` = K >= 3, for every fold of a patient-level K-fold
cross-validation (:mod:`lrpstudio.core.data.folds`, made once from the base seed, so
every seed sees the same folds and runs pair up by (seed, fold)). Runs live in

- ``OUT/p<p>/`` with one seed and no folds (the layout of older experiments),
- ``OUT/p<p>/seed<s>/`` with several seeds,
- ``OUT/p<p>/seed<s>/fold<k>/`` with folds.

A finished run is reused and an unfinished one resumed. Under torchrun the runs are
spread over the processes (run i on rank i mod world size, each an ordinary
single-process :func:`fit`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

import numpy as np

from lrpstudio.core.data.folds import case_grades, check_folds, fold_cases, fold_split
from lrpstudio.core.data.slice_dataset import SliceDataset
from lrpstudio.core.errors import InputError, LrpStudioError
from lrpstudio.core.train.config import TrainConfig
from lrpstudio.core.train.control import TrainControl
from lrpstudio.core.train.distributed import SINGLE, DistContext, agree
from lrpstudio.core.train.engine import RunResult, TrainCallbacks, fit
from lrpstudio.core.train.run_folder import RunFolder
from lrpstudio.core.xai.guidance import GuidanceKind


@dataclass(frozen=True)
class ExperimentConfig:
    """An experiment: the base training config, the penalties, seeds and folds.

    Attributes
    ----------
    train
        Settings shared by every run (epochs, model...); its guidance is the template
        whose penalty is varied, its seed the first seed (and the seed of the folds).
    penalties
        LRPLoss powers p; 0 = plain cross-entropy.
    split
        Split the tables and the figure are computed on (of each run's fold).
    figure_slices
        Rows of the Fig. 5 grid (slices of both classes from ``split``).
    seeds
        Runs per penalty and fold, with seeds ``train.seed .. train.seed + seeds - 1``.
    folds
        K of a patient-level K-fold cross-validation; 0 or 1 = the dataset's own split.
    """

    train: TrainConfig
    penalties: tuple[float, ...] = (0.0, 1.0, 2.0, 3.0)
    split: str = "test"
    figure_slices: int = 4
    seeds: int = 1
    folds: int = 0

    def __post_init__(self) -> None:
        if self.seeds < 1:
            raise InputError("an experiment needs at least one seed", expected=">= 1", actual=self.seeds)
        check_folds(self.folds)
        if not self.penalties:
            raise InputError("an experiment needs at least one penalty", expected=">= 1", actual=0)

    @property
    def seed_list(self) -> tuple[int, ...]:
        """The seeds of the runs, in order."""
        return tuple(range(self.train.seed, self.train.seed + self.seeds))

    @property
    def fold_list(self) -> tuple[int | None, ...]:
        """The test folds, or ``(None,)`` for the dataset's own split."""
        return tuple(range(self.folds)) if self.folds > 1 else (None,)

    @property
    def nested(self) -> bool:
        """Whether runs live in seed/fold sub-folders (anything but one seed, no folds)."""
        return self.seeds > 1 or self.folds > 1


@dataclass(frozen=True)
class RunKey:
    """One run of an experiment: its penalty, seed and test fold (None: the dataset's split)."""

    penalty: float
    seed: int
    fold: int | None = None

    def label(self, nested: bool = True) -> str:
        """Short words for progress bars: ``Penalization1 seed 2 fold 0``."""
        words = [model_name(self.penalty)]
        if nested:
            words.append(f"seed {self.seed}")
        if self.fold is not None:
            words.append(f"fold {self.fold}")
        return " ".join(words)


def model_name(penalty: float) -> str:
    """The paper's names: ``Original`` for p = 0, ``PenalizationP`` otherwise."""
    return "Original" if penalty == 0 else f"Penalization{penalty:g}"


def run_name(penalty: float) -> str:
    """Sub-folder of the runs with penalty p, e.g. ``p0``, ``p1``, ``p0.5``."""
    return f"p{penalty:g}"


def penalty_config(train: TrainConfig, penalty: float) -> TrainConfig:
    """The base config with LRPLoss power ``penalty`` (plain CE for 0)."""
    kind: GuidanceKind = "none" if penalty == 0 else "lrp"
    return replace(train, guidance=replace(train.guidance, kind=kind, penalty=float(penalty)))


def plan_runs(config: ExperimentConfig) -> list[RunKey]:
    """Every run, seed by seed, fold by fold, then penalty by penalty.

    This order finishes whole comparable groups (all penalties of one seed and fold)
    first, so an interrupted experiment already holds matched pairs.
    """
    return [RunKey(penalty=float(p), seed=s, fold=k)
            for s in config.seed_list for k in config.fold_list for p in config.penalties]


def run_dir(out: Path, config: ExperimentConfig, key: RunKey) -> Path:
    """Folder of one run (see the module notes for the layout)."""
    folder = Path(out) / run_name(key.penalty)
    if config.nested:
        folder = folder / f"seed{key.seed}"
    return folder / f"fold{key.fold}" if key.fold is not None else folder


def run_config(config: ExperimentConfig, key: RunKey) -> TrainConfig:
    """The training config of one run: its seed and penalty."""
    return penalty_config(replace(config.train, seed=key.seed), key.penalty)


def fold_datasets(dataset: SliceDataset, config: ExperimentConfig,
                  reference: SliceDataset | None = None) -> dict[int | None, SliceDataset]:
    """The dataset as each fold splits it (``{None: dataset}`` without folds).

    Parameters
    ----------
    dataset
        The slices to split.
    config
        Folds and base seed.
    reference
        The dataset the folds are made from (default ``dataset``). An external test
        set holding the same patients (a counterfactual copy, say) must be split by
        the training data's folds, or a model would be tested on patients it trained
        on; its patients that the reference lacks are test cases of every fold.
    """
    if config.folds <= 1:
        return {None: dataset}
    source = reference if reference is not None else dataset
    grades = case_grades(source)
    check_folds(config.folds, len(grades))
    fold_of = fold_cases(grades, config.folds, config.train.seed)
    return {k: fold_split(dataset, fold_of, config.folds, k, config.train.seed)
            for k in config.fold_list if k is not None}


def train_one(config: TrainConfig, dataset: SliceDataset, folder_path: Path,
              callbacks: TrainCallbacks | None, control: TrainControl | None) -> RunResult | None:
    """Train (or resume, or reuse) one run; None when it was already finished."""
    folder = RunFolder(folder_path)
    if folder.is_run() and folder.checkpoint("last").is_file():
        if is_finished(folder, config):
            return None
        return fit(config, dataset, callbacks, control, folder_path, resume=True)
    return fit(config, dataset, callbacks, control, folder_path)


def is_finished(folder: RunFolder, config: TrainConfig) -> bool:
    """Whether the run in ``folder`` is ``config``'s run and needs no more training.

    Finished means all ``config.epochs`` epochs are done, or the run ended on its own
    before (early stopping) with this very number of epochs: resuming it would only
    add an epoch on every rerun of the experiment. A run made with other settings is
    not finished; resuming it then refuses clearly.
    """
    saved = folder.read_config().train
    same = replace(saved, epochs=config.epochs) == replace(
        config, image_size=saved.image_size, in_channels=saved.in_channels)
    if not same:
        return False
    if len(folder.read_metrics()) >= config.epochs:
        return True
    events = folder.read_events()
    # "end" is the last event only when the loop stopped by itself (not cancelled, not killed).
    return saved.epochs == config.epochs and bool(events) and events[-1]["event"] == "end"


def train_share(datasets: dict[int | None, SliceDataset], out: Path, config: ExperimentConfig,
                callbacks: Callable[[RunKey], TrainCallbacks] | None, control: TrainControl | None,
                dist: DistContext = SINGLE) -> bool:
    """Train this rank's runs (``plan_runs(config)[rank::world_size]``); True when cancelled.

    Every rank learns whether one failed, so none waits for a run that never comes.
    """
    result: RunResult | None = None
    try:
        for key in plan_runs(config)[dist.rank::dist.world_size]:
            result = train_one(run_config(config, key), datasets[key.fold], run_dir(out, config, key),
                               callbacks(key) if callbacks else None, control)
            if result is not None and result.status == "cancelled":
                break
    except BaseException:
        agree(False, dist)
        raise
    if not agree(True, dist):
        raise LrpStudioError("a run of the experiment failed on another rank (see its error)", out)
    return result is not None and result.status == "cancelled"


def split_sizes(datasets: dict[int | None, SliceDataset], split: str) -> dict[int | None, int]:
    """Slices in ``split`` of each fold's dataset (``"all"``: every slice)."""
    return {k: int(len(d) if split == "all" else np.count_nonzero(d.split == split))
            for k, d in datasets.items()}
