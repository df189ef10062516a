"""Renaming, tagging, deleting to the trash and restoring runs (real tiny runs)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from lrpstudio.app.run_admin import (
    TRASH_NOTE, RunAdminError, delete_run, parse_tags, read_tags, rename_run, restore_run, trash_dir,
    write_tags,
)
from lrpstudio.app.run_summaries import find_runs
from lrpstudio.core.data.workspace import open_workspace
from lrpstudio.core.review.verdicts import QueueStateStore
from lrpstudio.core.train.evaluate import load_run_model
from tests.core.train.broken_runs import make_tiny_run
from tests.core.train.factory import tiny_dataset


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_tiny_run(tmp_path_factory.mktemp("admin") / "run", tiny_dataset(n_cases=6, slices_per_case=2,
                                                                                 size=32))


@pytest.fixture
def workspace_runs(tiny_run: Path, tmp_path: Path) -> Path:
    """A workspace with its runs folder holding one copy of the tiny run."""
    ws = open_workspace(tmp_path / "ws")
    runs = Path(ws.root) / "runs"
    shutil.copytree(tiny_run, runs / "2026-01-01_run")
    return runs


def test_rename_moves_the_folder_and_the_review_state(workspace_runs: Path) -> None:
    run = workspace_runs / "2026-01-01_run"
    store = QueueStateStore(open_workspace(workspace_runs.parent))
    store.set(run.name, "case:3", "done", "fine")
    new = rename_run(run, "baseline")
    assert new == workspace_runs / "baseline" and not run.exists()
    assert find_runs(workspace_runs) == [new]
    load_run_model(new)  # the renamed run still loads (its records say nothing of the old path)
    assert store.get("baseline", "case:3").verdict == "fine"
    assert store.all("2026-01-01_run") == {}


def test_rename_refuses_clashes_bad_names_and_the_training_run(workspace_runs: Path) -> None:
    run = workspace_runs / "2026-01-01_run"
    (workspace_runs / "taken").mkdir()
    with pytest.raises(RunAdminError, match="exists"):
        rename_run(run, "taken")
    for bad in ("", "../up", "a/b", ".hidden"):
        with pytest.raises(RunAdminError, match="name"):
            rename_run(run, bad)
    with pytest.raises(RunAdminError, match="training"):
        rename_run(run, "other", training=run)
    assert run.is_dir()


def test_tags_are_kept_in_the_run_folder(workspace_runs: Path) -> None:
    run = workspace_runs / "2026-01-01_run"
    assert read_tags(run) == []
    assert write_tags(run, parse_tags(" p=1 , baseline,, baseline")) == ["baseline", "p=1"]
    assert read_tags(run) == ["baseline", "p=1"]
    with pytest.raises(RunAdminError, match="tag"):
        write_tags(run, ["x" * 41])
    write_tags(run, [])
    assert read_tags(run) == []
    (run / "tags.json").write_text("{nope", encoding="utf-8")
    with pytest.raises(RunAdminError) as caught:
        read_tags(run)
    assert str(run / "tags.json") in caught.value.message()


def test_delete_moves_to_the_workspace_trash_and_restore_puts_it_back(workspace_runs: Path) -> None:
    run = workspace_runs / "2026-01-01_run"
    with pytest.raises(RunAdminError, match="training"):
        delete_run(run, training=run)
    trashed = delete_run(run)
    assert not run.exists() and find_runs(workspace_runs) == []
    assert trashed.path.parent == trash_dir(workspace_runs) == workspace_runs.parent / "trash"
    assert trashed.path.name.startswith("2026-01-01_run-") and (trashed.path / TRASH_NOTE).is_file()
    assert restore_run(trashed.path) == run.resolve()
    assert find_runs(workspace_runs) == [run] and not (run / TRASH_NOTE).exists()
    with pytest.raises(RunAdminError, match="origin"):
        restore_run(run)
