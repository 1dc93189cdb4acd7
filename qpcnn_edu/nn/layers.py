"""The quantum pointwise convolution (QPC) layer.

Every pixel's channel vector ``x`` (``C`` values) is amplitude-encoded into ``n = ceil(log2 C)``
qubits, a trainable strongly entangling circuit ``U`` acts on it, and each qubit's ``<Z>`` is read out
(or all ``2**n`` basis-state probabilities). The circuit's weights are shared by every pixel, like a
1x1 convolution's kernel; ``n_kernels`` independent circuits give ``n_kernels`` groups of feature maps.

The ``"statevector"`` backend is fast because the readout is a normalized quadratic form,
``<Z_k> = x^T Re(U^† Z_k U) x / x^T x``: ``U`` is built once per forward pass and each pixel costs a
few small matrix products (see :mod:`qpcnn_edu.simulator`). The ``"pennylane"`` backend runs the
same circuit as a PennyLane QNode (:func:`qpcnn_edu.quantum.reference.reference_qnode`).

This module is longer than 300 lines because it is one class, the layer the whole book is about, with its
argument checks, its two backends and its readout settings (input checks live in :mod:`qpcnn_edu.nn.inputs`).
"""

from __future__ import annotations

import math
from typing import Sequence

import torch
from torch import nn

from .. import _checks
from ..quantum.circuits import MEASUREMENTS, check_ranges, entangling_unitary, outputs_per_kernel
from ..quantum.encoding import n_qubits_for
from ..quantum.noise import noisy_observables, sample_outputs
from ..quantum.reference import reference_qnode
from .inputs import check_finite, check_layer_input
from ..quantum.simulator import (observable_diagonals, parameter_shift_forward, quadratic_forward, readout_matrix,
                                 statevector_forward, to_columns, to_images)

__all__ = ["QuantumPointwiseConv2d", "BACKENDS", "DIFF_METHODS", "LOW_PRECISION", "MAX_STATEVECTOR_QUBITS"]

#: Simulation backends of :class:`QuantumPointwiseConv2d`.
BACKENDS = ("statevector", "pennylane")
#: Differentiation methods per backend.
DIFF_METHODS = {
    "statevector": ("backprop", "parameter-shift"),
    "pennylane": ("best", "backprop", "parameter-shift", "adjoint", "finite-diff", "spsa", "hadamard", "device"),
}
#: Largest qubit count the statevector backend builds unitaries for (a 4096 x 4096 matrix per kernel).
MAX_STATEVECTOR_QUBITS = 12
#: Input dtypes the layer computes in float32 (there are no complex half-precision matrix products).
LOW_PRECISION = (torch.float16, torch.bfloat16)
#: Pure-state PennyLane devices, which cannot apply a depolarizing channel.
_PURE_STATE_DEVICES = ("default.qubit", "lightning.qubit")
_UNCHANGED = object()


def _check_readout(backend, diff_method, device_name, shots, depolarizing, seed):
    """The readout settings checked together (constructor and :meth:`QuantumPointwiseConv2d.set_readout`)."""
    _checks.one_of(diff_method, "diff_method", DIFF_METHODS[backend], f"Those are the methods for backend={backend!r}.")
    shots = _checks.positive_int(shots, "shots", allow_none=True)
    if shots is not None and backend == "pennylane" and diff_method == "backprop":
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
    if depolarizing and backend == "pennylane" and device_name in _PURE_STATE_DEVICES:
        raise ValueError(
            f"device_name must simulate mixed states when depolarizing > 0; got {device_name!r}. "
            "Use device_name='default.mixed'."
        )
    seed = None if seed is None else _checks.integer(seed, "seed", "Or pass seed=None for a random seed.")
    return shots, depolarizing, seed


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
        shots, depolarizing, seed = _check_readout(backend, diff_method, device_name, shots, depolarizing, seed)
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
        self.depolarizing = depolarizing
        self._sampler = None
        self.out_channels = n_kernels * outputs_per_kernel(measurement, n_qubits)
        self.weights = nn.Parameter(torch.empty(self.weight_shape(n_kernels, n_layers, n_qubits)))
        # (Km + 1, 2KD): squared amplitudes -> outputs and norms; a buffer, so it follows .to(device/dtype)
        self.register_buffer("readout", readout_matrix(measurement, n_qubits, n_kernels).T.contiguous(), persistent=False)
        self._qnode = self._build_qnode()
        self.reset_parameters()

    def _build_qnode(self):
        """The PennyLane QNode of the current settings (``None`` on the statevector backend)."""
        if self.backend != "pennylane":
            return None
        return reference_qnode(self.n_qubits, self.n_layers, self.device_name, self.shots, self.measurement,
                               self.diff_method, self.ranges, self.seed, depolarizing=self.depolarizing)

    def __getstate__(self):
        # A QNode holds its device and a closure, which cannot be pickled; __setstate__ rebuilds it.
        state = self.__dict__.copy()
        state["_qnode"] = None
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._qnode = self._build_qnode()

    def readout_settings(self) -> dict:
        """The readout as keyword arguments of :meth:`set_readout`.

        Returns:
            dict: ``shots``, ``depolarizing``, ``seed``, ``diff_method`` and ``generator`` (the shot sampler,
            ``None`` until first used).

        >>> QuantumPointwiseConv2d(4, shots=10, seed=1).readout_settings()["shots"]
        10
        """
        return {"shots": self.shots, "depolarizing": self.depolarizing, "seed": self.seed,
                "diff_method": self.diff_method, "generator": self._sampler}

    def set_readout(self, *, shots=_UNCHANGED, depolarizing=_UNCHANGED, seed=_UNCHANGED, diff_method=_UNCHANGED,
                    generator=_UNCHANGED) -> dict:
        """Change how the layer reads out its circuits, in place, and return the previous settings.

        Arguments left out keep their values; the new combination is checked as the constructor checks it, before
        anything changes. A change of ``shots``, ``depolarizing`` or ``seed`` starts a fresh shot sampler (seeded with
        ``seed`` at its first use) unless ``generator`` is given; the PennyLane backend rebuilds its QNode.
        ``layer.set_readout(**previous)`` restores the layer exactly, the sampler's state included.

        Args:
            shots (int, optional): finite shots per pixel and kernel, or ``None`` for exact values.
            depolarizing (float): depolarizing strength after every entangling layer.
            seed (int, optional): seed of the shot sampler (statevector) or of the PennyLane device.
            diff_method (str): one of ``DIFF_METHODS[layer.backend]``.
            generator (torch.Generator, optional): the shot sampler to continue with.

        Returns:
            dict: the settings before the change, as :meth:`readout_settings` gives them.

        Raises:
            ValueError: for an invalid setting or combination (nothing is changed then).

        >>> layer = QuantumPointwiseConv2d(4)
        >>> previous = layer.set_readout(shots=100, seed=0)
        >>> layer.shots, previous["shots"]
        (100, None)
        >>> _ = layer.set_readout(**previous)
        >>> layer.shots is None
        True
        """
        previous = self.readout_settings()
        new = {k: previous[k] if v is _UNCHANGED else v for k, v in
               dict(shots=shots, depolarizing=depolarizing, seed=seed, diff_method=diff_method).items()}
        if generator is not _UNCHANGED and generator is not None and not isinstance(generator, torch.Generator):
            raise ValueError(f"generator must be a torch.Generator or None; got {type(generator).__name__}.")
        new["shots"], new["depolarizing"], new["seed"] = _check_readout(
            self.backend, new["diff_method"], self.device_name, new["shots"], new["depolarizing"], new["seed"])
        fresh = any(new[k] != previous[k] for k in ("shots", "depolarizing", "seed"))
        self.shots, self.depolarizing, self.seed, self.diff_method = (
            new["shots"], new["depolarizing"], new["seed"], new["diff_method"])
        self._sampler = None if (generator is _UNCHANGED and fresh) else (
            previous["generator"] if generator is _UNCHANGED else generator)
        if new != {k: previous[k] for k in new}:
            self._qnode = self._build_qnode()
        return previous

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
        diag = observable_diagonals(self.measurement, self.n_qubits).to(device=u.device, dtype=u.dtype)  # (m, D)
        return torch.einsum("kji,mj,kjl->kmil", u.conj(), diag, u).real  # Re(U^† diag(r_m) U)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Apply the circuit to every pixel: ``(B, in_channels, H, W) -> (B, out_channels, H, W)``.

        Inputs (and a layer) in ``float16`` or ``bfloat16`` are computed in ``float32`` and returned in their dtype.
        Under ``torch.compile`` the finiteness check is a graph break, so NaN/inf input still raises. A module made by
        ``torch.jit.trace`` keeps no Python checks: it checks only the example input it was traced with, and returns
        NaN outputs for NaN input instead of raising.
        """
        check_layer_input(x, self.in_channels, self.weights)
        unbatched = x.dim() == 3
        if unbatched:
            x = x.unsqueeze(0)
        B, _, H, W = x.shape
        compute = torch.float32 if x.dtype in LOW_PRECISION else x.dtype
        weights = self.weights.to(compute)
        if self._exact_statevector():  # the common case: one autograd node, layout changes included
            out = statevector_forward(x.to(compute), weights, self.ranges, self.readout.to(compute), images=True)
            check_finite(x, out, self.weights)
            out = out.to(x.dtype)
            return out.squeeze(0) if unbatched else out
        pixels = to_columns(x).to(compute)  # (C, N): one column per pixel
        if self.backend == "statevector":
            out = self._statevector_forward(pixels, weights)  # (Km, N)
        elif pixels.shape[1] == 0:  # nothing to run (PennyLane cannot broadcast over zero pixels)
            out = pixels.new_zeros(self.out_channels, 0) + 0 * (weights.sum() + pixels.sum())  # zero gradients
        else:
            out = self._pennylane_forward(pixels.T, weights).T
        check_finite(x, out, self.weights)
        out = to_images(out.to(x.dtype), B, H, W).contiguous()  # (B, Km, H, W)
        return out.squeeze(0) if unbatched else out

    def _exact_statevector(self) -> bool:
        """Whether this call is the exact statevector simulation (no noise, no shots, gradients by backprop)."""
        return (self.backend == "statevector" and not self.depolarizing and self.shots is None
                and not (self.diff_method == "parameter-shift" and torch.is_grad_enabled()))

    def _statevector_forward(self, pixels, weights):
        """Outputs ``(Km, N)`` of pixel columns ``(C, N)``: exact, noisy or shot-sampled."""
        readout = self.readout.to(pixels.dtype)
        if self.depolarizing:
            forms = noisy_observables(weights, self.ranges, self.measurement, self.depolarizing).real
            out = quadratic_forward(pixels, forms.reshape(-1, *forms.shape[-2:]))
        elif self.diff_method == "parameter-shift" and torch.is_grad_enabled():
            out = parameter_shift_forward(pixels, weights, self.ranges, readout)
        else:
            out = statevector_forward(pixels, weights, self.ranges, readout)
        if self.shots is not None:
            estimate = sample_outputs(out, self.measurement, self.n_qubits, self.shots, self._generator(out.device))
            out = out + (estimate - out.detach())  # value: the estimate; gradient: that of its expectation
        return out

    def _generator(self, device) -> torch.Generator:
        """The shot sampler's generator (seeded with ``seed``; it advances with every forward pass)."""
        if self._sampler is None or self._sampler.device != torch.device(device):
            self._sampler = torch.Generator(device=device)
            if self.seed is None:
                self._sampler.seed()
            else:
                self._sampler.manual_seed(self.seed)
        return self._sampler

    def _pennylane_forward(self, pixels, weights):
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
            res = self._qnode(features, weights[k])
            res = torch.stack(list(res), -1) if self.measurement == "expval" else res  # (N, m)
            outs.append(res.reshape(pixels.shape[0], -1))
        out = torch.cat(outs, 1).to(pixels.dtype)  # (N, Km)
        if hybrid and pixels.requires_grad:
            readout = self.readout.to(pixels.dtype)
            exact = statevector_forward(pixels.T, weights.detach(), self.ranges, readout).T
            out = out + (exact - exact.detach())  # adds 0, carries d(exact)/d(pixels)
        return out
