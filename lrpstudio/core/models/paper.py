"""The paper's CNN (arXiv 2107.02008, Table 1 and the authors' code).

Four blocks Conv2d(3x3) + ReLU + MaxPool2d(2) with 16/32/64/128 filters, dropout after the
first and the last pooling block, flatten, Dense(64) + ReLU, Dense(num_classes).

The network is a plain :class:`torch.nn.Sequential` of named blocks: its forward pass is
its leaves in order, which is what the explicit LRP engine
(:mod:`lrpstudio.core.xai.explicit`) relies on, and the block names double as the hidden
layers for the k-NN and BiLRP (:func:`lrpstudio.core.models.registry.feature_layers`).
"""

from __future__ import annotations

from collections import OrderedDict

from torch import nn

#: Filters of the four convolution blocks (paper Table 1).
PAPER_FILTERS: tuple[int, ...] = (16, 32, 64, 128)
#: Units of the hidden dense layer.
PAPER_DENSE: int = 64
#: Dropout rate after the first and the last pooling block. The paper does not state it;
#: 0.25 is the usual Keras-example value its code follows.
PAPER_DROPOUT: float = 0.25


def conv_block(in_channels: int, out_channels: int, dropout: float = 0.0) -> nn.Sequential:
    """Conv2d(3x3, 'same' padding) + ReLU + MaxPool2d(2) [+ Dropout]."""
    layers: list[tuple[str, nn.Module]] = [
        ("conv", nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1)),
        ("relu", nn.ReLU()),
        ("pool", nn.MaxPool2d(2)),
    ]
    if dropout > 0:
        layers.append(("dropout", nn.Dropout(dropout)))
    return nn.Sequential(OrderedDict(layers))


class PaperCNN(nn.Sequential):
    """The paper's four-block CNN.

    Parameters
    ----------
    image_size
        Height (= width) of the input; any size >= 16 works (64 or more in practice).
    in_channels
        Input channels (3: T1, T2, FLAIR).
    num_classes
        Output logits (2: LGG, HGG).
    filters, dense, dropout
        Architecture knobs; the defaults are the paper's.
    """

    def __init__(
        self,
        image_size: int = 128,
        in_channels: int = 3,
        num_classes: int = 2,
        filters: tuple[int, ...] = PAPER_FILTERS,
        dense: int = PAPER_DENSE,
        dropout: float = PAPER_DROPOUT,
    ) -> None:
        blocks: list[tuple[str, nn.Module]] = []
        channels = in_channels
        last = len(filters) - 1
        for i, width in enumerate(filters):
            # Dropout after the first and the last pooling block, as in the paper.
            rate = dropout if i in (0, last) else 0.0
            blocks.append((f"block{i + 1}", conv_block(channels, width, rate)))
            channels = width
        side = image_size // 2 ** len(filters)
        blocks += [
            ("flatten", nn.Flatten()),
            ("dense", nn.Sequential(OrderedDict([
                ("linear", nn.Linear(channels * side * side, dense)),
                ("relu", nn.ReLU()),
            ]))),
            ("out", nn.Linear(dense, num_classes)),
        ]
        super().__init__(OrderedDict(blocks))
        self.image_size = image_size
        self.feature_names: tuple[str, ...] = tuple(
            [f"block{i + 1}" for i in range(len(filters))] + ["dense"])
