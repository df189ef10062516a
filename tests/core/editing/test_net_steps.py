"""The steps a recovery journal offers to restore are net steps, not journaled actions."""

from __future__ import annotations

import struct

from lrpstudio.core.editing.journal import net_steps


def _c(serial: int) -> tuple[bytes, bytes]:
    return b"C", struct.pack("<q", serial) + b"paint"


def _u(serial: int) -> tuple[bytes, bytes]:
    return b"U", struct.pack("<q", serial)


def _r(serial: int) -> tuple[bytes, bytes]:
    return b"R", struct.pack("<q", serial)


P = (b"P", b"")


def test_net_steps_follow_the_undo_stack() -> None:
    assert net_steps([P, _c(1), _u(1), P, _c(2), _u(2)]) == 0  # paint, undo, fill, undo
    assert net_steps([P, _c(1), P, _c(2), _u(2)]) == 1
    assert net_steps([P, _c(1), _u(1), _r(1)]) == 1
    assert net_steps([P, _c(1), _u(1), P, _c(2)]) == 1  # the undone step cannot come back
    assert net_steps([_u(7)]) == 1  # undo of a step saved before the journal: the mask differs
    assert net_steps([P, _c(1), P]) == 2  # a stroke cut short counts
