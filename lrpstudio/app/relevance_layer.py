"""The relevance layer: a run's LRP heatmap of viewer slices, mapped onto the volume's axial plane.

The viewer draws a run's relevance over the full-resolution axial view. Each slice is
prepared exactly as the run's dataset prepares it (:func:`lrpstudio.core.data.slicing.slices_at`:
per-case normalisation inside the brain, zero-pad, area resize) and explained like the
Explain dock does (:func:`lrpstudio.app.explain.explain_viewer_slice`: the true grade,
else the prediction; the run's colour scale). The heatmap goes back onto the ``(I, J)``
plane of ``volume[:, :, z]`` through the exact inverse of that preparation
(:func:`lrpstudio.core.review.mapping.prepared_to_plane`, ``conserve="density"``: each
voxel shows the overlap-weighted mean of the pixels covering it, so the run's scale
applies unchanged).

Speed: the expensive part of a slice's preparation is the case's normalisation statistics
(percentiles over the whole brain). They depend only on the volumes and the mask, so
:class:`LayerEngine` keeps them per case and *mask version* (the viewer bumps the version
on every edit), with the run's model; a slice change then costs one small forward and
backward pass.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import torch

from lrpstudio.app.explain import ModelCache
from lrpstudio.app.run_info import RunDataSettings, run_data_settings, train_config
from lrpstudio.app.slices import PreparedSlice, ViewerSlice
from lrpstudio.core.data.slice_dataset import GRADES
from lrpstudio.core.data.slicing import (ChannelStats, axial_slices, brain_statistics, normalise,
                                         pad_to_square, region_mask, resize_area, resize_mask)
from lrpstudio.core.errors import CancelledError
from lrpstudio.core.jobs import is_cancelled
from lrpstudio.core.render.colours import colour_scale
from lrpstudio.core.review.mapping import prepared_mask_to_plane, prepared_to_plane
from lrpstudio.core.train.heatmaps import explain_batch
from lrpstudio.core.xai.composites import COMPOSITES

__all__ = ["COMPOSITES", "SIGNS", "CancelledError",
           "CaseStatistics", "LayerEngine", "LayerResult", "case_statistics", "component_planes",
           "layer_ramp", "layer_result", "layer_rgba", "prepare_slices", "tumour_range"]

#: How the layer shows relevance: ``positive`` (evidence for the class explained) or
#: ``both`` signs on a diverging map.
SIGNS: tuple[str, ...] = ("positive", "both")
#: Slices explained per batch when a range is asked for (bounded memory, cancel checks).
BATCH = 16
Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class CaseStatistics:
    """The per-case normalisation the dataset uses, for one version of the mask.

    Attributes
    ----------
    case_id, version
        The case and the viewer's mask version they were computed for.
    brain
        bool (I, J, K): any modality > 0, plus the tumour (as :func:`slices_at` adds it).
    stats
        Per modality: clip bounds, mean and spread of the healthy brain.
    """

    case_id: str
    version: int
    brain: np.ndarray
    stats: dict[str, ChannelStats]


def case_statistics(current: ViewerSlice, channels: Sequence[str], version: int = 0) -> CaseStatistics:
    """Normalisation statistics of ``current``'s case as :func:`slices_at` computes them."""
    images = current.images
    shape = next(iter(images.values())).shape
    seg = np.zeros(shape, np.uint8) if current.seg is None else current.seg
    whole = seg > 0
    brain = np.zeros(shape, bool)
    for volume in images.values():
        brain |= volume > 0
    brain |= whole
    healthy = brain & ~whole
    reference = healthy if healthy.any() else brain
    stats = {c: brain_statistics(images[c], reference) for c in channels}
    return CaseStatistics(current.case_id, int(version), brain, stats)


def prepare_slices(current: ViewerSlice, settings: RunDataSettings, stats: CaseStatistics,
                   zs: Sequence[int]) -> list[PreparedSlice]:
    """Axial slices ``zs`` prepared exactly like :func:`~lrpstudio.app.slices.prepare_viewer_slice`,
    with the case's statistics computed once (``stats``)."""
    index = np.asarray(list(zs), dtype=np.int64)
    images = current.images
    seg = np.zeros(stats.brain.shape, np.uint8) if current.seg is None else current.seg
    brain_2d = axial_slices(stats.brain, index)
    channels = np.stack([normalise(axial_slices(images[c], index), brain_2d, stats.stats[c])
                         for c in settings.channels], axis=1)
    size = settings.image_size
    prepared = resize_area(pad_to_square(channels), size).astype(np.float32)
    tumour = resize_mask(pad_to_square(region_mask(axial_slices(seg, index), settings.region)), size)
    brain = resize_mask(pad_to_square(brain_2d), size)
    return [PreparedSlice(prepared[k], tumour[k], brain[k]) for k in range(len(index))]


def tumour_range(seg: np.ndarray | None) -> tuple[int, int] | None:
    """``(first, last + 1)`` of the axial slices holding any tumour, or None without tumour."""
    if seg is None:
        return None
    present = np.flatnonzero(np.asarray(seg).any(axis=(0, 1)))
    if present.size == 0:
        return None
    return int(present[0]), int(present[-1]) + 1


@dataclass(frozen=True)
class LayerResult:
    """Relevance of some axial slices of one case, on the volume's axial planes.

    Attributes
    ----------
    case_id, run_dir, composite, version
        What was explained: the case, the run, the LRP composite, the mask version.
    zs
        The axial indices explained, ascending.
    planes
        float32 (len(zs), I, J): relevance density per voxel of ``volume[:, :, z]``.
    vmax
        The colour scale: the run's, else these heatmaps' own.
    scores, predictions, probabilities
        Per slice: TumorLRPScore (NaN without tumour), predicted class, P(HGG).
    label
        The class explained (index into GRADES): the true grade, else None (then each
        slice's prediction was explained).
    seconds
        Wall time of the computation.
    """

    case_id: str
    run_dir: Path
    composite: str
    version: int
    zs: tuple[int, ...]
    planes: np.ndarray
    vmax: float
    scores: np.ndarray
    predictions: np.ndarray
    probabilities: np.ndarray
    label: int | None
    seconds: float

    def plane(self, z: int) -> np.ndarray | None:
        """The relevance of axial slice ``z`` (I, J), or None when it was not explained."""
        try:
            return self.planes[self.zs.index(int(z))]
        except ValueError:
            return None

    def volume(self, shape: tuple[int, int, int]) -> np.ndarray:
        """float32 (I, J, K): the explained slices in place, zero elsewhere (for the other planes)."""
        out = np.zeros(shape, np.float32)
        out[:, :, list(self.zs)] = np.moveaxis(self.planes, 0, -1)
        return out


class LayerEngine:
    """Explains viewer slices for the layer, keeping each run's model and the case's statistics.

    One engine serves one thread at a time (the viewer runs one computation at a time).

    Parameters
    ----------
    threads
        Torch's intra-op threads while the engine computes (restored after; None: leave
        them). One slice at 128 px is too small to share out: on 2 cores one thread took
        about 55 ms where two took 80-300 ms (the benchmark ``bench_relevance_layer``).
    """

    def __init__(self, threads: int | None = 1) -> None:
        self.threads = threads
        self.models = ModelCache()
        self._stats: CaseStatistics | None = None
        self._stats_key: tuple[str, int, tuple[str, ...]] | None = None
        self._settings: dict[str, tuple[RunDataSettings, str]] = {}

    def settings(self, run_dir: str | Path) -> tuple[RunDataSettings, str]:
        """A run's data settings and composite (its config.json is read once)."""
        key = str(run_dir)
        if key not in self._settings:
            self._settings[key] = (run_data_settings(run_dir), train_config(run_dir).composite)
        return self._settings[key]

    def statistics(self, current: ViewerSlice, channels: Sequence[str], version: int) -> CaseStatistics:
        """The case's statistics for mask ``version`` (computed once per case and version)."""
        key = (current.case_id, int(version), tuple(channels))
        if self._stats is None or self._stats_key != key:
            self._stats = case_statistics(current, channels, version)
            self._stats_key = key
        return self._stats

    def compute(self, run_dir: str | Path, current: ViewerSlice, zs: Sequence[int] | None = None, *,
                version: int = 0, composite: str | None = None, progress: Progress | None = None,
                cancel: Any = None) -> LayerResult:
        """Explain axial slices ``zs`` (default: the viewer's slice) of ``current``'s case.

        Parameters
        ----------
        run_dir
            The run whose best model explains.
        current
            The viewer's slice (its volumes and a copy of its mask).
        zs
            Axial indices; None: ``current.z``.
        version
            The viewer's mask version (statistics are reused while it stays the same).
        composite
            LRP composite; None: the run's own.
        progress, cancel
            ``progress(done, total, message)`` per batch; a cancel token checked between
            batches (:class:`~lrpstudio.core.errors.CancelledError` when set).
        """
        saved = torch.get_num_threads()
        if self.threads is not None:
            torch.set_num_threads(self.threads)
        try:
            return self._compute(run_dir, current, zs, version, composite, progress, cancel)
        finally:
            torch.set_num_threads(saved)

    def _compute(self, run_dir: str | Path, current: ViewerSlice, zs: Sequence[int] | None, version: int,
                 composite: str | None, progress: Progress | None, cancel: Any) -> LayerResult:
        start = time.perf_counter()
        settings, own = self.settings(run_dir)
        composite = composite or own
        model = self.models.get(run_dir)
        stats = self.statistics(current, settings.channels, version)
        index = sorted({int(z) for z in ([current.z] if zs is None else zs)})
        known = current.grade in GRADES
        label = GRADES.index(str(current.grade)) if known else None
        parts: list[tuple[np.ndarray, ...]] = []
        for first in range(0, len(index), BATCH):
            if is_cancelled(cancel):
                raise CancelledError("the relevance layer was cancelled")
            chunk = index[first:first + BATCH]
            parts.append(_explain(model, prepare_slices(current, settings, stats, chunk), label, composite))
            if progress is not None:
                progress(min(first + BATCH, len(index)), len(index), "relevance")
        relevance, scores, predictions, probabilities = (np.concatenate(p) for p in zip(*parts))
        result = layer_result(current.case_id, run_dir, composite, version, index, relevance,
                              stats.brain.shape[:2], settings.vmax or colour_scale(relevance))
        return replace(result, scores=scores, predictions=predictions, probabilities=probabilities,
                       label=label, seconds=time.perf_counter() - start)


def layer_result(case_id: str, run_dir: str | Path, composite: str, version: int, zs: Sequence[int],
                 relevance: np.ndarray, plane_shape: tuple[int, int], vmax: float) -> LayerResult:
    """A :class:`LayerResult` of prepared heatmaps ``relevance`` (k, S, S) of slices ``zs``,
    mapped onto the ``(I, J)`` axial plane (scores and predictions left unknown)."""
    planes = np.stack([prepared_to_plane(r, plane_shape, "density") for r in relevance]).astype(np.float32)
    k = len(planes)
    return LayerResult(str(case_id), Path(run_dir), composite, int(version), tuple(int(z) for z in zs), planes,
                       float(vmax), np.full(k, np.nan), np.full(k, -1), np.full(k, np.nan), None, 0.0)


def _explain(model: torch.nn.Module, slices: list[PreparedSlice], label: int | None,
             composite: str) -> tuple[np.ndarray, ...]:
    """Relevance (k, S, S), scores, predictions and P(HGG) of prepared slices."""
    device = next(model.parameters()).device
    x = torch.from_numpy(np.stack([s.image for s in slices])).to(device)
    if label is None:  # unknown grade: explain each slice's prediction
        with torch.no_grad():
            labels = model.eval()(x).argmax(dim=1)
    else:
        labels = torch.full((len(slices),), label, dtype=torch.long, device=device)
    maps = explain_batch(model, x, labels,
                         torch.from_numpy(np.stack([s.tumour for s in slices])).to(device),
                         torch.from_numpy(np.stack([s.brain for s in slices])).to(device), composite)
    return maps.relevance, maps.scores, maps.predictions, maps.probabilities


def component_planes(labels: np.ndarray, count: int, plane_shape: tuple[int, int]) -> list[np.ndarray]:
    """The voxels of components ``0..count-1`` of a prepared label map (``k + 1`` on component
    ``k``, as :func:`lrpstudio.app.review.viewer_components` gives it) on the (I, J) plane."""
    return [prepared_mask_to_plane(np.asarray(labels) == k + 1, plane_shape) for k in range(int(count))]


# -- colours ---------------------------------------------------------------------------------
#: Positive relevance: dark red -> red -> yellow (the "hot" family: visible on grey MRI).
_HOT = np.array([(0.55, 0.0, 0.0), (0.95, 0.15, 0.05), (1.0, 0.85, 0.1)])
#: Both signs: blue (negative) and red (positive), opacity by magnitude.
_NEG, _POS = np.array((0.15, 0.45, 1.0)), np.array((1.0, 0.15, 0.1))


def layer_rgba(plane: np.ndarray, vmax: float, sign: str = "positive") -> np.ndarray:
    """(…, 4) uint8 colours of a relevance plane on ``[0, vmax]`` or ``[-vmax, vmax]``.

    Zero is fully transparent and the opacity grows with the magnitude (square root, so
    weak relevance stays visible), so the grey image shows through where the model does
    not look. The layer's overall opacity is the view's.
    """
    if sign not in SIGNS:
        raise ValueError(f"sign must be one of {SIGNS}, got {sign!r}")
    t = np.clip(np.asarray(plane, dtype=np.float64) / max(float(vmax), 1e-30), -1.0, 1.0)
    rgba = np.zeros(t.shape + (4,), np.uint8)
    if sign == "positive":
        m = np.clip(t, 0.0, 1.0)
        rgb = _ramp(_HOT, m)
    else:
        m = np.abs(t)
        rgb = np.where((t < 0)[..., None], _NEG, _POS)
    rgba[..., :3] = (255 * rgb).astype(np.uint8)
    rgba[..., 3] = (255 * np.sqrt(m)).astype(np.uint8)
    return rgba


def _ramp(stops: np.ndarray, m: np.ndarray) -> np.ndarray:
    """Piecewise-linear colours of ``m`` in [0, 1] through evenly spaced ``stops``."""
    x = m * (len(stops) - 1)
    low = np.clip(np.floor(x).astype(int), 0, len(stops) - 2)
    frac = (x - low)[..., None]
    return stops[low] * (1 - frac) + stops[low + 1] * frac


def layer_ramp(sign: str, width: int, height: int) -> np.ndarray:
    """(height, width, 4) uint8 colour bar of :func:`layer_rgba` over the scale, on black
    (low end on the left): ``[0, 1]`` for ``positive``, ``[-1, 1]`` for ``both``."""
    values = np.linspace(0.0 if sign == "positive" else -1.0, 1.0, width)
    rgba = layer_rgba(values[None, :].repeat(height, axis=0), 1.0, sign).astype(np.float64)
    alpha = rgba[..., 3:] / 255.0
    out = np.empty_like(rgba)
    out[..., :3] = rgba[..., :3] * alpha  # blended over black, as over the dark background
    out[..., 3] = 255
    return out.astype(np.uint8)
