"""The orientation letter at a slice view's bottom edge never covers the slice label."""

from __future__ import annotations

import numpy as np
import pytest

from lrpstudio.gui.viewer.slice_view import SliceView
from lrpstudio.gui.viewer.view_state import ViewState


@pytest.mark.parametrize("size", [(239, 348), (423, 504), (477, 699), (847, 1011), (160, 200)])
@pytest.mark.parametrize("plane", ["axial", "coronal", "sagittal"])
def test_bottom_letter_and_slice_label_do_not_overlap(qtbot, plane: str, size: tuple[int, int]) -> None:
    # Sizes of the views in a 1366x768 and a 1920x1080 window, and a narrower one;
    # BraTS-sized volume, so the label reads e.g. "Coronal y107 (108/240)".
    state = ViewState()
    affine = np.diag([-1.0, -1.0, 1.0, 1.0])
    view = SliceView(state, plane)
    qtbot.addWidget(view)
    view.resize(*size)
    view.show()
    qtbot.waitExposed(view)
    state.set_volume({"flair": np.zeros((240, 240, 155), np.float32)}, None, affine)
    for _ in range(2):  # a longer label after a slice change must not cover it either
        letter, info = view.edge_labels["bottom"], view.info
        assert letter.text() and info.text()
        assert not letter.geometry().intersects(info.geometry()), (letter.geometry(), info.geometry())
        assert view.rect().contains(letter.geometry()) and view.rect().contains(info.geometry())
        state.set_cursor((9, 9, 9))
