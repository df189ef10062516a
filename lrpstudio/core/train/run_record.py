"""A run's records (config.json, heatmaps/pinned.json), typed and versioned, read and checked here.

``config.json`` says what a run computed and on which data::

    {"record_version": 1,
     "train":   {...TrainConfig.to_dict()...},
     "dataset": {"data_hash", "manifest_hash", "slices": {split: n}, "channels",
                 "image_size", "manifest": {..., "parameters": {...PrepareConfig...},
                                               "cases": {id: {"correction": ...}}}},
     "versions": {"lrpstudio", "python", "torch", "numpy", "zennit"},
     "created": "2026-01-01T12:00:00+00:00"}

:class:`RunRecord` is that file as frozen dataclasses: the training options as a
:class:`~lrpstudio.core.train.config.TrainConfig`, the dataset's identity and recorded
preparation as a :class:`DatasetRecord`. Reading checks every field's type, the
options' ranges and the version, and turns anything else into a
:class:`~lrpstudio.core.errors.CheckpointError` that names the file and what was
expected: run folders come from colleagues, other machines and crashed runs.

Versions: ``record_version`` absent means 1. A record from a newer lrpstudio is
refused by name rather than half-read. Records written before an option or a dataset
field existed still load: a missing training option means what such runs did
(:data:`~lrpstudio.core.train.config.LEGACY_DEFAULTS`), a missing dataset field is None.
``heatmaps/pinned.json`` (:class:`PinnedRecord`) records which slices the run explains
after every epoch and the run's fixed colour scale.
:class:`~lrpstudio.core.train.run_folder.RunFolder` writes both files; the run's logs are
read by :mod:`lrpstudio.core.train.run_logs` (with :func:`~lrpstudio.core.train.run_logs.check_run_folder`,
every record of a run at once), its checkpoints by :mod:`lrpstudio.core.train.checkpoint_record`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

from lrpstudio.core.data.prepare_config import PrepareConfig
from lrpstudio.core.errors import InputError
from lrpstudio.core.train.config import TrainConfig
from lrpstudio.core.train.record_checks import (FieldChecks, check_fields, fail, is_int, is_number,
                                                read_bounded)

RUN_RECORD_VERSION = 1
CONFIG_FILE = "config.json"
#: The pinned slices' record, in the run's heatmaps folder.
PINNED_FILE = "pinned.json"
#: What the pinned rows index: the validation split or the whole dataset.
PINNED_POOLS: tuple[str, ...] = ("val", "all")

#: The known keys of config.json's "train" section; keys not listed pass through to
#: TrainConfig.from_dict, which names unknown ones.
_TRAIN_FIELDS: FieldChecks = {
    "model": (lambda v: isinstance(v, str), "a string"),
    "image_size": (lambda v: v is None or is_int(v), "an integer or null"),
    "in_channels": (lambda v: v is None or is_int(v), "an integer or null"),
    "guidance": (lambda v: isinstance(v, dict), "an object"),
    "epochs": (is_int, "an integer"),
    "batch_size": (is_int, "an integer"),
    "lr": (is_number, "a number"),
    "weight_decay": (is_number, "a number"),
    "augmentation": (lambda v: isinstance(v, dict), "an object"),
    "seed": (is_int, "an integer"),
    "device": (lambda v: isinstance(v, str), "a string"),
    "pinned": (is_int, "an integer"),
    "pinned_slices": (lambda v: isinstance(v, list), "a list"),
    "heatmap_composite": (lambda v: v is None or isinstance(v, str), "a string or null"),
    "best_metric": (lambda v: isinstance(v, str), "a string"),
    "eval_batch_size": (is_int, "an integer"),
    "amp": (lambda v: isinstance(v, bool), "true or false"),
    "forbidden_weight": (is_number, "a number"),
}
#: The same for the "dataset" section (every key optional: older records lack some).
_DATASET_FIELDS: FieldChecks = {
    "data_hash": (lambda v: isinstance(v, str), "a string"),
    "manifest_hash": (lambda v: isinstance(v, str), "a string"),
    "slices": (lambda v: isinstance(v, dict) and all(is_int(n) for n in v.values()),
               "an object of slice counts"),
    "channels": (lambda v: isinstance(v, list) and all(isinstance(c, str) for c in v),
                 "a list of strings"),
    "image_size": (is_int, "an integer"),
    "manifest": (lambda v: isinstance(v, dict), "an object"),
}
#: The same for the top level.
_RECORD_FIELDS: FieldChecks = {
    "versions": (lambda v: isinstance(v, dict), "an object"),
    "created": (lambda v: isinstance(v, str), "a string"),
}


def frozen_json(value: Any) -> Any:
    """A read-only deep copy of JSON data (objects become read-only mappings, lists tuples)."""
    if isinstance(value, Mapping):
        return MappingProxyType({str(k): frozen_json(v) for k, v in value.items()})
    if isinstance(value, (list, tuple)):
        return tuple(frozen_json(v) for v in value)
    return value


def plain_json(value: Any) -> Any:
    """The plain JSON form (dicts and lists) of a value :func:`frozen_json` made."""
    if isinstance(value, Mapping):
        return {k: plain_json(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [plain_json(v) for v in value]
    return value


@dataclass(frozen=True)
class DatasetRecord:
    """What a run recorded of its slice dataset.

    Attributes
    ----------
    data_hash
        SHA-256 of the arrays and split the run trained on (None in records that lack
        it; such a run cannot be resumed).
    manifest_hash
        SHA-256 of the dataset manifest.
    slices
        Slices per split.
    channels
        Modalities in channel order (None: not recorded).
    image_size
        Side of the slices in pixels (None: not recorded).
    manifest
        The dataset manifest as stored (read-only): how it was prepared
        (``parameters``), from which cases and corrections (``cases``).
    """

    data_hash: str | None = None
    manifest_hash: str | None = None
    slices: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    channels: tuple[str, ...] | None = None
    image_size: int | None = None
    manifest: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def preparation(self) -> PrepareConfig | None:
        """How the slices were prepared (the manifest's parameters), or None when not recorded."""
        params = self.manifest.get("parameters")
        return PrepareConfig.from_dict(params) if isinstance(params, Mapping) and params else None

    @property
    def corrections_used(self) -> tuple[str, ...]:
        """Case ids whose corrected mask the dataset was built from, sorted."""
        cases = self.manifest.get("cases")
        if not isinstance(cases, Mapping):
            return ()
        return tuple(sorted(case for case, info in cases.items() if isinstance(info, Mapping)
                            and (info.get("correction") or info.get("corrected"))))

    def to_json(self) -> dict[str, Any]:
        """The ``dataset`` section (fields that are not recorded are left out)."""
        out: dict[str, Any] = {"slices": dict(self.slices), "manifest": plain_json(self.manifest)}
        for key in ("data_hash", "manifest_hash", "image_size"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        if self.channels is not None:
            out["channels"] = list(self.channels)
        return out


@dataclass(frozen=True)
class RunRecord:
    """A run's config.json.

    Attributes
    ----------
    train
        The training options (what the run computes).
    dataset
        The data it trained on.
    versions
        Versions of Python and of the packages that decide the numbers.
    created
        UTC time the run was created (ISO-8601), or None.
    recorded_options
        The names of the training options the file itself holds (an older record lacks
        some; their values in :attr:`train` are what such runs did).
    version
        ``record_version`` of the file read (a record is always written as
        :data:`RUN_RECORD_VERSION`).
    """

    train: TrainConfig
    dataset: DatasetRecord = field(default_factory=DatasetRecord)
    versions: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    created: str | None = None
    recorded_options: frozenset[str] = frozenset()
    version: int = RUN_RECORD_VERSION

    def with_train(self, config: TrainConfig) -> RunRecord:
        """The same record with other training options (a resume with more epochs)."""
        return replace(self, train=config, recorded_options=frozenset(config.to_dict()))

    def to_json(self) -> dict[str, Any]:
        """config.json's object, stamped with :data:`RUN_RECORD_VERSION`."""
        out: dict[str, Any] = {"record_version": RUN_RECORD_VERSION, "train": self.train.to_dict(),
                               "dataset": self.dataset.to_json(), "versions": dict(self.versions)}
        if self.created is not None:
            out["created"] = self.created
        return out


def train_config(section: Any, path: str | Path) -> TrainConfig:
    """A :class:`TrainConfig` from a record's ``train`` section; errors name ``path``."""
    path = Path(path)
    if not isinstance(section, dict):
        raise fail("the training options are not an object", path, actual=type(section).__name__)
    try:
        return TrainConfig.from_dict(section)
    except InputError as error:
        raise fail(f"bad training options: {error.problem}", path,
                   expected=error.expected, actual=error.actual) from error
    except (TypeError, ValueError, AttributeError) as error:
        raise fail(f"bad training options: {error}", path) from error


def _dataset(section: Any, path: Path) -> DatasetRecord:
    if not isinstance(section, dict):
        raise fail("dataset has the wrong type", path, expected="an object", actual=type(section).__name__)
    check_fields(section, _DATASET_FIELDS, "dataset", path)
    channels = section.get("channels")
    return DatasetRecord(
        data_hash=section.get("data_hash"), manifest_hash=section.get("manifest_hash"),
        slices=frozen_json(section.get("slices", {})),
        channels=tuple(channels) if channels is not None else None,
        image_size=section.get("image_size"), manifest=frozen_json(section.get("manifest", {})))


def parse_run_record(data: Any, path: str | Path) -> RunRecord:
    """A :class:`RunRecord` from config.json's parsed JSON; errors name ``path``.

    Raises
    ------
    CheckpointError
        Not an object, no ``train`` object, a field of the wrong type, bad training
        options, or a record from a newer version.
    """
    path = Path(path)
    if not isinstance(data, dict):
        raise fail("not a run record", path, expected="a JSON object", actual=type(data).__name__)
    version = data.get("record_version", 1)
    if not is_int(version) or version > RUN_RECORD_VERSION:
        raise fail("run record of an unknown version (made by a newer lrpstudio?)", path,
                   expected=f"<= {RUN_RECORD_VERSION}", actual=version)
    train = data.get("train")
    if not isinstance(train, dict):
        raise fail("the run record has no train section", path, expected="an object",
                   actual=type(train).__name__)
    check_fields(train, _TRAIN_FIELDS, "train", path)
    config = train_config(train, path)  # ranges and unknown keys, with this file's name
    dataset = _dataset(data.get("dataset", {}), path)
    for key, (ok, what) in _RECORD_FIELDS.items():
        if key in data and not ok(data[key]):
            raise fail(f"{key} has the wrong type", path, expected=what, actual=type(data[key]).__name__)
    return RunRecord(train=config, dataset=dataset, versions=frozen_json(data.get("versions", {})),
                     created=data.get("created"), recorded_options=frozenset(train), version=version)


def read_run_record(path: str | Path, *, for_resume: bool = False) -> RunRecord:
    """config.json, read and checked.

    Parameters
    ----------
    path
        The config.json file.
    for_resume
        Also require the dataset's ``data_hash`` (a resume compares it).

    Raises
    ------
    CheckpointError
        Missing, unreadable, not JSON, the wrong shape or types, or from a newer version.
    """
    path = Path(path)
    if not path.is_file():
        raise fail("not a training run (config.json missing)", path.parent)
    try:
        data = json.loads(read_bounded(path).decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise fail(f"not valid JSON ({str(error).splitlines()[0][:120]})", path) from error
    record = parse_run_record(data, path)
    if for_resume and record.dataset.data_hash is None:
        raise fail("the run record does not say which data it was trained on", path,
                   expected="dataset.data_hash", actual="missing")
    return record


@dataclass(frozen=True)
class PinnedSlice:
    """One pinned slice: its case, axial index and true label."""

    case: str
    slice: int
    label: int


@dataclass(frozen=True)
class PinnedRecord:
    """``heatmaps/pinned.json``: the run's pinned slices and its fixed heatmap colour scale.

    Attributes
    ----------
    rows
        Dataset rows of the pinned slices, in column order.
    pool
        What ``rows`` index: ``"val"`` (the validation split) or ``"all"`` (the dataset,
        when the user pinned slices).
    vmax
        The colour scale fixed by the first heatmaps (None until they are drawn).
    slices
        Case, slice and label of each row (the same order).
    """

    rows: tuple[int, ...] = ()
    pool: str = "val"
    vmax: float | None = None
    slices: tuple[PinnedSlice, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The file's object."""
        return {"rows": list(self.rows), "vmax": self.vmax, "pool": self.pool,
                "slices": [{"case": s.case, "slice": s.slice, "label": s.label} for s in self.slices]}


def _pinned_slice(item: Any, index: int, path: Path) -> PinnedSlice:
    if not (isinstance(item, dict) and isinstance(item.get("case"), str) and is_int(item.get("slice"))
            and is_int(item.get("label"))):
        raise fail(f"cannot read the pinned slices: slices[{index}] is not a pinned slice", path,
                   expected='{"case": str, "slice": int, "label": int}', actual=f"{item!r:.60}")
    return PinnedSlice(item["case"], item["slice"], item["label"])


def read_pinned_record(path: str | Path) -> PinnedRecord | None:
    """``heatmaps/pinned.json``, checked; None when the run has not pinned its slices yet.

    Raises
    ------
    CheckpointError
        Unreadable, not JSON, or a field of the wrong type (the message starts with
        "cannot read the pinned slices").
    """
    path = Path(path)
    if not path.is_file():
        return None
    try:
        data = json.loads(read_bounded(path).decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise fail(f"cannot read the pinned slices: not valid JSON ({str(error).splitlines()[0][:80]})",
                   path) from error
    if not isinstance(data, dict):
        raise fail("cannot read the pinned slices: not a JSON object", path, expected="an object",
                   actual=type(data).__name__)
    rows, pool, vmax = data.get("rows", []), data.get("pool", "val"), data.get("vmax")
    slices = data.get("slices", [])
    if not isinstance(rows, list) or not all(is_int(r) and r >= 0 for r in rows):
        raise fail("cannot read the pinned slices: rows is not a list of row numbers", path,
                   expected="a list of integers >= 0", actual=f"{rows!r:.60}")
    if pool not in PINNED_POOLS:
        raise fail("cannot read the pinned slices: unknown pool", path, expected=PINNED_POOLS, actual=pool)
    if vmax is not None and not is_number(vmax):
        raise fail("cannot read the pinned slices: vmax is not a number", path, expected="a number or null",
                   actual=f"{vmax!r:.40}")
    if not isinstance(slices, list):
        raise fail("cannot read the pinned slices: slices is not a list", path, expected="a list",
                   actual=type(slices).__name__)
    return PinnedRecord(rows=tuple(rows), pool=pool, vmax=float(vmax) if vmax is not None else None,
                        slices=tuple(_pinned_slice(item, i, path) for i, item in enumerate(slices)))
