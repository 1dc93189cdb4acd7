"""ResNet-style QPC models: the bottleneck block with quantum 1x1 layers, and a small network of two.

The QPC layer goes, by default, into the *reduce* layer of each bottleneck (``quantum_at=("reduce",)``): it narrows
the channels as the paper's QPC layer does; the expand layer and the shortcut stay classical (channel arithmetic:
:mod:`qpcnn_edu.nn.blocks`).

>>> model = ResNetQPC(stem_channels=16)
>>> model(torch.randn(2, 1, 28, 28)).shape
torch.Size([2, 10])
"""

from __future__ import annotations

from collections import OrderedDict

import torch
from torch import nn

from .. import _checks
from .blocks import BlockCNN, PointwiseBlock
from .models import count_parameters

__all__ = ["Bottleneck", "ResNetQPC"]


class Bottleneck(PointwiseBlock):
    """ResNet bottleneck: 1x1 reduce -> BN -> ReLU -> 3x3 -> BN -> ReLU -> 1x1 expand -> BN, + shortcut, ReLU.

    The shortcut is the input when the shapes match, else a classical 1x1 convolution (with ``stride``) and batch
    norm. The stride sits on the 3x3 convolution (as in torchvision's ResNet). The 1x1 layers named in
    ``quantum_at`` are QPC layers when ``pointwise="quantum"`` (channel rule: see the module docstring).

    Args:
        in_channels (int): input channels ``C``.
        bottleneck_channels (int): channels of the 3x3 convolution.
        out_channels (int): output channels.
        stride (int): 1 or 2.
        pointwise (str): ``"classical"`` or ``"quantum"``.
        quantum_at: the quantum 1x1 layers: ``("reduce",)``, ``("expand",)`` or ``"both"``; ignored if classical.
        n_layers (int): entangling layers of every QPC layer.
        strict_channels (bool): raise rather than slice a QPC output (see :func:`plan_pointwise`).
        **qpc_kwargs: further :class:`~qpcnn_edu.QuantumPointwiseConv2d` arguments; ignored if classical.

    Input ``(B, C, H, W)``; output ``(B, out_channels, ceil(H / stride), ceil(W / stride))``.

    Attributes:
        projection_shortcut (bool): whether the shortcut is a 1x1 convolution (shapes differ).
        quantum_at (tuple): the positions that are quantum (empty if classical).
        plans (dict): position -> :class:`PointwisePlan`.

    >>> block = Bottleneck(16, 4, 32, stride=2, pointwise="quantum")
    >>> block(torch.randn(2, 16, 14, 14)).shape, block.projection_shortcut
    (torch.Size([2, 32, 7, 7]), True)
    >>> block.plans["reduce"].n_qubits, block.plans["reduce"].n_kernels
    (4, 1)
    """

    positions = ("reduce", "expand")
    repr_fields = ("in_channels", "bottleneck_channels", "out_channels", "stride", "pointwise", "quantum_at")

    def __init__(self, in_channels: int, bottleneck_channels: int, out_channels: int, stride: int = 1,
                 pointwise: str = "classical", *, quantum_at=("reduce",), n_layers: int = 2,
                 strict_channels: bool = False, **qpc_kwargs):
        super().__init__()
        self._setup(in_channels, out_channels, stride, pointwise, n_layers, strict_channels, qpc_kwargs)
        self.bottleneck_channels = b = _checks.positive_int(bottleneck_channels, "bottleneck_channels")
        self.quantum_at = self._quantum_positions(pointwise, quantum_at, self.positions, "")
        self.reduce = self._pointwise_stage("reduce", in_channels, b, nn.ReLU)
        self.conv3x3 = nn.Sequential(OrderedDict(conv=nn.Conv2d(b, b, 3, stride=stride, padding=1, bias=False),
                                                 bn=nn.BatchNorm2d(b), act=nn.ReLU()))
        self.expand = self._pointwise_stage("expand", b, out_channels, None)
        self.projection_shortcut = stride != 1 or in_channels != out_channels
        self.shortcut = (nn.Sequential(OrderedDict(
            conv=nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False), bn=nn.BatchNorm2d(out_channels)))
            if self.projection_shortcut else nn.Identity())
        self.relu = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, in_channels, H, W) -> (B, out_channels, ceil(H/stride), ceil(W/stride))``."""
        self._check_input(x)
        return self.relu(self.expand(self.conv3x3(self.reduce(x))) + self.shortcut(x))

    def summary_rows(self, name: str, size: int) -> list:
        """``(name, description, output shape, parameters)`` per layer, for a ``size x size`` input."""
        b, s, o = self.bottleneck_channels, self.output_size(size), self.out_channels
        rows = [(f"{name}.reduce", self._describe("reduce", ", ReLU"), (b, size, size), count_parameters(self.reduce)),
                (f"{name}.conv3x3", f"conv3x3 {b}->{b}, stride {self.stride}, BN, ReLU", (b, s, s),
                 count_parameters(self.conv3x3)),
                (f"{name}.expand", self._describe("expand", ", + shortcut, ReLU"), (o, s, s),
                 count_parameters(self.expand))]
        if self.projection_shortcut:
            rows.append((f"{name}.shortcut", f"conv1x1 {self.in_channels}->{o}, stride {self.stride}, BN", (o, s, s),
                         count_parameters(self.shortcut)))
        return rows


class ResNetQPC(BlockCNN):
    """A small ResNet with bottleneck blocks for 28x28 images and QPC (or classical) 1x1 layers.

    ``stem (C_in -> s, 28x28 -> 7x7) -> Bottleneck(s, s/4, s) -> Bottleneck(s, s/2, 2s, stride 2) -> GAP -> linear``,
    with ``s = stem_channels`` (a multiple of 4). With the defaults (``s = 32``) the reduce layers map 32 -> 8 and
    32 -> 16 channels: QPC layers on 5 qubits (32 amplitudes, no padding) with 2 and 4 kernels, which compute
    10 and 20 maps of which the first 8 and 16 are kept (see :func:`plan_pointwise`; ``stem_channels=16`` gives
    exact counts, 4 qubits with 1 and 2 kernels). The expand layers and the shortcut stay classical.

    Args:
        in_channels, n_classes, image_size: the images (1, 10, 28 for FashionMNIST).
        pointwise (str): ``"quantum"`` or ``"classical"`` (the twin).
        stem_channels (int): channels after the stem, a multiple of 4.
        quantum_at: which 1x1 layers of each block are quantum (see :class:`Bottleneck`).
        n_layers (int): entangling layers of every QPC layer.
        strict_channels (bool): see :func:`plan_pointwise`.
        **qpc_kwargs: further :class:`~qpcnn_edu.QuantumPointwiseConv2d` arguments.

    >>> [(b.plans["reduce"].n_kernels, b.plans["reduce"].dropped) for b in ResNetQPC().blocks]
    [(2, 2), (4, 4)]
    """

    kind = "resnet"

    def __init__(self, in_channels: int = 1, n_classes: int = 10, image_size: int = 28, pointwise: str = "quantum",
                 stem_channels: int = 32, *, quantum_at=("reduce",), n_layers: int = 2, strict_channels: bool = False,
                 **qpc_kwargs):
        s = _checks.positive_int(stem_channels, "stem_channels")
        if s % 4:
            raise ValueError(f"stem_channels must be a multiple of 4 (bottlenecks of s/4 and s/2 channels); got {s}. "
                             f"Use {max(4, s - s % 4)} or {s + 4 - s % 4}.")
        common = dict(pointwise=pointwise, quantum_at=quantum_at, n_layers=n_layers, strict_channels=strict_channels,
                      **qpc_kwargs)
        blocks = [Bottleneck(s, s // 4, s, stride=1, **common), Bottleneck(s, s // 2, 2 * s, stride=2, **common)]
        super().__init__(blocks, in_channels, n_classes, image_size, s)
        self.pointwise, self.quantum_at, self.n_layers = pointwise, blocks[0].quantum_at, n_layers
        self._config = dict(in_channels=in_channels, n_classes=n_classes, image_size=image_size, pointwise=pointwise,
                            stem_channels=stem_channels, quantum_at=quantum_at, n_layers=n_layers,
                            strict_channels=strict_channels, **qpc_kwargs)
