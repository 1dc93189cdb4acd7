"""``results/summary.md`` and plots from the committed result files.

Everything here is a pure function of the JSON records under ``results/``: running
``python -m qpcnn_edu report`` twice on the same files gives the same ``summary.md`` byte for byte.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from pathlib import Path

from .._io import atomic_write, write_text_atomic
from .experiments import load_results
from .suites import CONTROLS, NAMED_MODELS, SUITE

__all__ = ["aggregate", "compare", "results_table", "load_benchmark", "summary_markdown", "write_report",
           "plot_accuracy_vs_parameters", "plot_learning_curves"]

def _mean_std(values):
    n = len(values)
    mean = sum(values) / n
    std = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1)) if n > 1 else 0.0
    return mean, std


def aggregate(records) -> dict:
    """Group records by model name: seeds, accuracies (mean, std), parameters, epoch time, curves."""
    groups = defaultdict(list)
    for r in records:
        groups[r["config"]["name"]].append(r)
    table = {}
    for name, runs in groups.items():
        runs = sorted(runs, key=lambda r: r["config"]["seed"])
        accs = [r["final_test_acc"] for r in runs]
        times = [r["mean_epoch_time"] for r in runs]
        curves = [[row["test_acc"] for row in r["history"]] for r in runs]
        table[name] = {
            "description": runs[0].get("description") or name,
            "seeds": [r["config"]["seed"] for r in runs],
            "accs": accs,
            "acc_mean": _mean_std(accs)[0],
            "acc_std": _mean_std(accs)[1],
            "n_parameters": runs[0]["n_parameters"],
            "n_quantum_parameters": runs[0].get("n_quantum_parameters", 0),
            "epoch_time": _mean_std(times)[0],
            "num_epochs": runs[0]["config"]["num_epochs"],
            "curve_mean": [_mean_std(list(c))[0] for c in zip(*curves)],
            "curve_std": [_mean_std(list(c))[1] for c in zip(*curves)],
        }
    return table


def compare(a: dict, b: dict) -> tuple:
    """Difference of mean accuracy ``a - b`` in points, its standard error, and a plain verdict."""
    diff = 100 * (a["acc_mean"] - b["acc_mean"])
    se = 100 * math.sqrt(a["acc_std"] ** 2 / len(a["accs"]) + b["acc_std"] ** 2 / len(b["accs"]))
    if len(a["accs"]) < 2 or len(b["accs"]) < 2:
        verdict = "one seed: no spread to judge by"
    elif abs(diff) <= 2 * se:
        verdict = "within seed-to-seed noise (|difference| <= 2 standard errors)"
    else:
        verdict = "higher" if diff > 0 else "lower"
    return diff, se, verdict


def _order(names):
    known = [n for n in NAMED_MODELS if n in names]
    return known + sorted(n for n in names if n not in NAMED_MODELS)


def results_table(records, baseline: str | None = None) -> dict:
    """Print one row per model (mean ± std over seeds) and return :func:`aggregate`'s table.

    The last column is the model's mean epoch time relative to ``baseline``'s; by default, as in ``summary.md``,
    relative to ``classical`` when the records hold it, else to the model's classical twin (``n/a`` without one).
    """
    table = aggregate(records)
    label = baseline or ("classical" if "classical" in table else "classical twin")
    print(f"{'model':<20} {'parameters':>10} {'test accuracy (%)':>18} {'seeds':>5} {'epochs':>6} "
          f"{'epoch time (s)':>14} {'time / ' + label:>21}")
    for name in _order(table):
        t = table[name]
        if baseline:
            base = baseline if baseline in table else None
        else:
            base = _time_baseline(name, table)
        ratio = f"{t['epoch_time'] / table[base]['epoch_time']:.2f}" if base else "n/a"
        accuracy = f"{100 * t['acc_mean']:.2f} ± {100 * t['acc_std']:.2f}"
        print(f"{name:<20} {t['n_parameters']:>10,} {accuracy:>18} {len(t['seeds']):>5} {t['num_epochs']:>6} "
              f"{t['epoch_time']:>14.1f} {ratio:>21}")
    return table


def _time_baseline(name, table):
    """The model an epoch time is compared with: ``classical`` in the paper suite, else the model's twin."""
    if "classical" in table:
        return "classical"
    twin = CONTROLS.get(name, (name,))[0]  # a twin is its own baseline
    return twin if twin in table else None


def _commands(runs) -> list:
    commands = sorted({r["command"] for r in runs})
    if len(commands) == 1:
        return [f"- Command: `{commands[0]}`"]
    return [f"- Commands ({len(commands)} processes; together they ran these {len(runs)} runs):"] + [
        f"  - `{c}`" for c in commands]


def summary_markdown(records) -> str:
    """The summary page for a list of result records (all datasets)."""
    by_dataset = defaultdict(list)
    for r in records:
        by_dataset[r["config"]["dataset"]].append(r)
    lines = [
        "# Results",
        "",
        "Written by `python -m qpcnn_edu report` from the result files in this folder; do not edit by hand.",
        "Accuracy is the test accuracy after the last epoch, mean ± sample standard deviation over seeds.",
        "Epoch time is the mean wall time of one training epoch (evaluation excluded) on the machine named.",
        "",
    ]
    for dataset in sorted(by_dataset):
        runs = by_dataset[dataset]
        table = aggregate(runs)
        first = min(runs, key=lambda r: r["run_id"])
        profiles = sorted({r["config"]["profile"] for r in runs})
        seeds = sorted({r["config"]["seed"] for r in runs})
        lines += [
            f"## {dataset}",
            "",
            *_commands(runs),
            f"- Profile: {', '.join(profiles)}; seeds {', '.join(map(str, seeds))}; "
            f"{first['config']['num_epochs']} epochs, Adam lr {first['config']['lr']}, batch {first['config']['batch_size']}",
            f"- Data: {first['data']['n_train']} train / {first['data']['n_test']} test images; md5 "
            + ", ".join(f"`{k}` {v}" for k, v in sorted(first["data"]["md5"].items())),
            "- Versions: " + ", ".join(f"{k} {v}" for k, v in sorted(first["versions"].items())),
            f"- Machine: {first['machine']['cpu']}, {first['machine']['cores']} cores, "
            f"{first['machine']['torch_threads']} torch threads, device {first['machine']['device']}",
            f"- Git commit: {first['git_commit']}",
            f"- Total training wall time: {sum(r['wall_time'] for r in runs) / 60:.1f} min over {len(runs)} runs",
            "",
            "| model | what it is | parameters | of which quantum | test accuracy (%) | seeds | epoch time (s) | "
            + ("time / classical |" if "classical" in table else "time / classical twin |"),
            "|---|---|---:|---:|---|---:|---:|---:|",
        ]
        for name in _order(table):
            t = table[name]
            base = _time_baseline(name, table)
            ratio = f"{t['epoch_time'] / table[base]['epoch_time']:.2f}" if base else "—"
            lines.append(
                f"| {name} | {t['description']} | {t['n_parameters']:,} | {t['n_quantum_parameters']:,} "
                f"| {100 * t['acc_mean']:.2f} ± {100 * t['acc_std']:.2f} | {len(t['seeds'])} "
                f"| {t['epoch_time']:.1f} | {ratio} |"
            )
        comparisons = [(q, c) for q, controls in CONTROLS.items() for c in controls if q in table and c in table]
        if comparisons:
            lines += ["", "### QPCNN against each control", "",
                      "| QPCNN | control | accuracy difference (points) | verdict | parameters (QPCNN / control) |",
                      "|---|---|---|---|---|"]
            for q, c in comparisons:
                diff, se, verdict = compare(table[q], table[c])
                lines.append(f"| {q} | {c} | {diff:+.2f} ± {se:.2f} | {verdict} "
                             f"| {table[q]['n_parameters']:,} / {table[c]['n_parameters']:,} |")
        lines += ["", f"Plots: `{dataset}/accuracy_vs_parameters.png`, `{dataset}/learning_curves.png`.", ""]
    if "cifar10" not in by_dataset and any(r["config"]["name"] in SUITE for r in records):
        lines += [
            "## cifar10",
            "",
            "No CIFAR-10 results have been produced on the project's machines yet: they cannot download the",
            "dataset. Where it can be downloaded, the same suite runs with",
            "`python -m qpcnn_edu reproduce --dataset cifar10 --profile full --download`, and",
            "`python -m qpcnn_edu report` then adds its table here.",
            "",
        ]
    return "\n".join(lines)


def plot_accuracy_vs_parameters(table: dict, title: str = "", ax=None):
    """Test accuracy (mean ± std over seeds) against parameter count, one point per model."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6.4, 4.2))
    for name in _order(table):
        t = table[name]
        quantum = name.startswith("qpcnn")
        ax.errorbar(t["n_parameters"], 100 * t["acc_mean"], yerr=100 * t["acc_std"], fmt="o" if quantum else "s",
                    capsize=3, color="tab:purple" if quantum else "tab:gray", label=None)
        ax.annotate(name, (t["n_parameters"], 100 * t["acc_mean"]), textcoords="offset points", xytext=(5, 4),
                    fontsize=8)
    ax.set_xlabel("parameters")
    ax.set_ylabel("test accuracy (%)")
    ax.set_title(title or "accuracy vs parameters (circles: QPCNN, squares: classical)")
    ax.grid(alpha=0.3)
    return ax


def plot_learning_curves(table: dict, title: str = "", ax=None):
    """Test accuracy per epoch, mean over seeds with a ±std band, one line per model."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6.4, 4.2))
    for name in _order(table):
        t = table[name]
        epochs = list(range(1, len(t["curve_mean"]) + 1))
        mean = [100 * v for v in t["curve_mean"]]
        std = [100 * v for v in t["curve_std"]]
        line, = ax.plot(epochs, mean, marker=".", linestyle="-" if name.startswith("qpcnn") else "--", label=name)
        ax.fill_between(epochs, [m - s for m, s in zip(mean, std)], [m + s for m, s in zip(mean, std)],
                        color=line.get_color(), alpha=0.15)
    ax.set_xlabel("epoch")
    ax.set_ylabel("test accuracy (%)")
    ax.set_title(title or "learning curves (mean ± std over seeds)")
    ax.legend(fontsize=8, ncol=2)
    ax.grid(alpha=0.3)
    return ax


def write_report(results_dir="results", plots=True) -> Path:
    """Write ``summary.md`` (and the plots) for every dataset under ``results_dir``."""
    results_dir = Path(results_dir)
    records = load_results(results_dir)
    path = results_dir / "summary.md"
    write_text_atomic(path, summary_markdown(records))
    if plots:
        import matplotlib

        matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt

        by_dataset = defaultdict(list)
        for r in records:
            by_dataset[r["config"]["dataset"]].append(r)
        for dataset, runs in by_dataset.items():
            table = aggregate(runs)
            for name, plot in (("accuracy_vs_parameters", plot_accuracy_vs_parameters),
                               ("learning_curves", plot_learning_curves)):
                ax = plot(table, title=f"{dataset}: " + name.replace("_", " "))
                ax.figure.tight_layout()
                atomic_write(results_dir / dataset / f"{name}.png",
                             lambda tmp: ax.figure.savefig(tmp, format="png", dpi=110, metadata={"Software": None}))
                plt.close(ax.figure)
    return path

