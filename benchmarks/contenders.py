"""The contenders of the layer benchmark: the same layer (or its classical stand-in) as a user would build it.

Every contender maps a batch ``(B, C, H, W)`` with ``C = 2**n_qubits`` channels to ``n_qubits`` maps and is timed
as one call of forward and backward (``torch.autograd.grad`` of the output's sum, so no gradient accumulates
between calls). ``grads="all"`` differentiates the input and the weights (the layer inside a CNN);
``grads="weights"`` the weights only (what parameter-shift and adjoint differentiation give on their own).

=================  =====================================================================================
name               what
=================  =====================================================================================
conv1x1            ``nn.Conv2d(C, n_qubits, 1)``, float32: the classical layer the QPC layer replaces
qpc                ``QuantumPointwiseConv2d``, statevector backend, backprop, float32
qpc64              the same in float64
qpc_shift          statevector backend, ``diff_method="parameter-shift"``, float32
pl_backprop        ``backend="pennylane"``: PennyLane ``default.qubit``, backprop, broadcast over pixels
pl_shift           PennyLane ``default.qubit``, parameter-shift (weights only)
lightning_adjoint  PennyLane ``lightning.qubit``, adjoint differentiation (weights only; one circuit per pixel)
torchquantum       TorchQuantum: ``QuantumDevice`` + ``StateEncoder``, ``rot`` and ``cnot`` per layer as
                   ``StronglyEntanglingLayers`` applies them, ``expval`` of ``PauliZ`` on every wire; backprop
=================  =====================================================================================

All quantum contenders of a case share the QPC layer's weights and ranges and are checked against it before any
timing (:func:`build_case` calls :func:`harness.check_matches`).
"""

from __future__ import annotations

import importlib
import warnings

import torch
from torch import nn

from harness import Contender, check_matches

__all__ = ["ALL", "LABELS", "WEIGHTS_ONLY", "TORCHQUANTUM_NOTE", "TORCHQUANTUM_INSTALLED_NOTE", "LIGHTNING_NOTE", "input_shape", "build_case", "availability"]

LABELS = {
    "conv1x1": "nn.Conv2d 1x1 (fp32)",
    "qpc": "QPC statevector, backprop (fp32)",
    "qpc64": "QPC statevector, backprop (fp64)",
    "qpc_shift": "QPC statevector, parameter-shift (fp32)",
    "pl_backprop": "PennyLane default.qubit, backprop, broadcasting",
    "pl_shift": "PennyLane default.qubit, parameter-shift",
    "lightning_adjoint": "PennyLane lightning.qubit, adjoint",
    "torchquantum": "TorchQuantum, backprop (complex64)",
}
ALL = tuple(LABELS)
#: contenders that only differentiate the weights (their input gradient would come from our simulator)
WEIGHTS_ONLY = ("qpc_shift", "pl_shift", "lightning_adjoint")
TORCHQUANTUM_NOTE = (
    "TorchQuantum 0.1.8 (the newest on PyPI) resolves beside torch 2.14.1 without changing it, but a plain "
    "`pip install torchquantum` gives a package that does not import: it pulls in tensorflow, pyscf and "
    "qiskit<1.0 yet not the modules it imports at start-up (qiskit_ibm_runtime, qiskit.providers.aer, "
    "pkg_resources). benchmarks/install_torchquantum.sh installs the missing pins into a separate folder; the "
    "benchmark runs it where `import torchquantum` works (PYTHONPATH).")


TORCHQUANTUM_INSTALLED_NOTE = (
    "TorchQuantum 0.1.8 from PyPI, installed beside torch by benchmarks/install_torchquantum.sh (its start-up "
    "imports pinned by hand: a plain `pip install torchquantum` does not import); the circuit written with its "
    "StateEncoder, rot, cnot and expval, backprop in complex64.")
LIGHTNING_NOTE = (
    "lightning.qubit's adjoint method runs one circuit per pixel (no broadcasting), so it is timed on few pixels "
    "(weights_sweep) and compared per pixel.")


def input_shape(pixels: int, channels: int) -> tuple:
    """A batch of ``pixels`` pixels: whole 14x14 images where it divides, else one row of pixels.

    >>> input_shape(12544, 8), input_shape(16, 8)
    ((64, 8, 14, 14), (1, 8, 1, 16))
    """
    if isinstance(pixels, bool) or not isinstance(pixels, int) or pixels < 1:
        raise ValueError(f"pixels must be a positive integer; got {pixels!r}. Pass e.g. 12544 (64 x 14 x 14).")
    if pixels % 196 == 0:
        return (pixels // 196, channels, 14, 14)
    return (1, channels, 1, pixels)


def availability(device: str) -> dict:
    """``{name: None}`` for contenders that can run on ``device``, ``{name: reason}`` for the others."""
    out = {name: None for name in ALL}
    try:
        importlib.import_module("pennylane")
    except ImportError as err:
        for name in ("pl_backprop", "pl_shift", "lightning_adjoint"):
            out[name] = f"PennyLane is not installed ({err})"
    if out["lightning_adjoint"] is None:
        if str(device).startswith("cuda"):
            out["lightning_adjoint"] = "lightning.qubit is a CPU simulator"
        else:
            try:
                importlib.import_module("pennylane_lightning.lightning_qubit")
            except ImportError as err:
                out["lightning_adjoint"] = f"pennylane-lightning is not installed ({err})"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            importlib.import_module("torchquantum")
    except Exception as err:  # noqa: BLE001 - an incomplete install fails with many kinds of errors
        out["torchquantum"] = f"`import torchquantum` fails: {type(err).__name__}: {err}"
    return out


class TorchQuantumLayer(nn.Module):
    """The QPC circuit written in TorchQuantum the way its examples write circuits (one kernel)."""

    def __init__(self, weights: torch.Tensor, ranges, n_qubits: int):
        super().__init__()
        import torchquantum as tq  # noqa: F401 - fail at construction, not at the first call

        self.weights = nn.Parameter(weights.detach().clone())  # (L, n, 3)
        self.ranges, self.n_qubits = tuple(ranges), n_qubits

    def forward(self, x):
        import torchquantum as tq
        import torchquantum.functional as tqf

        B, C, H, W = x.shape
        n = self.n_qubits
        pixels = x.permute(0, 2, 3, 1).reshape(-1, C)
        qdev = tq.QuantumDevice(n_wires=n, bsz=pixels.shape[0], device=x.device)
        tq.StateEncoder()(qdev, pixels)
        for layer, r in enumerate(self.ranges):
            for w in range(n):
                tqf.rot(qdev, wires=w, params=self.weights[layer, w].unsqueeze(0))
            if n > 1:
                for w in range(n):
                    tqf.cnot(qdev, wires=[w, (w + r) % n])
        out = tq.measurement.expval(qdev, list(range(n)), [tq.PauliZ() for _ in range(n)])  # (N, n)
        return out.reshape(B, H, W, n).permute(0, 3, 1, 2)


def _make(name, template, device):
    """The module of contender ``name`` with ``template``'s weights (a float32 statevector QPC layer)."""
    from qpcnn_edu import QuantumPointwiseConv2d

    C, L, n = template.in_channels, template.n_layers, template.n_qubits
    if name == "conv1x1":
        return nn.Conv2d(C, n, 1).to(device)
    if name == "torchquantum":
        return TorchQuantumLayer(template.weights[0], template.ranges, n).to(device)
    kwargs = {"qpc": {}, "qpc64": {}, "qpc_shift": {"diff_method": "parameter-shift"},
              "pl_backprop": {"backend": "pennylane", "diff_method": "backprop"},
              "pl_shift": {"backend": "pennylane", "diff_method": "parameter-shift"},
              "lightning_adjoint": {"backend": "pennylane", "device_name": "lightning.qubit",
                                    "diff_method": "adjoint"}}[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        layer = QuantumPointwiseConv2d(C, n_layers=L, **kwargs)
    layer.load_state_dict(template.state_dict())
    layer = layer.to(device)
    return layer.double() if name == "qpc64" else layer


def _weight_params(name, module):
    if name == "conv1x1":
        return [module.weight, module.bias]
    return [module.weights]


def _contender(name, module, x, grads, pixels):
    inputs = ([x] if grads == "all" else []) + _weight_params(name, module)

    def step():
        return torch.autograd.grad(module(x).sum(), inputs)

    outputs = None
    if name != "conv1x1":
        def outputs():
            out = module(x)
            (grad,) = torch.autograd.grad(out.sum(), [module.weights])
            return out.detach().cpu(), grad.detach().cpu().reshape(-1)

    return Contender(name=name, label=LABELS[name], step=step, outputs=outputs, pixels=pixels,
                     info={"grads": grads, "dtype": str(x.dtype).removeprefix("torch.")})


def build_case(n_qubits: int, n_layers: int, pixels: int, names, grads: str = "all", device: str = "cpu",
               seed: int = 0, available: dict | None = None, log=None):
    """Build and check the contenders ``names`` for one configuration.

    Returns ``(contenders, checks, skipped)``: the runnable :class:`harness.Contender` objects (in the order of
    ``names``), the equality report of :func:`harness.check_matches` (float32 contenders against ``qpc`` to 1e-5
    in outputs and 1e-3 in relative weight gradients (float32 sums over every pixel); ``qpc64`` against PennyLane in float64 to 1e-10 and 1e-9)
    and ``{name: reason}`` for contenders that cannot run here (not installed, not on this device, or an error on
    the check call). Raises :class:`harness.MismatchError` when a contender computes something else.
    """
    from qpcnn_edu import QuantumPointwiseConv2d

    if grads not in ("all", "weights"):
        raise ValueError(f"grads must be 'all' or 'weights'; got {grads!r}. 'all' differentiates the input too.")
    unknown = [n for n in names if n not in LABELS]
    if unknown:
        raise ValueError(f"names must be contenders of {list(LABELS)}; got {unknown}. Pick from that list.")
    if grads == "all" and any(n in WEIGHTS_ONLY for n in names):
        raise ValueError(f"contenders {list(WEIGHTS_ONLY)} must be timed with grads='weights'; got grads='all' "
                         f"with {[n for n in names if n in WEIGHTS_ONLY]}. Time them in a weights-only case.")
    available = availability(device) if available is None else available
    C = 2 ** n_qubits
    torch.manual_seed(seed)
    template = QuantumPointwiseConv2d(C, n_layers=n_layers)
    gen = torch.Generator().manual_seed(seed + 1)
    x_cpu = torch.randn(input_shape(pixels, C), generator=gen)
    x32 = x_cpu.to(device).requires_grad_(grads == "all")
    x64 = x_cpu.double().to(device).requires_grad_(grads == "all")
    skipped, built = {}, {}
    for name in names:
        if available.get(name):
            skipped[name] = available[name]
            continue
        try:
            module = _make(name, template, device)
            x = x64 if name == "qpc64" else x32
            c = _contender(name, module, x, grads, pixels)
            if c.outputs is not None:
                c.outputs()  # the check call: errors here mean "cannot run here", not "wrong"
            built[name] = c
        except Exception as err:  # noqa: BLE001 - record why a contender cannot run on this device
            skipped[name] = f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"[:300]
            if log:
                log(f"    {name} skipped: {skipped[name]}")
    checks = {}
    ref = built.get("qpc") or _contender("qpc", _make("qpc", template, device), x32, grads, pixels)
    others = [c for n, c in built.items() if c.outputs is not None and n not in ("qpc", "qpc64")]
    if others:
        # Weight gradients are sums over every pixel, accumulated in float32: at 3 qubits, 2 layers and 12,544
        # pixels, against the float64 truth, ours are off by 1.1e-5 and PennyLane's by 1.0e-4 (relative to the
        # largest entry; measured 2026-11-29), while in float64 the two agree to 2.5e-13 (checked below). 1e-3 leaves
        # room for float32 summation and still refuses a different circuit (wrong wires or ranges give O(1)).
        checks.update(check_matches(ref, others, atol=1e-5, grad_rtol=1e-3))
    if "qpc64" in built and "pl_backprop" in built:  # PennyLane runs here: the fp64 check against it
        pl64 = _contender("pl_backprop", _make("pl_backprop", template, device).double(), x64, grads, pixels)
        pl64.name = "pl_backprop_fp64"
        report = check_matches(pl64, [built["qpc64"]], atol=1e-10, grad_rtol=1e-9)
        checks["qpc64"] = report["qpc64"]
    elif "qpc64" in built:
        checks.update(check_matches(ref, [built["qpc64"]], atol=1e-5, grad_rtol=1e-4))
    return [built[n] for n in names if n in built], checks, skipped
