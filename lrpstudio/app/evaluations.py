"""Evaluations kept with their runs: "Evaluate on test" results that survive a relaunch.

Each result goes into its run folder as ``evaluation_<split>.json`` through the core's
one writer (:func:`lrpstudio.core.train.evaluate.write_evaluation`, also used by
``lrpstudio evaluate``), with the data it was measured on. A front end shows a recorded
result again only where it still holds: measured on the data open now, with the best
checkpoint the run has now (a run trained further since is evaluated again).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from lrpstudio.app.compare import DatasetLoader, evaluate_runs
from lrpstudio.core.data.workspace import is_workspace, open_workspace
from lrpstudio.core.errors import LrpStudioError
from lrpstudio.core.train.evaluate import read_evaluation, write_evaluation

__all__ = ["evaluate_and_record", "recorded_evaluation"]

log = logging.getLogger(__name__)


def evaluate_and_record(runs: list[Path], load: DatasetLoader, data: str | Path,
                        split: str = "test") -> dict[str, dict[str, Any]]:
    """:func:`~lrpstudio.app.compare.evaluate_runs`, each result recorded in its run folder.

    Parameters
    ----------
    data
        The data folder (or prepared dataset) ``load`` builds its slices from.
    """
    results = evaluate_runs(runs, load, split)
    for run, result in results.items():
        try:
            write_evaluation(run, result, Path(data).resolve())
        except OSError as error:  # a read-only run folder: shown now, not after a relaunch
            log.warning("evaluation of %s not recorded: %s", run, error)
    return results


def recorded_evaluation(run: str | Path, data: str | Path, best_epoch: int,
                        split: str = "test") -> dict[str, Any] | None:
    """The run's recorded result on ``split`` when it was measured on ``data`` with the
    best checkpoint of epoch ``best_epoch``; otherwise None (a damaged record is logged)."""
    try:
        record = read_evaluation(run, split)
    except LrpStudioError as error:
        log.warning("%s", error.message())
        return None
    if record is None or record.get("checkpoint", "best") != "best":
        return None
    if record.get("epoch") != best_epoch or not _same_data(str(record["data"]), Path(data)):
        return None
    return record


def _same_data(recorded: str, data: Path) -> bool:
    """Whether ``recorded`` names ``data``: the folder itself, or a workspace of it."""
    path = Path(recorded)
    if path.resolve() == data.resolve():
        return True
    if not is_workspace(path):
        return False
    try:
        root = open_workspace(path).data_root
    except (LrpStudioError, OSError):
        return False
    return root is not None and Path(root).resolve() == data.resolve()
