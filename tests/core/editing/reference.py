"""Slow, obviously-correct reference implementations the editing tools are checked against."""

from __future__ import annotations

import itertools
from collections import deque
from typing import Callable, Sequence

import numpy as np

FACE_3D = [(1, 0, 0), (-1, 0, 0), (0, 1, 0), (0, -1, 0), (0, 0, 1), (0, 0, -1)]


def neighbours(connectivity: int, ndim: int = 3) -> list[tuple[int, ...]]:
    """Offsets of the neighbours with at most ``connectivity`` non-zero coordinates."""
    return [d for d in itertools.product((-1, 0, 1), repeat=ndim)
            if 0 < sum(1 for v in d if v) <= connectivity]


def bfs_component(inside: Callable[[tuple[int, ...]], bool], seed: tuple[int, ...],
                  shape: Sequence[int], offsets: list[tuple[int, ...]]) -> set[tuple[int, ...]]:
    """Voxels reachable from ``seed`` through voxels where ``inside`` holds (pure Python BFS)."""
    if not inside(seed):
        return set()
    seen = {seed}
    queue = deque([seed])
    while queue:
        p = queue.popleft()
        for d in offsets:
            q = tuple(a + b for a, b in zip(p, d))
            if q in seen or any(not 0 <= c < n for c, n in zip(q, shape)):
                continue
            if inside(q):
                seen.add(q)
                queue.append(q)
    return seen


def components(mask: np.ndarray, connectivity: int = 1) -> list[set[tuple[int, ...]]]:
    """All connected components of a boolean array, by BFS."""
    offsets = neighbours(connectivity, mask.ndim)
    left = {tuple(int(c) for c in p) for p in np.argwhere(mask)}
    found = []
    while left:
        seed = min(left)
        comp = bfs_component(lambda q: bool(mask[q]), seed, mask.shape, offsets)
        left -= comp
        found.append(comp)
    return found


def holes(mask: np.ndarray) -> np.ndarray:
    """Voxels not in ``mask`` that cannot reach the array border through non-mask voxels."""
    outside = np.zeros(mask.shape, bool)
    offsets = neighbours(1, mask.ndim)
    border = [tuple(int(c) for c in p) for p in np.argwhere(~mask)
              if any(c in (0, n - 1) for c, n in zip(p, mask.shape))]
    for seed in border:
        if not outside[seed]:
            for q in bfs_component(lambda r: not mask[r], seed, mask.shape, offsets):
                outside[q] = True
    return ~mask & ~outside


def ellipsoid(shape: Sequence[int], center: Sequence[int], radii_mm: Sequence[float],
              spacing: Sequence[float], flat_axis: int | None) -> np.ndarray:
    """Voxels whose centre is within the ellipsoid, by looping over every voxel."""
    out = np.zeros(tuple(shape), bool)
    for p in itertools.product(*(range(n) for n in shape)):
        if flat_axis is not None and p[flat_axis] != center[flat_axis]:
            continue
        total = 0.0
        for a in range(len(shape)):
            d_mm = (p[a] - center[a]) * spacing[a]
            if d_mm == 0:
                continue
            r = radii_mm[a]
            total += float("inf") if r == 0 else (d_mm / r) ** 2
        out[p] = total <= 1.0 + 1e-9
    return out


def brute_signed_distance(mask: np.ndarray, sampling: Sequence[float]) -> np.ndarray:
    """Signed distance by comparing every pixel with every pixel (float64)."""
    pts = np.argwhere(np.ones(mask.shape, bool)).astype(np.float64) * np.asarray(sampling)
    flat = mask.ravel()
    d = np.sqrt(((pts[:, None, :] - pts[None, :, :]) ** 2).sum(-1))
    to_in = np.where(flat[None, :], d, np.inf).min(1)
    to_out = np.where(~flat[None, :], d, np.inf).min(1)
    sd = np.where(flat, -to_out, to_in)
    return sd.reshape(mask.shape)
