"""Small multiples: the experiments the book's explorers invite, laid out side by side in one static figure.

The HTML book has no kernel, so its sliders could not move anything; these figures show, at once, what the
sliders of :mod:`qpcnn_edu.viz.widgets` would show one at a time: the encoding of ``x``, ``3x`` and an all-zero
pixel; circuits of 2–4 qubits and 1–3 layers; feature maps of several images for several depths and seeds; and
feature maps as a quantum computer would estimate them, from exact values down to 10 shots and up to strong noise.

>>> import matplotlib
>>> matplotlib.use("Agg")
>>> fig = plot_encoding_cases((3.0, 4.0), scale=10.0)
>>> [ax.get_title() for ax in fig.axes[::3]]
['pixel: 2 channel values, ‖x‖ = 5', 'pixel: 2 channel values, ‖x‖ = 50', 'pixel: 2 channel values, ‖x‖ = 0']
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import torch

from .. import _checks
from ..quantum.circuits import draw
from ..quantum.encoding import n_qubits_for
from ..quantum.entanglement import encoded_vs_output_entropies, random_weights
from .plots import QUANTUM_COLOR, feature_maps, plot_encoding

__all__ = ["plot_encoding_cases", "plot_circuit_grid", "plot_feature_map_grid", "plot_readout_grid"]

MAP_GAP = 2  # blank pixels between the maps of one cell


def _plt():
    import matplotlib.pyplot as plt

    return plt


def plot_encoding_cases(values: Sequence[float] = (0.8, 0.3, 0.0, 0.5, 0.1), scale: float = 3.0):
    """The encoding of a pixel ``x``, of ``scale · x`` and of the all-zero pixel, one row each.

    The first two rows have the same amplitudes (amplitude encoding is scale-invariant); the third is
    ``|0…0⟩`` (the package's convention for a pixel with no direction).

    Returns:
        matplotlib.figure.Figure: three rows of the panels of :func:`~qpcnn_edu.viz.plots.plot_encoding`.

    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> fig = plot_encoding_cases((1.0, 0.0, 0.0), scale=2.0)
    >>> len(fig.axes), [ax.get_ylabel() for ax in fig.axes[::3]]
    (9, ['x', '2·x', 'all-zero pixel'])
    >>> _plt().close(fig)
    """
    scale = _checks.positive_number(scale, "scale")
    x = [float(v) for v in values]
    n = n_qubits_for(len(x))
    cases = [("x", x), (f"{scale:g}·x", [scale * v for v in x]), ("all-zero pixel", [0.0] * len(x))]
    fig, axes = _plt().subplots(3, 3, figsize=(11, 8.4), gridspec_kw={"width_ratios": [len(x), 2**n, 2**n]})
    for row, (label, pixel) in zip(axes, cases):
        plot_encoding(pixel, axes=row)
        row[0].set_ylabel(label, fontsize=12, fontweight="bold")
    fig.tight_layout()
    return fig


def _figure_image(fig) -> np.ndarray:
    """The pixels of a drawn figure, ``(H, W, 4)``; the figure is closed."""
    fig.canvas.draw()
    pixels = np.asarray(fig.canvas.buffer_rgba()).copy()
    _plt().close(fig)
    return pixels


def plot_circuit_grid(qubits: Sequence[int] = (2, 3, 4), layers: Sequence[int] = (1, 2, 3), seed: int = 0,
                      n_samples: int = 256):
    """The QPC circuit for every number of qubits (rows) and layers (columns), with its counts and entanglement.

    Each panel is the drawing of :func:`~qpcnn_edu.draw` with weights seeded as the layer's initialization; its
    title gives the trainable angles (``3 · L · n``), the CNOTs, and the mean entanglement entropy of a qubit
    before and after the circuit (:func:`~qpcnn_edu.quantum.entanglement.encoded_vs_output_entropies`).

    Returns:
        matplotlib.figure.Figure

    >>> fig = plot_circuit_grid(qubits=(2,), layers=(1, 2), n_samples=8)
    >>> [ax.get_title().split("\\n")[0] for ax in fig.axes]
    ['2 qubits, 1 layer: 6 angles, 2 CNOTs', '2 qubits, 2 layers: 12 angles, 4 CNOTs']
    """
    qubits = [_checks.int_in_range(n, "qubits", 2) for n in qubits]
    layers = [_checks.positive_int(L, "layers") for L in layers]
    fig, axes = _plt().subplots(len(qubits), len(layers), figsize=(5.4 * len(layers), 2.8 * len(qubits)),
                                squeeze=False)
    for row, n in zip(axes, qubits):
        for ax, L in zip(row, layers):
            weights = random_weights(L, n, seed)
            ax.imshow(_figure_image(draw(n, L, weights=weights, decimals=None)[0]))
            ax.axis("off")
            s_in, s_out = encoded_vs_output_entropies(weights, n_samples=n_samples, seed=seed + 1)
            ax.set_title(f"{n} qubits, {L} layer{'s' if L > 1 else ''}: {3 * L * n} angles, {n * L} CNOTs\n"
                         f"entropy per qubit {s_in.mean():.2f} → {s_out.mean():.2f} bits", fontsize=10)
    fig.suptitle(f"seeded weights (seed {seed}); entropy: mean over qubits and {n_samples} random pixels, "
                 "encoded input → after the circuit", fontsize=10)
    fig.tight_layout()
    return fig


def _joined(maps: torch.Tensor) -> np.ndarray:
    """``(n, H, W)`` maps side by side, ``MAP_GAP`` blank (NaN) columns apart: ``(H, n·W + (n-1)·gap)``."""
    n, H, W = maps.shape
    out = np.full((H, n * W + (n - 1) * MAP_GAP), np.nan)
    for q in range(n):
        out[:, q * (W + MAP_GAP): q * (W + MAP_GAP) + W] = maps[q].double().numpy()
    return out


def _show_maps(ax, maps: torch.Tensor, title: str, limit: float = 1.0, color=QUANTUM_COLOR):
    ax.imshow(_joined(maps), cmap="RdBu_r", vmin=-limit, vmax=limit)
    ax.set_title(title, fontsize=11, color=color)
    ax.set_xticks([])
    ax.set_yticks([])


def plot_feature_map_grid(images, n_layers: Sequence[int] = (1, 4), seeds: Sequence[int] = (0, 1)):
    """Several images (rows) through QPC layers of several depths and seeds (columns), and a 1×1 convolution.

    Each panel shows the ``n_qubits`` maps ⟨Z0⟩, ⟨Z1⟩, … of one untrained, seeded QPC layer (one kernel) side by
    side (:func:`~qpcnn_edu.viz.plots.feature_maps`); the last column shows a seeded classical 1×1 convolution's
    maps (drawn with the first column's seed) on their own colour scale.

    Returns:
        matplotlib.figure.Figure

    >>> fig = plot_feature_map_grid(torch.rand(2, 1, 8, 8), n_layers=(1, 2), seeds=(0,))
    >>> [ax.get_title() for ax in fig.axes[:4]]
    ['input', 'QPC, 1 layer, seed 0', 'QPC, 2 layers, seed 0', '1×1 conv, seed 0']
    """
    if len(images) == 0:
        raise ValueError("images must hold at least one image; got an empty collection.")
    columns = [(L, s) for s in seeds for L in n_layers]
    fig, axes = _plt().subplots(len(images), len(columns) + 2, squeeze=False,
                                figsize=(1.2 + 2.6 * (len(columns) + 1), 1.3 * len(images) + 0.7))
    for row, image in zip(axes, images):
        maps = [feature_maps(image, n_layers=L, seed=s) for L, s in columns]
        shown = maps[0]["image"]
        row[0].imshow(shown[0].numpy() if shown.shape[0] == 1 else shown.permute(1, 2, 0).numpy(), cmap="gray")
        row[0].set_title("input", fontsize=11)
        row[0].axis("off")
        for ax, (L, s), m in zip(row[1:], columns, maps):
            _show_maps(ax, m["quantum"], f"QPC, {L} layer{'s' if L > 1 else ''}, seed {s}")
        classical = maps[0]["classical"]
        _show_maps(row[-1], classical, f"1×1 conv, seed {columns[0][1]}", float(classical.abs().max()) or 1.0,
                   color="black")
    fig.suptitle("each panel: one map per qubit ⟨Z0⟩ ⟨Z1⟩ … (QPC in [-1, 1], blue to red; untrained, seeded "
                 "layers)", fontsize=12)
    fig.tight_layout()
    return fig


def plot_readout_grid(image, shots: Sequence = (None, 1000, 100, 10), noise: Sequence[float] = (0.0, 0.03, 0.1, 0.3),
                      n_layers: int = 2, seed: int = 0):
    """One image's QPC maps as a quantum computer would estimate them: shots per pixel (columns) x depolarizing
    noise (rows).

    ``None`` shots means exact expectation values. Each panel shows the ``n_qubits`` maps of the same seeded,
    untrained layer (:func:`~qpcnn_edu.viz.plots.feature_maps`), so the panels differ only in the readout: the
    maps dissolve into sampling noise as shots fall, and fade towards 0 as noise rises.

    Returns:
        matplotlib.figure.Figure

    >>> fig = plot_readout_grid(torch.rand(8, 8), shots=(None, 10), noise=(0.0, 0.75), n_layers=1)
    >>> [ax.get_title() for ax in fig.axes]
    ['exact, ε = 0', '10 shots, ε = 0', 'exact, ε = 0.75', '10 shots, ε = 0.75']
    >>> float(abs(fig.axes[2].images[0].get_array()).max())  # fully depolarizing: every <Z> is 0
    0.0
    """
    shots = [_checks.positive_int(S, "shots", allow_none=True) for S in shots]
    noise = [_checks.probability(p, "noise") for p in noise]
    fig, axes = _plt().subplots(len(noise), len(shots), squeeze=False,
                                figsize=(2.6 * len(shots), 1.3 * len(noise) + 0.7))
    for row, p in zip(axes, noise):
        for ax, S in zip(row, shots):
            maps = feature_maps(image, n_layers=n_layers, seed=seed, shots=S, depolarizing=p)["quantum"]
            _show_maps(ax, maps, f"{'exact' if S is None else f'{S:,} shots'}, ε = {p:g}")
    fig.suptitle(f"QPC maps ⟨Z0⟩ ⟨Z1⟩ … of one image ({n_layers} layers, seed {seed}): shots per pixel "
                 "(columns) × depolarizing noise p (rows)", fontsize=12)
    fig.tight_layout()
    return fig
