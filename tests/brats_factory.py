"""Write small BraTS-like cases for tests (a helper module, not a test module).

Every function writes real files that the real readers open: NIfTI through nibabel,
``.nrrd`` / ``.mha`` / ``.mhd`` through SimpleITK. The default volume is 32x32x16
voxels: an ellipsoid "brain" of positive int16 intensities on a zero background (BraTS
is skull-stripped), and a spherical tumour inside it labelled with the release's own
values (2017-2021: 1, 2, 4; 2023: 1, 2, 3; 2024: 1, 2, 3 plus a small resection cavity
labelled 4 next to the tumour).

Stable entry points (other test packages import them):

- :func:`write_case` — one case folder in a release's layout, its grade recorded the
  release's way (HGG/ LGG/ folders, ``name_mapping.csv``, or ``grades.csv``).
- :func:`write_dataset` — ``n_hgg`` + ``n_lgg`` cases.
- :func:`write_broken_case` — a case with one defect from :data:`DEFECTS`.
- :func:`default_case_id`, :func:`case_files`, :func:`make_volumes`.

Examples
--------
>>> from lrpstudio.core.data.layouts import Release
>>> folder = write_case(tmp_path, Release.BRATS2021, "BraTS2021_00001", grade="HGG")
>>> root = write_dataset(tmp_path / "data", Release.BRATS2019, n_hgg=2, n_lgg=1)
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Sequence

import nibabel as nib
import numpy as np

from lrpstudio.core.data.layouts import MODALITIES, Release, case_file_name

#: Defects :func:`write_broken_case` can put into a case.
DEFECTS: tuple[str, ...] = (
    "truncated_gz",     # the flair .nii.gz cut in half
    "empty_file",       # the t1 file has 0 bytes
    "text_file",        # the t2 file is plain text named .nii.gz
    "nan",              # the t1ce volume holds NaN and inf
    "4d",               # the flair volume has 2 volumes on a 4th axis
    "4d_singleton",     # the flair volume has a singleton 4th axis (valid: squeezed)
    "shape_mismatch",   # the t2 volume is one slice shorter
    "affine_mismatch",  # the t1 affine is shifted by 2.5 mm along x
    "fractional_seg",   # the seg is float with values like 1.5
    "unknown_label",    # the seg contains label 7
    "missing_modality",  # no t1ce file
    "missing_seg",      # no seg file (valid for review of images only)
    "empty_tumour",     # the seg is all zeros
)

#: An affine like BraTS files have: 1 mm voxels, x and y flipped (LPS-stored RAS).
DEFAULT_AFFINE = np.array(
    [[-1.0, 0.0, 0.0, 0.0], [0.0, -1.0, 0.0, 239.0], [0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0]]
)

# Mean intensity of (brain, tumour core, oedema) per modality: the tumour is darker
# in t1, enhances in t1ce (HGG only) and is bright in t2 / flair, as in real scans.
_INTENSITY = {
    "t1": (400, 250, 330), "t1ce": (420, 900, 450), "t2": (300, 700, 800), "flair": (350, 650, 900),
}


def default_case_id(release: Release, index: int, grade: str | None = None) -> str:
    """A case folder name in the style of ``release``.

    Parameters
    ----------
    release
        The layout.
    index
        A running number, unique within a data set.
    grade
        Used by the 2018/2019 names only (``BraTS19_TCIA01_...`` vs ``BraTS19_TCIA10_...``).
    """
    if release is Release.BRATS2019:
        site = "TCIA01" if grade != "LGG" else "TCIA10"
        return f"BraTS19_{site}_{index:03d}_1"
    if release is Release.BRATS2020:
        return f"BraTS20_Training_{index:03d}"
    if release is Release.BRATS2021:
        return f"BraTS2021_{index:05d}"
    if release in (Release.BRATS2023, Release.BRATS2024):
        return f"BraTS-GLI-{index:05d}-000"
    raise ValueError(f"no case naming for {release}")


def _ellipsoid(shape: Sequence[int], centre: Sequence[float], radii: Sequence[float]) -> np.ndarray:
    grids = np.meshgrid(*[np.arange(n, dtype=np.float64) for n in shape], indexing="ij")
    dist = sum(((g - c) / r) ** 2 for g, c, r in zip(grids, centre, radii))
    return dist <= 1.0


def _tumour_labels(release: Release, grade: str | None) -> tuple[int, int, int]:
    """(core, oedema, enhancing) values of the release; LGG has no enhancing ring."""
    enhancing = 4 if release in (Release.BRATS2019, Release.BRATS2020, Release.BRATS2021) else 3
    if grade == "LGG":
        return 1, 2, 1
    return 1, 2, enhancing


def make_volumes(
    release: Release,
    *,
    grade: str | None = None,
    shape: Sequence[int] = (32, 32, 16),
    seed: int = 0,
    tumour: bool = True,
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """The arrays of one case: ``({t1, t1ce, t2, flair: int16}, seg uint8 in release labels)``."""
    rng = np.random.default_rng(seed)
    shape = tuple(int(n) for n in shape)
    centre = np.array(shape, dtype=float) / 2 - 0.5
    brain = _ellipsoid(shape, centre, np.array(shape) * 0.42)
    seg = np.zeros(shape, np.uint8)
    if tumour:
        offset = rng.uniform(-0.12, 0.12, size=3) * np.array(shape)
        t_centre = centre + offset
        radius = max(2.0, min(shape) * 0.22)
        whole = _ellipsoid(shape, t_centre, [radius] * 3) & brain
        core = _ellipsoid(shape, t_centre, [radius * 0.6] * 3) & brain
        inner = _ellipsoid(shape, t_centre, [radius * 0.3] * 3) & brain
        core_v, oedema_v, enh_v = _tumour_labels(release, grade)
        seg[whole] = oedema_v
        seg[core] = enh_v
        seg[inner] = core_v
        if release is Release.BRATS2024:
            cavity = _ellipsoid(shape, centre - offset, [max(1.5, radius * 0.4)] * 3) & brain & ~whole
            seg[cavity] = 4
    images: dict[str, np.ndarray] = {}
    tumour_core = np.isin(seg, (1, 3, 4)) if release is not Release.BRATS2024 else np.isin(seg, (1, 3))
    oedema = seg == 2
    for name in MODALITIES:
        base, core_mean, oedema_mean = _INTENSITY[name]
        if name == "t1ce" and grade == "LGG":
            core_mean = 380  # no contrast enhancement in low-grade glioma
        mean = np.where(tumour_core, core_mean, np.where(oedema, oedema_mean, base))
        noisy = mean + rng.normal(0.0, 25.0, size=shape)
        # Keep the brain strictly positive: "brain = any modality > 0" must hold.
        vol = np.where(brain | (seg > 0), np.clip(noisy, 1, 30000), 0)
        images[name] = vol.astype(np.int16)
    return images, seg


def save_volume(path: Path, array: np.ndarray, affine: np.ndarray = DEFAULT_AFFINE) -> Path:
    """Write ``array`` (x, y, z[, t]) to ``path``; the extension picks NIfTI or SimpleITK."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    lower = path.name.lower()
    if lower.endswith((".nii", ".nii.gz")):
        img = nib.Nifti1Image(array, affine)
        img.set_sform(affine, code=1)
        img.set_qform(affine, code=1)
        img.header.set_data_dtype(array.dtype)
        nib.save(img, str(path))
        return path
    return _save_itk(path, array, affine)


def _save_itk(path: Path, array: np.ndarray, affine: np.ndarray) -> Path:
    """Write through SimpleITK: RAS affine -> LPS origin/spacing/direction, x,y,z -> z,y,x."""
    import SimpleITK as sitk

    lps = np.diag([-1.0, -1.0, 1.0]) @ np.asarray(affine, float)[:3, :]
    spacing = np.linalg.norm(lps[:, :3], axis=0)
    direction = lps[:, :3] / spacing
    extra = array.ndim - 3  # a 4th axis (4-D test files) gets unit spacing
    image = sitk.GetImageFromArray(
        np.ascontiguousarray(np.transpose(array, range(array.ndim)[::-1])), isVector=False)
    full_direction = np.eye(array.ndim)
    full_direction[:3, :3] = direction
    image.SetSpacing([float(s) for s in spacing] + [1.0] * extra)
    image.SetOrigin([float(o) for o in lps[:, 3]] + [0.0] * extra)
    image.SetDirection([float(d) for d in full_direction.ravel()])
    sitk.WriteImage(image, str(path))
    return path


def case_files(release: Release, folder: Path, ext: str = ".nii.gz") -> dict[str, Path]:
    """Where :func:`write_case` puts each file of the case in ``folder`` (t1..flair, seg)."""
    folder = Path(folder)
    return {kind: folder / case_file_name(release, folder.name, kind, ext)
            for kind in (*MODALITIES, "seg")}


def _case_folder(root: Path, release: Release, case_id: str, grade: str | None) -> Path:
    if release is Release.BRATS2019 and grade in ("HGG", "LGG"):
        return root / grade / case_id
    return root / case_id


def _append_row(table: Path, header: Sequence[str], row: Sequence[str]) -> None:
    new = not table.exists()
    with table.open("a", newline="") as handle:
        writer = csv.writer(handle)
        if new:
            writer.writerow(header)
        writer.writerow(row)


def record_grade(root: Path, release: Release, case_id: str, grade: str) -> None:
    """Record a grade the release's way (2019: nothing, the folder says it)."""
    if release is Release.BRATS2019:
        return
    if release is Release.BRATS2020:
        header = ["Grade", "BraTS_2017_subject_ID", "BraTS_2018_subject_ID",
                  "TCGA_TCIA_subject_ID", "BraTS_2019_subject_ID", "BraTS_2020_subject_ID"]
        _append_row(root / "name_mapping.csv", header, [grade, "NA", "NA", "NA", "NA", case_id])
        return
    _append_row(root / "grades.csv", ["case", "grade"], [case_id, grade])


def write_case(
    root: Path,
    release: Release,
    case_id: str,
    *,
    grade: str | None = None,
    shape: Sequence[int] = (32, 32, 16),
    seed: int = 0,
    tumour: bool = True,
    ext: str = ".nii.gz",
    affine: np.ndarray | None = None,
    seg: bool = True,
) -> Path:
    """Write one case in ``release``'s layout under ``root``; return its folder.

    Parameters
    ----------
    root
        The data root (created if needed).
    release
        The layout and label convention.
    case_id
        The case folder name (see :func:`default_case_id`).
    grade
        ``"HGG"``, ``"LGG"`` or None (unlabelled). 2018/2019 put the case under
        ``root/HGG`` or ``root/LGG``; 2020 appends to ``root/name_mapping.csv``; 2021
        and later append to ``root/grades.csv``.
    shape, seed, tumour
        Volume size, random seed, and whether the seg holds a tumour (False: all zero).
    ext
        ``.nii.gz``, ``.nii``, ``.nrrd``, ``.mha`` or ``.mhd``.
    affine
        Voxel-to-RAS affine of every file (default :data:`DEFAULT_AFFINE`).
    seg
        Write the segmentation file.
    """
    root = Path(root)
    folder = _case_folder(root, release, case_id, grade)
    folder.mkdir(parents=True, exist_ok=True)
    images, labels = make_volumes(release, grade=grade, shape=shape, seed=seed, tumour=tumour)
    affine = DEFAULT_AFFINE if affine is None else np.asarray(affine, float)
    files = case_files(release, folder, ext)
    for name in MODALITIES:
        save_volume(files[name], images[name], affine)
    if seg:
        save_volume(files["seg"], labels, affine)
    if grade is not None:
        record_grade(root, release, case_id, grade)
    return folder


def write_dataset(root: Path, release: Release, n_hgg: int, n_lgg: int, **kw: object) -> Path:
    """Write ``n_hgg`` HGG then ``n_lgg`` LGG cases (ids 1, 2, ...); return ``root``.

    Keyword arguments go to :func:`write_case` (``seed`` is offset per case so the
    cases differ).
    """
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    seed = int(kw.pop("seed", 0))  # type: ignore[arg-type]
    grades = ["HGG"] * n_hgg + ["LGG"] * n_lgg
    for index, grade in enumerate(grades, start=1):
        case_id = default_case_id(release, index, grade)
        write_case(root, release, case_id, grade=grade, seed=seed + index, **kw)  # type: ignore[arg-type]
    return root


def write_broken_case(
    root: Path, release: Release, case_id: str, defect: str, **kw: object
) -> tuple[Path, Path | None]:
    """Write a case with one defect; return ``(case folder, the file that is broken)``.

    ``defect`` is one of :data:`DEFECTS`. The returned file is the one a reader should
    name in its problem (None for ``missing_modality`` / ``missing_seg``: the file that
    is absent is returned instead, and it does not exist).
    """
    if defect not in DEFECTS:
        raise ValueError(f"unknown defect {defect!r}; one of {DEFECTS}")
    ext = str(kw.get("ext", ".nii.gz"))
    if defect == "empty_tumour":
        kw["tumour"] = False
    folder = write_case(root, release, case_id, **kw)  # type: ignore[arg-type]
    files = case_files(release, folder, ext)
    return folder, _apply_defect(defect, files)


def _apply_defect(defect: str, files: dict[str, Path]) -> Path | None:
    """Damage the already written files of a case."""
    if defect == "truncated_gz":
        data = files["flair"].read_bytes()
        files["flair"].write_bytes(data[: len(data) // 2])
        return files["flair"]
    if defect == "empty_file":
        files["t1"].write_bytes(b"")
        return files["t1"]
    if defect == "text_file":
        files["t2"].write_text("this is not an image\n")
        return files["t2"]
    if defect in ("missing_modality", "missing_seg"):
        kind = "t1ce" if defect == "missing_modality" else "seg"
        files[kind].unlink()
        return files[kind]
    if defect == "empty_tumour":
        return files["seg"]
    return _rewrite_defect(defect, files)


def _rewrite_defect(defect: str, files: dict[str, Path]) -> Path:
    """Defects made by reading a file back, changing the array and writing it again."""
    kind = {"nan": "t1ce", "4d": "flair", "4d_singleton": "flair", "shape_mismatch": "t2",
            "affine_mismatch": "t1", "fractional_seg": "seg", "unknown_label": "seg"}[defect]
    path = files[kind]
    array, affine = read_back(path)
    if defect == "nan":
        array = array.astype(np.float32)
        array[1, 1, 1] = np.nan
        array[2, 2, 2] = np.inf
    elif defect == "4d":
        array = np.stack([array, array], axis=-1)
    elif defect == "4d_singleton":
        array = array[..., np.newaxis]
    elif defect == "shape_mismatch":
        array = np.ascontiguousarray(array[:, :, :-1])
    elif defect == "affine_mismatch":
        affine = affine.copy()
        affine[0, 3] += 2.5
    elif defect == "fractional_seg":
        array = array.astype(np.float32)
        array[array > 0] += 0.5
    elif defect == "unknown_label":
        array = array.copy()
        array[0, 0, 0] = 7
    path.unlink()
    save_volume(path, array, affine)
    return path


def read_back(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Array (x, y, z) and RAS affine of a file the factory wrote (an independent reader)."""
    lower = Path(path).name.lower()
    if lower.endswith((".nii", ".nii.gz")):
        img = nib.load(str(path))
        return np.asanyarray(img.dataobj), img.affine.copy()
    import SimpleITK as sitk

    image = sitk.ReadImage(str(path))
    array = np.transpose(sitk.GetArrayFromImage(image), (2, 1, 0))
    spacing = np.array(image.GetSpacing())
    direction = np.array(image.GetDirection()).reshape(3, 3)
    lps = np.eye(4)
    lps[:3, :3] = direction * spacing
    lps[:3, 3] = image.GetOrigin()
    return array, np.diag([-1.0, -1.0, 1.0, 1.0]) @ lps
