"""The whole QPC layer in one picture: pixel → pad and normalize → |ψ⟩ → U → ⟨Z_k⟩ → feature maps.

Every panel is computed by the package itself (:func:`~qpcnn_edu.amplitude_encode`, :func:`~qpcnn_edu.default_ranges`,
:class:`~qpcnn_edu.QuantumPointwiseConv2d`), so the figure cannot drift from what the layer does: change the
number of channels, layers or the seed and the picture follows.

>>> import matplotlib
>>> matplotlib.use("Agg")
>>> fig = plot_pipeline(n_layers=2, seed=0)
>>> [ax.get_title().split(".")[0] for ax in fig.axes]
['1', '2', '3', '4', '5', '6']
>>> layer, image, (h, w) = pipeline_example(n_layers=2, seed=0)
>>> bars = [round(p.get_height(), 6) for p in fig.axes[4].patches]  # panel 5: the <Z_k> of the marked pixel
>>> bars == [round(float(v), 6) for v in layer(image.unsqueeze(0))[0, :, h, w].detach()]
True
"""

from __future__ import annotations

import math

import torch

from .. import _checks
from ..nn.layers import QuantumPointwiseConv2d
from ..quantum.circuits import default_ranges
from ..quantum.encoding import amplitude_encode, n_qubits_for

__all__ = ["example_image", "pipeline_example", "plot_pipeline"]

QUANTUM_COLOR = "tab:purple"
PIXEL_COLOR = "tab:red"


def _plt():
    import matplotlib.pyplot as plt

    return plt


def example_image(channels: int = 5, size: int = 8) -> torch.Tensor:
    """A small smooth, non-negative image of ``channels`` channels (like the ReLU output of a stem), ``(C, H, W)``.

    >>> example_image(5, 8).shape
    torch.Size([5, 8, 8])
    """
    channels = _checks.positive_int(channels, "channels")
    size = _checks.int_in_range(size, "size", 2)
    yy, xx = torch.meshgrid(torch.linspace(0, 1, size), torch.linspace(0, 1, size), indexing="ij")
    maps = []
    for c in range(channels):  # one soft blob per channel, centred on a circle: every pixel has all channels > 0
        cy, cx = 0.5 + 0.35 * math.sin(2.4 * c), 0.5 + 0.35 * math.cos(2.4 * c)
        maps.append(torch.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / 0.12))
    return torch.stack(maps)  # (C, H, W)


def pipeline_example(channels: int = 5, n_layers: int = 2, seed: int = 0, size: int = 8, pixel=(3, 4)):
    """The layer, image and marked pixel that :func:`plot_pipeline` draws (for checking it, or reusing them).

    Returns:
        tuple: ``(layer, image, (h, w))``: a :class:`~qpcnn_edu.QuantumPointwiseConv2d` with weights drawn from
        ``seed`` (the global random state is left as it was), the ``(C, H, W)`` image and the pixel's position.

    >>> layer, image, (h, w) = pipeline_example(channels=5, n_layers=1, seed=0)
    >>> tuple(image.shape), (h, w), layer.n_qubits
    ((5, 8, 8), (3, 4), 3)
    >>> again, _, _ = pipeline_example(channels=5, n_layers=1, seed=0)  # the same seed draws the same weights
    >>> all(torch.equal(a, b) for a, b in zip(layer.parameters(), again.parameters()))
    True
    >>> pipeline_example(pixel=(8, 0))
    Traceback (most recent call last):
        ...
    ValueError: pixel must lie inside the 8x8 image; got (8, 0).
    """
    image = example_image(channels, size)
    h, w = (int(pixel[0]), int(pixel[1]))
    if not (0 <= h < size and 0 <= w < size):
        raise ValueError(f"pixel must lie inside the {size}x{size} image; got {pixel!r}.")
    seed = _checks.integer(seed, "seed")
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        layer = QuantumPointwiseConv2d(channels, n_layers=n_layers)
    return layer, image, (h, w)


def _grid(count: int) -> tuple[int, int]:
    cols = math.ceil(math.sqrt(count))
    return math.ceil(count / cols), cols


def _mosaic(maps: torch.Tensor, gap: int = 1) -> torch.Tensor:
    """``(K, H, W)`` maps in a grid of about sqrt(K) columns, separated by NaN (drawn blank)."""
    k, h, w = maps.shape
    rows, cols = _grid(k)
    out = torch.full((rows * (h + gap) - gap, cols * (w + gap) - gap), float("nan"))
    for i in range(k):
        r, c = divmod(i, cols)
        out[r * (h + gap): r * (h + gap) + h, c * (w + gap): c * (w + gap) + w] = maps[i]
    return out


def _mark(ax, h: int, w: int, count: int, size: int, labels, gap: int = 1):
    """Frame every tile of a mosaic, label it, and mark the followed pixel in each."""
    from matplotlib.patches import Rectangle

    cols = _grid(count)[1]
    for i in range(count):
        r, c = divmod(i, cols)
        x0, y0 = c * (size + gap), r * (size + gap)
        ax.add_patch(Rectangle((x0 - 0.5, y0 - 0.5), size, size, fill=False, ec="0.6", lw=0.6))
        ax.add_patch(Rectangle((x0 + w - 0.5, y0 + h - 0.5), 1, 1, fill=False, ec=PIXEL_COLOR, lw=1.6))
        ax.text(x0 + 0.2, y0 + 0.6, labels[i], fontsize=6, color="k",
                bbox={"fc": "white", "ec": "none", "pad": 0.5, "alpha": 0.8})


def _draw_circuit(ax, n: int, n_layers: int):
    """A schematic of StronglyEntanglingLayers: a Rot box per wire and the CNOT ring of each layer's range."""
    ranges = default_ranges(n, n_layers) if n > 1 else [1] * n_layers
    x = 0.6
    positions = []
    for layer, r in enumerate(ranges):
        for q in range(n):
            ax.add_patch(_plt().Rectangle((x - 0.3, q - 0.28), 0.6, 0.56, fc="white", ec=QUANTUM_COLOR, lw=1.2,
                                          zorder=3))
            ax.text(x, q, "R", ha="center", va="center", fontsize=7, zorder=4)
        x += 0.75
        if n > 1:
            for i in range(n):
                t = (i + r) % n
                ax.plot([x, x], [i, t], color="k", lw=0.9, zorder=2)
                ax.plot(x, i, "o", color="k", ms=3.5, zorder=3)
                ax.plot(x, t, "o", mfc="white", mec="k", ms=7, zorder=3)
                ax.plot([x - 0.11, x + 0.11], [t, t], color="k", lw=0.8, zorder=4)
                ax.plot([x, x], [t - 0.11, t + 0.11], color="k", lw=0.8, zorder=4)
                x += 0.42
        positions.append(x)
        x += 0.35
    for q in range(n):
        ax.plot([0, x], [q, q], color="gray", lw=0.8, zorder=1)
        ax.text(-0.15, q, f"{q}", ha="right", va="center", fontsize=7)
    ax.set_xlim(-0.5, x + 0.1)
    ax.set_ylim(n - 0.4, -0.6)
    ax.axis("off")
    return ranges


def plot_pipeline(channels: int = 5, n_layers: int = 2, seed: int = 0, size: int = 8, pixel=(3, 4)):
    """Draw the QPC layer's pipeline for one pixel of a small image, in six panels computed by the package.

    1. the image's ``C`` channels, the pixel marked; 2. the pixel's channel vector ``x``; 3. the padded, normalized
    amplitudes of ``|ψ⟩`` on ``n = ceil(log2 C)`` qubits (padding hatched); 4. the circuit ``U`` (a Rot box per wire,
    then the CNOT ring, for each of the ``L`` layers); 5. the readout ``⟨Z_k⟩ = xᵀM_k x / xᵀx``, a bar per
    qubit;
    6. the ``n`` feature maps: the same circuit applied at every pixel.

    Args:
        channels (int): ``C``, the number of input channels.
        n_layers (int): ``L``, strongly entangling layers.
        seed (int): seed of the circuit's random weights.
        size (int): height and width of the example image.
        pixel (tuple[int, int]): the ``(h, w)`` of the pixel that panels 2–5 follow.

    Returns:
        matplotlib.figure.Figure

    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> fig = plot_pipeline(channels=3, n_layers=1)  # 3 channels: 2 qubits, so 2 readout bars and 2 maps
    >>> len(fig.axes), len(fig.axes[4].patches), fig.axes[5].get_title()
    (6, 2, '6. 2 feature maps')
    >>> plt.close(fig)
    """
    layer, image, (h, w) = pipeline_example(channels, n_layers, seed, size, pixel)
    n = layer.n_qubits
    x = image[:, h, w]  # (C,)
    psi = amplitude_encode(x, dim=0).numpy()  # (2**n,)
    with torch.no_grad():
        maps = layer(image.unsqueeze(0))[0]  # (n, H, W)
    values = maps[:, h, w].numpy()  # (n,): the pixel's <Z_k>
    plt = _plt()
    from matplotlib.patches import FancyArrowPatch

    fig = plt.figure(figsize=(11, 6.6))
    grid = fig.add_gridspec(2, 3, width_ratios=[1.2, 1, 1.25], hspace=0.55, wspace=0.45)
    circuit_width = [1.1 + 0.22 * n_layers * n, 0.8, 1.1]
    bottom = grid[1, :].subgridspec(1, 3, width_ratios=circuit_width, wspace=0.45)
    axes = [fig.add_subplot(grid[0, i]) for i in range(3)] + [fig.add_subplot(bottom[0, i]) for i in range(3)]
    ax = axes[0]
    ax.imshow(_mosaic(image).numpy(), cmap="Greys", vmin=0)
    _mark(ax, h, w, channels, size, [f"c={c}" for c in range(channels)])
    ax.set_title(f"1. image: C = {channels} channels", fontsize=9)
    ax.axis("off")

    ax = axes[1]
    ax.bar(range(channels), x.numpy(), color="0.35")
    ax.set_title(f"2. pixel x (‖x‖ = {x.norm():.2f})", fontsize=9)
    ax.set_xticks(range(channels))
    ax.set_xlabel("channel c", fontsize=8)

    ax = axes[2]
    D = 2**n
    colors = [QUANTUM_COLOR if j < channels else "white" for j in range(D)]
    ax.bar(range(D), psi, color=colors, edgecolor=QUANTUM_COLOR, hatch=None)
    for j in range(channels, D):
        ax.bar(j, 0.03, color="white", edgecolor="0.5", hatch="///")
    ax.set_xticks(range(D), [format(j, f"0{n}b") for j in range(D)], rotation=90, fontsize=6)
    ax.set_ylim(0, 1)
    ax.set_title(f"3. pad to $2^{n}$ = {D}, normalize: $|\\psi\\rangle$", fontsize=9)

    ax = axes[3]
    _draw_circuit(ax, n, n_layers)
    ax.set_title(f"4. U: L = {n_layers} layers, {3 * n_layers * n} angles", fontsize=9)

    ax = axes[4]
    ax.bar(range(n), values, color=QUANTUM_COLOR)
    ax.axhline(0, color="k", lw=0.6)
    ax.set_ylim(-1, 1)
    ax.set_xticks(range(n), [f"$Z_{k}$" for k in range(n)], fontsize=8)
    ax.set_title(r"5. readout $\langle Z_k \rangle$", fontsize=9)

    ax = axes[5]
    ax.imshow(_mosaic(maps).numpy(), cmap="RdBu", vmin=-1, vmax=1)
    _mark(ax, h, w, n, size, [f"Z{k}" for k in range(n)])
    ax.set_title(f"6. {n} feature maps", fontsize=9)
    ax.axis("off")

    fig.canvas.draw()  # arrows from each panel's right edge to the next one's left edge, labels included
    renderer = fig.canvas.get_renderer()
    boxes = [ax.get_tightbbox(renderer).transformed(fig.transFigure.inverted()) for ax in axes]
    for i in (0, 1, 3, 4):  # along each row
        y = 0.5 * (axes[i].get_position().y0 + axes[i].get_position().y1)
        fig.add_artist(FancyArrowPatch((boxes[i].x1 + 0.004, y), (boxes[i + 1].x0 - 0.004, y),
                                       transform=fig.transFigure, arrowstyle="-|>", color="0.3", lw=1.2,
                                       mutation_scale=12))
    start = (0.5 * (boxes[2].x0 + boxes[2].x1), boxes[2].y0 - 0.005)  # from panel 3 down to panel 4
    end = (0.5 * (boxes[3].x0 + boxes[3].x1), boxes[3].y1 + 0.005)
    fig.add_artist(FancyArrowPatch(start, end, transform=fig.transFigure, arrowstyle="-|>", color="0.3", lw=1.2,
                                   mutation_scale=12, connectionstyle="arc3,rad=-0.15"))
    return fig
