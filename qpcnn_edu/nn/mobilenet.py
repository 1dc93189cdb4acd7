"""MobileNetV2-style QPC models: the inverted residual block with quantum 1x1 layers, and a small network of two.

The QPC layer goes, by default, into the *expand* layer of each block (``quantum_at=("expand",)``): it widens the
channels, which a QPC layer does naturally with several kernels, while the *project* layer stays linear as MobileNetV2
prescribes (channel arithmetic: :mod:`qpcnn_edu.nn.blocks`).

>>> model = MobileNetQPC()
>>> model(torch.randn(2, 1, 28, 28)).shape
torch.Size([2, 10])
>>> count_parameters(model), count_parameters(model.twin())
(1786, 1882)
"""

from __future__ import annotations

from collections import OrderedDict

import torch
from torch import nn

from .. import _checks
from .blocks import BlockCNN, PointwiseBlock
from .models import count_parameters

__all__ = ["InvertedResidual", "MobileNetQPC"]


class InvertedResidual(PointwiseBlock):
    """MobileNetV2 inverted residual: 1x1 expand -> BN -> ReLU6 -> depthwise 3x3 -> BN -> ReLU6 -> 1x1 project -> BN.

    The input is added to the output when the shapes match (``stride=1`` and ``in_channels == out_channels``) and
    ``residual=True``. The hidden width is ``in_channels * expansion``; ``expansion=1`` has no expand layer. The 1x1
    layers named in ``quantum_at`` are QPC layers when ``pointwise="quantum"`` (channel rule: see the module
    docstring); all 1x1 convolutions have no bias, as each is followed by batch norm.

    Args:
        in_channels (int): input channels ``C``.
        out_channels (int): output channels.
        expansion (int): hidden width factor (MobileNetV2 uses 6).
        stride (int): 1 or 2, on the depthwise convolution.
        pointwise (str): ``"classical"`` or ``"quantum"``.
        quantum_at: the quantum 1x1 layers: ``("expand",)``, ``("project",)`` or ``"both"``; ignored if classical.
        n_layers (int): entangling layers of every QPC layer.
        residual (bool): add the input when the shapes match.
        strict_channels (bool): raise rather than slice a QPC output (see :func:`plan_pointwise`).
        **qpc_kwargs: further :class:`~qpcnn_edu.QuantumPointwiseConv2d` arguments (``measurement``, ``backend``,
            ``shots``, ...), for every QPC layer; ignored if classical.

    Input ``(B, C, H, W)``; output ``(B, out_channels, ceil(H / stride), ceil(W / stride))``.

    Attributes:
        hidden_channels (int): ``in_channels * expansion``.
        use_residual (bool): whether the input is added.
        quantum_at (tuple): the positions that are quantum (empty if classical).
        plans (dict): position -> :class:`PointwisePlan`, the channel arithmetic of each 1x1 layer.

    >>> block = InvertedResidual(8, 8, expansion=3, pointwise="quantum")
    >>> block(torch.randn(2, 8, 14, 14)).shape, block.use_residual
    (torch.Size([2, 8, 14, 14]), True)
    >>> block.plans["expand"].n_kernels, type(block.expand.pointwise).__name__
    (8, 'QuantumPointwiseConv2d')
    """

    positions = ("expand", "project")
    repr_fields = ("in_channels", "out_channels", "expansion", "stride", "pointwise", "quantum_at",
                   ("residual", "use_residual"))

    def __init__(self, in_channels: int, out_channels: int, expansion: int = 6, stride: int = 1,
                 pointwise: str = "classical", *, quantum_at=("expand",), n_layers: int = 2, residual: bool = True,
                 strict_channels: bool = False, **qpc_kwargs):
        super().__init__()
        self._setup(in_channels, out_channels, stride, pointwise, n_layers, strict_channels, qpc_kwargs)
        self.expansion = _checks.positive_int(expansion, "expansion")
        self.hidden_channels = hidden = in_channels * expansion
        available = self.positions if expansion > 1 else ("project",)
        self.quantum_at = self._quantum_positions(
            pointwise, quantum_at, available,
            "expansion=1 has no expand layer. Use quantum_at=('project',) or expansion > 1.")
        self.use_residual = bool(residual) and stride == 1 and in_channels == out_channels
        self.expand = (self._pointwise_stage("expand", in_channels, hidden, nn.ReLU6) if expansion > 1
                       else nn.Identity())
        self.depthwise = nn.Sequential(OrderedDict(
            conv=nn.Conv2d(hidden, hidden, 3, stride=stride, padding=1, groups=hidden, bias=False),
            bn=nn.BatchNorm2d(hidden), act=nn.ReLU6()))
        self.project = self._pointwise_stage("project", hidden, out_channels, None)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, in_channels, H, W) -> (B, out_channels, ceil(H/stride), ceil(W/stride))``."""
        self._check_input(x)
        out = self.project(self.depthwise(self.expand(x)))
        return x + out if self.use_residual else out

    def summary_rows(self, name: str, size: int) -> list:
        """``(name, description, output shape, parameters)`` per layer, for a ``size x size`` input."""
        h, s = self.hidden_channels, self.output_size(size)
        rows = []
        if "expand" in self.plans:
            rows.append((f"{name}.expand", self._describe("expand", ", ReLU6"), (h, size, size),
                         count_parameters(self.expand)))
        rows.append((f"{name}.depthwise", f"dwconv3x3 {h}, stride {self.stride}, BN, ReLU6", (h, s, s),
                     count_parameters(self.depthwise)))
        rows.append((f"{name}.project", self._describe("project", ", + input" if self.use_residual else ""),
                     (self.out_channels, s, s), count_parameters(self.project)))
        return rows


class MobileNetQPC(BlockCNN):
    """A small MobileNetV2-style network for 28x28 images with QPC (or classical) 1x1 layers.

    ``stem (C_in -> s, 28x28 -> 7x7) -> InvertedResidual(s, s, e) -> InvertedResidual(s, 2s, e, stride 2) -> GAP
    -> linear``, with ``s = stem_channels``, ``e = expansion``. With the defaults (``s = 8``, ``e = 3``) both expand
    layers map 8 -> 24 channels: a QPC layer with 3 qubits and 8 kernels (144 angles at 2 layers, where a 1x1
    convolution has 192 weights); the project layers stay classical (``quantum_at=("expand",)``).

    Args:
        in_channels, n_classes, image_size: the images (1, 10, 28 for FashionMNIST).
        pointwise (str): ``"quantum"`` or ``"classical"`` (the twin).
        stem_channels (int): channels after the stem.
        expansion (int): expansion of both blocks.
        quantum_at: which 1x1 layers of each block are quantum (see :class:`InvertedResidual`).
        n_layers (int): entangling layers of every QPC layer.
        strict_channels (bool): see :func:`plan_pointwise`.
        **qpc_kwargs: further :class:`~qpcnn_edu.QuantumPointwiseConv2d` arguments.

    >>> MobileNetQPC().blocks[1].plans["expand"]
    PointwisePlan(position='expand', in_channels=8, out_channels=24, quantum=True, n_qubits=3, n_kernels=8, produced=24)
    """

    kind = "mobilenet"

    def __init__(self, in_channels: int = 1, n_classes: int = 10, image_size: int = 28, pointwise: str = "quantum",
                 stem_channels: int = 8, expansion: int = 3, *, quantum_at=("expand",), n_layers: int = 2,
                 strict_channels: bool = False, **qpc_kwargs):
        s = _checks.positive_int(stem_channels, "stem_channels")
        common = dict(pointwise=pointwise, quantum_at=quantum_at, n_layers=n_layers, strict_channels=strict_channels,
                      **qpc_kwargs)
        blocks = [InvertedResidual(s, s, expansion, stride=1, **common),
                  InvertedResidual(s, 2 * s, expansion, stride=2, **common)]
        super().__init__(blocks, in_channels, n_classes, image_size, s)
        self.pointwise, self.quantum_at, self.n_layers = pointwise, blocks[0].quantum_at, n_layers
        self._config = dict(in_channels=in_channels, n_classes=n_classes, image_size=image_size, pointwise=pointwise,
                            stem_channels=stem_channels, expansion=expansion, quantum_at=quantum_at,
                            n_layers=n_layers, strict_channels=strict_channels, **qpc_kwargs)
