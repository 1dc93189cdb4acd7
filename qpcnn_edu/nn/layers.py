"""The quantum pointwise convolution (QPC) layer.

Every pixel's channel vector ``x`` (``C`` values) is amplitude-encoded into ``n = ceil(log2 C)``
qubits, a trainable strongly entangling circuit ``U`` acts on it, and each qubit's ``<Z>`` is read out
(or all ``2**n`` basis-state probabilities). The circuit's weights are shared by every pixel, like a
1x1 convolution's kernel; ``n_kernels`` independent circuits give ``n_kernels`` groups of feature maps.

The ``"statevector"`` backend is fast because the readout is a normalized quadratic form,
``<Z_k> = x^T Re(U^† Z_k U) x / x^T x``: ``U`` is built once per forward pass and each pixel costs a
few small matrix products (see :mod:`qpcnn_edu.simulator`). The ``"pennylane"`` backend runs the
same circuit as a PennyLane QNode (:func:`qpcnn_edu.circuits.reference_qnode`).
"""

from __future__ import annotations

import math
from typing import Sequence

import torch
from torch import nn

from .. import _checks
from ..quantum.circuits import MEASUREMENTS, check_ranges, entangling_unitary, reference_qnode
from ..quantum.encoding import n_qubits_for
from ..quantum.noise import noisy_observables, quadratic_forward, sample_outputs
from ..quantum.simulator import parameter_shift_forward, readout_matrix, rescale_pixels, statevector_forward, z_signs

__all__ = ["QuantumPointwiseConv2d", "QuadraticPointwiseConv2d", "BACKENDS", "DIFF_METHODS"]

#: Simulation backends of :class:`QuantumPointwiseConv2d`.
BACKENDS = ("statevector", "pennylane")
#: Differentiation methods per backend.
DIFF_METHODS = {
    "statevector": ("backprop", "parameter-shift"),
    "pennylane": ("best", "backprop", "parameter-shift", "adjoint", "finite-diff", "spsa", "hadamard", "device"),
}
#: Largest qubit count the statevector backend builds unitaries for (a 4096 x 4096 matrix per kernel).
MAX_STATEVECTOR_QUBITS = 12


class QuantumPointwiseConv2d(nn.Module):
    """Quantum pointwise convolution: a strongly entangling circuit applied to every pixel's channels.

    Input ``(B, in_channels, H, W)`` (or unbatched ``(in_channels, H, W)``); output
    ``(B, out_channels, H, W)`` with ``out_channels = n_kernels * n_qubits`` for ``"expval"`` (each
    qubit's ``<Z>``, in ``[-1, 1]``) or ``n_kernels * 2**n_qubits`` for ``"probs"``. Output channels are
    grouped by kernel: kernel ``k``'s maps are channels ``k*m ... k*m + m - 1``.

    Each pixel's channel vector is amplitude-encoded (:func:`qpcnn_edu.encoding.amplitude_encode`;
    all-zero pixels become ``|0...0>``), then ``StronglyEntanglingLayers`` acts (see
    :mod:`qpcnn_edu.circuits`). The layer is a reconstruction of Ning, Li & Chen (2024) from its
    published description.

    Args:
        in_channels (int): channels per pixel ``C``.
        n_layers (int): strongly entangling layers per circuit.
        n_kernels (int): independent circuits (each with its own weights).
        measurement (str): ``"expval"`` (per-qubit ``<Z>``) or ``"probs"``.
        backend (str): ``"statevector"`` (our exact, fast simulator) or ``"pennylane"`` (the
            reference QNode on ``device_name``, broadcast over pixels: any simulator or hardware).
        diff_method (str): ``"backprop"`` or ``"parameter-shift"`` for the statevector backend; any
            PennyLane method for the PennyLane backend.
        device_name (str): PennyLane device for ``backend="pennylane"``.
        shots (int, optional): finite shots per pixel and kernel; ``None`` gives exact expectation values.
            The statevector backend draws the ``shots``-sample estimates from the exact outputs and
            back-propagates the exact gradient of their expectation (see :mod:`qpcnn_edu.noise`); the
            PennyLane backend samples on its device (with ``diff_method="parameter-shift"``, as on hardware).
        n_qubits (int, optional): qubits per circuit; at least (and by default) ``ceil(log2 C)``.
        ranges (Sequence[int], optional): CNOT range per layer; PennyLane's defaults if ``None``.
        seed (int, optional): seed of the shot sampler (statevector) or of the PennyLane device.
        depolarizing (float): strength ``p`` of a depolarizing channel on every qubit after every
            entangling layer (0: noiseless). Exact on the statevector backend (Heisenberg picture, see
            :mod:`qpcnn_edu.noise`); on the PennyLane backend it needs a mixed-state device such as
            ``"default.mixed"``.

    Attributes:
        weights (torch.nn.Parameter): shape ``(n_kernels, n_layers, n_qubits, 3)``, initialized
            uniformly in ``[0, 2*pi)`` like PennyLane's ``TorchLayer``.

    Raises:
        ValueError: for invalid arguments, and from ``forward`` for an input of the wrong rank,
            channel count, device, or with NaN/inf values.
        TypeError: from ``forward`` for a non-floating or mismatched-dtype input.

    >>> torch.manual_seed(0)  # doctest: +ELLIPSIS
    <torch._C.Generator object at ...>
    >>> layer = QuantumPointwiseConv2d(in_channels=8, n_layers=2, n_kernels=2)
    >>> layer(torch.randn(4, 8, 14, 14)).shape
    torch.Size([4, 6, 14, 14])
    >>> layer.weights.shape, sum(p.numel() for p in layer.parameters())
    (torch.Size([2, 2, 3, 3]), 36)
    """

    def __init__(
        self,
        in_channels: int,
        n_layers: int = 2,
        n_kernels: int = 1,
        measurement: str = "expval",
        backend: str = "statevector",
        diff_method: str = "backprop",
        device_name: str = "default.qubit",
        shots: int | None = None,
        *,
        n_qubits: int | None = None,
        ranges: Sequence[int] | None = None,
        seed: int | None = None,
        depolarizing: float = 0.0,
    ):
        super().__init__()
        self.in_channels = _checks.positive_int(in_channels, "in_channels")
        self.n_layers = _checks.positive_int(n_layers, "n_layers")
        self.n_kernels = _checks.positive_int(n_kernels, "n_kernels")
        needed = n_qubits_for(in_channels)
        if n_qubits is None:
            n_qubits = needed
        else:
            n_qubits = _checks.int_in_range(
                n_qubits, "n_qubits", needed,
                fix=f"Amplitude-encoding {in_channels} channels needs {needed} qubits; "
                "leave n_qubits=None for the minimum.",
            )
        self.n_qubits = n_qubits
        _checks.one_of(measurement, "measurement", MEASUREMENTS)
        _checks.one_of(backend, "backend", BACKENDS)
        _checks.one_of(diff_method, "diff_method", DIFF_METHODS[backend],
                       f"Those are the methods for backend={backend!r}.")
        shots = _checks.positive_int(shots, "shots", allow_none=True)
        if shots is not None:
            if backend == "pennylane" and diff_method == "backprop":
                raise ValueError(
                    f"diff_method must not be 'backprop' with finite shots (sampling is not differentiable); "
                    f"got shots={shots}. Use diff_method='parameter-shift' (as on hardware)."
                )
        depolarizing = _checks.probability(depolarizing, "depolarizing")
        if depolarizing and backend == "statevector" and diff_method != "backprop":
            raise ValueError(
                f"diff_method must be 'backprop' with depolarizing noise on backend='statevector'; got {diff_method!r}. "
                "To run the shift rule literally on a noisy circuit use backend='pennylane', device_name='default.mixed'."
            )
        if depolarizing and backend == "pennylane" and device_name in ("default.qubit", "lightning.qubit"):
            raise ValueError(
                f"device_name must simulate mixed states when depolarizing > 0; got {device_name!r}. "
                "Use device_name='default.mixed'."
            )
        if backend == "statevector" and n_qubits > MAX_STATEVECTOR_QUBITS:
            raise ValueError(
                f"n_qubits must be at most {MAX_STATEVECTOR_QUBITS} for backend='statevector'; got {n_qubits}. "
                "Reduce the channels with a classical 1x1 convolution first."
            )
        self.ranges = check_ranges(ranges, n_qubits, n_layers)
        self._custom_ranges = ranges is not None
        self.measurement = measurement
        self.backend = backend
        self.diff_method = diff_method
        self.device_name = device_name
        self.shots = shots
        self.seed = seed
        self.depolarizing = float(depolarizing)
        self._sampler = None
        self.out_channels = n_kernels * (n_qubits if measurement == "expval" else 2**n_qubits)
        self.weights = nn.Parameter(torch.empty(self.weight_shape(n_kernels, n_layers, n_qubits)))
        # (Km + 1, 2KD): squared amplitudes -> outputs and norms; a buffer, so it follows .to(device/dtype)
        self.register_buffer("readout", readout_matrix(measurement, n_qubits, n_kernels).T.contiguous(), persistent=False)
        self._qnode = None
        if backend == "pennylane":
            self._qnode = reference_qnode(
                n_qubits, n_layers, device_name, shots, measurement, diff_method, self.ranges, seed,
                depolarizing=self.depolarizing,
            )
        self.reset_parameters()

    @staticmethod
    def weight_shape(n_kernels: int, n_layers: int, n_qubits: int) -> tuple:
        """Shape of ``weights``: ``(n_kernels, n_layers, n_qubits, 3)``.

        >>> QuantumPointwiseConv2d.weight_shape(2, 4, 3)
        (2, 4, 3, 3)
        """
        return (n_kernels, n_layers, n_qubits, 3)

    def reset_parameters(self) -> None:
        """Draw ``weights`` uniformly from ``[0, 2*pi)`` (PennyLane ``TorchLayer``'s default)."""
        with torch.no_grad():
            self.weights.uniform_(0.0, 2 * math.pi)

    def extra_repr(self) -> str:
        text = (
            f"in_channels={self.in_channels}, out_channels={self.out_channels}, n_qubits={self.n_qubits}, "
            f"n_layers={self.n_layers}, n_kernels={self.n_kernels}, measurement={self.measurement!r}, "
            f"backend={self.backend!r}, diff_method={self.diff_method!r}"
        )
        if self._custom_ranges:
            text += f", ranges={self.ranges}"
        if self.backend == "pennylane":
            text += f", device_name={self.device_name!r}"
        if self.shots is not None:
            text += f", shots={self.shots}"
        if self.depolarizing:
            text += f", depolarizing={self.depolarizing:g}"
        return text

    def unitary(self) -> torch.Tensor:
        """The circuit's unitary per kernel, shape ``(n_kernels, 2**n_qubits, 2**n_qubits)``."""
        return entangling_unitary(self.weights, self.ranges)

    def quadratic_forms(self) -> torch.Tensor:
        """Real symmetric ``A`` with ``out = psi^T A psi`` per kernel and output, ``(n_kernels, m, D, D)``.

        For ``"expval"``, ``A = Re(U^† Z_k U)``; for ``"probs"``, ``A = Re(U^† |j><j| U)``.
        """
        u = self.unitary()  # (K, D, D)
        D = u.shape[-1]
        signs = z_signs(self.n_qubits) if self.measurement == "expval" else torch.eye(D)
        diag = signs.to(device=u.device, dtype=u.dtype)  # (m, D): observables diagonal in the basis
        return torch.einsum("kji,mj,kjl->kmil", u.conj(), diag, u).real  # Re(U^† diag(r_m) U)

    def _check_input(self, x):
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"input must be a torch.Tensor; got {type(x).__name__}.")
        if x.dim() not in (3, 4):
            raise ValueError(
                "input must be a 4-D tensor (batch, channels, height, width) or a 3-D tensor "
                f"(channels, height, width); got shape {tuple(x.shape)}."
            )
        if x.shape[-3] != self.in_channels:
            raise ValueError(
                f"input must have {self.in_channels} channels (dimension -3); got {x.shape[-3]} in shape "
                f"{tuple(x.shape)}. Build the layer with in_channels={x.shape[-3]}."
            )
        if not x.is_floating_point():
            raise TypeError(f"input must have a floating-point dtype; got {x.dtype}. Convert it with x.float().")
        w = self.weights
        if x.dtype != w.dtype:
            raise TypeError(
                f"input dtype must match the layer's ({w.dtype}); got {x.dtype}. "
                f"Call layer.to({x.dtype}) or convert the input with x.to({w.dtype})."
            )
        if x.device != w.device:
            raise ValueError(
                f"input must be on the layer's device ({w.device}); got {x.device}. Move one with .to(device)."
            )

    def _raise_not_finite(self, x):
        n_nan, n_inf = int(torch.isnan(x).sum()), int(torch.isinf(x).sum())
        if n_nan or n_inf:
            raise ValueError(
                f"input must be finite; got {n_nan} NaN and {n_inf} inf values. "
                "Check the preceding layers, the learning rate, or the data."
            )
        if not bool(torch.isfinite(self.weights).all()):
            raise ValueError(
                "weights must be finite; got NaN or inf. Training diverged: lower the learning rate "
                "or reload a checkpoint (layer.reset_parameters() starts afresh)."
            )
        raise ValueError("outputs must be finite; got NaN or inf from finite inputs and weights (please report this).")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Apply the circuit to every pixel: ``(B, in_channels, H, W) -> (B, out_channels, H, W)``."""
        self._check_input(x)
        unbatched = x.dim() == 3
        if unbatched:
            x = x.unsqueeze(0)
        B, C, H, W = x.shape
        pixels = x.transpose(0, 1).reshape(C, B * H * W)  # (C, N): one column per pixel
        if self.backend == "statevector":
            if self.depolarizing:
                forms = noisy_observables(self.weights, self.ranges, self.measurement, self.depolarizing).real
                out = quadratic_forward(pixels, forms.reshape(-1, *forms.shape[-2:]))  # (Km, N)
            elif self.diff_method == "parameter-shift" and torch.is_grad_enabled():
                out = parameter_shift_forward(pixels, self.weights, self.ranges, self.readout)
            else:
                out = statevector_forward(pixels, self.weights, self.ranges, self.readout)  # (Km, N)
            if self.shots is not None:
                estimate = sample_outputs(out, self.measurement, self.n_qubits, self.shots, self._generator(out.device))
                out = out + (estimate - out.detach())  # value: the estimate; gradient: that of its expectation
        else:
            out = self._pennylane_forward(pixels.T).T
        # NaN/inf anywhere in a pixel (or a squared norm that overflows) makes its outputs non-finite,
        # so one check on the (smaller) output catches every bad input.
        if not torch.compiler.is_compiling() and not bool(torch.isfinite(out).all()):
            self._raise_not_finite(x)
        out = out.view(self.out_channels, B, H, W).transpose(0, 1).contiguous()  # (B, Km, H, W)
        return out.squeeze(0) if unbatched else out

    def _generator(self, device) -> torch.Generator:
        """The shot sampler's generator (seeded with ``seed``; it advances with every forward pass)."""
        if self._sampler is None or self._sampler.device != torch.device(device):
            self._sampler = torch.Generator(device=device)
            if self.seed is None:
                self._sampler.seed()
            else:
                self._sampler.manual_seed(self.seed)
        return self._sampler

    def _pennylane_forward(self, pixels):
        """Run the reference QNode once per kernel, broadcast over all pixels: (N, C) -> (N, K*m).

        With ``diff_method="backprop"`` PennyLane differentiates everything. With any other method
        (parameter-shift, adjoint, finite differences, hardware) PennyLane differentiates the weights
        only: its shift rules cannot pass through amplitude encoding of zero-padded inputs (the
        state-preparation angles are singular there). The input gradient is then the exact
        derivative of the normalized quadratic form, from the statevector simulator, attached
        without changing the QNode's values.
        """
        hybrid = self.diff_method != "backprop"
        features = pixels.detach() if hybrid else pixels
        outs = []
        for k in range(self.n_kernels):
            res = self._qnode(features, self.weights[k])
            res = torch.stack(list(res), -1) if self.measurement == "expval" else res  # (N, m)
            outs.append(res.reshape(pixels.shape[0], -1))
        out = torch.cat(outs, 1).to(pixels.dtype)  # (N, Km)
        if hybrid and pixels.requires_grad:
            exact = statevector_forward(pixels.T, self.weights.detach(), self.ranges, self.readout).T
            out = out + (exact - exact.detach())  # adds 0, carries d(exact)/d(pixels)
        return out


class QuadraticPointwiseConv2d(nn.Module):
    """Classical control: ``out_k = x^T M_k x / x^T x`` per pixel, with free learnable symmetric ``M_k``.

    The QPC layer computes exactly such normalized quadratic forms, with ``M_k = Re(U^† Z_k U)``
    constrained by the circuit (one unitary shared by a kernel's outputs, eigenvalues in ``[-1, 1]``,
    only ``3 n_layers n_qubits`` angles). This layer drops the constraint: it is the classical function class that contains the
    QPC layer, so comparing the two tells whether the quantum structure helps or hurts. All-zero
    pixels read ``M_k[0, 0]`` (the QPC layer's zero-pixel convention, ``x = e_0``).

    Args:
        in_channels (int): channels per pixel ``C``.
        out_channels (int): number of quadratic forms; each has ``C (C + 1) / 2`` parameters.

    >>> layer = QuadraticPointwiseConv2d(8, 3)
    >>> layer(torch.randn(2, 8, 5, 5)).shape, sum(p.numel() for p in layer.parameters())
    (torch.Size([2, 3, 5, 5]), 108)
    """

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        self.in_channels = _checks.positive_int(in_channels, "in_channels")
        self.out_channels = _checks.positive_int(out_channels, "out_channels")
        rows, cols = torch.triu_indices(in_channels, in_channels)
        self.register_buffer("_rows", rows, persistent=False)
        self.register_buffer("_cols", cols, persistent=False)
        self.weight = nn.Parameter(torch.empty(out_channels, len(rows)))  # upper triangles of M_k
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Entries ~ N(0, 1/C): eigenvalues of order one, outputs of order one, like ``<Z>``."""
        with torch.no_grad():
            self.weight.normal_(0.0, 1.0 / math.sqrt(self.in_channels))

    def matrices(self) -> torch.Tensor:
        """The symmetric matrices ``M``, shape ``(out_channels, C, C)``."""
        C = self.in_channels
        m = self.weight.new_zeros(self.out_channels, C, C)
        m[:, self._rows, self._cols] = self.weight
        return m + m.transpose(1, 2) - torch.diag_embed(m.diagonal(dim1=1, dim2=2))

    def extra_repr(self) -> str:
        return f"in_channels={self.in_channels}, out_channels={self.out_channels}"

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not isinstance(x, torch.Tensor) or x.dim() != 4 or x.shape[1] != self.in_channels:
            shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
            raise ValueError(
                f"input must have shape (batch, {self.in_channels}, height, width); got {shape}. "
                f"Build the layer with in_channels matching the input."
            )
        B, C, H, W = x.shape
        # rescale_pixels works on pixels as columns (C, N): rescale each pixel, then go back to rows (N, C)
        pixels = rescale_pixels(x.permute(0, 2, 3, 1).reshape(-1, C).T).T
        m = self.matrices()  # (O, C, C)
        mx = (pixels @ m.permute(1, 0, 2).reshape(C, -1)).view(-1, self.out_channels, C)  # (N, O, C): M_k x
        raw = (mx * pixels.unsqueeze(1)).sum(-1)  # (N, O): x^T M_k x
        sumsq = (pixels * pixels).sum(1, keepdim=True)
        nonzero = ~(sumsq == 0)  # NaN input stays NaN
        out = torch.where(nonzero, raw / torch.where(nonzero, sumsq, 1.0), m[:, 0, 0])
        return out.view(B, H, W, self.out_channels).permute(0, 3, 1, 2).contiguous()
