"""lrpstudio.core.train: the training engine, run folders, evaluation and experiments.

Main entry points: :func:`fit` (train one run), :func:`evaluate_run`,
:func:`run_experiment` (Table 1 / Fig. 5), :func:`explain_slice`.
"""

from lrpstudio.core.train.augment import AugmentConfig
from lrpstudio.core.train.config import TrainConfig
from lrpstudio.core.train.control import TrainControl
from lrpstudio.core.train.engine import RunResult, TrainCallbacks, fit
from lrpstudio.core.train.evaluate import evaluate_run, load_run_model
from lrpstudio.core.train.experiment import ExperimentConfig, run_experiment
from lrpstudio.core.train.explain import explain_slice
from lrpstudio.core.train.run_folder import RunFolder

__all__ = [
    "AugmentConfig", "ExperimentConfig", "RunFolder", "RunResult", "TrainCallbacks", "TrainConfig",
    "TrainControl", "evaluate_run", "explain_slice", "fit", "load_run_model", "run_experiment",
]
