"""Tests of QuantumPointwiseConv2d: the statevector simulator against PennyLane, gradients, API, errors."""

from __future__ import annotations

import math

import numpy as np
import pennylane as qml
import pytest
import torch
from conftest import make_input, pennylane_layer, pl_circuit, zero_pixels_to_ground

from qpcnn_edu import QuantumPointwiseConv2d, parameter_shift_weight_grad, reference_qnode

QPC = QuantumPointwiseConv2d

CHANNELS = (1, 2, 3, 5, 8, 16)
MEASUREMENTS = ("expval", "probs")
KERNELS_LAYERS = ((1, 2), (3, 1), (3, 3), (1, 1))
CONFIGS = [(C, m, K, L) for C in CHANNELS for m in MEASUREMENTS for (K, L) in KERNELS_LAYERS]
SMALL_CONFIGS = [(1, "expval", 3, 2), (2, "probs", 1, 3), (3, "expval", 3, 2), (5, "probs", 3, 1),
                 (8, "expval", 1, 2), (16, "probs", 3, 2), (16, "expval", 3, 3)]
# (B, H, W) = (2, 3, 3); pixels (0, 0, 0) and (1, 2, 1) are all-zero
ZERO_PIXELS = ((0, 0, 0), (1, 2, 1))

FP64 = dict(atol=1e-10, rtol=1e-10)
FP32 = dict(atol=1e-5, rtol=1e-5)


def n_qubits_of(C):
    return max(1, math.ceil(math.log2(C)))


def run(layer, x, grad_seed=0):
    """Output, input gradient and weight gradient of sum(g * out) for a fixed random g."""
    layer.zero_grad(set_to_none=True)
    x = x.detach().clone().requires_grad_(True)
    out = layer(x)
    gen = torch.Generator().manual_seed(grad_seed)
    g = torch.randn(out.shape, generator=gen, dtype=torch.float64).to(out.dtype)
    (g * out).sum().backward()
    return out.detach(), x.grad, layer.weights.grad.clone()


def twin(layer, **kwargs):
    """A second layer with the same configuration except ``kwargs``, sharing the weights."""
    cfg = dict(in_channels=layer.in_channels, n_layers=layer.n_layers, n_kernels=layer.n_kernels,
               measurement=layer.measurement, n_qubits=layer.n_qubits)
    cfg.update(kwargs)
    other = QPC(**cfg).to(layer.weights.dtype)
    other.load_state_dict(layer.state_dict())
    return other


def reference_run(x, weights, measurement, ranges=None, grad_seed=0):
    """Same as run() for the independent PennyLane ground truth (conftest.pennylane_layer)."""
    x = x.detach().clone().requires_grad_(True)
    w = weights.detach().clone().requires_grad_(True)
    out = pennylane_layer(x, w, measurement, ranges)
    gen = torch.Generator().manual_seed(grad_seed)
    g = torch.randn(out.shape, generator=gen, dtype=torch.float64).to(out.dtype)
    (g * out).sum().backward()
    return out.detach(), x.grad, w.grad


def assert_zero_pixel_grads(grad_x, zero_pixels=ZERO_PIXELS):
    assert torch.isfinite(grad_x).all()
    for b, i, j in zero_pixels:
        assert torch.all(grad_x[b, :, i, j] == 0), grad_x[b, :, i, j]


# ==================================================================================================
# statevector == PennyLane (package's pennylane backend and an independent QNode)
# ==================================================================================================
@pytest.mark.parametrize("C, measurement, K, L", CONFIGS)
def test_statevector_matches_pennylane_backend_fp64(C, measurement, K, L):
    sv = QPC(C, L, K, measurement).double()
    pl = twin(sv, backend="pennylane", diff_method="backprop")
    x = make_input(2, C, 3, 3, zero_pixels=ZERO_PIXELS, seed=C)
    out_sv, gx_sv, gw_sv = run(sv, x)
    out_pl, gx_pl, gw_pl = run(pl, x)
    assert out_sv.dtype == torch.float64
    torch.testing.assert_close(out_sv, out_pl, **FP64)
    torch.testing.assert_close(gx_sv, gx_pl, **FP64)
    torch.testing.assert_close(gw_sv, gw_pl, **FP64)
    assert_zero_pixel_grads(gx_sv)


@pytest.mark.parametrize("C, measurement, K, L", SMALL_CONFIGS)
def test_statevector_matches_pennylane_backend_fp32(C, measurement, K, L):
    sv = QPC(C, L, K, measurement)
    pl = twin(sv, backend="pennylane", diff_method="backprop")
    x = make_input(2, C, 3, 3, dtype=torch.float32, seed=C + 1)
    out_sv, gx_sv, gw_sv = run(sv, x)
    out_pl, gx_pl, gw_pl = run(pl, x)
    assert out_sv.dtype == torch.float32 and gw_sv.dtype == torch.float32
    torch.testing.assert_close(out_sv, out_pl.float(), **FP32)
    torch.testing.assert_close(gx_sv, gx_pl.float(), **FP32)
    torch.testing.assert_close(gw_sv, gw_pl.float(), **FP32)
    assert_zero_pixel_grads(gx_sv)


@pytest.mark.parametrize("C, measurement, K, L", CONFIGS)
def test_statevector_matches_independent_pennylane_fp64(C, measurement, K, L):
    layer = QPC(C, L, K, measurement).double()
    x = make_input(2, C, 3, 3, seed=100 + C)
    out, gx, gw = run(layer, x)
    ref_out, ref_gx, ref_gw = reference_run(x, layer.weights, measurement)
    m = n_qubits_of(C) if measurement == "expval" else 2 ** n_qubits_of(C)
    assert out.shape == ref_out.shape == (2, K * m, 3, 3)
    torch.testing.assert_close(out, ref_out, **FP64)
    torch.testing.assert_close(gx, ref_gx, **FP64)
    torch.testing.assert_close(gw, ref_gw, **FP64)


@pytest.mark.parametrize("C, measurement, K, L", [(3, "expval", 2, 2), (5, "probs", 3, 1), (16, "probs", 1, 2)])
def test_statevector_matches_independent_pennylane_fp32(C, measurement, K, L):
    layer = QPC(C, L, K, measurement)
    x = make_input(2, C, 3, 3, dtype=torch.float32, seed=7)
    out, gx, gw = run(layer, x)
    ref_out, ref_gx, ref_gw = reference_run(x.double(), layer.weights.double(), measurement)
    torch.testing.assert_close(out, ref_out.float(), **FP32)
    torch.testing.assert_close(gx, ref_gx.float(), **FP32)
    torch.testing.assert_close(gw, ref_gw.float(), **FP32)


@pytest.mark.parametrize("measurement", MEASUREMENTS)
def test_layer_matches_reference_qnode_pixel_by_pixel(measurement):
    """Hand-assembled expectation: reference_qnode on every pixel row and kernel, one at a time."""
    C, K, L = 5, 2, 2
    layer = QPC(C, L, K, measurement).double()
    x = make_input(2, C, 3, 3, seed=3)
    with torch.no_grad():
        out = layer(x)
    qnode = reference_qnode(3, L, measurement=measurement)
    m = 3 if measurement == "expval" else 8
    expected = torch.empty(2, K * m, 3, 3, dtype=torch.float64)
    for b in range(2):
        for i in range(3):
            for j in range(3):
                for k in range(K):
                    res = qnode(x[b, :, i, j].numpy(), layer.weights[k].detach().numpy())
                    vals = np.stack([np.asarray(r) for r in res]) if measurement == "expval" else np.asarray(res)
                    expected[b, k * m : (k + 1) * m, i, j] = torch.from_numpy(vals)
    torch.testing.assert_close(out, expected, **FP64)


def test_all_zero_image_reads_ground_state_everywhere():
    layer = QPC(8, 2, 3, "expval").double()
    x = torch.zeros(2, 8, 2, 3, dtype=torch.float64)
    e0 = torch.zeros_like(x)
    e0[:, 0] = 1.0
    out, gx, gw = run(layer, x)
    out_e0, _, gw_e0 = run(layer, e0)
    torch.testing.assert_close(out, out_e0, **FP64)
    torch.testing.assert_close(gw, gw_e0, **FP64)  # zero pixels still depend on (and train) the weights
    assert torch.equal(gx, torch.zeros_like(gx))
    ref_out, _, ref_gw = reference_run(x, layer.weights, "expval")
    torch.testing.assert_close(out, ref_out, **FP64)
    torch.testing.assert_close(gw, ref_gw, **FP64)


@pytest.mark.parametrize("C, n_qubits, measurement", [(3, 3, "expval"), (3, 3, "probs"), (1, 2, "expval"), (5, 4, "probs")])
def test_extra_qubits_match_pennylane(C, n_qubits, measurement):
    layer = QPC(C, 2, 2, measurement, n_qubits=n_qubits).double()
    assert layer.n_qubits == n_qubits
    assert tuple(layer.weights.shape) == (2, 2, n_qubits, 3)
    m = n_qubits if measurement == "expval" else 2**n_qubits
    assert layer.out_channels == 2 * m
    x = make_input(2, C, 3, 3, seed=11)
    out, gx, gw = run(layer, x)
    ref_out, ref_gx, ref_gw = reference_run(x, layer.weights, measurement)
    assert out.shape == (2, 2 * m, 3, 3)
    torch.testing.assert_close(out, ref_out, **FP64)
    torch.testing.assert_close(gx, ref_gx, **FP64)
    torch.testing.assert_close(gw, ref_gw, **FP64)
    pl = twin(layer, backend="pennylane")
    torch.testing.assert_close(run(pl, x)[0], out, **FP64)


@pytest.mark.parametrize("C, ranges", [(16, (3, 2, 1)), (5, (2, 1, 2)), (8, (1, 1, 1))])
def test_custom_ranges_match_pennylane(C, ranges):
    layer = QPC(C, len(ranges), 2, "expval", ranges=ranges).double()
    assert tuple(layer.ranges) == ranges
    x = make_input(2, C, 3, 3, seed=12)
    out, gx, gw = run(layer, x)
    ref_out, ref_gx, ref_gw = reference_run(x, layer.weights, "expval", ranges=ranges)
    torch.testing.assert_close(out, ref_out, **FP64)
    torch.testing.assert_close(gx, ref_gx, **FP64)
    torch.testing.assert_close(gw, ref_gw, **FP64)
    pl = QPC(C, len(ranges), 2, "expval", backend="pennylane", ranges=ranges).double()
    pl.load_state_dict(layer.state_dict())
    torch.testing.assert_close(run(pl, x)[0], out, **FP64)


@pytest.mark.parametrize("measurement", MEASUREMENTS)
def test_single_pixel_and_unbatched_match_pennylane(measurement):
    layer = QPC(3, 2, 2, measurement).double()
    pl = twin(layer, backend="pennylane")
    for x in (make_input(1, 3, 1, 1, zero_pixels=()), torch.zeros(1, 3, 1, 1, dtype=torch.float64)):
        torch.testing.assert_close(layer(x), pl(x), **FP64)
    xu = torch.randn(3, 2, 4, dtype=torch.float64)
    out = layer(xu)
    m = 2 if measurement == "expval" else 4
    assert out.shape == (2 * m, 2, 4)
    torch.testing.assert_close(out, layer(xu.unsqueeze(0))[0], **FP64)
    torch.testing.assert_close(pl(xu), out, **FP64)
    torch.testing.assert_close(out, pennylane_layer(xu.unsqueeze(0), layer.weights.detach(), measurement)[0], **FP64)


def test_unitary_and_quadratic_forms_match_pennylane():
    layer = QPC(5, 2, 2, "expval").double()
    U = layer.unitary()
    assert U.shape == (2, 8, 8)
    for k in range(2):
        M = qml.matrix(qml.StronglyEntanglingLayers(layer.weights[k].detach().numpy(), wires=range(3)))
        np.testing.assert_allclose(U[k].detach().numpy(), M, atol=1e-12)
    A = layer.quadratic_forms().detach()
    assert A.shape == (2, 3, 8, 8)
    psi = torch.randn(8, dtype=torch.float64)
    psi /= psi.norm()
    for k in range(2):
        expected = torch.stack(list(pl_circuit(3, "expval")(psi, layer.weights[k].detach())))
        torch.testing.assert_close(torch.einsum("i,mij,j->m", psi, A[k], psi), expected, **FP64)


# ==================================================================================================
# parameter shift
# ==================================================================================================
@pytest.mark.parametrize("C, measurement, K, L", SMALL_CONFIGS)
def test_statevector_parameter_shift_equals_backprop(C, measurement, K, L):
    bp = QPC(C, L, K, measurement).double()
    ps = twin(bp, diff_method="parameter-shift")
    x = make_input(2, C, 3, 3, seed=21)
    out_bp, gx_bp, gw_bp = run(bp, x)
    out_ps, gx_ps, gw_ps = run(ps, x)
    torch.testing.assert_close(out_ps, out_bp, **FP64)
    torch.testing.assert_close(gx_ps, gx_bp, **FP64)
    torch.testing.assert_close(gw_ps, gw_bp, **FP64)
    assert_zero_pixel_grads(gx_ps)
    with torch.no_grad():
        torch.testing.assert_close(ps(x), out_bp, **FP64)


def test_statevector_parameter_shift_fp32():
    bp = QPC(5, 2, 2, "expval")
    ps = twin(bp, diff_method="parameter-shift")
    x = make_input(2, 5, 3, 3, dtype=torch.float32, seed=22)
    for a, b in zip(run(ps, x), run(bp, x)):
        assert a.dtype == torch.float32
        torch.testing.assert_close(a, b, **FP32)


@pytest.mark.parametrize("C, measurement, K, L", [(3, "expval", 2, 2), (5, "probs", 1, 3), (1, "expval", 2, 1),
                                                  (16, "expval", 3, 1)])
def test_parameter_shift_weight_grad_function(C, measurement, K, L):
    """The shift rule itself vs. PennyLane backprop through an independent QNode."""
    layer = QPC(C, L, K, measurement).double()
    x = make_input(1, C, 2, 3, zero_pixels=((0, 1, 2),), seed=23)
    pixels = x.permute(0, 2, 3, 1).reshape(-1, C)
    m = layer.out_channels // K
    grad_out = torch.randn(pixels.shape[0], K * m, dtype=torch.float64)
    # the function takes pixels as columns (C, N) and the transposed readout, as the layer stores them
    grad = parameter_shift_weight_grad(pixels.T, layer.weights.detach(), layer.ranges, layer.readout, grad_out.T)
    assert grad.shape == layer.weights.shape
    w = layer.weights.detach().clone().requires_grad_(True)
    circuit = pl_circuit(layer.n_qubits, measurement)
    feats = zero_pixels_to_ground(pixels)
    total = 0.0
    for k in range(K):
        res = circuit(feats, w[k])
        res = torch.stack(list(res), -1) if measurement == "expval" else res
        total = total + (grad_out[:, k * m : (k + 1) * m] * res.reshape(-1, m)).sum()
    total.backward()
    torch.testing.assert_close(grad, w.grad, **FP64)


@pytest.mark.parametrize("C, measurement, K, L", [(3, "expval", 2, 2), (5, "probs", 1, 2), (8, "expval", 1, 1)])
def test_pennylane_parameter_shift_equals_backprop(C, measurement, K, L):
    sv = QPC(C, L, K, measurement).double()
    ps = twin(sv, backend="pennylane", diff_method="parameter-shift")
    x = make_input(1, C, 2, 2, zero_pixels=((0, 1, 0),), seed=24)
    out_sv, gx_sv, gw_sv = run(sv, x)
    out_ps, gx_ps, gw_ps = run(ps, x)
    torch.testing.assert_close(out_ps, out_sv, **FP64)
    assert torch.isfinite(gx_ps).all()
    torch.testing.assert_close(gx_ps, gx_sv, **FP64)
    torch.testing.assert_close(gw_ps, gw_sv, **FP64)
    assert_zero_pixel_grads(gx_ps, ((0, 1, 0),))
    # and against the independent QNode
    _, ref_gx, ref_gw = reference_run(x, sv.weights, measurement)
    torch.testing.assert_close(gw_ps, ref_gw, **FP64)
    torch.testing.assert_close(gx_ps, ref_gx, **FP64)


# ==================================================================================================
# gradcheck and zero pixels
# ==================================================================================================
@pytest.mark.parametrize(
    "backend, diff_method, C, K, L, measurement",
    [("statevector", "backprop", 3, 2, 2, "expval"), ("statevector", "parameter-shift", 3, 2, 2, "expval"),
     ("statevector", "backprop", 5, 1, 1, "probs"), ("statevector", "parameter-shift", 5, 1, 1, "probs"),
     ("pennylane", "backprop", 2, 1, 1, "expval"), ("pennylane", "parameter-shift", 2, 1, 1, "probs")],
)
def test_gradcheck(backend, diff_method, C, K, L, measurement):
    layer = QPC(C, L, K, measurement, backend=backend, diff_method=diff_method).double()
    H, W = (2, 2) if backend == "statevector" else (1, 2)
    gen = torch.Generator().manual_seed(31)
    x = (torch.rand(1, C, H, W, generator=gen, dtype=torch.float64) + 0.2).requires_grad_(True)  # no zero pixel
    w = layer.weights.detach().clone().requires_grad_(True)

    def f(x, w):
        return torch.func.functional_call(layer, {"weights": w}, (x,))

    assert torch.autograd.gradcheck(f, (x, w), atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize(
    "backend, diff_method, dtype",
    [("statevector", "backprop", torch.float64), ("statevector", "parameter-shift", torch.float64),
     ("statevector", "backprop", torch.float32), ("statevector", "parameter-shift", torch.float32),
     ("pennylane", "backprop", torch.float64), ("pennylane", "parameter-shift", torch.float64),
     ("pennylane", "best", torch.float64)],
)
def test_zero_pixel_values_and_gradients_finite_and_zero(backend, diff_method, dtype):
    layer = QPC(5, 2, 2, "expval", backend=backend, diff_method=diff_method).to(dtype)
    x = make_input(2, 5, 3, 3, dtype=dtype, seed=32)
    out, gx, gw = run(layer, x)
    assert torch.isfinite(out).all() and torch.isfinite(gw).all()
    assert_zero_pixel_grads(gx)
    # nonzero pixels do get gradients
    assert gx[0, :, 1, 1].abs().sum() > 0


# ==================================================================================================
# output shapes, ranges and invariants
# ==================================================================================================
@pytest.mark.parametrize("C", CHANNELS)
@pytest.mark.parametrize("measurement", MEASUREMENTS)
@pytest.mark.parametrize("K", (1, 3))
def test_output_shape_and_range(C, measurement, K):
    L = 2
    layer = QPC(C, L, K, measurement)
    n = n_qubits_of(C)
    m = n if measurement == "expval" else 2**n
    assert layer.n_qubits == n
    assert layer.out_channels == K * m
    assert QPC.weight_shape(K, L, n) == (K, L, n, 3)
    assert tuple(layer.weights.shape) == (K, L, n, 3)
    assert sum(p.numel() for p in layer.parameters()) == K * L * n * 3
    x = make_input(2, C, 4, 3, dtype=torch.float32, seed=C)
    with torch.no_grad():
        out = layer(x)
    assert out.shape == (2, K * m, 4, 3)
    assert out.dtype == torch.float32
    assert torch.isfinite(out).all()
    if measurement == "expval":
        assert out.abs().max() <= 1 + 1e-6
    else:
        assert out.min() >= -1e-6
        sums = out.view(2, K, m, 4, 3).sum(2)
        torch.testing.assert_close(sums, torch.ones_like(sums), atol=1e-5, rtol=0)
    unbatched = layer(x[1])
    assert unbatched.shape == (K * m, 4, 3)
    torch.testing.assert_close(unbatched, out[1], atol=1e-6, rtol=1e-6)


def test_output_is_scale_invariant_per_pixel():
    layer = QPC(5, 2, 2).double()
    x = make_input(2, 5, 3, 3, seed=41)
    scale = torch.rand(2, 1, 3, 3, dtype=torch.float64) * 10 + 0.1
    torch.testing.assert_close(layer(x * scale), layer(x), **FP64)


def test_weights_initialization():
    layer = QPC(8, 3, 4)
    w = layer.weights.detach()
    assert w.min() >= 0 and w.max() < 2 * math.pi
    assert w.std() > 0.5  # not all equal
    before = w.clone()
    layer.reset_parameters()
    assert not torch.equal(before, layer.weights.detach())


# ==================================================================================================
# module plumbing
# ==================================================================================================
def test_double_state_dict_round_trip_and_repr():
    layer = QPC(8, 2, 2, "probs")
    x = make_input(2, 8, 3, 3, dtype=torch.float32, seed=51)
    with torch.no_grad():
        out32 = layer(x)
    other = QPC(8, 2, 2, "probs")
    assert not torch.equal(other.weights, layer.weights)
    other.load_state_dict(layer.state_dict())
    with torch.no_grad():
        assert torch.equal(other(x), out32)
    layer.double()
    assert layer.weights.dtype == torch.float64
    with torch.no_grad():
        out64 = layer(x.double())
    assert out64.dtype == torch.float64
    torch.testing.assert_close(out64.float(), out32, atol=1e-5, rtol=1e-5)
    # a float64 state dict loads into a float32 layer
    back = QPC(8, 2, 2, "probs")
    back.load_state_dict(layer.state_dict())
    with torch.no_grad():
        torch.testing.assert_close(back(x), out32, atol=1e-6, rtol=1e-6)
    text = repr(layer)
    assert "in_channels=8" in text and "n_qubits=3" in text
    assert "QuantumPointwiseConv2d" in text


def test_layer_trains():
    torch.manual_seed(0)
    layer = QPC(4, 2, 1, "expval").double()
    x = make_input(4, 4, 3, 3, seed=52)
    target = torch.zeros(4, 2, 3, 3, dtype=torch.float64)
    target[:, 0] = 1.0
    opt = torch.optim.Adam(layer.parameters(), lr=0.1)
    first = None
    for _ in range(30):
        opt.zero_grad()
        loss = (layer(x) - target).square().mean()
        first = loss.item() if first is None else first
        loss.backward()
        opt.step()
    assert loss.item() < 0.7 * first


# ==================================================================================================
# shots
# ==================================================================================================
SHOTS = 2000


@pytest.mark.parametrize("measurement", MEASUREMENTS)
def test_shots_estimates_within_standard_errors(measurement):
    sv = QPC(5, 2, 2, measurement).double()
    x = make_input(1, 5, 3, 3, seed=61)
    with torch.no_grad():
        exact = sv(x)
        estimates = []
        for seed in (1, 2, 3):
            layer = twin(sv, backend="pennylane", diff_method="parameter-shift", shots=SHOTS, seed=seed)
            estimates.append(layer(x))
    p = exact if measurement == "probs" else (1 + exact) / 2  # P(outcome) behind each estimate
    for est in estimates:
        assert est.shape == exact.shape
        # every estimate is a count / shots (expval: (n0 - n1) / shots)
        counts = est * SHOTS if measurement == "probs" else (est + 1) * SHOTS / 2
        torch.testing.assert_close(counts, counts.round(), atol=1e-6, rtol=0)
        scale = 2 if measurement == "expval" else 1
        se = scale * (p * (1 - p) / SHOTS).sqrt()
        assert torch.all((est - exact).abs() <= 5 * se + 1e-9)
    assert not torch.equal(estimates[0], estimates[1])  # seeds matter
    mean = torch.stack(estimates).mean(0)
    se_mean = (2 if measurement == "expval" else 1) * (p * (1 - p) / (3 * SHOTS)).sqrt()
    assert torch.all((mean - exact).abs() <= 5 * se_mean + 1e-9)
    # the estimates are not the exact values
    assert (estimates[0] - exact).abs().max() > 1e-4


def test_shots_same_seed_reproducible():
    sv = QPC(3, 1, 1).double()
    x = make_input(1, 3, 2, 2, seed=62)
    a = twin(sv, backend="pennylane", diff_method="parameter-shift", shots=500, seed=5)
    b = twin(sv, backend="pennylane", diff_method="parameter-shift", shots=500, seed=5)
    with torch.no_grad():
        assert torch.equal(a(x), b(x))


def test_shots_with_default_diff_method_is_usable_or_rejected_up_front():
    """backend="pennylane" + shots with the default diff_method must not fail only at forward time."""
    try:
        layer = QPC(3, 1, 1, backend="pennylane", shots=200, seed=3)
    except ValueError as err:  # rejecting the combination with a clear message is fine
        assert "shots" in str(err) or "diff_method" in str(err)
        return
    x = make_input(1, 3, 2, 2, dtype=torch.float32, seed=63)
    with torch.no_grad():
        out = layer(x)
    assert out.shape == (1, 2, 2, 2)


# ==================================================================================================
# errors
# ==================================================================================================
def test_error_wrong_channel_count():
    layer = QPC(8)
    with pytest.raises(ValueError, match="must have 8 channels"):
        layer(torch.randn(2, 7, 3, 3))
    with pytest.raises(ValueError, match="must have 8 channels"):
        layer(torch.randn(9, 3, 3))


@pytest.mark.parametrize("shape", [(8, 3), (1, 2, 8, 3, 3), (8,)])
def test_error_wrong_rank(shape):
    with pytest.raises(ValueError, match="input must be a 4-D tensor"):
        QPC(8)(torch.randn(shape))


@pytest.mark.parametrize("backend", ["statevector", "pennylane"])
@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_error_non_finite_input(backend, bad):
    """NaN/inf must raise on every backend (a NaN pixel must not be read as a zero pixel, |0...0>)."""
    layer = QPC(4, backend=backend)
    x = torch.randn(1, 4, 2, 2)
    x[0, 1, 1, 1] = bad
    with pytest.raises(ValueError, match="must be finite"):
        layer(x)


def test_error_non_finite_input_in_otherwise_zero_pixel():
    layer = QPC(4)
    x = torch.zeros(1, 4, 2, 2)
    x[0, 2, 0, 1] = float("nan")
    with pytest.raises(ValueError, match="must be finite"):
        layer(x)


def test_huge_and_tiny_pixels_are_scale_invariant_and_bad_weights_raise():
    layer = QPC(4)
    x = torch.rand(1, 4, 2, 2) + 0.1
    # squares of 1e20 overflow and of 1e-25 underflow in float32; the layer rescales first
    torch.testing.assert_close(layer(x * 1e20), layer(x), atol=1e-6, rtol=1e-5)
    torch.testing.assert_close(layer(x * 1e-25), layer(x), atol=1e-6, rtol=1e-5)
    with torch.no_grad():
        layer.weights[0, 0, 0, 0] = float("nan")
    with pytest.raises(ValueError, match="weights must be finite"):
        layer(torch.randn(1, 4, 2, 2))


def test_error_dtype():
    layer = QPC(4)
    with pytest.raises(TypeError, match="input dtype must match"):
        layer(torch.randn(1, 4, 2, 2, dtype=torch.float64))
    with pytest.raises(TypeError, match="input must have a floating-point dtype"):
        layer(torch.ones(1, 4, 2, 2, dtype=torch.int64))
    with pytest.raises(TypeError, match="input must be a torch.Tensor"):
        layer(np.ones((1, 4, 2, 2), dtype=np.float32))


@pytest.mark.parametrize("name", ["in_channels", "n_layers", "n_kernels"])
@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "2", None])
def test_error_invalid_sizes(name, bad):
    kwargs = dict(in_channels=4, n_layers=2, n_kernels=1)
    kwargs[name] = bad
    with pytest.raises(ValueError, match=f"{name} must be a positive integer"):
        QPC(**kwargs)


def test_error_invalid_measurement_backend_diff_method():
    with pytest.raises(ValueError, match="measurement must be one of"):
        QPC(4, measurement="state")
    with pytest.raises(ValueError, match="backend must be one of"):
        QPC(4, backend="qiskit")
    with pytest.raises(ValueError, match="diff_method must be one of .* for backend='statevector'"):
        QPC(4, diff_method="adjoint")
    with pytest.raises(ValueError, match="diff_method must be one of"):
        QPC(4, diff_method="best")
    with pytest.raises(ValueError, match="diff_method must be one of .* for backend='pennylane'"):
        QPC(4, backend="pennylane", diff_method="magic")


def test_error_shots():
    with pytest.raises(ValueError, match="diff_method must not be 'backprop' with finite shots"):
        QPC(4, backend="pennylane", shots=100, diff_method="backprop")
    for bad in (0, -5, 10.5, True):
        with pytest.raises(ValueError, match="shots must be a positive integer or None"):
            QPC(4, shots=bad)
        with pytest.raises(ValueError, match="shots must be a positive integer or None"):
            QPC(4, backend="pennylane", diff_method="parameter-shift", shots=bad)


def test_error_n_qubits():
    with pytest.raises(ValueError, match="n_qubits must be an integer >= 3"):
        QPC(5, n_qubits=2)
    for bad in (0, 2.5, True):
        with pytest.raises(ValueError, match="n_qubits must be an integer >= "):
            QPC(3, n_qubits=bad)
    with pytest.raises(ValueError, match="n_qubits must be at most 12"):
        QPC(4, n_qubits=13)


def test_error_ranges():
    with pytest.raises(ValueError, match="one entry per layer"):
        QPC(8, n_layers=2, ranges=(1,))
    with pytest.raises(ValueError, match="must not be zero nor divisible"):
        QPC(8, n_layers=2, ranges=(1, 3))
    with pytest.raises(ValueError, match="must not be zero nor divisible"):
        QPC(8, n_layers=2, ranges=(0, 1))
    with pytest.raises(ValueError, match="zeros for a single qubit"):
        QPC(2, n_layers=1, ranges=(1,))


# ==================================================================================================
# edge cases of the zero-pixel convention
# ==================================================================================================
@pytest.mark.parametrize("dtype, value", [(torch.float32, 1e-20), (torch.float64, 1e-160), (torch.float32, 1e-15)])
def test_tiny_nonzero_pixel_is_encoded_by_its_direction(dtype, value):
    """A nonzero pixel is not a zero pixel: PennyLane's AmplitudeEmbedding encodes its direction.

    (0, v) with v tiny but nonzero is the state |1>; only an exactly-zero pixel reads |0>.
    """
    layer = QPC(2, 2).to(dtype)
    x = torch.tensor([0.0, value], dtype=dtype).view(1, 2, 1, 1)
    e1 = torch.tensor([0.0, 1.0], dtype=dtype).view(1, 2, 1, 1)
    with torch.no_grad():
        out, out_e1 = layer(x), layer(e1)
    expected = pennylane_layer(x.double(), layer.weights.detach().double(), "expval")
    torch.testing.assert_close(out.double(), expected, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(out, out_e1, atol=1e-5, rtol=1e-5)
    pl = twin(layer, backend="pennylane")
    with torch.no_grad():
        torch.testing.assert_close(pl(x), out, atol=1e-5, rtol=1e-5)


# ==================================================================================================
# cuda
# ==================================================================================================
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("diff_method", ["backprop", "parameter-shift"])
@pytest.mark.parametrize("measurement", MEASUREMENTS)
def test_cuda_matches_cpu(diff_method, measurement):
    cpu = QPC(5, 2, 3, measurement, diff_method=diff_method).double()
    gpu = twin(cpu, diff_method=diff_method).cuda()
    assert gpu.readout.device.type == "cuda"
    x = make_input(2, 5, 3, 3, seed=71)
    out_c, gx_c, gw_c = run(cpu, x)
    out_g, gx_g, gw_g = run(gpu, x.cuda())
    assert out_g.device.type == "cuda" and gw_g.device.type == "cuda"
    torch.testing.assert_close(out_g.cpu(), out_c, **FP64)
    torch.testing.assert_close(gx_g.cpu(), gx_c, **FP64)
    torch.testing.assert_close(gw_g.cpu(), gw_c, **FP64)
    assert_zero_pixel_grads(gx_g.cpu())
    gpu32, cpu32 = twin(cpu, diff_method=diff_method).float().cuda(), twin(cpu, diff_method=diff_method).float()
    for a, b in zip(run(gpu32, x.float().cuda()), run(cpu32, x.float())):
        torch.testing.assert_close(a.cpu(), b, **FP32)
    with pytest.raises(ValueError, match="must be on the layer's device"):
        gpu(x)


@pytest.mark.parametrize("C", [5, 8])
def test_quadratic_control_with_the_qpc_forms_is_the_qpc_layer(C):
    """The quadratic control contains the QPC layer: loaded with M_k = Re(U^† Z_k U) it gives the same outputs,
    per pixel, whatever the pixels' scales (a per-channel instead of per-pixel rescaling would break this)."""
    from qpcnn_edu import QuadraticPointwiseConv2d

    qpc = QPC(C, 2, 2, "expval").double()
    quad = QuadraticPointwiseConv2d(C, qpc.out_channels).double()
    forms = qpc.quadratic_forms().detach().reshape(-1, 2 ** qpc.n_qubits, 2 ** qpc.n_qubits)[:, :C, :C]
    rows, cols = torch.triu_indices(C, C)
    with torch.no_grad():
        quad.weight.copy_(forms[:, rows, cols])
    torch.testing.assert_close(quad.matrices(), forms, **FP64)
    x = make_input(3, C, 4, 4, seed=5)
    x = x * torch.logspace(-3, 3, 3 * C * 16, dtype=x.dtype).view(3, C, 4, 4)  # wildly different scales
    x[0, :, 0, 0] = 0.0  # a zero pixel: both read M[0, 0]
    torch.testing.assert_close(quad(x), qpc(x), **FP64)


# ==================================================================================================
# readout settings (public API used by lab.robustness.quantum_readout)
# ==================================================================================================
def test_set_readout_changes_checks_first_and_restores_exactly():
    layer = QPC(4, seed=None)
    x = torch.randn(2, 4, 3, 3)
    exact = layer(x).detach()
    previous = layer.set_readout(shots=50, seed=3)
    assert previous == {"shots": None, "depolarizing": 0.0, "seed": None, "diff_method": "backprop", "generator": None}
    first = layer(x).detach()
    assert not torch.equal(first, exact)
    torch.testing.assert_close(first, (torch.round((first + 1) / 2 * 50) / 50) * 2 - 1)  # counts / shots
    # interrupt the stream: depolarizing noise, exact; then restore, and the stream continues where it was
    during = layer.set_readout(shots=None, depolarizing=0.2)
    noisy = layer(x).detach()
    assert (noisy.abs() < exact.abs() + 1e-6).all() and not torch.allclose(noisy, exact)
    layer.set_readout(**during)
    second = layer(x).detach()
    reference = QPC(4, shots=50, seed=3)
    reference.load_state_dict(layer.state_dict())
    reference(x)
    torch.testing.assert_close(second, reference(x).detach(), atol=0, rtol=0)
    layer.set_readout(**previous)
    torch.testing.assert_close(layer(x), exact, atol=0, rtol=0)


def test_set_readout_errors_leave_the_layer_unchanged():
    layer = QPC(4, diff_method="parameter-shift", shots=10, seed=1)
    before = layer.set_readout()  # no arguments: changes nothing, returns the settings
    for kwargs, match in [({"shots": 0}, "shots must be a positive integer or None; got 0"),
                          ({"depolarizing": 1.5}, r"depolarizing must be a probability in \[0, 1\]"),
                          ({"depolarizing": 0.1}, "diff_method must be 'backprop' with depolarizing noise"),
                          ({"diff_method": "adjoint"}, "diff_method must be one of"),
                          ({"seed": "0"}, "seed must be an integer"),
                          ({"generator": 3}, "generator must be a torch.Generator or None")]:
        with pytest.raises(ValueError, match=match):
            layer.set_readout(**kwargs)
        assert layer.set_readout() == before
    with pytest.raises(TypeError):
        layer.set_readout(10)  # keyword-only


def test_set_readout_rebuilds_the_pennylane_qnode():
    layer = QPC(4, backend="pennylane", diff_method="parameter-shift")
    x = torch.randn(1, 4, 2, 2)
    exact = layer(x).detach()
    layer.set_readout(shots=20, seed=0)
    sampled = layer(x).detach()
    counts = (sampled + 1) / 2 * 20
    torch.testing.assert_close(counts, counts.round(), atol=1e-6, rtol=0)
    assert not torch.allclose(sampled, exact)
    layer.set_readout(shots=None)
    torch.testing.assert_close(layer(x), exact, **FP32)


# ==================================================================================================
# dtypes, tracing, pickling, empty batches, torch.compile (issue 10, item 9)
# ==================================================================================================
@pytest.mark.parametrize("dtype, tol", [(torch.float16, 5e-3), (torch.bfloat16, 3e-2)])
def test_half_precision_computes_in_float32(dtype, tol):
    layer = QPC(5, n_layers=2, n_kernels=2)
    x = torch.randn(2, 5, 3, 3)
    low = QPC(5, n_layers=2, n_kernels=2).to(dtype)
    low.load_state_dict(layer.state_dict())
    xl = x.to(dtype).requires_grad_(True)
    out = low(xl)
    assert out.dtype == dtype
    # the same rounded input and weights, computed in float32
    expected = torch.func.functional_call(layer, {"weights": low.weights.detach().float()}, (x.to(dtype).float(),))
    torch.testing.assert_close(out.float(), expected, atol=tol, rtol=0)
    out.float().square().sum().backward()
    assert xl.grad.dtype == dtype and low.weights.grad.dtype == dtype
    assert torch.isfinite(xl.grad.float()).all() and torch.isfinite(low.weights.grad.float()).all()


def test_jit_trace_matches_eager_on_other_inputs():
    layer = QPC(5, n_layers=2, n_kernels=2)
    with pytest.warns(Warning):  # tracer warnings about Python values: expected, the shapes are fixed
        traced = torch.jit.trace(layer, torch.randn(2, 5, 3, 3))
    other = make_input(2, 5, 3, 3, dtype=torch.float32, seed=4)
    torch.testing.assert_close(traced(other), layer(other), atol=0, rtol=0)


def test_pennylane_layer_pickles_and_copies():
    import copy
    import pickle

    layer = QPC(5, n_layers=2, n_kernels=2, backend="pennylane", diff_method="parameter-shift")
    x = torch.randn(1, 5, 2, 2)
    for clone in (pickle.loads(pickle.dumps(layer)), copy.deepcopy(layer)):
        assert clone._qnode is not None and clone._qnode is not layer._qnode
        out, gx, gw = run(clone, x)
        ref_out, ref_gx, ref_gw = run(layer, x)
        torch.testing.assert_close(out, ref_out, atol=0, rtol=0)
        torch.testing.assert_close(gw, ref_gw, **FP32)
        torch.testing.assert_close(gx, ref_gx, **FP32)


@pytest.mark.parametrize("backend, diff_method", [("statevector", "backprop"), ("pennylane", "backprop"),
                                                  ("pennylane", "parameter-shift")])
def test_empty_batch(backend, diff_method):
    layer = QPC(5, n_kernels=2, backend=backend, diff_method=diff_method)
    x = torch.randn(0, 5, 4, 4, requires_grad=True)
    out = layer(x)
    assert out.shape == (0, 6, 4, 4)
    out.sum().backward()
    assert x.grad.shape == x.shape and torch.all(layer.weights.grad == 0)


def test_nan_input_raises_under_torch_compile():
    if not hasattr(torch, "compile"):
        pytest.skip("torch.compile is not available in this torch version")
    layer = QPC(4, n_layers=1)
    # backend="eager": dynamo traces the layer (and breaks the graph at the check) without compiling kernels
    compiled = torch.compile(layer, backend="eager")
    x = torch.randn(1, 4, 2, 2)
    torch.testing.assert_close(compiled(x), layer(x))
    x[0, 1, 1, 0] = float("nan")
    with pytest.raises(ValueError, match="input must be finite; got 1 NaN and 0 inf values"):
        compiled(x)
