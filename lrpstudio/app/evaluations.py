"""Evaluations kept with their runs: "Evaluate on test" results that survive a relaunch.

Each result goes into its run folder as ``evaluation_<split>.json`` through the core's
one writer (:func:`lrpstudio.core.train.evaluate.write_evaluation`, also used by
``lrpstudio evaluate``), with the data it was measured on. A front end shows a recorded
result again only where it still holds: measured on the data open now, with the best
checkpoint the run has now (a run trained further since is evaluated again).
:func:`run_diagnostics` gives a run's confusion matrix and ROC on its validation or test
split from that record, measuring (and recording) it only when there is none.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Callable

from lrpstudio.app.compare import DatasetLoader, evaluate_runs
from lrpstudio.core.data.workspace import is_workspace, open_workspace
from lrpstudio.core.errors import CancelledError, LrpStudioError
from lrpstudio.core.jobs import is_cancelled
from lrpstudio.app.run_info import image_size
from lrpstudio.core.train.evaluate import evaluate_run, read_evaluation, write_evaluation

__all__ = ["evaluate_and_record", "recorded_evaluation", "run_diagnostics"]

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


def run_diagnostics(run: str | Path, load: DatasetLoader, data: str | Path, best_epoch: int,
                    split: str = "val", progress: Callable[[int, int, str], None] | None = None,
                    cancel: Any = None) -> dict[str, Any]:
    """A run's best model on ``split``: its evaluation with ``confusion_matrix`` and ``roc``
    (fpr, tpr, auc of P(HGG)), recorded with the run.

    The recorded result is used when it holds (same data, same best epoch, with a ROC);
    otherwise the model is evaluated (``progress`` per batch) and the result recorded.
    ``cancel`` (a token, see :func:`~lrpstudio.core.jobs.is_cancelled`) is polled before
    the data is loaded and at every batch; a cancelled measurement records nothing.

    Raises
    ------
    LrpStudioError
        The run has no image size or no best model, or the data does not fit it.
    CancelledError
        ``cancel`` asked to stop.
    """
    recorded = recorded_evaluation(run, data, best_epoch, split)
    if recorded is not None and isinstance(recorded.get("roc"), dict):
        return recorded
    size = image_size(run)
    if size is None:
        raise LrpStudioError("the run's config.json has no image size", run)

    def stop_if_cancelled() -> None:
        if is_cancelled(cancel):
            raise CancelledError("the measurement was cancelled", run)

    def checked(done: int, total: int, message: str) -> None:  # called per batch: where to stop
        stop_if_cancelled()
        if progress is not None:
            progress(done, total, message)

    stop_if_cancelled()
    dataset = load(size)
    stop_if_cancelled()
    result = evaluate_run(run, dataset, split, progress=checked)
    try:
        write_evaluation(run, result, Path(data).resolve())
    except OSError as error:
        log.warning("evaluation of %s not recorded: %s", run, error)
    return result


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
