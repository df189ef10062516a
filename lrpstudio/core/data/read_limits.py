"""Bounds on what reading a volume may cost, and checks of the geometry a file states.

A header is only a claim: a 2.5 MB file can say it holds 1150^3 int16 voxels (3 GB), a
3 MB gzip bomb can inflate to 3 GB. Readers therefore work out a volume's memory cost
from its header *before* allocating anything, refuse one above :func:`read_limit`, and
take the bytes from :data:`BUDGET` while they read, so that threads reading several
files at once stay under the limit together. The limit is one number (default
:data:`DEFAULT_LIMIT_MB`, or the ``LRPSTUDIO_READ_LIMIT_MB`` environment variable):
one volume, one case (:func:`case_cost_problem`) and all reads in flight stay under it,
which keeps a reading process below 1 GB for any input.
"""

from __future__ import annotations

import os
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import numpy as np

from lrpstudio.core.errors import VolumeReadError

DEFAULT_LIMIT_MB = 640
LIMIT_ENV = "LRPSTUDIO_READ_LIMIT_MB"
_MIB = 1 << 20
#: Voxel axis lengths below this (mm) or condition numbers above the next one mean the
#: affine cannot map voxels to space (a zero or degenerate matrix).
_MIN_SINGULAR = 1e-6
_MAX_CONDITION = 1e6


def read_limit() -> int:
    """The most bytes one read (and all reads in flight together) may take."""
    text = os.environ.get(LIMIT_ENV, "")
    try:
        megabytes = float(text) if text.strip() else DEFAULT_LIMIT_MB
    except ValueError:
        megabytes = DEFAULT_LIMIT_MB
    if not 0 < megabytes < 1e9:  # unusable (0, negative, NaN): the default, not "nothing"
        megabytes = DEFAULT_LIMIT_MB
    return int(megabytes * _MIB)


def mib(n_bytes: int) -> str:
    """``n_bytes`` in MiB for messages (one decimal below 10 MiB)."""
    value = n_bytes / _MIB
    return f"{value:.1f} MiB" if value < 10 else f"{value:,.0f} MiB"


def check_cost(cost: int, path: Path) -> None:
    """Refuse a volume whose reading would take more than :func:`read_limit` bytes."""
    limit = read_limit()
    if cost > limit:
        raise VolumeReadError(
            f"needs {mib(cost)} of memory to read, more than the limit of {mib(limit)} "
            f"(a wrong header or a very large image; {LIMIT_ENV} raises the limit)", path,
        )


def case_cost_problem(costs: dict[str, int]) -> str | None:
    """The problem of a case whose files together cost more than the limit, else None."""
    total, limit = sum(costs.values()), read_limit()
    if total <= limit:
        return None
    return (f"its files need {mib(total)} of memory to read together, more than the limit of "
            f"{mib(limit)} ({LIMIT_ENV} raises the limit)")


class ByteBudget:
    """Bytes that reads in flight may hold together; a read waits until its bytes are free.

    A read asking for more than the whole budget (only possible after the limit was
    lowered) waits until it is alone, so it can never wait for ever. Inside
    :meth:`session` a thread's reads keep their bytes until the session ends: the
    checks that follow a read (NaN scan, label mapping) are then covered too.
    """

    def __init__(self) -> None:
        self._used = 0
        self._changed = threading.Condition()
        self._local = threading.local()

    def _acquire(self, n_bytes: int) -> None:
        with self._changed:
            self._changed.wait_for(lambda: self._used == 0 or self._used + n_bytes <= read_limit())
            self._used += n_bytes

    def _release(self, n_bytes: int) -> None:
        with self._changed:
            self._used -= n_bytes
            self._changed.notify_all()

    @contextmanager
    def hold(self, n_bytes: int) -> Iterator[None]:
        """Hold ``n_bytes`` for the ``with`` block (or until the thread's session ends)."""
        session: list[int] | None = getattr(self._local, "session", None)
        self._acquire(n_bytes)
        if session is not None:
            session.append(n_bytes)
            yield
            return
        try:
            yield
        finally:
            self._release(n_bytes)

    @contextmanager
    def session(self) -> Iterator[None]:
        """Keep what this thread's reads hold until the block ends (one read per session:
        a session never waits while it holds bytes)."""
        held: list[int] = []
        self._local.session = held
        try:
            yield
        finally:
            self._local.session = None
            self._release(sum(held))

    @property
    def used(self) -> int:
        """Bytes held now (for tests)."""
        return self._used


#: The process's budget: every volume read holds its cost here while it runs.
BUDGET = ByteBudget()


def affine_problem(affine: np.ndarray) -> str | None:
    """Why ``affine`` cannot map voxels to space, as words after "the affine"
    (non-finite, singular), or None when it can."""
    affine = np.asarray(affine, dtype=np.float64)
    if affine.shape != (4, 4):
        return f"is {affine.shape}, not 4x4"
    if not np.isfinite(affine).all():
        return "holds NaN or infinite values"
    singular = np.linalg.svd(affine[:3, :3], compute_uv=False)
    if singular[-1] < _MIN_SINGULAR or singular[0] / singular[-1] > _MAX_CONDITION:
        return "is singular (zero or degenerate voxel axes)"
    return None
