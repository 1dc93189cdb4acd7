"""Shared helpers: independent PennyLane ground truth for the QPC layer.

Nothing here calls into ``qpcnn_edu``: the reference circuits are built from PennyLane's own
``AmplitudeEmbedding`` / ``StronglyEntanglingLayers`` templates, and the zero-pixel convention
(an all-zero channel vector is encoded as |0...0>) is re-implemented here from its specification.
"""

from __future__ import annotations

import functools
import warnings

import matplotlib

matplotlib.use("Agg")  # headless: draw() must not need a display

import numpy as np  # noqa: E402
import pennylane as qml  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

warnings.filterwarnings("ignore", category=DeprecationWarning)


@functools.lru_cache(maxsize=None)
def pl_circuit(n_qubits: int, measurement: str = "expval", ranges: tuple | None = None):
    """PennyLane QNode (default.qubit, backprop): AmplitudeEmbedding -> StronglyEntanglingLayers -> readout.

    Features are raw (padding and normalization by PennyLane); zero rows must be replaced by the caller.
    """
    wires = list(range(n_qubits))
    dev = qml.device("default.qubit", wires=n_qubits)

    @qml.qnode(dev, interface="torch", diff_method="backprop")
    def circuit(features, weights):
        qml.AmplitudeEmbedding(features, wires=wires, pad_with=0.0, normalize=True)
        if ranges is None:
            qml.StronglyEntanglingLayers(weights, wires=wires)
        else:
            qml.StronglyEntanglingLayers(weights, wires=wires, ranges=ranges)
        if measurement == "probs":
            return qml.probs(wires=wires)
        return [qml.expval(qml.PauliZ(w)) for w in wires]

    return circuit


def zero_pixels_to_ground(pixels: torch.Tensor) -> torch.Tensor:
    """Spec of the zero-pixel convention: rows that are exactly zero become e_0 = (1, 0, ..., 0)."""
    zero = (pixels == 0).all(-1, keepdim=True)
    e0 = torch.zeros_like(pixels)
    e0[..., 0] = 1.0
    return torch.where(zero, e0, pixels)


def pennylane_layer(x: torch.Tensor, weights: torch.Tensor, measurement: str = "expval", ranges=None):
    """Independent ground truth of QuantumPointwiseConv2d: (B, C, H, W), (K, L, n, 3) -> (B, K*m, H, W).

    Differentiable w.r.t. ``x`` and ``weights`` (PennyLane backprop through torch).
    """
    B, C, H, W = x.shape
    K, L, n, _ = weights.shape
    pixels = zero_pixels_to_ground(x.permute(0, 2, 3, 1).reshape(-1, C))
    circuit = pl_circuit(n, measurement, None if ranges is None else tuple(ranges))
    outs = []
    for k in range(K):
        res = circuit(pixels, weights[k])
        if measurement == "expval":
            res = torch.stack(list(res), -1)
        outs.append(res.reshape(pixels.shape[0], -1))
    out = torch.cat(outs, 1).to(x.dtype)
    return out.reshape(B, H, W, -1).permute(0, 3, 1, 2)


def make_input(B, C, H, W, dtype=torch.float64, zero_pixels=((0, 0, 0), (1, 2, 1)), seed=0):
    """Random input with the listed (batch, row, col) pixels set to all-zero channel vectors."""
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(B, C, H, W, generator=gen, dtype=torch.float64)
    for b, i, j in zero_pixels:
        if b < B and i < H and j < W:
            x[b, :, i, j] = 0.0
    return x.to(dtype)


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(1234)
    np.random.seed(1234)
    yield


@pytest.fixture
def close_figures():
    import matplotlib.pyplot as plt

    yield
    plt.close("all")


def pytest_configure(config):
    """Data tests: point ``QPCNN_EDU_DATA`` at the read-only ``shared/data`` folder beside the repository.

    Only when that folder exists and the variable is unset, so CI exercises the full-FashionMNIST tests
    (which copy into a temporary cache and check that nothing is written there); elsewhere they skip.
    """
    import os
    from pathlib import Path

    shared = Path(__file__).resolve().parents[2] / "shared" / "data"
    if not os.environ.get("QPCNN_EDU_DATA") and shared.is_dir():
        os.environ["QPCNN_EDU_DATA"] = str(shared)
