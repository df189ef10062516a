from pathlib import Path

from lrpstudio.core.errors import (
    GeometryMismatchError, InputError, LrpStudioError, Problem, TrainingDivergedError,
)


def test_message_names_file_problem_and_values() -> None:
    error = GeometryMismatchError("shape differs from t1", Path("case/seg.nii.gz"),
                                  expected=(240, 240, 155), actual=(240, 240, 154))
    assert str(error) == ("case/seg.nii.gz: shape differs from t1 "
                          "(expected (240, 240, 155), got (240, 240, 154))")
    assert error.exit_code == 2 and isinstance(error, InputError)


def test_internal_errors_exit_one_and_plain_problem() -> None:
    error = TrainingDivergedError("loss became NaN at step 7")
    assert error.exit_code == 1 and isinstance(error, LrpStudioError)
    assert str(error) == "loss became NaN at step 7"


def test_problem_from_error_keeps_file_and_detail() -> None:
    error = GeometryMismatchError("affine differs", "a/b.nii", expected=0, actual=1.5)
    problem = Problem.from_error("case1", error)
    assert problem.file == Path("a/b.nii")
    assert problem.as_dict() == {"case": "case1", "file": "a/b.nii",
                                 "problem": "affine differs (expected 0, got 1.5)",
                                 "severity": "error"}
