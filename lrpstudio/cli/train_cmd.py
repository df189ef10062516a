"""``lrpstudio train DATA_OR_DATASET --out RUN``: train a classifier, plain CE or LRPLoss.

Also home of the helpers the other model commands share: resolving DATA_OR_DATASET,
and the progress bars driven by the engine's callbacks.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any, Iterator

from lrpstudio.app.datasets import PrepareConfig, SliceDataset, open_slices
from lrpstudio.app.options import guidance_kind
from lrpstudio.app.run_info import recorded_preparation, train_config
from lrpstudio.app.training import outcome, resume_config
from lrpstudio.cli.progress import progress_bar, progress_callback
from lrpstudio.core.errors import InputError
from lrpstudio.core.train.augment import AugmentConfig
from lrpstudio.core.train.config import BEST_METRICS, CLASS_BALANCE, TrainConfig
from lrpstudio.core.train.control import TrainControl
from lrpstudio.core.train.distributed import DistContext, agree, init_distributed, shutdown
from lrpstudio.core.train.engine import TrainCallbacks, fit
from lrpstudio.core.train.schedule import LR_SCHEDULES
from lrpstudio.core.xai.guidance import LOSS_FORMS, GuidanceConfig, GuidanceKind
from lrpstudio.core.xai.relevance import SEEDS

_EXAMPLES = """\
DATA_OR_DATASET is a prepared slice dataset (`lrpstudio prepare`) or a BraTS folder
(prepared on the fly with default settings into its workspace, with the masks corrected
there in the desktop app, and reused; --resume rebuilds the run's recorded preparation).
--penalty 0 is plain cross-entropy; p > 0 is LRPLoss: CE + p * (1 - S) by default
(--form additive), or the paper's CE / S**p (--form ratio), S = TumorLRPScore. By
default the first 2 epochs are plain CE (warm start), each slice's CE is weighted by its
grade's inverse frequency, gradients are clipped at norm 1, and best.pt is the epoch
with the lowest validation loss of this objective, never one that predicts one grade
for >= 95 % of the validation slices.
The run folder gets config.json, metrics.csv, events.jsonl, checkpoints/ (last.pt
every epoch, best.pt by validation) and heatmaps/ of pinned validation slices.
Ctrl-C stops after the current batch; `--resume RUN` continues from the last epoch.

examples:
  lrpstudio train ~/datasets/brats19 --out runs/ce --penalty 0 --epochs 20
  lrpstudio train ~/datasets/brats19 --out runs/p2 --penalty 2 --seed 1
  lrpstudio train demo/ --out runs/rrr --guidance rrr --epochs 5 --device cuda
  lrpstudio train ~/datasets/brats19 --resume runs/p2 --epochs 30

data-parallel (torchrun; --batch-size is the global batch, only rank 0 writes RUN;
gloo on the CPU, nccl with --device cuda; resume with any number of processes):
  torchrun --nproc_per_node 2 -m lrpstudio train demo/ --out runs/ddp --epochs 5
  torchrun --nnodes 2 --node_rank 0 --rdzv_endpoint HOST:29500 --nproc_per_node 4 \\
      -m lrpstudio train ~/datasets/brats19 --out runs/big --device cuda
"""


def add_data_options(parser: argparse.ArgumentParser) -> None:
    """Options used when DATA is a BraTS folder that must be prepared first."""
    group = parser.add_argument_group("when DATA is a BraTS folder")
    group.add_argument("--size", type=int, default=None, metavar="PX",
                       help="slice size for preparing (default: prepare's default, 128)")
    group.add_argument("--grades", type=Path, default=None, metavar="FILE",
                       help="grade table CSV (case,grade) for releases without grades")


def preparation(args: argparse.Namespace) -> PrepareConfig | None:
    """How to prepare a BraTS folder: a run's recorded preparation with ``--resume`` (as the
    desktop app does), else ``--size`` / ``--grades`` over the defaults (None: the defaults)."""
    resume = getattr(args, "resume", None)
    recorded = recorded_preparation(resume) if resume is not None else None
    if recorded is not None:
        return recorded
    values: dict[str, Any] = {}
    if getattr(args, "size", None):
        values["image_size"] = args.size
    if getattr(args, "grades", None):
        values["grades"] = str(args.grades)
    return PrepareConfig(**values) if values else None


def load_data(path: Path, args: argparse.Namespace, quiet: bool = False) -> SliceDataset:
    """Resolve DATA_OR_DATASET: load a prepared dataset or prepare a BraTS folder into the
    workspace the app's one rule names (where the desktop app saves corrected masks)."""
    with progress_bar("preparing data", disable=quiet) as bar:
        return open_slices(path, preparation(args), progress=progress_callback(bar))


@contextmanager
def stop_on_ctrl_c(control: TrainControl) -> Iterator[None]:
    """First Ctrl-C cancels ``control`` (stop after the batch); a second one interrupts."""
    def handler(signum: int, frame: Any) -> None:
        if control.cancelled:
            raise KeyboardInterrupt
        print("\nstopping after the current batch (Ctrl-C again to abort)...", file=sys.stderr)
        control.cancel()

    try:
        previous = signal.signal(signal.SIGINT, handler)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def bar_callbacks(label: str, quiet: bool = False) -> tuple[TrainCallbacks, Any]:
    """Engine callbacks that drive one progress bar per epoch and print each epoch's line."""
    bar = progress_bar(label, disable=quiet)

    def on_epoch_start(epoch: int, epochs: int) -> None:
        bar.reset()
        bar.set_description(f"{label} epoch {epoch}/{epochs}")

    def on_batch(step: int, parts: dict[str, float]) -> None:
        bar.total = int(parts["batches"])
        bar.n = int(parts["batch"])
        bar.set_postfix_str(f"loss {parts['total']:.4f}", refresh=False)
        bar.refresh()

    def on_log(message: str) -> None:
        if not quiet:
            bar.write(message, file=sys.stderr)

    return TrainCallbacks(on_epoch_start=on_epoch_start, on_batch=on_batch, on_log=on_log), bar


def add_training_options(parser: argparse.ArgumentParser) -> None:
    """Options shared by ``train`` and ``experiment``."""
    d = TrainConfig()
    g = parser.add_argument_group("training")
    g.add_argument("--model", default=d.model, help=f"network name (default {d.model})")
    g.add_argument("--composite", default=d.guidance.composite,
                   help=f"LRP composite for the loss and heatmaps (default {d.guidance.composite})")
    g.add_argument("--normalized", action="store_true", help="area-normalised TumorLRPScore")
    g.add_argument("--score-gradient", choices=("full", "detached"), default=d.guidance.score_gradient,
                   help="'detached' reproduces the authors' code (score only rescales the step)")
    g.add_argument("--clamp", type=float, default=d.guidance.clamp,
                   help=f"lower bound of the score S inside LRPLoss (default {d.guidance.clamp:g}); "
                   "each slice's weight 1/S**p is at most clamp**-p")
    g.add_argument("--epochs", type=int, default=None,
                   help=f"epochs (default {d.epochs}; with --resume: the run's, or more to extend it)")
    g.add_argument("--batch-size", type=int, default=d.batch_size, help=f"default {d.batch_size}")
    g.add_argument("--lr", type=float, default=d.lr, help=f"Adam learning rate (default {d.lr:g})")
    g.add_argument("--weight-decay", type=float, default=d.weight_decay, help="Adam weight decay")
    g.add_argument("--rotation", type=float, default=d.augmentation.rotation, metavar="DEG",
                   help=f"largest random rotation (default {d.augmentation.rotation:g}; 0 = off)")
    g.add_argument("--no-flip", action="store_true", help="no random horizontal/vertical flips")
    g.add_argument("--seed", type=int, default=d.seed, help=f"seed of everything (default {d.seed})")
    g.add_argument("--device", default=None, help="cpu, cuda or cuda:N (default cpu; with --resume: the run's)")
    g.add_argument("--amp", choices=("none", "bf16"), default="none",
                   help="bf16 autocast for the training forward on CUDA (default none; loss in float32)")
    g.add_argument("--pinned", type=int, default=d.pinned, help="validation slices explained per epoch")
    g.add_argument("--best", choices=tuple(BEST_METRICS), default=d.best_metric,
                   help=f"validation metric choosing best.pt (default {d.best_metric})")
    r = parser.add_argument_group("guidance recipe")
    r.add_argument("--form", choices=LOSS_FORMS, default=d.guidance.form,
                   help="ratio = CE / S**p (the paper), additive = CE + p * (1 - S) "
                        f"(ISNet-style; default {d.guidance.form})")
    r.add_argument("--seed-relevance", choices=SEEDS, default=d.guidance.seed, dest="relevance_seed",
                   help="relevance behind S: label = the true-label logit (the paper), contrast "
                        f"= its margin over the other class (default {d.guidance.seed})")
    r.add_argument("--class-balance", choices=CLASS_BALANCE, default=d.class_balance,
                   help=f"weight each slice's CE by its class's inverse frequency (default {d.class_balance})")
    r.add_argument("--warmup-epochs", type=int, default=d.warmup_epochs, metavar="N",
                   help=f"plain-CE epochs before the guidance starts (default {d.warmup_epochs})")
    r.add_argument("--warmup-min-accuracy", type=float, default=d.warmup_min_accuracy, metavar="A",
                   help="after the warm-up epochs, stay on plain CE until an epoch's training balanced "
                        f"accuracy reaches A, for at most half the run (default {d.warmup_min_accuracy:g}; "
                        "0 = a fixed warm-up)")
    r.add_argument("--ramp-epochs", type=int, default=d.ramp_epochs, metavar="N",
                   help=f"epochs over which the guidance weight rises to full (default {d.ramp_epochs})")
    r.add_argument("--max-grad-norm", type=float, default=d.max_grad_norm, metavar="G",
                   help=f"clip each step's gradient norm (default {d.max_grad_norm:g}; 0 = off)")
    r.add_argument("--lr-schedule", choices=LR_SCHEDULES, default=d.lr_schedule,
                   help=f"learning-rate schedule (default {d.lr_schedule})")
    r.add_argument("--patience", type=int, default=d.patience, metavar="N",
                   help="stop when the best-epoch metric has not improved for N epochs (default 0 = off)")
    r.add_argument("--forbidden-weight", type=float, default=d.forbidden_weight, metavar="W",
                   help="artefact penalty: add W x the share of each slice's positive relevance inside "
                        "its case's artefact region (marked in the review; RRR: an input-gradient "
                        f"penalty there) to its loss (default {d.forbidden_weight:g} = off)")


def training_config(args: argparse.Namespace, kind: GuidanceKind, penalty: float) -> TrainConfig:
    """A TrainConfig from parsed options."""
    guidance = replace(GuidanceConfig(), kind=kind, penalty=float(penalty), composite=args.composite,
                       normalized=bool(args.normalized), score_gradient=args.score_gradient,
                       clamp=float(args.clamp), form=args.form, seed=args.relevance_seed)
    flips = not args.no_flip
    return TrainConfig(
        model=args.model, guidance=guidance, epochs=args.epochs or TrainConfig().epochs,
        batch_size=args.batch_size,
        lr=args.lr, weight_decay=args.weight_decay,
        augmentation=AugmentConfig(rotation=args.rotation, hflip=flips, vflip=flips),
        seed=args.seed, device=args.device or "cpu", pinned=args.pinned, best_metric=args.best,
        amp=getattr(args, "amp", "none") == "bf16", class_balance=args.class_balance,
        warmup_epochs=args.warmup_epochs, warmup_min_accuracy=args.warmup_min_accuracy,
        ramp_epochs=args.ramp_epochs,
        max_grad_norm=args.max_grad_norm, lr_schedule=args.lr_schedule, patience=args.patience,
        forbidden_weight=args.forbidden_weight)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``train`` sub-command."""
    parser = subparsers.add_parser(
        "train", help="train a glioma-grade classifier (plain CE, LRPLoss or RRR)",
        description="Train a glioma-grade classifier (LGG vs HGG) on a slice dataset.",
        epilog=_EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data", type=Path, metavar="DATA_OR_DATASET")
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--out", type=Path, metavar="RUN", help="new run folder")
    where.add_argument("--resume", type=Path, metavar="RUN", help="continue this run from its last epoch")
    parser.add_argument("--penalty", type=float, default=1.0, metavar="P",
                        help="guidance strength p: the weight of 1 - S (additive form) or the "
                             "power of S (ratio form); default 1, 0 = plain cross-entropy")
    parser.add_argument("--guidance", choices=("lrp", "rrr", "none"), default=None,
                        help="guidance loss (default lrp; lrp with p = 0 is none, plain CE)")
    parser.add_argument("--rrr-weight", type=float, default=None, help="weight of the RRR penalty")
    add_training_options(parser)
    add_data_options(parser)
    parser.add_argument("--json", action="store_true", help="print the result as JSON on stdout")
    parser.set_defaults(handler=run)


def _config(args: argparse.Namespace) -> TrainConfig:
    if args.resume is not None:
        return resume_config(train_config(args.resume), args.epochs, args.device)
    kind = guidance_kind(args.guidance or "lrp", args.penalty)
    config = training_config(args, kind, args.penalty)
    if args.rrr_weight is not None:
        config = replace(config, guidance=replace(config.guidance, rrr_weight=args.rrr_weight))
    return config


@contextmanager
def process_group(device: str) -> Iterator[DistContext]:
    """The torchrun job this process belongs to (a single process when not launched
    by torchrun); the group is left on exit."""
    ctx = init_distributed(device)
    try:
        yield ctx
    finally:
        shutdown(ctx)


def load_data_once(path: Path, args: argparse.Namespace, ctx: DistContext, quiet: bool) -> SliceDataset:
    """Rank 0 loads (and if needed prepares) the data first; the others then read it."""
    if ctx.is_main:
        try:
            dataset = load_data(path, args, quiet=quiet)
        except BaseException:
            agree(False, ctx)
            raise
        agree(True, ctx)
        return dataset
    if not agree(True, ctx):
        raise InputError("rank 0 could not load the data (see its error)", path)
    return load_data(path, args, quiet=True)


def distributed_config(config: TrainConfig, ctx: DistContext) -> TrainConfig:
    """Under nccl every rank trains on its own GPU (set by init): plain ``cuda``."""
    return replace(config, device="cuda") if ctx.backend == "nccl" else config


def run(args: argparse.Namespace) -> int:
    """Train; exit 0 when finished, 130 when stopped by Ctrl-C (last epoch kept)."""
    config = _config(args)
    with process_group(config.device) as ctx:
        config = distributed_config(config, ctx)
        quiet = args.json or not ctx.is_main
        dataset = load_data_once(args.data, args, ctx, quiet)
        run_dir = args.resume if args.resume is not None else args.out
        control = TrainControl()
        callbacks, bar = bar_callbacks("train", quiet=quiet)
        with bar, stop_on_ctrl_c(control):
            result = fit(config, dataset, callbacks, control, run_dir, resume=args.resume is not None,
                         dist=ctx)
    if not ctx.is_main:
        return 0 if result.status == "finished" else 130
    summary = outcome(result)
    collapse = summary["collapse"]
    if args.json:
        print(json.dumps(summary, indent=2, default=float))
    else:
        print(f"{result.status}: {result.epochs_done} epochs in {result.run_dir} "
              f"(best epoch {result.best_epoch}: checkpoints/best.pt)")
        if collapse:
            print(f"warning: the best epoch's model {collapse}; it does not tell the grades apart")
    return 0 if result.status == "finished" else 130
