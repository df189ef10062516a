"""The per-case shortcut report over a run's epochs (``lrpstudio review RUN --epochs``).

Training writes, after every epoch, where the validation slices' positive relevance lies
(``RUN/review/epoch_XXX.npz``, :mod:`lrpstudio.core.review.epochs`); the report flags the
cases whose relevance sits on the background or the brain edge and those whose relevance
moved away from the tumour while training. Runs trained before the record existed have
none: :func:`shortcut_report` then says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lrpstudio.app.review_files import write_trends_file
from lrpstudio.core.review.epochs import EDGE_LEVEL, MOVE_LEVEL, CaseTrend, epoch_report, read_epoch_records
from lrpstudio.core.train.run_logs import check_run_folder

__all__ = ["EDGE_LEVEL", "MOVE_LEVEL", "CaseTrend", "EpochReport", "shortcut_report", "write_trends_file"]


@dataclass(frozen=True)
class EpochReport:
    """A run's per-case report.

    Attributes
    ----------
    run_dir
        The run.
    epochs
        The recorded epochs, in order (empty: the run has no record).
    cases
        One trend per validation case, flagged cases first.
    """

    run_dir: Path
    epochs: tuple[int, ...]
    cases: tuple[CaseTrend, ...]

    @property
    def note(self) -> str | None:
        """One line when there is nothing to report, else None."""
        if not self.epochs:
            return (f"{self.run_dir} has no per-epoch relevance record (review/epoch_XXX.npz): "
                    "it was trained before lrpstudio recorded one, or has no finished epoch")
        return None


def shortcut_report(run_dir: str | Path) -> EpochReport:
    """Read a run's per-epoch records and build the per-case report.

    Raises
    ------
    CheckpointError
        Not a run, a damaged config.json, or a damaged record file (named).
    """
    run_dir = Path(run_dir)
    check_run_folder(run_dir)
    records = read_epoch_records(run_dir)
    return EpochReport(run_dir=run_dir, epochs=tuple(sorted(records)), cases=tuple(epoch_report(records)))
