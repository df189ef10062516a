"""One workspace rule for both front ends: a correction saved through the app is what
``lrpstudio train`` trains on, on the built-in demo set too (whose workspace lives outside
it, in the per-user folder)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from lrpstudio.app.data_source import load_for_editing, open_source
from lrpstudio.app.datasets import PrepareConfig, open_slices
from lrpstudio.app.workspace import resolve_data, workspace_for
from lrpstudio.cli.main import main
from lrpstudio.core.editing.brush import BrushSettings
from lrpstudio.core.data.demo import DemoConfig, generate_demo
from lrpstudio.core.data.layouts import Release
from lrpstudio.core.data.workspace import DEFAULT_NAME, fallback_workspace_dir
from lrpstudio.core.train.run_folder import RunFolder
from tests.brats_factory import write_case

QUICK = ["--size", "32", "--epochs", "1", "--batch-size", "16", "--pinned", "0", "--penalty", "0"]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("rule") / "demo"
    generate_demo(root, DemoConfig(cases=3, seed=5, shape=(48, 48, 32), workers=1))
    return root


def test_the_demo_set_keeps_its_workspace_outside_and_other_folders_inside(demo: Path,
                                                                             tmp_path: Path) -> None:
    assert workspace_for(demo).root == fallback_workspace_dir(demo)
    assert not (demo / DEFAULT_NAME).exists()
    data = tmp_path / "brats"
    write_case(data, Release.BRATS2020, "BraTS20_Training_001")
    assert workspace_for(data).root == data / DEFAULT_NAME
    explicit = workspace_for(data, tmp_path / "ws")
    assert explicit.root == tmp_path / "ws" and explicit.data_root == data.resolve()
    root, ws = resolve_data(tmp_path / "ws")  # a workspace stands for its data folder
    assert root == data.resolve() and ws.root == tmp_path / "ws"


def _erase_tumour(source, case_id: str) -> Path:
    """Erase every tumour voxel of one case's mask in an edit session and save it."""
    row = next(r for r in source.rows() if r.case_id == case_id)
    loaded = load_for_editing(source, row)
    session = loaded.session
    try:
        session.set_brush(BrushSettings(radius=40.0, shape="ball"))
        z = int(np.argmax((session.seg > 0).sum(axis=(0, 1))))
        session.erase((24, 24, z))
        assert session.dirty
        return source.save(session)
    finally:
        session.close()


def test_a_correction_saved_through_the_app_is_what_lrpstudio_train_uses(demo: Path,
                                                                          tmp_path: Path) -> None:
    source = open_source(demo)
    case_id = source.refs[0].id
    before = int((source.load(source.rows()[0]).seg > 0).sum())
    saved = _erase_tumour(source, case_id)
    assert saved == source.workspace.correction_path(case_id) and saved.is_file()

    run = tmp_path / "run"
    assert main(["train", str(demo), "--out", str(run), *QUICK]) == 0
    record = RunFolder(run).read_config()
    used = record.dataset.manifest["cases"][case_id]["correction"]
    assert used is not None, "lrpstudio train did not use the correction saved in the app"
    assert Path(used["path"]).resolve() == saved.resolve()
    assert used["sha256"] == hashlib.sha256(saved.read_bytes()).hexdigest()
    assert not (demo / DEFAULT_NAME).exists(), "the CLI made a second workspace inside the demo set"
    # The mask the slices were cut from is the corrected one (fewer tumour voxels).
    after = int((source.load(source.rows()[0]).seg > 0).sum())
    assert after < before


def test_resume_rebuilds_the_recorded_preparation_whatever_the_options_say(demo: Path,
                                                                           tmp_path: Path,
                                                                           capsys: pytest.CaptureFixture[str]) -> None:
    run = tmp_path / "run"
    assert main(["train", str(demo), "--out", str(run), *QUICK]) == 0
    capsys.readouterr()
    # --size 48 would prepare other slices; the resume keeps the run's 32 px preparation.
    assert main(["train", str(demo), "--resume", str(run), "--epochs", "2", "--size", "48", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["status"] == "finished" and summary["epochs_done"] == 2
    assert RunFolder(run).read_config().train.image_size == 32
    assert open_slices(demo, PrepareConfig(image_size=32)).image_size == 32
