"""A montage PNG of a few demo cases: axial T1, T1ce, T2, FLAIR with the tumour outlined.

Rows are chosen to show the contrast between the classes and the shortcut: an HGG with
the shortcut, an HGG without, and LGG cases. Each row is the axial slice with the
largest tumour area, shown in radiological convention (patient right on the image's
left, anterior at the top), derived from the BraTS affine the demo files carry.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import nibabel as nib
import numpy as np

from lrpstudio.core.data.demo.writer import read_marker
from lrpstudio.core.data.layouts import LABEL_CONVENTIONS, MODALITIES, Release, case_file_name
from lrpstudio.core.errors import DemoDataError

_TITLES = {"t1": "T1", "t1ce": "T1ce", "t2": "T2", "flair": "FLAIR"}
#: Outline colours: whole tumour, tumour core (1 + 3), enhancing (3).
_OUTLINES = (("whole tumour", "#ffd400"), ("core", "#ff3b30"), ("enhancing", "#00e5ff"))


def pick_rows(records: Sequence[dict[str, Any]], rows: int = 4) -> list[dict[str, Any]]:
    """Typical cases: the most aggressive HGG with and without the shortcut, the tamest LGG."""
    def aggressiveness(record: dict[str, Any]) -> float:
        return float(record.get("tumour", {}).get("aggressiveness", 0.5))

    hgg = sorted((r for r in records if r["grade"] == "HGG"), key=aggressiveness, reverse=True)
    lgg = sorted((r for r in records if r["grade"] == "LGG"), key=aggressiveness)
    chosen = ([r for r in hgg if r["shortcut"]["present"]][:1]
              + [r for r in hgg if not r["shortcut"]["present"]][:1] + lgg[:2])
    for record in hgg + lgg:
        if len(chosen) >= rows:
            break
        if record not in chosen:
            chosen.append(record)
    return chosen[:rows]


def _load_case(root: Path, layout: Release,
               record: dict[str, Any]) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """A case's four modalities and its segmentation in canonical labels."""
    folder = root / record["folder"]
    images = {m: np.asarray(nib.Nifti1Image.from_filename(folder / case_file_name(layout, record["id"], m)).dataobj)
              for m in MODALITIES}
    raw = np.asarray(nib.Nifti1Image.from_filename(folder / case_file_name(layout, record["id"], "seg")).dataobj)
    lut = np.zeros(int(raw.max()) + 1 if raw.size else 1, np.uint8)
    for value, canonical in LABEL_CONVENTIONS[layout].mapping.items():
        if value < lut.size:
            lut[value] = canonical
    return images, lut[raw]


def _draw_row(axes: Sequence[Any], images: dict[str, np.ndarray], seg: np.ndarray,
              record: dict[str, Any]) -> None:
    z = int(np.argmax((seg > 0).sum(axis=(0, 1))))
    masks = [seg[:, :, z] > 0, np.isin(seg[:, :, z], (1, 3)), seg[:, :, z] == 3]
    for ax, name in zip(axes, MODALITIES):
        plane = images[name][:, :, z].astype(np.float32)
        inside = plane[plane > 0]
        hi = float(np.percentile(inside, 99.5)) if inside.size else 1.0
        # (x, y) -> rows = y (anterior first), columns = x (patient right first)
        ax.imshow(plane.T, cmap="gray", vmin=0, vmax=hi, interpolation="nearest")
        for mask, (_, colour) in zip(masks, _OUTLINES):
            if mask.any() and not mask.all():
                ax.contour(mask.T.astype(np.float32), levels=[0.5], colors=[colour], linewidths=0.7)
        ax.set_xticks([])
        ax.set_yticks([])
    mark = record["shortcut"]
    if mark["present"]:
        cx, cy = mark["centre_xy"]
        for ax in (axes[0], axes[2], axes[3]):
            ax.add_patch(_circle((cx, cy), 2.2 * mark["radius_voxels"]))
    tumour = record.get("tumour", {})
    axes[0].set_ylabel(f"{record['id']}\n{record['grade']}  a={tumour.get('aggressiveness', 0):.2f}\n"
                       f"shortcut: {'yes' if mark['present'] else 'no'}  z={z}", fontsize=8)


def _circle(centre: tuple[float, float], radius: float) -> Any:
    from matplotlib.patches import Circle  # matplotlib is loaded only when a montage is drawn

    return Circle(centre, radius, fill=False, edgecolor="#ff4fd8", linestyle="--", linewidth=0.9)


def _annotate(fig: Any, first_row: Sequence[Any]) -> None:
    """Column titles, orientation letters on the first panel, and the legend."""
    from matplotlib.lines import Line2D  # matplotlib is loaded only when a montage is drawn

    for ax, name in zip(first_row, MODALITIES):
        ax.set_title(_TITLES[name], fontsize=10)
    for x, y, letter, ha, va in ((0.02, 0.5, "R", "left", "center"), (0.98, 0.5, "L", "right", "center"),
                                 (0.5, 0.97, "A", "center", "top")):
        first_row[0].text(x, y, letter, color="w", transform=first_row[0].transAxes, fontsize=8,
                          ha=ha, va=va)
    handles = [Line2D([], [], color=c, label=n) for n, c in _OUTLINES]
    handles.append(Line2D([], [], color="#ff4fd8", linestyle="--", label="shortcut (T1, T2, FLAIR)"))
    fig.legend(handles=handles, loc="lower center", ncol=4, fontsize=8, frameon=False)


def render_montage(root: str | Path, out_png: str | Path, rows: int = 4,
                   case_ids: Sequence[str] | None = None) -> Path:
    """Draw a montage of demo cases and save it as a PNG.

    Parameters
    ----------
    root
        A finished demo set (it has a marker file).
    out_png
        Where to write the PNG.
    rows
        Number of cases to show when ``case_ids`` is not given.
    case_ids
        Show exactly these cases, in this order.

    Returns
    -------
    Path
        ``out_png``.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # matplotlib is loaded only when a montage is drawn
    from matplotlib.figure import Figure

    root = Path(root)
    marker = read_marker(root)
    if marker is None or marker.get("complete") is not True:
        raise DemoDataError("not a finished demo data set (no final marker file)", root)
    layout = Release(marker["config"]["layout"])
    records = marker["cases"]
    chosen = ([r for i in case_ids for r in records if r["id"] == i] if case_ids
              else pick_rows(records, rows))
    fig = Figure(figsize=(2.3 * len(MODALITIES), 2.4 * len(chosen) + 0.6), dpi=110)
    FigureCanvasAgg(fig)
    grid = fig.subplots(len(chosen), len(MODALITIES), squeeze=False)
    for axes, record in zip(grid, chosen):
        images, seg = _load_case(root, layout, record)
        _draw_row(axes, images, seg, record)
    _annotate(fig, grid[0])
    fig.subplots_adjust(left=0.1, right=0.99, top=0.96, bottom=0.6 / fig.get_figheight(),
                        wspace=0.03, hspace=0.08)
    out = Path(out_png)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out)
    return out
