"""Glioma-like tumours: where they grow, what they look like, and their labels.

Every tumour is drawn from one latent *aggressiveness* ``a`` in [0, 1]:
``a ~ Beta(8, 2)`` for HGG (mean 0.80) and ``Beta(2, 8)`` for LGG (mean 0.20). The
two distributions overlap a little (one LGG in fifty has ``a > 0.5``, and one HGG in
fifty ``a < 0.5``), so a few LGG enhance and a few HGG look tame. The overlap was one
in seven at first and one in thirty later; with 40 cases that left a classifier too
little signal to learn the grade from the tumour reliably, and it learned cues elsewhere
instead. From ``a``:

- necrosis: a central non-enhancing, T2-bright, T1-dark cavity, from ``a`` above ~0.45;
- enhancing rim (bright on T1ce): thickness 0-9 mm and coverage of the rim grow with ``a``;
  below that, one low-grade tumour in three has a small enhancing focus instead;
- oedema: the whole tumour reaches 1.03-2.4 times the core radius (``1 + 1.7 a^2``, at
  most 45 mm), finger-like along white matter, kept out of CSF and out of the other
  hemisphere, heterogeneous on T2/FLAIR;
- texture: the intensity heterogeneity inside the tumour grows with ``a`` (LGG are
  homogeneous T2/FLAIR-bright masses).

The extent of the whole tumour (24-40 mm from its centre) and its position (anywhere in
the cerebral white matter, either hemisphere) do not depend on the grade; the core is
what the grade's oedema leaves of the whole (12-34 mm). Labels are canonical: 1 necrotic /
non-enhancing core, 2 oedema, 3 enhancing.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from types import MappingProxyType
from typing import Any, Mapping

import numpy as np
from scipy.special import ndtri

from lrpstudio.core.data.demo.anatomy import Anatomy, triple
from lrpstudio.core.data.demo.fields import lerp, smooth_field, soft_below
from lrpstudio.core.data.layouts import MODALITIES

#: Tumour compartment intensities relative to white matter, per sequence. ``core_lgg`` and
#: ``core_hgg`` are the solid non-enhancing core at a = 0 and a = 1 (interpolated).
TUMOUR_CONTRAST: Mapping[str, Mapping[str, float]] = MappingProxyType({
    name: MappingProxyType(dict(zip(("oedema", "core_lgg", "core_hgg", "enh", "nec"), values)))
    for name, values in {
        "t1": (0.80, 0.58, 0.64, 0.82, 0.36),
        "t1ce": (0.82, 0.60, 0.70, 1.90, 0.40),
        "t2": (2.00, 2.55, 1.90, 1.55, 3.20),
        "flair": (2.15, 2.25, 1.75, 1.50, 1.05),
    }.items()
})
#: Beta distribution parameters of the aggressiveness per grade.
AGGRESSIVENESS_BETA: Mapping[str, tuple[float, float]] = MappingProxyType(
    {"HGG": (8.0, 2.0), "LGG": (2.0, 8.0)})
#: Range of the whole tumour's radius (core and oedema) in mm, the same for both grades:
#: what a slice shows first is the extent of the T2/FLAIR-bright region, and when it
#: followed the grade (a grade-independent core, grown by the oedema of high grade), a
#: plain classifier on clean data called large low-grade masses high grade.
WHOLE_RADIUS_MM: tuple[float, float] = (24.0, 40.0)
#: Bounds of the core radius in mm. Below ~12 mm the necrosis and the rim of a
#: high-grade core are a pixel or two on a 128 px slice, and the outer slices of its
#: window miss the core: at 8 mm, small HGG were a plain classifier's commonest error.
CORE_RADIUS_MM: tuple[float, float] = (12.0, 34.0)
#: Reference half-width of the brain in mm, to express sizes in normalised units.
_BRAIN_HALF_WIDTH_MM = 68.0


@dataclass(frozen=True)
class TumourParams:
    """The drawn description of one tumour (sizes in normalised brain units)."""

    grade: str
    aggressiveness: float
    centre: tuple[float, float, float]
    radius: float
    stretch: tuple[float, float, float]
    necrosis: float
    rim_thickness: float
    rim_coverage: float
    focus: bool
    oedema_ratio: float
    heterogeneity: float

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(self).items()}


@dataclass(frozen=True, eq=False)
class Tumour:
    """A grown tumour: canonical labels and soft compartment weights on a local box of the crop."""

    params: TumourParams
    box: tuple[slice, slice, slice]
    labels: np.ndarray
    weights: dict[str, np.ndarray]
    texture: np.ndarray


def _mm(value: float) -> float:
    return value / _BRAIN_HALF_WIDTH_MM


def _centre(rng: np.random.Generator, anatomy: Anatomy, extent: float) -> tuple[float, float, float]:
    """A point in the cerebral white matter of one hemisphere, deep enough for the core.

    ``extent`` is the core's largest semi-axis; the core is kept off the midline, so
    that only its oedema meets the falx.
    """
    aspect = anatomy.grid.aspect
    # the core's shape noise reaches ~1.2x its radius: keep that clear of the midline
    lateral = min(1.2 * extent + 0.03, 0.62)
    for _ in range(200):
        u = np.array([rng.choice((-1.0, 1.0)) * rng.uniform(lateral, max(lateral, 0.66)),
                      rng.uniform(-0.85, 0.85) * aspect[1], rng.uniform(-0.25, 0.75) * aspect[2]])
        r = np.sqrt(((u / np.asarray(aspect)) ** 2).sum())
        if r + 0.4 * extent < 0.92:
            return triple(float(x) for x in u)
    return (float(rng.choice((-1.0, 1.0))) * lateral, 0.0, 0.15)  # the centrum semiovale


def draw_params(rng: np.random.Generator, anatomy: Anatomy, grade: str) -> TumourParams:
    """Draw a tumour of ``grade`` ("HGG" or "LGG") for ``anatomy``."""
    a = float(rng.beta(*AGGRESSIVENESS_BETA[grade]))
    necrosis = float(np.clip(1.1 * (a - 0.42) + rng.normal(0, 0.08), 0.0, 0.72))
    thickness_mm = float(np.clip(11.0 * (a - 0.3) + rng.normal(0, 1.0), 0.0, 9.0))
    coverage = float(np.clip(1.7 * a - 0.45 + rng.normal(0, 0.1), 0.0, 1.0))
    if thickness_mm < 1.0 or coverage < 0.05:
        thickness_mm, coverage = 0.0, 0.0
    focus = bool(coverage == 0.0 and rng.random() < 0.35)
    oedema = float(np.clip(1.0 + 1.7 * a ** 2 + rng.normal(0, 0.08), 1.03, 2.4))
    # the core is what is left of the whole tumour inside the grade's oedema
    radius = _mm(float(np.clip(rng.uniform(*WHOLE_RADIUS_MM) / oedema, *CORE_RADIUS_MM)))
    # the whole tumour (oedema) reaches at most ~45 mm from the centre
    oedema = min(oedema, _mm(45.0) / radius)
    stretch = triple(float(s) for s in rng.uniform(0.8, 1.25, 3))
    return TumourParams(
        grade=grade, aggressiveness=a, centre=_centre(rng, anatomy, radius * max(stretch)),
        radius=radius, stretch=stretch,
        necrosis=necrosis if necrosis >= 0.15 else 0.0,
        # at least ~1.3 voxels, so a rim stays visible on small test volumes
        rim_thickness=max(_mm(thickness_mm), 1.3 / anatomy.grid.scale) if coverage else 0.0,
        rim_coverage=coverage, focus=focus, oedema_ratio=oedema,
        heterogeneity=0.03 + 0.16 * a,
    )


def _local_box(anatomy: Anatomy, params: TumourParams) -> tuple[slice, slice, slice]:
    """The crop-relative box that can hold the whole tumour (oedema included)."""
    grid = anatomy.grid
    reach = params.radius * params.oedema_ratio * 1.25 * 1.6 * max(params.stretch) * grid.scale
    centre = grid.to_voxel(np.asarray(params.centre))
    box = []
    for c, sl in zip(centre, grid.box):
        lo = max(sl.start, int(np.floor(c - reach)))
        hi = min(sl.stop, int(np.ceil(c + reach)) + 1)
        box.append(slice(lo - sl.start, max(hi, lo + 1) - sl.start))
    return triple(box)


def grow_tumour(rng: np.random.Generator, anatomy: Anatomy, params: TumourParams) -> Tumour:
    """Grow the tumour described by ``params`` in ``anatomy``.

    Returns
    -------
    Tumour
        Canonical labels (uint8) and soft weights of each compartment on a local box;
        everything is clipped to the brain.
    """
    grid = anatomy.grid
    box = _local_box(anatomy, params)
    whole_box = triple(slice(s.start + g.start, s.stop + g.start) for s, g in zip(box, grid.box))
    ux, uy, uz = grid.coords(whole_box)
    local = tuple(s.stop - s.start for s in box)
    cx, cy, cz = params.centre
    sx, sy, sz = params.stretch
    dist = np.sqrt(((ux - cx) / sx) ** 2 + ((uy - cy) / sy) ** 2 + ((uz - cz) / sz) ** 2)
    r_vox = params.radius * grid.scale
    core_rho = dist / (params.radius * (1.0 + 0.18 * smooth_field(rng, local, max(0.5 * r_vox, 1.5))))
    # Gliomas and their oedema stay in their hemisphere (the falx is a barrier).
    brain = anatomy.brain[box] & (np.sign(cx) * ux > 0.01)
    wm, csf = anatomy.wm[box], anatomy.csf[box]
    edge = 0.6 / max(r_vox, 1.0)  # soft edge of ~0.6 voxel in rho units
    w_core = soft_below(core_rho, 1.0, edge) * brain
    # Oedema spreads along white matter (up to 1.3x further) and stays out of CSF.
    wobble = smooth_field(rng, local, max(0.6 * r_vox, 1.5))
    spread = params.radius * params.oedema_ratio * (1.0 + 0.2 * wobble)
    oedema_rho = dist / (spread * (0.8 + 0.25 * wm))
    w_oedema = soft_below(oedema_rho, 1.0, 0.06) * (1.0 - csf) * brain
    w_nec = np.zeros(local, np.float32)
    if params.necrosis > 0:
        wobble = smooth_field(rng, local, max(0.3 * r_vox, 1.5))
        nec_rho = core_rho / (params.necrosis * (1.0 + 0.15 * wobble))
        w_nec = soft_below(nec_rho, 1.0, 0.08) * w_core
    w_enh = _enhancement(rng, params, core_rho, local, r_vox, edge) * w_core
    labels = np.zeros(local, np.uint8)
    labels[(w_oedema > 0.5) & brain] = 2
    labels[(w_core > 0.5) & brain] = 1
    labels[(w_enh > 0.5) & (labels == 1)] = 3
    labels[(w_nec > 0.5) & (labels == 1)] = 1
    if not labels.any():  # a tumour smaller than a voxel (tiny test volumes): keep one
        peak = np.unravel_index(int(np.argmax(w_core)), local)
        labels[peak] = 1 if brain[peak] else 0
    texture = smooth_field(rng, local, max(0.2 * r_vox, 1.5))
    return Tumour(params=params, box=box, labels=labels,
                  weights={"oedema": w_oedema, "core": w_core, "enh": w_enh, "nec": w_nec},
                  texture=texture)


def _enhancement(rng: np.random.Generator, params: TumourParams, core_rho: np.ndarray,
                 local: tuple[int, ...], r_vox: float, edge: float) -> np.ndarray:
    """Soft weight of enhancing tissue: a (partial) rim, a small focus, or nothing."""
    if params.rim_coverage > 0:
        inner = 1.0 - params.rim_thickness / params.radius
        rim = soft_below(-core_rho, -max(inner, 0.05), edge)  # rho > inner
        # The rim enhances where a smooth field exceeds the quantile of the coverage.
        cover = smooth_field(rng, local, max(0.35 * r_vox, 1.5))
        threshold = float(ndtri(1.0 - min(params.rim_coverage, 0.999)))
        return rim * soft_below(-cover, -threshold, 0.15)
    if params.focus:
        direction = rng.normal(size=3)
        direction /= np.linalg.norm(direction)
        grid_idx = np.indices(local, dtype=np.float32)
        middle = np.array([(n - 1) / 2 for n in local], np.float32)
        spot = middle + direction * 0.55 * r_vox
        d = np.sqrt(sum((grid_idx[k] - spot[k]) ** 2 for k in range(3)))
        return soft_below(d, max(rng.uniform(0.15, 0.3) * r_vox, 1.2), 0.6)
    return np.zeros(local, np.float32)


def paint_tumour(images: dict[str, np.ndarray], tumour: Tumour) -> None:
    """Blend the tumour's compartments into the crop intensities (in place)."""
    p = tumour.params
    tex = np.float32(p.heterogeneity) * tumour.texture
    w = tumour.weights
    focus_only = p.rim_coverage == 0
    for name in MODALITIES:
        c = TUMOUR_CONTRAST[name]
        region = images[name][tumour.box]
        core = (1.0 - p.aggressiveness) * c["core_lgg"] + p.aggressiveness * c["core_hgg"]
        # A focal enhancement of a low-grade tumour is fainter than a high-grade rim.
        enh = c["enh"] if not focus_only else 0.5 * (core + c["enh"])
        lerp(region, c["oedema"] * (1.0 + tex), w["oedema"])
        lerp(region, core * (1.0 + tex), w["core"])
        lerp(region, enh * (1.0 + tex), w["enh"])
        lerp(region, c["nec"] * (1.0 + 0.5 * tex), w["nec"])


def whole_labels(tumour: Tumour, crop_shape: tuple[int, int, int]) -> np.ndarray:
    """The tumour's canonical labels on the whole crop."""
    labels = np.zeros(crop_shape, np.uint8)
    labels[tumour.box] = tumour.labels
    return labels
