"""Polygon / lasso fill against a slow per-voxel point-in-polygon reference, and as a session step."""

from __future__ import annotations

import numpy as np
import pytest

from lrpstudio.core.editing.change import apply_change
from lrpstudio.core.editing.polygon import plane_axes, polygon_fill, rasterise_polygon
from lrpstudio.core.editing.rules import WritePolicy
from lrpstudio.core.editing.session import EditSession
from lrpstudio.core.errors import EditingError


def _reference(points, shape) -> np.ndarray:
    """Per voxel centre: on an edge (exact cross product, inside the edge's box) or PNPOLY-inside."""
    pts = [tuple(map(float, p)) for p in points]
    if len(pts) > 1 and pts[0] == pts[-1]:
        pts = pts[:-1]
    out = np.zeros(shape, dtype=bool)
    n = len(pts)
    for i in range(shape[0]):
        for j in range(shape[1]):
            px, py = float(i), float(j)
            inside = on = False
            for k in range(n):
                (ax, ay), (bx, by) = pts[k], pts[(k + 1) % n]
                if ((ay > py) != (by > py)) and px < (bx - ax) * (py - ay) / (by - ay) + ax:
                    inside = not inside
                du, dv = bx - ax, by - ay
                if (du * (py - ay) - dv * (px - ax) == 0 and min(ax, bx) <= px <= max(ax, bx)
                        and min(ay, by) <= py <= max(ay, by)):
                    on = True
            out[i, j] = inside or on
    return out


POLYGONS = {
    "triangle": [(2, 2), (17, 5), (6, 14)],
    "concave": [(1, 1), (18, 1), (18, 12), (10, 5), (2, 12)],
    "bowtie": [(1, 1), (18, 13), (18, 1), (1, 13)],  # self-crossing: even-odd
    "fractional": [(0.3, 0.7), (15.6, 2.2), (12.4, 13.9), (3.5, 9.1)],
    "sliver": [(2, 3), (15, 4), (2, 3.2)],
    "clipped": [(-5, -3), (30, 2), (8, 25)],
    "closed_explicitly": [(3, 3), (12, 3), (12, 10), (3, 10), (3, 3)],
}


@pytest.mark.parametrize("name", sorted(POLYGONS))
def test_rasterisation_matches_the_per_voxel_reference(name: str) -> None:
    shape = (20, 15)
    np.testing.assert_array_equal(rasterise_polygon(POLYGONS[name], shape), _reference(POLYGONS[name], shape))


def test_random_polygons_match_the_reference() -> None:
    rng = np.random.default_rng(3)
    for _ in range(25):
        n = int(rng.integers(3, 12))
        points = rng.uniform(-2, 22, (n, 2))
        if rng.random() < 0.5:
            points = np.round(points)  # clicked on voxel centres: many centres on edges
        np.testing.assert_array_equal(rasterise_polygon(points, (20, 18)), _reference(points, (20, 18)))


def test_clicked_vertices_and_edges_are_covered() -> None:
    covered = rasterise_polygon([(2, 2), (9, 2), (9, 6)], (12, 8))
    assert covered[2, 2] and covered[9, 2] and covered[9, 6]
    assert covered[5, 2] and covered[9, 4]  # on the straight edges


def test_too_few_vertices_fail() -> None:
    with pytest.raises(EditingError):
        rasterise_polygon([(1, 1), (4, 4)], (8, 8))
    with pytest.raises(EditingError):
        rasterise_polygon([(1, 1), (4, 4), (1, 1)], (8, 8))


@pytest.mark.parametrize("plane", ["axial", "coronal", "sagittal"])
def test_polygon_fill_writes_one_slice_of_the_plane(plane: str) -> None:
    seg = np.zeros((16, 14, 12), np.uint8)
    seg[5, 5, 5] = 2  # another label inside the polygon
    points = [(1, 1), (10, 2), (8, 9), (2, 8)]
    index = 5
    change = polygon_fill(seg, points, plane, index, WritePolicy(active_label=1, paint_over="protect_others"))
    got = seg.copy()
    apply_change(got, change)
    u, v = plane_axes(plane)
    normal = 3 - u - v
    expected = seg.copy()
    plane_mask = _reference(points, (seg.shape[u], seg.shape[v]))
    key: list = [slice(None)] * 3
    key[normal] = index
    view = expected[tuple(key)]
    view[plane_mask & (view == 0)] = 1
    np.testing.assert_array_equal(got, expected)
    assert got[5, 5, 5] == 2


def test_polygon_erase_and_intensity_limit() -> None:
    seg = np.ones((10, 10, 4), np.uint8)
    intensity = np.tile(np.arange(10, dtype=float)[:, None, None], (1, 10, 4))
    policy = WritePolicy(active_label=1, intensity_range=(3.0, 6.0))
    change = polygon_fill(seg, [(0, 0), (9, 0), (9, 9), (0, 9)], "axial", 2, policy, erase=True,
                          intensity=intensity)
    got = seg.copy()
    apply_change(got, change)
    assert (got[3:7, :, 2] == 0).all()
    assert (got[:3, :, 2] == 1).all() and (got[7:, :, 2] == 1).all()
    assert (got[:, :, [0, 1, 3]] == 1).all()


def test_session_polygon_is_one_undoable_step() -> None:
    session = EditSession(np.zeros((12, 12, 6), np.uint8))
    session.set_active_label(3)
    step = session.polygon_fill([(2, 2), (9, 2), (9, 9), (2, 9)], "axial", 3)
    assert step is not None and step.name == "polygon fill"
    assert (session.seg[2:10, 2:10, 3] == 3).all() and session.seg.sum() == 64 * 3
    session.undo()
    assert not session.seg.any()
    session.redo()
    assert session.seg.sum() == 64 * 3
    assert session.polygon_fill([(2, 2), (9, 2), (9, 9)], "axial", 3, erase=True).name == "polygon erase"
    with pytest.raises(EditingError):
        session.polygon_fill([(2, 2), (9, 2), (9, 9)], "axial", 6)


def test_polygon_and_grow_steps_come_back_from_the_crash_journal(tmp_path) -> None:
    from lrpstudio.core.editing.journal import replay

    base = np.zeros((12, 12, 6), np.uint8)
    intensity = np.zeros(base.shape)
    intensity[6:, 6:, :] = 10.0
    session = EditSession(base, images={"t1": intensity}, workspace=tmp_path, case_id="c1")
    session.set_active_label(2)
    session.polygon_fill([(0, 0), (5, 0), (5, 5), (0, 5)], "axial", 2)
    session.grow_region((8, 8, 2), plane=None, modality="t1")
    session.flush_pending()
    assert session.journal_file is not None
    result = replay(session.journal_file, base)
    np.testing.assert_array_equal(result.seg, session.seg)
    assert result.history.undo_name() == "grow region" and len(result.history) == 2
    session.close()
