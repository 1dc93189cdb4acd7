"""Figures of result files: accuracy against parameters, learning curves, robustness to shots and noise.

:func:`write_result_plots` draws the figures ``python -m qpcnn_edu report`` writes beside ``summary.md``. A model
counts as quantum when it has QPC parameters (``n_quantum_parameters > 0``), whatever its name.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from .._io import atomic_write
from ..lab.experiments import load_results
from ..lab.report import aggregate, order
from ..lab.robustness import summarize_robustness

__all__ = ["plot_accuracy_vs_parameters", "plot_learning_curves", "plot_robustness", "write_result_plots"]


def plot_accuracy_vs_parameters(table: dict, title: str = "", ax=None):
    """Test accuracy (mean ± std over seeds) against parameter count, one point per model.

    >>> rows = {"q": {"n_parameters": 10, "acc_mean": 0.9, "acc_std": 0.01, "n_quantum_parameters": 3},
    ...         "c": {"n_parameters": 12, "acc_mean": 0.8, "acc_std": 0.02, "n_quantum_parameters": 0}}
    >>> ax = plot_accuracy_vs_parameters(rows)
    >>> {text.get_text(): line.get_marker() for text, line in zip(ax.texts, ax.lines[::3])}  # circles: quantum
    {'c': 's', 'q': 'o'}
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6.4, 4.2))
    for name in order(table):
        t = table[name]
        quantum = t["n_quantum_parameters"] > 0
        ax.errorbar(t["n_parameters"], 100 * t["acc_mean"], yerr=100 * t["acc_std"], fmt="o" if quantum else "s",
                    capsize=3, color="tab:purple" if quantum else "tab:gray", label=None)
        ax.annotate(name, (t["n_parameters"], 100 * t["acc_mean"]), textcoords="offset points", xytext=(5, 4),
                    fontsize=8)
    ax.set_xlabel("parameters")
    ax.set_ylabel("test accuracy (%)")
    ax.set_title(title or "accuracy vs parameters (circles: with QPC layers, squares: classical)")
    ax.grid(alpha=0.3)
    return ax


def plot_learning_curves(table: dict, title: str = "", ax=None):
    """Test accuracy per epoch, mean over seeds with a ±std band, one line per model.

    >>> rows = {"q": {"curve_mean": [0.5, 0.7], "curve_std": [0.1, 0.0], "n_quantum_parameters": 3}}
    >>> plot_learning_curves(rows).lines[0].get_ydata().tolist()
    [50.0, 70.0]
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6.4, 4.2))
    for name in order(table):
        t = table[name]
        epochs = list(range(1, len(t["curve_mean"]) + 1))
        mean = [100 * v for v in t["curve_mean"]]
        std = [100 * v for v in t["curve_std"]]
        line, = ax.plot(epochs, mean, marker=".", linestyle="-" if t["n_quantum_parameters"] > 0 else "--", label=name)
        ax.fill_between(epochs, [m - s for m, s in zip(mean, std)], [m + s for m, s in zip(mean, std)],
                        color=line.get_color(), alpha=0.15)
    ax.set_xlabel("epoch")
    ax.set_ylabel("test accuracy (%)")
    ax.set_title(title or "learning curves (mean ± std over seeds)")
    ax.legend(fontsize=8, ncol=2)
    ax.grid(alpha=0.3)
    return ax


def plot_robustness(records, axes=None):
    """Two panels: test accuracy vs shots per pixel and vs depolarizing strength (mean ± std), exact as a band.

    >>> rec = {"config": {"seed": 0}, "evaluations": [
    ...     {"shots": None, "depolarizing": 0.0, "test_acc": 0.9}, {"shots": 10, "depolarizing": 0.0, "test_acc": 0.5},
    ...     {"shots": None, "depolarizing": 0.1, "test_acc": 0.8}]}
    >>> [ax.get_xscale() for ax in plot_robustness([rec]).axes]
    ['log', 'log']
    """
    import matplotlib.pyplot as plt

    summary = summarize_robustness(records)
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    exact = summary["exact"]
    for ax, key, label in ((axes[0], "shots", "shots per pixel"), (axes[1], "depolarizing",
                                                                   "depolarizing strength ε (after each layer)")):
        xs = list(summary[key])
        ax.errorbar(xs, [100 * summary[key][x]["mean"] for x in xs], yerr=[100 * summary[key][x]["std"] for x in xs],
                    fmt="o-", capsize=3, color="tab:purple", label="QPCNN with this readout")
        ax.axhspan(100 * (exact["mean"] - exact["std"]), 100 * (exact["mean"] + exact["std"]), color="tab:gray",
                   alpha=0.3, label=f"exact readout ({100 * exact['mean']:.2f} %)")
        ax.axhline(10, color="black", linestyle=":", linewidth=1, label="chance (10 %)")
        ax.set_xscale("log")
        ax.set_xlabel(label)
        ax.set_ylabel("test accuracy (%)")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    axes[0].set_title(f"finite shots (seeds {summary['seeds']})", fontsize=10)
    axes[1].set_title("depolarizing noise", fontsize=10)
    return axes[0].figure


def write_result_plots(results_dir="results") -> list:
    """Draw ``<dataset>/accuracy_vs_parameters.png`` and ``<dataset>/learning_curves.png`` for every dataset of a
    results folder (atomically, without timestamps, so equal results give equal files); return the paths.

    >>> import json, tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> (folder / "fashion-mnist-mini").mkdir()
    >>> for name, acc in (("qpcnn-L2", 0.8), ("classical", 0.7)):
    ...     for seed in (0, 1):
    ...         record = {"run_id": f"{name}-seed{seed}", "final_test_acc": acc, "mean_epoch_time": 1.0,
    ...                   "config": {"name": name, "seed": seed, "num_epochs": 1, "dataset": "fashion-mnist-mini"},
    ...                   "n_parameters": 10, "history": [{"test_acc": acc}]}
    ...         _ = (folder / "fashion-mnist-mini" / f"{name}-seed{seed}.json").write_text(json.dumps(record))
    >>> paths = write_result_plots(folder)
    >>> [p.relative_to(folder).as_posix() for p in paths], all(p.read_bytes()[1:4] == b"PNG" for p in paths)
    (['fashion-mnist-mini/accuracy_vs_parameters.png', 'fashion-mnist-mini/learning_curves.png'], True)
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    by_dataset = defaultdict(list)
    for r in load_results(results_dir):
        by_dataset[r["config"]["dataset"]].append(r)
    paths = []
    for dataset, runs in sorted(by_dataset.items()):
        table = aggregate(runs)
        for name, plot in (("accuracy_vs_parameters", plot_accuracy_vs_parameters),
                           ("learning_curves", plot_learning_curves)):
            ax = plot(table, title=f"{dataset}: " + name.replace("_", " "))
            ax.figure.tight_layout()
            paths.append(atomic_write(Path(results_dir) / dataset / f"{name}.png", lambda tmp: ax.figure.savefig(
                tmp, format="png", dpi=110, metadata={"Software": None})))
            plt.close(ax.figure)
    return paths
