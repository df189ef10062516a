"""A corpus of broken run folders, made from a real tiny run by damaging one piece each.

Each entry names the file it damages, how, which commands must refuse it
(``evaluate``/``explain`` read config, records and best.pt; ``resume`` reads config,
records and last.pt; ``table`` is the Runs table, which reads config and records), and
a fragment of the one-line reason.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, Callable

import torch

from lrpstudio.core.train.config import TrainConfig
from lrpstudio.core.train.engine import fit
from lrpstudio.core.train.run_folder import RunFolder

ALL = frozenset({"evaluate", "resume", "table"})
MODEL = frozenset({"evaluate", "resume"})


@dataclass(frozen=True)
class Damage:
    file: str  # relative to the run folder ("" = the folder itself)
    apply: Callable[[Path], None]
    refused_by: frozenset[str]
    says: str


def make_tiny_run(run_dir: Path, dataset: Any) -> Path:
    """One finished epoch of a small model (best.pt, last.pt, metrics, events)."""
    fit(TrainConfig(epochs=1, batch_size=8, pinned=1, seed=1, eval_batch_size=16), dataset, run_dir=run_dir)
    return run_dir


def damaged_copy(run: Path, name: str, dest: Path) -> Path:
    """A copy of ``run`` at ``dest`` with corpus entry ``name`` applied."""
    shutil.copytree(run, dest)
    CORPUS[name].apply(dest)
    return dest


def _config(mutate: Callable[[dict[str, Any]], object]) -> Callable[[Path], None]:
    def apply(run: Path) -> None:
        record = json.loads((run / "config.json").read_text())
        mutate(record)
        (run / "config.json").write_text(json.dumps(record))
    return apply


def _text(name: str, text: str | bytes, mode: str = "replace") -> Callable[[Path], None]:
    def apply(run: Path) -> None:
        data = text.encode() if isinstance(text, str) else text
        path = run / name
        if mode == "replace":
            path.write_bytes(data)
        else:  # insert after the first line
            first, _, rest = path.read_bytes().partition(b"\n")
            path.write_bytes(first + b"\n" + data + rest)
    return apply


def _both_checkpoints(mutate: Callable[[dict[str, Any]], Any]) -> Callable[[Path], None]:
    def apply(run: Path) -> None:
        for name in ("best.pt", "last.pt"):
            path = run / "checkpoints" / name
            payload = torch.load(path, weights_only=True)
            result = mutate(payload)
            torch.save(payload if result is None else result, path)
    return apply


def _raw_checkpoints(data: Callable[[bytes], bytes]) -> Callable[[Path], None]:
    def apply(run: Path) -> None:
        for name in ("best.pt", "last.pt"):
            path = run / "checkpoints" / name
            path.write_bytes(data(path.read_bytes()))
    return apply


def _poison(value: float) -> Callable[[dict[str, Any]], None]:
    def mutate(payload: dict[str, Any]) -> None:
        name = next(k for k, v in payload["model"].items() if v.is_floating_point())
        payload["model"][name].view(-1)[0] = value
    return mutate


def _setitem(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    return lambda payload: payload.__setitem__(key, value)


def _drop(key: str) -> Callable[[dict[str, Any]], None]:
    return lambda payload: payload.__delitem__(key)


def _train(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    return lambda record: record["train"].__setitem__(key, value)


CORPUS: dict[str, Damage] = {
    "config-missing": Damage("", lambda run: (run / "config.json").unlink(), ALL, "config.json missing"),
    "config-not-json": Damage("config.json", _text("config.json", '{"train": {'), ALL, "not valid JSON"),
    "config-binary": Damage("config.json", _text("config.json", bytes(range(256))), ALL, "not valid JSON"),
    "config-a-list": Damage("config.json", _text("config.json", "[1, 2]"), ALL, "not a run record"),
    "config-null": Damage("config.json", _text("config.json", "null"), ALL, "not a run record"),
    "config-train-text": Damage("config.json", _config(lambda r: r.__setitem__("train", "paper")),
                                ALL, "no train section"),
    "config-epochs-text": Damage("config.json", _config(_train("epochs", "ten")), ALL,
                                 "train.epochs has the wrong type"),
    "config-lr-null": Damage("config.json", _config(_train("lr", None)), ALL, "train.lr has the wrong type"),
    "config-unknown-option": Damage("config.json", _config(_train("bogus", 1)), ALL,
                                    "unknown training options"),
    "config-guidance-garbage": Damage("config.json", _config(_train("guidance", {"kind": [1]})), ALL,
                                      "bad training options"),
    "config-dataset-list": Damage("config.json", _config(lambda r: r.__setitem__("dataset", [])), ALL,
                                  "dataset has the wrong type"),
    "config-newer-version": Damage("config.json", _config(lambda r: r.__setitem__("record_version", 99)),
                                   ALL, "unknown version"),
    "metrics-garbage-line": Damage("metrics.csv", _text("metrics.csv", "garbage\n", "insert"), ALL,
                                   "line 2 has 1 cells"),
    "metrics-nul-lines": Damage("metrics.csv", _text("metrics.csv", b"\0" * 64 + b"\n", "insert"), ALL,
                                "NUL bytes"),
    "metrics-no-header": Damage("metrics.csv", _text("metrics.csv", "1,2,3\n"), ALL, "not a metrics header"),
    "metrics-text-cell": Damage("metrics.csv", _text("metrics.csv", "epoch\nten\n"), ALL, "not a number"),
    "events-garbage-line": Damage("events.jsonl", _text("events.jsonl", "}{ garbage\n", "insert"), ALL,
                                  "line 2 is not JSON"),
    "events-null-line": Damage("events.jsonl", _text("events.jsonl", "null\n", "insert"), ALL,
                               "line 2 is not an event"),
    "events-nul-bytes": Damage("events.jsonl", _text("events.jsonl", b"\0" * 40 + b"\n", "insert"), ALL,
                               "line 2 is not JSON"),
    "events-batch-without-step": Damage(
        "events.jsonl", _text("events.jsonl", '{"time": "t", "event": "batch"}\n', "insert"), ALL, "step"),
    "checkpoint-no-weights": Damage("checkpoints/best.pt", _both_checkpoints(_drop("model")),
                                    MODEL, "holds no model weights"),
    "checkpoint-wrong-keys": Damage(
        "checkpoints/best.pt",
        _both_checkpoints(lambda p: p.__setitem__("model", {f"x.{k}": v for k, v in p["model"].items()})),
        MODEL, "do not fit the model"),
    "checkpoint-wrong-shape": Damage(
        "checkpoints/best.pt",
        _both_checkpoints(lambda p: p["model"].__setitem__(next(iter(p["model"])), torch.zeros(1))),
        MODEL, "has the wrong shape"),
    "checkpoint-nan-weights": Damage("checkpoints/best.pt", _both_checkpoints(_poison(float("nan"))),
                                     MODEL, "checkpoint holds non-finite weights"),
    "checkpoint-inf-weights": Damage("checkpoints/best.pt", _both_checkpoints(_poison(float("inf"))),
                                     MODEL, "checkpoint holds non-finite weights"),
    "checkpoint-truncated": Damage("checkpoints/best.pt", _raw_checkpoints(lambda b: b[: len(b) // 2]),
                                   MODEL, "cannot load checkpoint"),
    "checkpoint-empty": Damage("checkpoints/best.pt", _raw_checkpoints(lambda b: b""), MODEL,
                               "cannot load checkpoint"),
    "checkpoint-not-a-dict": Damage("checkpoints/best.pt", _both_checkpoints(lambda p: [1, 2]), MODEL,
                                    "not an lrpstudio checkpoint"),
    "checkpoint-code": Damage("checkpoints/best.pt", _both_checkpoints(lambda p: {"model": Fraction(1, 3)}),
                              MODEL, "cannot load checkpoint"),
    "checkpoint-config-text": Damage("checkpoints/best.pt", _both_checkpoints(_setitem("config", "x")),
                                     MODEL, "training options are not an object"),
    "checkpoint-no-optimizer": Damage("checkpoints/last.pt", _both_checkpoints(_drop("optimizer")),
                                      frozenset({"resume"}), "optimizer is missing"),
    "checkpoint-rng-garbage": Damage(
        "checkpoints/last.pt",
        _both_checkpoints(lambda p: p.__setitem__("rng", {"torch": torch.zeros(3), "data": torch.zeros(3)})),
        frozenset({"resume"}), "training state does not fit"),
}


def checkpoint_for(name: str, command: str) -> str:
    """The file a command reports for a checkpoint entry (evaluate: best.pt, resume: last.pt)."""
    file = CORPUS[name].file
    if file.startswith("checkpoints/"):
        return "checkpoints/last.pt" if command == "resume" else "checkpoints/best.pt"
    return file


def reported_path(run: Path, name: str, command: str) -> Path:
    file = checkpoint_for(name, command)
    return run / file if file else run


__all__ = ["ALL", "CORPUS", "Damage", "RunFolder", "damaged_copy", "make_tiny_run", "reported_path"]
