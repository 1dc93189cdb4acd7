"""Gates, two-qubit gates and depth of the QPC layer's per-pixel circuit on gate-based hardware.

Only the QPC layer of a QPCNN is quantum: every pixel of every image runs one small circuit per kernel
(amplitude encoding of the pixel's channels, then the trainable strongly entangling layers, then a
computational-basis readout). :func:`circuit_resources` counts its **gates**: the circuit compiled by PennyLane's
own decompositions into a hardware-like basis, by default ``RZ``, ``RY`` and ``CNOT``, with the amplitude-encoding
state preparation and the trainable part also reported separately. What running it costs in circuits, shots and
time is :mod:`qpcnn_edu.quantum.cost`.

Decomposition
    ``qml.AmplitudeEmbedding`` becomes ``qml.StatePrep`` and then ``qml.MottonenStatePreparation`` (Möttönen et
    al. 2004, uniformly controlled rotations with Gray-code CNOT ladders), and ``qml.StronglyEntanglingLayers``
    becomes ``Rot`` and ``CNOT`` gates; ``qml.transforms.decompose(gate_set=basis)`` (PennyLane's operator-by-operator
    decomposition; the graph-based system is switched off while counting) takes both down to ``basis``, e.g.
    ``Rot(phi, theta, omega) -> RZ(phi) RY(theta) RZ(omega)``. Counts and depth are PennyLane's
    (``qml.resource.resources_from_tape``): depth is the number of gate layers when every gate takes one time step,
    on all-to-all connectivity (no SWAPs for routing on a sparse coupling map, no transpiler optimizations such as
    merging adjacent ``RZ`` gates or dropping the final ``RZ`` before a ``Z``-basis readout). A ``GlobalPhase`` of
    the state preparation is dropped: it is unobservable and free on hardware.

Generic input
    PennyLane's Möttönen decomposition skips rotations whose angle is zero for the *given* amplitudes (and the whole
    ``RZ`` phase cascade when all amplitudes are real and non-negative). Hardware runs one circuit per pixel with
    that pixel's angles, so we count the circuit *structure* for a generic input: a fixed random normalized vector
    with no zero entry and random complex phases (``amplitudes="generic"``). This gives ``2**n - 1`` ``RY``,
    ``2**n - 1`` ``RZ`` and ``2**(n+1) - 4`` ``CNOT`` gates for the state preparation, the same count PennyLane uses
    for a differentiable or traced input, for which it never skips a gate. ``amplitudes="nonnegative"`` counts a
    positive input without phases, which is what a QPCNN feeds the layer after its ReLU and max-pooling stem:
    ``2**n - 1`` ``RY`` and ``2**n - 2`` ``CNOT`` gates, no ``RZ``. Zero channels (padding when ``C < 2**n``, or a
    ReLU's zeros) can make angles vanish and all-zero pixels need no gates at all (``|0...0>``), so the counts are
    upper bounds for such data.

>>> res = circuit_resources(3, 2)
>>> res.gate_counts, res.two_qubit_gates, res.depth
({'CNOT': 18, 'RY': 13, 'RZ': 19}, 18, 34)
"""

from __future__ import annotations

import contextlib
import functools
import warnings
from dataclasses import asdict, dataclass
from typing import Iterable, Sequence

import numpy as np

from .. import _checks
from .circuits import MEASUREMENTS, check_ranges, outputs_per_kernel

__all__ = ["Record", "GateCounts", "CircuitResources", "DEFAULT_BASIS", "AMPLITUDES", "MAX_RESOURCE_QUBITS",
           "circuit_resources"]

#: The default compilation basis: Z and Y rotations and CNOT (universal, and what PennyLane's decompositions reach).
DEFAULT_BASIS = ("RZ", "RY", "CNOT")
#: Kinds of input amplitudes the state preparation is counted for (see the module docstring).
AMPLITUDES = ("generic", "nonnegative")
#: Largest qubit count :func:`circuit_resources` decomposes (the state preparation has about ``4 * 2**n`` gates).
MAX_RESOURCE_QUBITS = 12

# Fixed seed of the generic input and weights: counts do not depend on it (tested), only reproducibility does.
_SEED = 2412_01241

class Record:
    """Mixin of the result dataclasses here and in :mod:`qpcnn_edu.quantum.cost`: ``as_dict()``.

    >>> GateCounts({"CNOT": 1}, 1, 1, 1).as_dict()
    {'gate_counts': {'CNOT': 1}, 'total_gates': 1, 'two_qubit_gates': 1, 'depth': 1}
    """

    def as_dict(self) -> dict:
        """All fields as a plain (JSON-serializable) dictionary."""
        return asdict(self)


@dataclass(frozen=True)
class GateCounts(Record):
    """Gates of one circuit (or of one part of it) after decomposition.

    Attributes:
        gate_counts (dict[str, int]): gates by name, sorted by name.
        total_gates (int): all gates.
        two_qubit_gates (int): gates acting on exactly two wires (the ``CNOT`` gates in the default basis); an
            undecomposed state preparation is not one of them.
        depth (int): gate layers, every gate taking one time step (PennyLane's circuit depth).
    """

    gate_counts: dict
    total_gates: int
    two_qubit_gates: int
    depth: int


@dataclass(frozen=True)
class CircuitResources(Record):
    """Resources of the per-pixel QPC circuit, from :func:`circuit_resources`.

    Attributes:
        n_qubits (int), n_layers (int): the circuit's size.
        ranges (tuple[int]): CNOT range of each entangling layer.
        measurement (str): ``"expval"`` or ``"probs"``; both read all wires in the computational basis, so it changes
            no gate, only what is computed from the shots.
        n_outputs (int): values read out per circuit (``n_qubits`` or ``2**n_qubits``), all from the same shots.
        n_trainable (int): trainable angles per circuit, ``3 * n_layers * n_qubits``.
        basis (tuple[str]): the gate set compiled to.
        decompose_state_prep (bool): whether the state preparation was decomposed (else it is one opaque
            ``AmplitudeEmbedding`` gate on all wires, as PennyLane's ``default.qubit`` sees it).
        amplitudes (str): ``"generic"`` or ``"nonnegative"`` input amplitudes.
        gate_counts, total_gates, two_qubit_gates, depth: the whole circuit (see :class:`GateCounts`).
        state_prep (GateCounts): the amplitude-encoding state preparation alone.
        trainable (GateCounts): the strongly entangling layers alone.
    """

    n_qubits: int
    n_layers: int
    ranges: tuple
    measurement: str
    n_outputs: int
    n_trainable: int
    basis: tuple
    decompose_state_prep: bool
    amplitudes: str
    gate_counts: dict
    total_gates: int
    two_qubit_gates: int
    depth: int
    state_prep: GateCounts
    trainable: GateCounts


def _check_basis(basis) -> tuple:
    if isinstance(basis, str) or not isinstance(basis, Iterable):
        raise ValueError(f"basis must be a non-empty sequence of PennyLane gate names such as {DEFAULT_BASIS}; "
                         f"got {basis!r}. Wrap a single name in a tuple.")
    basis = tuple(basis)
    if not basis or not all(isinstance(g, str) and g for g in basis):
        raise ValueError(f"basis must be a non-empty sequence of PennyLane gate names such as {DEFAULT_BASIS}; "
                         f"got {basis!r}.")
    return tuple(sorted(set(basis)))


@contextlib.contextmanager
def _legacy_decompositions():
    """PennyLane's operator-by-operator decompositions, whatever the global graph-decomposition setting."""
    import pennylane as qml

    toggle = getattr(qml.decomposition, "toggle_graph_ctx", None)
    if toggle is None:  # older PennyLane: no graph system to switch off
        yield
        return
    with toggle(False):
        yield


def _decomposed_counts(ops: list, n_qubits: int, gate_set: tuple, opaque: tuple = ()) -> tuple:
    """Decompose ``ops`` into ``gate_set`` (``opaque`` gates kept whole) and count them with PennyLane."""
    import pennylane as qml

    tape = qml.tape.QuantumScript(ops, [qml.expval(qml.Z(w)) for w in range(n_qubits)])
    with _legacy_decompositions(), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*does not define a decomposition.*")
        (tape,), _ = qml.transforms.decompose(tape, gate_set=set(gate_set) | set(opaque))
    ops = [op for op in tape.operations if op.name != "GlobalPhase"]  # unobservable: free on hardware
    left = sorted({op.name for op in ops} - set(gate_set) - set(opaque))
    if left:
        raise ValueError(
            f"basis must contain every gate PennyLane decomposes the circuit into; got {gate_set}, which leaves "
            f"{left} undecomposed. Add {left} to basis, or use the default {DEFAULT_BASIS}."
        )
    res = qml.resource.resources_from_tape(qml.tape.QuantumScript(ops, tape.measurements))
    counts = tuple(sorted((str(k), int(v)) for k, v in res.gate_types.items()))
    two = sum(1 for op in ops if len(op.wires) == 2 and op.name not in opaque)
    return counts, int(res.num_gates), int(two), int(res.depth or 0)


def _generic_features(n_qubits: int, amplitudes: str) -> np.ndarray:
    """A fixed random normalized vector of ``2**n`` amplitudes, none zero (with random phases if generic)."""
    rng = np.random.default_rng(_SEED + n_qubits)
    size = 2**n_qubits
    features = rng.uniform(0.5, 1.5, size)
    if amplitudes == "generic":
        features = features * np.exp(1j * rng.uniform(0.1, 2 * np.pi - 0.1, size))
    return features / np.linalg.norm(features)


@functools.lru_cache(maxsize=128)
def _resources(n_qubits, n_layers, ranges, basis, decompose_state_prep, amplitudes):
    import pennylane as qml

    wires = list(range(n_qubits))
    weights = np.random.default_rng(_SEED).uniform(0.1, 2 * np.pi - 0.1, (n_layers, n_qubits, 3))
    with qml.queuing.AnnotatedQueue():  # build the operators without recording them anywhere
        prep = qml.AmplitudeEmbedding(_generic_features(n_qubits, amplitudes), wires=wires, normalize=True)
        sel = qml.StronglyEntanglingLayers(weights, wires=wires, ranges=ranges if n_qubits > 1 else None)
    opaque = () if decompose_state_prep else ("AmplitudeEmbedding",)
    return (_decomposed_counts([prep, sel], n_qubits, basis, opaque),
            _decomposed_counts([prep], n_qubits, basis, opaque),
            _decomposed_counts([sel], n_qubits, basis))


def circuit_resources(
    n_qubits: int,
    n_layers: int,
    ranges: Sequence[int] | None = None,
    measurement: str = "expval",
    basis: Sequence[str] = DEFAULT_BASIS,
    decompose_state_prep: bool = True,
    amplitudes: str = "generic",
) -> CircuitResources:
    """Gates, two-qubit gates and depth of the per-pixel QPC circuit compiled to ``basis`` by PennyLane.

    The circuit is :func:`qpcnn_edu.quantum.reference.reference_qnode`'s: ``qml.AmplitudeEmbedding`` on all ``n_qubits``
    wires, ``qml.StronglyEntanglingLayers`` with ``n_layers`` layers, then a computational-basis readout. See the
    module docstring for the decomposition and for why a generic input is counted.

    Args:
        n_qubits (int): wires, from 1 to :data:`MAX_RESOURCE_QUBITS`.
        n_layers (int): strongly entangling layers.
        ranges (Sequence[int], optional): CNOT range per layer; PennyLane's defaults if ``None``.
        measurement (str): ``"expval"`` (per-qubit ``<Z>``) or ``"probs"``; changes no gate.
        basis (Sequence[str]): PennyLane gate names to compile to, e.g. ``("RZ", "RY", "CNOT")`` (the default) or
            ``("Rot", "RZ", "RY", "CNOT")`` (keeps the trainable ``Rot`` gates whole).
        decompose_state_prep (bool): decompose the state preparation (``True``), or keep it as one opaque
            ``AmplitudeEmbedding`` gate (``False``: what a simulator that prepares states natively executes; not
            runnable on gate-based hardware).
        amplitudes (str): ``"generic"`` (complex amplitudes, none zero: the worst case, an upper bound for any
            input, e.g. real data with signs) or ``"nonnegative"`` (positive amplitudes: no phase cascade).

    Returns:
        CircuitResources: counts for the whole circuit, for the state preparation and for the trainable part
        (the parts' depths need not add up to the whole's: gates of the two parts can overlap in time).

    Raises:
        ValueError: for invalid arguments, or a ``basis`` that PennyLane's decompositions do not reach.

    >>> res = circuit_resources(2, 1, basis=("Rot", "RY", "RZ", "CNOT"))
    >>> res.state_prep.gate_counts, res.trainable.gate_counts
    ({'CNOT': 4, 'RY': 3, 'RZ': 3}, {'CNOT': 2, 'Rot': 2})
    >>> circuit_resources(3, 2, amplitudes="nonnegative").state_prep.gate_counts
    {'CNOT': 6, 'RY': 7}
    """
    n_qubits = _checks.positive_int(n_qubits, "n_qubits")
    if n_qubits > MAX_RESOURCE_QUBITS:
        raise ValueError(f"n_qubits must be at most {MAX_RESOURCE_QUBITS} (the state preparation has about "
                         f"4 * 2**n_qubits gates); got {n_qubits}.")
    n_layers = _checks.positive_int(n_layers, "n_layers")
    ranges = check_ranges(ranges, n_qubits, n_layers)
    _checks.one_of(measurement, "measurement", MEASUREMENTS)
    basis = _check_basis(basis)
    _checks.boolean(decompose_state_prep, "decompose_state_prep")
    _checks.one_of(amplitudes, "amplitudes", AMPLITUDES)

    whole, prep, trainable = _resources(n_qubits, n_layers, ranges, basis, decompose_state_prep, amplitudes)

    def parts(counts):
        gates, total, two, depth = counts
        return GateCounts(dict(gates), total, two, depth)

    whole = parts(whole)
    return CircuitResources(
        n_qubits=n_qubits, n_layers=n_layers, ranges=ranges, measurement=measurement,
        n_outputs=outputs_per_kernel(measurement, n_qubits), n_trainable=3 * n_layers * n_qubits,
        basis=basis, decompose_state_prep=decompose_state_prep, amplitudes=amplitudes,
        gate_counts=whole.gate_counts, total_gates=whole.total_gates, two_qubit_gates=whole.two_qubit_gates,
        depth=whole.depth, state_prep=parts(prep), trainable=parts(trainable),
    )
