"""Reading a run folder's records, validated: config.json, metrics.csv, events.jsonl, checkpoints.

Run folders come from colleagues, other machines and crashed runs, so nothing in them
is trusted: every reader checks the shape and types of what it reads and turns
anything else into a :class:`~lrpstudio.core.errors.CheckpointError` (exit code 2)
that names the file, the line where there is one, and what was expected. Nothing here
writes; :mod:`lrpstudio.core.train.run_folder` does.

Versions: config.json may carry ``record_version`` (absent = 1); a checkpoint carries
``format`` and ``version``. A record from a newer lrpstudio is refused by name rather
than half-read. The training options themselves are checked by field type here and by
:meth:`TrainConfig.from_dict` (ranges, unknown keys).
"""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from lrpstudio.core.errors import CheckpointError, InputError

if TYPE_CHECKING:  # torch only where a checkpoint is read
    import torch

    from lrpstudio.core.train.config import TrainConfig

RUN_RECORD_VERSION = 1
CHECKPOINT_FORMAT = "lrpstudio-checkpoint"
CHECKPOINT_VERSION = 1
#: A config.json or metrics.csv larger than this is not one lrpstudio wrote (memory bound).
MAX_RECORD_BYTES = 256 * 1024 * 1024
#: An events.jsonl line longer than this is garbage (a batch event is ~300 bytes).
MAX_EVENT_LINE = 1024 * 1024


def _fail(problem: str, path: Path, expected: Any = None, actual: Any = None) -> CheckpointError:
    return CheckpointError(problem, path, expected=expected, actual=actual)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


#: Field -> (check, what it must be) for the known keys of config.json's "train" section.
#: Keys not listed pass through to TrainConfig.from_dict, which names unknown ones.
_TRAIN_FIELDS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "model": (lambda v: isinstance(v, str), "a string"),
    "image_size": (lambda v: v is None or _is_int(v), "an integer or null"),
    "in_channels": (lambda v: v is None or _is_int(v), "an integer or null"),
    "guidance": (lambda v: isinstance(v, dict), "an object"),
    "epochs": (_is_int, "an integer"),
    "batch_size": (_is_int, "an integer"),
    "lr": (_is_number, "a number"),
    "weight_decay": (_is_number, "a number"),
    "augmentation": (lambda v: isinstance(v, dict), "an object"),
    "seed": (_is_int, "an integer"),
    "device": (lambda v: isinstance(v, str), "a string"),
    "pinned": (_is_int, "an integer"),
    "pinned_slices": (lambda v: isinstance(v, list), "a list"),
    "heatmap_composite": (lambda v: v is None or isinstance(v, str), "a string or null"),
    "best_metric": (lambda v: isinstance(v, str), "a string"),
    "eval_batch_size": (_is_int, "an integer"),
    "amp": (lambda v: isinstance(v, bool), "true or false"),
}
#: The same for config.json's "dataset" section (every key optional).
_DATASET_FIELDS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "data_hash": (lambda v: isinstance(v, str), "a string"),
    "manifest_hash": (lambda v: isinstance(v, str), "a string"),
    "slices": (lambda v: isinstance(v, dict) and all(_is_int(n) for n in v.values()),
               "an object of slice counts"),
    "channels": (lambda v: isinstance(v, list) and all(isinstance(c, str) for c in v),
                 "a list of strings"),
    "image_size": (_is_int, "an integer"),
    "manifest": (lambda v: isinstance(v, dict), "an object"),
}


def _check_fields(section: dict[str, Any], fields: dict[str, tuple[Callable[[Any], bool], str]],
                  where: str, path: Path) -> None:
    for key, (ok, what) in fields.items():
        if key in section and not ok(section[key]):
            raise _fail(f"{where}.{key} has the wrong type", path, expected=what,
                        actual=f"{type(section[key]).__name__} {section[key]!r:.40}")


def _read_bounded(path: Path) -> bytes:
    """The file's bytes; a file too large to be a run record is refused before reading."""
    try:
        size = path.stat().st_size
        if size > MAX_RECORD_BYTES:
            raise _fail("file too large for a run record", path,
                        expected=f"<= {MAX_RECORD_BYTES} bytes", actual=size)
        return path.read_bytes()
    except OSError as error:
        raise _fail(f"cannot read the file ({error.strerror or error})", path) from error


def read_run_config(path: str | Path, *, for_resume: bool = False) -> dict[str, Any]:
    """config.json, checked: a JSON object with a ``train`` object of known field types.

    Parameters
    ----------
    path
        The config.json file.
    for_resume
        Also require the ``dataset`` section's ``data_hash`` (a resume compares it).

    Returns the record as stored (``train``, ``dataset``, ``versions``, ``created``...).

    Raises
    ------
    CheckpointError
        Missing, unreadable, not JSON, the wrong shape or types, or from a newer version.
    """
    path = Path(path)
    if not path.is_file():
        raise _fail("not a training run (config.json missing)", path.parent)
    try:
        record = json.loads(_read_bounded(path).decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise _fail(f"not valid JSON ({str(error).splitlines()[0][:120]})", path) from error
    if not isinstance(record, dict):
        raise _fail("not a run record", path, expected="a JSON object", actual=type(record).__name__)
    version = record.get("record_version", 1)
    if not _is_int(version) or version > RUN_RECORD_VERSION:
        raise _fail("run record of an unknown version (made by a newer lrpstudio?)", path,
                    expected=f"<= {RUN_RECORD_VERSION}", actual=version)
    train = record.get("train")
    if not isinstance(train, dict):
        raise _fail("the run record has no train section", path, expected="an object",
                    actual=type(train).__name__)
    _check_fields(train, _TRAIN_FIELDS, "train", path)
    train_config(train, path)  # ranges and unknown keys, with this file's name on the error
    dataset = record.get("dataset", {})
    if not isinstance(dataset, dict):
        raise _fail("dataset has the wrong type", path, expected="an object",
                    actual=type(dataset).__name__)
    _check_fields(dataset, _DATASET_FIELDS, "dataset", path)
    if for_resume and "data_hash" not in dataset:
        raise _fail("the run record does not say which data it was trained on", path,
                    expected="dataset.data_hash", actual="missing")
    for key in ("versions", "created"):
        if key in record and not isinstance(record[key], dict if key == "versions" else str):
            raise _fail(f"{key} has the wrong type", path, actual=type(record[key]).__name__)
    return record


def train_config(section: Any, path: str | Path) -> "TrainConfig":
    """A :class:`TrainConfig` from a record's ``train`` section; errors name ``path``."""
    from lrpstudio.core.train.config import TrainConfig

    path = Path(path)
    if not isinstance(section, dict):
        raise _fail("the training options are not an object", path, actual=type(section).__name__)
    try:
        return TrainConfig.from_dict(section)
    except InputError as error:
        raise _fail(f"bad training options: {error.problem}", path,
                    expected=error.expected, actual=error.actual) from error
    except (TypeError, ValueError, AttributeError) as error:
        raise _fail(f"bad training options: {error}", path) from error


def _cell(text: str, column: str, line: int, path: Path) -> float:
    if text == "":
        return math.nan  # NaN metrics are written as empty cells
    try:
        return float(text)
    except ValueError:
        raise _fail(f"line {line}, column {column}: not a number", path, actual=repr(text[:40])) from None


def read_metrics(path: str | Path) -> list[dict[str, float]]:
    """metrics.csv: one row of floats per epoch (empty list when the file is absent).

    Raises
    ------
    CheckpointError
        Not UTF-8 text, NUL bytes, no ``epoch`` column, a row of the wrong length, a cell
        that is not a number, or an epoch that is not a whole number.
    """
    path = Path(path)
    if not path.is_file():
        return []
    data = _read_bounded(path)
    if b"\0" in data:
        line = data[:data.index(b"\0")].count(b"\n") + 1
        raise _fail(f"line {line} holds NUL bytes (a damaged file)", path)
    try:
        rows = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
    except (UnicodeDecodeError, csv.Error) as error:
        raise _fail(f"not a CSV table ({error})", path) from error
    numbered = [(i + 1, row) for i, row in enumerate(rows) if row]  # blank lines carry nothing
    if not numbered:
        return []
    header = numbered[0][1]
    if "epoch" not in header or len(set(header)) != len(header) or "" in header:
        raise _fail("line 1 is not a metrics header", path, expected="unique column names with epoch",
                    actual=",".join(header)[:80])
    result = []
    for line, row in numbered[1:]:
        if len(row) != len(header):
            raise _fail(f"line {line} has {len(row)} cells", path, expected=len(header), actual=len(row))
        values = {name: _cell(text, name, line, path) for name, text in zip(header, row)}
        epoch = values["epoch"]
        if not math.isfinite(epoch) or epoch != int(epoch) or epoch < 0:
            raise _fail(f"line {line}: epoch is not a whole number", path, actual=epoch)
        result.append(values)
    return result


#: Fields that readers index, per event kind -> (check, what it must be).
_EVENT_FIELDS: dict[str, dict[str, tuple[Callable[[Any], bool], str]]] = {
    "batch": {"step": (_is_int, "an integer")},
    "epoch_start": {"epoch": (_is_int, "an integer")},
    "epoch_end": {"epoch": (_is_int, "an integer"),
                  "metrics": (lambda v: isinstance(v, dict) and all(
                      m is None or _is_number(m) for m in v.values()), "an object of numbers")},
}


def _event(raw: bytes, line: int, path: Path) -> dict[str, Any]:
    try:
        event = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise _fail(f"line {line} is not JSON", path, actual=repr(raw[:40])) from None
    if not isinstance(event, dict):
        raise _fail(f"line {line} is not an event", path, expected="a JSON object",
                    actual="null" if event is None else type(event).__name__)
    if not isinstance(event.get("event"), str) or not isinstance(event.get("time"), str):
        raise _fail(f"line {line} is not an event", path, expected='"time" and "event" strings',
                    actual=sorted(event)[:6])
    for key, (ok, what) in _EVENT_FIELDS.get(event["event"], {}).items():
        if not ok(event.get(key)):
            raise _fail(f"line {line}: {event['event']} event's {key} is missing or of the wrong type",
                        path, expected=what, actual=type(event.get(key)).__name__)
    return event


def read_events(path: str | Path) -> list[dict[str, Any]]:
    """events.jsonl: every complete event (a last line without its newline is still being
    written and is left out; blank lines are skipped).

    Raises
    ------
    CheckpointError
        A complete line that is not a JSON object with ``time`` and ``event`` strings.
    """
    path = Path(path)
    if not path.is_file():
        return []
    events = []
    try:
        with path.open("rb") as handle:
            for line, raw in enumerate(iter(lambda: handle.readline(MAX_EVENT_LINE + 1), b""), 1):
                if not raw.endswith(b"\n"):
                    if len(raw) > MAX_EVENT_LINE:
                        raise _fail(f"line {line} is too long for an event", path,
                                    expected=f"<= {MAX_EVENT_LINE} bytes")
                    break  # the line being written
                if raw.strip():
                    events.append(_event(raw, line, path))
    except OSError as error:
        raise _fail(f"cannot read the file ({error.strerror or error})", path) from error
    return events



def check_run_folder(root: str | Path, *, for_resume: bool = False) -> dict[str, Any]:
    """Read and check a run folder's config.json, metrics.csv and events.jsonl together.

    What evaluates, explains or resumes a run calls this first, so that any damaged
    record of the run is named before it is used. Returns the config record.
    """
    root = Path(root)
    record = read_run_config(root / "config.json", for_resume=for_resume)
    read_metrics(root / "metrics.csv")
    read_events(root / "events.jsonl")
    return record


def _nonfinite(tensors: dict[str, Any]) -> list[str]:
    """Names of the floating tensors that hold NaN or inf."""
    import torch

    return [name for name, value in tensors.items() if isinstance(value, torch.Tensor)
            and value.is_floating_point() and not bool(torch.isfinite(value).all())]


def _check_weights(state: Any, path: Path) -> None:
    import torch

    if not isinstance(state, dict) or not state:
        raise _fail("checkpoint holds no model weights", path, expected="model: a dict of tensors",
                    actual=type(state).__name__ if state is not None else "missing")
    if not all(isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in state.items()):
        raise _fail("checkpoint's model weights are not all named tensors", path)
    bad = _nonfinite(state)
    if bad:
        raise _fail("checkpoint holds non-finite weights", path, expected="finite values",
                    actual=f"NaN or inf in {', '.join(bad[:3])}" + (f" and {len(bad) - 3} more" if len(bad) > 3 else ""))


def read_model_checkpoint(path: str | Path) -> dict[str, Any]:
    """A checkpoint fit for evaluating: finite model weights and its training options.

    Loads with ``weights_only=True`` (code in the file is never run).

    Raises
    ------
    CheckpointError
        Missing, unloadable, without weights or options, or with NaN/inf weights.
    """
    from lrpstudio.core.models.checkpoints import load_checkpoint

    path = Path(path)
    payload = load_checkpoint(path)
    _check_weights(payload.get("model"), path)
    train_config(payload.get("config"), path)
    if "epoch" in payload and not _is_int(payload["epoch"]):
        raise _fail("epoch has the wrong type", path, expected="an integer",
                    actual=type(payload["epoch"]).__name__)
    return payload


#: Training-state keys of a checkpoint -> (check, what it must be).
_STATE_FIELDS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "epoch": (_is_int, "an integer"),
    "step": (_is_int, "an integer"),
    "optimizer": (lambda v: isinstance(v, dict) and isinstance(v.get("state"), dict)
                  and isinstance(v.get("param_groups"), list), "an optimizer state"),
    "rng": (lambda v: isinstance(v, dict) and {"torch", "data"} <= set(v), "torch and data states"),
    "history": (lambda v: isinstance(v, list) and all(isinstance(r, dict) for r in v),
                "a list of metric rows"),
    "best": (lambda v: isinstance(v, dict) and _is_int(v.get("epoch"))
             and all(v.get(k) is None or _is_number(v.get(k)) for k in ("value", "loss")),
             "epoch, value and loss"),
}


def read_training_checkpoint(path: str | Path) -> dict[str, Any]:
    """A checkpoint fit for resuming: :func:`read_model_checkpoint` plus the training state.

    Raises
    ------
    CheckpointError
        Not an lrpstudio training checkpoint, of a newer version, a state key missing or
        of the wrong type, or non-finite weights or optimizer state.
    """
    path = Path(path)
    payload = read_model_checkpoint(path)
    if payload.get("format") != CHECKPOINT_FORMAT:
        raise _fail("not an lrpstudio training checkpoint", path, expected=CHECKPOINT_FORMAT,
                    actual=payload.get("format"))
    version = payload.get("version")
    if not _is_int(version) or version > CHECKPOINT_VERSION:
        raise _fail("checkpoint of an unknown version (made by a newer lrpstudio?)", path,
                    expected=f"<= {CHECKPOINT_VERSION}", actual=version)
    for key, (ok, what) in _STATE_FIELDS.items():
        if not ok(payload.get(key)):
            raise _fail(f"checkpoint's {key} is missing or of the wrong type", path, expected=what,
                        actual=type(payload.get(key)).__name__)
    for slot in payload["optimizer"]["state"].values():
        if isinstance(slot, dict) and _nonfinite(slot):
            raise _fail("checkpoint holds non-finite optimizer state", path, expected="finite values")
    return payload


def load_weights(model: "torch.nn.Module", state: dict[str, Any], path: str | Path) -> None:
    """Load ``state`` into ``model``; names and shapes are compared first (one-line errors)."""
    expected = model.state_dict()
    missing, unexpected = sorted(set(expected) - set(state)), sorted(set(state) - set(expected))
    if missing or unexpected:
        raise _fail("checkpoint weights do not fit the model", Path(path),
                    expected=f"the {len(expected)} tensors of {type(model).__name__}",
                    actual=f"missing {missing[:3]}, unexpected {unexpected[:3]}")
    for name, tensor in expected.items():
        if tuple(tensor.shape) != tuple(state[name].shape):
            raise _fail(f"checkpoint weight {name} has the wrong shape", Path(path),
                        expected=tuple(tensor.shape), actual=tuple(state[name].shape))
    model.load_state_dict(state)


def restore_state(payload: dict[str, Any], model: "torch.nn.Module", optimizer: "torch.optim.Optimizer",
                  generator: "torch.Generator", device: "torch.device", path: str | Path) -> None:
    """Put a training checkpoint's weights, optimizer and random states back in place.

    ``payload`` must come from :func:`read_training_checkpoint`.
    """
    import torch

    load_weights(model, payload["model"], path)
    try:
        optimizer.load_state_dict(payload["optimizer"])
        generator.set_state(payload["rng"]["data"])
        torch.set_rng_state(payload["rng"]["torch"])
        if device.type == "cuda" and "cuda" in payload["rng"]:
            torch.cuda.set_rng_state(payload["rng"]["cuda"], device)
    except (ValueError, RuntimeError, KeyError, TypeError) as error:
        first = (str(error).strip().splitlines() or [type(error).__name__])[0][:160]
        raise _fail(f"the checkpoint's training state does not fit the model ({first})",
                    Path(path)) from error
