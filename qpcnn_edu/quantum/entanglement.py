"""How entangled the QPC layer's states are: basis-state names and single-qubit entanglement entropies.

The book's figures (:mod:`qpcnn_edu.viz.plots`) draw these numbers; the physics lives here, next to the
encoding and the circuit it describes.

Qubit order
    As in PennyLane (and :mod:`qpcnn_edu.quantum.encoding`), wire 0 is the most significant bit.
"""

from __future__ import annotations

import math

import torch

from .circuits import entangling_unitary
from .encoding import amplitude_encode

__all__ = ["basis_labels", "single_qubit_entropies", "random_weights", "encoded_vs_output_entropies"]


def basis_labels(n_qubits: int) -> list:
    """The names of the ``2**n_qubits`` basis states, in PennyLane's wire order (wire 0 is the leftmost bit).

    >>> basis_labels(2)
    ['|00⟩', '|01⟩', '|10⟩', '|11⟩']
    """
    if not isinstance(n_qubits, int) or n_qubits < 1:
        raise ValueError(f"n_qubits must be an integer >= 1; got {n_qubits!r}.")
    return [f"|{i:0{n_qubits}b}⟩" for i in range(2**n_qubits)]


def single_qubit_entropies(states: torch.Tensor) -> torch.Tensor:
    """Von Neumann entropy in bits of each qubit's reduced state, for pure states ``(..., 2**n)``.

    0 means the qubit is not entangled with the others; 1 is the maximum (a maximally mixed qubit).

    Args:
        states (torch.Tensor): shape ``(..., 2**n)``, real or complex, normalized.

    Returns:
        torch.Tensor: shape ``(..., n)``, float64.

    Raises:
        ValueError: when the last dimension is not a power of two (at least 2).

    >>> bell = torch.tensor([1.0, 0.0, 0.0, 1.0]) / 2**0.5
    >>> single_qubit_entropies(bell)
    tensor([1.0000, 1.0000], dtype=torch.float64)
    >>> single_qubit_entropies(torch.tensor([0.0, 1.0, 0.0, 0.0]))
    tensor([0., 0.], dtype=torch.float64)
    """
    states = torch.as_tensor(states).to(torch.complex128)
    dim = states.shape[-1]
    n = int(round(math.log2(dim))) if dim > 0 else 0
    if dim != 2**n or n < 1:
        raise ValueError(f"states must have 2**n amplitudes in their last dimension; got {dim}.")
    psi = states.reshape(*states.shape[:-1], *([2] * n))
    lead = states.dim() - 1
    entropies = []
    for k in range(n):
        a = psi.movedim(lead + k, -1).reshape(*states.shape[:-1], -1, 2)  # (..., rest, 2)
        rho = a.transpose(-1, -2) @ a.conj()  # (..., 2, 2): reduced density matrix of qubit k
        p = torch.linalg.eigvalsh(rho).real.clamp(min=0.0)
        terms = torch.where(p > 1e-15, -p * torch.log2(p.clamp(min=1e-300)), torch.zeros_like(p))
        entropies.append(terms.sum(-1).clamp(min=0.0))
    return torch.stack(entropies, -1)


def random_weights(n_layers: int, n_qubits: int, seed: int = 0) -> torch.Tensor:
    """Circuit angles drawn uniformly from ``[0, 2π)`` with ``seed``, as the QPC layer initializes them.

    Returns:
        torch.Tensor: shape ``(n_layers, n_qubits, 3)``, float64.

    >>> random_weights(2, 3, seed=0).shape
    torch.Size([2, 3, 3])
    """
    generator = torch.Generator().manual_seed(seed)
    return torch.rand(n_layers, n_qubits, 3, generator=generator, dtype=torch.float64) * 2 * math.pi


def encoded_vs_output_entropies(weights: torch.Tensor, ranges=None, n_samples: int = 256, seed: int = 1):
    """Mean entanglement entropy of each qubit before and after the circuit, over random non-negative pixels.

    ``n_samples`` pixels of ``2**n_qubits`` channels (absolute values of seeded normal draws, like post-ReLU
    activations) are amplitude-encoded and sent through the circuit of ``weights``.

    Args:
        weights (torch.Tensor): shape ``(n_layers, n_qubits, 3)``.
        ranges (Sequence[int], optional): CNOT ranges (default: PennyLane's).

    Returns:
        tuple[torch.Tensor, torch.Tensor]: the mean entropies (bits) per qubit of the encoded inputs and of the
        circuit's outputs, each of shape ``(n_qubits,)``.

    >>> s_in, s_out = encoded_vs_output_entropies(random_weights(2, 3), n_samples=64)
    >>> bool((s_out > s_in).all())
    True
    """
    if not isinstance(n_samples, int) or n_samples < 1:
        raise ValueError(f"n_samples must be an integer >= 1; got {n_samples!r}.")
    U = entangling_unitary(weights, ranges=ranges)
    generator = torch.Generator().manual_seed(seed)
    pixels = torch.randn(n_samples, U.shape[-1], generator=generator, dtype=torch.float64).abs()
    states_in = amplitude_encode(pixels, dim=1).to(U.dtype)  # (N, 2**n)
    states_out = states_in @ U.T  # (N, 2**n)
    return single_qubit_entropies(states_in).mean(0), single_qubit_entropies(states_out).mean(0)
