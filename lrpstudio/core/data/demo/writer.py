"""Writing demo cases the way a BraTS release ships them.

Names, folders, modality suffixes and label values all come from
:mod:`lrpstudio.core.data.layouts`, the same rules discovery reads with:

- ``brats2019``: ``HGG/Brats19_DEMO_001_1/Brats19_DEMO_001_1_t1.nii.gz`` (grade = folder);
- ``brats2020``: ``BraTS20_Training_001/...`` plus ``name_mapping.csv`` (column ``Grade``);
- ``brats2021``: ``BraTS2021_00001/...`` plus ``grades.csv`` (``case,grade``);
- ``brats2023``: ``BraTS-GLI-00001-000/BraTS-GLI-00001-000-t2f.nii.gz`` plus ``grades.csv``.

Volumes are gzipped NIfTI-1 at deflate level 1 with the run-length strategy (the slow
part of making demo data is compression: this is about 3x faster than gzip level 6, and
the files are no larger), with no gzip timestamp, so the same seed gives byte-identical
files. Every file is written atomically.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import zlib
from functools import partial
from pathlib import Path
from typing import Any, BinaryIO, Mapping, Sequence

import nibabel as nib
import numpy as np

from lrpstudio.core.atomic import atomic_write, atomic_write_text
from lrpstudio.core.data.layouts import (
    CASE_NAME_PATTERNS, LABEL_CONVENTIONS, MODALITIES, Release, case_file_name,
)
from lrpstudio.core.errors import DemoDataError

#: The layouts the demo generator writes.
DEMO_LAYOUTS: tuple[Release, ...] = (
    Release.BRATS2020, Release.BRATS2019, Release.BRATS2021, Release.BRATS2023)
#: File at the root of a finished demo set (written last: its presence means "complete").
MARKER_FILE = "lrpstudio-demo.json"
#: ``generator`` value inside the marker file.
GENERATOR = "lrpstudio demo-data"
#: Revision of the synthetic design (anatomy, tumours, shortcut). Raise it whenever the
#: same config and seed would give different cases: the built-in set then moves to a new
#: folder (:func:`lrpstudio.core.paths.demo_data_dir`) and is made afresh. 2: tumour size
#: independent of the grade, core = what the grade's oedema leaves.
DESIGN = 2
#: Grade tables per layout (2019 has none: the HGG/ and LGG/ folders say it).
GRADE_TABLES: Mapping[Release, str] = {
    Release.BRATS2020: "name_mapping.csv",
    Release.BRATS2021: "grades.csv",
    Release.BRATS2023: "grades.csv",
}
_NAME_MAPPING_HEADER = ("Grade", "BraTS_2017_subject_ID", "BraTS_2018_subject_ID",
                        "TCGA_TCIA_subject_ID", "BraTS_2019_subject_ID", "BraTS_2020_subject_ID")


def brats_affine(shape: Sequence[int]) -> np.ndarray:
    """The voxel-to-RAS affine BraTS files carry: 1 mm, x and y flipped (LPS order on disk).

    For the BraTS grid (240, 240, 155) this is
    ``[[-1, 0, 0, 0], [0, -1, 0, 239], [0, 0, 1, 0], [0, 0, 0, 1]]``.
    """
    affine = np.diag([-1.0, -1.0, 1.0, 1.0])
    affine[1, 3] = float(shape[1] - 1)
    return affine


def demo_case_id(layout: Release, index: int) -> str:
    """Folder name of demo case ``index`` (1-based) in ``layout``'s style."""
    names = {
        Release.BRATS2019: f"Brats19_DEMO_{index:03d}_1",
        Release.BRATS2020: f"BraTS20_Training_{index:03d}",
        Release.BRATS2021: f"BraTS2021_{index:05d}",
        Release.BRATS2023: f"BraTS-GLI-{index:05d}-000",
    }
    if layout not in names:
        raise DemoDataError("demo data cannot be written in this layout",
                            expected=[r.value for r in DEMO_LAYOUTS], actual=layout.value)
    return names[layout]


def case_folder(root: Path, layout: Release, case_id: str, grade: str) -> Path:
    """Where a case lives: ``root/<grade>/<id>`` for 2018/2019, ``root/<id>`` otherwise."""
    return root / grade / case_id if layout is Release.BRATS2019 else root / case_id


def to_release_labels(seg: np.ndarray, layout: Release) -> np.ndarray:
    """Canonical labels (0-3) -> the release's values (enhancing 4 for 2017-2021)."""
    mapping = LABEL_CONVENTIONS[layout].mapping
    lut = np.zeros(4, np.uint8)
    for value, canonical in mapping.items():
        if value == 0 or canonical != 0:
            lut[canonical] = value
    return lut[seg]


def nifti_gz_bytes(array: np.ndarray, affine: np.ndarray) -> bytes:
    """A gzipped NIfTI-1 file of ``array`` (dtype kept), sform and qform code 1 (scanner)."""
    image = nib.Nifti1Image(array, affine)
    header = image.header
    header.set_data_dtype(array.dtype)
    header.set_xyzt_units("mm", "sec")
    image.set_sform(affine, code=1)
    image.set_qform(affine, code=1)
    # The data are integers already: nibabel writes them unscaled. Deflate level 1 with
    # the run-length strategy: 30 % faster than plain level 1 here, and smaller (the zero
    # background is long runs); zlib's gzip header has no timestamp, so bytes are stable.
    packer = zlib.compressobj(1, zlib.DEFLATED, 16 + zlib.MAX_WBITS, 8, zlib.Z_RLE)
    return packer.compress(image.to_bytes()) + packer.flush()


def write_case_files(root: Path, layout: Release, case_id: str, grade: str,
                     images: Mapping[str, np.ndarray], seg: np.ndarray) -> Path:
    """Write one case's four modalities (int16) and seg (uint8, release labels); return its folder."""
    folder = case_folder(root, layout, case_id, grade)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        affine = brats_affine(seg.shape)
        volumes = {**{m: images[m].astype(np.int16, copy=False) for m in MODALITIES},
                   "seg": to_release_labels(seg, layout)}
        for kind, volume in volumes.items():
            data = nifti_gz_bytes(volume, affine)
            atomic_write(folder / case_file_name(layout, case_id, kind), partial(_write_bytes, data))
    except OSError as error:
        raise DemoDataError(f"cannot write the case: {error.strerror or error}", folder) from error
    return folder


def write_grade_table(root: Path, layout: Release, records: Sequence[Mapping[str, Any]]) -> Path | None:
    """Record the grades the release's way: ``name_mapping.csv`` (2020) or ``grades.csv``."""
    name = GRADE_TABLES.get(layout)
    if name is None:
        return None
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    if layout is Release.BRATS2020:
        writer.writerow(_NAME_MAPPING_HEADER)
        writer.writerows([r["grade"], "NA", "NA", "NA", "NA", r["id"]] for r in records)
    else:
        writer.writerow(("case", "grade"))
        writer.writerows([r["id"], r["grade"]] for r in records)
    return atomic_write_text(root / name, out.getvalue())


def write_marker(root: Path, config: Mapping[str, Any], records: Sequence[Mapping[str, Any]],
                 complete: bool = True) -> Path:
    """Write the marker file: config and per-case facts.

    Generation writes it twice: first with ``complete=False`` and the planned cases
    (so an interrupted set can be recognised and cleaned up), last with everything.
    """
    body = {"generator": GENERATOR, "format": 1, "design": DESIGN, "complete": complete,
            "config": dict(config),
            "cases": list(records)}
    return atomic_write_text(root / MARKER_FILE, json.dumps(body, indent=1, sort_keys=True) + "\n")


def read_marker(root: str | Path) -> dict[str, Any] | None:
    """The marker of a demo set at ``root`` (complete or not), or None when there is none."""
    path = Path(root) / MARKER_FILE
    try:
        body = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return body if isinstance(body, dict) and body.get("generator") == GENERATOR else None


def is_demo_set(root: str | Path) -> bool:
    """True when ``root`` holds a finished demo set (its final marker file is there)."""
    marker = read_marker(root)
    return marker is not None and marker.get("complete") is True


def remove_demo_set(root: str | Path) -> None:
    """Delete what a previous (possibly interrupted) demo set at ``root`` wrote, and nothing else.

    Only the case folders listed in its marker (and named like demo cases), its grade
    table, the then-empty ``HGG``/``LGG`` folders and the marker itself are removed.
    """
    root = Path(root)
    marker = read_marker(root)
    if marker is None:
        raise DemoDataError("not a demo data set (no valid marker file)", root / MARKER_FILE)
    layout = Release(marker.get("config", {}).get("layout", Release.BRATS2020.value))
    pattern = CASE_NAME_PATTERNS[layout]
    for record in marker.get("cases", []):
        folder = (root / str(record.get("folder", ""))).resolve()
        inside = root.resolve() in folder.parents
        if inside and re.match(pattern, folder.name) and folder.is_dir():
            shutil.rmtree(folder)
    table = GRADE_TABLES.get(layout)
    if table:
        (root / table).unlink(missing_ok=True)
    for grade in ("HGG", "LGG"):
        sub = root / grade
        if sub.is_dir() and not any(sub.iterdir()):
            sub.rmdir()
    (root / MARKER_FILE).unlink(missing_ok=True)


def _write_bytes(data: bytes, handle: BinaryIO) -> None:
    handle.write(data)
