"""The Bloch sphere: every one-qubit state, up to its global phase, as a point on the unit sphere.

A state ``cos(θ/2)|0⟩ + e^{iφ} sin(θ/2)|1⟩`` has the Bloch vector
``(⟨X⟩, ⟨Y⟩, ⟨Z⟩) = (sin θ cos φ, sin θ sin φ, cos θ)``: |0⟩ at the north pole, |1⟩ at the south
pole, real amplitudes on the great circle of the x–z plane. The book's primer draws it with :func:`plot_bloch`.

>>> import torch
>>> [round(v, 6) for v in bloch_vector(torch.tensor([1, 1]) / 2**0.5)]  # |+>: on the x axis
[1.0, 0.0, 0.0]
>>> [round(v, 6) for v in bloch_vector(state_from_angles(theta=3.141592653589793, phi=0.0))]  # |1>: south pole
[0.0, 0.0, -1.0]
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import torch

__all__ = ["state_from_angles", "bloch_vector", "plot_bloch"]

_X = torch.tensor([[0, 1], [1, 0]], dtype=torch.complex128)
_Y = torch.tensor([[0, -1j], [1j, 0]], dtype=torch.complex128)
_Z = torch.tensor([[1, 0], [0, -1]], dtype=torch.complex128)


def state_from_angles(theta: float, phi: float) -> torch.Tensor:
    """The one-qubit state ``cos(θ/2)|0⟩ + e^{iφ} sin(θ/2)|1⟩``, shape ``(2,)``, complex128.

    >>> psi = state_from_angles(theta=math.pi / 2, phi=math.pi / 2)  # (|0> + i|1>) / sqrt(2)
    >>> psi.dtype, [complex(round(a.real, 6), round(a.imag, 6)) for a in psi.tolist()]
    (torch.complex128, [(0.707107+0j), 0.707107j])
    """
    return torch.tensor([math.cos(theta / 2), complex(math.cos(phi), math.sin(phi)) * math.sin(theta / 2)],
                        dtype=torch.complex128)


def bloch_vector(psi) -> tuple[float, float, float]:
    """The Bloch vector ``(⟨X⟩, ⟨Y⟩, ⟨Z⟩)`` of a one-qubit state ``psi`` (shape ``(2,)``, normalized here).

    Raises:
        ValueError: if ``psi`` does not hold two amplitudes, or is zero.

    >>> [round(v, 6) for v in bloch_vector([1, 1j])]  # normalized here; (|0> + i|1>) / sqrt(2) is on the y axis
    [0.0, 1.0, 0.0]
    >>> bloch_vector([0, 0])
    Traceback (most recent call last):
        ...
    ValueError: psi must not be the zero vector; got all zeros.
    """
    psi = torch.as_tensor(psi).to(torch.complex128).flatten()
    if psi.numel() != 2:
        raise ValueError(f"psi must hold the 2 amplitudes of one qubit; got {psi.numel()}.")
    norm = float(psi.norm())
    if norm == 0:
        raise ValueError("psi must not be the zero vector; got all zeros.")
    psi = psi / norm
    return tuple(float((psi.conj() @ P @ psi).real) for P in (_X, _Y, _Z))


def plot_bloch(states: Sequence = (), labels: Sequence[str] = (), ax=None, title: str | None = None,
               path: Sequence | None = None):
    """Draw the Bloch sphere with the given one-qubit states as arrows (and, optionally, a path of states).

    Args:
        states: one-qubit states (each two amplitudes).
        labels: a label per state (may be shorter than ``states``).
        ax: a 3D matplotlib axes to draw into; a new figure when ``None``.
        title: the axes' title.
        path: more states, drawn as a dotted curve (e.g. a rotation sweeping a state round an axis).

    Returns:
        matplotlib.figure.Figure

    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> fig = plot_bloch([state_from_angles(0, 0), state_from_angles(math.pi / 2, 0)], ["|0>", "|+>"], title="two")
    >>> len(fig.axes), fig.axes[0].get_title(), [text.get_text() for text in fig.axes[0].texts][-2:]
    (1, 'two', ['|0>', '|+>'])
    >>> plt.close(fig)
    """
    import matplotlib.pyplot as plt

    if ax is None:
        fig = plt.figure(figsize=(3.6, 3.6))
        ax = fig.add_subplot(projection="3d")
    u, v = np.linspace(0, 2 * np.pi, 40), np.linspace(0, np.pi, 20)
    ax.plot_wireframe(np.outer(np.cos(u), np.sin(v)), np.outer(np.sin(u), np.sin(v)),
                      np.outer(np.ones_like(u), np.cos(v)), color="0.85", lw=0.4)
    t = np.linspace(0, 2 * np.pi, 100)
    ax.plot(np.cos(t), 0 * t, np.sin(t), color="tab:orange", lw=0.8, alpha=0.7)  # real amplitudes: the x-z circle
    for axis, (dx, dy, dz) in {"x": (1, 0, 0), "y": (0, 1, 0), "z": (0, 0, 1)}.items():
        ax.plot([-dx, dx], [-dy, dy], [-dz, dz], color="0.5", lw=0.6)
        ax.text(1.25 * dx, 1.25 * dy, 1.25 * dz, axis, color="0.4", fontsize=8)
    ax.text(0, 0, 1.12, "|0⟩", ha="center", fontsize=9)
    ax.text(0, 0, -1.3, "|1⟩", ha="center", fontsize=9)
    if path is not None and len(path):
        points = np.array([bloch_vector(s) for s in path])
        ax.plot(points[:, 0], points[:, 1], points[:, 2], ":", color="tab:purple", lw=1.5)
    for i, state in enumerate(states):
        x, y, z = bloch_vector(state)
        color = f"C{i}"
        ax.quiver(0, 0, 0, x, y, z, color=color, lw=2, arrow_length_ratio=0.12)
        if i < len(labels):
            ax.text(1.12 * x, 1.12 * y, 1.12 * z, labels[i], color=color, fontsize=9)
    ax.set_xlim(-1, 1)
    ax.set_ylim(-1, 1)
    ax.set_zlim(-1, 1)
    ax.set_box_aspect((1, 1, 1), zoom=1.3)
    ax.set_axis_off()
    ax.view_init(elev=20, azim=30)
    if title:
        ax.set_title(title, fontsize=9)
    return ax.figure
