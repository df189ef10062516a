"""The Qt-free half of the built-in self-test: its runner, and the data and model steps.

:mod:`lrpstudio.gui.shell.selftest` adds the window steps and runs everything
(``lrpstudio --self-test``). Steps return a dict of details or raise; the runner records
each outcome and never lets one failure stop the others.

Each step imports what it exercises (torch, the demo generator, the model, the
heatmaps) inside the step: a module missing from a frozen bundle is then that step's
recorded failure, not an ImportError that stops the whole self-test.
"""

from __future__ import annotations

import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, TextIO

import numpy as np

#: Modalities fed to the classifier, in channel order (as the paper: T1, T2, FLAIR).
CHANNELS: tuple[str, ...] = ("t1", "t2", "flair")


@dataclass(frozen=True)
class SelfTestConfig:
    """What the self-test builds: small enough to finish in seconds on one CPU core.

    Attributes
    ----------
    shape
        Voxel shape of the demo case.
    image_size
        Side of the 2D slices of the training step (>= 16).
    seed
        Seed of the demo data and of the model initialisation.
    workdir
        Folder for the demo data, workspace and heatmap; default: a temporary folder
        that is removed afterwards.
    """

    shape: tuple[int, int, int] = (48, 48, 32)
    image_size: int = 32
    seed: int = 0
    workdir: Path | None = None


@dataclass
class StepResult:
    """Outcome of one self-test step."""

    name: str
    ok: bool
    seconds: float
    detail: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


class SelfTestFailure(AssertionError):
    """A self-test check did not hold (the message says which and with what values)."""


def check(condition: bool, message: str) -> None:
    """Raise :class:`SelfTestFailure` with ``message`` unless ``condition`` holds."""
    if not condition:
        raise SelfTestFailure(message)


class StepRunner:
    """Runs named steps, records each outcome and timing, and never lets one abort the rest."""

    def __init__(self, out: TextIO | None) -> None:
        self.results: list[StepResult] = []
        self.out = out

    def run(self, name: str, func: Callable[[], dict[str, Any]], needs: tuple[Any, ...] = ()) -> bool:
        """Run ``func`` as step ``name`` (skipped when any of ``needs`` is None); True if it passed."""
        start = time.perf_counter()
        if any(item is None for item in needs):
            result = StepResult(name, False, 0.0, error="skipped: an earlier step it needs failed")
        else:
            try:
                result = StepResult(name, True, 0.0, detail=func() or {})
            except Exception as error:  # noqa: BLE001 - the report must list every failure
                text = "".join(traceback.format_exception(type(error), error, error.__traceback__))
                result = StepResult(name, False, 0.0, error=f"{type(error).__name__}: {error}\n{text}")
        result.seconds = round(time.perf_counter() - start, 3)
        self.results.append(result)
        if self.out is not None:
            first_line = (result.error or "").splitlines()[0] if result.error else ""
            print(f"  {'PASS' if result.ok else 'FAIL'}  {name:<14} {result.seconds:7.2f} s  {first_line}",
                  file=self.out, flush=True)
        return result.ok


def step_demo(root: Path, config: SelfTestConfig) -> dict[str, Any]:
    """Generate two tiny demo cases in-process (the path a frozen app takes)."""
    from lrpstudio.core.data.demo import DemoConfig, generate_demo  # in the step: see the module docstring

    generate_demo(root, DemoConfig(cases=2, seed=config.seed, shape=config.shape, workers=1))
    files = sorted(p.name for p in root.rglob("*.nii.gz"))
    check(len(files) >= 10, f"{root}: expected 2 cases x 5 NIfTI files, found {len(files)}")
    return {"files": len(files)}


def canonical_labels(raw: np.ndarray, release: Any) -> np.ndarray:
    """Release label values -> canonical ones (an independent reading of the saved file)."""
    from lrpstudio.core.data.layouts import LABEL_CONVENTIONS  # in the step: see the module docstring

    out = np.zeros(raw.shape, dtype=np.uint8)
    for value, canonical in LABEL_CONVENTIONS[release].mapping.items():
        out[raw == value] = canonical
    return out


def slices_of(case: Any, seg: np.ndarray, size: int, count: int = 2) -> dict[str, Any]:
    """The ``count`` axial slices with most tumour as tensors ``(N, 3, size, size)`` and masks."""
    import torch  # in the step: see the module docstring
    import torch.nn.functional as F

    areas = (seg > 0).sum(axis=(0, 1))
    index = np.argsort(-areas, kind="stable")[:count]
    stack = np.stack([case.images[m][:, :, index] for m in CHANNELS]).astype(np.float32)  # C,X,Y,N
    brain = (stack > 0).any(axis=0)
    scale = np.maximum(stack.reshape(len(CHANNELS), -1).max(axis=1), 1e-6)[:, None, None, None]
    images = torch.from_numpy(np.ascontiguousarray((stack / scale).transpose(3, 0, 1, 2)))
    masks = torch.from_numpy(np.stack([seg[:, :, index] > 0, brain]).transpose(3, 0, 1, 2).astype(np.float32))
    images = F.interpolate(images, size=(size, size), mode="bilinear", align_corners=False)
    masks = F.interpolate(masks, size=(size, size), mode="nearest") > 0.5
    label = 1 if case.grade == "HGG" else 0
    return {"images": images, "tumor": masks[:, 0], "brain": masks[:, 1] | masks[:, 0],
            "labels": torch.full((len(index),), label, dtype=torch.int64)}


def step_train(batch: dict[str, Any], config: SelfTestConfig) -> tuple[dict[str, Any], Any]:
    """One LRPLoss (p = 1) optimiser step; the loss must be finite and the weights move."""
    import torch  # in the step: see the module docstring

    from lrpstudio.core.models import build_model
    from lrpstudio.core.train.step import Batch, train_step
    from lrpstudio.core.xai.guidance import GuidanceConfig

    torch.manual_seed(config.seed)
    model = build_model("paper", image_size=config.image_size)
    before = [p.detach().clone() for p in model.parameters()]
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-2)
    out = train_step(model, optimizer, Batch(**batch), GuidanceConfig(kind="lrp", penalty=1.0))
    check(np.isfinite(out.parts["total"]), f"LRPLoss is not finite: {out.parts}")
    moved = sum(not torch.equal(a, b.detach()) for a, b in zip(before, model.parameters()))
    check(moved > 0, "the training step changed no weight")
    return {"loss": out.parts["total"], "ce": out.parts["ce"], "tensors_updated": int(moved)}, model


def step_heatmap(model: Any, batch: dict[str, Any], out: Path) -> dict[str, Any]:
    """Explain the slices (LRP), check the maps, and render them as a PNG (Pillow)."""
    from lrpstudio.core.render.colours import colour_scale  # in the step: see the module docstring
    from lrpstudio.core.render.figures import render_epoch_png
    from lrpstudio.core.train.heatmaps import explain_batch
    from lrpstudio.core.xai.composites import DEFAULT_COMPOSITE

    maps = explain_batch(model, batch["images"], batch["labels"], batch["tumor"], batch["brain"],
                         DEFAULT_COMPOSITE)
    n, size = batch["images"].shape[0], batch["images"].shape[-1]
    check(maps.relevance.shape == (n, size, size), f"heatmap shape {maps.relevance.shape}")
    check(bool(np.isfinite(maps.relevance).all()), "the heatmap has NaN or inf values")
    check(float(np.abs(maps.relevance).sum()) > 0, "the heatmap is all zeros")
    render_epoch_png(out, batch["images"][:, 2].numpy(), batch["tumor"].numpy(), batch["labels"].numpy(),
                     [f"slice {i}" for i in range(n)], maps, colour_scale(maps.relevance), "self-test")
    check(out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", f"{out}: not a PNG file")
    return {"scores": [float(s) for s in maps.scores], "png_bytes": out.stat().st_size}
