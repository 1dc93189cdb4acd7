"""The entangling circuit of the QPC layer: its checked settings, its pure-torch unitary, and its drawing (the
drawing shows exactly the gates the unitary applies; the gate-level build lives in :mod:`qpcnn_edu.quantum.unitary`).

The circuit on ``n`` qubits is PennyLane's ``StronglyEntanglingLayers``: each of ``n_layers`` layers
applies a general rotation ``Rot(phi, theta, omega) = RZ(omega) RY(theta) RZ(phi)`` to every wire, then
a ring of CNOTs from wire ``i`` to wire ``(i + r) % n`` for ``i = 0, ..., n-1``, where ``r`` is the
layer's *range* (PennyLane's default: ``r = (l % (n - 1)) + 1`` for layer ``l``; no CNOTs on one wire).

:func:`entangling_unitary` builds the matrix of that circuit directly in torch, so it can be built
once per forward pass and applied to every pixel with a matrix product (see
:class:`qpcnn_edu.layers.QuantumPointwiseConv2d`). :func:`qpcnn_edu.quantum.reference.reference_qnode` is the
same circuit, preceded by amplitude encoding, as a PennyLane QNode: the ground truth our tests compare against and
the path to other simulators and hardware.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import torch

from .. import _checks
from .unitary import build_unitary, rot_gates

__all__ = ["outputs_per_kernel", "default_ranges", "check_ranges", "rot_matrix", "entangling_unitary",
           "draw", "MEASUREMENTS"]

#: Readouts supported by the layer and the reference circuit.
MEASUREMENTS = ("expval", "probs")


def outputs_per_kernel(measurement: str, n_qubits: int) -> int:
    """Values one circuit reads out: ``n_qubits`` values of ``<Z>`` (``"expval"``) or ``2**n_qubits`` probabilities.

    >>> outputs_per_kernel("expval", 3), outputs_per_kernel("probs", 3)
    (3, 8)
    """
    _checks.one_of(measurement, "measurement", MEASUREMENTS)
    return n_qubits if measurement == "expval" else 2**n_qubits


def default_ranges(n_qubits: int, n_layers: int) -> tuple:
    """PennyLane's default CNOT ranges of ``StronglyEntanglingLayers``.

    Args:
        n_qubits (int): number of wires.
        n_layers (int): number of layers.

    Returns:
        tuple[int]: one range per layer, ``(l % (n_qubits - 1)) + 1``; all zeros for one qubit.

    >>> default_ranges(4, 5)
    (1, 2, 3, 1, 2)
    """
    if n_qubits > 1:
        return tuple((l % (n_qubits - 1)) + 1 for l in range(n_layers))
    return (0,) * n_layers


def check_ranges(ranges: Sequence[int] | None, n_qubits: int, n_layers: int) -> tuple:
    """CNOT ranges validated exactly as PennyLane's ``StronglyEntanglingLayers`` does, or the defaults for ``None``.

    Args:
        ranges (Sequence[int], optional): one CNOT range per layer.
        n_qubits (int): number of wires.
        n_layers (int): number of layers.

    Returns:
        tuple[int]: the ranges, or :func:`default_ranges` if ``ranges`` is ``None``.

    Raises:
        ValueError: for a wrong number of ranges, or a range that is zero or a multiple of ``n_qubits``.

    >>> check_ranges(None, 3, 2), check_ranges([2, 1], 3, 2)
    ((1, 2), (2, 1))
    >>> check_ranges((3,), 3, 1)
    Traceback (most recent call last):
        ...
    ValueError: ranges must not be zero nor divisible by the number of qubits (3); got (3,).
    """
    if ranges is None:
        return default_ranges(n_qubits, n_layers)
    ranges = tuple(int(r) for r in ranges)
    if len(ranges) != n_layers:
        raise ValueError(f"ranges must have one entry per layer ({n_layers}); got {len(ranges)}: {ranges}.")
    if n_qubits == 1:
        if any(ranges):
            raise ValueError(f"ranges must be None or zeros for a single qubit (it has no CNOTs); got {ranges}.")
        return ranges
    for r in ranges:
        if r % n_qubits == 0:
            raise ValueError(
                f"ranges must not be zero nor divisible by the number of qubits ({n_qubits}); got {ranges}."
            )
    return ranges


def rot_matrix(phi: torch.Tensor, theta: torch.Tensor, omega: torch.Tensor) -> torch.Tensor:
    """Matrix of PennyLane's ``Rot(phi, theta, omega) = RZ(omega) RY(theta) RZ(phi)``, batched.

    Args:
        phi, theta, omega (torch.Tensor): real angles of a common broadcast shape ``S``.

    Returns:
        torch.Tensor: complex tensor of shape ``S + (2, 2)``.

    >>> rot_matrix(torch.tensor(0.0), torch.tensor(torch.pi / 2), torch.tensor(0.0)).real  # RY(pi/2)
    tensor([[ 0.7071, -0.7071],
            [ 0.7071,  0.7071]])
    """
    phi, theta, omega = torch.broadcast_tensors(phi, theta, omega)
    return rot_gates(torch.stack([phi, theta, omega], -1))


def entangling_unitary(weights: torch.Tensor, ranges: Sequence[int] | None = None) -> torch.Tensor:
    """Unitary of PennyLane's ``StronglyEntanglingLayers`` with CNOT entanglers, in pure torch.

    Differentiable, on the device of ``weights``, in ``complex64`` for ``float32`` weights and
    ``complex128`` for ``float64``. Leading dimensions are batch dimensions (e.g. one unitary per
    kernel). Matches ``qml.matrix(qml.StronglyEntanglingLayers(weights, wires=range(n)))`` to
    ``1e-12`` in double precision.

    Args:
        weights (torch.Tensor): shape ``(..., n_layers, n_qubits, 3)``; the last axis holds the
            ``Rot`` angles ``(phi, theta, omega)``.
        ranges (Sequence[int], optional): CNOT range per layer; defaults to PennyLane's
            (see :func:`default_ranges`).

    Returns:
        torch.Tensor: complex tensor of shape ``(..., 2**n_qubits, 2**n_qubits)``.

    Raises:
        ValueError: if ``weights`` has the wrong shape or ``ranges`` is invalid.

    >>> U = entangling_unitary(torch.zeros(1, 2, 3, dtype=torch.float64))  # one layer, 2 qubits
    >>> U.real.abs()  # Rot(0,0,0) = I, then CNOT(0,1) CNOT(1,0): a permutation
    tensor([[1., 0., 0., 0.],
            [0., 0., 1., 0.],
            [0., 0., 0., 1.],
            [0., 1., 0., 0.]], dtype=torch.float64)
    """
    if not isinstance(weights, torch.Tensor) or not weights.is_floating_point():
        raise TypeError(
            f"weights must be a real floating-point torch.Tensor; got {type(weights).__name__}"
            + (f" of dtype {weights.dtype}" if isinstance(weights, torch.Tensor) else "")
            + "."
        )
    if weights.dtype in (torch.float16, torch.bfloat16):
        raise TypeError(f"weights must be float32 or float64 (torch has no complex half-precision matrix "
                        f"products); got {weights.dtype}. Convert them with weights.float().")
    if weights.dim() < 3 or weights.shape[-1] != 3:
        raise ValueError(
            f"weights must have shape (..., n_layers, n_qubits, 3); got {tuple(weights.shape)}."
        )
    n_layers, n_qubits = int(weights.shape[-3]), int(weights.shape[-2])  # ints, also under torch.jit.trace
    if n_layers < 1 or n_qubits < 1:
        raise ValueError(f"weights must have at least one layer and one qubit; got {tuple(weights.shape)}.")
    ranges = check_ranges(ranges, n_qubits, n_layers)

    return build_unitary(weights, ranges)


def draw(
    n_qubits: int = 3,
    n_layers: int = 2,
    measurement: str = "expval",
    ranges: Sequence[int] | None = None,
    weights: torch.Tensor | None = None,
    expand: bool = True,
    **draw_kwargs,
):
    """Draw the QPC circuit with matplotlib (PennyLane's ``draw_mpl``).

    Args:
        n_qubits (int): number of wires.
        n_layers (int): number of strongly entangling layers.
        measurement (str): ``"expval"`` or ``"probs"``.
        ranges (Sequence[int], optional): CNOT range per layer.
        weights (torch.Tensor, optional): shape ``(n_layers, n_qubits, 3)``; zeros if omitted.
        expand (bool): draw each ``Rot`` and ``CNOT`` gate (``True``) or one box per template.
        **draw_kwargs: passed on to ``qml.draw_mpl`` (e.g. ``decimals=2``, ``style="pennylane"``).

    Returns:
        tuple: matplotlib ``(figure, axes)``.

    >>> fig, ax = draw(2, 1)
    >>> type(fig).__name__
    'Figure'
    """
    import pennylane as qml

    qnode, args = _drawing_circuit(n_qubits, n_layers, measurement, ranges, weights, expand)
    return qml.draw_mpl(qnode, **draw_kwargs)(*args)


def _drawing_circuit(n_qubits, n_layers, measurement, ranges, weights, expand):
    """The QNode :func:`draw` draws and its arguments (also drawn as text by the tests, to count gates)."""
    import pennylane as qml

    _checks.one_of(measurement, "measurement", MEASUREMENTS)
    ranges = check_ranges(ranges, n_qubits, n_layers)
    wires = list(range(n_qubits))
    if weights is None:
        weights = torch.zeros(n_layers, n_qubits, 3, dtype=torch.float64)
    features = np.ones(2**n_qubits) / np.sqrt(2**n_qubits)

    def circuit(features, weights):
        qml.AmplitudeEmbedding(features, wires=wires, normalize=True)
        if expand:
            # compute_decomposition would also queue its gates itself: build them unrecorded, apply each once
            with qml.QueuingManager.stop_recording():
                ops = qml.StronglyEntanglingLayers.compute_decomposition(weights, wires=wires, ranges=ranges)
            for op in ops:
                qml.apply(op)
        else:
            qml.StronglyEntanglingLayers(weights, wires=wires, ranges=ranges if n_qubits > 1 else None)
        if measurement == "probs":
            return qml.probs(wires=wires)
        return [qml.expval(qml.PauliZ(w)) for w in wires]

    return qml.QNode(circuit, qml.device("default.qubit", wires=n_qubits)), (features, weights)
