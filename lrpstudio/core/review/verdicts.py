"""What the reviewer decided: the review queue's state per entry, and artefact regions per case.

Both live in the workspace of the data (every path checked by
:meth:`~lrpstudio.core.data.workspace.Workspace.contain`, every write atomic)::

    <workspace>/review/queue_state.json           per run name, per queue entry key
                                                  ("<case_id>:<z>"): state, verdict, time
    <workspace>/review/artefacts/<case_id>.npz    the case's artefact region (3D voxels)
    <workspace>/review/artefacts/<case_id>.json   which slice, source and time each part came from

A verdict is one of :data:`VERDICTS`: "add to mask" (the component becomes an edit of the
mask, see :func:`lrpstudio.app.verdicts.add_to_mask`), "artefact" (the component joins
the case's artefact region, which training can treat as a forbidden region) or "fine".
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from lrpstudio.core.data.artefacts import (
    ArtefactRegionError, artefact_path, artefacts_dir, read_artefact, write_artefact,
)
from lrpstudio.core.data.workspace import Workspace, utc_now, write_json
from lrpstudio.core.errors import InputError

__all__ = ["VERDICTS", "STATES", "EntryState", "QueueStateStore", "ArtefactStore",
           "ArtefactRegionError"]

VERDICTS: tuple[str, ...] = ("add to mask", "artefact", "fine")
STATES: tuple[str, ...] = ("open", "done", "skipped")
QUEUE_STATE_FILE = Path("review") / "queue_state.json"
_FORMAT = 1


@dataclass(frozen=True)
class EntryState:
    """The state of one queue entry: ``state`` in :data:`STATES`, a verdict or None, when (UTC)."""

    state: str
    verdict: str | None
    when: str


OPEN = EntryState("open", None, "")


def _read_object(path: Path, what: str) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InputError(f"cannot read the {what} ({error})", path) from error
    if not isinstance(data, dict):
        raise InputError(f"the {what} is not a JSON object", path, expected="object",
                         actual=type(data).__name__)
    return data


def _entry(value: Any, path: Path, where: str) -> EntryState:
    """One stored entry, checked: a damaged one names the file and the entry."""
    if (not isinstance(value, dict) or value.get("state") not in STATES
            or value.get("verdict") not in VERDICTS + (None,)):
        raise InputError(f"damaged review queue entry {where}", path,
                         expected=f"state in {STATES}, verdict in {VERDICTS} or null",
                         actual=str(value)[:60])
    return EntryState(str(value["state"]), value.get("verdict"), str(value.get("when", "")))


class QueueStateStore:
    """Review-queue state per run and entry key, in ``<workspace>/review/queue_state.json``.

    Parameters
    ----------
    workspace
        The data's workspace.
    """

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self.path = Path(workspace.root) / QUEUE_STATE_FILE

    def _runs(self) -> dict[str, Any]:
        if not self.path.is_file():
            return {}
        runs = _read_object(self.workspace.contain(self.path), "review queue state").get("runs", {})
        if not isinstance(runs, dict):
            raise InputError("damaged review queue state", self.path, expected="runs: object",
                             actual=type(runs).__name__)
        return runs

    def all(self, run: str) -> dict[str, EntryState]:
        """Every recorded entry of ``run`` (entries not listed are open)."""
        entries = self._runs().get(run, {})
        if not isinstance(entries, dict):
            raise InputError(f"damaged review queue state of run {run!r}", self.path,
                             expected="object", actual=type(entries).__name__)
        return {str(key): _entry(value, self.path, f"{run}/{key}") for key, value in entries.items()}

    def get(self, run: str, key: str) -> EntryState:
        """The state of entry ``key`` of ``run`` (``open``, no verdict, when none is recorded)."""
        return self.all(run).get(key, OPEN)

    def set(self, run: str, key: str, state: str, verdict: str | None = None) -> EntryState:
        """Record ``state`` (and ``verdict``) for entry ``key`` of ``run``; returns what was stored.

        Raises
        ------
        InputError
            An unknown state or verdict, or a damaged state file (never overwritten).
        """
        if state not in STATES:
            raise InputError("unknown review state", self.path, expected=", ".join(STATES), actual=state)
        if verdict is not None and verdict not in VERDICTS:
            raise InputError("unknown verdict", self.path, expected=", ".join(VERDICTS), actual=verdict)
        runs = self._runs()
        self.all(run)  # a damaged entry of this run is reported, not overwritten
        entry = EntryState(state, verdict, utc_now())
        runs.setdefault(run, {})[str(key)] = {"state": entry.state, "verdict": entry.verdict,
                                              "when": entry.when}
        write_json(self.workspace.contain(self.path),
                   {"format": _FORMAT, "updated_utc": entry.when, "runs": runs})
        return entry

    def rename_run(self, old: str, new: str) -> bool:
        """Move the recorded entries of run ``old`` to ``new`` (a renamed run folder keeps its
        review); False when ``old`` had none. Entries already under ``new`` are kept."""
        runs = self._runs()
        if old not in runs:
            return False
        moved = runs.pop(old)
        if isinstance(moved, dict) and isinstance(runs.get(new), dict):
            moved = {**moved, **runs[new]}
        runs[new] = moved
        write_json(self.workspace.contain(self.path),
                   {"format": _FORMAT, "updated_utc": utc_now(), "runs": runs})
        return True


class ArtefactStore:
    """Artefact regions per case: 3D boolean masks in the case's voxel grid.

    Parameters
    ----------
    workspace
        The data's workspace.
    """

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace

    def path(self, case_id: str) -> Path:
        """The region file of ``case_id`` (checked to stay inside the workspace)."""
        return self.workspace.contain(artefact_path(self.workspace, case_id))

    def _index_path(self, case_id: str) -> Path:
        return self.workspace.contain(self.path(case_id).with_suffix(".json"))

    def mask(self, case_id: str) -> np.ndarray | None:
        """The case's region as a 3D bool array, or None when it has none.

        Raises
        ------
        ArtefactRegionError
            The case's file is damaged (other cases are not affected).
        """
        path = self.path(case_id)
        return read_artefact(path) if path.is_file() else None

    def add(self, case_id: str, z: int, plane_mask: np.ndarray, shape: tuple[int, int, int],
            source: str) -> int:
        """Add the voxels of ``plane_mask`` (I, J) at axial slice ``z`` to the case's region.

        Parameters
        ----------
        case_id
            The case.
        z
            Axial slice index (third voxel axis).
        plane_mask
            Boolean (I, J) = (X, Y) mask of that slice.
        shape
            The case's voxel grid (X, Y, Z); an existing region on another grid is refused.
        source
            Where the region came from (e.g. the run's name), recorded in the index.

        Returns
        -------
        int
            The number of voxels the case's region holds now.
        """
        shape = (int(shape[0]), int(shape[1]), int(shape[2]))
        plane = np.asarray(plane_mask, dtype=bool)
        path = self.path(case_id)
        if plane.shape != shape[:2] or not 0 <= int(z) < shape[2]:
            raise ArtefactRegionError("the marked region does not fit the case's voxel grid", path,
                                      expected=f"{shape[:2]} at 0 <= z < {shape[2]}",
                                      actual=f"{plane.shape} at z = {z}")
        current = read_artefact(path, shape) if path.is_file() else np.zeros(shape, dtype=bool)
        added = int((plane & ~current[:, :, int(z)]).sum())
        current[:, :, int(z)] |= plane
        voxels = write_artefact(path, current)
        self._log(case_id, {"z": int(z), "source": str(source), "when": utc_now(), "voxels": added})
        return voxels

    def _log(self, case_id: str, part: dict[str, Any]) -> None:
        index = self._index_path(case_id)
        parts: list[Any] = []
        if index.is_file():
            try:
                parts = list(_read_object(index, "artefact index").get("parts", []))
            except InputError:
                parts = []  # the index is a record only; the region itself is in the .npz
        write_json(index, {"format": _FORMAT, "case": case_id, "parts": parts + [part]})

    def parts(self, case_id: str) -> list[dict[str, Any]]:
        """Where the case's region came from: ``{"z", "source", "when", "voxels"}`` per addition."""
        index = self._index_path(case_id)
        if not index.is_file():
            return []
        return [dict(p) for p in _read_object(index, "artefact index").get("parts", [])
                if isinstance(p, dict)]

    def cases(self) -> list[str]:
        """Ids of the cases with a region, sorted."""
        folder = artefacts_dir(self.workspace)
        return sorted(p.stem for p in folder.glob("*.npz")) if folder.is_dir() else []

    def clear(self, case_id: str) -> None:
        """Remove the case's region and its index."""
        self.path(case_id).unlink(missing_ok=True)
        self._index_path(case_id).unlink(missing_ok=True)
