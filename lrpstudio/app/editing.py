"""Mask editing as the front ends see it: the core's edit session and what it speaks.

A :class:`~lrpstudio.core.editing.session.EditSession` comes from
:func:`lrpstudio.app.data_source.load_for_editing`: it edits one case's mask, journals
every stroke into the workspace and saves the correction there
(:meth:`lrpstudio.app.data_source.DataSource.save`). A view drives it with
:class:`BrushSettings`, listens to its :class:`ChangeEvent` s, previews interpolations
(:class:`InterpolationPreview`) and drops a journal it no longer needs
(:func:`discard_journal`).
"""

from __future__ import annotations

from lrpstudio.core.editing.brush import BrushSettings
from lrpstudio.core.editing.events import ChangeEvent
from lrpstudio.core.editing.footprint import Plane
from lrpstudio.core.editing.journal import discard_journal
from lrpstudio.core.editing.interpolate import InterpolationPreview
from lrpstudio.core.editing.session import EditSession

__all__ = ["BrushSettings", "ChangeEvent", "EditSession", "InterpolationPreview", "Plane", "discard_journal"]
