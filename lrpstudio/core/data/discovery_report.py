"""The data-set-level part of discovery: duplicate case ids, and problems of no one case.

Kept apart from :mod:`~lrpstudio.core.data.discovery`, which finds and checks the cases.
"""

from __future__ import annotations

from pathlib import Path

from lrpstudio.core.data.case import CaseRef
from lrpstudio.core.data.grades import GRADES_FILE, GradeTable
from lrpstudio.core.data.layouts import Release
from lrpstudio.core.errors import Problem


def mark_duplicates(cases: list[CaseRef]) -> list[CaseRef]:
    """Two folders with the same case id: the second one is an error."""
    seen: dict[str, Path] = {}
    out: list[CaseRef] = []
    for case in cases:
        if case.id in seen:
            problem = Problem(case.id, case.folder,
                              f"duplicate case id: also found at {seen[case.id]}")
            case = CaseRef(case.id, case.grade, case.release, case.label_convention, case.folder,
                           case.files, case.problems + (problem,))
        else:
            seen[case.id] = case.folder
        out.append(case)
    return out


def dataset_problems(cases: list[CaseRef], explicit: GradeTable | None,
                      forced: Release | None) -> list[Problem]:
    problems: list[Problem] = []
    if not cases:
        problems.append(Problem(None, None, "no BraTS cases found"))
    unlabelled = [c.id for c in cases if c.grade is None and c.usable_for_review]
    if unlabelled:
        problems.append(Problem(None, None, (
            f"{len(unlabelled)} case(s) have no grade (unlabelled: usable for review, excluded "
            f"from training); give a CSV case,grade with --grades or a {GRADES_FILE} in the "
            "data folder"), "warning"))
    if explicit is not None:
        ids = {c.id for c in cases}
        unmatched = sorted(k for k in explicit.grades if k not in ids)
        if unmatched:
            shown = ", ".join(unmatched[:5]) + (" ..." if len(unmatched) > 5 else "")
            problems.append(Problem(None, explicit.source, (
                f"{len(unmatched)} case id(s) in the grade table match no case: {shown}"),
                "warning"))
    if forced is not None:
        ignored = [c.id for c in cases if c.release is not forced and c.release is not Release.SINGLE]
        if ignored:
            problems.append(Problem(None, None, (
                f"release {forced.value} does not fit the file names of {len(ignored)} case(s) "
                f"(e.g. {ignored[0]}); their own release was used"), "warning"))
    return problems
