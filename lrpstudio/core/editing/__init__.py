"""The mask-editing model (no Qt): paint, fill, islands, interpolation, undo/redo, recovery journal.

Views subscribe to an :class:`EditSession` and redraw the bounding box each
:class:`ChangeEvent` names. Tools are also available as pure functions on arrays that
return a :class:`Change` (flat int32 indices, old and new uint8 values) and never mutate.

Design in brief (details in each module's docstring):

* Layers (``rules``): label mode edits one canonical label (1..3); guidance mode edits
  the whole-tumour mask ``seg > 0`` (painting turns background into ``guidance_label``,
  default 2; erasing clears any tumour label). Paint-over rules ``everything`` /
  ``background_only`` / ``protect_others`` are defined as the set of current values a
  write may change; an intensity range ``[lo, hi]`` on one reference modality limits
  every painting tool.
* Brush (``footprint``, ``brush``): disc (2D, in a plane) or ball (3D); radius in voxels
  of the finest axis or in mm, physically round on anisotropic grids; a dab touches only
  its bounding box; a drag is covered by dabs half a radius apart.
* History (``history``): one stroke (``begin_stroke`` .. ``end_stroke``) or one tool run is
  one step; 200 steps by default; volume-wide, so it survives slice changes.
* Journal (``journal``, ``recovery``): ``<workspace>/recovery/<case_id>.journal``,
  length-prefixed CRC-checked records, fsynced at every step end, undo and redo (and at
  least once a second during a long stroke); a torn tail is ignored; replay checks the
  sha256 of the base segmentation; a save clears it. A new session that edits over a
  journal it did not restore moves that journal to ``<case_id>.journal.bak``.
* Polygon / lasso (``polygon``): a closed outline in one slice; a voxel is covered when
  its centre is on the outline or inside it (even-odd). Region growing (``grow``): the
  flood fill of ``fill`` with an intensity range, by default mean ± k·sd around the seed.
* Interpolation (``interpolate``): shape-based, from signed distance maps of key slices;
  returns a preview that the session applies (or the caller drops).

The session is not thread-safe: call it from one thread (the GUI thread).
"""

from .brush import BrushSettings, dab, line_centers
from .change import Change, apply_change, merge_changes
from .events import ChangeEvent
from .fill import fill_holes, flood_fill
from .grow import grow_region, seed_range
from .polygon import polygon_fill, rasterise_polygon
from .footprint import (FootprintSpec, brush_footprint, cursor_footprint, outline_segments,
                        radii_in_voxels, spacing_from_affine)
from .history import DEFAULT_MAX_STEPS, History, Step
from .interpolate import interpolate_between, signed_distance
from .islands import keep_largest, remove_small_islands
from .journal import (JournalInfo, array_sha256, discard_journal, find_recoverable, journal_path,
                      recover, replay)
from .rules import WritePolicy, resolve_write
from .interpolate import InterpolationPreview
from .session import EditSession, SessionOptions

__all__ = [
    "BrushSettings", "Change", "ChangeEvent", "DEFAULT_MAX_STEPS", "EditSession", "FootprintSpec",
    "History", "InterpolationPreview", "JournalInfo", "SessionOptions", "Step", "WritePolicy",
    "apply_change", "array_sha256", "brush_footprint", "cursor_footprint", "dab", "discard_journal",
    "fill_holes", "find_recoverable", "flood_fill", "grow_region", "interpolate_between", "journal_path",
    "keep_largest", "line_centers", "merge_changes", "outline_segments", "polygon_fill", "radii_in_voxels",
    "rasterise_polygon", "recover", "remove_small_islands", "replay", "resolve_write", "seed_range",
    "signed_distance", "spacing_from_affine",
]
