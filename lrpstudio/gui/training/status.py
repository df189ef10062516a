"""What the Training tab shows about a run's progress, data and names: ETA, the data's
class counts and balance warnings, and run folders.

No widgets here: the panel (:mod:`lrpstudio.gui.training.panel`) uses them.
"""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path
from typing import Any, Callable


from lrpstudio.app.options import TrainConfig


class EtaClock:
    """Remaining time from the steps done so far, not counting paused time."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.started = clock()
        self.paused_at: float | None = None
        self.paused_total = 0.0
        self.first_step: int | None = None

    def pause(self) -> None:
        """The run paused now."""
        if self.paused_at is None:
            self.paused_at = self.clock()

    def resume(self) -> None:
        """The run continues; the pause does not count."""
        if self.paused_at is not None:
            self.paused_total += self.clock() - self.paused_at
            self.paused_at = None

    def remaining(self, done: int, total: int) -> float | None:
        """Seconds left when ``done`` of ``total`` steps are done (None before any step)."""
        if total <= done:
            return 0.0
        if self.first_step is None:
            # The clock starts at the first reported step (data preparation and a resumed
            # run's earlier epochs do not count).
            self.first_step = done
            self.started = self.clock()
            self.paused_total = 0.0
            return None
        steps = done - self.first_step
        if steps <= 0:
            return None
        elapsed = self.clock() - self.started - self.paused_total
        return elapsed / steps * (total - done)


def format_eta(seconds: float | None) -> str:
    """'ETA 3:05' (or 'ETA 1:02:03'), '' when unknown."""
    if seconds is None:
        return ""
    s = int(round(seconds))
    h, rest = divmod(s, 3600)
    m, sec = divmod(rest, 60)
    return f"ETA {h}:{m:02d}:{sec:02d}" if h else f"ETA {m}:{sec:02d}"


def batch_text(epoch: int, parts: dict[str, float], paused: bool, eta: float | None) -> str:
    """The status line after a batch: 'Epoch 2, batch 3/9 — loss 0.6931 ETA 0:42', or, for
    the batch in flight when Pause was pressed, 'Paused after epoch 2, batch 3/9 …'."""
    where = f"{epoch}, batch {int(parts['batch'])}/{int(parts['batches'])} — loss {parts['total']:.4f}"
    if paused:
        return f"Paused after epoch {where} — “Continue” goes on"
    return f"Epoch {where} {format_eta(eta)}".rstrip()


def saved_texts(epochs_done: int, total: int) -> tuple[str, str]:
    """After a stop: the progress bar's text and the status line, both saying what is saved."""
    epochs = "epoch" if total == 1 else "epochs"
    are = "is" if epochs_done == 1 else "are"
    return (f"{epochs_done}/{total} {epochs} saved",
            f"Stopped: {epochs_done} of {total} {epochs} {are} saved (the unfinished epoch is "
            "dropped) — continue it with “Resume run…”")


def run_name(config: TrainConfig, now: datetime | None = None) -> str:
    """A run folder name: time stamp, model and guidance, e.g. 20260101-120000-paper-lrp-p1."""
    g = config.guidance
    kind = f"lrp-p{g.penalty:g}" if g.kind == "lrp" else g.kind
    return f"{(now or datetime.now()).strftime('%Y%m%d-%H%M%S')}-{config.model}-{kind}"


def free_folder(path: Path) -> Path:
    """``path``, or ``path-2``, ``path-3``... if it exists (two runs started in one second)."""
    candidate, n = path, 1
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{path.name}-{n}")
    return candidate


def data_lines(report: dict[str, Any]) -> list[str]:
    """Log lines for :func:`data_report`: one per split, the balance used, then the warnings.

    e.g. ``"train: 120 LGG, 115 HGG slices (49% HGG)"`` and
    ``"slices per case (balance auto): LGG 15 from 8 cases, HGG 5 from 24 cases"``.
    """
    lines = []
    for split, per_grade in report["counts"].items():
        total = sum(per_grade.values())
        if total:
            share = f" ({per_grade.get('HGG', 0) / total:.0%} HGG)"
            lines.append(f"{split} split: " + ", ".join(f"{n} {g}" for g, n in per_grade.items())
                         + f" slices{share}")
    per_case = report["balance"].get("slices_per_case", {})
    if isinstance(per_case, dict) and per_case:
        parts = [f"{grade} {info.get('count', '?')} from {info.get('cases', '?')} cases"
                 for grade, info in per_case.items() if isinstance(info, dict)]
        lines.append(f"slices per case (balance {report['balance'].get('mode', '?')}): "
                     + ", ".join(parts))
    lines += [f"warning: {line}" for line in report["warnings"]]
    return lines
