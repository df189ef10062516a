"""Tiny networks shared by the XAI tests (float64, paper-shaped and VGG-BN-shaped).

They are conditioned like trained networks rather than fresh ones: activations of unit
scale (BatchNorm statistics calibrated on data) and small biases, so most relevance
reaches the input. With large biases nearly all relevance is absorbed on the way and
the comparisons would be between numbers at the level of the stabiliser.
"""

from __future__ import annotations

import torch
from torch import nn

from lrpstudio.core.models.paper import PaperCNN
from lrpstudio.core.models.vgg import VGGBN


def tiny_paper(seed: int = 0, size: int = 16, dropout: float = 0.0) -> nn.Module:
    """The paper CNN's shape with a handful of filters, float64, eval mode."""
    torch.manual_seed(seed)
    model = PaperCNN(image_size=size, filters=(3, 4, 4, 5), dense=6, dropout=dropout).double()
    _condition(model)
    return model.eval()


def tiny_vgg(seed: int = 0, size: int = 16) -> nn.Module:
    """The VGG-BN shape, tiny, float64, eval mode, BatchNorm statistics from data."""
    torch.manual_seed(seed)
    model = VGGBN(image_size=size, filters=(3, 4, 4, 5), dense=6, dropout=0.0).double()
    _condition(model)
    bns = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    with torch.no_grad():
        for m in bns:
            m.momentum = 1.0  # running statistics := those of the calibration batch
            m.weight.uniform_(0.7, 1.3)
            m.bias.uniform_(-0.05, 0.05)
        model.train()
        model(torch.randn(8, 3, size, size, dtype=torch.float64))
        for m in bns:
            m.momentum = 0.1
            m.running_var.mul_(torch.empty_like(m.running_var).uniform_(0.8, 1.25))
    return model.eval()


def _condition(model: nn.Module) -> None:
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("bias") and p.dim() == 1 and "bn" not in name:
                p.uniform_(-0.02, 0.02)
            elif p.dim() > 1:
                p.mul_(1.7)  # roughly He scale: keeps activations from shrinking layer by layer
        # Keep the hidden dense units alive: a tiny net whose dense ReLUs are all off
        # explains nothing (all relevance 0) and would make comparisons vacuous.
        model.get_submodule("dense.linear").bias.uniform_(0.02, 0.05)


def batch(n: int = 3, size: int = 16, seed: int = 1, channels: int = 3) -> tuple[torch.Tensor, ...]:
    """Images (signed), labels, tumour masks (the last one empty when n >= 3) and brain masks."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, channels, size, size, generator=g, dtype=torch.float64)
    y = torch.randint(0, 2, (n,), generator=g)
    tumor = torch.zeros(n, size, size, dtype=torch.bool)
    brain = torch.zeros(n, size, size, dtype=torch.bool)
    for i in range(n):
        r0, c0 = 2 + i % 3, 3 + i % 4
        tumor[i, r0:r0 + 6, c0:c0 + 5] = True
        brain[i, 1:size - 1, 1:size - 2] = True
    if n >= 3:
        tumor[-1] = False
    return x, y, tumor, brain
