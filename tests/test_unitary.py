"""Tests of qpcnn_edu.quantum.unitary: the fast build of U (gathered layer matrices, and the Kronecker path for
large circuits) against the tracked build, and the analytic vector-Jacobian product against autograd."""

from __future__ import annotations

import pytest
import torch

from qpcnn_edu.quantum.circuits import check_ranges
from qpcnn_edu.quantum.unitary import GATHER_MAX_DIMENSION, build_unitary, unitary_and_trace, unitary_vjp

FP64 = dict(atol=1e-11, rtol=1e-10)
# (leading dims, layers, qubits, ranges): one wire, default and custom rings, kernels, deep, both build paths
CASES = [((), 1, 1, None), ((2,), 3, 1, None), ((), 2, 2, None), ((3,), 2, 3, None), ((), 4, 3, (2, 1, 2, 2)),
         ((2,), 5, 4, (3, 1, 2, 3, 1)), ((), 8, 5, None), ((2, 2), 2, 3, None), ((), 2, 6, None), ((), 2, 7, None)]


def weights_of(lead, L, n, seed=0, dtype=torch.float64):
    return torch.rand(*lead, L, n, 3, generator=torch.Generator().manual_seed(seed), dtype=dtype) * 12.6 - 6.3


def test_cases_cover_both_build_paths():
    dims = {2**n for _, _, n, _ in CASES}
    assert min(dims) <= GATHER_MAX_DIMENSION < max(dims)


@pytest.mark.parametrize("lead, L, n, ranges", CASES)
def test_fast_unitary_equals_tracked_build(lead, L, n, ranges):
    ranges = check_ranges(ranges, n, L)
    w = weights_of(lead, L, n)
    u, (mats, before, phi) = unitary_and_trace(w, ranges)
    torch.testing.assert_close(u, build_unitary(w, ranges), **FP64)
    B, D = mats.shape[0], 2**n
    assert mats.shape == before.shape == (B, L, D, D)
    eye = torch.eye(D, dtype=u.dtype).expand(B, D, D)
    torch.testing.assert_close(before[:, 0], eye, atol=0, rtol=0)  # V_0 = I
    for l in range(1, L):  # V_l = W_{l-1} V_{l-1}
        torch.testing.assert_close(before[:, l], mats[:, l - 1] @ before[:, l - 1], **FP64)
    torch.testing.assert_close(mats[:, -1] @ before[:, -1], u.reshape(B, D, D), **FP64)
    angle = w.reshape(B, L, n, 3)[..., 0]
    torch.testing.assert_close(phi, torch.stack([angle.cos(), angle.sin()], -1), **FP64)


@pytest.mark.parametrize("lead, L, n, ranges", CASES)
def test_vjp_equals_autograd(lead, L, n, ranges):
    ranges = check_ranges(ranges, n, L)
    w = weights_of(lead, L, n, seed=1).requires_grad_(True)
    _, trace = unitary_and_trace(w.detach(), ranges)
    gen = torch.Generator().manual_seed(2)
    D = 2**n
    for _ in range(2):  # two random cotangents, complex
        g = torch.complex(torch.randn(*lead, D, D, generator=gen, dtype=torch.float64),
                          torch.randn(*lead, D, D, generator=gen, dtype=torch.float64))
        (expected,) = torch.autograd.grad(build_unitary(w, ranges), w, g)
        torch.testing.assert_close(unitary_vjp(g, w.detach(), ranges, trace), expected, **FP64)
        conj = g.conj().resolve_conj()
        torch.testing.assert_close(unitary_vjp(conj, w.detach(), ranges, trace, conjugated=True), expected, **FP64)


def test_vjp_of_a_real_loss_equals_finite_differences():
    """Independent of torch's complex convention: d/dw of a real function of U, by central differences."""
    ranges = check_ranges(None, 3, 2)
    w = weights_of((), 2, 3, seed=4)
    target = torch.randn(8, 8, dtype=torch.complex128, generator=torch.Generator().manual_seed(5))

    def loss(v):
        return (build_unitary(v, ranges) * target).real.sum()  # Re sum(U * T): real, not holomorphic-friendly

    u, trace = unitary_and_trace(w, ranges)
    grad = unitary_vjp(target.conj(), w, ranges, trace)  # d Re(U T)/dRe U + i d/dIm U = conj(T)
    eps = 1e-6
    for index in [(0, 0, 0), (0, 1, 1), (1, 2, 2), (1, 0, 1)]:
        step = torch.zeros_like(w)
        step[index] = eps
        numeric = (loss(w + step) - loss(w - step)) / (2 * eps)
        assert abs(float(grad[index]) - float(numeric)) < 1e-8


def test_float32_matches_float64():
    ranges = check_ranges(None, 3, 2)
    w = weights_of((2,), 2, 3, seed=6)
    g = torch.randn(2, 8, 8, dtype=torch.complex128, generator=torch.Generator().manual_seed(7))
    u64, t64 = unitary_and_trace(w, ranges)
    u32, t32 = unitary_and_trace(w.float(), ranges)
    assert u32.dtype == torch.complex64
    torch.testing.assert_close(u32.to(torch.complex128), u64, atol=1e-5, rtol=1e-5)
    grad32 = unitary_vjp(g.to(torch.complex64), w.float(), ranges, t32)
    torch.testing.assert_close(grad32.double(), unitary_vjp(g, w, ranges, t64), atol=1e-4, rtol=1e-4)
