"""What QPC blocks share: channel planning of quantum 1x1 layers, the block base class and the network around blocks.

Putting the QPC layer into modern architectures is our extension (public summaries of Ning, Li & Chen mention it;
their abstract does not). This module is one idea, what every QPC block needs, hence its length. MobileNetV2 inverted
residuals (:mod:`qpcnn_edu.nn.mobilenet`) and ResNet bottlenecks (:mod:`qpcnn_edu.nn.resnet`) are both built
around 1x1 convolutions, so each of their 1x1 layers can be classical (``nn.Conv2d(..., 1, bias=False)``) or quantum
(a :class:`~qpcnn_edu.QuantumPointwiseConv2d`); ``pointwise="classical"`` gives the classical twin, which differs from
the quantum model in those layers only.

**Channel arithmetic of a quantum 1x1 layer** (:func:`plan_pointwise`). A QPC layer on ``C`` channels uses
``n = ceil(log2 C)`` qubits and produces ``n`` maps per kernel (``<Z>`` of each qubit; ``2**n`` with
``measurement="probs"``), so it can only produce multiples of ``n`` channels. To produce ``out`` channels we use
``n_kernels = ceil(out / n)`` kernels and keep the first ``out`` maps (a :class:`ChannelSlice`; the last kernel's
unused qubits are dropped, at most ``n - 1`` maps)::

    expand   8 -> 24: 3 qubits, 8 kernels x 3 = 24 maps, exact          (MobileNetQPC's expand layers)
    project 24 ->  8: 5 qubits, 2 kernels x 5 = 10 maps, keep 8 (2 dropped)
    reduce  32 -> 16: 5 qubits, 4 kernels x 5 = 20 maps, keep 16 (4 dropped)   (ResNetQPC's second reduce)
    reduce  16 ->  4: 4 qubits, 1 kernel  x 4 =  4 maps, exact

``strict_channels=True`` forbids the slice: a block then raises unless ``out`` is a multiple of ``n``. Every block
records its arithmetic in ``block.plans`` (one :class:`PointwisePlan` per 1x1 layer).

**Where the QPC goes by default.** In an inverted residual, the *expand* layer (``quantum_at=("expand",)``): it
widens the channels, which a QPC layer does naturally with several kernels, while the *project* layer stays linear
as MobileNetV2 prescribes (its "linear bottleneck"; a QPC readout is a nonlinear normalized quadratic form). In a
bottleneck, the *reduce* layer (``quantum_at=("reduce",)``): it narrows channels as the paper's QPC layer does.

This module is a little over 300 lines because it holds everything both block families share (the planning, the
block base class and the network base class); each piece alone would be a module of a few dozen lines.

>>> plan_pointwise(24, 8)
PointwisePlan(position='pointwise', in_channels=24, out_channels=8, quantum=True, n_qubits=5, n_kernels=2,
              produced=10)
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass

import torch
from torch import nn

from .. import _checks
from ..quantum.circuits import outputs_per_kernel
from ..quantum.encoding import n_qubits_for
from .layers import QuantumPointwiseConv2d
from .models import check_image_batch, count_parameters, describe_pointwise, summary_table

__all__ = ["POINTWISE", "PointwisePlan", "plan_pointwise", "ChannelSlice", "PointwiseBlock", "BlockCNN",
           "count_quantum_parameters"]

#: kinds of 1x1 layer a block can use
POINTWISE = ("classical", "quantum")
#: keyword arguments a block sets itself on its QPC layers
_DERIVED = ("in_channels", "n_kernels", "n_layers")


def count_quantum_parameters(model: nn.Module) -> int:
    """Trainable parameters of the :class:`~qpcnn_edu.QuantumPointwiseConv2d` layers inside ``model``.

    >>> model = nn.Sequential(QuantumPointwiseConv2d(8, n_layers=2, n_kernels=8), nn.Conv2d(24, 8, 1))
    >>> count_quantum_parameters(model)  # 8 kernels x 2 layers x 3 qubits x 3 angles
    144
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module; got {type(model).__name__}.")
    return sum(count_parameters(m) for m in model.modules() if isinstance(m, QuantumPointwiseConv2d))


@dataclass(frozen=True)
class PointwisePlan:
    """How one 1x1 layer of a block produces its channels (see the module docstring).

    Attributes:
        position (str): the layer's place in its block (``"expand"``, ``"project"``, ``"reduce"``).
        in_channels (int): channels in.
        out_channels (int): channels the block uses.
        quantum (bool): a QPC layer (else a 1x1 convolution).
        n_qubits (int): qubits per circuit (0 if classical).
        n_kernels (int): QPC kernels (0 if classical).
        produced (int): channels the layer computes before any slice; ``dropped = produced - out_channels``.
    """

    position: str
    in_channels: int
    out_channels: int
    quantum: bool
    n_qubits: int
    n_kernels: int
    produced: int

    @property
    def dropped(self) -> int:
        """Maps computed by the QPC layer but not kept (0 for exact channel counts)."""
        return self.produced - self.out_channels


def plan_pointwise(in_channels: int, out_channels: int, quantum: bool = True, *, measurement: str = "expval",
                   n_qubits: int | None = None, strict: bool = False, position: str = "pointwise") -> PointwisePlan:
    """The channel arithmetic of a 1x1 layer ``in_channels -> out_channels``.

    Args:
        in_channels (int): channels in ``C``.
        out_channels (int): channels wanted.
        quantum (bool): plan a QPC layer (else a 1x1 convolution, which produces any count exactly).
        measurement (str): the QPC readout, ``"expval"`` (``n`` maps per kernel) or ``"probs"`` (``2**n``).
        n_qubits (int, optional): qubits per circuit; ``ceil(log2 C)`` if ``None``.
        strict (bool): raise instead of slicing when ``out_channels`` is not a multiple of the maps per kernel.
        position (str): name recorded in the plan.

    Returns:
        PointwisePlan: ``n_kernels = ceil(out_channels / maps_per_kernel)``, ``produced = n_kernels * maps_per_kernel``.

    Raises:
        ValueError: for non-positive channel counts, or with ``strict=True`` when the count is not exact.

    >>> plan_pointwise(8, 24)
    PointwisePlan(position='pointwise', in_channels=8, out_channels=24, quantum=True, n_qubits=3, n_kernels=8,
                  produced=24)
    >>> plan_pointwise(24, 8).dropped  # 5 qubits: 2 kernels give 10 maps, the first 8 are kept
    2
    """
    in_channels = _checks.positive_int(in_channels, "in_channels")
    out_channels = _checks.positive_int(out_channels, "out_channels")
    if not quantum:
        return PointwisePlan(position, in_channels, out_channels, False, 0, 0, out_channels)
    n = n_qubits_for(in_channels) if n_qubits is None else _checks.positive_int(n_qubits, "n_qubits")
    per_kernel = outputs_per_kernel(measurement, n)
    n_kernels = math.ceil(out_channels / per_kernel)
    produced = n_kernels * per_kernel
    if strict and produced != out_channels:
        lower = produced - per_kernel
        raise ValueError(
            f"out_channels of the quantum {position} layer must be a multiple of {per_kernel} (maps per kernel of a "
            f"{n}-qubit QPC on {in_channels} channels, measurement={measurement!r}) with strict_channels=True; "
            f"got {out_channels}. Fix: ask for {f'{lower} or ' if lower else ''}{produced} channels, or pass "
            f"strict_channels=False to keep the first {out_channels} of {produced} maps.")
    return PointwisePlan(position, in_channels, out_channels, True, n, n_kernels, produced)


class ChannelSlice(nn.Module):
    """Keep the first ``channels`` channels: ``(B, C, H, W) -> (B, channels, H, W)``.

    >>> ChannelSlice(8)(torch.zeros(2, 10, 5, 5)).shape
    torch.Size([2, 8, 5, 5])
    """

    def __init__(self, channels: int):
        super().__init__()
        self.channels = _checks.positive_int(channels, "channels")

    def extra_repr(self) -> str:
        return f"channels={self.channels}"

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x[:, : self.channels]


def _check_qpc_kwargs(qpc_kwargs):
    clash = sorted(k for k in qpc_kwargs if k in _DERIVED)
    if clash:
        raise ValueError(f"qpc_kwargs must not set {clash}: the block derives in_channels and n_kernels from its "
                         f"channels and takes n_layers as its own argument; got {clash}. Remove them.")


class PointwiseBlock(nn.Module):
    """Base of blocks whose 1x1 layers can be quantum: :class:`~qpcnn_edu.InvertedResidual`,
    :class:`~qpcnn_edu.Bottleneck`.

    A subclass names its 1x1 layers in ``positions``, calls :meth:`_setup` and :meth:`_quantum_positions` first in
    its ``__init__``, and builds each 1x1 layer with :meth:`_pointwise_stage`.
    """

    positions: tuple = ()
    #: what ``repr`` shows: attribute names, or ``(label, attribute)`` pairs
    repr_fields: tuple = ()

    def _setup(self, in_channels, out_channels, stride, pointwise, n_layers, strict_channels, qpc_kwargs):
        self.in_channels = _checks.positive_int(in_channels, "in_channels")
        self.out_channels = _checks.positive_int(out_channels, "out_channels")
        self.stride = _checks.one_of(stride, "stride", (1, 2))
        self.pointwise = pointwise
        self.n_layers = _checks.positive_int(n_layers, "n_layers")
        self.strict_channels = bool(strict_channels)
        _check_qpc_kwargs(qpc_kwargs)
        self.qpc_kwargs = dict(qpc_kwargs)
        self.plans = {}

    def _pointwise_stage(self, position, in_channels, out_channels, activation):
        """``pointwise [-> slice] -> bn [-> act]`` as a named ``nn.Sequential``; records the plan.

        The names (not indices) make a quantum block and its classical twin line up module by module; only the
        ``pointwise`` layer differs (and a quantum layer may add a ``slice``).
        """
        quantum = position in self.quantum_at
        plan = plan_pointwise(in_channels, out_channels, quantum,
                              measurement=self.qpc_kwargs.get("measurement", "expval"),
                              n_qubits=self.qpc_kwargs.get("n_qubits"), strict=self.strict_channels,
                              position=position)
        self.plans[position] = plan
        if quantum:
            layers = [("pointwise", QuantumPointwiseConv2d(in_channels, n_layers=self.n_layers,
                                                          n_kernels=plan.n_kernels, **self.qpc_kwargs))]
            if plan.dropped:
                layers.append(("slice", ChannelSlice(out_channels)))
        else:
            layers = [("pointwise", nn.Conv2d(in_channels, out_channels, 1, bias=False))]
        layers.append(("bn", nn.BatchNorm2d(out_channels)))
        if activation is not None:
            layers.append(("act", activation()))
        return nn.Sequential(OrderedDict(layers))

    def extra_repr(self) -> str:
        pairs = (f if isinstance(f, tuple) else (f, f) for f in self.repr_fields)
        return ", ".join(f"{label}={getattr(self, attr)!r}" for label, attr in pairs)

    def pointwise_layers(self) -> dict:
        """The 1x1 layers by position: ``nn.Conv2d`` or :class:`~qpcnn_edu.QuantumPointwiseConv2d`."""
        return {position: getattr(self, position).pointwise for position in self.plans}

    def output_size(self, size: int) -> int:
        """Output height (or width) for an input of height (or width) ``size``: ``ceil(size / stride)``."""
        return (size + self.stride - 1) // self.stride

    def _check_input(self, x) -> None:
        if not isinstance(x, torch.Tensor) or x.dim() != 4 or x.shape[1] != self.in_channels:
            got = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
            raise ValueError(f"input must have shape (batch, {self.in_channels}, height, width); got {got}. "
                             f"Build the block with in_channels matching the input.")

    def _describe(self, position, extra=""):
        plan = self.plans[position]
        text = describe_pointwise(getattr(self, position).pointwise)
        if plan.dropped:
            text += f", keep {plan.out_channels}"
        return text + ", BN" + extra

    def _quantum_positions(self, pointwise, quantum_at, available, hint):
        """Validate ``pointwise`` and ``quantum_at``; return the positions that are quantum (in block order)."""
        positions = self.positions
        _checks.one_of(pointwise, "pointwise", POINTWISE,
                       "Use 'quantum' for QPC layers or 'classical' for the twin with 1x1 convolutions.")
        if isinstance(quantum_at, str):
            names = positions if quantum_at == "both" else (quantum_at,)
        else:
            try:
                names = tuple(quantum_at)
            except TypeError:
                names = (quantum_at,)
        if not names or any(n not in positions for n in names):
            raise ValueError(f"quantum_at must name one or more of {positions} (or be 'both'); got {quantum_at!r}. "
                             f"For example quantum_at=({positions[0]!r},).")
        if pointwise == "classical":
            return ()
        missing = [n for n in names if n not in available]
        if missing:
            raise ValueError(f"quantum_at must name 1x1 layers this block has ({available}); got {quantum_at!r}: "
                             f"{hint}")
        return tuple(p for p in positions if p in names)


class BlockCNN(nn.Module):
    """Small CNN around blocks: stem conv3x3 (stride 2) -> ReLU -> maxpool2 -> blocks -> global avgpool -> linear.

    The stem reduces 28x28 images to 7x7 maps (stride-2 stem as in MobileNetV2, then a pooling), so the blocks, and
    their QPC layers, run on 49 pixels per image. An epoch of full FashionMNIST (batch 64, one CPU core, extrapolated
    from the 5000-image mini set) takes about 11 s (MobileNetQPC), 5 s (its twin), 17 s (ResNetQPC), 9 s (its twin).

    Args:
        blocks (list[nn.Module]): :class:`~qpcnn_edu.InvertedResidual` / :class:`~qpcnn_edu.Bottleneck` blocks,
            the first taking ``stem_channels`` channels.
        in_channels (int): image channels.
        n_classes (int): number of classes.
        image_size (int): height = width of the input, at least 4.
        stem_channels (int): channels of the stem convolution.

    Subclasses (:class:`~qpcnn_edu.MobileNetQPC`, :class:`~qpcnn_edu.ResNetQPC`) build the blocks; ``twin()`` gives
    the other kind.
    """

    def __init__(self, blocks, in_channels: int, n_classes: int, image_size: int, stem_channels: int):
        super().__init__()
        self.in_channels = _checks.positive_int(in_channels, "in_channels")
        self.n_classes = _checks.positive_int(n_classes, "n_classes")
        self.image_size = _checks.positive_int(image_size, "image_size")
        if image_size < 4:
            raise ValueError(f"image_size must be at least 4 (a 2x2 pooling, then the blocks); got {image_size}. "
                             "Use 28 for FashionMNIST or 32 for CIFAR-10.")
        self.stem_channels = _checks.positive_int(stem_channels, "stem_channels")
        blocks = list(blocks)
        if not blocks or blocks[0].in_channels != stem_channels:
            raise ValueError(f"blocks must be non-empty and the first must take stem_channels={stem_channels} "
                             f"channels; got {[b.in_channels for b in blocks[:1]]}.")
        self.stem = nn.Sequential(nn.Conv2d(in_channels, stem_channels, 3, stride=2, padding=1), nn.ReLU(),
                                  nn.MaxPool2d(2))
        self.blocks = nn.Sequential(*blocks)
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(blocks[-1].out_channels, n_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Class logits ``(B, n_classes)`` of images ``(B, in_channels, image_size, image_size)``."""
        self._check_input(x)
        return self.head(self.blocks(self.stem(x)))

    def _check_input(self, x) -> None:
        check_image_batch(x, self.in_channels, self.image_size)

    def stem_size(self) -> int:
        """Height = width of the stem's output: ``ceil(image_size / 2) // 2`` (7 for 28, 8 for 32)."""
        return (self.image_size + 1) // 2 // 2

    def summary_rows(self) -> list:
        """``(name, description, output shape, parameters)`` for the stem, each block's layers and the head."""
        size = self.stem_size()
        rows = [("stem", f"conv3x3 {self.in_channels}->{self.stem_channels} stride 2, ReLU, maxpool2",
                 (self.stem_channels, size, size), count_parameters(self.stem))]
        for i, block in enumerate(self.blocks, 1):
            rows += block.summary_rows(f"block{i}", size)
            size = block.output_size(size)
        c = self.blocks[-1].out_channels
        rows.append(("head", f"global avgpool, linear {c}->{self.n_classes}", (self.n_classes,),
                     count_parameters(self.head)))
        return rows

    def __repr__(self) -> str:
        rows = self.summary_rows()
        header = (f"{type(self).__name__}(input=({self.in_channels}, {self.image_size}, {self.image_size}), "
                  f"classes={self.n_classes}, pointwise={getattr(self, 'pointwise', '?')!r})")
        quantum = count_quantum_parameters(self)
        return summary_table(self, header, rows, total_note=f" ({quantum:,} quantum)" if quantum else "")

    def twin(self, pointwise: str = "classical") -> "BlockCNN":
        """The same architecture with ``pointwise`` 1x1 layers (freshly initialized); other settings are kept."""
        return type(self)(**dict(self._config, pointwise=pointwise))
