"""Slices the user pinned in the viewer, kept per workspace.

The pins are ``(case_id, slice_index)`` pairs in ``<workspace>/pinned_slices.json``
(written atomically); the next training run explains them first in its Fig. 7 view
(see :attr:`lrpstudio.core.train.config.TrainConfig.pinned_slices`).
"""

from __future__ import annotations

import json
from pathlib import Path

from lrpstudio.core.atomic import atomic_write_text
from lrpstudio.core.errors import InputError

PINS_FILE = "pinned_slices.json"

Pin = tuple[str, int]


def pins_path(workspace_root: str | Path) -> Path:
    """The pin file of a workspace."""
    return Path(workspace_root) / PINS_FILE


def read_pins(workspace_root: str | Path) -> tuple[Pin, ...]:
    """The workspace's pins in the order they were added (none when there is no file)."""
    path = pins_path(workspace_root)
    if not path.is_file():
        return ()
    try:
        record = json.loads(path.read_text())
        return tuple((str(p["case"]), int(p["slice"])) for p in record.get("pins", []))
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        raise InputError(f"unreadable pin list ({error}); fix or delete it", path) from error


def write_pins(workspace_root: str | Path, pins: tuple[Pin, ...]) -> Path:
    """Replace the workspace's pins (atomically)."""
    record = {"pins": [{"case": str(c), "slice": int(z)} for c, z in pins]}
    return atomic_write_text(pins_path(workspace_root), json.dumps(record, indent=2) + "\n")


def add_pin(workspace_root: str | Path, case_id: str, slice_index: int) -> bool:
    """Pin one slice; False when it was already pinned (the file is then unchanged)."""
    pins = read_pins(workspace_root)
    pin = (str(case_id), int(slice_index))
    if pin in pins:
        return False
    write_pins(workspace_root, pins + (pin,))
    return True


def remove_pin(workspace_root: str | Path, case_id: str, slice_index: int) -> bool:
    """Unpin one slice; False when it was not pinned."""
    pins = read_pins(workspace_root)
    pin = (str(case_id), int(slice_index))
    if pin not in pins:
        return False
    write_pins(workspace_root, tuple(p for p in pins if p != pin))
    return True
