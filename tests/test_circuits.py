"""Tests of qpcnn_edu.quantum.circuits against PennyLane's StronglyEntanglingLayers / Rot matrices and QNodes."""

from __future__ import annotations

import math

import numpy as np
import pennylane as qml
import pytest
import torch
from conftest import pl_circuit

from qpcnn_edu import default_ranges, draw, entangling_unitary, reference_qnode, rot_matrix


def pl_matrix(weights, ranges=None):
    """qml.matrix of StronglyEntanglingLayers for weights (L, n, 3) (numpy or torch)."""
    n = weights.shape[-2]
    kwargs = {} if ranges is None else {"ranges": tuple(ranges)}
    return qml.matrix(qml.StronglyEntanglingLayers(weights, wires=range(n), **kwargs))


def random_weights(*shape, dtype=torch.float64, seed=0):
    gen = torch.Generator().manual_seed(seed)
    return (torch.rand(*shape, generator=gen, dtype=torch.float64) * 4 * math.pi - math.pi).to(dtype)


# --------------------------------------------------------------------------------------------------
# rot_matrix / default_ranges
# --------------------------------------------------------------------------------------------------
def test_rot_matrix_matches_pennylane_batched():
    angles = random_weights(7, 3)
    mats = rot_matrix(angles[:, 0], angles[:, 1], angles[:, 2])
    assert mats.shape == (7, 2, 2)
    assert mats.dtype == torch.complex128
    for i in range(7):
        expected = qml.Rot.compute_matrix(*angles[i].numpy())
        np.testing.assert_allclose(mats[i].numpy(), expected, atol=1e-14)


@pytest.mark.parametrize("n, L", [(2, 3), (3, 5), (4, 4), (5, 2), (6, 7)])
def test_default_ranges_match_pennylane(n, L):
    op = qml.StronglyEntanglingLayers(np.zeros((L, n, 3)), wires=range(n))
    assert tuple(default_ranges(n, L)) == tuple(int(r) for r in op.hyperparameters["ranges"])


def test_default_ranges_single_qubit():
    assert tuple(default_ranges(1, 3)) == (0, 0, 0)


# --------------------------------------------------------------------------------------------------
# entangling_unitary vs qml.matrix
# --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("n_layers", [1, 2, 3, 4])
@pytest.mark.parametrize("n_qubits", [1, 2, 3, 4, 5, 6])
def test_entangling_unitary_matches_pennylane(n_qubits, n_layers):
    w = random_weights(n_layers, n_qubits, 3, seed=10 * n_qubits + n_layers)
    U = entangling_unitary(w)
    assert U.shape == (2**n_qubits, 2**n_qubits)
    assert U.dtype == torch.complex128
    np.testing.assert_allclose(U.numpy(), pl_matrix(w.numpy()), atol=1e-12, rtol=0)
    # the autograd-tracked path (weights requiring grad) gives the same matrix
    Ug = entangling_unitary(w.clone().requires_grad_(True))
    np.testing.assert_allclose(Ug.detach().numpy(), pl_matrix(w.numpy()), atol=1e-12, rtol=0)


@pytest.mark.parametrize(
    "n_qubits, ranges", [(4, (3, 2, 1)), (3, (2, 1)), (3, (2, 2, 2)), (2, (1, 3)), (3, (4, -1)), (5, (2, 4))]
)
def test_entangling_unitary_custom_ranges(n_qubits, ranges):
    w = random_weights(len(ranges), n_qubits, 3, seed=3)
    U = entangling_unitary(w, ranges=ranges)
    np.testing.assert_allclose(U.numpy(), pl_matrix(w.numpy(), ranges), atol=1e-12, rtol=0)
    if tuple(r % n_qubits for r in ranges) != tuple(default_ranges(n_qubits, len(ranges))) and n_qubits > 2:
        # the ranges really matter
        assert not np.allclose(U.numpy(), pl_matrix(w.numpy()), atol=1e-6)


def test_entangling_unitary_batched_leading_dims():
    w = random_weights(2, 3, 2, 3, 3, seed=5)
    U = entangling_unitary(w)
    assert U.shape == (2, 3, 8, 8)
    for i in range(2):
        for j in range(3):
            np.testing.assert_allclose(U[i, j].numpy(), pl_matrix(w[i, j].numpy()), atol=1e-12)


def test_entangling_unitary_batched_gradient_equals_per_item():
    w = random_weights(2, 3, 2, 3, 3, seed=6).requires_grad_(True)
    coeff = torch.randn(2, 3, 8, 8, dtype=torch.complex128)
    (coeff * entangling_unitary(w)).real.sum().backward()
    for i in range(2):
        for j in range(3):
            wi = w.detach()[i, j].clone().requires_grad_(True)
            (coeff[i, j] * entangling_unitary(wi)).real.sum().backward()
            torch.testing.assert_close(w.grad[i, j], wi.grad, atol=1e-12, rtol=1e-10)


def test_entangling_unitary_float32_gives_complex64():
    w = random_weights(2, 3, 3, seed=7)
    U32 = entangling_unitary(w.float())
    assert U32.dtype == torch.complex64
    np.testing.assert_allclose(U32.numpy(), pl_matrix(w.numpy()), atol=1e-5, rtol=0)
    U32g = entangling_unitary(w.float().requires_grad_(True))
    assert U32g.dtype == torch.complex64
    np.testing.assert_allclose(U32g.detach().numpy(), pl_matrix(w.numpy()), atol=1e-5, rtol=0)


@pytest.mark.parametrize("n_qubits, n_layers", [(1, 2), (3, 3), (5, 2)])
def test_entangling_unitary_is_unitary(n_qubits, n_layers):
    U = entangling_unitary(random_weights(n_layers, n_qubits, 3, seed=n_qubits))
    eye = torch.eye(2**n_qubits, dtype=torch.complex128)
    torch.testing.assert_close(U @ U.conj().T, eye, atol=1e-12, rtol=0)
    torch.testing.assert_close(U.conj().T @ U, eye, atol=1e-12, rtol=0)


@pytest.mark.parametrize(
    "n_qubits, n_layers, ranges", [(1, 2, None), (2, 2, None), (3, 2, None), (3, 2, (2, 1)), (4, 2, None), (6, 1, None)]
)
def test_entangling_unitary_gradient_matches_pennylane_autograd(n_qubits, n_layers, ranges):
    """Gradient of a real function of U vs. torch autograd through PennyLane's own matrix."""
    w = random_weights(n_layers, n_qubits, 3, seed=11)
    D = 2**n_qubits
    gen = torch.Generator().manual_seed(1)
    coeff = torch.complex(torch.randn(D, D, generator=gen, dtype=torch.float64),
                          torch.randn(D, D, generator=gen, dtype=torch.float64))

    w1 = w.clone().requires_grad_(True)
    U1 = entangling_unitary(w1, ranges)
    ((coeff * U1).real.sum() + (U1.abs() ** 2 * coeff.real).sum()).backward()

    w2 = w.clone().requires_grad_(True)
    U2 = pl_matrix(w2, ranges)
    assert isinstance(U2, torch.Tensor) and U2.requires_grad
    ((coeff * U2).real.sum() + (U2.abs() ** 2 * coeff.real).sum()).backward()
    torch.testing.assert_close(w1.grad, w2.grad, atol=1e-10, rtol=1e-10)


@pytest.mark.parametrize("n_qubits, n_layers, ranges", [(1, 2, None), (2, 2, None), (3, 1, (2,))])
def test_entangling_unitary_gradcheck(n_qubits, n_layers, ranges):
    w = random_weights(n_layers, n_qubits, 3, seed=2).requires_grad_(True)
    assert torch.autograd.gradcheck(lambda t: torch.view_as_real(entangling_unitary(t, ranges)), (w,))


def test_entangling_unitary_batched_gradcheck():
    w = random_weights(2, 1, 2, 3, seed=4).requires_grad_(True)
    assert torch.autograd.gradcheck(lambda t: torch.view_as_real(entangling_unitary(t)), (w,))


def test_entangling_unitary_invalid_ranges():
    w3 = torch.zeros(2, 3, 3)
    with pytest.raises(ValueError, match=r"ranges must have one entry per layer \(2\); got 1"):
        entangling_unitary(w3, ranges=(1,))
    with pytest.raises(ValueError, match="one entry per layer"):
        entangling_unitary(w3, ranges=(1, 2, 1))
    for bad in [(0, 1), (1, 3), (6, 1), (1, -3)]:
        with pytest.raises(ValueError, match="must not be zero nor divisible by the number of qubits"):
            entangling_unitary(w3, ranges=bad)
    with pytest.raises(ValueError, match="zeros for a single qubit"):
        entangling_unitary(torch.zeros(2, 1, 3), ranges=(1, 0))
    # zeros are fine for one qubit
    entangling_unitary(torch.zeros(2, 1, 3), ranges=(0, 0))


@pytest.mark.parametrize("shape", [(3,), (2, 3), (2, 3, 2), (2, 3, 4), (2, 3, 3, 1)])
def test_entangling_unitary_wrong_weight_shape(shape):
    with pytest.raises(ValueError, match=r"weights must have shape \(\.\.\., n_layers, n_qubits, 3\)"):
        entangling_unitary(torch.zeros(shape))


def test_entangling_unitary_empty_layers_or_qubits():
    with pytest.raises(ValueError, match="at least one layer and one qubit"):
        entangling_unitary(torch.zeros(0, 2, 3))
    with pytest.raises(ValueError, match="at least one layer and one qubit"):
        entangling_unitary(torch.zeros(2, 0, 3))


def test_entangling_unitary_type_errors():
    with pytest.raises(TypeError, match="real floating-point torch.Tensor"):
        entangling_unitary(torch.zeros(1, 2, 3, dtype=torch.int64))
    with pytest.raises(TypeError, match="real floating-point torch.Tensor"):
        entangling_unitary(np.zeros((1, 2, 3)))


# --------------------------------------------------------------------------------------------------
# reference_qnode
# --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("n_qubits, C", [(1, 2), (2, 3), (3, 5), (3, 8)])
def test_reference_qnode_expval(n_qubits, C):
    w = random_weights(2, n_qubits, 3, seed=C)
    feats = torch.randn(C, dtype=torch.float64)
    res = reference_qnode(n_qubits, 2)(feats, w)
    assert len(res) == n_qubits
    vals = torch.stack([torch.as_tensor(r) for r in res])
    expected = torch.stack(list(pl_circuit(n_qubits, "expval")(feats, w)))
    torch.testing.assert_close(vals, expected, atol=1e-12, rtol=0)
    assert torch.all(vals.abs() <= 1 + 1e-12)


@pytest.mark.parametrize("n_qubits, C", [(1, 1), (2, 4), (3, 6)])
def test_reference_qnode_probs(n_qubits, C):
    w = random_weights(3, n_qubits, 3, seed=C)
    feats = torch.randn(C, dtype=torch.float64)
    probs = torch.as_tensor(reference_qnode(n_qubits, 3, measurement="probs")(feats, w))
    assert probs.shape == (2**n_qubits,)
    torch.testing.assert_close(probs.sum(), torch.tensor(1.0, dtype=probs.dtype), atol=1e-12, rtol=0)
    torch.testing.assert_close(probs, pl_circuit(n_qubits, "probs")(feats, w), atol=1e-12, rtol=0)


def test_reference_qnode_broadcast_and_custom_ranges():
    w = random_weights(2, 3, 3, seed=9)
    feats = torch.randn(4, 5, dtype=torch.float64)
    res = reference_qnode(3, 2, ranges=(2, 1))(feats, w)
    vals = torch.stack(list(res), -1)
    assert vals.shape == (4, 3)
    expected = torch.stack(list(pl_circuit(3, "expval", (2, 1))(feats, w)), -1)
    torch.testing.assert_close(vals, expected, atol=1e-12, rtol=0)


@pytest.mark.parametrize("measurement", ["expval", "probs"])
def test_reference_qnode_zero_features_read_ground_state(measurement):
    w = random_weights(2, 3, 3, seed=8)
    q = reference_qnode(3, 2, measurement=measurement)
    zero = torch.zeros(5, dtype=torch.float64)
    e0 = torch.zeros(5, dtype=torch.float64)
    e0[0] = 1.0
    a, b = q(zero, w), q(e0, w)
    if measurement == "expval":
        a, b = torch.stack(list(a)), torch.stack(list(b))
    assert torch.isfinite(a).all()
    torch.testing.assert_close(a, b, atol=1e-12, rtol=0)
    # and it is not the output of some other state
    c = q(torch.tensor([0.0, 1.0, 0.0, 0.0, 0.0], dtype=torch.float64), w)
    c = torch.stack(list(c)) if measurement == "expval" else c
    assert not torch.allclose(a, c, atol=1e-3)


def test_reference_qnode_zero_features_gradient_finite():
    w = random_weights(2, 2, 3, seed=1)
    feats = torch.zeros(3, 3, dtype=torch.float64)
    feats[1] = torch.tensor([0.3, -1.0, 2.0], dtype=torch.float64)
    feats.requires_grad_(True)
    res = torch.stack(list(reference_qnode(2, 2, diff_method="backprop")(feats, w)), -1)
    res.sum().backward()
    assert torch.isfinite(feats.grad).all()
    assert torch.all(feats.grad[[0, 2]] == 0)
    assert feats.grad[1].abs().sum() > 0


def test_reference_qnode_bad_measurement():
    with pytest.raises(ValueError, match="measurement must be one of"):
        reference_qnode(2, 1, measurement="sample")


def test_reference_qnode_bad_ranges():
    with pytest.raises(ValueError, match="must not be zero nor divisible"):
        reference_qnode(3, 2, ranges=(3, 1))
    with pytest.raises(ValueError, match="one entry per layer"):
        reference_qnode(3, 2, ranges=(1,))


# --------------------------------------------------------------------------------------------------
# draw
# --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "kwargs",
    [dict(n_qubits=3, n_layers=2), dict(n_qubits=1, n_layers=1), dict(n_qubits=2, n_layers=2, measurement="probs"),
     dict(n_qubits=3, n_layers=2, expand=False), dict(n_qubits=4, n_layers=3, ranges=(3, 2, 1))],
)
def test_draw_returns_figure(kwargs, close_figures):
    import matplotlib.figure

    result = draw(**kwargs)
    fig = result[0] if isinstance(result, tuple) else result
    assert isinstance(fig, matplotlib.figure.Figure)


def test_draw_errors(close_figures):
    with pytest.raises(ValueError, match="measurement must be one of"):
        draw(2, 1, measurement="state")
    with pytest.raises(ValueError, match="one entry per layer"):
        draw(3, 2, ranges=(1,))


@pytest.mark.parametrize("n_qubits, n_layers", [(1, 1), (2, 1), (3, 2), (4, 3)])
def test_draw_shows_each_gate_exactly_once(n_qubits, n_layers):
    from qpcnn_edu.quantum.circuits import _drawing_circuit

    def as_text(expand):
        qnode, args = _drawing_circuit(n_qubits, n_layers, "expval", None, None, expand)
        return qml.draw(qnode)(*args)

    text = as_text(expand=True)
    assert text.count("Rot") == n_qubits * n_layers
    cnots = n_layers * n_qubits if n_qubits > 1 else 0  # one CNOT per wire per layer (a ring); none on one qubit
    assert text.count("●") == cnots  # one control dot per CNOT
    assert as_text(expand=False).count("StronglyEntanglingLayers") >= 1


def test_half_precision_weights_are_refused_clearly():
    with pytest.raises(TypeError, match=r"weights must be float32 or float64 .*got torch.float16\. Convert them"):
        entangling_unitary(torch.zeros(1, 2, 3, dtype=torch.float16))
