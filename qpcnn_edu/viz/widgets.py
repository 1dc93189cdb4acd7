"""Interactive explorers for the book: ipywidgets controls above a figure of :mod:`qpcnn_edu.viz.plots`.

Each ``*_explorer(...)`` / ``*_viewer(...)`` / ``*_dashboard(...)`` returns an ``ipywidgets.VBox``: its controls
(sliders, drop-downs) above an output area that redraws the view whenever a control changes. The box carries
``.controls`` (a dict of the control widgets by name), ``.figure`` (the latest figure) and ``.update()``, so it can
be driven and tested without a display:

>>> import matplotlib
>>> matplotlib.use("Agg")
>>> box = encoding_explorer(n_channels=3)
>>> box.controls["x0"].value, box.controls["x2"].value = 0.0, 0.3
>>> [round(float(a), 3) for a in box.state]
[0.0, 0.707, 0.707, 0.0]

The explorers need a kernel. The HTML book has none: it shows the static figures of :mod:`qpcnn_edu.viz.plots`
and the small multiples of :mod:`qpcnn_edu.viz.gallery` instead.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import torch

from .. import _checks
from ..lab.results import find_results_dir
from ..quantum.encoding import amplitude_encode
from .plots import plot_accuracy_dashboard, plot_circuit_summary, plot_encoding, plot_feature_maps, select_runs

__all__ = ["encoding_explorer", "circuit_explorer", "feature_map_viewer", "accuracy_dashboard"]

MAX_CHANNELS = 8  # the encoding explorer's sliders (3 qubits)


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
        import matplotlib.pyplot as plt

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


def encoding_explorer(n_channels: int = 5, values: Sequence[float] | None = None):
    """Sliders for a pixel's channel values (and their number) → its amplitude-encoded state.

    Args:
        n_channels (int): initial number of channels, 1 to 8.
        values (Sequence[float], optional): initial values (default: a fixed example).

    Returns:
        ipywidgets.VBox: with ``.controls`` (``"channels"``, ``"x0"`` … ``"x7"``), ``.figure`` and ``.state``
        (the current amplitudes).

    >>> box = encoding_explorer(n_channels=2, values=(0.0, 0.0))  # the all-zero pixel: |0⟩ by convention
    >>> box.state.tolist()
    [1.0, 0.0]
    """
    import ipywidgets as widgets

    n_channels = _checks.int_in_range(n_channels, "n_channels", 1, MAX_CHANNELS)
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


def circuit_explorer(n_qubits: int = 3, n_layers: int = 2, seed: int = 0):
    """Qubits, layers, CNOT range and weight seed → drawing, parameter count, output entanglement.

    Returns:
        ipywidgets.VBox: with ``.controls`` (``"qubits"``, ``"layers"``, ``"range"``, ``"seed"``) and ``.figure``.
        ``"range"`` 0 means PennyLane's default ranges; a range must be smaller than the number of qubits.

    >>> box = circuit_explorer(n_qubits=2, n_layers=1)
    >>> box.controls["layers"].value = 2
    >>> box.figure._suptitle.get_text().split(": ")[1]
    '12 trainable angles (3 per Rot), 4 CNOTs'
    """
    import ipywidgets as widgets

    n_qubits = _checks.int_in_range(n_qubits, "n_qubits", 1, 6)
    n_layers = _checks.int_in_range(n_layers, "n_layers", 1, 6)
    seed = _checks.int_in_range(seed, "seed", 0, 20)
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


def feature_map_viewer(images, n_layers: int = 2, n_kernels: int = 1, seed: int = 0, shots: int | None = None,
                       depolarizing: float = 0.0):
    """Pick an image, the QPC depth, the number of kernels, a seed, shots and noise → its feature maps.

    Args:
        images: a tensor ``(N, C, H, W)`` or a sequence of images.

    Returns:
        ipywidgets.VBox: with ``.controls`` (``"image"``, ``"layers"``, ``"kernels"``, ``"seed"``, ``"shots"``
        (0 = exact), ``"noise"`` (depolarizing strength)) and ``.figure``.

    >>> box = feature_map_viewer(torch.rand(2, 1, 8, 8), n_layers=1)
    >>> box.controls["shots"].value = 100
    >>> "100 shots/pixel" in box.figure._suptitle.get_text()
    True
    """
    import ipywidgets as widgets

    if len(images) == 0:
        raise ValueError("images must hold at least one image; got an empty collection.")
    n_layers = _checks.int_in_range(n_layers, "n_layers", 1, 6)
    n_kernels = _checks.int_in_range(n_kernels, "n_kernels", 1, 3)
    seed = _checks.int_in_range(seed, "seed", 0, 20)
    shots = _checks.one_of(shots or 0, "shots", (0, 10, 100, 1000, 10000), "Use None for exact values.")
    depolarizing = _checks.probability(depolarizing, "depolarizing")
    controls = {
        "image": widgets.IntSlider(value=0, min=0, max=len(images) - 1, description="image"),
        "layers": widgets.IntSlider(value=n_layers, min=1, max=6, description="layers"),
        "kernels": widgets.IntSlider(value=n_kernels, min=1, max=3, description="kernels"),
        "seed": widgets.IntSlider(value=seed, min=0, max=20, description="seed"),
        "shots": widgets.Dropdown(options=[("exact", 0), ("10", 10), ("100", 100), ("1,000", 1000),
                                           ("10,000", 10000)], value=shots, description="shots/pixel"),
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


def accuracy_dashboard(results_dir=None, dataset: str | None = None):
    """Pick a dataset, models and seeds from the committed results → accuracy vs parameters and curves.

    Returns:
        ipywidgets.VBox: with ``.controls`` (``"dataset"``, ``"models"``, ``"seeds"``) and ``.figure``.
        Without any result files it shows a message saying how to produce them.

    >>> import tempfile
    >>> box = accuracy_dashboard(tempfile.mkdtemp(), "cifar10")  # an empty results folder
    >>> box.controls["models"].options
    ()
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
        records = select_runs(results_dir, controls["dataset"].value)
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
