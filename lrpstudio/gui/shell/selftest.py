"""``lrpstudio --self-test``: prove that an installation (frozen or not) works end to end.

Run offscreen, it builds the main window, generates a tiny demo case, paints with
simulated mouse events through the editing controller, undoes and redoes, saves the mask
and reloads it (checking its grid against the source file), renders the window, runs
one LRPLoss training step and one heatmap, and writes a JSON report. The exit code is
0 only when every step passed.

Every step runs even when an earlier, independent one failed, so one report lists every
broken part of a bundle; a step whose inputs are missing is recorded as skipped (failed).
For the same reason each step imports what it exercises (Qt, nibabel, the window's
modules) inside the step: a module missing from a frozen bundle is then that step's
recorded failure, not an ImportError that stops the whole self-test.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import numpy as np

from lrpstudio.app.selftest import (SelfTestConfig, SelfTestFailure, StepRunner, canonical_labels, check,
                                    slices_of, step_demo, step_heatmap, step_train)

if TYPE_CHECKING:  # annotations only: the window's modules are imported inside the steps
    from lrpstudio.app.data_source import Case
    from lrpstudio.gui.shell.main_window import MainWindow

__all__ = ["SelfTestConfig", "SelfTestFailure", "StepRunner", "check", "run_self_test", "self_test_report"]

#: Packages whose versions the report records (what a broken bundle most often lacks).
VERSIONED: tuple[str, ...] = ("numpy", "torch", "torchvision", "zennit", "PySide6", "pyqtgraph",
                              "nibabel", "SimpleITK", "scipy", "matplotlib", "PIL")


def _versions() -> dict[str, str]:
    import importlib

    found: dict[str, str] = {}
    for name in VERSIONED:
        try:
            found[name] = str(getattr(importlib.import_module(name), "__version__", "?"))
        except Exception as error:  # noqa: BLE001 - a missing module is a finding, not a crash
            found[name] = f"missing ({type(error).__name__}: {error})"
    return found


def step_environment() -> dict[str, Any]:
    """Versions, frozen flag and the resources folder (found the same way when frozen)."""
    from lrpstudio.core.paths import resource_path, resources_root  # in the step: see the module docstring

    icon = resource_path("icons", "app.svg")
    versions = _versions()
    missing = [f"{name}: {version}" for name, version in versions.items() if version.startswith("missing")]
    check(not missing, f"modules missing from this installation: {'; '.join(missing)}")
    return {"resources": str(resources_root()), "icon_bytes": icon.stat().st_size,
            "versions": versions}


def build_window(workdir: Path) -> "MainWindow":
    """A shown main window with unattended answers and a private recent-folders list."""
    from lrpstudio.gui.shell.application import create_application  # in the step: see the module docstring
    from lrpstudio.gui.shell.main_window import MainWindow
    from lrpstudio.gui.shell.prompts import ScriptedPrompter
    from lrpstudio.gui.shell.settings import RecentList

    app = create_application()
    window = MainWindow(prompter=ScriptedPrompter(), recent=RecentList(workdir / "recent.json"))
    window.resize(1200, 800)
    window.show()
    app.processEvents()
    return window


def _shown(window: "MainWindow") -> tuple[Case, np.ndarray]:
    """The open case and the mask the window shows (a step fails without them)."""
    case, seg = window.case, window.state.seg
    if case is None or seg is None:
        raise SelfTestFailure("no case is open in the window")
    return case, seg


def step_open(window: "MainWindow", root: Path, workspace: Path) -> dict[str, Any]:
    """Open the demo folder; the first case must load with its segmentation."""
    window.open_path(root, workspace, offer_restore=False)
    case, seg = _shown(window)
    check(bool(seg.any()), "the opened case shows no tumour")
    return {"case": case.id, "shape": list(seg.shape)}


def _send_mouse(widget: Any, kind: Any, pos: Any) -> None:
    """One mouse event with the button state of a real drag."""
    from PySide6 import QtCore, QtGui, QtWidgets  # in the step: see the module docstring

    left, none = QtCore.Qt.MouseButton.LeftButton, QtCore.Qt.MouseButton.NoButton
    held = none if kind == QtCore.QEvent.Type.MouseButtonRelease else left
    button = none if kind == QtCore.QEvent.Type.MouseMove else left
    event = QtGui.QMouseEvent(kind, QtCore.QPointF(pos), QtCore.QPointF(widget.mapToGlobal(pos)),
                              button, held, QtCore.Qt.KeyboardModifier.NoModifier)
    QtWidgets.QApplication.sendEvent(widget, event)


def _background_voxels(window: "MainWindow", count: int) -> list[tuple[int, int, int]]:
    """Background voxels of the axial view's slice, a few apart along one row."""
    view = window.views.views["axial"]
    mapping, shape, seg = view.mapping, window.state.shape, _shown(window)[1]
    found: list[tuple[int, int, int]] = []
    for sx in range(4, shape[mapping.x_axis] - 4, 3):
        voxel = mapping.to_voxel(sx + 0.5, shape[mapping.y_axis] // 2 + 0.5, view.slice_index, shape)
        if voxel is not None and seg[voxel] == 0:
            found.append(voxel)
        if len(found) == count:
            return found
    raise SelfTestFailure(f"no {count} background voxels on axial slice {view.slice_index}")


def step_paint(window: "MainWindow") -> tuple[dict[str, Any], np.ndarray, np.ndarray]:
    """Drag the brush (label 3, radius 1) over background voxels with mouse events."""
    from PySide6 import QtCore  # in the step: see the module docstring

    original = _shown(window)[1].copy()
    window.action_map["tool.brush"].trigger()
    window.action_map["label.3"].trigger()
    window.panel.radius.setValue(1)
    view = window.views.views["axial"]
    voxels = _background_voxels(window, 4)
    points = [view.widget_pos_of(v) for v in voxels]
    kinds = ([QtCore.QEvent.Type.MouseButtonPress] + [QtCore.QEvent.Type.MouseMove] * (len(points) - 1)
             + [QtCore.QEvent.Type.MouseButtonRelease])
    for kind, point in zip(kinds, points + points[-1:]):
        _send_mouse(view.viewport(), kind, point)
    painted = _shown(window)[1].copy()
    unpainted = [v for v in voxels if painted[v] != 3]
    check(not unpainted, f"voxels under the stroke not painted with label 3: {unpainted}")
    changed = np.argwhere(painted != original)
    planes = set(changed[:, view.mapping.slice_axis].tolist())
    check(planes == {view.slice_index}, f"2D brush changed slices {sorted(planes)}, "
                                        f"expected only {view.slice_index}")
    check(window.controller.dirty, "painting did not mark the case as edited")
    return {"voxels_changed": int(len(changed))}, original, painted


def step_undo(window: "MainWindow", original: np.ndarray, painted: np.ndarray) -> dict[str, Any]:
    """Undo restores the original mask; redo brings the stroke back."""
    window.action_map["edit.undo"].trigger()
    check(np.array_equal(_shown(window)[1], original), "undo did not restore the mask")
    window.action_map["edit.redo"].trigger()
    check(np.array_equal(_shown(window)[1], painted), "redo did not restore the stroke")
    return {}


def step_save_reload(window: "MainWindow", root: Path, workspace: Path, painted: np.ndarray) -> dict[str, Any]:
    """Save, read the file with plain nibabel (grid = source grid), reopen through the app."""
    import nibabel as nib  # in the step: see the module docstring

    case = _shown(window)[0]
    check(window.save(), "save reported failure")
    check(not window.controller.dirty, "the case is still marked edited after saving")
    saved = sorted((workspace / "corrections").rglob("*_seg.nii.gz"))
    check(len(saved) == 1, f"{workspace}: expected one saved correction, found {len(saved)}")
    image: Any = nib.load(str(saved[0]))  # NIfTI images: dataobj, affine and header
    source: Any = nib.load(str(case.files["seg"]))
    raw = np.asarray(image.dataobj)
    check(raw.shape == source.shape, f"{saved[0]}: shape {raw.shape}, source {source.shape}")
    check(raw.dtype == np.uint8, f"{saved[0]}: dtype {raw.dtype}, expected uint8")
    check(np.allclose(image.affine, source.affine), f"{saved[0]}: affine differs from the source")
    for form in ("sform", "qform"):
        ours, theirs = getattr(image.header, f"get_{form}")(coded=True), \
            getattr(source.header, f"get_{form}")(coded=True)
        check(ours[1] == theirs[1], f"{saved[0]}: {form} code {ours[1]}, source {theirs[1]}")
    check(np.array_equal(canonical_labels(raw, case.release), painted), f"{saved[0]}: voxels differ from the edit")
    # Reopen in a second window, as a later launch would: the correction is what loads.
    again = build_window(workspace.parent)
    try:
        again.open_path(root, workspace, offer_restore=False)
        if again.case is None or again.case.id != case.id:
            again.browser.select(case.id)
        check(again.case is not None and again.case.id == case.id,
              f"{case.id} did not reopen ({again.reporter.last_message})")
        check(np.array_equal(_shown(again)[1], painted), "the reopened mask differs from the saved edit")
    finally:
        again.controller.detach()
        again.close()
    return {"file": saved[0].name, "shape": list(raw.shape)}


def step_render(window: "MainWindow", out: Path) -> dict[str, Any]:
    """Render the window offscreen; the picture must not be blank."""
    from PySide6 import QtWidgets  # in the step: see the module docstring

    for _ in range(5):
        QtWidgets.QApplication.processEvents()
    image = window.grab().toImage()
    check(not image.isNull() and image.width() > 100, "the window rendered to an empty image")
    pixels = {image.pixel(x, y) for x in range(0, image.width(), 37) for y in range(0, image.height(), 37)}
    check(len(pixels) > 8, f"the rendered window is nearly uniform ({len(pixels)} colours)")
    check(image.save(str(out)), f"{out}: could not write the screenshot")
    return {"size": [image.width(), image.height()], "colours_sampled": len(pixels)}


def _run_gui_steps(steps: StepRunner, work: Path, config: SelfTestConfig) -> dict[str, Any]:
    """The window steps; returns what the training steps need (None where a step failed)."""
    root, workspace = work / "data", work / "workspace"
    box: dict[str, Any] = {"window": None, "paint": None, "case": None, "seg": None}
    if not steps.run("demo_data", lambda: step_demo(root, config)):
        return box

    def open_window() -> dict[str, Any]:
        box["window"] = build_window(work)
        return step_open(box["window"], root, workspace)

    steps.run("main_window", open_window)
    window = box["window"]
    if window is not None and window.case is not None:
        box["case"], box["seg"] = window.case, window.state.seg.copy()

    def paint() -> dict[str, Any]:
        detail, original, painted = step_paint(window)
        box["paint"] = (original, painted)
        return detail

    steps.run("paint", paint, needs=(box["case"],))
    steps.run("undo_redo", lambda: step_undo(window, *box["paint"]), needs=(box["paint"],))
    steps.run("save_reload", lambda: step_save_reload(window, root, workspace, box["paint"][1]),
              needs=(box["paint"],))
    steps.run("render", lambda: step_render(window, work / "window.png"), needs=(window,))
    if window is not None:
        window.controller.detach()
        window.close()
    return box


def self_test_report(config: SelfTestConfig | None = None, out: TextIO | None = None) -> dict[str, Any]:
    """Run every step in ``config.workdir`` (or a temporary folder) and return the report.

    Returns
    -------
    dict
        ``ok`` (every step passed), ``steps`` (name, ok, seconds, detail, error),
        ``frozen``, ``platform``, ``python``, ``seconds``.
    """
    config = config or SelfTestConfig()
    start = time.perf_counter()
    steps = StepRunner(out)
    temporary = config.workdir is None
    work = Path(config.workdir) if config.workdir is not None else Path(tempfile.mkdtemp(prefix="lrpstudio-selftest-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        steps.run("environment", step_environment)
        box = _run_gui_steps(steps, work, config)
        holder: dict[str, Any] = {"batch": None, "model": None}

        def train() -> dict[str, Any]:
            holder["batch"] = slices_of(box["case"], box["seg"], config.image_size)
            detail, holder["model"] = step_train(holder["batch"], config)
            return detail

        steps.run("train_step", train, needs=(box["case"],))
        steps.run("heatmap", lambda: step_heatmap(holder["model"], holder["batch"], work / "heatmap.png"),
                  needs=(holder["model"],))
    finally:
        if temporary:
            shutil.rmtree(work, ignore_errors=True)
    return {
        "ok": all(r.ok for r in steps.results) and len(steps.results) > 0,
        "frozen": bool(getattr(sys, "frozen", False)),
        "executable": sys.executable if getattr(sys, "frozen", False) else None,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "qt_platform": os.environ.get("QT_QPA_PLATFORM", ""),
        "seconds": round(time.perf_counter() - start, 3),
        "steps": [asdict(r) for r in steps.results],
    }


def run_self_test(report: Path | None = None, config: SelfTestConfig | None = None,
                  out: TextIO | None = None) -> int:
    """Run the self-test, write the JSON report (atomically) and return the exit code.

    Parameters
    ----------
    report
        Where to write the JSON report (optional).
    config
        Sizes, seed and working folder.
    out
        Where the one-line-per-step summary goes (default ``sys.stdout``; nothing when the
        app has no console, as a windowed build on Windows).

    Returns
    -------
    int
        0 when every step passed, 1 otherwise.
    """
    from lrpstudio.core.atomic import atomic_write_text  # in the step: see the module docstring

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # no display needed, none touched
    stream = out if out is not None else sys.stdout
    if stream is not None:
        print(f"lrpstudio self-test ({'frozen' if getattr(sys, 'frozen', False) else 'source'})",
              file=stream, flush=True)
    result = self_test_report(config, stream)
    if report is not None:
        Path(report).parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(Path(report), json.dumps(result, indent=2) + "\n")
    if stream is not None:
        failed = [s["name"] for s in result["steps"] if not s["ok"]]
        print(f"self-test {'PASSED' if result['ok'] else 'FAILED: ' + ', '.join(failed)} "
              f"in {result['seconds']:.1f} s" + (f"; report {report}" if report else ""),
              file=stream, flush=True)
    return 0 if result["ok"] else 1
