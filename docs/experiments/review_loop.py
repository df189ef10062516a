"""The correct-and-retrain loop, end to end, on unseen data with known faults.

Checks what the review queue promises (docs/review-check.md holds the numbers):

1. **Data with known faults.** A demo set the app never made (``--data-seed``, 40 cases,
   the grade-tied shortcut column in 70 % of HGG cases) is written, its marker (where
   every shortcut column is) is moved aside so the folder looks like anyone's data, and
   the masks of ``--shrink`` cases without a shortcut lose their oedema (label 2): the
   annotator outlined only the core.
2. **A run and its queue.** Plain CE is trained with the user's command
   (``lrpstudio train DATA --penalty 0 --seed S``), then the queue is built
   (``lrpstudio review``). Reported: where the shrunken-mask cases and the shortcut
   cases rank (each case at its best-ranked slice) and the ROC AUC of "faulty case"
   against the case's top priority.
3. **An expert works down the queue.** For the first ``--review`` entries the largest
   outside components (>= 5 % of the slice's relevance) of the slice are judged with
   the ground truth, as an expert looking at the image would: a component lying on
   tumour the mask misses (>= 50 % of its voxels) is added to the mask
   (``app.verdicts.add_to_mask``, label 2, the masks are then saved); one lying on the
   shortcut column is stored as an artefact region; anything else is "fine".
   Reported: how much of the missing tumour on the reviewed slices the accepted
   components restore, and how much they add outside the true tumour.
4. **Retrain and compare.** Two retrains on the corrected masks with the artefact
   regions: the same command plus ``--forbidden-weight W`` (plain CE: it cannot use the
   corrected masks, only the regions), and the guided recipe ``--penalty 1
   --forbidden-weight W`` (it uses both). Each new queue (with the first run as
   ``--baseline``) gives the outside share on the slices marked as artefacts and the
   share of relevance inside the artefact regions before and after, and where the
   faulty cases rank now. All runs are evaluated on a clean unseen test set
   (``--test-seed``, no shortcut).

Usage::

    python docs/experiments/review_loop.py OUT [--seeds 0 1 2] [--epochs 10]
        [--size 128] [--shrink 4] [--review 120] [--forbidden-weight 1.0] [--extend]

Everything is written under OUT; a summary is printed and saved as OUT/summary.json.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import nibabel as nib
import numpy as np
from sklearn.metrics import roc_auc_score

from lrpstudio.app.data_source import DataSource, open_source
from lrpstudio.app.review import ReviewQueue, build_queue, queue_dataset, viewer_components, write_queue
from lrpstudio.app.slices import capture
from lrpstudio.app.verdicts import ArtefactStore, add_to_mask, extended_suggestion
from lrpstudio.core.review.mapping import prepared_mask_to_plane
from lrpstudio.core.review.queue import explain_positive
from lrpstudio.core.train.evaluate import load_run_model

MARKER = "lrpstudio-demo.json"


def lrpstudio(*args: str) -> str:
    """Run one lrpstudio command as a user would (fails loudly); its standard output."""
    done = subprocess.run([sys.executable, "-m", "lrpstudio", *args], check=True,
                          stdout=subprocess.PIPE, text=True)
    return done.stdout


def make_data(out: Path, seed: int, shrink: int) -> tuple[Path, dict[str, Any], dict[str, Path]]:
    """The faulty data set, its hidden truth, and the original masks of the shrunken cases."""
    data = out / "data"
    if not (out / MARKER).exists():
        lrpstudio("demo-data", str(data), "--cases", "40", "--seed", str(seed))
        shutil.move(str(data / MARKER), str(out / MARKER))
    truth = json.loads((out / MARKER).read_text())
    cases = {c["id"]: c for c in truth["cases"]}
    originals: dict[str, Path] = {}
    # Shrink the first cases without a shortcut, alternating grades.
    clean = [c for c in truth["cases"] if not c["shortcut"]["present"]]
    by_grade = {g: [c for c in clean if c["grade"] == g] for g in ("LGG", "HGG")}
    chosen = [by_grade[g][i] for i in range(shrink) for g in ("LGG", "HGG")][:shrink]
    for case in chosen:
        seg_file = next((data / case["folder"]).glob("*_seg.nii.gz"))
        keep = out / "original_masks" / seg_file.name
        if not keep.exists():
            keep.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(seg_file, keep)
            img = nib.load(seg_file)
            seg = np.asarray(img.dataobj)
            nib.save(nib.Nifti1Image(np.where(seg == 2, 0, seg).astype(seg.dtype), img.affine,
                                     img.header), seg_file)
        originals[case["id"]] = keep
    return data, cases, originals


def shortcut_plane(record: dict[str, Any], shape: tuple[int, int], z: int) -> np.ndarray:
    """The shortcut column's voxels at slice z (its radius grown by 2 voxels), from the truth."""
    mark = record["shortcut"]
    plane = np.zeros(shape, bool)
    if not mark["present"] or not mark["z_range"][0] <= z <= mark["z_range"][1]:
        return plane
    i, j = np.ogrid[:shape[0], :shape[1]]
    cx, cy = mark["centre_xy"]
    return (i - cx) ** 2 + (j - cy) ** 2 <= (mark["radius_voxels"] + 2) ** 2


def case_ranks(queue: ReviewQueue) -> tuple[dict[str, int], dict[str, float]]:
    """Each case's best (1-based) rank among cases, and its highest slice priority."""
    best: dict[str, float] = {}
    for entry in queue.entries:
        best[entry.case_id] = max(best.get(entry.case_id, -1.0), entry.priority)
    order = sorted(best, key=lambda c: (-best[c], c))
    return {c: i + 1 for i, c in enumerate(order)}, best


def ranking(queue: ReviewQueue, cases: dict[str, Any], shrunken: set[str]) -> dict[str, Any]:
    """Where the faulty cases rank, and the AUC of faulty vs fine by top priority."""
    ranks, top = case_ranks(queue)
    shortcut = {c for c, r in cases.items() if r["shortcut"]["present"]}
    faulty = shortcut | shrunken
    ids = sorted(top)
    auc = roc_auc_score([c in faulty for c in ids], [top[c] for c in ids])
    k = len(faulty & set(ids))
    in_top_k = len([c for c in faulty if ranks.get(c, 10**6) <= k])
    return {"shrunken_ranks": sorted(ranks[c] for c in shrunken if c in ranks),
            "shortcut_ranks": sorted(ranks[c] for c in shortcut if c in ranks),
            "faulty_cases": k, "faulty_in_top_k": in_top_k, "auc": float(auc), "cases": len(ids)}


def review(queue: ReviewQueue, source: DataSource, cases: dict[str, Any],
           originals: dict[str, Path], count: int, extend: bool = False) -> dict[str, Any]:
    """Work down the first ``count`` entries with the ground truth as the expert's eye.

    ``extend``: "add to mask" extends the blob over similar FLAIR tissue (the Review tab's
    default); without it only the blob's voxels are added."""
    model = load_run_model(queue.run_dir, "best")[0]
    artefacts = ArtefactStore(source.workspace)
    sessions: dict[str, Any] = {}
    tally = {"added": 0, "artefact": 0, "fine": 0, "entries": 0}
    restored = {"missing": 0, "recovered": 0, "added_outside": 0, "slices": 0}
    for entry in queue.entries[:count]:
        tally["entries"] += 1
        if entry.case_id not in sessions:
            row = source.row(entry.case_id)
            case = source.load(row)
            sessions[entry.case_id] = (case, source.session(case))
        case, session = sessions[entry.case_id]
        z = entry.z
        before = session.seg[:, :, z] > 0
        current = capture(entry.case_id, case.grade, case.images, session.seg, z)
        components, labels, plane = viewer_components(queue.run_dir, current, model)
        truth_whole = None
        if entry.case_id in originals:
            truth_whole = np.asarray(nib.load(originals[entry.case_id]).dataobj)[:, :, z] > 0
        column = shortcut_plane(cases[entry.case_id], plane, z)
        for component in components:
            if component.mass_fraction < 0.05:
                continue
            voxels = prepared_mask_to_plane(labels == component.index + 1, plane)
            if not voxels.any():
                continue
            missing = truth_whole & ~before if truth_whole is not None else None
            if missing is not None and (voxels & missing).sum() >= 0.5 * voxels.sum():
                added = (extended_suggestion(voxels, capture(entry.case_id, case.grade, case.images,
                                                             session.seg, z), case.images["flair"])
                         if extend else voxels)
                add_to_mask(session, z, added, label=2)
                tally["added"] += 1
            elif (voxels & column).sum() >= 0.5 * voxels.sum():
                artefacts.add(entry.case_id, z, voxels, session.seg.shape, f"review {queue.run_dir.name}")
                tally["artefact"] += 1
            else:
                tally["fine"] += 1
        if truth_whole is not None:
            after = session.seg[:, :, z] > 0
            missing = truth_whole & ~before
            restored["slices"] += 1
            restored["missing"] += int(missing.sum())
            restored["recovered"] += int((after & missing).sum())
            restored["added_outside"] += int((after & ~before & ~truth_whole).sum())
    for _case, session in sessions.values():
        if session.dirty:
            source.save(session)
        session.close()
    share = restored["recovered"] / max(restored["missing"], 1)
    return {**tally, **restored, "recovered_share": share}


def outside_by_case(queue: ReviewQueue, keys: set[str]) -> dict[str, tuple[float, float]]:
    """Mean outside share (before, after) per case over the slices ``keys``."""
    per: dict[str, list[tuple[float, float]]] = {}
    for entry in queue.entries:
        if entry.key in keys and entry.outside_before is not None:
            per.setdefault(entry.case_id, []).append((entry.outside_before, entry.outside_fraction))
    return {c: (float(np.mean([b for b, _ in v])), float(np.mean([a for _, a in v])))
            for c, v in per.items()}


def artefact_share(run: Path, data: Path) -> float:
    """Mean share of a run's positive relevance inside the artefact regions, over the
    slices that have one (all splits)."""
    model, config, _ = load_run_model(run, "best")
    dataset = queue_dataset(run, data)
    masks = dataset.forbidden_masks
    rows = np.flatnonzero(masks.reshape(len(dataset), -1).any(axis=1))
    positive = explain_positive(model, dataset, rows, config.composite)[0]
    inside = (positive * masks[rows]).sum(axis=(1, 2))
    return float(np.mean(inside / np.maximum(positive.sum(axis=(1, 2)), 1e-12)))


def evaluate(run: Path, test: Path) -> float:
    """Balanced accuracy of a run's best model on the clean test set (all splits)."""
    printed = lrpstudio("evaluate", str(run), "--data", str(test), "--split", "all", "--json")
    (run / "clean_test.json").write_text(printed)
    return float(json.loads(printed)["balanced_accuracy"])


def one_seed(out: Path, data: Path, cases: dict[str, Any], originals: dict[str, Path],
             test: Path, seed: int, args: argparse.Namespace) -> dict[str, Any]:
    """Steps 2-4 for one seed, on a fresh copy of the faulty data."""
    work = out / f"seed{seed}"
    copy = work / "data"
    if not copy.exists():
        shutil.copytree(data, copy)
    common = ["--penalty", "0", "--seed", str(seed), "--epochs", str(args.epochs),
              "--size", str(args.size)]
    first = work / "runs" / "ce"
    if not (first / "checkpoints" / "best.pt").exists():
        lrpstudio("train", str(copy), "--out", str(first), *common)
    source = open_source(copy)
    queue = build_queue(first, copy)
    write_queue(queue, work / "queue_before.json")
    result: dict[str, Any] = {"seed": seed, "before": ranking(queue, cases, set(originals))}
    done = work / "review.json"  # the review changes the data: do it once
    if not done.exists():
        done.write_text(json.dumps(review(queue, source, cases, originals, args.review, args.extend)))
    result["review"] = json.loads(done.read_text())
    artefact_cases = set(ArtefactStore(source.workspace).cases())
    reviewed = {e.key for e in queue.entries[:args.review] if e.case_id in artefact_cases}
    result["artefact_cases"] = len(artefact_cases)
    result["clean_test_first"] = evaluate(first, test)
    result["artefact_share_first"] = artefact_share(first, copy)
    for name, penalty in (("ce_reviewed", "0"), ("guided_reviewed", "1")):
        run = work / "runs" / name
        if not (run / "checkpoints" / "best.pt").exists():
            lrpstudio("train", str(copy), "--out", str(run), *common[2:], "--penalty", penalty,
                      "--forbidden-weight", str(args.forbidden_weight))
        after = build_queue(run, copy, baseline=first)
        write_queue(after, work / f"queue_{name}.json")
        moved = outside_by_case(after, reviewed)
        result[name] = {
            "ranking": ranking(after, cases, set(originals)),
            "outside_on_artefact_slices": {
                "before": float(np.mean([b for b, _ in moved.values()])) if moved else None,
                "after": float(np.mean([a for _, a in moved.values()])) if moved else None},
            "artefact_share": artefact_share(run, copy),
            "clean_test": evaluate(run, test)}
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--data-seed", type=int, default=321)
    parser.add_argument("--test-seed", type=int, default=77)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--shrink", type=int, default=4)
    parser.add_argument("--review", type=int, default=120)
    parser.add_argument("--forbidden-weight", type=float, default=1.0)
    parser.add_argument("--extend", action="store_true",
                        help="extend accepted blobs over similar tissue (the Review tab's default)")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    data, cases, originals = make_data(args.out, args.data_seed, args.shrink)
    test = args.out / "clean_test"
    if not test.exists():
        lrpstudio("demo-data", str(test), "--cases", "40", "--seed", str(args.test_seed),
                  "--shortcut", "0")
    results = [one_seed(args.out, data, cases, originals, test, s, args) for s in args.seeds]
    summary = {"args": {k: str(v) for k, v in vars(args).items()}, "shrunken": sorted(originals),
               "results": results}
    (args.out / "summary.json").write_text(json.dumps(summary, indent=1))
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
