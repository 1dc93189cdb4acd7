"""The figure of a layer-benchmark record: time vs pixels (with the fixed + per-pixel fits) and time vs depth.

``python benchmarks/plot_bench.py benchmarks/results/layer_cpu.json`` redraws ``layer_cpu.png`` from a record.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

__all__ = ["plot"]

STYLE = {"conv1x1": "s--", "qpc": "o-", "qpc64": "o:", "qpc_shift": "D-", "pl_backprop": "^-", "pl_shift": "v-",
         "lightning_adjoint": "x-", "torchquantum": "P-"}
ORDER = tuple(STYLE)  # one colour per contender in every panel (JSON records come back with sorted keys)
COLOR = {name: f"C{i}" for i, name in enumerate(ORDER)}


def _errorbars(ax, xs, stats, label, style, color=None):
    med = np.array([s["median"] for s in stats]) * 1e3
    low = med - np.array([s["q25"] for s in stats]) * 1e3
    high = np.array([s["q75"] for s in stats]) * 1e3 - med
    return ax.errorbar(xs, med, yerr=[low, high], fmt=style, label=label, capsize=2, ms=4, color=color)


def plot(rec):
    """Three panels: both batch sweeps (time vs pixels, fits dashed) and the grid's time vs depth at 3-5 qubits."""
    labels = rec["labels"]
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
    for ax, key, title in ((axes[0], "batch_sweep", "input + weight gradients"),
                           (axes[1], "weights_sweep", "weight gradients only")):
        sw = rec[key]
        present = {n for p in sw["points"] for n in p["stats"]}
        for name in sorted(present, key=lambda n: ORDER.index(n) if n in ORDER else len(ORDER)):
            pts = [p for p in sw["points"] if name in p["stats"]]
            xs = [p["pixels"] for p in pts]
            bar = _errorbars(ax, xs, [p["stats"][name] for p in pts], labels.get(name, name), STYLE.get(name, "o-"),
                             COLOR.get(name))
            fit = sw["fits"].get(name)
            if fit:
                grid = np.geomspace(min(xs), max(xs), 50)
                ax.plot(grid, (fit["fixed_s"] + fit["per_pixel_s"] * grid) * 1e3, "--", lw=0.8,
                        color=COLOR.get(name))
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("pixels per call")
        ax.set_ylabel("ms per call (median, IQR bars)")
        ax.set_title(f"time vs pixels, {sw['n_qubits']} qubits, {sw['n_layers']} layers: {title}", fontsize=9)
        ax.grid(alpha=0.3, which="both")
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=7)
    ax = axes[2]
    qubits = sorted({g["n_qubits"] for g in rec["grid"]})
    layers = sorted({g["n_layers"] for g in rec["grid"]})
    for name in ("conv1x1", "qpc", "pl_backprop", "torchquantum"):
        for n, alpha in zip(qubits, np.linspace(1.0, 0.35, len(qubits))):
            rows = sorted((g for g in rec["grid"] if g["n_qubits"] == n and name in g["stats"]),
                          key=lambda g: g["n_layers"])
            if rows:
                bar = _errorbars(ax, [g["n_layers"] for g in rows], [g["stats"][name] for g in rows],
                                 labels.get(name, name) if n == qubits[0] else None, STYLE.get(name, "o-"),
                                 COLOR.get(name))
                for artist in (bar.lines[0], *bar.lines[2]):
                    artist.set_alpha(alpha)
    ax.set_xscale("log", base=2)
    ax.set_xticks(layers, [str(L) for L in layers])
    ax.set_yscale("log")
    ax.set_xlabel("entangling layers L")
    ax.set_ylabel("ms per call (median, IQR bars)")
    ax.set_title(f"time vs depth, {rec['grid'][0]['pixels'] if rec['grid'] else '?'} pixels, "
                 f"{', '.join(map(str, qubits))} qubits (darkest: fewest)", fontsize=9)
    ax.grid(alpha=0.3, which="both")
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=7)
    fig.suptitle(f"{rec['device']}, {rec['threads']['torch']} thread(s), commit "
                 f"{(rec['provenance']['git_commit'] or '?')[:10]}" + (" — QUICK SMOKE RUN" if rec["quick"] else ""),
                 fontsize=10)
    fig.tight_layout()
    return fig


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python benchmarks/plot_bench.py RECORD.json (writes RECORD.png beside it)")
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from qpcnn_edu._io import atomic_write

    path = Path(sys.argv[1])
    figure = plot(json.loads(path.read_text()))
    atomic_write(path.with_suffix(".png"), lambda tmp: figure.savefig(tmp, format="png", dpi=110,
                                                                        metadata={"Software": None}))
