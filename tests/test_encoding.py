"""Tests of qpcnn_edu.quantum.encoding against PennyLane's embeddings and closed-form ground truth."""

from __future__ import annotations

import math

import numpy as np
import pennylane as qml
import pytest
import torch

from qpcnn_edu import amplitude_encode, angle_encode, n_qubits_for


# --------------------------------------------------------------------------------------------------
# helpers (PennyLane ground truth)
# --------------------------------------------------------------------------------------------------
def pl_amplitude_state(features: np.ndarray, n_qubits: int) -> np.ndarray:
    dev = qml.device("default.qubit", wires=n_qubits)

    @qml.qnode(dev)
    def circuit(f):
        qml.AmplitudeEmbedding(f, wires=range(n_qubits), pad_with=0.0, normalize=True)
        return qml.state()

    return np.asarray(circuit(features))


def pl_angle_state(angles: np.ndarray) -> np.ndarray:
    n = angles.shape[-1]
    dev = qml.device("default.qubit", wires=n)

    @qml.qnode(dev)
    def circuit(a):
        qml.AngleEmbedding(a, wires=range(n), rotation="Y")
        return qml.state()

    return np.asarray(circuit(angles))


# --------------------------------------------------------------------------------------------------
# n_qubits_for
# --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "channels, expected",
    [(1, 1), (2, 1), (3, 2), (4, 2), (5, 3), (7, 3), (8, 3), (9, 4), (16, 4), (17, 5), (1024, 10), (1025, 11)],
)
def test_n_qubits_for_table(channels, expected):
    assert n_qubits_for(channels) == expected


def test_n_qubits_for_is_minimal_for_all_small_counts():
    for c in range(1, 300):
        n = n_qubits_for(c)
        assert 2**n >= c
        assert n == 1 or 2 ** (n - 1) < c


def test_n_qubits_for_exact_for_huge_counts():
    # ceil(log2(2**k + 1)) == k + 1 exactly; a float log2 rounds 2**k + 1 down to 2**k once k >= 49.
    wrong = [k for k in range(1, 64) if n_qubits_for(2**k) != k or n_qubits_for(2**k + 1) != k + 1]
    assert wrong == []


@pytest.mark.parametrize("bad", [0, -1, 2.5, True, False, "4", None, 4.0])
def test_n_qubits_for_rejects_non_positive_integers(bad):
    with pytest.raises(ValueError, match="n_channels must be a positive integer"):
        n_qubits_for(bad)


# --------------------------------------------------------------------------------------------------
# amplitude_encode
# --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("C", [1, 2, 3, 5, 6, 7, 8, 9, 12, 16])
def test_amplitude_encode_dim1_pads_and_normalizes(C):
    x = torch.randn(2, C, 3, 4, dtype=torch.float64)
    x[1, :, 2, 3] = 0.0
    psi = amplitude_encode(x)  # dim=1
    n = max(1, math.ceil(math.log2(C)))
    assert psi.shape == (2, 2**n, 3, 4)
    assert psi.dtype == torch.float64
    norms = psi.square().sum(1)
    torch.testing.assert_close(norms, torch.ones_like(norms), atol=1e-12, rtol=0)
    # padding is zero, the first C entries are x / |x|
    assert torch.all(psi[:, C:] == 0)
    mask = torch.ones(2, 3, 4, dtype=torch.bool)
    mask[1, 2, 3] = False
    expected = x / x.norm(dim=1, keepdim=True)
    torch.testing.assert_close(psi[:, :C].permute(0, 2, 3, 1)[mask], expected.permute(0, 2, 3, 1)[mask])
    # zero pixel -> e_0
    e0 = torch.zeros(2**n, dtype=torch.float64)
    e0[0] = 1.0
    assert torch.equal(psi[1, :, 2, 3], e0)


@pytest.mark.parametrize("C", [3, 5, 6])
def test_amplitude_encode_last_dim(C):
    x = torch.randn(4, 2, C)
    x[0, 1] = 0.0
    psi = amplitude_encode(x, dim=-1)
    n = n_qubits_for(C)
    assert psi.shape == (4, 2, 2**n)
    assert psi.dtype == torch.float32
    torch.testing.assert_close(psi.norm(dim=-1), torch.ones(4, 2))
    assert torch.equal(psi[0, 1], torch.eye(2**n)[0])
    torch.testing.assert_close(psi[1:, :, :C], x[1:] / x[1:].norm(dim=-1, keepdim=True))
    # same result when the channel axis is given as a positive index, or moved to dim 1
    torch.testing.assert_close(amplitude_encode(x, dim=2), psi)
    torch.testing.assert_close(amplitude_encode(x.movedim(-1, 1), dim=1).movedim(1, -1), psi)


def test_amplitude_encode_middle_dim_on_4d():
    x = torch.randn(2, 3, 5, 4, dtype=torch.float64)
    psi = amplitude_encode(x, dim=2)
    assert psi.shape == (2, 3, 8, 4)
    torch.testing.assert_close(psi[:, :, :5], x / x.norm(dim=2, keepdim=True))
    assert torch.all(psi[:, :, 5:] == 0)


@pytest.mark.parametrize("C, n_qubits", [(3, 3), (3, 4), (1, 2), (5, 5)])
def test_amplitude_encode_larger_n_qubits_pads_more(C, n_qubits):
    x = torch.randn(3, C, dtype=torch.float64)
    psi = amplitude_encode(x, dim=1, n_qubits=n_qubits)
    assert psi.shape == (3, 2**n_qubits)
    torch.testing.assert_close(psi[:, :C], x / x.norm(dim=1, keepdim=True))
    assert torch.all(psi[:, C:] == 0)


def test_amplitude_encode_n_qubits_too_small():
    with pytest.raises(ValueError, match="n_qubits must be at least 3 to encode 5 channels; got 2"):
        amplitude_encode(torch.randn(2, 5), n_qubits=2)
    with pytest.raises(ValueError, match="n_qubits must be at least 4"):
        amplitude_encode(torch.randn(1, 9, 2, 2), dim=1, n_qubits=3)


@pytest.mark.parametrize("dtype", [torch.int64, torch.int32, torch.bool])
def test_amplitude_encode_non_float_type_error(dtype):
    with pytest.raises(TypeError, match="x must have a floating-point dtype"):
        amplitude_encode(torch.ones(2, 3, dtype=dtype))


def test_amplitude_encode_non_tensor_type_error():
    with pytest.raises(TypeError, match="x must be a torch.Tensor"):
        amplitude_encode([[1.0, 2.0, 3.0]])
    with pytest.raises(TypeError, match="x must be a torch.Tensor"):
        amplitude_encode(np.ones((2, 3)))


@pytest.mark.parametrize("C", [3, 5, 6, 7, 11, 13])
def test_amplitude_encode_matches_pennylane_state(C):
    n = n_qubits_for(C)
    x = torch.randn(4, C, dtype=torch.float64)
    psi = amplitude_encode(x, dim=1)
    for i in range(x.shape[0]):
        state = pl_amplitude_state(x[i].numpy(), n)
        np.testing.assert_allclose(psi[i].to(torch.complex128).numpy(), state, atol=1e-12, rtol=0)


def test_amplitude_encode_matches_pennylane_state_with_extra_qubits():
    x = torch.randn(5, dtype=torch.float64)
    psi = amplitude_encode(x, dim=0, n_qubits=4)
    np.testing.assert_allclose(psi.to(torch.complex128).numpy(), pl_amplitude_state(x.numpy(), 4), atol=1e-12)


def test_amplitude_encode_zero_pixel_value_and_gradient():
    x = torch.zeros(2, 3, 2, 2, dtype=torch.float64)
    x[0, :, 1, 1] = torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64)
    x.requires_grad_(True)
    psi = amplitude_encode(x)
    assert torch.isfinite(psi).all()
    e0 = torch.tensor([1.0, 0.0, 0.0, 0.0], dtype=torch.float64)
    assert torch.equal(psi[1, :, 0, 0].detach(), e0)
    weights = torch.randn_like(psi)
    (weights * psi).sum().backward()
    grad = x.grad
    assert torch.isfinite(grad).all()
    zero = torch.ones(2, 2, 2, dtype=torch.bool)
    zero[0, 1, 1] = False
    assert torch.all(grad.permute(0, 2, 3, 1)[zero] == 0)
    # nonzero pixel: d(x/|x|)/dx = (I - p p^T)/|x|
    v = x.detach()[0, :, 1, 1]
    p = v / v.norm()
    jac = (torch.eye(3, dtype=torch.float64) - torch.outer(p, p)) / v.norm()
    expected = jac.T @ weights[0, :3, 1, 1]
    torch.testing.assert_close(grad[0, :, 1, 1], expected, atol=1e-12, rtol=1e-10)


def test_amplitude_encode_float32_zero_pixel_gradient_finite():
    x = torch.zeros(3, 4, requires_grad=True)
    psi = amplitude_encode(x, dim=1)
    assert torch.equal(psi.detach(), torch.eye(4)[0].expand(3, 4))
    psi.sum().backward()
    assert torch.equal(x.grad, torch.zeros(3, 4))


@pytest.mark.parametrize("C", [2, 3, 5])
def test_amplitude_encode_jacobian_matches_closed_form_and_gradcheck(C):
    x = torch.randn(3, C, dtype=torch.float64) + 0.1
    jac = torch.func.jacrev(lambda t: amplitude_encode(t, dim=1))(x)  # (3, D, 3, C)
    for i in range(3):
        v = x[i]
        p = v / v.norm()
        expected = (torch.eye(C, dtype=torch.float64) - torch.outer(p, p)) / v.norm()
        torch.testing.assert_close(jac[i, :C, i], expected, atol=1e-12, rtol=1e-10)
        assert torch.all(jac[i, C:] == 0)
    assert torch.autograd.gradcheck(lambda t: amplitude_encode(t, dim=1), (x.clone().requires_grad_(),))


# --------------------------------------------------------------------------------------------------
# angle_encode
# --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("C", [1, 2, 3, 4])
def test_angle_encode_matches_pennylane(C):
    angles = torch.rand(5, C, dtype=torch.float64) * 4 * math.pi - 2 * math.pi
    state = angle_encode(angles, dim=1)
    assert state.shape == (5, 2**C)
    for i in range(5):
        expected = pl_angle_state(angles[i].numpy())
        np.testing.assert_allclose(state[i].to(torch.complex128).numpy(), expected, atol=1e-12, rtol=0)


def test_angle_encode_4d_dim1_and_unit_norm():
    x = torch.randn(2, 3, 2, 2, dtype=torch.float64)
    state = angle_encode(x, dim=1)
    assert state.shape == (2, 8, 2, 2)
    torch.testing.assert_close(state.square().sum(1), torch.ones(2, 2, 2, dtype=torch.float64))
    expected = pl_angle_state(x[1, :, 0, 1].numpy())
    np.testing.assert_allclose(state[1, :, 0, 1].numpy(), expected.real, atol=1e-12)
    torch.testing.assert_close(angle_encode(x.movedim(1, -1), dim=-1).movedim(-1, 1), state)


def test_angle_encode_too_many_channels():
    angle_encode(torch.zeros(1, 3))  # fine
    with pytest.raises(ValueError, match="at most 20 channels; got 21"):
        angle_encode(torch.zeros(1, 21))


def test_angle_encode_type_error():
    with pytest.raises(TypeError, match="floating-point dtype"):
        angle_encode(torch.zeros(1, 3, dtype=torch.int64))
