"""Finite shots and depolarizing noise for the fast simulator, exactly and cheaply.

**Noise.** A single-qubit depolarizing channel of strength ``p`` (PennyLane's ``DepolarizingChannel``: Kraus
operators ``sqrt(1-p) I`` and ``sqrt(p/3) X, Y, Z``) is

.. math:: \\mathcal{E}(\\rho) = (1 - \\tfrac{4p}{3})\\,\\rho + \\tfrac{4p}{3}\\, \\tfrac{I}{2} \\otimes \\operatorname{Tr}_q \\rho,

and it is its own adjoint. We apply it to every qubit after every entangling layer. Because the readout is linear in
the state, the noisy output of a pixel is still a quadratic form of its amplitude-encoded state:
``<O> = Tr(O E(rho)) = psi^† E^†(O) psi``, where the *Heisenberg-picture observable* ``E^†(O)`` is obtained by pulling
``O`` back through the circuit, layer by layer:
``M = V_1^† N^†( V_2^† N^†( ... V_L^† N^†(O) V_L ... ) V_2 ) V_1``. :func:`noisy_observables` builds these
``D x D`` matrices once per forward pass; every pixel then costs one ``C x C`` quadratic form per output, exactly as
in the noiseless layer — no density matrices per pixel. Gradients flow through this construction by autograd.

**Shots.** With ``S`` shots, a quantum computer estimates each ``<Z_k>`` from ``S`` samples of qubit ``k``:
``2 * Binomial(S, (1 + <Z_k>)/2) / S - 1``; and the ``2**n`` probabilities from ``Multinomial(S, p)``.
:func:`sample_outputs` draws exactly these estimates from the exact outputs (seeded), so the fast backend emulates a
shot-based device without simulating samples one by one. Each qubit's estimate has the exact distribution of an
``S``-shot estimate; the correlations between the estimates of different qubits of one pixel (they come from the same
shots on a device) are not reproduced, which does not change any per-qubit statistic.

**Gradients with shots** (fast backend): the forward value is the ``S``-shot estimate and the backward pass is the
exact gradient of its *expected* value (a straight-through estimator). That is the average of what shot-based
parameter-shift gradients would give on a device; for literally shot-based gradients use ``backend="pennylane"``
with ``diff_method="parameter-shift"`` and ``shots``.
"""

from __future__ import annotations

import torch

from .. import _checks
from .circuits import MEASUREMENTS, entangling_unitary
from .simulator import observable_diagonals

__all__ = ["depolarize_observables", "noisy_observables", "sample_outputs"]


def depolarize_observables(obs: torch.Tensor, n_qubits: int, p: float) -> torch.Tensor:
    """Apply the adjoint depolarizing channel of strength ``p`` to every qubit of observables ``obs``.

    Args:
        obs (torch.Tensor): ``(..., D, D)`` with ``D = 2**n_qubits``; wire 0 is the most significant bit.
        n_qubits (int): number of qubits.
        p (float): depolarizing probability in ``[0, 1]``.

    Returns:
        torch.Tensor: ``(..., D, D)``.

    >>> z = torch.diag(torch.tensor([1.0, -1.0]))
    >>> depolarize_observables(z, 1, 0.3)  # <Z> shrinks by 1 - 4p/3
    tensor([[ 0.6000,  0.0000],
            [ 0.0000, -0.6000]])
    """
    p = _checks.probability(p, "depolarizing")
    if p == 0.0:
        return obs
    keep, mix = 1.0 - 4.0 * p / 3.0, 4.0 * p / 3.0
    batch = obs.shape[:-2]
    for q in range(n_qubits):
        a, b = 2**q, 2 ** (n_qubits - q - 1)
        t = obs.reshape(*batch, a, 2, b, a, 2, b)
        traced = t.diagonal(dim1=-5, dim2=-2).sum(-1)  # (..., a, b, a, b): Tr_q O
        eye = torch.eye(2, dtype=obs.dtype, device=obs.device)
        full = traced[..., :, None, :, :, None, :] * eye[:, None, None, :, None] / 2  # I_q (x) Tr_q O / 2
        obs = (keep * t + mix * full).reshape(*batch, 2**n_qubits, 2**n_qubits)
    return obs


def noisy_observables(weights: torch.Tensor, ranges, measurement: str, depolarizing: float = 0.0) -> torch.Tensor:
    """Heisenberg-picture observables of the circuit with depolarizing noise after every layer.

    Args:
        weights (torch.Tensor): ``(n_kernels, n_layers, n_qubits, 3)``.
        ranges (tuple): CNOT range per layer.
        measurement (str): ``"expval"`` (``Z`` on each wire) or ``"probs"`` (each basis-state projector).
        depolarizing (float): strength ``p`` of the channel applied to every qubit after every layer.

    Returns:
        torch.Tensor: complex Hermitian ``(n_kernels, m, D, D)``; a pixel's output is ``psi^† M psi``.
    """
    K, L, n, _ = weights.shape
    D = 2**n
    rdtype = weights.dtype
    cdtype = torch.complex128 if rdtype == torch.float64 else torch.complex64
    diag = observable_diagonals(measurement, n)
    obs = torch.diag_embed(diag.to(device=weights.device, dtype=rdtype)).to(cdtype)  # (m, D, D)
    obs = obs.expand(K, *obs.shape)  # (K, m, D, D)
    for layer in reversed(range(L)):
        v = entangling_unitary(weights[:, layer : layer + 1], tuple(ranges[layer : layer + 1]))  # (K, D, D)
        obs = depolarize_observables(obs, n, depolarizing)
        obs = v.conj().transpose(-1, -2)[:, None] @ obs @ v[:, None]
    return obs


def sample_outputs(exact: torch.Tensor, measurement: str, n_qubits: int, shots: int,
                   generator: torch.Generator | None = None) -> torch.Tensor:
    """``shots``-sample estimates of exact outputs, as a quantum computer would return them.

    Args:
        exact (torch.Tensor): ``(n_kernels * m, N)`` exact ``<Z_k>`` (``"expval"``, ``m = n_qubits``) or
            probabilities (``"probs"``, ``m = 2**n_qubits``), one column per pixel.
        measurement (str): ``"expval"`` or ``"probs"``.
        n_qubits (int): qubits per circuit.
        shots (int): samples per circuit execution (per pixel and kernel).
        generator (torch.Generator, optional): source of randomness (seed it for reproducible estimates).

    Returns:
        torch.Tensor: estimates, same shape and dtype as ``exact``; no gradient.

    >>> g = torch.Generator().manual_seed(0)
    >>> est = sample_outputs(torch.full((1, 100000), 0.5), "expval", 1, 100, g)
    >>> round(float(est.mean()), 2), round(float(est.std()), 3)  # std = sqrt(1 - 0.5**2) / sqrt(100)
    (0.5, 0.087)
    """
    shots = _checks.positive_int(shots, "shots")
    _checks.one_of(measurement, "measurement", MEASUREMENTS)
    exact = exact.detach()
    work = exact.double()
    count = torch.full_like(work, float(shots))
    if measurement == "expval":
        p0 = ((1.0 + work) / 2).clamp(0.0, 1.0)
        k = torch.binomial(count, p0, generator=generator)
        return (2.0 * k / shots - 1.0).to(exact.dtype)
    D = 2**n_qubits
    probs = work.clamp(min=0.0).view(-1, D, work.shape[-1])  # (K, D, N)
    probs = probs / probs.sum(1, keepdim=True).clamp(min=1e-300)
    left = torch.full_like(probs[:, 0], float(shots))  # (K, N) shots not yet assigned
    mass = torch.ones_like(left)  # probability mass not yet assigned
    counts = []
    for j in range(D):  # a multinomial as a chain of conditional binomials
        if j == D - 1:
            c = left
        else:
            q = torch.where(mass > 0, probs[:, j] / mass.clamp(min=1e-300), torch.zeros_like(mass)).clamp(0.0, 1.0)
            c = torch.binomial(left, q, generator=generator)
        counts.append(c)
        left = left - c
        mass = mass - probs[:, j]
    return (torch.stack(counts, 1) / shots).reshape(exact.shape).to(exact.dtype)
