"""What running or training the QPC layer on quantum hardware would cost: circuit executions, shots, time.

Every pixel of every image runs one small circuit per kernel (its gates: :mod:`qpcnn_edu.quantum.resources`).
:func:`training_cost` counts **circuit executions, shots and wall-clock time** for inference and for training with
a hardware-compatible gradient method, per image and per epoch, on named :data:`HARDWARE_PROFILES`
(:mod:`qpcnn_edu.quantum.tables` tabulates gates and costs over several configurations).

The wall-clock profiles are **assumptions** for orders of magnitude, not measurements; pass your own
``time_per_shot_s`` and ``circuit_overhead_s``.

>>> training_cost(3, 2).circuits_per_image_train_step  # 14 x 14 pixels x (1 forward + 36 shifts + 16 input shifts)
10388
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import _checks
from .circuits import MEASUREMENTS
from .encoding import n_qubits_for
from .resources import Record

__all__ = ["HardwareProfile", "HARDWARE_PROFILES", "TrainingCost", "HARDWARE_DIFF_METHODS", "INPUT_GRADS",
           "training_cost", "format_duration"]

#: Gradient methods that run on hardware (see :func:`training_cost` for the circuits each needs).
HARDWARE_DIFF_METHODS = ("parameter-shift", "finite-diff", "spsa")
#: How the gradient with respect to the layer's input (needed to train the stem before it) is obtained.
INPUT_GRADS = ("central-difference", "none")


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
class TrainingCost(Record):
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
