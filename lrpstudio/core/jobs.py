"""Conventions shared by every long job of the core: progress callbacks and cancel tokens.

A long job takes ``progress(done, total, message)`` and a ``cancel`` token. The token may
be anything a front end has at hand: a :class:`~lrpstudio.core.train.control.TrainControl`
or another object with a ``cancelled`` flag, a :class:`threading.Event`, or a function
returning True when the job should stop. :func:`is_cancelled` reads all of them, so each
job polls the same way.
"""

from __future__ import annotations

from typing import Any, Callable

#: A cancel token of any of the kinds :func:`is_cancelled` reads.
Cancel = Any

#: ``progress(done, total, message)``; ``message`` names the item just finished.
ProgressCallback = Callable[[int, int, str], None]


def is_cancelled(cancel: Any) -> bool:
    """Whether a cancel token asks to stop.

    Parameters
    ----------
    cancel
        None, an object with a ``cancelled`` attribute, an object with ``is_set()``
        (a :class:`threading.Event`), or a zero-argument callable.
    """
    if cancel is None:
        return False
    if hasattr(cancel, "cancelled"):
        return bool(cancel.cancelled)
    if hasattr(cancel, "is_set"):
        return bool(cancel.is_set())
    return bool(cancel())
