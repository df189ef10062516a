"""Workspace writes stay inside the workspace, survive a killed save, and serialise concurrent ones."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest

from lrpstudio.core.data.loading import load_case
from lrpstudio.core.data.corrections import save_correction
from lrpstudio.core.data.layouts import Release
from lrpstudio.core.data.workspace import default_workspace, open_workspace
from lrpstudio.core.errors import StorageError, WorkspacePathError
from tests.brats_factory import write_case
from tests.os_faults import kill_when_ready, python_child, run_on_small_disk

CASE = "BraTS2021_00001"


@pytest.fixture
def data(tmp_path: Path) -> Path:
    write_case(tmp_path / "data", Release.BRATS2021, CASE)
    return tmp_path / "data"


def _outside(tmp_path: Path) -> Path:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    return outside


def _everything(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def test_a_corrections_folder_linked_out_of_the_workspace_is_refused(data: Path, tmp_path: Path) -> None:
    outside = _outside(tmp_path)
    (data / ".lrpstudio").mkdir()
    (data / ".lrpstudio" / "corrections").symlink_to(outside, target_is_directory=True)
    case = load_case(data / CASE)
    with pytest.raises(WorkspacePathError) as info:
        save_correction(case, case.seg, default_workspace(data))
    assert "outside the workspace" in str(info.value) and "\n" not in str(info.value)
    assert _everything(outside) == []


def test_a_case_folder_linked_out_of_the_workspace_is_refused(data: Path, tmp_path: Path) -> None:
    outside = _outside(tmp_path)
    corrections = data / ".lrpstudio" / "corrections"
    corrections.mkdir(parents=True)
    (corrections / CASE).symlink_to(outside, target_is_directory=True)
    case = load_case(data / CASE)
    with pytest.raises(WorkspacePathError):
        save_correction(case, case.seg, default_workspace(data))
    assert _everything(outside) == []


def test_a_workspace_linked_out_of_the_data_folder_is_refused(data: Path, tmp_path: Path) -> None:
    outside = _outside(tmp_path)
    (data / ".lrpstudio").symlink_to(outside, target_is_directory=True)
    with pytest.raises(WorkspacePathError, match="symbolic link out of the data folder"):
        default_workspace(data)
    assert _everything(outside) == []  # not even the writability probe


def test_a_link_that_stays_inside_the_workspace_is_followed(data: Path, tmp_path: Path) -> None:
    ws = open_workspace(tmp_path / "ws")
    (ws.root / "elsewhere-inside").mkdir()
    ws.corrections_dir.mkdir()
    (ws.corrections_dir / CASE).symlink_to(ws.root / "elsewhere-inside", target_is_directory=True)
    case = load_case(data / CASE)
    path = save_correction(case, case.seg, ws)
    assert (ws.root / "elsewhere-inside" / path.name).is_file()


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _assert_whole(ws_root: Path) -> np.ndarray:
    """The saved correction reads back, its sidecar describes it, no temporary is left."""
    folder = ws_root / "corrections" / CASE
    target = folder / f"{CASE}_seg.nii.gz"
    voxels = np.asanyarray(nib.load(str(target)).dataobj)
    sidecar = json.loads((folder / f"{CASE}_seg.json").read_text())
    assert sidecar["correction_sha256"] == _sha(target)
    assert [p.name for p in folder.iterdir() if p.name.endswith(".tmp")] == []
    return voxels


_SAVE_LOOP = """
import pathlib, sys, time
import numpy as np
from lrpstudio.core.data.loading import load_case
from lrpstudio.core.data.corrections import save_correction
case = load_case({case!r})
seg = case.seg.copy()
seg[seg > 0] = {label}
go = pathlib.Path({go!r})
while not go.exists():
    time.sleep(0.005)
for _ in range(12):
    save_correction(case, seg, {ws!r})
"""


def test_two_processes_saving_one_case_at_once_both_succeed(data: Path, tmp_path: Path) -> None:
    ws, go = tmp_path / "ws", tmp_path / "go"
    open_workspace(ws)
    children = [python_child(_SAVE_LOOP.format(case=str(data / CASE), label=label, go=str(go), ws=str(ws)))
                for label in (1, 2)]
    go.touch()
    for child in children:
        _, err = child.communicate(timeout=300)
        assert child.returncode == 0, err  # never "differs from the mask saved"
    voxels = _assert_whole(ws)
    assert set(np.unique(voxels)) - {0} in ({1}, {2})  # one whole save, not a mix


def test_a_save_killed_mid_write_keeps_the_previous_correction(data: Path, tmp_path: Path) -> None:
    ws, marker = open_workspace(tmp_path / "ws"), tmp_path / "writing"
    case = load_case(data / CASE)
    save_correction(case, case.seg, ws)
    before = _sha(ws.correction_path(CASE))
    child = python_child(
        "import pathlib, time\nimport lrpstudio.core.data.corrections as c\n"
        "from lrpstudio.core.data.loading import load_case\n"
        "plain = c.atomic_write\n"
        "def stall(target, write):\n"
        "    def half(handle):\n"
        "        handle.write(b'\\x1f\\x8b partial'); handle.flush()\n"
        f"        pathlib.Path({str(marker)!r}).touch(); time.sleep(600)\n"
        "    return plain(target, half)\n"
        "c.atomic_write = stall\n"
        f"case = load_case({str(data / CASE)!r})\n"
        f"c.save_correction(case, case.seg * 0, {str(ws.root)!r})\n")
    kill_when_ready(child, marker)  # killed holding the case's lock, mid-write
    assert _sha(ws.correction_path(CASE)) == before
    edited = case.seg.copy()
    edited[edited == 2] = 0
    save_correction(case, edited, ws)  # the lock died with the child; the temporary goes
    assert np.array_equal(load_case(data / CASE, workspace=ws).seg, edited)
    _assert_whole(ws.root)


def test_a_case_id_whose_temporary_name_passes_255_bytes_saves(tmp_path: Path) -> None:
    case_id = "B" * (255 - len("_flair.nii.gz"))  # the longest id BraTS file names allow
    write_case(tmp_path / "data", Release.BRATS2021, case_id)
    case = load_case(tmp_path / "data" / case_id)
    path = save_correction(case, case.seg, tmp_path / "ws")
    assert len(path.name.encode()) == 253 and path.is_file()


def test_read_only_data_and_workspace_home_are_one_line(tmp_path: Path) -> None:
    disk = tmp_path / "disk"
    setup = ("from lrpstudio.core.data.layouts import Release\nfrom tests.brats_factory import write_case\n"
             f"write_case({str(disk / 'data')!r}, Release.BRATS2021, {CASE!r})\n")
    code = ("import os, sys\n"
            f"os.environ['LRPSTUDIO_HOME'] = {str(disk / 'home')!r}\n"
            "from lrpstudio.cli.main import main\n"
            f"sys.exit(main(['prepare', {str(disk / 'data')!r}, '--out', {str(disk / 'ds')!r}]))\n")
    done = run_on_small_disk(disk, code, kib=4096, setup=setup, readonly=True)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr
    assert "read-only" in lines[0].lower() and str(disk) in lines[0]


def test_storage_error_is_still_an_os_error() -> None:
    import errno

    error = StorageError("cannot write: permission denied", "/x", code=errno.EACCES)
    assert isinstance(error, OSError) and error.errno == errno.EACCES and os.fspath("/x") in str(error)
