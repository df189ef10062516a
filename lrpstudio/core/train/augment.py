"""Data augmentation: random rotation and flips, identical for an image and its masks.

Pure functions: tensors and a :class:`torch.Generator` in, tensors out. The random
parameters are drawn on the CPU generator (so a run is reproducible whatever the
device) and applied on the tensors' device. Images are resampled bilinearly, masks
with nearest neighbour so that they stay binary; outside the field of view everything
is zero (BraTS images are skull-stripped with a zero background).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F


@dataclass(frozen=True)
class AugmentConfig:
    """Augmentation settings.

    Attributes
    ----------
    rotation
        Largest rotation angle in degrees; each slice gets a uniform angle in
        ``[-rotation, rotation]`` (0 disables rotation).
    hflip, vflip
        Flip each slice left-right / up-down with probability 1/2.
    """

    rotation: float = 10.0
    hflip: bool = True
    vflip: bool = True

    @property
    def enabled(self) -> bool:
        """True when any transform is switched on."""
        return self.rotation > 0 or self.hflip or self.vflip


@dataclass(frozen=True)
class AugmentParams:
    """The random parameters of one batch: angle in radians and flip flags per slice."""

    angles: torch.Tensor  # (N,) float64, radians
    hflip: torch.Tensor   # (N,) bool
    vflip: torch.Tensor   # (N,) bool


def draw_params(n: int, config: AugmentConfig, generator: torch.Generator) -> AugmentParams:
    """Draw the random transform of ``n`` slices from ``generator`` (a CPU generator).

    The same number of values is drawn whatever the config, so switching a transform
    off does not shift the random stream of the others.
    """
    u = torch.rand(3, n, generator=generator, dtype=torch.float64)
    angles = (2.0 * u[0] - 1.0) * math.radians(config.rotation)
    return AugmentParams(angles=angles, hflip=(u[1] < 0.5) & config.hflip,
                         vflip=(u[2] < 0.5) & config.vflip)


def _grid(params: AugmentParams, shape: tuple[int, int, int, int], device: torch.device) -> torch.Tensor:
    """Sampling grid of the rotation, then the flips, in normalised coordinates."""
    cos, sin = torch.cos(params.angles), torch.sin(params.angles)
    # A flip of the output is a sign change of the output coordinate fed to the rotation.
    sx = 1.0 - 2.0 * params.hflip.to(torch.float64)
    sy = 1.0 - 2.0 * params.vflip.to(torch.float64)
    theta = torch.zeros(shape[0], 2, 3, dtype=torch.float64)
    theta[:, 0, 0], theta[:, 0, 1] = cos * sx, -sin * sy
    theta[:, 1, 0], theta[:, 1, 1] = sin * sx, cos * sy
    # align_corners=False: pixel centres at (2i+1)/n - 1, rotation about the image centre.
    return F.affine_grid(theta, list(shape), align_corners=False).to(device=device, dtype=torch.float32)


def apply_params(
    images: torch.Tensor, tumor: torch.Tensor, brain: torch.Tensor, params: AugmentParams,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Apply one transform per slice to images (N,C,H,W) and both masks (N,H,W).

    Returns
    -------
    images, tumor, brain
        Transformed copies; the masks keep the input dtype and stay binary.
    """
    n, _, h, w = images.shape
    grid = _grid(params, (n, 1, h, w), images.device)
    out_images = F.grid_sample(images, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    masks = torch.stack([tumor, brain], dim=1).to(images.dtype)
    out_masks = F.grid_sample(masks, grid, mode="nearest", padding_mode="zeros", align_corners=False)
    out_masks = out_masks > 0.5
    return out_images, out_masks[:, 0].to(tumor.dtype), out_masks[:, 1].to(brain.dtype)


def augment_batch(
    images: torch.Tensor, tumor: torch.Tensor, brain: torch.Tensor,
    config: AugmentConfig, generator: torch.Generator,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Randomly rotate and flip a batch; the same transform for a slice's image and masks.

    Parameters
    ----------
    images
        (N, C, H, W) float.
    tumor, brain
        (N, H, W) bool or float binary masks.
    config
        What to draw.
    generator
        CPU generator; consumed identically whether or not transforms are enabled.
    """
    params = draw_params(images.shape[0], config, generator)
    if not config.enabled:
        return images, tumor, brain
    return apply_params(images, tumor, brain, params)
