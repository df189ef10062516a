"""The open data: a BraTS folder (or a workspace) with its cases, workspace and journals.

:class:`DataSource` is what a front end holds after opening a BraTS folder or a
workspace. It keeps the discovered case references, the workspace (corrections,
review status, recovery journals; chosen by :mod:`lrpstudio.app.workspace`) and builds
one :class:`CaseRow` per case for a case list. Loading a case for editing gives a
:class:`Loaded` with a core edit session whose saves go into that workspace.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from lrpstudio.app.workspace import is_workspace, resolve_data
from lrpstudio.core.data.case import Case, CaseRef
from lrpstudio.core.data.loading import load_case
from lrpstudio.core.data.discovery import discover
from lrpstudio.core.data.workspace import Workspace
from lrpstudio.app.editing import EditSession, discard_journal
from lrpstudio.core.editing.journal import JournalInfo, find_recoverable
from lrpstudio.core.errors import InputError, LrpStudioError, Problem
from lrpstudio.core.train.user_pins import add_pin, read_pins, remove_pin

__all__ = ["Case", "CaseRow", "DataSource", "Loaded", "load_for_editing", "open_source", "discard_journal"]


@dataclass(frozen=True)
class CaseRow:
    """What a case list shows of one case (built from a core CaseRef and the workspace)."""

    case_id: str
    grade: str | None
    label_convention: str
    review: str = "not started"
    edited: bool = False
    problems: tuple[str, ...] = ()
    openable: bool = True
    ref: Any = field(default=None, compare=False)


@dataclass
class DataSource:
    """An opened data folder with its workspace.

    Attributes
    ----------
    root
        The BraTS data folder.
    workspace
        Its workspace (corrections, review.json, recovery journals).
    refs
        Every case discovery found, problems included.
    problems
        Data-set-level problems (grade tables, duplicates...).
    """

    root: Path
    workspace: Workspace
    refs: list[CaseRef]
    problems: list[Problem] = field(default_factory=list)

    def ref(self, case_id: str) -> CaseRef:
        """The reference of a case id."""
        for ref in self.refs:
            if ref.id == case_id:
                return ref
        raise InputError("no such case in this folder", self.root, actual=case_id)

    def rows(self) -> list[CaseRow]:
        """One browser row per case, with review status, edited marker and problems."""
        review = self.workspace.review.all()
        corrected = set(self.workspace.corrected_cases())
        rows = []
        for ref in self.refs:
            problems = tuple(f"{p.severity}: {p.problem}" + (f" ({p.file.name})" if p.file else "")
                             for p in ref.problems)
            rows.append(CaseRow(
                case_id=ref.id, grade=ref.grade, label_convention=ref.label_convention,
                review=review.get(ref.id, "not started"), edited=ref.id in corrected,
                problems=problems, openable=ref.usable_for_review, ref=ref))
        return rows

    def load(self, row: CaseRow) -> Case:
        """Load a case's volumes (the workspace's correction when there is one).

        A case whose full read fails (a damaged gzip stream passes a header-only check)
        keeps that problem: its row then gives the verdict ``inspect`` gives.
        """
        ref = row.ref if row.ref is not None else self.ref(row.case_id)
        try:
            return load_case(ref, workspace=self.workspace)
        except LrpStudioError as error:
            self._note_failure(ref, error)
            raise

    def _note_failure(self, ref: CaseRef, error: LrpStudioError) -> None:
        problem = Problem.from_error(ref.id, error)
        current = next((r for r in self.refs if r.id == ref.id), ref)
        if problem not in current.problems:
            updated = replace(current, problems=current.problems + (problem,))
            self.refs = [updated if r.id == ref.id else r for r in self.refs]

    def row(self, case_id: str) -> CaseRow | None:
        """The browser row of one case (after a failed load: with its new problem)."""
        return next((row for row in self.rows() if row.case_id == case_id), None)

    def session(self, case: Case, journal: Path | None = None) -> EditSession:
        """An edit session on the case's mask, journaling into the workspace.

        A case without a segmentation gets an empty one to draw into. With ``journal``
        the session first replays it (the restore after a crash).
        """
        if case.seg is None:
            case.seg = np.zeros(case.shape, dtype=np.uint8)
        session = EditSession.for_case(case, self.workspace.root)
        if journal is not None:
            session.restore(journal)
        return session

    @staticmethod
    def save(session: EditSession) -> Path:
        """Save an edit session's mask as its case's correction in the workspace; returns the file."""
        return Path(session.save())

    def set_review(self, case_id: str, status: str) -> None:
        """Record a review status in the workspace."""
        self.workspace.review.set(case_id, status)

    def recoverable(self) -> list[JournalInfo]:
        """Journals of unsaved edits left in the workspace by a crash or kill."""
        return find_recoverable(self.workspace.root)

    def restorable(self, found: list[JournalInfo]) -> dict[str, Path]:
        """Of the journals ``found``, the ones that can be replayed onto a case of this folder."""
        ids = {ref.id for ref in self.refs}
        return {info.case_id: info.path for info in found
                if info.problem is None and info.case_id and info.case_id in ids}

    @staticmethod
    def describe_journals(found: list[JournalInfo]) -> list[str]:
        """One line per journal: its case (or file), its steps and why it cannot be replayed."""
        return [f"• {info.case_id or info.path.name}: {info.steps} step(s)"
                + (f" ({info.problem})" if info.problem else "") for info in found]

    @staticmethod
    def discard_journals(found: list[JournalInfo]) -> None:
        """Delete the journals ``found`` (the user declined to restore them)."""
        for info in found:
            discard_journal(info.path)

    def pin(self, case_id: str, z: int) -> bool:
        """Pin axial slice ``z`` of a case for the next run's Fig. 7; False when already pinned."""
        return add_pin(self.workspace.root, case_id, z)

    def pins(self) -> tuple[tuple[str, int], ...]:
        """The pinned slices of this workspace, as ``(case id, axial slice)``, in pin order."""
        return read_pins(self.workspace.root)

    def unpin(self, case_id: str, z: int) -> bool:
        """Unpin axial slice ``z`` of a case; False when it was not pinned."""
        return remove_pin(self.workspace.root, case_id, z)


def open_source(path: Path, workspace: Path | None = None) -> DataSource:
    """Open a BraTS folder or a workspace folder.

    Parameters
    ----------
    path
        A data folder (its default workspace is used unless ``workspace`` is given) or a
        workspace folder (its recorded data folder is opened).
    workspace
        An explicit workspace folder for a data folder.

    Raises
    ------
    InputError
        The folder holds no case: refused before a workspace is written into it.
    """
    path = Path(path)
    if path.is_dir() and not is_workspace(path):
        refs, problems = discover(path)  # before resolve_data, which writes the workspace
        _require_cases(path, refs)
        root, ws = resolve_data(path, workspace)
    else:
        root, ws = resolve_data(path, workspace)
        refs, problems = discover(root)
        _require_cases(root, refs)
    return DataSource(root=root, workspace=ws, refs=list(refs), problems=list(problems))


def _require_cases(root: Path, refs: list[CaseRef]) -> None:
    if not refs:
        raise InputError("no BraTS cases in this folder", root,
                         expected="case folders with T1, T1ce, T2 and FLAIR volumes", actual="none")


@dataclass
class Loaded:
    """A case ready to edit: its volumes, an edit session and how the restore went.

    Attributes
    ----------
    row
        The browser row it was opened from.
    case
        The loaded case.
    session
        The edit session (restored from ``journal`` when that is set).
    journal
        The journal replayed, or None.
    restore_error
        Why a journal could not be replayed (the case then opened without it).
    """

    row: CaseRow
    case: Case
    session: EditSession
    journal: Path | None = None
    restore_error: LrpStudioError | None = None


def load_for_editing(source: DataSource, row: CaseRow, journal: Path | None = None) -> Loaded:
    """Load a case and start its edit session; safe to run in a worker thread.

    A journal that no longer fits (e.g. the mask was saved since) must not keep the case
    from opening: the case opens without it, the file is left alone, and the error is
    returned for the window to show.
    """
    case = source.load(row)
    try:
        return Loaded(row, case, source.session(case, journal), journal)
    except LrpStudioError as error:
        if journal is None:
            raise
        return Loaded(row, case, source.session(case, None), None, error)
