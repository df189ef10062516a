"""A skull-stripped brain phantom with BraTS-like contrasts.

The brain is an ellipsoid in normalised coordinates ``u`` (voxels divided by the
lateral semi-axis, so ``u`` is isotropic and 1 = the brain's half-width). Tissue is
made of soft partial-volume fractions, so the four contrasts share one anatomy:

- cortex: grey matter under the surface, 4-5 mm thick; sulci are thin sheets of CSF at
  the zero-crossings of a smooth random field, lined with grey matter, so the white
  matter forms gyri-like fingers between them;
- an interhemispheric fissure (CSF lined with cortex) down to the corpus callosum;
- two curved lateral ventricles and a third ventricle (CSF), their size varies per case;
- deep grey nuclei (thalamus / basal ganglia) on both sides;
- a cerebellum under the occipital lobes, separated by a CSF tentorium, and a brainstem
  running down to the first slice.

Contrasts are relative to white matter (WM = 1) and match the textbook order:
T1 WM > GM > CSF; T2 CSF >> GM > WM; FLAIR GM > WM > CSF (fluid suppressed).
:func:`finalize` applies a smooth multiplicative bias field per sequence, Rician noise,
and writes int16 with a zero background (skull-stripped, as BraTS ships it).
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Iterable, Mapping, TypeVar

import numpy as np

from lrpstudio.core.data.demo.fields import sigmoid, smooth_field, soft_below
from lrpstudio.core.data.layouts import MODALITIES

T = TypeVar("T")


def triple(values: Iterable[T]) -> tuple[T, T, T]:
    """Three values (one per axis) as a 3-tuple; a ValueError for another count."""
    x, y, z = values
    return x, y, z

#: Tissue intensity relative to white matter, per sequence.
TISSUE_CONTRAST: Mapping[str, Mapping[str, float]] = MappingProxyType({
    "t1": MappingProxyType({"wm": 1.0, "gm": 0.68, "csf": 0.27, "deep": 0.84}),
    "t1ce": MappingProxyType({"wm": 1.0, "gm": 0.72, "csf": 0.30, "deep": 0.86}),
    "t2": MappingProxyType({"wm": 1.0, "gm": 1.40, "csf": 3.50, "deep": 1.22}),
    "flair": MappingProxyType({"wm": 1.0, "gm": 1.30, "csf": 0.33, "deep": 1.12}),
})
#: Stored value of white matter per sequence (arbitrary scanner units, BraTS-like ranges).
WM_LEVEL: Mapping[str, float] = MappingProxyType(
    {"t1": 620.0, "t1ce": 680.0, "t2": 430.0, "flair": 360.0})
#: Cerebrum semi-axes as fractions of the volume's (x, y, z) size: 68, 86, 62 voxels at 240x240x155.
_SEMI_AXES = (0.283, 0.358, 0.40)


@dataclass(frozen=True)
class Grid:
    """Where the brain sits in the volume, and its normalised coordinates.

    Attributes
    ----------
    shape
        Shape of the whole volume.
    box
        The crop (one slice per axis) holding the brain; work happens inside it.
    centre
        Brain centre in voxel coordinates of the whole volume.
    scale
        Voxels per normalised unit (the lateral semi-axis).
    aspect
        Brain semi-axes in normalised units (1, AP/lateral, SI/lateral).
    """

    shape: tuple[int, int, int]
    box: tuple[slice, slice, slice]
    centre: tuple[float, float, float]
    scale: float
    aspect: tuple[float, float, float]

    @property
    def crop_shape(self) -> tuple[int, int, int]:
        """Shape of the crop."""
        return triple(s.stop - s.start for s in self.box)

    def coords(self, box: tuple[slice, slice, slice] | None = None) -> tuple[np.ndarray, ...]:
        """Normalised coordinates (ux, uy, uz) of ``box`` (default: the crop), broadcastable."""
        box = self.box if box is None else box
        axes = []
        for axis, (sl, c) in enumerate(zip(box, self.centre)):
            u = ((np.arange(sl.start, sl.stop, dtype=np.float32) - c) / self.scale)
            view = [1, 1, 1]
            view[axis] = -1
            axes.append(u.reshape(view))
        return tuple(axes)

    def to_voxel(self, u: np.ndarray) -> np.ndarray:
        """Whole-volume voxel coordinates of normalised point(s) ``u`` (..., 3)."""
        return np.asarray(self.centre) + np.asarray(u) * self.scale


@dataclass(frozen=True, eq=False)
class Anatomy:
    """The healthy brain of one case, on the crop of :attr:`grid`.

    ``images`` hold float32 intensities relative to white matter (before bias and
    noise); ``wm`` and ``csf`` are tissue fractions the tumour model uses (oedema
    spreads along white matter and stays out of CSF).
    """

    grid: Grid
    brain: np.ndarray
    wm: np.ndarray
    csf: np.ndarray
    images: dict[str, np.ndarray]


def make_grid(rng: np.random.Generator, shape: tuple[int, int, int]) -> Grid:
    """Place a brain of random size and position (a few per cent) in a volume of ``shape``."""
    semi = np.array([f * n for f, n in zip(_SEMI_AXES, shape)]) * rng.uniform(0.93, 1.04, 3)
    centre = np.array([shape[0] / 2 - 0.5, shape[1] * 0.5, shape[2] * 0.53])
    centre += rng.uniform(-0.02, 0.02, 3) * np.array(shape)
    scale = float(semi[0])
    box = [
        slice(max(0, int(np.floor(c - 1.08 * s)) - 1), min(n, int(np.ceil(c + 1.08 * s)) + 2))
        for c, s, n in zip(centre, semi, shape)
    ]
    box[2] = slice(0, box[2].stop)  # the brainstem runs down to the first slice
    return Grid(shape=triple(int(n) for n in shape), box=triple(box),
                centre=triple(float(c) for c in centre), scale=scale,
                aspect=(1.0, float(semi[1] / scale), float(semi[2] / scale)))


def _ellipsoid_radius(ux: np.ndarray, uy: np.ndarray, uz: np.ndarray, centre: tuple[float, float, float],
                      radii: tuple[float, float, float]) -> np.ndarray:
    """Normalised ellipsoid radius (1 on the surface); built from broadcast 1D/2D terms."""
    return np.sqrt(((ux - centre[0]) / radii[0]) ** 2 + ((uy - centre[1]) / radii[1]) ** 2
                   + ((uz - centre[2]) / radii[2]) ** 2)


def _sub_box(grid: Grid, lo: tuple[float, ...], hi: tuple[float, ...]) -> tuple[slice, slice, slice]:
    """Crop-relative slices covering normalised coordinates ``lo``..``hi``."""
    out = []
    for c, sl, a, b in zip(grid.centre, grid.box, lo, hi):
        n = sl.stop - sl.start
        start = int(np.clip(np.floor(c + a * grid.scale) - sl.start, 0, n))
        stop = int(np.clip(np.ceil(c + b * grid.scale) + 1 - sl.start, start, n))
        out.append(slice(start, stop))
    return triple(out)


def _hindbrain(grid: Grid, radius: np.ndarray, box: tuple[slice, slice, slice],
               ux: np.ndarray, uy: np.ndarray, uz: np.ndarray) -> np.ndarray:
    """Add cerebellum and brainstem to ``radius`` (in place, on ``box``); return the tentorium.

    The brain's normalised radius becomes the minimum over the three parts, so the
    cortex model applies to all of them; the tentorium is a thin CSF sheet where the
    cerebrum and the cerebellum meet.
    """
    floor = -0.66 * grid.aspect[2]
    cerebellum = _ellipsoid_radius(ux, uy, uz, (0.0, 0.58 * grid.aspect[1], floor), (0.74, 0.48, 0.36))
    stem = _ellipsoid_radius(ux, uy, uz, (0.0, 0.2 * grid.aspect[1], floor - 0.5), (0.16, 0.19, 0.95))
    cerebrum = radius[box]
    tentorium = soft_below(np.abs(cerebrum - cerebellum), 0.06, 0.015)
    tentorium *= soft_below(cerebellum, 1.0, 0.02)
    radius[box] = np.minimum(cerebrum, np.minimum(cerebellum, stem))
    return tentorium


def _ventricles(ux: np.ndarray, uy: np.ndarray, uz: np.ndarray, size: float) -> np.ndarray:
    """Soft CSF fraction of two curved lateral ventricles and the third ventricle."""
    # The lateral ventricles curve down at both ends (frontal and occipital horns):
    # their vertical centre falls with the square of the distance along y.
    bend = 0.10 - 0.32 * (uy - 0.05) ** 2
    parts = []
    for side in (-1.0, 1.0):
        dx = (ux - side * 0.12 * size) / (0.065 * size)
        radius = np.sqrt(dx ** 2 + ((uy - 0.05) / 0.46) ** 2 + ((uz - bend) / (0.10 * size)) ** 2)
        parts.append(soft_below(radius, 1.0, 0.08))
    lateral = np.maximum(parts[0], parts[1])
    third = _ellipsoid_radius(ux, uy, uz, (0.0, 0.12, -0.12), (0.02 * size, 0.16, 0.12))
    return np.maximum(lateral, soft_below(third, 1.0, 0.1))


def _cortex(rng: np.random.Generator, grid: Grid, depth: np.ndarray, inside: np.ndarray,
            ux: np.ndarray, uz: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(csf, gm) fractions of the cortical ribbon, sulci and interhemispheric fissure.

    Computed on the brain voxels only (``inside``: flat crop indices; ``depth`` there).
    """
    sulcal = np.abs(smooth_field(rng, grid.crop_shape, 0.08 * grid.scale).ravel()[inside])
    n_y, n_z = grid.crop_shape[1], grid.crop_shape[2]
    ax = np.abs(ux.ravel())[inside // (n_y * n_z)]
    upper = sigmoid((uz.ravel() + 0.25) / 0.05)[inside % n_z]
    csf = soft_below(depth, 0.018, 0.007)                          # thin outer CSF layer
    csf = np.maximum(csf, soft_below(sulcal, 0.14, 0.04) * soft_below(depth, 0.24, 0.02))
    gm = soft_below(depth, 0.07, 0.012)                              # the cortical ribbon
    gm = np.maximum(gm, soft_below(sulcal, 0.42, 0.06) * soft_below(depth, 0.30, 0.02))
    # The fissure between the hemispheres reaches down to the corpus callosum only.
    fissure = soft_below(ax, 0.018, 0.007) * upper
    csf = np.maximum(csf, fissure * soft_below(depth, 0.55, 0.03))
    gm = np.maximum(gm, soft_below(ax, 0.04, 0.008) * upper * soft_below(depth, 0.58, 0.03))
    return csf, gm


def _scatter(values: np.ndarray, inside: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """A float32 array of ``shape``, ``values`` at the flat indices ``inside``, 0 elsewhere."""
    out = np.zeros(shape, np.float32)
    out.ravel()[inside] = values
    return out


def _deep_structures(rng: np.random.Generator, grid: Grid, csf: np.ndarray, ux: np.ndarray,
                     uy: np.ndarray, uz: np.ndarray) -> np.ndarray:
    """Add the ventricles to ``csf`` (in place); return the deep grey nuclei fraction."""
    # Ventricles and deep nuclei are small: compute them on their own sub-box only.
    sub = _sub_box(grid, (-0.45, -0.62, -0.45), (0.45, 0.72, 0.35))
    sx, sy, sz = ux[sub[0]], uy[:, sub[1]], uz[:, :, sub[2]]
    csf[sub] = np.maximum(csf[sub], _ventricles(sx, sy, sz, float(rng.uniform(0.75, 1.35))))
    deep = np.zeros_like(csf)
    for side in (-1.0, 1.0):
        nucleus = _ellipsoid_radius(sx, sy, sz, (side * 0.24, 0.08, -0.08), (0.12, 0.24, 0.14))
        deep[sub] = np.maximum(deep[sub], soft_below(nucleus, 1.0, 0.12))
    return deep


def make_anatomy(rng: np.random.Generator, shape: tuple[int, int, int]) -> Anatomy:
    """A random healthy brain in a volume of ``shape`` (intensities relative to WM).

    Parameters
    ----------
    rng
        Source of randomness; the same state gives the same brain.
    shape
        Whole-volume shape (x, y, z); 1 voxel = 1 mm.
    """
    grid = make_grid(rng, shape)
    crop = grid.crop_shape
    ux, uy, uz = grid.coords()
    radius = _ellipsoid_radius(ux, uy, uz, (0.0, 0.0, 0.0), grid.aspect)
    below = _sub_box(grid, (-0.8, -0.1, -2.0), (0.8, 1.3, -0.3))
    tentorium = _hindbrain(grid, radius, below, ux[below[0]], uy[:, below[1]], uz[:, :, below[2]])
    # A gently irregular outer surface, so no two brains have the same outline.
    radius *= 1.0 + 0.025 * smooth_field(rng, crop, 0.45 * grid.scale)
    brain = radius < 1.0
    # Tissue is composed on the brain voxels only, about half of the crop.
    inside = np.flatnonzero(brain.ravel())
    csf_in, gm_in = _cortex(rng, grid, 1.0 - radius.ravel()[inside], inside, ux, uz)
    csf = _scatter(csf_in, inside, crop)
    csf[below] = np.maximum(csf[below], tentorium)
    deep = _deep_structures(rng, grid, csf, ux, uy, uz).ravel()[inside]
    c = csf.ravel()[inside]
    gm_in = np.maximum(gm_in - deep, 0.0)  # deep nuclei have their own contrast
    wm = np.clip(1.0 - gm_in - deep, 0.0, 1.0) * (1.0 - c)
    tissue = {"gm": gm_in * (1.0 - c), "deep": deep * (1.0 - c), "csf": c}
    jitter = rng.uniform(0.95, 1.05, (len(MODALITIES), 3))
    images = {}
    for m, name in enumerate(MODALITIES):
        contrast = TISSUE_CONTRAST[name]
        image = wm.copy()
        for k, key in enumerate(("gm", "deep", "csf")):
            image += tissue[key] * np.float32(contrast[key] * jitter[m, k])
        images[name] = _scatter(image, inside, crop)
    return Anatomy(grid=grid, brain=brain, wm=_scatter(wm, inside, crop), csf=csf, images=images)


def finalize(rng: np.random.Generator, anatomy: Anatomy,
             images: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Bias field, Rician noise and int16 quantisation; the whole volume, zero outside the brain.

    Parameters
    ----------
    rng
        Source of randomness.
    anatomy
        The case's anatomy (grid and brain mask).
    images
        float32 crop intensities relative to white matter (tumour and shortcut painted in).

    Returns
    -------
    dict
        Modality -> int16 array of the whole volume shape; every brain voxel is >= 1.
    """
    grid, brain = anatomy.grid, anatomy.brain
    crop = grid.crop_shape
    # Work on the brain voxels only (about half the crop): the background stays 0.
    inside = np.flatnonzero(brain.ravel())
    # Each sequence has its own bias field: a mix of three smooth fields (cheaper than
    # one field per sequence, and still different between sequences).
    common, part_a, part_b = (smooth_field(rng, crop, 0.8 * grid.scale).ravel()[inside]
                              for _ in range(3))
    sigma = np.float32(rng.uniform(0.015, 0.035))
    # Two noise draws serve all four sequences, swapped and reversed: drawing eight
    # would add a third to the generation time for no visible difference.
    noise = rng.standard_normal((2, inside.size), dtype=np.float32) * sigma
    pairs = ((noise[0], noise[1]), (noise[1], noise[0]),
             (noise[0, ::-1], noise[1, ::-1]), (noise[1, ::-1], noise[0, ::-1]))
    out = {}
    for m, name in enumerate(MODALITIES):
        angle = m * np.pi / 2 + rng.uniform(0, np.pi / 2)
        value = np.float32(0.09) * common
        value += np.float32(0.05 * np.cos(angle)) * part_a
        value += np.float32(0.05 * np.sin(angle)) * part_b
        np.exp(value, out=value)
        value *= images[name].ravel()[inside]
        real, imag = pairs[m]
        value += real
        np.square(value, out=value)
        value += np.square(imag)
        np.sqrt(value, out=value)
        value *= np.float32(WM_LEVEL[name] * rng.uniform(0.85, 1.2))
        np.clip(value, 1, 32000, out=value)
        crop_values = np.zeros(crop, np.int16)
        crop_values.ravel()[inside] = np.rint(value, out=value)
        volume = np.zeros(grid.shape, np.int16)
        volume[grid.box] = crop_values
        out[name] = volume
    return out
