"""The self-test's step runner (the steps themselves run in tests/gui/test_selftest.py)."""

from __future__ import annotations

import pytest

from lrpstudio.core.selftest import SelfTestFailure, StepRunner, check


def test_a_failing_step_is_reported_and_its_dependents_skipped() -> None:
    steps = StepRunner(out=None)

    def broken() -> dict:
        check(1 + 1 == 3, "arithmetic is off")
        return {}

    assert not steps.run("broken", broken)
    assert not steps.run("after", lambda: {}, needs=(None,))
    assert steps.run("independent", lambda: {"x": 1})
    broken_result, after, independent = steps.results
    assert "SelfTestFailure: arithmetic is off" in broken_result.error
    assert after.error.startswith("skipped")
    assert independent.ok and independent.detail == {"x": 1}


def test_check_raises_with_the_message() -> None:
    with pytest.raises(SelfTestFailure, match="shape"):
        check(False, "shape (1, 2) expected (2, 2)")
