"""Small CNNs in which one pointwise convolution is quantum (QPCNN) or classical (its twins).

The paper (Ning, Li & Chen, arXiv 2412.01241) does not publish its exact architecture, so the skeleton below is
**our reconstruction**; every choice is a constructor argument so the book can ablate it::

    input (B, C_in, S, S)
      -> stem:      Conv2d(C_in, stem_channels, 3, padding=1) -> ReLU -> MaxPool2d(2)        (S/2 x S/2)
      -> pointwise: QPC layer (or Conv2d 1x1, or a quadratic control)  -> activation           (P channels)
      -> body:      Conv2d(P, body_channels, 3, padding=1) -> ReLU -> MaxPool2d(2)            (S/4 x S/4)
      -> head:      Flatten -> Dropout -> Linear(body_channels * (S/4)^2, n_classes)

With the defaults (FashionMNIST, ``stem_channels=8`` -> 3 qubits, 2 entangling layers, 1 kernel) the pointwise step
maps 8 channels to 3 feature maps with 18 trainable angles, where a classical 1x1 convolution needs 27 weights.

>>> import torch
>>> model = QPCNN()
>>> model(torch.randn(2, 1, 28, 28)).shape
torch.Size([2, 10])
>>> count_parameters(model), count_parameters(ClassicalCNN.twin_of(model))
(8396, 8405)
"""

from __future__ import annotations

import torch
from torch import nn

from .. import _checks
from .layers import QuantumPointwiseConv2d

__all__ = ["PointwiseCNN", "QPCNN", "ClassicalCNN", "count_parameters", "describe_pointwise", "summary_table",
           "check_image_batch", "ACTIVATIONS"]

#: activations allowed after the pointwise layer (the QPC output <Z> already lies in [-1, 1])
ACTIVATIONS = {"identity": nn.Identity, "relu": nn.ReLU, "tanh": nn.Tanh}


def count_parameters(model: nn.Module, trainable_only: bool = True) -> int:
    """Number of (trainable) parameters of ``model``.

    >>> count_parameters(nn.Conv2d(8, 3, 1))
    27
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module; got {type(model).__name__}.")
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


def describe_pointwise(layer: nn.Module) -> str:
    """A one-line description of a pointwise layer for model summaries.

    >>> describe_pointwise(QuantumPointwiseConv2d(8, n_kernels=2)), describe_pointwise(nn.Conv2d(8, 3, 1))
    ('QPC 8->6 (3 qubits, 2 layers, 2 kernels, expval)', 'conv1x1 8->3')
    """
    if isinstance(layer, QuantumPointwiseConv2d):
        return (f"QPC {layer.in_channels}->{layer.out_channels} ({layer.n_qubits} qubits, {layer.n_layers} layers, "
                f"{layer.n_kernels} kernel{'s' if layer.n_kernels > 1 else ''}, {layer.measurement})")
    if isinstance(layer, nn.Conv2d):
        return f"conv1x1 {layer.in_channels}->{layer.out_channels}"
    return f"{type(layer).__name__} {getattr(layer, 'in_channels', '?')}->{layer.out_channels}"


def summary_table(model: nn.Module, header: str, rows, name_width: int | None = None, total_note: str = "") -> str:
    """A model's printable summary: ``header``, then one line per ``(stage, layer, output shape, parameters)``
    row and a total line (trainable parameters, then ``total_note``, then the count in all if it differs)."""
    nw = name_width or max(len("stage"), *(len(r[0]) for r in rows))
    width = max(len(r[1]) for r in rows)
    sw = max(len("output"), *(len(str(r[2])) for r in rows))
    lines = [header, f"  {'stage':<{nw}} {'layer':<{width}}  {'output':<{sw}} {'params':>7}"]
    for name, desc, shape, n in rows:
        lines.append(f"  {name:<{nw}} {desc:<{width}}  {str(shape):<{sw}} {n:>7,}")
    total, trainable = count_parameters(model, trainable_only=False), count_parameters(model)
    lines.append(f"  {'total':<{nw}} {'':<{width}}  {'':<{sw}} {trainable:>7,}" + total_note
                 + ("" if total == trainable else f" trainable ({total:,} in all)"))
    return "\n".join(lines)


def check_image_batch(x, in_channels: int, image_size: int) -> None:
    """Raise a clear ``ValueError`` unless ``x`` is a batch of images ``(B, in_channels, image_size, image_size)``."""
    expected = (in_channels, image_size, image_size)
    if not isinstance(x, torch.Tensor) or x.dim() != 4 or tuple(x.shape[1:]) != expected:
        got = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
        raise ValueError(f"input must have shape (B, {', '.join(map(str, expected))}); got {got}. "
                         "Add a batch dimension with x.unsqueeze(0) or build the model for this image size.")

class PointwiseCNN(nn.Module):
    """The shared skeleton: stem -> ``pointwise`` -> body -> head (see the module docstring).

    Args:
        pointwise (nn.Module): any module mapping ``(B, stem_channels, H, W)`` to ``(B, P, H, W)``; it must have an
            ``out_channels`` attribute (``nn.Conv2d``, :class:`~qpcnn_edu.QuantumPointwiseConv2d` and
            :class:`~qpcnn_edu.QuadraticPointwiseConv2d` all do).
        in_channels (int): image channels (1 for FashionMNIST, 3 for CIFAR-10).
        n_classes (int): number of classes.
        image_size (int): height = width of the input, divisible by 4 (28 or 32).
        stem_channels (int): channels of the 3x3 stem, i.e. the pointwise layer's input channels.
        body_channels (int): channels of the 3x3 convolution after the pointwise layer.
        pointwise_activation (str): one of ``"identity"``, ``"relu"``, ``"tanh"``, applied after the pointwise layer.
        dropout (float): dropout probability before the linear head.
    """

    kind = "pointwise"

    def __init__(self, pointwise: nn.Module, in_channels: int = 1, n_classes: int = 10, image_size: int = 28,
                 stem_channels: int = 8, body_channels: int = 16, pointwise_activation: str = "identity",
                 dropout: float = 0.0):
        super().__init__()
        self.in_channels = _checks.positive_int(in_channels, "in_channels")
        self.n_classes = _checks.positive_int(n_classes, "n_classes")
        self.image_size = _checks.positive_int(image_size, "image_size")
        if image_size % 4:
            raise ValueError(f"image_size must be divisible by 4 (two 2x2 poolings); got {image_size}. "
                             "Pad or resize the images (28 for FashionMNIST, 32 for CIFAR-10).")
        self.stem_channels = _checks.positive_int(stem_channels, "stem_channels")
        self.body_channels = _checks.positive_int(body_channels, "body_channels")
        _checks.one_of(pointwise_activation, "pointwise_activation", tuple(sorted(ACTIVATIONS)))
        dropout = _checks.probability(dropout, "dropout", include_one=False)
        if not isinstance(pointwise, nn.Module) or not hasattr(pointwise, "out_channels"):
            raise TypeError("pointwise must be an nn.Module with an `out_channels` attribute; "
                            f"got {type(pointwise).__name__}.")
        pw_in = getattr(pointwise, "in_channels", stem_channels)
        if pw_in != stem_channels:
            raise ValueError(f"pointwise.in_channels must equal stem_channels={stem_channels}; got {pw_in}. "
                             "Build the pointwise layer with in_channels=stem_channels.")
        self.pointwise_activation = pointwise_activation
        self.dropout = float(dropout)
        self.pointwise_channels = int(pointwise.out_channels)
        self.stem = nn.Sequential(
            nn.Conv2d(in_channels, stem_channels, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        self.pointwise = pointwise
        self.activation = ACTIVATIONS[pointwise_activation]()
        self.body = nn.Sequential(
            nn.Conv2d(self.pointwise_channels, body_channels, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        self.head = nn.Sequential(
            nn.Flatten(), nn.Dropout(dropout), nn.Linear(body_channels * (image_size // 4) ** 2, n_classes))

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The pointwise layer's feature maps (after its activation): ``(B, P, S/2, S/2)``."""
        self._check_input(x)
        return self.activation(self.pointwise(self.stem(x)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Class logits ``(B, n_classes)`` of images ``(B, in_channels, image_size, image_size)``."""
        return self.head(self.body(self.features(x)))

    def _check_input(self, x) -> None:
        check_image_batch(x, self.in_channels, self.image_size)

    def summary_rows(self) -> list:
        """``(name, description, output shape, parameters)`` for each stage."""
        s2, s4 = self.image_size // 2, self.image_size // 4
        rows = [("stem", f"conv3x3 {self.in_channels}->{self.stem_channels}, ReLU, maxpool2",
                 (self.stem_channels, s2, s2), count_parameters(self.stem)),
                ("pointwise", describe_pointwise(self.pointwise) +
                 ("" if self.pointwise_activation == "identity" else f", {self.pointwise_activation}"),
                 (self.pointwise_channels, s2, s2), count_parameters(self.pointwise)),
                ("body", f"conv3x3 {self.pointwise_channels}->{self.body_channels}, ReLU, maxpool2",
                 (self.body_channels, s4, s4), count_parameters(self.body)),
                ("head", f"flatten, dropout {self.dropout:g}, linear {self.body_channels * s4 * s4}->{self.n_classes}",
                 (self.n_classes,), count_parameters(self.head))]
        return rows

    def __repr__(self) -> str:
        rows = self.summary_rows()
        header = (f"{type(self).__name__}(input=({self.in_channels}, {self.image_size}, {self.image_size}), "
                  f"classes={self.n_classes})")
        return summary_table(self, header, rows, name_width=10)


class QPCNN(PointwiseCNN):
    """The Quantum Pointwise CNN: the skeleton with a :class:`~qpcnn_edu.QuantumPointwiseConv2d` as pointwise layer.

    Args:
        in_channels, n_classes, image_size, stem_channels, body_channels, pointwise_activation, dropout:
            see :class:`PointwiseCNN`. ``stem_channels`` C sets the qubits: ``n_qubits = ceil(log2 C)``.
        n_layers, n_kernels, measurement, backend, diff_method: passed to the QPC layer.
        **qpc_kwargs: further keyword arguments of :class:`~qpcnn_edu.QuantumPointwiseConv2d`
            (``device_name``, ``shots``, ``n_qubits``, ``ranges``, ``seed``).

    >>> QPCNN(n_layers=4).pointwise.weights.shape
    torch.Size([1, 4, 3, 3])
    """

    kind = "qpcnn"

    def __init__(self, in_channels: int = 1, n_classes: int = 10, image_size: int = 28, stem_channels: int = 8,
                 n_layers: int = 2, n_kernels: int = 1, measurement: str = "expval", body_channels: int = 16,
                 pointwise_activation: str = "identity", dropout: float = 0.0, backend: str = "statevector",
                 diff_method: str = "backprop", **qpc_kwargs):
        stem_channels = _checks.positive_int(stem_channels, "stem_channels")
        qpc = QuantumPointwiseConv2d(stem_channels, n_layers=n_layers, n_kernels=n_kernels, measurement=measurement,
                                     backend=backend, diff_method=diff_method, **qpc_kwargs)
        super().__init__(qpc, in_channels, n_classes, image_size, stem_channels, body_channels,
                         pointwise_activation, dropout)


class ClassicalCNN(PointwiseCNN):
    """The classical counterpart: the same skeleton with ``nn.Conv2d(stem_channels, pointwise_channels, 1)``.

    Args:
        pointwise_channels (int): output channels of the 1x1 convolution (the QPC layer's ``out_channels`` for a
            twin). Other arguments: see :class:`PointwiseCNN`.

    >>> ClassicalCNN(pointwise_channels=3).pointwise
    Conv2d(8, 3, kernel_size=(1, 1), stride=(1, 1))
    """

    kind = "classical"

    def __init__(self, in_channels: int = 1, n_classes: int = 10, image_size: int = 28, stem_channels: int = 8,
                 pointwise_channels: int = 3, body_channels: int = 16, pointwise_activation: str = "identity",
                 dropout: float = 0.0):
        stem_channels = _checks.positive_int(stem_channels, "stem_channels")
        conv = nn.Conv2d(stem_channels, _checks.positive_int(pointwise_channels, "pointwise_channels"), 1)
        super().__init__(conv, in_channels, n_classes, image_size, stem_channels, body_channels,
                         pointwise_activation, dropout)

    @classmethod
    def twin_of(cls, model: PointwiseCNN) -> "ClassicalCNN":
        """A classical CNN with ``model``'s skeleton and a 1x1 convolution of the same output channels."""
        if not isinstance(model, PointwiseCNN):
            raise TypeError(f"model must be a PointwiseCNN (e.g. a QPCNN); got {type(model).__name__}.")
        return cls(in_channels=model.in_channels, n_classes=model.n_classes, image_size=model.image_size,
                   stem_channels=model.stem_channels, pointwise_channels=model.pointwise_channels,
                   body_channels=model.body_channels, pointwise_activation=model.pointwise_activation,
                   dropout=model.dropout)
