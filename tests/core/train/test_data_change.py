"""Naming what changed in a run's data, for the resume error."""

from __future__ import annotations

import copy

from lrpstudio.core.train.data_change import describe_dataset_change


def _manifest() -> dict:
    case = {"files": {"flair": {"sha256": "f1"}, "seg": {"sha256": "s1"}}, "correction": None}
    return {"parameters": {"image_size": 64, "use_corrections": True},
            "cases": {f"C{i:03d}": copy.deepcopy(case) for i in range(6)}}


def test_identical_manifests_show_no_change() -> None:
    assert describe_dataset_change(_manifest(), _manifest()) == []


def test_a_new_correction_is_named_with_its_case() -> None:
    now = _manifest()
    now["cases"]["C002"]["correction"] = {"sha256": "abc", "path": "corrections/C002_seg.nii.gz"}
    assert describe_dataset_change(_manifest(), now) == ["mask corrected since the run: C002"]
    again = copy.deepcopy(now)
    again["cases"]["C002"]["correction"]["sha256"] = "def"
    assert describe_dataset_change(now, again) == ["corrected mask changed since the run: C002"]
    assert describe_dataset_change(now, _manifest()) == ["correction not used now: C002"]


def test_parameters_cases_and_files_are_reported_and_long_lists_shortened() -> None:
    saved, now = _manifest(), _manifest()
    now["parameters"]["image_size"] = 96
    del now["cases"]["C005"]
    now["cases"]["C100"] = copy.deepcopy(saved["cases"]["C000"])
    for case in ("C000", "C001", "C002", "C003", "C004"):
        now["cases"][case]["files"]["flair"]["sha256"] = "f2"
    changes = describe_dataset_change(saved, now)
    assert changes[0] == "image_size 64 then, 96 now"
    assert "source files changed: C000, C001, C002 and 2 more" in changes
    assert "case(s) added: C100" in changes and "case(s) missing: C005" in changes


def test_an_artefact_region_marked_since_the_run_is_named() -> None:
    now = _manifest()
    now["cases"]["C004"]["artefact"] = {"sha256": "a1", "path": "review/artefacts/C004.npz"}
    assert describe_dataset_change(_manifest(), now) == [
        "artefact region marked or changed since the run: C004"]
    assert describe_dataset_change(now, _manifest()) == [
        "artefact region marked or changed since the run: C004"]
