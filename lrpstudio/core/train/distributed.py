"""Data-parallel training with ``torch.distributed`` (launched by ``torchrun``).

How the work is split
---------------------
Every rank draws the *same* shuffled order and the *same* augmentation from the run's
data generator (all ranks start from identical generator states), loads the whole
global batch of ``config.batch_size`` slices, augments it, and then trains on its own
contiguous share (:func:`shard`). So the seeded shuffle is a distributed sampler whose
result does not depend on the number of processes, and a run can be resumed with a
different process count: the generator state in ``last.pt`` is the same on every rank.

Gradients: explicit all-reduce, not DistributedDataParallel
-----------------------------------------------------------
DDP itself does work with the LRP double backward: zennit's relevance is a
``torch.autograd.grad`` with respect to the *input* (``create_graph=True``), which fires
no parameter ``AccumulateGrad`` hooks, and the final ``loss.backward()`` fires each
parameter hook once. Measured on the paper's CNN (2 gloo ranks x 4 slices against one
process with 8): DDP's gradients differ from the single process by 1.3e-5 at a gradient
scale of 9.7, i.e. float32 rounding. We still use one explicit all-reduce per step:

* DDP averages gradients over ranks, which is the global-batch gradient only when every
  rank holds the same number of slices; the last batch of an epoch usually does not.
  Here each rank multiplies its mean-loss gradient by its slice count and the sum is
  divided by the global count, which is exact for any split (including empty shares).
* Validation, the pinned heatmaps and the evaluation scores run LRP (input gradients)
  through the model without a parameter backward; through a DDP wrapper that leaves the
  reducer expecting a backward ("Expected to have finished reduction in the prior
  iteration") unless ``find_unused_parameters`` and ``no_sync`` tricks are added.
* The model stays a plain module: checkpoints keep their keys (no ``module.`` prefix)
  and zennit's canonizers see the real layers.

The same all-reduce carries a "non-finite loss" flag, so a NaN on one rank stops every
rank at the same step. Epoch metrics are reduced as sums and counts
(:class:`~lrpstudio.core.train.metrics.EpochSums`), never as averaged per-rank means.

Limits: dropout masks come from each rank's global torch generator (seeded alike), so a
multi-process run with dropout is not bit-identical to one process; BatchNorm statistics
are per rank (no SyncBatchNorm). Only rank 0 writes the run folder.
"""

from __future__ import annotations

import datetime
import math
import os
from dataclasses import dataclass

import numpy as np
import torch
import torch.distributed as dist

from lrpstudio.core.errors import InputError
from lrpstudio.core.train.metrics import EpochSums
from lrpstudio.core.train.step import Batch, NonFiniteLossError, StepOutput, clip_gradients, compute_loss
from lrpstudio.core.xai.guidance import GuidanceConfig

#: Seconds a rank waits for the others (rendezvous, collectives) before giving up.
DEFAULT_TIMEOUT_S = 300.0


@dataclass(frozen=True)
class DistContext:
    """Where this process sits in a data-parallel job.

    Attributes
    ----------
    rank, world_size, local_rank
        As set by ``torchrun`` (RANK, WORLD_SIZE, LOCAL_RANK); 0, 1, 0 for one process.
    backend
        ``"gloo"`` or ``"nccl"`` once the process group is up, else None.
    """

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    backend: str | None = None

    @property
    def is_main(self) -> bool:
        """Rank 0: the only rank that writes files and reports progress."""
        return self.rank == 0

    @property
    def is_distributed(self) -> bool:
        """More than one process takes part."""
        return self.world_size > 1 and self.backend is not None


SINGLE = DistContext()


def launched_by_torchrun() -> bool:
    """Whether the environment describes a job of more than one process."""
    return int(os.environ.get("WORLD_SIZE", "1")) > 1


def backend_for(device: str) -> str:
    """nccl for CUDA devices, gloo for the CPU."""
    return "nccl" if device.startswith("cuda") else "gloo"


def init_distributed(device: str, timeout_s: float = DEFAULT_TIMEOUT_S) -> DistContext:
    """Join the process group described by torchrun's environment variables.

    Parameters
    ----------
    device
        The training device (``cpu`` or ``cuda``); CUDA ranks use GPU ``LOCAL_RANK``.
    timeout_s
        Bound on the rendezvous and on every collective.

    Returns
    -------
    DistContext
        :data:`SINGLE` when the environment describes one process.
    """
    if not launched_by_torchrun():
        return SINGLE
    rank, world = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
    local_rank = int(os.environ.get("LOCAL_RANK", rank))
    backend = backend_for(device)
    if backend == "nccl":
        if not torch.cuda.is_available():
            raise InputError("CUDA was requested but no GPU is available", expected="cpu", actual=device)
        # "cuda" then means this rank's own GPU everywhere (model, batches, collectives).
        torch.cuda.set_device(local_rank % torch.cuda.device_count())
    if not dist.is_initialized():
        dist.init_process_group(backend, rank=rank, world_size=world,
                                timeout=datetime.timedelta(seconds=timeout_s))
    return DistContext(rank=rank, world_size=world, local_rank=local_rank, backend=backend)


def shutdown(ctx: DistContext) -> None:
    """Leave the process group (no-op for a single process)."""
    if ctx.is_distributed and dist.is_initialized():
        dist.destroy_process_group()


def shard(n: int, ctx: DistContext) -> slice:
    """This rank's contiguous share of ``n`` items (sizes differ by at most one).

    Parameters
    ----------
    n
        Size of the global batch (or split).
    ctx
        The job.
    """
    base, extra = divmod(n, ctx.world_size)
    start = ctx.rank * base + min(ctx.rank, extra)
    return slice(start, start + base + (1 if ctx.rank < extra else 0))


def _collective_device(ctx: DistContext) -> torch.device:
    # nccl only reduces CUDA tensors; gloo reduces CPU tensors.
    return torch.device("cuda") if ctx.backend == "nccl" else torch.device("cpu")


def agree(ok: bool, ctx: DistContext) -> bool:
    """True only if ``ok`` is true on every rank (also a barrier)."""
    if not ctx.is_distributed:
        return ok
    flag = torch.tensor([1.0 if ok else 0.0], device=_collective_device(ctx))
    dist.all_reduce(flag, op=dist.ReduceOp.MIN)
    return bool(flag.item() > 0.5)


def any_rank(flag: bool, ctx: DistContext) -> bool:
    """True if ``flag`` is true on any rank (e.g. a cancel request seen by rank 0)."""
    return not agree(not flag, ctx)


def reduce_sums(sums: EpochSums, ctx: DistContext) -> EpochSums:
    """All ranks' epoch sums added up (float64 sums and counts, not averaged means)."""
    if not ctx.is_distributed:
        return sums
    values = torch.from_numpy(sums.values.copy()).to(_collective_device(ctx))
    dist.all_reduce(values)
    return EpochSums(values=values.cpu().numpy())


def empty_output(batch: Batch) -> StepOutput:
    """What a rank with no slices in this step reports (zero loss, nothing to count)."""
    nothing = torch.zeros(0, 2, device=batch.images.device)
    return StepOutput(loss=torch.zeros((), device=batch.images.device), logits=nothing,
                      scores=torch.zeros(0, dtype=torch.float64),
                      parts={"ce": 0.0, "guidance": 0.0, "total": 0.0})


def synced_train_step(model: torch.nn.Module, optimizer: torch.optim.Optimizer, batch: Batch,
                      guidance: GuidanceConfig, global_size: int, ctx: DistContext,
                      amp: bool = False, class_weights: torch.Tensor | None = None,
                      max_grad_norm: float = 0.0) -> StepOutput:
    """One optimiser step on the global batch, of which ``batch`` is this rank's share.

    The update equals one process stepping on all ``global_size`` slices: the local
    mean-loss gradient is weighted by the local count, summed over ranks by one
    all-reduce, and divided by ``global_size``.

    Raises
    ------
    NonFiniteLossError
        On every rank, before any update, when any rank's loss or the reduced gradient
        norm is NaN/inf.
    """
    optimizer.zero_grad(set_to_none=True)
    params = [p for p in model.parameters() if p.requires_grad]
    out, loss_ok = empty_output(batch), True
    if len(batch):
        out = compute_loss(model, batch, guidance, amp, class_weights)
        loss_ok = math.isfinite(out.parts["total"])
        if loss_ok:
            out.loss.backward()
    flat = torch.cat([(p.grad if p.grad is not None else torch.zeros_like(p)).reshape(-1) * len(batch)
                      for p in params] + [torch.tensor([0.0 if loss_ok else 1.0], dtype=params[0].dtype,
                                      device=params[0].device)])
    dist.all_reduce(flat)
    if flat[-1].item() > 0:
        raise NonFiniteLossError("loss", out.parts["total"] if not loss_ok else float("nan"))
    grads = flat[:-1] / global_size
    offset = 0
    for p in params:
        p.grad = grads[offset:offset + p.numel()].view_as(p).clone()
        offset += p.numel()
    norm = float(torch.linalg.vector_norm(grads))
    if not math.isfinite(norm):
        optimizer.zero_grad(set_to_none=True)
        raise NonFiniteLossError("gradient norm", norm)
    clip_gradients(params, norm, max_grad_norm)  # the global norm: the same on every rank
    optimizer.step()
    return StepOutput(loss=out.loss.detach(), logits=out.logits, scores=out.scores, parts=out.parts)


def split_rows(n: int, ctx: DistContext) -> np.ndarray:
    """Rows ``0..n-1`` that this rank evaluates (its contiguous share)."""
    return np.arange(n)[shard(n, ctx)]
