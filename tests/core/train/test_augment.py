"""Augmentation: one transform for image and masks, checked against a slow reference."""

from __future__ import annotations

import math

import numpy as np
import torch

from lrpstudio.core.train.augment import AugmentConfig, apply_params, augment_batch, draw_params


def _reference_sample(img: np.ndarray, angle: float, hflip: bool, vflip: bool, mode: str) -> np.ndarray:
    """Per-pixel inverse mapping in float64: out(p) = in(R(angle) . flips . p), zero outside."""
    c, h, w = img.shape
    out = np.zeros_like(img, dtype=np.float64)
    sx, sy = (-1.0 if hflip else 1.0), (-1.0 if vflip else 1.0)
    cos, sin = math.cos(angle), math.sin(angle)
    for i in range(h):
        for j in range(w):
            xo, yo = (2 * j + 1) / w - 1, (2 * i + 1) / h - 1
            xf, yf = sx * xo, sy * yo
            xs, ys = cos * xf - sin * yf, sin * xf + cos * yf
            u, v = ((xs + 1) * w - 1) / 2, ((ys + 1) * h - 1) / 2
            if mode == "nearest":
                ui, vi = int(np.rint(u)), int(np.rint(v))
                if 0 <= ui < w and 0 <= vi < h:
                    out[:, i, j] = img[:, vi, ui]
                continue
            u0, v0 = math.floor(u), math.floor(v)
            for du in (0, 1):
                for dv in (0, 1):
                    uu, vv = u0 + du, v0 + dv
                    weight = (1 - abs(u - uu)) * (1 - abs(v - vv))
                    if 0 <= uu < w and 0 <= vv < h:
                        out[:, i, j] += weight * img[:, vv, uu]
    return out


def _inputs(seed: int = 0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    images = torch.rand(3, 2, 12, 18, generator=g)  # non-square: catches swapped axes
    tumor = torch.rand(3, 12, 18, generator=g) > 0.7
    brain = torch.rand(3, 12, 18, generator=g) > 0.3
    return images, tumor, brain


def test_matches_slow_reference_for_image_and_both_masks() -> None:
    images, tumor, brain = _inputs()
    params = draw_params(3, AugmentConfig(rotation=40.0), torch.Generator().manual_seed(3))
    assert params.hflip.any() or params.vflip.any()
    out_img, out_tumor, out_brain = apply_params(images, tumor, brain, params)
    assert out_tumor.dtype == torch.bool and out_brain.dtype == torch.bool
    for k in range(3):
        args = (float(params.angles[k]), bool(params.hflip[k]), bool(params.vflip[k]))
        ref_img = _reference_sample(images[k].double().numpy(), *args, mode="bilinear")
        np.testing.assert_allclose(out_img[k].numpy(), ref_img, atol=1e-4)
        masks = torch.stack([tumor[k], brain[k]]).double().numpy()
        ref_masks = _reference_sample(masks, *args, mode="nearest") > 0.5
        got = np.stack([out_tumor[k].numpy(), out_brain[k].numpy()])
        # float32 vs float64 may round a pixel exactly half-way differently: allow a few.
        assert (got != ref_masks).mean() < 0.01


def test_image_and_mask_move_together() -> None:
    """A mask copied into an image channel lands where the transformed mask lands."""
    images, tumor, brain = _inputs(1)
    images[:, 0] = tumor.float()
    out_img, out_tumor, _ = augment_batch(images, tumor, brain, AugmentConfig(rotation=30.0),
                                          torch.Generator().manual_seed(7))
    agree = ((out_img[:, 0] > 0.5) == out_tumor).float().mean()
    assert agree > 0.9


def test_flips_only_equal_torch_flip() -> None:
    images, tumor, brain = _inputs(2)
    params = draw_params(3, AugmentConfig(rotation=0.0), torch.Generator().manual_seed(0))
    out_img, out_tumor, _ = apply_params(images, tumor, brain, params)
    for k in range(3):
        dims = [d for d, on in ((-1, params.hflip[k]), (-2, params.vflip[k])) if on]
        expected = torch.flip(images[k], dims) if dims else images[k]
        torch.testing.assert_close(out_img[k], expected, atol=1e-5, rtol=0)
        assert torch.equal(out_tumor[k], torch.flip(tumor[k], dims) if dims else tumor[k])


def test_same_generator_state_gives_same_result_and_disabled_is_identity() -> None:
    images, tumor, brain = _inputs()
    a = augment_batch(images, tumor, brain, AugmentConfig(), torch.Generator().manual_seed(5))
    b = augment_batch(images, tumor, brain, AugmentConfig(), torch.Generator().manual_seed(5))
    for x, y in zip(a, b):
        assert torch.equal(x, y)
    g1, g2 = torch.Generator().manual_seed(5), torch.Generator().manual_seed(5)
    off = AugmentConfig(rotation=0.0, hflip=False, vflip=False)
    same = augment_batch(images, tumor, brain, off, g1)
    assert same[0] is images
    augment_batch(images, tumor, brain, AugmentConfig(), g2)
    # Disabled augmentation still consumes the same draws: the stream stays aligned.
    assert torch.equal(g1.get_state(), g2.get_state())
