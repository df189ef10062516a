"""One training step, kept separate from the loop: batch in, loss and gradients out.

Separated so that a data-parallel wrapper (torchrun) can reuse it unchanged: it only
touches the model, the optimiser and one batch, and returns plain numbers and detached
tensors for the metrics (which are accumulated as sums and counts, see
:mod:`lrpstudio.core.train.metrics`).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch

from lrpstudio.core.data.slice_dataset import SliceDataset
from lrpstudio.core.train.augment import AugmentConfig, apply_params, draw_params
from lrpstudio.core.xai.guidance import GuidanceConfig
from lrpstudio.core.xai.losses import guidance_step


@dataclass(frozen=True)
class Batch:
    """Slices on the training device."""

    images: torch.Tensor   # (N, C, H, W) float32
    tumor: torch.Tensor    # (N, H, W) bool
    brain: torch.Tensor    # (N, H, W) bool
    labels: torch.Tensor   # (N,) int64
    forbidden: torch.Tensor | None = None  # (N, H, W) bool artefact regions; None: no slice has one

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    def forbidden_slices(self) -> int:
        """How many slices of the batch carry an artefact region."""
        return 0 if self.forbidden is None else int(self.forbidden.flatten(1).any(1).sum())

    def rows(self, index: slice | torch.Tensor) -> "Batch":
        """The slices ``index`` of the batch (a data-parallel rank's share)."""
        return Batch(images=self.images[index], tumor=self.tumor[index], brain=self.brain[index],
                     labels=self.labels[index],
                     forbidden=None if self.forbidden is None else self.forbidden[index])


@dataclass(frozen=True)
class StepOutput:
    """What one forward (and backward) produced.

    Attributes
    ----------
    loss
        The total loss (a graph-attached scalar until backward).
    logits
        (N, 2), detached.
    scores
        (N,) float64 TumorLRPScore per slice, NaN where the slice has no tumour or the
        guidance computes no score.
    parts
        Mean ``ce``, ``guidance`` and ``total`` of the batch as floats.
    """

    loss: torch.Tensor
    logits: torch.Tensor
    scores: torch.Tensor
    parts: dict[str, float]


class NonFiniteLossError(ArithmeticError):
    """The loss or a gradient of one step is NaN or inf (nothing was updated)."""

    def __init__(self, what: str, value: float) -> None:
        self.what, self.value = what, value
        super().__init__(f"{what} became {value}")


def compute_loss(model: torch.nn.Module, batch: Batch, guidance: GuidanceConfig,
                 amp: bool = False, class_weights: torch.Tensor | None = None) -> StepOutput:
    """Forward pass and guidance loss of one batch (no backward).

    Logits and per-slice scores come from the same forward as the loss
    (:func:`lrpstudio.core.xai.losses.guidance_step`), so nothing is recomputed. With
    ``amp`` the forward runs under bfloat16 autocast; the loss and the logits come back
    as float32. ``class_weights`` (one per class) weight each slice's CE term.
    """
    weights = None if class_weights is None else class_weights.to(batch.labels.device)[batch.labels]
    with torch.autocast(batch.images.device.type, dtype=torch.bfloat16, enabled=amp):
        result = guidance_step(model, batch.images, batch.labels, batch.tumor, batch.brain, guidance,
                               weights, batch.forbidden)
    if amp:
        result = dataclasses.replace(result, loss=result.loss.float(), logits=result.logits.float())
    has_tumour = batch.tumor.reshape(len(batch), -1).any(dim=1)
    scores = torch.where(has_tumour, result.scores.detach().to(torch.float64), torch.nan)
    keys: tuple[str, ...] = ("ce", "guidance", "total", "forbidden")
    parts = {key: float(result.parts[key]) for key in keys if key in result.parts}
    return StepOutput(loss=result.loss, logits=result.logits.detach(), scores=scores, parts=parts)


def clip_gradients(params: Sequence[torch.Tensor], norm: float, max_norm: float) -> None:
    """Scale the gradients of ``params`` so that their joint norm is at most ``max_norm``.

    ``max_norm <= 0`` leaves them alone. Clipping at norm 1 is what ISNet does: a guided
    loss can have rare, very steep steps (a slice whose score is near the clamp).
    """
    if max_norm > 0 and norm > max_norm:
        scale = max_norm / (norm + 1e-6)
        for p in params:
            if p.grad is not None:
                p.grad.mul_(scale)


def train_step(
    model: torch.nn.Module, optimizer: torch.optim.Optimizer, batch: Batch, guidance: GuidanceConfig,
    amp: bool = False, class_weights: torch.Tensor | None = None, max_grad_norm: float = 0.0,
) -> StepOutput:
    """One optimiser step; raises :class:`NonFiniteLossError` before updating anything
    when the loss or the gradient norm is not finite. ``max_grad_norm > 0`` clips the
    gradient norm; ``parts["grad_norm"]`` is the norm before clipping."""
    optimizer.zero_grad(set_to_none=True)
    out = compute_loss(model, batch, guidance, amp, class_weights)
    if not math.isfinite(out.parts["total"]):
        raise NonFiniteLossError("loss", out.parts["total"])
    out.loss.backward()
    params = [p for p in model.parameters() if p.grad is not None]
    if params:
        norm = float(torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(p.grad)
                                                           for p in params if p.grad is not None])))
        if not math.isfinite(norm):
            optimizer.zero_grad(set_to_none=True)
            raise NonFiniteLossError("gradient norm", norm)
        clip_gradients(params, norm, max_grad_norm)
    optimizer.step()
    return StepOutput(loss=out.loss.detach(), logits=out.logits, scores=out.scores, parts=out.parts)


def to_batch(dataset: SliceDataset, rows: np.ndarray, device: torch.device) -> Batch:
    """Rows of a dataset as tensors on ``device`` (through pinned memory for CUDA).

    The forbidden masks travel only when one of the rows has an artefact region.
    """
    forbidden = np.ascontiguousarray(dataset.forbidden[rows], dtype=bool)
    return Batch(
        images=_to_device(np.ascontiguousarray(dataset.images[rows], dtype=np.float32), device),
        tumor=_to_device(np.ascontiguousarray(dataset.tumor_masks[rows], dtype=bool), device),
        brain=_to_device(np.ascontiguousarray(dataset.brain_masks[rows], dtype=bool), device),
        labels=_to_device(np.ascontiguousarray(dataset.labels[rows], dtype=np.int64), device),
        forbidden=_to_device(forbidden, device) if forbidden.any() else None,
    )


def augment(batch: Batch, config: AugmentConfig, generator: torch.Generator) -> Batch:
    """The batch randomly rotated and flipped: one transform per slice for its image and
    every mask (tumour, brain, artefact region); the generator advances as in
    :func:`~lrpstudio.core.train.augment.augment_batch`."""
    params = draw_params(len(batch), config, generator)
    if not config.enabled:
        return batch
    images, tumor, brain = apply_params(batch.images, batch.tumor, batch.brain, params)
    forbidden = None
    if batch.forbidden is not None:
        forbidden = apply_params(batch.images[:, :1], batch.forbidden, batch.forbidden, params)[1]
    return Batch(images=images, tumor=tumor, brain=brain, labels=batch.labels, forbidden=forbidden)


def _to_device(array: np.ndarray, device: torch.device) -> torch.Tensor:
    tensor = torch.from_numpy(array)
    if device.type != "cuda":
        return tensor.to(device)
    # Page-locked staging lets the copy run asynchronously; the caching host allocator
    # keeps the pinned buffer alive until the copy has finished.
    return tensor.pin_memory().to(device, non_blocking=True)
