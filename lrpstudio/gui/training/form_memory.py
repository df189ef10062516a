"""The training form's values as plain JSON data, to keep them from one launch to the next.

The values are the form's own :class:`TrainConfig` (``to_dict``) plus what the config
does not hold: the device, the image size, the mask choice and the loss chosen in the
combo box (LRPLoss with p = 0 records as plain cross-entropy, but the user's choice of
LRPLoss is shown again). Values that no longer fit the form (an option renamed, a CUDA
device gone) are skipped, never an error.
"""

from __future__ import annotations

import logging
from typing import Any

from lrpstudio.app.options import TrainConfig
from lrpstudio.core.errors import LrpStudioError
from lrpstudio.gui.training.form import TrainingForm

log = logging.getLogger(__name__)


def form_values(form: TrainingForm) -> dict[str, Any] | None:
    """What the form shows, as JSON data; None when the form holds no valid config."""
    try:
        config = form.config()
    except (LrpStudioError, ValueError, TypeError) as error:  # an invalid mix: nothing to keep
        log.info("training form not remembered: %s", error)
        return None
    options = form.data_options()
    return {"config": config.to_dict(), "loss": form.guidance.currentData(),
            "device": form.device.currentText(), "image_size": options.image_size,
            "use_corrections": options.use_corrections}


def apply_form_values(form: TrainingForm, values: dict[str, Any]) -> bool:
    """Show saved ``values`` in the form; False (the form unchanged) when they do not fit."""
    try:
        config = TrainConfig.from_dict(dict(values["config"]))
    except (LrpStudioError, KeyError, ValueError, TypeError) as error:
        log.info("saved training form not used: %s", error)
        return False
    form.set_config(config)
    loss = form.guidance.findData(values.get("loss"))
    if loss >= 0:
        form.guidance.setCurrentIndex(loss)
    device = form.device.findText(str(values.get("device", "")))
    if device >= 0:  # a GPU that is gone leaves the form's default (cpu)
        form.device.setCurrentIndex(device)
    if isinstance(values.get("image_size"), int):
        form.image_size.setValue(values["image_size"])
    if isinstance(values.get("use_corrections"), bool):
        form.use_corrections.setChecked(values["use_corrections"])
    return True
