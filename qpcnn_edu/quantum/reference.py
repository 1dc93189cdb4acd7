"""The QPC circuit as a PennyLane QNode: the ground truth the fast simulator is tested against, and the way to run
the layer on any PennyLane device (``QuantumPointwiseConv2d(backend="pennylane")``)."""

from __future__ import annotations

from typing import Sequence

from .. import _checks
from .circuits import MEASUREMENTS, check_ranges

__all__ = ["reference_qnode"]


def _ground_if_zero(features):
    """The zero-pixel convention of :func:`qpcnn_edu.encoding.amplitude_encode`, interface-agnostic.

    Rescales each vector by its largest magnitude (amplitude encoding is scale-invariant, and this
    keeps squares from under- or overflowing) and replaces all-zero vectors by ``(1, 0, ..., 0)``.
    NaN entries stay NaN.
    """
    import pennylane as qml

    scale = qml.math.max(qml.math.abs(features), axis=-1)
    zero = qml.math.expand_dims(scale == 0, -1)
    features = features / qml.math.expand_dims(qml.math.where(scale == 0, qml.math.ones_like(scale), scale), -1)
    ground = qml.math.concatenate([qml.math.ones_like(features[..., :1]), qml.math.zeros_like(features[..., 1:])], -1)
    return qml.math.where(zero, ground, features)


def reference_qnode(
    n_qubits: int,
    n_layers: int,
    device_name: str = "default.qubit",
    shots: int | None = None,
    measurement: str = "expval",
    diff_method: str = "best",
    ranges: Sequence[int] | None = None,
    seed: int | None = None,
    depolarizing: float = 0.0,
):
    """The QPC circuit as a PennyLane QNode: amplitude encoding, strongly entangling layers, readout.

    The QNode takes ``(features, weights)``: ``features`` of shape ``(C,)`` or ``(N, C)`` with
    ``C <= 2**n_qubits`` (raw channel values; padding, normalization and the zero-pixel convention
    happen inside), ``weights`` of shape ``(n_layers, n_qubits, 3)``. It returns a list of
    ``n_qubits`` values of ``<Z_k>`` (``measurement="expval"``) or the ``2**n_qubits`` basis-state
    probabilities (``measurement="probs"``), broadcast over ``N``.

    Args:
        n_qubits (int): number of wires.
        n_layers (int): number of strongly entangling layers.
        device_name (str): any PennyLane device, e.g. ``"default.qubit"``, ``"lightning.qubit"`` or
            a hardware plugin's device.
        shots (int, optional): finite shots, or ``None`` for exact expectation values.
        measurement (str): ``"expval"`` or ``"probs"``.
        diff_method (str): PennyLane's differentiation method (``"best"``, ``"backprop"``,
            ``"parameter-shift"``, ``"adjoint"``, ...).
        ranges (Sequence[int], optional): CNOT range per layer; PennyLane's defaults if ``None``.
        seed (int, optional): seed of the device's sampler (only matters with ``shots``).
        depolarizing (float): if positive, a ``DepolarizingChannel`` of this strength on every wire after
            every layer (needs a mixed-state device such as ``"default.mixed"``).

    Returns:
        pennylane.QNode: the circuit.

    >>> import numpy as np
    >>> circuit = reference_qnode(2, 1)
    >>> [float(v) for v in circuit(np.array([1.0, 0.0, 0.0]), np.zeros((1, 2, 3)))]
    [1.0, 1.0]
    """
    import pennylane as qml

    _checks.one_of(measurement, "measurement", MEASUREMENTS)
    ranges = check_ranges(ranges, n_qubits, n_layers)
    wires = list(range(n_qubits))
    device_kwargs = {"wires": n_qubits}
    if seed is not None:
        device_kwargs["seed"] = seed
    device = qml.device(device_name, **device_kwargs)

    def circuit(features, weights):
        qml.AmplitudeEmbedding(_ground_if_zero(features), wires=wires, pad_with=0.0, normalize=True)
        if depolarizing:
            for layer in range(n_layers):
                qml.StronglyEntanglingLayers(weights[..., layer : layer + 1, :, :], wires=wires,
                                             ranges=ranges[layer : layer + 1] if n_qubits > 1 else None)
                for w in wires:
                    qml.DepolarizingChannel(depolarizing, wires=w)
        else:
            qml.StronglyEntanglingLayers(weights, wires=wires, ranges=ranges if n_qubits > 1 else None)
        if measurement == "probs":
            return qml.probs(wires=wires)
        return [qml.expval(qml.PauliZ(w)) for w in wires]

    return qml.QNode(circuit, device, diff_method=diff_method, shots=shots)
