"""What changed between the data a run was trained on and the data it is resumed with.

A run records its slice dataset's manifest in config.json. When a resume finds other
data (the fingerprints differ), a bare "expected 0b85c7…, got d888…" tells a user
nothing; comparing the two manifests names the cause: a mask corrected since, an artefact
region marked since, another image size, cases added or removed, changed source files.
"""

from __future__ import annotations

from typing import Any, Mapping

#: At most this many case ids are named per kind of change.
MAX_NAMED = 3


def _named(ids: list[str]) -> str:
    shown = ", ".join(ids[:MAX_NAMED])
    return shown + (f" and {len(ids) - MAX_NAMED} more" if len(ids) > MAX_NAMED else "")


def _correction_key(entry: Mapping[str, Any]) -> str | None:
    correction = entry.get("correction")
    return None if not correction else str(correction.get("sha256") or correction)


def _file_keys(entry: Mapping[str, Any]) -> dict[str, str]:
    return {name: str(f.get("sha256")) for name, f in (entry.get("files") or {}).items()}


def _artefact_key(entry: Mapping[str, Any]) -> str | None:
    artefact = entry.get("artefact")
    return None if not artefact else str(artefact.get("sha256") or artefact)


def _case_changes(saved: Mapping[str, Any], now: Mapping[str, Any]) -> list[str]:
    common = sorted(set(saved) & set(now))
    changes = []
    corrected = [c for c in common if _correction_key(saved[c]) is None and _correction_key(now[c])]
    recorrected = [c for c in common if _correction_key(saved[c]) and _correction_key(now[c])
                   and _correction_key(saved[c]) != _correction_key(now[c])]
    uncorrected = [c for c in common if _correction_key(saved[c]) and _correction_key(now[c]) is None]
    edited = [c for c in common if _file_keys(saved[c]) != _file_keys(now[c])]
    regions = [c for c in common if _artefact_key(saved[c]) != _artefact_key(now[c])]
    for ids, what in ((corrected, "mask corrected since the run"),
                      (recorrected, "corrected mask changed since the run"),
                      (uncorrected, "correction not used now"),
                      (edited, "source files changed"),
                      (regions, "artefact region marked or changed since the run"),
                      (sorted(set(now) - set(saved)), "case(s) added"),
                      (sorted(set(saved) - set(now)), "case(s) missing")):
        if ids:
            changes.append(f"{what}: {_named(ids)}")
    return changes


def describe_dataset_change(saved: Mapping[str, Any], now: Mapping[str, Any]) -> list[str]:
    """Human-readable differences between two slice-dataset manifests.

    Parameters
    ----------
    saved
        The manifest recorded in the run's config.json.
    now
        The manifest of the dataset offered for the resume.

    Returns
    -------
    list of str
        One phrase per kind of change (empty when the manifests show none, e.g. a
        dataset rebuilt by another version).
    """
    changes = []
    saved_params, now_params = saved.get("parameters") or {}, now.get("parameters") or {}
    for key in sorted(set(saved_params) | set(now_params)):
        if saved_params.get(key) != now_params.get(key):
            changes.append(f"{key} {saved_params.get(key)!r} then, {now_params.get(key)!r} now")
    changes += _case_changes(saved.get("cases") or {}, now.get("cases") or {})
    return changes
