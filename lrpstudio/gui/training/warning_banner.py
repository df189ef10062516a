"""A warning banner for the Training tab: a collapsed model and an imbalanced data set.

A model that calls (almost) every validation slice one grade has learnt nothing, however
good its loss, weighted F1 or tumour score look; a heatmap of it is worth nothing. The
training log says so once per epoch, but a log line scrolls away: the banner stays in
view while the latest epoch is collapsed, in the words of
:func:`lrpstudio.core.train.metrics.collapse_message`, and it also keeps the data's
balance warnings of the run in view.
"""

from __future__ import annotations

import math
from typing import Iterable

from PySide6 import QtCore, QtWidgets

from lrpstudio.app.options import collapse_message

#: Amber, readable on light and dark themes alike (dark text on a light fill).
STYLE = ("QLabel#warning_banner { background: #fff3cd; color: #5c3c00; border: 1px solid #e0a800;"
         " border-radius: 3px; padding: 4px; }")


def epoch_collapse(row: dict[str, float]) -> str | None:
    """The collapse warning of one metrics row (None when it is fine or cannot tell).

    Rows of runs recorded before ``val_predicted_hgg`` existed give None.
    """
    share = row.get("val_predicted_hgg", math.nan)
    try:
        return collapse_message(float(share))
    except (TypeError, ValueError):
        return None


class WarningBanner(QtWidgets.QLabel):
    """Hidden while there is nothing to warn about; amber, word-wrapped lines otherwise."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("warning_banner")
        self.setStyleSheet(STYLE)
        self.setWordWrap(True)
        self.setTextFormat(QtCore.Qt.TextFormat.PlainText)
        # The lines may be long: they wrap, they never widen the form's column.
        self.setSizePolicy(QtWidgets.QSizePolicy.Policy.Ignored, QtWidgets.QSizePolicy.Policy.Preferred)
        self.collapse: str | None = None
        self.data_warnings: list[str] = []
        self._show()

    def clear_all(self) -> None:
        """A new run: nothing to warn about yet."""
        self.collapse, self.data_warnings = None, []
        self._show()

    def set_data_warnings(self, lines: Iterable[str]) -> None:
        """The data's balance warnings (one line per imbalanced split)."""
        self.data_warnings = list(lines)
        self._show()

    def show_epoch(self, epoch: int, row: dict[str, float]) -> None:
        """The latest epoch's metrics: warn while it is collapsed, clear when it recovers."""
        words = epoch_collapse(row)
        self.collapse = (f"Epoch {epoch}: the model {words} — it has collapsed to one grade; "
                         "its accuracy and heatmaps mean little until it recovers") if words else None
        self._show()

    def lines(self) -> list[str]:
        """The banner's lines, the collapse first."""
        data = [f"Data: {line}" for line in self.data_warnings]
        return ([f"⚠ {self.collapse}"] if self.collapse else []) + data

    def _show(self) -> None:
        lines = self.lines()
        self.setText("\n".join(lines))
        self.setVisible(bool(lines))
