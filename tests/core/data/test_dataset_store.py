"""The prepared dataset as one unit: verified against its manifest, swapped in whole, and
recovered after a writer is killed at any point."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest

from lrpstudio.core.data.dataset_store import ARRAYS_KEY, settle
from lrpstudio.core.data.layouts import Release
from lrpstudio.core.data.prepare import PrepareConfig, prepare_dataset
from lrpstudio.core.data.slice_dataset import ARRAYS_FILE, MANIFEST_FILE, load_dataset, save_dataset
from lrpstudio.core.errors import DatasetError
from lrpstudio.core.train.session import dataset_fingerprint
from tests.brats_factory import write_dataset
from tests.core.train.factory import tiny_dataset
from tests.os_faults import kill_when_ready, python_child


def _siblings(folder: Path) -> list[str]:
    """Whatever else a write left beside the dataset folder (its lock file is expected)."""
    return sorted(p.name for p in folder.parent.iterdir()
                  if p.name != folder.name and not p.name.endswith(".lock"))


def test_arrays_from_another_build_are_refused_by_name(tmp_path: Path) -> None:
    a = save_dataset(tiny_dataset(n_cases=6, slices_per_case=2, size=32, seed=1), tmp_path / "a")
    b = save_dataset(tiny_dataset(n_cases=6, slices_per_case=2, size=32, seed=2), tmp_path / "b")
    shutil.copyfile(b / ARRAYS_FILE, a / ARRAYS_FILE)  # a crash or a copy between the two files
    with pytest.raises(DatasetError) as info:
        load_dataset(a)
    message = str(info.value)
    assert message.startswith(str(a / ARRAYS_FILE)) and "not the ones the manifest records" in message
    assert "\n" not in message


def test_a_manifest_that_records_no_arrays_is_refused(tmp_path: Path) -> None:
    folder = save_dataset(tiny_dataset(n_cases=6, slices_per_case=1, size=32), tmp_path / "ds")
    manifest = json.loads((folder / MANIFEST_FILE).read_text())
    del manifest[ARRAYS_KEY]
    (folder / MANIFEST_FILE).write_text(json.dumps(manifest))
    with pytest.raises(DatasetError, match="does not record its arrays"):
        load_dataset(folder)


def test_damaged_array_bytes_are_found_while_reading(tmp_path: Path) -> None:
    folder = save_dataset(tiny_dataset(n_cases=6, slices_per_case=2, size=32), tmp_path / "ds")
    with zipfile.ZipFile(folder / ARRAYS_FILE) as archive:
        info = archive.getinfo("images.npy")
    data = bytearray((folder / ARRAYS_FILE).read_bytes())
    data[info.header_offset + 30 + len(info.filename) + 5000] ^= 0xFF  # inside the images
    (folder / ARRAYS_FILE).write_bytes(bytes(data))  # same size, same directory
    with pytest.raises(DatasetError, match="CRC"):
        load_dataset(folder)


def test_the_loaded_manifest_is_the_one_saved(tmp_path: Path) -> None:
    dataset = tiny_dataset(n_cases=6, slices_per_case=1, size=32)
    loaded = load_dataset(save_dataset(dataset, tmp_path / "ds"))
    assert loaded.manifest == dataset.manifest and dataset_fingerprint(loaded) == dataset_fingerprint(dataset)


def test_a_folder_with_other_files_is_never_replaced(tmp_path: Path) -> None:
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    with pytest.raises(DatasetError, match="not a dataset's"):
        save_dataset(tiny_dataset(n_cases=6, slices_per_case=1, size=32), tmp_path / "mine")
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep me"


@pytest.fixture(scope="module")
def brats(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_dataset(tmp_path_factory.mktemp("store") / "data", Release.BRATS2019, 2, 2,
                         shape=(32, 32, 16))


def _prepare_child(data: Path, out: Path, marker: Path, stall: str) -> str:
    """Child code: prepare ``data`` into ``out`` with ``stall`` patched in, marking ``marker``."""
    return ("import os, pathlib, time, numpy\n"
            f"marker = pathlib.Path({str(marker)!r})\n{stall}\n"
            "from lrpstudio.core.data.prepare import PrepareConfig, prepare_dataset\n"
            f"prepare_dataset({str(data)!r}, {str(out)!r}, PrepareConfig(image_size=32), jobs=1)\n")


_STALL_IN_ARRAYS = ("plain = numpy.savez\n"
                    "def savez(handle, **arrays):\n"
                    "    handle.write(b'PK half an archive'); handle.flush()\n"
                    "    marker.touch(); time.sleep(600)\n"
                    "numpy.savez = savez\n")


def test_a_first_build_killed_mid_write_is_cleaned_up_and_redone(brats: Path, tmp_path: Path) -> None:
    out = tmp_path / "ds"
    kill_when_ready(python_child(_prepare_child(brats, out, tmp_path / "m", _STALL_IN_ARRAYS)),
                    tmp_path / "m")
    assert not out.exists() and any(name.endswith(".new") for name in _siblings(out))
    dataset = prepare_dataset(brats, out, PrepareConfig(image_size=32), jobs=1)  # not refused
    assert len(dataset) > 0 and _siblings(out) == ["m"]
    assert dataset_fingerprint(load_dataset(out)) == dataset_fingerprint(dataset)


def test_a_rebuild_killed_mid_write_keeps_the_previous_dataset(brats: Path, tmp_path: Path) -> None:
    out = tmp_path / "ds"
    before = prepare_dataset(brats, out, PrepareConfig(image_size=32, seed=5), jobs=1)  # the child
    # prepares with another seed, so it writes new arrays
    kill_when_ready(python_child(_prepare_child(brats, out, tmp_path / "m", _STALL_IN_ARRAYS)),
                    tmp_path / "m")
    assert np.array_equal(load_dataset(out).images, before.images) and _siblings(out) == ["m"]


_DIE_BETWEEN_RENAMES = ("plain_rename = os.rename\n"
                        "def rename(src, dst):\n"
                        "    plain_rename(src, dst)\n"
                        "    if str(src).endswith('.new'):\n"
                        "        return\n"
                        "    if str(dst).endswith('.old'):\n"
                        "        marker.touch(); time.sleep(600)\n"
                        "os.rename = rename\n")


def test_a_swap_killed_half_way_is_finished_by_the_next_reader(brats: Path, tmp_path: Path) -> None:
    out = tmp_path / "ds"
    prepare_dataset(brats, out, PrepareConfig(image_size=32, seed=5), jobs=1)
    kill_when_ready(python_child(_prepare_child(brats, out, tmp_path / "m", _DIE_BETWEEN_RENAMES)),
                    tmp_path / "m")
    assert not out.exists()  # the old one aside, the new one complete beside it
    loaded = load_dataset(out)  # rolls the complete new build forward
    assert loaded.manifest["parameters"]["seed"] == PrepareConfig().seed
    assert _siblings(out) == ["m"]


def test_an_incomplete_build_beside_a_set_aside_dataset_rolls_back(tmp_path: Path) -> None:
    out = save_dataset(tiny_dataset(n_cases=6, slices_per_case=1, size=32), tmp_path / "ds")
    aside = tmp_path / ".ds.123.abcd.old"
    out.rename(aside)
    (tmp_path / ".ds.123.ef01.new").mkdir()  # its manifest was never written
    settle(out)
    assert len(load_dataset(out)) == 6 and _siblings(out) == []
