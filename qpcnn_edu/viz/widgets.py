"""Interactive explorers for the book (ipywidgets + matplotlib), and the static figures they draw.

Every explorer comes in two halves:

* ``plot_*(...)`` draws one view and returns a matplotlib ``Figure``. The book calls these for the static
  figures of the HTML pages, which must be useful without a running kernel.
* ``*_explorer(...)`` / ``*_viewer(...)`` / ``*_dashboard(...)`` returns an ``ipywidgets.VBox``: its controls
  (sliders, drop-downs) above an output area that redraws the view whenever a control changes. The box carries
  ``.controls`` (a dict of the control widgets by name), ``.figure`` (the latest figure) and ``.update()``, so
  it can be driven and tested without a display:

  >>> box = encoding_explorer(n_channels=3)
  >>> box.controls["x0"].value, box.controls["x2"].value = 0.0, 0.3
  >>> [round(float(a), 3) for a in box.state]
  [0.0, 0.707, 0.707, 0.0]

The figures here only use the package's public functions (:func:`~qpcnn_edu.amplitude_encode`,
:func:`~qpcnn_edu.entangling_unitary`, :func:`~qpcnn_edu.draw`, :class:`~qpcnn_edu.QuantumPointwiseConv2d`,
:mod:`qpcnn_edu.report`), so what a reader sees is what the layer computes.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Sequence

import torch

from ..lab.results import find_results_dir
from ..quantum.circuits import default_ranges, draw, entangling_unitary
from ..quantum.encoding import amplitude_encode, n_qubits_for
from ..nn.layers import QuantumPointwiseConv2d

__all__ = [
    "basis_labels",
    "single_qubit_entropies",
    "plot_encoding",
    "encoding_explorer",
    "plot_circuit_summary",
    "circuit_explorer",
    "plot_feature_maps",
    "feature_map_viewer",
    "find_results_dir",
    "plot_accuracy_dashboard",
    "accuracy_dashboard",
]

QUANTUM_COLOR = "tab:purple"
CLASSICAL_COLOR = "tab:gray"
MAX_CHANNELS = 8  # the encoding explorer's sliders (3 qubits)


# ==================================================================================================
# shared helpers
# ==================================================================================================
def _plt():
    import matplotlib.pyplot as plt

    return plt


def _explorer(controls: dict, render, layout=None, watch=None):
    """A VBox of ``controls`` above an output area; ``render(box)`` returns a Figure (or raises ValueError).

    Changing any control named in ``watch`` (default: all) redraws; the caller calls ``box.update()`` itself after
    changing unwatched controls.
    """
    import ipywidgets as widgets
    from IPython import get_ipython
    from IPython.display import display

    output = widgets.Output()
    message = widgets.HTML()
    box = widgets.VBox([layout or widgets.HBox(list(controls.values())), message, output])
    box.controls = controls
    box.figure = None
    box.message = message

    def update(*_):
        plt = _plt()
        try:
            fig = render(box)
        except ValueError as error:  # a combination of controls that is not allowed: say why, keep the rest
            message.value = f"<b>Not possible:</b> {error}"
            return
        message.value = ""
        if box.figure is not None:
            plt.close(box.figure)
        box.figure = fig
        if get_ipython() is not None:  # in a kernel: show it in the output area (tests only keep .figure)
            with output:
                output.clear_output(wait=True)
                display(fig)
        plt.close(fig)  # shown once through the output area, not again by the inline backend

    for name in controls if watch is None else watch:
        controls[name].observe(update, names="value")
    box.update = update
    update()
    return box


def basis_labels(n_qubits: int) -> list:
    """``['|00>', '|01>', '|10>', '|11>']`` for two qubits: PennyLane's wire order (wire 0 is the leftmost bit)."""
    return [f"|{i:0{n_qubits}b}⟩" for i in range(2**n_qubits)]


def single_qubit_entropies(states: torch.Tensor) -> torch.Tensor:
    """Von Neumann entropy in bits of each qubit's reduced state, for pure states ``(..., 2**n)``.

    0 means the qubit is not entangled with the others; 1 is the maximum (a maximally mixed qubit).

    >>> bell = torch.tensor([1.0, 0.0, 0.0, 1.0]) / 2**0.5
    >>> single_qubit_entropies(bell)
    tensor([1.0000, 1.0000], dtype=torch.float64)
    >>> single_qubit_entropies(torch.tensor([0.0, 1.0, 0.0, 0.0]))
    tensor([0., 0.], dtype=torch.float64)
    """
    states = torch.as_tensor(states).to(torch.complex128)
    dim = states.shape[-1]
    n = int(round(math.log2(dim)))
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


# ==================================================================================================
# amplitude encoding
# ==================================================================================================
def plot_encoding(values: Sequence[float]):
    """Channel values of one pixel → padded, normalized amplitudes and measurement probabilities.

    Args:
        values (Sequence[float]): the pixel's ``C`` channel values.

    Returns:
        matplotlib.figure.Figure: three panels: the raw values, the amplitudes (padding hatched) and the
        probabilities of the basis states.
    """
    x = torch.as_tensor(values, dtype=torch.float64).flatten()
    if x.numel() == 0 or not torch.isfinite(x).all():
        raise ValueError(f"values must be a non-empty sequence of finite numbers; got {list(x.tolist())}.")
    C = x.numel()
    n = n_qubits_for(C)
    amps = amplitude_encode(x.unsqueeze(0), dim=1)[0]
    plt = _plt()
    fig, axes = plt.subplots(1, 3, figsize=(11, 3.2), gridspec_kw={"width_ratios": [C, 2**n, 2**n]})
    axes[0].bar(range(C), x.numpy(), color=CLASSICAL_COLOR)
    axes[0].set_xticks(range(C), [f"x{c}" for c in range(C)])
    axes[0].set_title(f"pixel: {C} channel value{'s' if C > 1 else ''}, ‖x‖ = {x.norm():.3g}")
    labels = basis_labels(n)
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
        ax.set_xticks(range(2**n), labels, rotation=90 if n > 2 else 0)
    for ax in axes[:2]:
        ax.axhline(0, color="black", linewidth=0.6)
    if x.abs().max() == 0:
        axes[1].text(0.5, 0.9, "all-zero pixel → |0…0⟩ (convention)", transform=axes[1].transAxes, ha="center")
    fig.tight_layout()
    return fig


def encoding_explorer(n_channels: int = 5, values: Sequence[float] | None = None):
    """Sliders for a pixel's channel values (and their number) → its amplitude-encoded state.

    Args:
        n_channels (int): initial number of channels, 1 to 8.
        values (Sequence[float], optional): initial values (default: a fixed example).

    Returns:
        ipywidgets.VBox: with ``.controls`` (``"channels"``, ``"x0"`` … ``"x7"``), ``.figure`` and ``.state``
        (the current amplitudes).
    """
    import ipywidgets as widgets

    if not isinstance(n_channels, int) or not 1 <= n_channels <= MAX_CHANNELS:
        raise ValueError(f"n_channels must be an integer from 1 to {MAX_CHANNELS}; got {n_channels!r}.")
    start = list(values) if values is not None else [0.8, 0.3, 0.0, 0.5, 0.1, 0.6, 0.2, 0.4]
    start = (start + [0.0] * MAX_CHANNELS)[:MAX_CHANNELS]
    controls = {"channels": widgets.IntSlider(value=n_channels, min=1, max=MAX_CHANNELS, description="channels C")}
    for c in range(MAX_CHANNELS):
        controls[f"x{c}"] = widgets.FloatSlider(value=float(start[c]), min=-1.0, max=1.0, step=0.05,
                                                description=f"x{c}", continuous_update=False,
                                                layout=widgets.Layout(width="260px"))
    def render(box):
        C = controls["channels"].value
        for c in range(MAX_CHANNELS):
            controls[f"x{c}"].disabled = c >= C
        vals = [controls[f"x{c}"].value for c in range(C)]
        box.state = amplitude_encode(torch.tensor([vals], dtype=torch.float64), dim=1)[0]
        return plot_encoding(vals)

    sliders = [controls[f"x{c}"] for c in range(MAX_CHANNELS)]
    layout = widgets.VBox([controls["channels"], widgets.HBox([widgets.VBox(sliders[:4]), widgets.VBox(sliders[4:])])])
    return _explorer(controls, render, layout)


# ==================================================================================================
# entangling circuits
# ==================================================================================================
def _seeded_weights(n_layers: int, n_qubits: int, seed: int) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return torch.rand(n_layers, n_qubits, 3, generator=generator, dtype=torch.float64) * 2 * math.pi


def plot_circuit_summary(n_qubits: int = 3, n_layers: int = 2, ranges: Sequence[int] | None = None,
                         seed: int = 0, n_samples: int = 256):
    """The QPC circuit's drawing, its parameter count and how entangled its output states are.

    The weights are drawn uniformly from ``[0, 2π)`` with ``seed`` (the layer's initialization). The lower
    panel compares each qubit's entanglement entropy (0: unentangled, 1: maximal) in the amplitude-encoded
    input states and in the circuit's output states, averaged over ``n_samples`` random non-negative pixels
    (post-ReLU-like), ``2**n_qubits`` channels each.

    Returns:
        matplotlib.figure.Figure
    """
    for value, name, low in ((n_qubits, "n_qubits", 1), (n_layers, "n_layers", 1), (n_samples, "n_samples", 1)):
        if not isinstance(value, int) or value < low:
            raise ValueError(f"{name} must be an integer >= {low}; got {value!r}.")
    if ranges is None:
        ranges = default_ranges(n_qubits, n_layers) if n_qubits > 1 else None
    weights = _seeded_weights(n_layers, n_qubits, seed)
    fig, ax = draw(n_qubits, n_layers, ranges=ranges, weights=weights, decimals=None)
    width, height = fig.get_size_inches()
    scale = min(1.0, 9.0 / width)  # wide circuits: shrink the drawing and its labels together (readable in a book)
    if scale < 1.0:
        _plt().close(fig)
        fig, ax = draw(n_qubits, n_layers, ranges=ranges, weights=weights, decimals=None, fontsize=14 * scale)
        width, height = width * scale, height * scale
    U = entangling_unitary(weights, ranges=ranges)
    generator = torch.Generator().manual_seed(seed + 1)
    pixels = torch.randn(n_samples, 2**n_qubits, generator=generator, dtype=torch.float64).abs()
    states_in = amplitude_encode(pixels, dim=1).to(U.dtype)
    states_out = states_in @ U.T
    s_in = single_qubit_entropies(states_in).mean(0)
    s_out = single_qubit_entropies(states_out).mean(0)

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


def circuit_explorer(n_qubits: int = 3, n_layers: int = 2, seed: int = 0):
    """Qubits, layers, CNOT range and weight seed → drawing, parameter count, output entanglement.

    Returns:
        ipywidgets.VBox: with ``.controls`` (``"qubits"``, ``"layers"``, ``"range"``, ``"seed"``) and ``.figure``.
        ``"range"`` 0 means PennyLane's default ranges; a range must be smaller than the number of qubits.
    """
    import ipywidgets as widgets

    controls = {
        "qubits": widgets.IntSlider(value=n_qubits, min=1, max=6, description="qubits"),
        "layers": widgets.IntSlider(value=n_layers, min=1, max=6, description="layers"),
        "range": widgets.IntSlider(value=0, min=0, max=5, description="range (0=default)",
                                   style={"description_width": "initial"}),
        "seed": widgets.IntSlider(value=seed, min=0, max=20, description="weight seed"),
    }

    def render(_):
        n, L, r = controls["qubits"].value, controls["layers"].value, controls["range"].value
        if r and r >= n:
            raise ValueError(f"a CNOT range must be smaller than the number of qubits ({n}); got {r}. "
                             "Lower the range or add qubits.")
        ranges = [r] * L if r else None
        return plot_circuit_summary(n, L, ranges=ranges, seed=controls["seed"].value)

    return _explorer(controls, render)


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


def plot_feature_maps(image, n_layers: int = 2, n_kernels: int = 1, seed: int = 0, stem_channels: int = 8,
                      shots: int | None = None, depolarizing: float = 0.0):
    """An image's QPC feature maps next to those of a classical 1×1 convolution with as many outputs.

    As in a QPCNN, a seeded 3×3 convolution + ReLU ("stem") first turns the image into ``stem_channels``
    feature maps; every pixel's ``stem_channels`` values then go through a QPC layer (``n_qubits =
    ceil(log2 stem_channels)`` maps per kernel, each in ``[-1, 1]``) and through a seeded ``nn.Conv2d(…, 1)``.
    Both layers are untrained (seeded initialization): the figure shows what the layers compute, not what
    training makes of them. ``shots`` (samples per pixel, seeded) and ``depolarizing`` (noise after every
    entangling layer) show the same QPC maps as a quantum computer would estimate them (chapter 9).

    Returns:
        matplotlib.figure.Figure: the input, one row per QPC kernel, and a row of classical maps.
    """
    image = _as_image(image)
    with torch.random.fork_rng(devices=[]):  # seeded layers, without touching the caller's random state
        torch.manual_seed(seed)
        stem = torch.nn.Sequential(torch.nn.Conv2d(image.shape[0], stem_channels, 3, padding=1), torch.nn.ReLU())
        qpc = QuantumPointwiseConv2d(stem_channels, n_layers=n_layers, n_kernels=n_kernels, shots=shots, seed=seed,
                                     depolarizing=depolarizing)
        conv = torch.nn.Conv2d(stem_channels, qpc.n_qubits, 1)
    with torch.no_grad():
        features = stem(image.unsqueeze(0))
        quantum = qpc(features)[0]
        classical = conv(features)[0]
    n = qpc.n_qubits
    plt = _plt()
    rows = n_kernels + 1
    fig, axes = plt.subplots(rows, n + 1, figsize=(1.9 * (n + 1), 1.95 * rows), squeeze=False)
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
    readout = (f"; {shots} shots/pixel" if shots else "") + (f"; depolarizing p={depolarizing:g}" if depolarizing
                                                             else "")
    fig.suptitle(f"{n_kernels} QPC kernel{'s' if n_kernels > 1 else ''} × {n} qubits, {n_layers} layer"
                 f"{'s' if n_layers > 1 else ''} ({qpc.weights.numel()} weights){readout} vs a 1×1 conv "
                 f"({sum(p.numel() for p in conv.parameters())} weights)", fontsize=10)
    fig.tight_layout()
    return fig


def feature_map_viewer(images, n_layers: int = 2, n_kernels: int = 1, seed: int = 0, shots: int | None = None,
                       depolarizing: float = 0.0):
    """Pick an image, the QPC depth, the number of kernels, a seed, shots and noise → its feature maps.

    Args:
        images: a tensor ``(N, C, H, W)`` or a sequence of images.

    Returns:
        ipywidgets.VBox: with ``.controls`` (``"image"``, ``"layers"``, ``"kernels"``, ``"seed"``, ``"shots"``
        (0 = exact), ``"noise"`` (depolarizing strength)) and ``.figure``.
    """
    import ipywidgets as widgets

    if len(images) == 0:
        raise ValueError("images must hold at least one image; got an empty collection.")
    controls = {
        "image": widgets.IntSlider(value=0, min=0, max=len(images) - 1, description="image"),
        "layers": widgets.IntSlider(value=n_layers, min=1, max=6, description="layers"),
        "kernels": widgets.IntSlider(value=n_kernels, min=1, max=3, description="kernels"),
        "seed": widgets.IntSlider(value=seed, min=0, max=20, description="seed"),
        "shots": widgets.Dropdown(options=[("exact", 0), ("10", 10), ("100", 100), ("1,000", 1000),
                                           ("10,000", 10000)], value=shots or 0, description="shots/pixel"),
        "noise": widgets.FloatSlider(value=depolarizing, min=0.0, max=0.5, step=0.01, description="depolarizing",
                                     continuous_update=False),
    }

    def render(_):
        return plot_feature_maps(images[controls["image"].value], n_layers=controls["layers"].value,
                                 n_kernels=controls["kernels"].value, seed=controls["seed"].value,
                                 shots=controls["shots"].value or None, depolarizing=controls["noise"].value)

    layout = widgets.VBox([widgets.HBox([controls[k] for k in ("image", "layers", "kernels")]),
                           widgets.HBox([controls[k] for k in ("seed", "shots", "noise")])])
    return _explorer(controls, render, layout)


# ==================================================================================================
# committed results
# ==================================================================================================
def _records(results_dir, dataset, models=None, seeds=None):
    from ..lab.experiments import load_results

    records = load_results(results_dir, dataset) if results_dir is not None else []
    return [r for r in records if (models is None or r["config"]["name"] in models)
            and (seeds is None or r["config"]["seed"] in seeds)]


def plot_accuracy_dashboard(results_dir=None, dataset: str = "fashion-mnist", models=None, seeds=None):
    """Accuracy vs parameters and learning curves of committed runs (mean ± std over the chosen seeds).

    Args:
        results_dir: the results folder (default: :func:`find_results_dir`).
        dataset (str): the dataset's folder under ``results_dir``.
        models, seeds: optional subsets (model names, seed numbers).

    Returns:
        matplotlib.figure.Figure: two panels, or one panel saying that no results match.
    """
    from ..lab.report import aggregate, plot_accuracy_vs_parameters, plot_learning_curves

    results_dir = find_results_dir(results_dir)
    records = _records(results_dir, dataset, models, seeds)
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


def accuracy_dashboard(results_dir=None, dataset: str | None = None):
    """Pick a dataset, models and seeds from the committed results → accuracy vs parameters and curves.

    Returns:
        ipywidgets.VBox: with ``.controls`` (``"dataset"``, ``"models"``, ``"seeds"``) and ``.figure``.
        Without any result files it shows a message saying how to produce them.
    """
    import ipywidgets as widgets

    results_dir = find_results_dir(results_dir)
    datasets = sorted(p.name for p in Path(results_dir).iterdir() if p.is_dir() and any(p.glob("*.json"))) \
        if results_dir is not None else []
    if dataset is not None and dataset not in datasets:
        datasets.append(dataset)
    dataset = dataset or (datasets[0] if datasets else "fashion-mnist")
    controls = {
        "dataset": widgets.Dropdown(options=datasets or [dataset], value=dataset, description="dataset"),
        "models": widgets.SelectMultiple(description="models", rows=8),
        "seeds": widgets.SelectMultiple(description="seeds", rows=4),
    }

    def fill():  # offer (and select) every model and seed of the chosen dataset
        records = _records(results_dir, controls["dataset"].value)
        names = sorted({r["config"]["name"] for r in records})
        seeds = sorted({r["config"]["seed"] for r in records})
        controls["models"].options, controls["models"].value = names, tuple(names)
        controls["seeds"].options, controls["seeds"].value = seeds, tuple(seeds)

    def render(_):
        return plot_accuracy_dashboard(results_dir, controls["dataset"].value,
                                       models=set(controls["models"].value), seeds=set(controls["seeds"].value))

    fill()
    box = _explorer(controls, render, watch=("models", "seeds"))

    def change_dataset(_):  # refill models and seeds without redrawing at every step, then draw once
        for name in ("models", "seeds"):
            controls[name].unobserve(box.update, names="value")
        fill()
        for name in ("models", "seeds"):
            controls[name].observe(box.update, names="value")
        box.update()

    controls["dataset"].observe(change_dataset, names="value")
    return box
