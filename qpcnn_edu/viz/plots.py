"""The book's static figures: each ``plot_*`` function draws one view and returns a matplotlib ``Figure`` (one
module for all of them, so the explorers and the gallery share one drawing of each view; hence its length).

The HTML book shows these (it has no kernel); the explorers of :mod:`qpcnn_edu.viz.widgets` redraw them when a
control moves, and :mod:`qpcnn_edu.viz.gallery` lays several of them side by side. The figures use only the
package's own functions (:func:`~qpcnn_edu.amplitude_encode`, :func:`~qpcnn_edu.draw`,
:class:`~qpcnn_edu.QuantumPointwiseConv2d`, :mod:`qpcnn_edu.quantum.entanglement`, :mod:`qpcnn_edu.lab.report`),
so what a reader sees is what the layer computes.

>>> import matplotlib
>>> matplotlib.use("Agg")
>>> fig = plot_encoding((3.0, 4.0, 0.0))
>>> [round(float(bar.get_height()), 3) for bar in fig.axes[1].patches[:4]]  # the padded, normalized amplitudes
[0.6, 0.8, 0.0, 0.0]
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import torch

from .. import _checks
from ..lab.results import find_results_dir
from ..nn.layers import QuantumPointwiseConv2d
from ..quantum.circuits import default_ranges, draw
from ..quantum.encoding import amplitude_encode, n_qubits_for
from ..quantum.entanglement import basis_labels, encoded_vs_output_entropies, random_weights

__all__ = ["QUANTUM_COLOR", "CLASSICAL_COLOR", "plot_encoding", "plot_circuit_summary", "feature_maps",
           "plot_feature_maps", "select_runs", "plot_accuracy_dashboard"]

QUANTUM_COLOR = "tab:purple"
CLASSICAL_COLOR = "tab:gray"


def _plt():
    import matplotlib.pyplot as plt

    return plt


# ==================================================================================================
# amplitude encoding
# ==================================================================================================
def plot_encoding(values: Sequence[float], axes=None):
    """Channel values of one pixel → padded, normalized amplitudes and measurement probabilities.

    Args:
        values (Sequence[float]): the pixel's ``C`` channel values.
        axes (Sequence[matplotlib.axes.Axes], optional): three axes to draw into (default: a new figure).

    Returns:
        matplotlib.figure.Figure: three panels: the raw values, the amplitudes (padding shaded) and the
        probabilities of the basis states.

    Raises:
        ValueError: for an empty pixel or one with NaN or infinite values.

    >>> fig = plot_encoding((0.0, 0.0))  # the all-zero pixel: |0⟩ by convention
    >>> [float(bar.get_height()) for bar in fig.axes[2].patches]
    [1.0, 0.0]
    """
    x = torch.as_tensor(values, dtype=torch.float64).flatten()
    if x.numel() == 0 or not torch.isfinite(x).all():
        raise ValueError(f"values must be a non-empty sequence of finite numbers; got {list(x.tolist())}.")
    C = x.numel()
    n = n_qubits_for(C)
    amps = amplitude_encode(x.unsqueeze(0), dim=1)[0]
    if axes is None:
        fig, axes = _plt().subplots(1, 3, figsize=(11, 3.2), gridspec_kw={"width_ratios": [C, 2**n, 2**n]})
    fig = axes[0].figure
    axes[0].bar(range(C), x.numpy(), color=CLASSICAL_COLOR)
    axes[0].set_xticks(range(C), [f"x{c}" for c in range(C)])
    axes[0].set_title(f"pixel: {C} channel value{'s' if C > 1 else ''}, ‖x‖ = {x.norm():.3g}")
    axes[1].bar(range(2**n), amps.numpy(), color=QUANTUM_COLOR)
    if C < 2**n:  # the zero padding: shade it
        axes[1].axvspan(C - 0.5, 2**n - 0.5, color="0.9", zorder=0)
        axes[1].text((C - 0.5 + 2**n - 0.5) / 2, 0.5, "zero\npadding", ha="center", va="center", fontsize=9,
                     transform=axes[1].get_xaxis_transform(), color="0.35")
    axes[1].set_title(f"amplitudes on {n} qubit{'s' if n > 1 else ''} ({2**n - C} padded)")
    axes[2].bar(range(2**n), (amps**2).numpy(), color=QUANTUM_COLOR, alpha=0.6)
    axes[2].set_ylim(0, 1)
    axes[2].set_title("probabilities |amplitude|²  (sum = 1)")
    for ax in axes[1:]:
        ax.set_xticks(range(2**n), basis_labels(n), rotation=90 if n > 2 else 0)
    for ax in axes[:2]:
        ax.axhline(0, color="black", linewidth=0.6)
    if x.abs().max() == 0:
        axes[1].text(0.5, 0.9, "all-zero pixel → |0…0⟩ (convention)", transform=axes[1].transAxes, ha="center")
    fig.tight_layout()
    return fig


# ==================================================================================================
# entangling circuits
# ==================================================================================================
def plot_circuit_summary(n_qubits: int = 3, n_layers: int = 2, ranges: Sequence[int] | None = None,
                         seed: int = 0, n_samples: int = 256):
    """The QPC circuit's drawing, its parameter count and how entangled its output states are.

    The weights are drawn uniformly from ``[0, 2π)`` with ``seed`` (the layer's initialization). The lower
    panel compares each qubit's entanglement entropy (0: unentangled, 1: maximal) in the amplitude-encoded
    input states and in the circuit's output states, averaged over ``n_samples`` random non-negative pixels
    (post-ReLU-like), ``2**n_qubits`` channels each
    (:func:`~qpcnn_edu.quantum.entanglement.encoded_vs_output_entropies`).

    Returns:
        matplotlib.figure.Figure

    >>> fig = plot_circuit_summary(2, 1, n_samples=16)
    >>> fig._suptitle.get_text()
    '2 qubits, 1 layer, ranges (1,): 6 trainable angles (3 per Rot), 2 CNOTs'
    """
    n_qubits = _checks.int_in_range(n_qubits, "n_qubits", 1)
    n_layers = _checks.int_in_range(n_layers, "n_layers", 1)
    n_samples = _checks.int_in_range(n_samples, "n_samples", 1)
    if ranges is None:
        ranges = default_ranges(n_qubits, n_layers) if n_qubits > 1 else None
    weights = random_weights(n_layers, n_qubits, seed)
    fig, ax = draw(n_qubits, n_layers, ranges=ranges, weights=weights, decimals=None)
    width, height = fig.get_size_inches()
    scale = min(1.0, 9.0 / width)  # wide circuits: shrink the drawing and its labels together (readable in a book)
    if scale < 1.0:
        _plt().close(fig)
        fig, ax = draw(n_qubits, n_layers, ranges=ranges, weights=weights, decimals=None, fontsize=14 * scale)
        width, height = width * scale, height * scale
    s_in, s_out = encoded_vs_output_entropies(weights, ranges=ranges, n_samples=n_samples, seed=seed + 1)

    # make room under the drawing for the entanglement panel (and keep the drawing's aspect ratio)
    extra, top = 2.6, 0.45
    total = height + extra + top
    fig_width = max(width, 6.0)
    fig.set_size_inches(fig_width, total)
    left = (1 - width / fig_width) / 2
    ax.set_position([left, extra / total, width / fig_width, height / total])
    n_params = 3 * n_layers * n_qubits
    n_cnots = n_layers * n_qubits if n_qubits > 1 else 0
    fig.suptitle(f"{n_qubits} qubits, {n_layers} layer{'s' if n_layers > 1 else ''}, ranges {tuple(ranges or ())}: "
                 f"{n_params} trainable angles (3 per Rot), {n_cnots} CNOTs", fontsize=11, y=1 - 0.1 / total)
    bars = fig.add_axes([0.12, 0.12 * extra / total + 0.02, 0.8, 0.62 * extra / total])
    q = list(range(n_qubits))
    bars.bar([k - 0.2 for k in q], s_in.numpy(), width=0.4, color=CLASSICAL_COLOR, label="encoded input")
    bars.bar([k + 0.2 for k in q], s_out.numpy(), width=0.4, color=QUANTUM_COLOR, label="after the circuit")
    bars.set_xticks(q, [f"qubit {k}" for k in q])
    bars.set_ylim(0, 1.35)
    bars.set_yticks([0, 0.25, 0.5, 0.75, 1.0])
    bars.set_ylabel("entropy (bits)")
    bars.set_title(f"entanglement of each qubit with the rest (mean over {n_samples} random pixels)", fontsize=10)
    bars.legend(fontsize=8, loc="upper right", ncol=2)
    return fig


# ==================================================================================================
# feature maps
# ==================================================================================================
def _as_image(image) -> torch.Tensor:
    image = torch.as_tensor(image, dtype=torch.float32)
    if image.dim() == 2:
        image = image.unsqueeze(0)
    if image.dim() == 4 and image.shape[0] == 1:
        image = image[0]
    if image.dim() != 3:
        raise ValueError(f"image must have shape (H, W) or (C, H, W); got {tuple(image.shape)}.")
    return image


def feature_maps(image, n_layers: int = 2, n_kernels: int = 1, seed: int = 0, stem_channels: int = 8,
                 shots: int | None = None, depolarizing: float = 0.0) -> dict:
    """An image's QPC feature maps and those of a classical 1×1 convolution with as many outputs (untrained).

    As in a QPCNN, a seeded 3×3 convolution + ReLU ("stem") first turns the image into ``stem_channels``
    feature maps; every pixel's ``stem_channels`` values then go through a QPC layer (``n_qubits =
    ceil(log2 stem_channels)`` maps per kernel, each in ``[-1, 1]``) and through a seeded ``nn.Conv2d(…, 1)``.
    ``shots`` (samples per pixel, seeded) and ``depolarizing`` (noise after every entangling layer) give the
    QPC maps as a quantum computer would estimate them. The caller's random state is left untouched.

    Returns:
        dict: ``"image"`` ``(C, H, W)``, ``"quantum"`` ``(n_kernels * n_qubits, H, W)``, ``"classical"``
        ``(n_qubits, H, W)``, ``"n_qubits"``, ``"quantum_weights"`` and ``"classical_weights"`` (counts).

    >>> maps = feature_maps(torch.rand(8, 8), n_layers=1, shots=10)
    >>> tenths = maps["quantum"] * 10  # 10 shots per pixel: every estimate is a multiple of 1/10
    >>> maps["quantum"].shape, torch.allclose(tenths, tenths.round(), atol=1e-4)
    (torch.Size([3, 8, 8]), True)
    """
    image = _as_image(image)
    with torch.random.fork_rng(devices=[]):  # seeded layers, without touching the caller's random state
        torch.manual_seed(seed)
        stem = torch.nn.Sequential(torch.nn.Conv2d(image.shape[0], stem_channels, 3, padding=1), torch.nn.ReLU())
        qpc = QuantumPointwiseConv2d(stem_channels, n_layers=n_layers, n_kernels=n_kernels, shots=shots, seed=seed,
                                     depolarizing=depolarizing)
        conv = torch.nn.Conv2d(stem_channels, qpc.n_qubits, 1)
    with torch.no_grad():
        features = stem(image.unsqueeze(0))  # (1, stem_channels, H, W)
        quantum, classical = qpc(features)[0], conv(features)[0]
    return {"image": image, "quantum": quantum, "classical": classical, "n_qubits": qpc.n_qubits,
            "quantum_weights": qpc.weights.numel(), "classical_weights": sum(p.numel() for p in conv.parameters())}


def plot_feature_maps(image, n_layers: int = 2, n_kernels: int = 1, seed: int = 0, stem_channels: int = 8,
                      shots: int | None = None, depolarizing: float = 0.0):
    """An image's QPC feature maps next to those of a classical 1×1 convolution with as many outputs.

    The maps are those of :func:`feature_maps` (same arguments): untrained, seeded layers, so the figure shows
    what the layers compute, not what training makes of them.

    Returns:
        matplotlib.figure.Figure: the input, one row per QPC kernel, and a row of classical maps.

    >>> fig = plot_feature_maps(torch.rand(8, 8), n_layers=1, n_kernels=2)
    >>> [ax.get_title() for ax in fig.axes if ax.get_title().startswith("QPC k1")]
    ['QPC k1 ⟨Z0⟩', 'QPC k1 ⟨Z1⟩', 'QPC k1 ⟨Z2⟩']
    """
    maps = feature_maps(image, n_layers, n_kernels, seed, stem_channels, shots, depolarizing)
    image, quantum, classical, n = maps["image"], maps["quantum"], maps["classical"], maps["n_qubits"]
    rows = n_kernels + 1
    fig, axes = _plt().subplots(rows, n + 1, figsize=(1.9 * (n + 1), 1.95 * rows), squeeze=False)
    shown = image[0] if image.shape[0] == 1 else image.permute(1, 2, 0)
    if image.shape[0] != 1:
        shown = (shown - shown.min()) / (shown.max() - shown.min() + 1e-12)
    axes[0, 0].imshow(shown.numpy(), cmap="gray")
    axes[0, 0].set_title("input", fontsize=9)
    for r in range(1, rows):
        axes[r, 0].axis("off")
    axes[-1, 0].text(0.5, 0.5, f"stem: 3×3 conv\n→ {stem_channels} channels\n+ ReLU", ha="center", va="center",
                     fontsize=9, transform=axes[-1, 0].transAxes)
    for k in range(n_kernels):
        for q in range(n):
            ax = axes[k, q + 1]
            ax.imshow(quantum[k * n + q].numpy(), cmap="RdBu_r", vmin=-1, vmax=1)
            ax.set_title(f"QPC k{k} ⟨Z{q}⟩", fontsize=9, color=QUANTUM_COLOR)
    limit = float(classical.abs().max()) or 1.0
    for q in range(n):
        ax = axes[-1, q + 1]
        ax.imshow(classical[q].numpy(), cmap="RdBu_r", vmin=-limit, vmax=limit)
        ax.set_title(f"1×1 conv out {q}", fontsize=9)
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
    readout = (f"; {shots} shots/pixel" if shots else "") + (f"; depolarizing ε={depolarizing:g}" if depolarizing
                                                             else "")
    fig.suptitle(f"{n_kernels} QPC kernel{'s' if n_kernels > 1 else ''} × {n} qubits, {n_layers} layer"
                 f"{'s' if n_layers > 1 else ''} ({maps['quantum_weights']} weights){readout} vs a 1×1 conv "
                 f"({maps['classical_weights']} weights)", fontsize=10)
    fig.tight_layout()
    return fig


# ==================================================================================================
# committed results
# ==================================================================================================
def select_runs(results_dir, dataset: str, models=None, seeds=None) -> list:
    """The result records of ``dataset`` under ``results_dir`` (``None``: no folder, no records), optionally only
    some model names and seeds.

    >>> select_runs(None, "fashion-mnist")
    []
    """
    from ..lab.experiments import load_results

    if results_dir is None or not (Path(results_dir) / dataset).is_dir():
        return []
    records = load_results(results_dir, dataset)
    return [r for r in records if (models is None or r["config"]["name"] in models)
            and (seeds is None or r["config"]["seed"] in seeds)]


def plot_accuracy_dashboard(results_dir=None, dataset: str = "fashion-mnist", models=None, seeds=None):
    """Accuracy vs parameters and learning curves of committed runs (mean ± std over the chosen seeds).

    Args:
        results_dir: the results folder (default: :func:`~qpcnn_edu.lab.results.find_results_dir`).
        dataset (str): the dataset's folder under ``results_dir``.
        models, seeds: optional subsets (model names, seed numbers).

    Returns:
        matplotlib.figure.Figure: two panels, or one panel saying that no results match.

    >>> fig = plot_accuracy_dashboard(dataset="fashion-mnist", models={"no-such-model"})
    >>> "No result files" in fig.axes[0].texts[0].get_text()
    True
    """
    from ..lab.report import aggregate
    from .result_plots import plot_accuracy_vs_parameters, plot_learning_curves

    results_dir = find_results_dir(results_dir)
    records = select_runs(results_dir, dataset, models, seeds)
    plt = _plt()
    if not records:
        fig, ax = plt.subplots(figsize=(8, 1.6))
        ax.axis("off")
        where = f"{results_dir}/{dataset}" if results_dir is not None else "any results folder"
        ax.text(0.5, 0.5, f"No result files for {dataset!r} in {where} match this choice.\n"
                f"Run: python -m qpcnn_edu reproduce --dataset {dataset} --profile full",
                ha="center", va="center", fontsize=10)
        return fig
    table = aggregate(records)
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.4))
    plot_accuracy_vs_parameters(table, title=f"{dataset}: final test accuracy vs parameters", ax=axes[0])
    plot_learning_curves(table, title=f"{dataset}: test accuracy per epoch", ax=axes[1])
    fig.tight_layout()
    return fig
