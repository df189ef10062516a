"""A deeper VGG-style network with batch normalisation (the paper's Experiment 2).

The paper's Experiment 2 trains "a second, deeper published architecture" the same way.
lrpstudio offers VGG (Simonyan & Zisserman, "Very Deep Convolutional Networks for
Large-Scale Image Recognition", ICLR 2015) in its batch-normalised form (Ioffe & Szegedy,
ICML 2015), configuration "A" (VGG-11) reduced in width for 128x128 MRI slices: four
stages of two Conv2d(3x3) + BatchNorm2d + ReLU followed by MaxPool2d(2) (8 convolutions,
twice the paper CNN's depth), dropout after the first and last stage, then
Dense(128) + ReLU + Dropout(0.5) + Dense(num_classes), as in VGG's classifier.

LRP and batch normalisation: every BatchNorm follows a convolution, so for relevance the
two are merged into one affine layer (zennit's ``SequentialMergeBatchNorm`` canonizer does
the same for zennit), with the merged weights kept in the autograd graph. In eval mode the
merge uses the running statistics: the explanation is zennit's (zennit's merged BatchNorm
still divides by sqrt(1 + eps), a relative shift of ~eps/2 per layer that lrpstudio does
not copy). In train mode - i.e. in LRPLoss training - lrpstudio merges the *batch*
statistics that the training forward really used, so the score explains the function the
step computed (zennit's canonizer would merge the running statistics into a layer that
still normalises by the batch ones, i.e. explain a function that was never computed).
"""

from __future__ import annotations

from collections import OrderedDict

from torch import nn

#: Filters of the four stages (two convolutions each).
VGG_FILTERS: tuple[int, ...] = (16, 32, 64, 128)
VGG_DENSE: int = 128


def vgg_stage(in_channels: int, out_channels: int, convs: int = 2, dropout: float = 0.0) -> nn.Sequential:
    """``convs`` x [Conv2d(3x3) + BatchNorm2d + ReLU], MaxPool2d(2) [+ Dropout]."""
    layers: list[tuple[str, nn.Module]] = []
    channels = in_channels
    for j in range(convs):
        layers += [
            (f"conv{j + 1}", nn.Conv2d(channels, out_channels, kernel_size=3, padding=1)),
            (f"bn{j + 1}", nn.BatchNorm2d(out_channels)),
            (f"relu{j + 1}", nn.ReLU()),
        ]
        channels = out_channels
    layers.append(("pool", nn.MaxPool2d(2)))
    if dropout > 0:
        layers.append(("dropout", nn.Dropout(dropout)))
    return nn.Sequential(OrderedDict(layers))


class VGGBN(nn.Sequential):
    """VGG-style network with batch normalisation (see the module docstring).

    Parameters
    ----------
    image_size
        Height (= width) of the input; any size >= 16 works (64 or more in practice).
    in_channels, num_classes
        Input channels and output logits.
    filters, dense, dropout
        Width per stage, hidden dense units, dropout after the first and last stage.
    """

    def __init__(
        self,
        image_size: int = 128,
        in_channels: int = 3,
        num_classes: int = 2,
        filters: tuple[int, ...] = VGG_FILTERS,
        dense: int = VGG_DENSE,
        dropout: float = 0.25,
    ) -> None:
        stages: list[tuple[str, nn.Module]] = []
        channels = in_channels
        last = len(filters) - 1
        for i, width in enumerate(filters):
            rate = dropout if i in (0, last) else 0.0
            stages.append((f"stage{i + 1}", vgg_stage(channels, width, dropout=rate)))
            channels = width
        side = image_size // 2 ** len(filters)
        stages += [
            ("flatten", nn.Flatten()),
            ("dense", nn.Sequential(OrderedDict([
                ("linear", nn.Linear(channels * side * side, dense)),
                ("relu", nn.ReLU()),
                ("dropout", nn.Dropout(0.5)),
            ]))),
            ("out", nn.Linear(dense, num_classes)),
        ]
        super().__init__(OrderedDict(stages))
        self.image_size = image_size
        self.feature_names: tuple[str, ...] = tuple(
            [f"stage{i + 1}" for i in range(len(filters))] + ["dense"])
