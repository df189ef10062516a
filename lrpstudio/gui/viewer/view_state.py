"""What the three linked views show: the volumes, cursor, modality, window/level, overlay.

One :class:`ViewState` is shared by the views; they draw from it and redraw on its
signals, so every view stays linked through the crosshair without knowing each other.
The segmentation array is the editing session's own array (not a copy): after an edit
the controller calls :meth:`ViewState.notify_seg_changed` with the changed region and
only views whose slice crosses that region redraw their overlay.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Mapping

import numpy as np
from PySide6 import QtCore

from lrpstudio.core.data.layouts import MODALITIES
from lrpstudio.gui.viewer.geometry import plane_mapping, voxel_zooms
from lrpstudio.gui.viewer.overlay import LABEL_NAMES, OverlayStyle

Voxel = tuple[int, int, int]
#: ``((x0, x1), (y0, y1), (z0, z1))`` end exclusive, as core editing events give it.
Region = tuple[tuple[int, int], tuple[int, int], tuple[int, int]]

#: Window/level presets: (name, low percentile, high percentile) of the brain voxels.
LEVEL_PRESETS: tuple[tuple[str, float, float], ...] = (
    ("auto 1-99%", 1.0, 99.0),
    ("wide 0.1-99.9%", 0.1, 99.9),
    ("narrow 5-95%", 5.0, 95.0),
    ("full range", 0.0, 100.0),
)


def percentile_levels(volume: np.ndarray, low: float, high: float) -> tuple[float, float]:
    """Window bounds from percentiles of the non-zero voxels (BraTS background is 0).

    A strided sample keeps this fast on full-size volumes; percentiles of 1/8 of the
    voxels differ from the exact ones by far less than one grey level on screen.
    """
    sample = volume[::2, ::2, ::2]
    values = sample[sample != 0]
    if values.size == 0:
        values = volume.reshape(-1)
    lo, hi = np.percentile(values, [low, high])
    if not hi > lo:
        hi = lo + 1.0
    return float(lo), float(hi)


class ViewState(QtCore.QObject):
    """Shared display state of the three orthogonal views."""

    volume_changed = QtCore.Signal()
    cursor_changed = QtCore.Signal(object)       # Voxel
    modality_changed = QtCore.Signal(str)
    levels_changed = QtCore.Signal(str)
    overlay_changed = QtCore.Signal()
    seg_changed = QtCore.Signal(object)          # Region or None (everything)
    preview_changed = QtCore.Signal()

    def __init__(self, parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent)
        self.images: dict[str, np.ndarray] = {}
        self.seg: np.ndarray | None = None
        #: The mask as it is in the data folder (compare mode and the label table), or None.
        self.original: np.ndarray | None = None
        #: Compare mode: the overlay shows where ``seg`` differs from ``original``.
        self.compare = False
        self.preview: np.ndarray | None = None
        self.affine = np.eye(4)
        self.zooms: tuple[float, float, float] = (1.0, 1.0, 1.0)
        self.shape: tuple[int, int, int] = (1, 1, 1)
        self.modality = "flair"
        self.cursor: Voxel = (0, 0, 0)
        self.levels: dict[str, tuple[float, float]] = {}
        self.preset_index: dict[str, int] = {}
        self.style = OverlayStyle()

    # -- volume -----------------------------------------------------------------------
    def set_volume(self, images: Mapping[str, np.ndarray], seg: np.ndarray | None,
                   affine: np.ndarray) -> None:
        """Show a new case; the cursor goes to the centre (or the tumour's centre)."""
        self.images = dict(images)
        self.shape = tuple(next(iter(self.images.values())).shape)
        self.seg = seg
        self.original = None
        self.preview = None
        self.affine = np.asarray(affine, dtype=float)
        self.zooms = voxel_zooms(self.affine)
        self.levels = {}
        self.preset_index = {}
        if self.modality not in self.images:
            self.modality = next(iter(self.images))
        self.cursor = self._initial_cursor()
        self.volume_changed.emit()

    def set_seg(self, seg: np.ndarray | None) -> None:
        """Replace the segmentation array the overlay reads (e.g. a new edit session)."""
        self.seg = seg
        self.seg_changed.emit(None)

    def _initial_cursor(self) -> Voxel:
        if self.seg is not None and self.seg.any():
            # Start on the tumour: the slice a reviewer wants to see first.
            axis = plane_mapping(self.affine, "axial").slice_axis
            others = tuple(a for a in range(3) if a != axis)
            tumour = self.seg > 0
            index = int(np.argmax(tumour.sum(axis=others)))
            voxels = np.argwhere(np.take(tumour, index, axis=axis))
            centre = [int(v) for v in np.median(voxels, axis=0)]
            centre.insert(axis, index)
            return centre[0], centre[1], centre[2]
        return self.shape[0] // 2, self.shape[1] // 2, self.shape[2] // 2

    @property
    def has_volume(self) -> bool:
        """True once a case is shown."""
        return bool(self.images)

    def describe(self, voxel: Voxel) -> str:
        """The status-bar readout of a voxel: its index, every modality's value and its label."""
        values = " ".join(f"{m} {float(self.images[m][voxel]):.0f}" for m in MODALITIES if m in self.images)
        label = int(self.seg[voxel]) if self.seg is not None else 0
        return (f"voxel ({voxel[0]}, {voxel[1]}, {voxel[2]})  {values}  "
                f"label {label} {LABEL_NAMES.get(label, '?')}")

    # -- cursor -----------------------------------------------------------------------
    def set_cursor(self, voxel: Voxel) -> None:
        """Move the crosshair (clamped to the volume)."""
        x, y, z = (int(min(max(v, 0), n - 1)) for v, n in zip(voxel, self.shape))
        clamped: Voxel = (x, y, z)
        if clamped != self.cursor:
            self.cursor = clamped
            self.cursor_changed.emit(self.cursor)

    def step(self, axis: int, delta: int) -> None:
        """Move the cursor ``delta`` slices along a voxel axis."""
        voxel = list(self.cursor)
        voxel[axis] += delta
        self.set_cursor((voxel[0], voxel[1], voxel[2]))

    # -- modality and window/level -----------------------------------------------------
    def set_modality(self, name: str) -> None:
        """Show another modality (ignored when the case lacks it)."""
        if name in self.images and name != self.modality:
            self.modality = name
            self.modality_changed.emit(name)

    def current_levels(self) -> tuple[float, float]:
        """(low, high) of the current modality, computed on first use."""
        if self.modality not in self.levels:
            _, lo_p, hi_p = LEVEL_PRESETS[self.preset_index.get(self.modality, 0)]
            self.levels[self.modality] = percentile_levels(self.images[self.modality], lo_p, hi_p)
        return self.levels[self.modality]

    def set_levels(self, low: float, high: float) -> None:
        """Set the window of the current modality (high is kept above low)."""
        high = max(high, low + 1e-6)
        self.levels[self.modality] = (float(low), float(high))
        self.levels_changed.emit(self.modality)

    def apply_preset(self, index: int | None = None) -> str:
        """Apply preset ``index`` (default: the next one); returns its name."""
        if index is None:
            index = (self.preset_index.get(self.modality, 0) + 1) % len(LEVEL_PRESETS)
        self.preset_index[self.modality] = index
        name, lo_p, hi_p = LEVEL_PRESETS[index]
        self.set_levels(*percentile_levels(self.images[self.modality], lo_p, hi_p))
        return name

    def drag_levels(self, dx: float, dy: float, start: tuple[float, float]) -> None:
        """Window by horizontal, level by vertical mouse motion (pixels) from ``start``."""
        low, high = start
        width, centre = high - low, (high + low) / 2
        scale = max(width, 1e-3) / 200.0  # 200 px of motion = one window width
        width = max(width + dx * scale, 1e-3)
        centre = centre - dy * scale  # dragging up brightens (lower level)
        self.set_levels(centre - width / 2, centre + width / 2)

    # -- overlay ----------------------------------------------------------------------
    def set_style(self, opacity: float | None = None, outline: bool | None = None,
                  visible: bool | None = None) -> None:
        """Change the overlay style: ``opacity`` (clamped to [0, 1]), ``outline``, ``visible``."""
        style = replace(
            self.style,
            opacity=self.style.opacity if opacity is None else float(min(max(float(opacity), 0.0), 1.0)),
            outline=self.style.outline if outline is None else bool(outline),
            visible=self.style.visible if visible is None else bool(visible))
        if style != self.style:
            self.style = style
            self.overlay_changed.emit()

    def set_label_style(self, label: int, visible: bool | None = None,
                        opacity: float | None = None) -> None:
        """Show or hide one label, or set its own opacity (0..1, a factor on the overlay's)."""
        hidden = set(self.style.hidden)
        if visible is not None:
            (hidden.discard if visible else hidden.add)(int(label))
        factors = dict(self.style.label_opacity)
        if opacity is not None:
            factors[int(label)] = float(min(max(float(opacity), 0.0), 1.0))
        style = replace(self.style, hidden=frozenset(hidden),
                        label_opacity=tuple(sorted(factors.items())))
        if style != self.style:
            self.style = style
            self.overlay_changed.emit()

    def set_original(self, original: np.ndarray | None) -> None:
        """The mask as stored in the data folder, for compare mode (None: there is none)."""
        self.original = original
        if self.compare:
            self.overlay_changed.emit()

    def set_compare(self, on: bool) -> None:
        """Switch compare mode (original vs corrected difference overlay) on or off."""
        if bool(on) != self.compare:
            self.compare = bool(on)
            self.overlay_changed.emit()

    def notify_seg_changed(self, region: Region | None = None) -> None:
        """The segmentation changed inside ``region`` (None: anywhere)."""
        self.seg_changed.emit(region)

    def set_preview(self, preview: np.ndarray | None) -> None:
        """Show (or clear) a preview mask drawn over the overlay."""
        self.preview = preview
        self.preview_changed.emit()
