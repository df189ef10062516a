"""Saving and loading checkpoints: atomic writes, ``weights_only`` loads.

A checkpoint is a plain dict of tensors, numbers, strings, lists and dicts (model and
optimizer state, epoch, RNG states as tensors, the run's config, metrics), so that it
loads with ``torch.load(weights_only=True)``: loading never executes code from the file.
"""

from __future__ import annotations

import pickle
import zipfile
from pathlib import Path
from typing import Any

import torch

from lrpstudio.core.atomic import atomic_write
from lrpstudio.core.errors import CheckpointError


def save_checkpoint(path: str | Path, payload: dict[str, Any]) -> Path:
    """Write ``payload`` to ``path`` atomically (a crash leaves the previous file intact).

    Parameters
    ----------
    path
        Target file; its folder must exist.
    payload
        Only tensors, primitives, lists and dicts (checked by loading rules on read).
    """
    return atomic_write(path, lambda handle: torch.save(payload, handle))


def load_checkpoint(path: str | Path, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Load a checkpoint with ``weights_only=True``.

    Raises
    ------
    CheckpointError
        When the file is missing, truncated, or holds anything but plain data.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError("checkpoint not found", path)
    try:
        payload = torch.load(path, map_location=map_location, weights_only=True)
    except (RuntimeError, OSError, EOFError, pickle.UnpicklingError, zipfile.BadZipFile) as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise CheckpointError(f"cannot load checkpoint: {first}", path) from error
    if not isinstance(payload, dict):
        raise CheckpointError("not an lrpstudio checkpoint", path,
                              expected="dict", actual=type(payload).__name__)
    return payload
