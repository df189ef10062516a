"""Undo/redo history of committed edit steps, volume-wide (it survives slice changes).

Each step stores only its changed voxels (:class:`Change`). The history keeps at most
``max_steps`` undoable steps; the oldest fall off the bottom. Every step has a serial
number that is never reused, which lets the session tell whether the current state is
the saved one (dirty flag) even after undo, redo and trimming.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from .change import Box, Change

#: Default number of undo steps (the requirement is at least 100).
DEFAULT_MAX_STEPS = 200


@dataclass(frozen=True)
class Step:
    """One undoable user action (a whole brush stroke, one fill, one interpolation...)."""

    serial: int
    name: str
    change: Change
    box: Box | None


class History:
    """Undo and redo stacks of :class:`Step` (no array work: the session applies changes).

    Parameters
    ----------
    max_steps
        Undoable steps kept; must be >= 1.
    """

    def __init__(self, max_steps: int = DEFAULT_MAX_STEPS) -> None:
        if max_steps < 1:
            raise ValueError(f"max_steps must be >= 1, got {max_steps}")
        self._max_steps = max_steps
        self._undo: deque[Step] = deque()
        self._redo: list[Step] = []
        self._next_serial = 1
        # Serial of the newest step that fell off the bottom: the state *below* the stack.
        self._floor_serial = 0

    @property
    def max_steps(self) -> int:
        """Maximum number of undoable steps."""
        return self._max_steps

    def next_serial(self) -> int:
        """The serial the next pushed step will get."""
        return self._next_serial

    def push(self, name: str, change: Change, box: Box | None, serial: int | None = None) -> Step:
        """Record a committed step; clears the redo stack. ``serial`` is given only on replay."""
        if serial is None:
            serial = self._next_serial
        self._next_serial = max(self._next_serial, serial + 1)
        step = Step(serial, name, change, box)
        self._undo.append(step)
        self._redo.clear()
        while len(self._undo) > self._max_steps:
            self._floor_serial = self._undo.popleft().serial
        return step

    def pop_undo(self) -> Step | None:
        """Move the newest step to the redo stack and return it (None when nothing to undo)."""
        if not self._undo:
            return None
        step = self._undo.pop()
        self._redo.append(step)
        return step

    def pop_redo(self) -> Step | None:
        """Move the newest undone step back and return it (None when nothing to redo)."""
        if not self._redo:
            return None
        step = self._redo.pop()
        self._undo.append(step)
        return step

    def peek_undo(self) -> Step | None:
        """The step undo would revert, without moving it."""
        return self._undo[-1] if self._undo else None

    def peek_redo(self) -> Step | None:
        """The step redo would re-apply, without moving it."""
        return self._redo[-1] if self._redo else None

    def state_serial(self) -> int:
        """Serial identifying the current state: the newest applied step (or what lies below)."""
        return self._undo[-1].serial if self._undo else self._floor_serial

    def can_undo(self) -> bool:
        """Whether there is a step to undo."""
        return bool(self._undo)

    def can_redo(self) -> bool:
        """Whether there is a step to redo."""
        return bool(self._redo)

    def undo_name(self) -> str | None:
        """Name of the step undo would revert (for an "Undo paint" menu entry)."""
        return self._undo[-1].name if self._undo else None

    def redo_name(self) -> str | None:
        """Name of the step redo would re-apply."""
        return self._redo[-1].name if self._redo else None

    def __len__(self) -> int:
        return len(self._undo)

    def nbytes(self) -> int:
        """Memory held by the stored changes (undo and redo)."""
        return sum(s.change.nbytes() for s in self._undo) + sum(s.change.nbytes() for s in self._redo)
