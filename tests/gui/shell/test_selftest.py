"""The built-in self-test, run in-process (not frozen) on a tiny demo case."""

from __future__ import annotations

import json
from pathlib import Path

from lrpstudio.cli.main import main
from lrpstudio.core.selftest import SelfTestConfig
from lrpstudio.gui.shell.selftest import run_self_test, self_test_report

EXPECTED_STEPS = ["environment", "demo_data", "main_window", "paint", "undo_redo", "save_reload",
                  "render", "train_step", "heatmap"]


def test_cli_self_test_passes_and_writes_report(qapp, tmp_path: Path, capsys) -> None:
    report = tmp_path / "out" / "report.json"
    code = main(["--self-test", "--report", str(report)])  # `lrpstudio --self-test`, as users type it
    data = json.loads(report.read_text(encoding="utf-8"))
    failed = {s["name"]: s["error"] for s in data["steps"] if not s["ok"]}
    assert code == 0 and data["ok"], failed
    assert [s["name"] for s in data["steps"]] == EXPECTED_STEPS
    assert data["frozen"] is False and data["qt_platform"] == "offscreen"
    steps = {s["name"]: s for s in data["steps"]}
    assert steps["paint"]["detail"]["voxels_changed"] >= 4
    assert steps["train_step"]["detail"]["tensors_updated"] > 0
    assert len(steps["heatmap"]["detail"]["scores"]) == 2
    out = capsys.readouterr().out
    assert "self-test PASSED" in out and out.count("PASS ") == len(EXPECTED_STEPS)


def test_report_in_a_kept_workdir_has_the_artefacts(qapp, tmp_path: Path) -> None:
    work = tmp_path / "work"
    data = self_test_report(SelfTestConfig(shape=(40, 40, 24), image_size=16, seed=3, workdir=work))
    assert data["ok"], [s["error"] for s in data["steps"] if not s["ok"]]
    assert (work / "heatmap.png").read_bytes()[:4] == b"\x89PNG"
    assert (work / "window.png").stat().st_size > 1000
    saved = list((work / "workspace" / "corrections").rglob("*_seg.nii.gz"))
    assert len(saved) == 1


def test_report_needs_self_test(tmp_path: Path, capsys) -> None:
    assert main(["gui", "--report", str(tmp_path / "r.json")]) == 2
    assert "--report needs --self-test" in capsys.readouterr().err


def test_exit_code_is_one_when_a_step_fails(qapp, tmp_path: Path) -> None:
    # image_size below the model's minimum makes the training step fail for real.
    report = tmp_path / "r.json"
    code = run_self_test(report, SelfTestConfig(shape=(40, 40, 24), image_size=8, workdir=tmp_path / "w"))
    data = json.loads(report.read_text(encoding="utf-8"))
    status = {s["name"]: s["ok"] for s in data["steps"]}
    assert code == 1 and not data["ok"]
    assert status["train_step"] is False and status["heatmap"] is False
    assert status["save_reload"] is True
