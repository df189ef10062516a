"""Per-layer nearest training slices (exact cosine k-NN), with the query's own patient excluded.

The *atlas* is the training split: every training slice's L2-normalised activations at each
feature layer (see :mod:`lrpstudio.core.xai.features`), with its case id, slice index and
label. A query returns, per layer, the ``k`` atlas slices closest in cosine distance, never
a slice of the query's own patient (a patient's neighbouring slices are near-copies and
would say nothing about what the network learned).

The atlas is cached in the run folder (``<run>/similar/atlas_<layer>.npz``) together with a
fingerprint of the model's weights and of the atlas slices; a cache whose fingerprints do
not match (a retrained model, a re-prepared dataset) is rebuilt.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch

from lrpstudio.core.atomic import atomic_write
from lrpstudio.core.data.slice_dataset import GRADES, SliceDataset
from lrpstudio.core.errors import InputError
from lrpstudio.core.jobs import Cancel, ProgressCallback
from lrpstudio.core.xai.features import extract_features, l2_normalise

CACHE_VERSION = 1


@dataclass(frozen=True)
class Neighbour:
    """One atlas slice returned for a query at one layer."""

    row: int            # row in the atlas (= in the training split it was built from)
    case_id: str
    slice_index: int
    label: int          # 0 = LGG, 1 = HGG
    distance: float     # cosine distance, 0 = same direction, 2 = opposite

    @property
    def grade(self) -> str:
        """``"LGG"`` or ``"HGG"``."""
        return GRADES[self.label] if 0 <= self.label < len(GRADES) else str(self.label)

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return {"row": self.row, "case_id": self.case_id, "slice_index": self.slice_index,
                "label": self.label, "grade": self.grade, "distance": self.distance}


@dataclass(frozen=True, eq=False)
class Atlas:
    """Normalised features of the atlas slices, per layer, with their identities.

    Attributes
    ----------
    features
        Layer name -> float32 (N, D) rows of unit norm.
    case_ids, slice_index, labels
        (N,) identities of the atlas slices.
    model_key, data_key
        Fingerprints of the weights and of the slices the features came from.
    """

    features: dict[str, np.ndarray]
    case_ids: np.ndarray
    slice_index: np.ndarray
    labels: np.ndarray
    model_key: str = ""
    data_key: str = ""

    def __len__(self) -> int:
        return int(len(self.labels))

    @property
    def layers(self) -> tuple[str, ...]:
        return tuple(self.features)

    def max_slices_per_patient(self) -> int:
        """The most slices any one patient has in the atlas."""
        if len(self) == 0:
            return 0
        return int(np.unique(self.case_ids, return_counts=True)[1].max())


class KnnIndex:
    """Exact cosine nearest-neighbour search over an :class:`Atlas`, per layer.

    The atlas rows are unit vectors, so the cosine distance of a query to every row is one
    matrix-vector product (``1 - F q``) followed by a partial sort. This is the same
    search as scikit-learn's ``NearestNeighbors(metric="cosine", algorithm="brute")`` (the
    tests check it against that), about ten times faster here because scikit-learn
    re-normalises the whole atlas matrix on every query.

    Parameters
    ----------
    atlas
        The training slices' features.
    """

    def __init__(self, atlas: Atlas) -> None:
        self.atlas = atlas
        self._unit: dict[str, np.ndarray] = {}
        self._extra = atlas.max_slices_per_patient()

    def _matrix(self, layer: str) -> np.ndarray:
        if layer not in self.atlas.features:
            raise InputError(f"the atlas has no layer {layer!r}",
                             expected=list(self.atlas.layers), actual=layer)
        if layer not in self._unit:
            matrix = np.asarray(self.atlas.features[layer], np.float32)
            norms = np.linalg.norm(matrix, axis=1)
            # features from extract_features are unit rows already: no second copy in memory
            unit = bool(np.all((np.abs(norms - 1.0) < 1e-4) | (norms == 0)))
            self._unit[layer] = matrix if unit else l2_normalise(matrix)
        return self._unit[layer]

    def distances(self, layer: str, features: np.ndarray) -> np.ndarray:
        """Cosine distances (Q, N) of query rows to every atlas row at ``layer``."""
        matrix = self._matrix(layer)
        q = l2_normalise(np.atleast_2d(np.asarray(features, dtype=np.float32)))
        return np.clip(1.0 - q @ matrix.T, 0.0, 2.0)

    def query(self, layer: str, features: np.ndarray, case_ids: Sequence[str],
              k: int, *, one_per_patient: bool = False) -> list[list[Neighbour]]:
        """The ``k`` nearest atlas slices of each query row at ``layer``.

        Parameters
        ----------
        layer
            Layer name.
        features
            (Q, D) query features (normalised or not: the metric is cosine).
        case_ids
            (Q,) the query rows' patients; their slices are never returned.
        k
            Neighbours per query (fewer only when the atlas lacks other patients).
        one_per_patient
            Keep only the nearest slice of each patient and fill ``k`` from further
            neighbours (a patient's adjacent slices are near-copies of each other).

        Returns
        -------
        list
            Per query row, its neighbours nearest first (ties: lower atlas row first).
        """
        if k < 1:
            raise InputError("k must be at least 1", expected=">= 1", actual=k)
        dist = self.distances(layer, features)
        n = dist.shape[1]
        if n == 0:
            return [[] for _ in range(dist.shape[0])]
        # Each patient holds at most `_extra` rows, so k + _extra rows hold k of other
        # patients, and (k + 1) * _extra rows hold k + 1 distinct patients (k besides the query's).
        wanted = min((k + 1) * self._extra if one_per_patient else k + self._extra, n)
        result = []
        for q in range(dist.shape[0]):
            part = np.argpartition(dist[q], wanted - 1)[:wanted] if wanted < n else np.arange(n)
            part = part[np.lexsort((part, dist[q, part]))]
            keep = self._keep(part, case_ids[q], k, one_per_patient)
            result.append([self._neighbour(j, float(dist[q, j])) for j in keep])
        return result

    def _keep(self, ordered: np.ndarray, own: str, k: int, one_per_patient: bool) -> list[int]:
        """The first ``k`` rows of ``ordered`` not of patient ``own`` (one per patient if asked)."""
        keep: list[int] = []
        seen = {own}
        for j in ordered:
            case = str(self.atlas.case_ids[j])
            if case in seen:
                continue
            if one_per_patient:
                seen.add(case)
            keep.append(int(j))
            if len(keep) == k:
                break
        return keep

    def _neighbour(self, row: int, distance: float) -> Neighbour:
        a = self.atlas
        return Neighbour(row=row, case_id=str(a.case_ids[row]), slice_index=int(a.slice_index[row]),
                         label=int(a.labels[row]), distance=max(distance, 0.0))


def model_fingerprint(model: torch.nn.Module) -> str:
    """sha256 of the model's state (names, dtypes, shapes and values of every tensor)."""
    digest = hashlib.sha256()
    for name, tensor in sorted(model.state_dict().items()):
        t = tensor.detach().cpu().contiguous()
        digest.update(f"{name}|{t.dtype}|{tuple(t.shape)}|".encode())
        digest.update(t.numpy().tobytes() if t.dtype != torch.bfloat16 else t.float().numpy().tobytes())
    return digest.hexdigest()


def data_fingerprint(dataset: SliceDataset) -> str:
    """sha256 of the slices' pixels and identities (case, slice, label)."""
    digest = hashlib.sha256()
    digest.update(np.ascontiguousarray(dataset.images, dtype=np.float32).tobytes())
    digest.update("\n".join(str(c) for c in dataset.case_ids).encode())
    digest.update(np.asarray(dataset.slice_index, np.int64).tobytes())
    digest.update(np.asarray(dataset.labels, np.int64).tobytes())
    return digest.hexdigest()


def cache_file(cache_dir: str | Path, layer: str) -> Path:
    """``<cache_dir>/atlas_<layer>.npz`` with the layer name made file-safe."""
    return Path(cache_dir) / f"atlas_{re.sub(r'[^A-Za-z0-9_.-]', '_', layer)}.npz"


def build_atlas(
    model: torch.nn.Module,
    dataset: SliceDataset,
    layers: Sequence[str],
    *,
    cache_dir: str | Path | None = None,
    batch_size: int = 64,
    progress: ProgressCallback | None = None,
    cancel: Cancel | None = None,
) -> Atlas:
    """The atlas of ``dataset`` (usually the training split) at ``layers``.

    With ``cache_dir``, each layer is read from ``atlas_<layer>.npz`` when its model and
    data fingerprints match, and the missing or stale layers are computed in one pass
    and written back atomically.

    Parameters
    ----------
    model
        The trained network.
    dataset
        The atlas slices.
    layers
        Feature layer names.
    cache_dir
        Folder of the cache (e.g. ``<run>/similar``); None disables caching.
    batch_size, progress, cancel
        Passed to :func:`~lrpstudio.core.xai.features.extract_features`.
    """
    model_key, data_key = model_fingerprint(model), data_fingerprint(dataset)
    features: dict[str, np.ndarray] = {}
    if cache_dir is not None:
        for layer in layers:
            cached = _read_cache(cache_file(cache_dir, layer), model_key, data_key)
            if cached is not None:
                features[layer] = cached
    missing = [layer for layer in layers if layer not in features]
    if missing:
        fresh = extract_features(model, dataset.images, missing, batch_size=batch_size,
                                 progress=progress, cancel=cancel)
        features.update(fresh)
        if cache_dir is not None:
            try:
                Path(cache_dir).mkdir(parents=True, exist_ok=True)
                for layer in missing:
                    _write_cache(cache_file(cache_dir, layer), fresh[layer], model_key, data_key)
            except OSError:
                pass  # a read-only or full disk only costs the cache, not the answer
    return Atlas(features={layer: features[layer] for layer in layers},
                 case_ids=np.asarray(dataset.case_ids).astype(str),
                 slice_index=np.asarray(dataset.slice_index, np.int64),
                 labels=np.asarray(dataset.labels, np.int64),
                 model_key=model_key, data_key=data_key)


def _read_cache(path: Path, model_key: str, data_key: str) -> np.ndarray | None:
    """The cached features, or None when absent, unreadable or stale."""
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as npz:
            if (int(npz["version"]) != CACHE_VERSION or str(npz["model_key"]) != model_key
                    or str(npz["data_key"]) != data_key):
                return None
            return np.asarray(npz["features"], dtype=np.float32)
    except (OSError, ValueError, KeyError):
        return None  # a broken cache is only a cache: rebuild it


def _write_cache(path: Path, features: np.ndarray, model_key: str, data_key: str) -> None:
    atomic_write(path, lambda handle: np.savez(
        handle, features=features, model_key=np.asarray(model_key),
        data_key=np.asarray(data_key), version=np.asarray(CACHE_VERSION)))


def find_similar(
    model: torch.nn.Module,
    index: KnnIndex,
    image: np.ndarray | torch.Tensor,
    case_id: str,
    k: int = 5,
    layers: Sequence[str] | None = None,
) -> dict[str, list[Neighbour]]:
    """Per layer, the ``k`` atlas slices nearest to one query slice.

    Parameters
    ----------
    model
        The network the atlas was built with.
    index
        The atlas index.
    image
        The query slice (C, H, W), preprocessed like the dataset (any slice of the
        dataset, or of an opened volume).
    case_id
        The query's patient (excluded from the results).
    k
        Neighbours per layer.
    layers
        Layers to search (default: all the atlas has).
    """
    layers = list(index.atlas.layers if layers is None else layers)
    query = extract_features(model, image, layers)
    return {layer: index.query(layer, query[layer], [case_id], k)[0] for layer in layers}
