"""prepare_dataset / dataset_from on real BraTS-like files written by the test factory."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import numpy as np
import pytest

from lrpstudio.core.data.layouts import Release
from lrpstudio.core.data.prepare import PrepareConfig, dataset_from, prepare_dataset
from lrpstudio.core.data.prepare_cache import sha256_file
from lrpstudio.core.data.slice_dataset import ARRAYS_FILE, MANIFEST_FILE, load_dataset
from lrpstudio.core.data.slicing import select_slices, split_cases
from lrpstudio.core.errors import CancelledError, DatasetError, InputError
from tests.brats_factory import case_files, read_back, write_broken_case, write_case, write_dataset
from tests.core.data.test_slicing import _reference_mask

SHAPE = (32, 32, 16)


@pytest.fixture(scope="module")
def brats19(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """4 HGG + 3 LGG cases in the 2019 layout (contents never change; mtimes may)."""
    return write_dataset(tmp_path_factory.mktemp("b19") / "data", Release.BRATS2019, 4, 3, shape=SHAPE)


def _case_folders(root: Path) -> dict[str, Path]:
    return {p.name: p for p in root.glob("*GG/*") if p.is_dir()}


def _seg(folder: Path) -> np.ndarray:
    return read_back(case_files(Release.BRATS2019, folder)["seg"])[0]


@pytest.mark.parametrize("balance, hgg, lgg", [("fixed", (5, 3), (15, 1)), ("auto", (11, 1), (15, 1))])
def test_class_balance_and_slice_positions(brats19: Path, tmp_path: Path, balance: str,
                                           hgg: tuple[int, int], lgg: tuple[int, int]) -> None:
    """4 HGG / 3 LGG cases: the authors' fixed counts give 20 / 45 slices; ``auto`` gives the
    grade with more cases round(15 * 3 / 4) = 11 slices per case, so 44 / 45."""
    data = prepare_dataset(brats19, tmp_path / "ds", PrepareConfig(image_size=32, balance=balance), jobs=1)
    assert data.images.shape[1:] == (3, 32, 32) and data.images.dtype == np.float32
    assert int((data.labels == 1).sum()) == 4 * hgg[0] and int((data.labels == 0).sum()) == 3 * lgg[0]
    for case_id, folder in _case_folders(brats19).items():
        rows = data.case_ids == case_id
        is_hgg = folder.parent.name == "HGG"
        assert set(data.labels[rows]) == {1 if is_hgg else 0}
        areas = (_seg(folder) > 0).sum(axis=(0, 1))
        expected = select_slices(areas, *(hgg if is_hgg else lgg))
        assert data.slice_index[rows].tolist() == expected.tolist()
        assert int(np.argmax(areas)) in data.slice_index[rows]
    counts = data.manifest["counts"]
    assert sum(c["HGG"] for c in counts.values()) == 4 * hgg[0]
    assert sum(c["LGG"] for c in counts.values()) == 3 * lgg[0]
    per_case = data.manifest["balance"]["slices_per_case"]
    assert (per_case["HGG"]["count"], per_case["HGG"]["step"]) == hgg
    assert data.manifest["balance"]["mode"] == balance


def test_patient_level_seeded_split(brats19: Path, tmp_path: Path) -> None:
    config = PrepareConfig(image_size=16, seed=4)
    data = prepare_dataset(brats19, tmp_path / "a", config, jobs=1)
    per_case = {c: set(data.split[data.case_ids == c]) for c in set(data.case_ids)}
    assert all(len(s) == 1 for s in per_case.values())  # no patient in two splits
    grades = {c: data.manifest["cases"][c]["grade"] for c in per_case}
    assert {c: s.pop() for c, s in per_case.items()} == split_cases(grades, config.split, 4)
    again = prepare_dataset(brats19, tmp_path / "b", config, jobs=1)
    for name in ("images", "tumor_masks", "brain_masks", "labels", "case_ids", "slice_index", "split"):
        np.testing.assert_array_equal(getattr(again, name), getattr(data, name))


def test_masks_align_with_files_after_resize(brats19: Path, tmp_path: Path) -> None:
    data = prepare_dataset(brats19, tmp_path / "ds", PrepareConfig(image_size=20, mask="core"), jobs=1)
    folders = _case_folders(brats19)
    for row in range(0, len(data), 7):
        folder = folders[str(data.case_ids[row])]
        z = int(data.slice_index[row])
        seg = _seg(folder)[:, :, z]
        core = np.isin(seg, (1, 4)).T  # 2019 labels: 1 core, 4 enhancing
        np.testing.assert_array_equal(data.tumor_masks[row], _reference_mask(core, 20))
        images = [read_back(case_files(Release.BRATS2019, folder)[m])[0][:, :, z] for m in
                  ("t1", "t1ce", "t2", "flair")]
        brain = ((np.any([im > 0 for im in images], axis=0)) | (seg > 0)).T
        np.testing.assert_array_equal(data.brain_masks[row], _reference_mask(brain, 20))


def test_native_size_normalised_inside_brain_only(brats19: Path, tmp_path: Path) -> None:
    data = prepare_dataset(brats19, tmp_path / "ds", PrepareConfig(image_size=32), jobs=1)
    assert np.all(np.isfinite(data.images))
    outside = ~data.brain_masks[:, None].repeat(3, axis=1)
    assert np.all(data.images[outside] == 0)
    inside = data.images[~outside]
    # Slices near the largest tumour slice: roughly standardised, not raw intensities.
    assert abs(float(inside.mean())) < 1.0 and 0.3 < float(inside.std()) < 3.0


def test_second_run_reuses_everything_and_writes_nothing(brats19: Path, tmp_path: Path) -> None:
    out = tmp_path / "ds"
    first = prepare_dataset(brats19, out, PrepareConfig(image_size=16), jobs=1)
    stamps = {f: (out / f).stat().st_mtime_ns for f in (ARRAYS_FILE, MANIFEST_FILE)}
    second = prepare_dataset(brats19, out, PrepareConfig(image_size=16), jobs=1)
    assert {f: (out / f).stat().st_mtime_ns for f in stamps} == stamps
    assert second.manifest["build"] == first.manifest["build"] == 1
    np.testing.assert_array_equal(second.images, first.images)
    # Touching a file (same bytes, new mtime) rehashes it but still reuses the case.
    some = next(iter(_case_folders(brats19).values()))
    t1 = case_files(Release.BRATS2019, some)["t1"]
    os.utime(t1, ns=(t1.stat().st_atime_ns, t1.stat().st_mtime_ns + 10**9))
    third = prepare_dataset(brats19, out, PrepareConfig(image_size=16), jobs=1)
    assert third.manifest["last_run"]["extracted"] == [] and third.manifest["build"] == 2
    assert (out / ARRAYS_FILE).stat().st_mtime_ns == stamps[ARRAYS_FILE]  # manifest only
    assert load_dataset(out).manifest["build"] == 2
    assert third.manifest["cases"][some.name]["files"]["t1"]["mtime_ns"] == t1.stat().st_mtime_ns
    np.testing.assert_array_equal(third.images, first.images)


def test_changed_parameters_recompute(brats19: Path, tmp_path: Path) -> None:
    out = tmp_path / "ds"
    prepare_dataset(brats19, out, PrepareConfig(image_size=16), jobs=1)
    data = prepare_dataset(brats19, out, PrepareConfig(image_size=16, channels=("t1ce", "flair")), jobs=1)
    assert data.images.shape[1] == 2 and data.manifest["build"] == 2
    assert data.manifest["last_run"]["reused"] == []
    assert load_dataset(out).channels == ("t1ce", "flair")


def test_only_the_edited_case_is_recomputed(tmp_path: Path) -> None:
    from lrpstudio.core.data.loading import load_case
    from lrpstudio.core.data.corrections import save_correction
    from lrpstudio.core.data.discovery import discover
    from lrpstudio.core.data.workspace import default_workspace

    root = write_dataset(tmp_path / "data", Release.BRATS2019, 2, 1, shape=SHAPE)
    workspace = default_workspace(root)
    out = tmp_path / "ds"
    first = prepare_dataset(root, out, PrepareConfig(image_size=32), workspace, jobs=1)
    refs, _ = discover(root)
    ref = sorted(refs, key=lambda r: r.id)[0]
    seg = load_case(ref).seg.copy()
    seg[:, :, :] = 0
    seg[10:20, 10:20, 3] = 2  # move the tumour: the largest slice becomes z = 3
    path = save_correction(load_case(ref), seg, workspace)
    second = prepare_dataset(root, out, PrepareConfig(image_size=32), workspace, jobs=1)
    run = second.manifest["last_run"]
    assert run["extracted"] == [ref.id] and len(run["reused"]) == 2
    record = second.manifest["cases"][ref.id]
    assert record["correction"]["sha256"] == sha256_file(Path(path)) and record["built"] == 2
    assert 3 in record["slices"]
    assert all(second.manifest["cases"][c]["built"] == 1 for c in run["reused"])
    rows = second.case_ids == ref.id
    np.testing.assert_array_equal(second.tumor_masks[rows][second.slice_index[rows] == 3][0],
                                  (seg[:, :, 3] > 0).T)
    others = ~rows
    np.testing.assert_array_equal(second.images[others], first.images[first.case_ids != ref.id])
    # Without corrections the original masks come back (a separate cache key).
    plain = prepare_dataset(root, tmp_path / "plain", PrepareConfig(image_size=32, use_corrections=False),
                            workspace, jobs=1)
    assert plain.manifest["cases"][ref.id]["correction"] is None
    assert plain.slice_index[plain.case_ids == ref.id].tolist() == \
        first.slice_index[first.case_ids == ref.id].tolist()


BROKEN = ("truncated_gz", "empty_file", "text_file", "nan", "4d", "shape_mismatch",
          "affine_mismatch", "fractional_seg", "unknown_label", "missing_modality",
          "missing_seg", "empty_tumour")


def test_broken_cases_are_skipped_and_reported(tmp_path: Path) -> None:
    root = write_dataset(tmp_path / "data", Release.BRATS2019, 2, 1, shape=SHAPE)
    broken = {}
    for i, defect in enumerate(BROKEN):
        case_id = f"BraTS19_TCIA01_{900 + i}_1"
        _, file = write_broken_case(root, Release.BRATS2019, case_id, defect, grade="HGG",
                                    shape=SHAPE, seed=100 + i)
        broken[case_id] = (defect, file)
    data = prepare_dataset(root, tmp_path / "ds", PrepareConfig(image_size=16), jobs=2)
    assert len(set(data.case_ids)) == 3 and not set(data.case_ids) & set(broken)
    assert {p["case"] for p in data.manifest["skipped"]} == set(broken)
    for case_id, (defect, file) in broken.items():
        record = data.manifest["cases"][case_id]
        assert record["status"] == "skipped" and record["problems"], defect
        named = {Path(p["file"]).name for p in record["problems"] if p["file"]}
        assert file.name in named, (defect, record["problems"])


def test_all_layouts_and_formats(tmp_path: Path) -> None:
    layouts = [(Release.BRATS2019, ".nii.gz"), (Release.BRATS2020, ".nii"),
               (Release.BRATS2021, ".mha"), (Release.BRATS2023, ".nrrd")]
    for release, ext in layouts:
        root = write_dataset(tmp_path / release.value, release, 1, 1, shape=SHAPE, ext=ext)
        data = prepare_dataset(root, tmp_path / f"ds-{release.value}", PrepareConfig(image_size=16),
                               jobs=1)
        assert sorted(data.labels.tolist()) == [0] * 15 + [1] * 15, release
        assert data.manifest["skipped"] == [], data.manifest["skipped"]


def test_grade_table_for_unlabelled_release(tmp_path: Path) -> None:
    root = tmp_path / "data"
    for i in (1, 2):
        write_case(root, Release.BRATS2021, f"BraTS2021_{i:05d}", grade=None, shape=SHAPE, seed=i)
    with pytest.raises(DatasetError, match="no case could be prepared"):
        prepare_dataset(root, tmp_path / "none", PrepareConfig(image_size=16), jobs=1)
    table = tmp_path / "my_grades.csv"
    table.write_text("case,grade\nBraTS2021_00001,HGG\nBraTS2021_00002,LGG\n")
    data = prepare_dataset(root, tmp_path / "ds", PrepareConfig(image_size=16, grades=str(table)), jobs=1)
    assert dict(zip(data.case_ids.tolist(), data.labels.tolist())) == \
        {"BraTS2021_00001": 1, "BraTS2021_00002": 0}


def test_parallel_equals_in_process(brats19: Path, tmp_path: Path) -> None:
    one = prepare_dataset(brats19, tmp_path / "one", PrepareConfig(image_size=16), jobs=1)
    two = prepare_dataset(brats19, tmp_path / "two", PrepareConfig(image_size=16), jobs=2)
    for name in ("images", "tumor_masks", "brain_masks", "labels", "case_ids", "slice_index", "split"):
        np.testing.assert_array_equal(getattr(one, name), getattr(two, name))
    # Two touched cases are rehashed in workers, the other five reused in-process.
    for folder in sorted(_case_folders(brats19).values())[:2]:
        flair = case_files(Release.BRATS2019, folder)["flair"]
        os.utime(flair, ns=(flair.stat().st_atime_ns, flair.stat().st_mtime_ns + 10**9))
    three = prepare_dataset(brats19, tmp_path / "two", PrepareConfig(image_size=16), jobs=2)
    assert three.manifest["last_run"]["extracted"] == [] and len(three.manifest["last_run"]["reused"]) == 7
    np.testing.assert_array_equal(three.images, one.images)


def test_cancel_writes_nothing(brats19: Path, tmp_path: Path) -> None:
    class Token:  # the shape of TrainControl and the GUI's tokens: a `cancelled` flag
        cancelled = True

    event, control = threading.Event(), Token()
    event.set()
    for token in (event, control, lambda: True):
        with pytest.raises(CancelledError):
            prepare_dataset(brats19, tmp_path / "ds", PrepareConfig(), cancel=token, jobs=1)
        assert not (tmp_path / "ds" / MANIFEST_FILE).exists()
    # Cancelling half-way (after the first case) stops too, also with a process pool.
    calls: list[int] = []
    with pytest.raises(CancelledError):
        prepare_dataset(brats19, tmp_path / "ds", PrepareConfig(), jobs=2,
                        progress=lambda d, t, m: calls.append(d), cancel=lambda: len(calls) > 1)
    assert not (tmp_path / "ds" / MANIFEST_FILE).exists()


def test_progress_reports_every_case(brats19: Path, tmp_path: Path) -> None:
    calls: list[tuple[int, int, str]] = []
    prepare_dataset(brats19, tmp_path / "ds", PrepareConfig(image_size=16),
                    progress=lambda d, t, m: calls.append((d, t, m)), jobs=1)
    assert calls[-1][:2] == (7, 7) and {m for _, _, m in calls if m} == set(_case_folders(brats19))


def test_refuses_unrelated_output_folder(brats19: Path, tmp_path: Path) -> None:
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("mine")
    with pytest.raises(DatasetError, match="not empty"):
        prepare_dataset(brats19, tmp_path / "busy", PrepareConfig(), jobs=1)


def test_config_validation() -> None:
    with pytest.raises(InputError):
        PrepareConfig(channels=("t1", "dwi"))
    with pytest.raises(InputError):
        PrepareConfig(split=(0.5, 0.5, 0.5))
    with pytest.raises(InputError):
        PrepareConfig(mask="oedema")
    assert PrepareConfig(channels=["t1", "t2", "flair"]) == PrepareConfig()
    assert PrepareConfig().config_hash() != PrepareConfig(seed=1).config_hash()
    assert PrepareConfig.from_dict(PrepareConfig(image_size=64).as_dict()) == PrepareConfig(image_size=64)


def test_dataset_from_resolves_both_kinds(brats19: Path, tmp_path: Path) -> None:
    from lrpstudio.core.data.workspace import default_workspace

    config = PrepareConfig(image_size=16)
    data = dataset_from(brats19, config, jobs=1)
    cache = Path(default_workspace(brats19).root) / "datasets" / config.config_hash()
    assert (cache / MANIFEST_FILE).is_file()
    stamp = (cache / ARRAYS_FILE).stat().st_mtime_ns
    again = dataset_from(brats19, config, jobs=1)
    assert (cache / ARRAYS_FILE).stat().st_mtime_ns == stamp
    np.testing.assert_array_equal(again.images, data.images)
    via_workspace = dataset_from(default_workspace(brats19).root, config, jobs=1)
    assert (cache / ARRAYS_FILE).stat().st_mtime_ns == stamp
    np.testing.assert_array_equal(via_workspace.labels, data.labels)
    loaded = dataset_from(cache)
    np.testing.assert_array_equal(loaded.labels, data.labels)
    assert dataset_from(cache / ARRAYS_FILE).manifest == loaded.manifest
    with pytest.raises(DatasetError):
        dataset_from(tmp_path / "nothing-here")
