"""Explain in the viewer: a chosen run's heatmap over the current axial slice of the open case.

The slice goes through exactly the dataset's preparation (``volume[:, :, z].T``, per
channel normalisation inside the brain, zero-pad to square, area resize), so the model
sees what it would see in training, and the score is computed against the mask as it
is now in the viewer (possibly corrected and not yet saved).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import torch
from PySide6 import QtCore, QtWidgets

from lrpstudio.core.data.slice_dataset import GRADES
from lrpstudio.core.data.slicing import slices_at
from lrpstudio.core.train.config import TrainConfig
from lrpstudio.core.train.evaluate import load_run_model
from lrpstudio.core.train.heatmaps import Heatmaps, colour_scale, display_channel, explain_batch
from lrpstudio.core.train.pinned import PINNED_FILE
from lrpstudio.core.train.run_folder import RunFolder
from lrpstudio.core.xai.pictures import caption, heat_rgba, input_rgba
from lrpstudio.gui.heat_tiles import Tile
from lrpstudio.gui.run_table import fill_run_box


def viewer_slice(images: Mapping[str, np.ndarray], seg: np.ndarray | None, z: int,
                 channels: Sequence[str], size: int, region: str = "whole",
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One axial slice prepared like the slice dataset.

    Parameters
    ----------
    images
        The case's volumes by modality (voxel order of the files).
    seg
        Canonical segmentation (the viewer's current mask), or None.
    z
        Axial index (third voxel axis).
    channels, size, region
        The dataset's channels, image size and guidance region.

    Returns
    -------
    image, tumour, brain
        float32 (C, S, S), bool (S, S), bool (S, S).
    """
    shape = next(iter(images.values())).shape
    seg = np.zeros(shape, np.uint8) if seg is None else seg
    brain = np.zeros(shape, bool)
    for volume in images.values():
        brain = brain | (volume > 0)  # the Case's brain mask: any modality > 0
    prepared = slices_at([images[c] for c in channels], seg, brain, np.asarray([int(z)]), size, region)
    return prepared.images[0], prepared.tumor_masks[0], prepared.brain_masks[0]


@dataclass(frozen=True)
class ViewerSlice:
    """The viewer's current axial slice, captured for a worker thread.

    Attributes
    ----------
    case_id, grade
        The open case and its grade (None when unknown).
    images
        Its volumes by modality.
    seg
        A copy of the viewer's mask (edits made later do not reach the worker).
    z
        Axial index.
    """

    case_id: str
    images: Mapping[str, np.ndarray]
    seg: np.ndarray | None
    z: int
    grade: str | None


def current_viewer_slice(window: Any) -> ViewerSlice | None:
    """The main window's current axial slice, or None without an open case."""
    state, case = window.state, getattr(window, "case", None)
    if case is None or not state.has_volume:
        return None
    seg = None if state.seg is None else np.array(state.seg, copy=True)
    return ViewerSlice(str(case.id), dict(state.images), seg, int(state.cursor[2]),
                       getattr(case, "grade", None))


def run_data_settings(run_dir: str | Path) -> tuple[tuple[str, ...], int, str, float | None]:
    """Channels, image size, mask region and the run's colour scale (from its files)."""
    record = RunFolder(run_dir).read_config()
    dataset = record.get("dataset", {})
    params = dataset.get("manifest", {}).get("parameters", {})
    pinned = RunFolder(run_dir).heatmap_dir / PINNED_FILE
    vmax = json.loads(pinned.read_text()).get("vmax") if pinned.is_file() else None
    return (tuple(dataset.get("channels", ("t1", "t2", "flair"))),
            int(record["train"]["image_size"]), str(params.get("mask", "whole")),
            float(vmax) if vmax else None)


def explain_current(run_dir: str | Path, images: Mapping[str, np.ndarray], seg: np.ndarray | None,
                    z: int, grade: str | None, model: torch.nn.Module | None = None) -> dict[str, Any]:
    """Explain slice ``z`` of a case with a run's best model, for its true grade.

    Without a known grade the predicted class is explained. Returns image (grey),
    tumour, relevance, score, prediction, probability_hgg, label, vmax.
    """
    channels, size, region, vmax = run_data_settings(run_dir)
    if model is None:
        model, _, _ = load_run_model(run_dir, "best")
    config = TrainConfig.from_dict(RunFolder(run_dir).read_config()["train"])
    image, tumour, brain = viewer_slice(images, seg, z, channels, size, region)
    device = next(model.parameters()).device
    x = torch.from_numpy(image[None]).to(device)
    with torch.no_grad():
        predicted = int(model.eval()(x).argmax(dim=1)[0])
    label = GRADES.index(grade) if grade in GRADES else predicted
    maps: Heatmaps = explain_batch(model, x, torch.tensor([label], device=device),
                                   torch.from_numpy(tumour[None]).to(device),
                                   torch.from_numpy(brain[None]).to(device), config.composite)
    return {"image": image[display_channel(channels)], "tumour": tumour, "relevance": maps.relevance[0],
            "score": float(maps.scores[0]), "prediction": int(maps.predictions[0]),
            "probability_hgg": float(maps.probabilities[0]), "label": label if grade in GRADES else None,
            "vmax": vmax or colour_scale(maps.relevance)}


class ExplainPanel(QtWidgets.QWidget):
    """A dock: choose a run, explain the viewer's current slice."""

    def __init__(self, window: Any, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.window_ = window
        self.runs_dir: Path | None = None
        self._models: dict[str, torch.nn.Module] = {}
        self.result: dict[str, Any] | None = None
        self.run_box = QtWidgets.QComboBox(self)
        self.run_box.setToolTip("Model: the best checkpoint of a run")
        self.button = QtWidgets.QPushButton("Explain current slice", self)
        self.follow = QtWidgets.QCheckBox("update when the slice changes", self)
        self.input_tile, self.heat_tile = Tile(self, 200), Tile(self, 200)
        self.text = QtWidgets.QLabel("Open a case and train a run first.", self)
        self.text.setWordWrap(True)
        layout = QtWidgets.QVBoxLayout(self)
        for w in (self.run_box, self.button, self.follow, self.input_tile, self.heat_tile, self.text):
            layout.addWidget(w)
        layout.addStretch(1)
        self.button.clicked.connect(self._guarded)
        self.button.setToolTip("Explain the viewer's current axial slice with the chosen run (Ctrl+E)")
        self._shown_for: tuple[str, int] | None = None  # (case id, z) of the result shown
        self._summary = ""
        window.state.cursor_changed.connect(self._on_cursor)
        window.state.volume_changed.connect(self._mark_if_stale)
        window.state.seg_changed.connect(lambda _r: self._mark_if_stale(mask_edited=True))

    def set_runs_dir(self, path: str | Path) -> None:
        """Offer the runs under ``path``."""
        self.runs_dir = Path(path)
        self.refresh()

    def refresh(self) -> None:
        """Re-list the runs that have a best checkpoint."""
        fill_run_box(self.run_box, self.runs_dir)

    def _viewer_at(self) -> tuple[str, int] | None:
        state, case = self.window_.state, getattr(self.window_, "case", None)
        if case is None or not state.has_volume:
            return None
        return str(getattr(case, "id", "case")), int(state.cursor[2])

    def _on_cursor(self, _voxel: Any) -> None:
        if self.follow.isChecked():
            self._guarded()
        else:
            self._mark_if_stale()

    def _mark_if_stale(self, mask_edited: bool = False) -> None:
        """Say so when the result shown is no longer the viewer's slice (or mask)."""
        if self._shown_for is None:
            return
        now = self._viewer_at()
        if now == self._shown_for and not mask_edited:
            return
        case, z = self._shown_for
        why = ("the mask was edited since" if now == self._shown_for
               else f"the viewer is at {now[0]} z{now[1]}" if now else "the case was closed")
        self.input_tile.setEnabled(False)
        self.heat_tile.setEnabled(False)
        self.text.setText(f"<b>Out of date</b>: showing {case} z{z}; {why}. Press Explain "
                          f"(Ctrl+E) to update.<br><span style='color:gray'>{self._summary}</span>")

    @property
    def stale(self) -> bool:
        """True when the shown explanation no longer matches the viewer."""
        return not self.heat_tile.isEnabled()

    def _guarded(self) -> None:
        try:
            self.explain()
        except Exception as error:  # noqa: BLE001 - shown, not raised into Qt
            self.text.setText(f"Error: {error}")

    def explain(self) -> dict[str, Any] | None:
        """Explain the current slice with the chosen run; shows and returns the result."""
        state, run = self.window_.state, self.run_box.currentData()
        if run is None or not state.has_volume:
            self.text.setText("Choose a run and open a case first.")
            return None
        if run not in self._models:
            self._models[run] = load_run_model(run, "best")[0]
        case = getattr(self.window_, "case", None)
        grade = getattr(case, "grade", None)
        z = int(state.cursor[2])
        QtWidgets.QApplication.setOverrideCursor(QtCore.Qt.CursorShape.WaitCursor)
        try:
            r = explain_current(run, state.images, state.seg, z, grade, self._models[run])
        finally:
            QtWidgets.QApplication.restoreOverrideCursor()
        case_id = getattr(case, "id", "case")
        self.input_tile.show_rgba(input_rgba(r["image"], r["tumour"]), f"{case_id} z{z}", "current mask")
        self.heat_tile.show_rgba(heat_rgba(r["relevance"], r["vmax"]), Path(run).name,
                                 caption(r["score"], r["prediction"], r["label"]))
        truth = GRADES[r["label"]] if r["label"] is not None else "unknown (explaining the prediction)"
        self._summary = (f"Prediction {GRADES[r['prediction']]} (P(HGG) = {r['probability_hgg']:.2f}); "
                         f"true grade {truth}; TumorLRPScore against the current mask: "
                         + (f"{r['score']:.3f}" if np.isfinite(r["score"]) else "n/a (no tumour here)"))
        self.text.setText(self._summary)
        self.input_tile.setEnabled(True)
        self.heat_tile.setEnabled(True)
        self._shown_for = (str(case_id), z)
        self.result = r
        return r
