"""Paint-over rules, guidance mode and intensity limits, value by value."""

from __future__ import annotations

import numpy as np
import pytest

from lrpstudio.core.editing.rules import WritePolicy, resolve_write

VALUES = np.array([0, 1, 2, 3], dtype=np.uint8)


def _changed(policy: WritePolicy, erase: bool) -> tuple[set[int], int]:
    mask, value = resolve_write(VALUES, np.ones(4, bool), policy, erase)
    return {int(v) for v in VALUES[mask]}, value


@pytest.mark.parametrize("label", [1, 2, 3])
def test_paint_over_rules_table(label: int) -> None:
    others = {1, 2, 3} - {label}
    assert _changed(WritePolicy(active_label=label, paint_over="everything"), False) == ({0} | others, label)
    assert _changed(WritePolicy(active_label=label, paint_over="background_only"), False) == ({0}, label)
    assert _changed(WritePolicy(active_label=label, paint_over="protect_others"), False) == ({0}, label)
    assert _changed(WritePolicy(active_label=label, paint_over="everything"), True) == ({1, 2, 3}, 0)
    assert _changed(WritePolicy(active_label=label, paint_over="background_only"), True) == ({label}, 0)
    assert _changed(WritePolicy(active_label=label, paint_over="protect_others"), True) == ({label}, 0)


@pytest.mark.parametrize("rule", ["everything", "background_only", "protect_others"])
def test_guidance_mode_ignores_rules(rule: str) -> None:
    policy = WritePolicy(mode="guidance", active_label=3, guidance_label=2, paint_over=rule)  # type: ignore[arg-type]
    assert _changed(policy, False) == ({0}, 2)  # tumour voxels keep their sub-label
    assert _changed(policy, True) == ({1, 2, 3}, 0)
    np.testing.assert_array_equal(policy.layer(VALUES), [False, True, True, True])


def test_intensity_range_is_inclusive_and_limits_erase_too() -> None:
    current = np.array([0, 0, 0, 0, 1, 1], np.uint8)
    intensity = np.array([9.9, 10.0, 20.0, 20.1, 15.0, 25.0])
    policy = WritePolicy(active_label=1, intensity_range=(10.0, 20.0))
    mask, _ = resolve_write(current, np.ones(6, bool), policy, False, intensity)
    np.testing.assert_array_equal(mask, [False, True, True, False, False, False])
    mask, _ = resolve_write(current, np.ones(6, bool), policy, True, intensity)
    np.testing.assert_array_equal(mask, [False, False, False, False, True, False])
    with pytest.raises(ValueError):
        resolve_write(current, np.ones(6, bool), policy, False, None)


def test_policy_validates() -> None:
    for bad in ({"active_label": 0}, {"active_label": 4}, {"paint_over": "all"}, {"mode": "x"},
                {"intensity_range": (3.0, 1.0)}, {"guidance_label": 5}):
        with pytest.raises(ValueError):
            WritePolicy(**bad)  # type: ignore[arg-type]
