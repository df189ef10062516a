"""Region shares and outside components on hand-made slices with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from lrpstudio.core.errors import InputError
from lrpstudio.core.review.mapping import prepared_mask_to_plane, prepared_to_plane
from lrpstudio.core.review.outside import (
    edge_width, outside_components, positive_map, region_fractions, regions,
)

S = 32


def masks() -> tuple[np.ndarray, np.ndarray]:
    """A square brain (rows/cols 4..27) with a square tumour (rows/cols 12..17)."""
    brain = np.zeros((S, S), bool)
    brain[4:28, 4:28] = True
    tumour = np.zeros((S, S), bool)
    tumour[12:18, 12:18] = True
    return tumour, brain


def test_positive_part_is_taken_per_channel_then_summed() -> None:
    relevance = np.zeros((2, 4, 4))
    relevance[0, 1, 1], relevance[1, 1, 1] = 3.0, -2.0
    assert positive_map(relevance)[1, 1] == 3.0  # not 3 - 2
    assert positive_map(relevance[0]).shape == (4, 4)
    with pytest.raises(InputError):
        positive_map(np.zeros((4, 5)))


def test_regions_are_disjoint_and_the_edge_is_as_wide_as_documented() -> None:
    tumour, brain = masks()
    parts = regions(tumour, brain)
    stacked = np.stack(list(parts.values())).astype(int).sum(axis=0)
    assert (stacked == 1).all()  # every pixel in exactly one region
    width = edge_width(S)
    assert width == 1 and edge_width(128) == 5
    edge = parts["brain edge"]
    assert edge[4, 10] and edge[27, 10] and not edge[5, 10]
    assert parts["inside brain"][5, 10] and parts["background"][3, 10]


def test_fractions_of_known_masses() -> None:
    tumour, brain = masks()
    positive = np.zeros((S, S))
    positive[14, 14] = 5.0        # tumour
    positive[4, 20] = 2.0         # brain edge
    positive[8, 8] = 1.0          # inside brain
    positive[0, 0] = 2.0          # background
    f = region_fractions(positive, tumour, brain)
    assert (f.tumour, f.edge, f.inside_brain, f.background) == pytest.approx((0.5, 0.2, 0.1, 0.2))
    assert f.outside == pytest.approx(0.5) and f.total == pytest.approx(10.0)
    empty = region_fractions(np.zeros((S, S)), tumour, brain)
    assert empty.outside == 0.0 and empty.total == 0.0


def test_components_ranked_by_mass_with_place_size_and_plane_position() -> None:
    tumour, brain = masks()
    positive = np.zeros((S, S))
    positive[14:16, 14:16] = 1.0          # inside the tumour: never a component
    positive[20:23, 20:24] = 0.5          # 12 px, mass 6, inside brain
    positive[0:2, 0:5] = 1.0              # 10 px, mass 10, background
    positive[4, 8:10] = 0.6               # 2 px on the brain edge
    positive[10, 25] = 0.01               # below 10 % of the max: ignored
    components, labels = outside_components(positive, tumour, brain)
    assert [c.where for c in components] == ["background", "inside brain", "brain edge"]
    assert [c.pixels for c in components] == [10, 12, 2]
    total = positive.sum()
    assert components[0].mass_fraction == pytest.approx(10 / total)
    assert components[1].mass_fraction == pytest.approx(6 / total)
    # Without a plane the prepared grid is the plane: i is the column, j the row.
    assert components[1].centroid_ij == pytest.approx((21.5, 21.0))
    assert components[1].voxels == 12
    assert (labels == 2).sum() == 12 and labels[14, 14] == 0
    assert len(outside_components(positive, tumour, brain, limit=1)[0]) == 1


def test_component_on_a_larger_plane_scales_voxels_and_centroid() -> None:
    tumour, brain = masks()
    positive = np.zeros((S, S))
    positive[20:24, 8:12] = 1.0
    (component,), _ = outside_components(positive, tumour, brain, plane_shape=(64, 64))
    assert component.pixels == 16 and component.voxels == 64
    assert component.centroid_ij == pytest.approx((19.5, 43.5))


def test_no_relevance_gives_no_components() -> None:
    tumour, brain = masks()
    components, labels = outside_components(np.zeros((S, S)), tumour, brain)
    assert components == [] and not labels.any()


@pytest.mark.parametrize("plane_shape", [(50, 70), (70, 50), (32, 32), (97, 97)])
def test_voxels_and_centroid_are_the_mapping_modules_on_any_plane(plane_shape) -> None:
    rng = np.random.default_rng(3)
    tumour, brain = masks()
    positive = rng.random((S, S)) ** 4  # a few strong pixels, many weak ones
    components, labels = outside_components(positive, tumour, brain, plane_shape=plane_shape)
    assert components
    for c in components:
        blob = labels == c.index + 1
        assert c.voxels == int(prepared_mask_to_plane(blob, plane_shape).sum())
        mass = prepared_to_plane(np.where(blob, positive, 0.0), plane_shape, "mass")
        if mass.sum() == 0:  # wholly in the zero padding of the square: placed off the plane
            i, j = c.centroid_ij
            assert not (0 <= i < plane_shape[0] and 0 <= j < plane_shape[1])
            continue
        ii, jj = np.indices(plane_shape)
        expected = ((ii * mass).sum() / mass.sum(), (jj * mass).sum() / mass.sum())
        assert c.centroid_ij == pytest.approx(expected, abs=1e-9)


def test_specks_below_the_minimum_share_are_left_out_of_the_list_and_the_map() -> None:
    positive = np.zeros((16, 16))
    positive[2:5, 2:5] = 1.0          # 9 of 9.2: a real blob
    positive[12, 12] = 0.2            # about 2 % of the slice's R+
    tumour = np.zeros((16, 16), bool)
    tumour[8:10, 8:10] = True
    brain = np.ones((16, 16), bool)
    everything, _ = outside_components(positive, tumour, brain)
    kept, labels = outside_components(positive, tumour, brain, min_share=0.05)
    assert len(everything) == 2 and len(kept) == 1
    assert kept[0].pixels == 9 and set(np.unique(labels)) == {0, 1}
