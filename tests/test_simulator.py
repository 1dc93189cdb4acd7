"""Tests of qpcnn_edu.quantum.simulator: the fast forward and its hand-written backward against plain autograd and
PennyLane, readout matrices, pixel rescaling, the parameter-shift rule, zero pixels, second derivatives, errors."""

from __future__ import annotations

import pytest
import torch
from conftest import make_input, pennylane_layer

from qpcnn_edu import QuantumPointwiseConv2d, amplitude_encode, entangling_unitary
from qpcnn_edu.quantum.simulator import (amplitude_rows, observable_diagonals, parameter_shift_forward,
                                         parameter_shift_weight_grad, quadratic_forward, readout_matrix,
                                         rescale_pixels, statevector_forward, z_signs)

FP64 = dict(atol=1e-10, rtol=1e-10)
MEASUREMENTS = ("expval", "probs")
# (C, measurement, K, L): channel counts below, at and above a power of two, one and several kernels
CONFIGS = [(3, "expval", 2, 2), (5, "probs", 2, 1), (4, "expval", 1, 3), (1, "probs", 2, 2)]


def n_qubits_of(C):
    return max(1, (C - 1).bit_length())


def torch_reference(x, weights, measurement):
    """Plain-autograd ground truth of the layer: (B, C, H, W), (K, L, n, 3) -> (B, K*m, H, W).

    Amplitude-encode every pixel (zero pixels -> |0...0>), apply U, square the amplitudes, read out. Written with
    ``re**2 + im**2`` (no ``abs``) so that autograd can differentiate it twice everywhere.
    """
    B, C, H, W = x.shape
    n = weights.shape[-2]
    psi = amplitude_encode(x, dim=1, n_qubits=n)  # (B, D, H, W)
    u = entangling_unitary(weights)  # (K, D, D)
    amps = torch.einsum("kij,bjhw->bkihw", u, psi.to(u.dtype))  # (B, K, D, H, W)
    probs = amps.real.square() + amps.imag.square()
    diag = observable_diagonals(measurement, n).to(probs.dtype)  # (m, D)
    return torch.einsum("md,bkdhw->bkmhw", diag, probs).reshape(B, -1, H, W)


def columns(x):
    """(B, C, H, W) -> (C, N), the simulator's pixel layout."""
    return x.transpose(0, 1).reshape(x.shape[1], -1)


def layer_output(x, weights, measurement, diff_method="backprop"):
    """The simulator's forward on images, in the layout of torch_reference."""
    B, C, H, W = x.shape
    n = weights.shape[-2]
    readout_t = readout_matrix(measurement, n, weights.shape[0], dtype=x.dtype).T
    forward = statevector_forward if diff_method == "backprop" else parameter_shift_forward
    out = forward(columns(x), weights, tuple((l % (n - 1)) + 1 if n > 1 else 0 for l in range(weights.shape[1])),
                  readout_t)  # (Km, N)
    return out.view(-1, B, H, W).transpose(0, 1)


def random_weights(K, L, n, seed=0, dtype=torch.float64):
    return torch.rand(K, L, n, 3, generator=torch.Generator().manual_seed(seed), dtype=dtype) * 6.28


# --------------------------------------------------------------------------------------------------
# forward and first-order backward
# --------------------------------------------------------------------------------------------------
def test_torch_reference_is_pennylane():
    """The plain-autograd reference used below is itself the PennyLane circuit (values, fp64)."""
    for C, measurement, K, L in CONFIGS:
        x = make_input(2, C, 2, 3)
        w = random_weights(K, L, n_qubits_of(C))
        torch.testing.assert_close(torch_reference(x, w, measurement), pennylane_layer(x, w, measurement), **FP64)


@pytest.mark.parametrize("diff_method", ["backprop", "parameter-shift"])
@pytest.mark.parametrize("C, measurement, K, L", CONFIGS)
def test_forward_and_hand_written_backward_equal_autograd(C, measurement, K, L, diff_method):
    x = make_input(2, C, 2, 3).requires_grad_(True)  # two all-zero pixels included
    w = random_weights(K, L, n_qubits_of(C)).requires_grad_(True)
    out = layer_output(x, w, measurement, diff_method)
    ref = torch_reference(x, w, measurement)
    torch.testing.assert_close(out, ref, **FP64)
    g = torch.randn(out.shape, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    gx, gw = torch.autograd.grad((g * out).sum(), (x, w))
    rx, rw = torch.autograd.grad((g * ref).sum(), (x, w))
    torch.testing.assert_close(gx, rx, **FP64)
    torch.testing.assert_close(gw, rw, **FP64)


@pytest.mark.parametrize("C, measurement, K, L", CONFIGS)
def test_gradients_for_inputs_and_weights_separately(C, measurement, K, L):
    """The one-node backward computes only what is asked for, and each part alone is right."""
    x = make_input(2, C, 2, 3)
    w = random_weights(K, L, n_qubits_of(C))
    g = torch.randn(2, K * (n_qubits_of(C) if measurement == "expval" else 2 ** n_qubits_of(C)), 2, 3,
                    dtype=torch.float64, generator=torch.Generator().manual_seed(3))
    for wanted in ("x", "w"):
        xs, ws = x.clone().requires_grad_(wanted == "x"), w.clone().requires_grad_(wanted == "w")
        (grad,) = torch.autograd.grad((g * layer_output(xs, ws, measurement)).sum(), xs if wanted == "x" else ws)
        xr, wr = x.clone().requires_grad_(wanted == "x"), w.clone().requires_grad_(wanted == "w")
        (expected,) = torch.autograd.grad((g * torch_reference(xr, wr, measurement)).sum(), xr if wanted == "x" else wr)
        torch.testing.assert_close(grad, expected, **FP64)


@pytest.mark.parametrize("C, measurement, K, L", CONFIGS)
def test_images_layout_equals_columns_with_first_and_second_derivatives(C, measurement, K, L):
    """images=True does the layout change inside the node: same values, gradients and Hessian-vector products."""
    n = n_qubits_of(C)
    x = make_input(2, C, 2, 3).requires_grad_(True)
    w = random_weights(K, L, n).requires_grad_(True)
    readout_t = readout_matrix(measurement, n, K, dtype=torch.float64).T
    ranges = tuple((l % (n - 1)) + 1 if n > 1 else 0 for l in range(L))
    out = statevector_forward(x, w, ranges, readout_t, images=True)
    ref = layer_output(x, w, measurement)
    torch.testing.assert_close(out, ref, **FP64)
    g = torch.randn(out.shape, dtype=torch.float64, generator=torch.Generator().manual_seed(4))
    grads = torch.autograd.grad((g * out).sum(), (x, w), create_graph=True)
    expected = torch.autograd.grad((g * ref).sum(), (x, w), create_graph=True)
    for a, b in zip(grads, expected):
        torch.testing.assert_close(a, b, **FP64)
    second = torch.autograd.grad(grads[0].square().sum() + grads[1].square().sum(), (x, w))
    second_ref = torch.autograd.grad(expected[0].square().sum() + expected[1].square().sum(), (x, w))
    for a, b in zip(second, second_ref):
        torch.testing.assert_close(a, b, **FP64)


@pytest.mark.parametrize("C, measurement, K, L", CONFIGS)
def test_parameter_shift_weight_grad_equals_backprop(C, measurement, K, L):
    n = n_qubits_of(C)
    x = columns(make_input(2, C, 2, 2))
    w = random_weights(K, L, n).requires_grad_(True)
    readout_t = readout_matrix(measurement, n, K, dtype=torch.float64).T
    ranges = tuple((l % (n - 1)) + 1 if n > 1 else 0 for l in range(L))
    out = statevector_forward(x, w, ranges, readout_t)
    g = torch.randn(out.shape, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    (backprop,) = torch.autograd.grad((g * out).sum(), w)
    shifted = parameter_shift_weight_grad(x, w.detach(), ranges, readout_t, g)
    torch.testing.assert_close(shifted, backprop, **FP64)


def test_zero_pixels_read_the_ground_state_with_zero_gradient():
    x = torch.zeros(3, 4, dtype=torch.float64)
    x[:, 1] = torch.tensor([0.5, -1.0, 2.0], dtype=torch.float64)
    x.requires_grad_(True)
    w = random_weights(1, 2, 2).requires_grad_(True)
    readout_t = readout_matrix("expval", 2, 1, dtype=torch.float64).T
    out = statevector_forward(x, w, (1, 1), readout_t)
    ground = readout_t[:-1] @ amplitude_rows(entangling_unitary(w), 3).reshape(-1, 3)[:, 0].square()
    for column in (0, 2, 3):
        torch.testing.assert_close(out[:, column], ground, **FP64)
    (gx,) = torch.autograd.grad(out.sum(), x)
    assert torch.all(gx[:, [0, 2, 3]] == 0) and torch.all(gx[:, 1] != 0)


@pytest.mark.parametrize("dtype, cdtype", [(torch.float32, torch.complex64), (torch.float64, torch.complex128)])
def test_shapes_and_dtypes(dtype, cdtype):
    w = random_weights(3, 2, 2, dtype=dtype)
    u = entangling_unitary(w)
    assert u.shape == (3, 4, 4) and u.dtype == cdtype
    rows = amplitude_rows(u, 3)
    assert rows.shape == (3, 8, 3) and rows.dtype == dtype
    readout_t = readout_matrix("probs", 2, 3, dtype=dtype).T
    assert readout_t.shape == (3 * 4 + 1, 3 * 8)
    out = statevector_forward(torch.randn(3, 10, dtype=dtype), w, (1, 1), readout_t)
    assert out.shape == (12, 10) and out.dtype == dtype


# --------------------------------------------------------------------------------------------------
# readout matrices, pixel rescaling, quadratic forms
# --------------------------------------------------------------------------------------------------
def test_z_signs_are_the_bits_of_each_basis_state():
    signs = z_signs(3)
    for state in range(8):
        bits = [(state >> (2 - q)) & 1 for q in range(3)]  # wire 0 = most significant bit
        assert signs[:, state].tolist() == [1.0 - 2.0 * b for b in bits]


@pytest.mark.parametrize("measurement, m", [("expval", 2), ("probs", 4)])
def test_readout_matrix_blocks(measurement, m):
    r = readout_matrix(measurement, 2, 3)  # D = 4, K = 3
    assert r.shape == (3 * 8, 3 * m + 1)
    block = torch.cat([observable_diagonals(measurement, 2)] * 2, 1).T  # (2D, m): real and imaginary parts alike
    for k in range(3):
        torch.testing.assert_close(r[8 * k:8 * (k + 1), m * k:m * (k + 1)], block)
        others = torch.cat([r[8 * k:8 * (k + 1), :m * k], r[8 * k:8 * (k + 1), m * (k + 1):-1]], 1)
        assert torch.all(others == 0)
    assert r[:8, -1].tolist() == [1.0] * 8 and torch.all(r[8:, -1] == 0)  # norm: kernel 0's squares
    assert readout_matrix("expval", 1, 1, dtype=torch.float64).dtype == torch.float64


def test_rescale_pixels():
    x = torch.tensor([[3.0, 0.0, -1e-30, 2.0], [-6.0, 0.0, 5e-31, 8.0]], dtype=torch.float64, requires_grad=True)
    y = rescale_pixels(x)
    torch.testing.assert_close(y.detach().abs().amax(0), torch.tensor([1.0, 1.0, 1.0, 1.0], dtype=torch.float64))
    torch.testing.assert_close(y.detach()[:, 0], torch.tensor([0.5, -1.0], dtype=torch.float64))
    assert y.detach()[:, 1].tolist() == [1.0, 0.0]  # the zero pixel becomes e_0, the amplitudes of |0...0>
    # the scale is a constant: the Jacobian of each column is 1/scale times the identity
    (grad,) = torch.autograd.grad(y[0, 3], x, retain_graph=True)
    assert grad[0, 3] == 1 / 8 and grad.abs().sum() == 1 / 8
    (grad,) = torch.autograd.grad(y[:, 1].sum(), x)  # the zero pixel's e_0 does not depend on x
    assert torch.all(grad == 0)
    nan = rescale_pixels(torch.tensor([[float("nan")], [1.0]]))
    assert torch.isnan(nan).all()  # NaN stays NaN (check_finite names it later)


def test_quadratic_forward_against_the_formula():
    forms = torch.randn(3, 4, 4, dtype=torch.float64)
    forms = forms + forms.transpose(1, 2)
    x = torch.randn(3, 5, dtype=torch.float64)  # C = 3 < D = 4: the top-left 3 x 3 block
    x[:, 2] = 0.0
    out = quadratic_forward(x, forms)
    a = forms[:, :3, :3]
    expected = torch.einsum("in,oij,jn->on", x, a, x) / x.square().sum(0)
    expected[:, 2] = forms[:, 0, 0]  # the zero pixel reads |0...0>
    torch.testing.assert_close(out, expected, **FP64)
    x[0, 1] = float("nan")
    assert torch.isnan(quadratic_forward(x, forms)[:, 1]).all()  # NaN is not mistaken for a zero pixel


def test_errors():
    with pytest.raises(ValueError, match=r"measurement must be one of \('expval', 'probs'\); got 'sample'\."):
        observable_diagonals("sample", 2)
    with pytest.raises(ValueError, match="measurement must be one of"):
        readout_matrix("state", 2, 1)


# --------------------------------------------------------------------------------------------------
# second derivatives (issue 10, item 5): exact, never silently zero
# --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("diff_method", ["backprop", "parameter-shift"])
@pytest.mark.parametrize("measurement", MEASUREMENTS)
def test_gradgradcheck(diff_method, measurement):
    """fp64 finite differences of the gradient; no zero pixel (the zero-pixel convention is not differentiable)."""
    x = make_input(1, 3, 2, 2, zero_pixels=()).requires_grad_(True)
    w = random_weights(2, 2, 2).requires_grad_(True)
    assert torch.autograd.gradgradcheck(lambda x, w: layer_output(x, w, measurement, diff_method), (x, w))


@pytest.mark.parametrize("diff_method", ["backprop", "parameter-shift"])
def test_gradient_penalty_reaches_the_weights(diff_method):
    """The issue's example: d/dw [sum(y) + 100 |dy/dx|^2] is not the first-order gradient; it is the reference's."""
    x = make_input(2, 5, 2, 2).requires_grad_(True)
    w = random_weights(2, 2, 3).requires_grad_(True)
    results = []
    for f in (lambda x, w: layer_output(x, w, "expval", diff_method), lambda x, w: torch_reference(x, w, "expval")):
        y = f(x, w)
        (gx,) = torch.autograd.grad(y.sum(), x, create_graph=True)
        (penalized,) = torch.autograd.grad(y.sum() + 100 * gx.pow(2).sum(), w)
        (first,) = torch.autograd.grad(f(x, w).sum(), w)
        results.append((penalized, first))
    (penalized, first), (ref_penalized, ref_first) = results
    torch.testing.assert_close(penalized, ref_penalized, **FP64)
    torch.testing.assert_close(first, ref_first, **FP64)
    assert (penalized - first).abs().max() > 1e-3


def test_input_hessian_equals_reference_and_finite_differences():
    g = torch.randn(1, 4, 1, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(3))  # K * n = 4
    w = random_weights(2, 2, 2)
    x0 = make_input(1, 3, 1, 2, zero_pixels=())

    def f(x):
        return (g * layer_output(x, w, "expval")).sum()

    hessian = torch.autograd.functional.hessian(f, x0)
    reference = torch.autograd.functional.hessian(lambda x: (g * torch_reference(x, w, "expval")).sum(), x0)
    torch.testing.assert_close(hessian, reference, **FP64)
    assert hessian.abs().max() > 1e-2  # not all zeros
    # central differences of the (hand-written, first-order) gradient
    grad = lambda x: torch.autograd.grad(f(x.requires_grad_(True)), x)[0]  # noqa: E731
    h = 1e-6
    columns_fd = []
    for i in range(x0.numel()):
        e = torch.zeros_like(x0).view(-1)
        e[i] = h
        e = e.view_as(x0)
        columns_fd.append(((grad(x0 + e) - grad(x0 - e)) / (2 * h)).reshape(-1))
    torch.testing.assert_close(hessian.reshape(x0.numel(), -1), torch.stack(columns_fd, 1), atol=1e-6, rtol=1e-6)


def test_layer_hessian_wrt_weights_and_zero_pixel_hessian():
    layer = QuantumPointwiseConv2d(3, n_layers=1, n_kernels=1).double()
    x = make_input(1, 3, 2, 2, zero_pixels=((0, 0, 0),))
    w0 = layer.weights.detach().clone()

    def by_weights(w):
        return torch.func.functional_call(layer, {"weights": w}, (x,)).square().sum()

    hessian = torch.autograd.functional.hessian(by_weights, w0)
    reference = torch.autograd.functional.hessian(lambda w: torch_reference(x, w, "expval").square().sum(), w0)
    torch.testing.assert_close(hessian, reference, **FP64)
    # a zero pixel reads |0...0> whatever its neighbourhood: its input Hessian is zero, and finite
    hx = torch.autograd.functional.hessian(lambda x: layer(x).sum(), x)
    assert torch.isfinite(hx).all() and torch.all(hx[0, :, 0, 0] == 0)
