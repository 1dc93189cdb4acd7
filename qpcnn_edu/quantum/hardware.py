"""What running the QPC layer, and so a QPCNN, on real quantum hardware would cost.

Only the QPC layer of a QPCNN is quantum: every pixel of every image runs one small circuit per kernel
(amplitude encoding of the pixel's channels, then the trainable strongly entangling layers, then a
computational-basis readout). This module counts

* **gates** (:func:`circuit_resources`): the per-pixel circuit compiled by PennyLane's own decompositions into a
  hardware-like basis, by default ``RZ``, ``RY`` and ``CNOT``; the amplitude-encoding state preparation and the
  trainable part are also reported separately;
* **circuit executions, shots and wall-clock time** (:func:`training_cost`) for inference and for training with a
  hardware-compatible gradient method, per image and per epoch, on named :data:`HARDWARE_PROFILES`;
* a **table** over several configurations (:func:`cost_table`, :func:`format_cost_table`).

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

The wall-clock profiles are **assumptions** for orders of magnitude, not measurements; pass your own
``time_per_shot_s`` and ``circuit_overhead_s``.

>>> res = circuit_resources(3, 2)
>>> res.gate_counts, res.two_qubit_gates, res.depth
({'CNOT': 18, 'RY': 13, 'RZ': 19}, 18, 34)
>>> training_cost(3, 2).circuits_per_image_train_step  # 14 x 14 pixels x (1 forward + 36 shifts + 16 input shifts)
10388
"""

from __future__ import annotations

import contextlib
import functools
import math
import warnings
from dataclasses import asdict, dataclass
from typing import Iterable, Mapping, Sequence

import numpy as np

from .. import _checks
from .circuits import MEASUREMENTS, check_ranges
from .encoding import n_qubits_for

__all__ = [
    "GateCounts",
    "CircuitResources",
    "HardwareProfile",
    "HARDWARE_PROFILES",
    "TrainingCost",
    "DEFAULT_BASIS",
    "DEFAULT_CONFIGS",
    "AMPLITUDES",
    "HARDWARE_DIFF_METHODS",
    "INPUT_GRADS",
    "MAX_RESOURCE_QUBITS",
    "circuit_resources",
    "training_cost",
    "cost_table",
    "format_cost_table",
    "format_duration",
]

#: The default compilation basis: Z and Y rotations and CNOT (universal, and what PennyLane's decompositions reach).
DEFAULT_BASIS = ("RZ", "RY", "CNOT")
#: Kinds of input amplitudes the state preparation is counted for (see the module docstring).
AMPLITUDES = ("generic", "nonnegative")
#: Largest qubit count :func:`circuit_resources` decomposes (the state preparation has about ``4 * 2**n`` gates).
MAX_RESOURCE_QUBITS = 12
#: Gradient methods that run on hardware (see :func:`training_cost` for the circuits each needs).
HARDWARE_DIFF_METHODS = ("parameter-shift", "finite-diff", "spsa")
#: How the gradient with respect to the layer's input (needed to train the stem before it) is obtained.
INPUT_GRADS = ("central-difference", "none")
#: The reproduction's configurations: 3 qubits (8 channels) with 1, 2 and 4 layers, and 4 qubits (16 channels) with 2.
DEFAULT_CONFIGS = (
    {"n_qubits": 3, "n_layers": 1},
    {"n_qubits": 3, "n_layers": 2},
    {"n_qubits": 3, "n_layers": 4},
    {"n_qubits": 4, "n_layers": 2},
)
# Fixed seed of the generic input and weights: counts do not depend on it (tested), only reproducibility does.
_SEED = 2412_01241


# --------------------------------------------------------------------------------------------------
# Gate counts
# --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class GateCounts:
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
class CircuitResources:
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

    def as_dict(self) -> dict:
        """All fields as a plain (JSON-serializable) dictionary."""
        return asdict(self)


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

    The circuit is :func:`qpcnn_edu.circuits.reference_qnode`'s: ``qml.AmplitudeEmbedding`` on all ``n_qubits``
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
        n_outputs=n_qubits if measurement == "expval" else 2**n_qubits, n_trainable=3 * n_layers * n_qubits,
        basis=basis, decompose_state_prep=decompose_state_prep, amplitudes=amplitudes,
        gate_counts=whole.gate_counts, total_gates=whole.total_gates, two_qubit_gates=whole.two_qubit_gates,
        depth=whole.depth, state_prep=parts(prep), trainable=parts(trainable),
    )


# --------------------------------------------------------------------------------------------------
# Executions, shots, time
# --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class HardwareProfile:
    """Assumed timing of one kind of quantum computer (orders of magnitude, not measurements).

    Attributes:
        name (str): profile name.
        time_per_shot_s (float): seconds per shot (one preparation, circuit and measurement, including reset).
        circuit_overhead_s (float): seconds per distinct circuit on top of its shots (compilation, loading the
            angles, submission and queueing latency amortized over a job).
        note (str): what the numbers assume.
    """

    name: str
    time_per_shot_s: float
    circuit_overhead_s: float
    note: str = ""


#: Named timing assumptions, overridable in :func:`training_cost`. Orders of magnitude only, chosen for circuits of a
#: few qubits and a few dozen gates; real numbers depend on the device, the provider's batching and the queue.
HARDWARE_PROFILES = {
    "superconducting": HardwareProfile(
        "superconducting", 1e-4, 0.1,
        "ASSUMPTION: ~10 kHz shot rate (gates take ns-us; each shot is dominated by readout and the repetition "
        "delay between shots, of order 100 us on IBM QPUs, backend.default_rep_delay), plus ~0.1 s per circuit."),
    "trapped-ion": HardwareProfile(
        "trapped-ion", 1e-2, 1.0,
        "ASSUMPTION: ~100 Hz shot rate (two-qubit gates take ~50 us to ~1 ms, plus ion transport, cooling and "
        "fluorescence readout), plus ~1 s per circuit."),
    "neutral-atom": HardwareProfile(
        "neutral-atom", 2e-1, 1.0,
        "ASSUMPTION: a few shots per second (each shot reloads and rearranges the atom array), plus ~1 s per "
        "circuit."),
}


@dataclass(frozen=True)
class TrainingCost:
    """Circuit executions, shots and wall-clock time of the QPC layer on hardware, from :func:`training_cost`.

    One *circuit* is one pixel's circuit for one kernel (with given angles), run for ``shots`` shots; all its
    ``n_qubits`` values of ``<Z>`` (or ``2**n_qubits`` probabilities) come from the same shots.

    Attributes:
        n_qubits, n_layers, n_kernels, in_channels (int): the layer.
        image_hw (tuple[int, int]): feature-map height and width at the layer; ``pixels`` is their product.
        n_images (int): images per epoch.
        shots (int): shots per circuit.
        diff_method (str), input_grad (str), measurement (str), profile (str): the choices made.
        time_per_shot_s, circuit_overhead_s (float): the timing used (the profile's, or the arguments').
        n_weights (int): trainable angles of the layer, ``n_kernels * 3 * n_layers * n_qubits``.
        circuits_per_pixel_forward (int): ``n_kernels``.
        circuits_per_pixel_weight_grad (int): extra circuits for the weight gradient, all kernels.
        circuits_per_pixel_input_grad (int): extra circuits for the input gradient, all kernels.
        circuits_per_image_inference (int): ``pixels * n_kernels``.
        circuits_per_image_train_step (int): forward plus gradient circuits of one image.
        circuits_per_epoch (int): ``n_images`` training steps' worth.
        shots_per_epoch (int): ``circuits_per_epoch * shots``.
        seconds_per_circuit (float): ``circuit_overhead_s + shots * time_per_shot_s``.
        seconds_per_image_inference, seconds_per_image_train_step, seconds_per_epoch (float): wall-clock estimates.
        seconds_inference (float): one inference pass over ``n_images`` images.
    """

    n_qubits: int
    n_layers: int
    n_kernels: int
    in_channels: int
    image_hw: tuple
    pixels: int
    n_images: int
    shots: int
    diff_method: str
    input_grad: str
    measurement: str
    profile: str
    time_per_shot_s: float
    circuit_overhead_s: float
    n_weights: int
    circuits_per_pixel_forward: int
    circuits_per_pixel_weight_grad: int
    circuits_per_pixel_input_grad: int
    circuits_per_image_inference: int
    circuits_per_image_train_step: int
    circuits_per_epoch: int
    shots_per_epoch: int
    seconds_per_circuit: float
    seconds_per_image_inference: float
    seconds_per_image_train_step: float
    seconds_per_epoch: float
    seconds_inference: float

    def as_dict(self) -> dict:
        """All fields as a plain (JSON-serializable) dictionary."""
        return asdict(self)


def _image_hw(value) -> tuple:
    """``(height, width)`` as two ints, or the error that says what a pair is."""
    try:
        if isinstance(value, (str, bytes)) or len(value) != 2:
            raise ValueError
        return tuple(_checks.positive_int(v, "image_hw") for v in value)
    except (TypeError, ValueError):
        raise ValueError(f"image_hw must be a pair of positive integers (height, width); got {value!r}. "
                         "A QPCNN on 28 x 28 images has 14 x 14 feature maps at the QPC layer.") from None


def training_cost(
    n_qubits: int,
    n_layers: int,
    n_kernels: int = 1,
    image_hw: tuple = (14, 14),
    n_images: int = 60000,
    shots: int = 1000,
    diff_method: str = "parameter-shift",
    measurement: str = "expval",
    time_per_shot_s: float | None = None,
    circuit_overhead_s: float | None = None,
    *,
    profile: str = "superconducting",
    in_channels: int | None = None,
    input_grad: str = "central-difference",
) -> TrainingCost:
    """Circuit executions, shots and wall-clock time to run or train the QPC layer on hardware.

    Per pixel and kernel (``P = 3 * n_layers * n_qubits`` angles per kernel, ``C`` input channels):

    * **forward / inference**: 1 circuit (its shots give all ``n_qubits`` values of ``<Z>`` at once);
    * **weight gradient**: ``"parameter-shift"``: ``2 P`` circuits (each ``Rot`` angle has the two-term rule
      ``df/dt = [f(t + pi/2) - f(t - pi/2)] / 2``; every pixel encodes a different state, so nothing is shared
      between pixels); ``"finite-diff"``: ``P`` (forward differences reusing the forward circuit, biased);
      ``"spsa"``: 2 (one random direction, central differences: PennyLane's defaults; a noisy estimate);
    * **input gradient** (``input_grad="central-difference"``, needed to train the classical stem before the layer):
      amplitude encoding has no parameter-shift rule, but the readout is a quadratic form divided by the norm,
      ``<Z_k>(x) = f_k(x) / |x|^2`` with ``f_k(x) = x^T A_k x``, so the central difference
      ``[f_k(x + h e_j) - f_k(x - h e_j)] / (2h) = 2 (A_k x)_j`` is **exact** for any step ``h`` (run the circuit on
      the state ``(x +- h e_j) / |x +- h e_j|`` and multiply by ``|x +- h e_j|^2``): ``2 C`` circuits, all outputs
      from the same shots, then ``d<Z_k>/dx_j = (2 (A_k x)_j - 2 x_j <Z_k>) / |x|^2`` classically. The same holds for
      probabilities. ``input_grad="none"`` counts no input gradient (a frozen or pre-trained stem, or the layer
      first in the network).

    Simulator-only methods (``"backprop"``, ``"adjoint"``) need the state vector and are refused. Times assume
    that one device runs every circuit in turn (``circuit_overhead_s + shots * time_per_shot_s`` each); ``k``
    devices in parallel divide them by ``k``. The classical layers of a QPCNN are not counted (negligible).

    Args:
        n_qubits (int): qubits per circuit.
        n_layers (int): entangling layers.
        n_kernels (int): independent circuits per pixel.
        image_hw (tuple[int, int]): feature-map size at the layer (14 x 14 for 28 x 28 FashionMNIST after the stem).
        n_images (int): images per epoch (60000 for the FashionMNIST training set).
        shots (int): shots per circuit.
        diff_method (str): one of :data:`HARDWARE_DIFF_METHODS`.
        measurement (str): ``"expval"`` or ``"probs"`` (same circuits and shots; what is estimated differs).
        time_per_shot_s (float, optional): seconds per shot; the profile's if ``None``.
        circuit_overhead_s (float, optional): seconds per circuit besides its shots; the profile's if ``None``.
        profile (str): a key of :data:`HARDWARE_PROFILES` (assumed timings).
        in_channels (int, optional): channels ``C`` per pixel, at most ``2**n_qubits`` (the default).
        input_grad (str): one of :data:`INPUT_GRADS`.

    Returns:
        TrainingCost: counts per pixel, image and epoch, and time estimates.

    Raises:
        ValueError: for invalid arguments.

    >>> cost = training_cost(2, 1, n_kernels=2, image_hw=(2, 3), n_images=10, in_channels=4)
    >>> cost.circuits_per_image_inference, cost.circuits_per_image_train_step  # 6 px x 2 k x (1 + 2*6 + 2*4)
    (12, 252)
    >>> cost.shots_per_epoch, format_duration(cost.seconds_per_epoch)  # 2520 circuits x (0.1 s + 1000 x 1e-4 s)
    (2520000, '8.4 min')
    """
    n_qubits = _checks.positive_int(n_qubits, "n_qubits")
    n_layers = _checks.positive_int(n_layers, "n_layers")
    n_kernels = _checks.positive_int(n_kernels, "n_kernels")
    image_hw = _image_hw(image_hw)
    n_images = _checks.positive_int(n_images, "n_images")
    shots = _checks.positive_int(shots, "shots", "Hardware always samples; exact expectation values need a simulator.")
    _checks.one_of(diff_method, "diff_method", HARDWARE_DIFF_METHODS,
                   "Those run on hardware; 'backprop' and 'adjoint' need a simulator's state vector.")
    _checks.one_of(measurement, "measurement", MEASUREMENTS)
    _checks.one_of(profile, "profile", tuple(HARDWARE_PROFILES), "Or pass time_per_shot_s and circuit_overhead_s.")
    _checks.one_of(input_grad, "input_grad", INPUT_GRADS)
    if in_channels is None:
        in_channels = 2**n_qubits
    in_channels = _checks.positive_int(in_channels, "in_channels")
    if n_qubits_for(in_channels) > n_qubits:
        raise ValueError(f"in_channels must be at most 2**n_qubits = {2**n_qubits} to be amplitude-encoded in "
                         f"{n_qubits} qubits; got {in_channels}. Use n_qubits={n_qubits_for(in_channels)}.")
    hw = HARDWARE_PROFILES[profile]
    time_per_shot_s = _checks.non_negative_number(
        hw.time_per_shot_s if time_per_shot_s is None else time_per_shot_s, "time_per_shot_s", unit="seconds")
    circuit_overhead_s = _checks.non_negative_number(
        hw.circuit_overhead_s if circuit_overhead_s is None else circuit_overhead_s, "circuit_overhead_s",
        unit="seconds")

    pixels = image_hw[0] * image_hw[1]
    angles = 3 * n_layers * n_qubits
    per_kernel_weight = {"parameter-shift": 2 * angles, "finite-diff": angles, "spsa": 2}[diff_method]
    per_kernel_input = 2 * in_channels if input_grad == "central-difference" else 0
    forward = n_kernels
    weight_grad = n_kernels * per_kernel_weight
    input_grad_circuits = n_kernels * per_kernel_input
    inference = pixels * forward
    train_step = pixels * (forward + weight_grad + input_grad_circuits)
    epoch = n_images * train_step
    per_circuit = circuit_overhead_s + shots * time_per_shot_s
    return TrainingCost(
        n_qubits=n_qubits, n_layers=n_layers, n_kernels=n_kernels, in_channels=in_channels, image_hw=image_hw,
        pixels=pixels, n_images=n_images, shots=shots, diff_method=diff_method, input_grad=input_grad,
        measurement=measurement, profile=profile, time_per_shot_s=time_per_shot_s,
        circuit_overhead_s=circuit_overhead_s, n_weights=n_kernels * angles,
        circuits_per_pixel_forward=forward, circuits_per_pixel_weight_grad=weight_grad,
        circuits_per_pixel_input_grad=input_grad_circuits, circuits_per_image_inference=inference,
        circuits_per_image_train_step=train_step, circuits_per_epoch=epoch, shots_per_epoch=epoch * shots,
        seconds_per_circuit=per_circuit, seconds_per_image_inference=inference * per_circuit,
        seconds_per_image_train_step=train_step * per_circuit, seconds_per_epoch=epoch * per_circuit,
        seconds_inference=n_images * inference * per_circuit,
    )


# --------------------------------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------------------------------
def format_duration(seconds: float) -> str:
    """A duration in the largest sensible unit (s, min, h, d, yr; a year is 365.25 days).

    Args:
        seconds (float): a duration, at least 0.

    Returns:
        str: e.g. ``"3.2 h"``.

    Raises:
        ValueError: for a negative or non-finite duration.

    >>> [format_duration(s) for s in (0.5, 90, 7200, 3 * 86400, 2e9, 1e11)]
    ['0.5 s', '1.5 min', '2 h', '3 d', '63.4 yr', '3,169 yr']
    """
    seconds = _checks.non_negative_number(seconds, "seconds", unit="seconds")
    for unit, size in (("yr", 365.25 * 86400), ("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            value = seconds / size
            return f"{value:,.0f} {unit}" if value >= 1000 else f"{value:.3g} {unit}"
    return f"{seconds:.3g} s"


def _config(config) -> dict:
    keys = ("n_qubits", "n_layers", "n_kernels", "in_channels")
    if isinstance(config, Mapping):
        unknown = sorted(set(config) - set(keys))
        if unknown or "n_qubits" not in config or "n_layers" not in config:
            raise ValueError(f"configs must hold mappings with keys n_qubits, n_layers and optionally n_kernels, "
                             f"in_channels; got {dict(config)!r}.")
        return dict(config)
    if isinstance(config, Sequence) and not isinstance(config, (str, bytes)) and 2 <= len(config) <= 4:
        return dict(zip(keys, config))
    raise ValueError(f"configs must hold mappings or tuples (n_qubits, n_layers[, n_kernels[, in_channels]]); "
                     f"got {config!r}.")


def cost_table(
    configs: Iterable = DEFAULT_CONFIGS,
    profiles: Sequence[str] | None = None,
    basis: Sequence[str] = DEFAULT_BASIS,
    amplitudes: str = "generic",
    markdown: bool = False,
    **kwargs,
) -> list | str:
    """Gates, circuits, shots and epoch times of several QPC configurations on several hardware profiles.

    Args:
        configs (Iterable): mappings with keys ``n_qubits``, ``n_layers`` and optionally ``n_kernels``,
            ``in_channels``, or tuples ``(n_qubits, n_layers[, n_kernels[, in_channels]])``; the reproduction's
            four by default (:data:`DEFAULT_CONFIGS`).
        profiles (Sequence[str], optional): keys of :data:`HARDWARE_PROFILES`; all of them if ``None``.
        basis (Sequence[str]), amplitudes (str): passed to :func:`circuit_resources`.
        markdown (bool): return :func:`format_cost_table` of the rows instead of the rows.
        **kwargs: passed to :func:`training_cost` (``image_hw``, ``n_images``, ``shots``, ``diff_method``,
            ``input_grad``, ``time_per_shot_s``, ...; not ``profile``).

    Returns:
        list[dict] | str: one row per configuration: its sizes, the compiled circuit's ``gates``,
        ``two_qubit_gates`` and ``depth``, circuits per image (inference and training step), circuits and shots per
        epoch, and ``epoch_s[<profile>]``, the seconds of one training epoch on each profile; or a markdown table.

    Raises:
        ValueError: for invalid configurations or arguments.

    >>> rows = cost_table([(3, 2)], profiles=["superconducting"], image_hw=(2, 2), n_images=1, shots=100)
    >>> rows[0]["circuits_per_image_train_step"], rows[0]["epoch_s[superconducting]"]  # 4 x (1 + 36 + 16), 0.11 s
    (212, 23.32)
    """
    if isinstance(configs, (str, bytes, Mapping)) or not isinstance(configs, Iterable):
        raise ValueError(f"configs must be an iterable of configurations such as {DEFAULT_CONFIGS[0]}; "
                         f"got {configs!r}.")
    configs = [_config(c) for c in configs]
    if not configs:
        raise ValueError("configs must hold at least one configuration; got none.")
    if profiles is None:
        profiles = tuple(HARDWARE_PROFILES)
    if isinstance(profiles, str) or not all(p in HARDWARE_PROFILES for p in profiles) or not profiles:
        raise ValueError(f"profiles must be a non-empty sequence of keys of HARDWARE_PROFILES "
                         f"{tuple(HARDWARE_PROFILES)}; got {profiles!r}.")
    if "profile" in kwargs:
        raise ValueError(f"profile must not be passed to cost_table; got profile={kwargs['profile']!r}. "
                         "Use profiles=[...].")
    rows = []
    for config in configs:
        kernels_etc = {k: config[k] for k in ("n_kernels", "in_channels") if k in config}
        res = circuit_resources(config["n_qubits"], config["n_layers"], basis=basis, amplitudes=amplitudes,
                                measurement=kwargs.get("measurement", "expval"))
        costs = {p: training_cost(config["n_qubits"], config["n_layers"], profile=p, **kernels_etc, **kwargs)
                 for p in profiles}
        first = costs[profiles[0]]
        row = {
            "n_qubits": first.n_qubits, "n_layers": first.n_layers, "n_kernels": first.n_kernels,
            "in_channels": first.in_channels, "n_weights": first.n_weights,
            "gates": res.total_gates, "two_qubit_gates": res.two_qubit_gates, "depth": res.depth,
            "state_prep_gates": res.state_prep.total_gates, "trainable_gates": res.trainable.total_gates,
            "circuits_per_image_inference": first.circuits_per_image_inference,
            "circuits_per_image_train_step": first.circuits_per_image_train_step,
            "circuits_per_epoch": first.circuits_per_epoch, "shots_per_epoch": first.shots_per_epoch,
        }
        for p, cost in costs.items():
            row[f"epoch_s[{p}]"] = round(cost.seconds_per_epoch, 6)
        rows.append(row)
    return format_cost_table(rows) if markdown else rows


_HEADERS = {
    "n_qubits": "qubits", "n_layers": "layers", "n_kernels": "kernels", "in_channels": "C", "n_weights": "angles",
    "gates": "gates", "two_qubit_gates": "2q gates", "depth": "depth", "state_prep_gates": "prep gates",
    "trainable_gates": "SEL gates", "circuits_per_image_inference": "circ/img (infer)",
    "circuits_per_image_train_step": "circ/img (train)", "circuits_per_epoch": "circ/epoch",
    "shots_per_epoch": "shots/epoch",
}


def format_cost_table(rows: Sequence[Mapping]) -> str:
    """Rows of :func:`cost_table` as a markdown table (epoch times as durations, large counts in ``e`` notation).

    Args:
        rows (Sequence[Mapping]): rows with the same keys.

    Returns:
        str: the table, one line per row after a header and a rule.

    Raises:
        ValueError: if ``rows`` is empty or its rows have different keys.

    >>> print(format_cost_table([{"n_qubits": 3, "shots_per_epoch": 6.2e11, "epoch_s[trapped-ion]": 3.2e7}]))
    | qubits | shots/epoch | epoch (trapped-ion) |
    |---:|---:|---:|
    | 3 | 6.2e+11 | 1.01 yr |
    """
    rows = list(rows) if isinstance(rows, Iterable) and not isinstance(rows, (str, bytes, Mapping)) else None
    if not rows or not all(isinstance(r, Mapping) for r in rows):
        raise ValueError("rows must be a non-empty sequence of mappings (the output of cost_table); "
                         f"got {rows!r}.")
    keys = list(rows[0])
    if any(list(r) != keys for r in rows):
        raise ValueError(f"rows must all have the keys {keys}; got rows with other keys.")

    def header(key):
        if key.startswith("epoch_s[") and key.endswith("]"):
            return f"epoch ({key[8:-1]})"
        return _HEADERS.get(key, key)

    def cell(key, value):
        if key.startswith("epoch_s["):
            return format_duration(value)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and abs(value) >= 1e6:
            return f"{value:.3g}"
        return str(value)

    lines = ["| " + " | ".join(header(k) for k in keys) + " |", "|" + "|".join("---:" for _ in keys) + "|"]
    lines += ["| " + " | ".join(cell(k, r[k]) for k in keys) + " |" for r in rows]
    return "\n".join(lines)
