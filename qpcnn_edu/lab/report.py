"""``summary.md`` of a results folder: what was run, how, and what the seeds let us conclude.

Everything here is a pure function of the JSON records (running ``python -m qpcnn_edu report`` twice on the same
files gives the same ``summary.md`` byte for byte) and returns text; nothing prints. The statistics are those of
:mod:`qpcnn_edu.lab.stats` (Welch intervals and tests, TOST equivalence and non-inferiority within the margin fixed
there, Holm over each summary's family of comparisons, the depth trend), and every verdict sentence comes from
:func:`qpcnn_edu.lab.verdicts.verdict_sentence`. The figures are drawn by :mod:`qpcnn_edu.viz.plots`.
(Over 300 lines only by its docstring examples, one per public name.)
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from pathlib import Path

from .._io import write_text_atomic
from .experiments import load_results, read_record
from .results import load_benchmark, summary_path
from .stats import EQUIVALENCE_MARGIN, compare_family, points, trend
from .suites import CONTROLS, NAMED_MODELS, SUITE
from .verdicts import comparison_table, verdict_sentence

__all__ = ["aggregate", "order", "comparisons", "depth_trend", "results_table", "bottom_line", "rerun_lines", "timing_lines",
           "summary_markdown", "load_reruns", "write_report"]

#: the QPCNNs of the depth claim (entangling layers L -> model name)
DEPTHS = {1: "qpcnn-L1", 2: "qpcnn-L2", 4: "qpcnn-L4"}


def _sd(values) -> float:
    return statistics.stdev(values) if len(values) > 1 else 0.0


def aggregate(records) -> dict:
    """Group run records by model name: seeds, accuracies (mean, sample std), parameters, epoch time, curves.

    >>> rec = lambda seed, acc: {"config": {"name": "m", "seed": seed, "num_epochs": 1}, "final_test_acc": acc,
    ...     "mean_epoch_time": 2.0, "n_parameters": 10, "history": [{"test_acc": acc}]}
    >>> t = aggregate([rec(1, 0.90), rec(0, 0.80)])["m"]
    >>> t["seeds"], round(t["acc_mean"], 2), t["n_quantum_parameters"]
    ([0, 1], 0.85, 0)
    """
    groups = defaultdict(list)
    for r in records:
        groups[r["config"]["name"]].append(r)
    table = {}
    for name, runs in groups.items():
        runs = sorted(runs, key=lambda r: r["config"]["seed"])
        accs = [r["final_test_acc"] for r in runs]
        curves = list(zip(*[[row["test_acc"] for row in r["history"]] for r in runs]))
        table[name] = {
            "description": runs[0].get("description") or name,
            "seeds": [r["config"]["seed"] for r in runs],
            "accs": accs,
            "acc_mean": statistics.fmean(accs),
            "acc_std": _sd(accs),
            "n_parameters": runs[0]["n_parameters"],
            "n_quantum_parameters": runs[0].get("n_quantum_parameters", 0),
            "epoch_time": statistics.fmean(r["mean_epoch_time"] for r in runs),
            "num_epochs": runs[0]["config"]["num_epochs"],
            "curve_mean": [statistics.fmean(c) for c in curves],
            "curve_std": [_sd(c) for c in curves],
        }
    return table


def order(names) -> list:
    """Model names in suite order (unknown names last, sorted).

    >>> order(["classical", "zzz", "qpcnn-L1"])
    ['qpcnn-L1', 'classical', 'zzz']
    """
    known = [n for n in NAMED_MODELS if n in names]
    return known + sorted(n for n in names if n not in NAMED_MODELS)


def comparisons(table: dict, pairs=None) -> list:
    """Every QPC model against each of its controls (:data:`~qpcnn_edu.lab.suites.CONTROLS`) present in ``table``,
    as one Holm family (:func:`qpcnn_edu.lab.stats.compare_family`); pairs whose arms lack two seeds are left out.

    Returns:
        list[Comparison]: empty when no pair can be compared.

    >>> rec = lambda name, seed, acc: {"config": {"name": name, "seed": seed, "num_epochs": 1}, "final_test_acc": acc,
    ...     "mean_epoch_time": 1.0, "n_parameters": 10, "history": [{"test_acc": acc}]}
    >>> runs = [rec(q, s, a + s / 100) for q, a in (("qpcnn-L1", 0.8), ("classical", 0.7)) for s in range(3)]
    >>> [(c.name_a, c.name_b, round(c.diff, 2), c.verdict) for c in comparisons(aggregate(runs))]
    [('qpcnn-L1', 'classical', 10.0, 'better')]
    >>> comparisons(aggregate([rec("qpcnn-L1", 0, 0.8), rec("classical", 0, 0.7)]))  # one seed each
    []
    """
    if pairs is None:
        pairs = [(q, c) for q, controls in CONTROLS.items() for c in controls if q in table and c in table]
    pairs = [(a, b) for a, b in pairs if len(table[a]["accs"]) > 1 and len(table[b]["accs"]) > 1]
    if not pairs:
        return []
    return compare_family(pairs, {name: points(t["accs"]) for name, t in table.items()})


def depth_trend(table: dict):
    """The depth claim as a trend over the QPCNNs with 1, 2 and 4 layers (``None`` without two depths of 2+ seeds).

    >>> rec = lambda name, seed, acc: {"config": {"name": name, "seed": seed, "num_epochs": 1}, "final_test_acc": acc,
    ...     "mean_epoch_time": 1.0, "n_parameters": 10, "history": [{"test_acc": acc}]}
    >>> table = aggregate([rec(f"qpcnn-L{d}", s, a + s / 100) for d, a in ((1, 0.80), (4, 0.82)) for s in range(3)])
    >>> depth_trend(table).pattern
    'L1 81.00 < L4 83.00'
    >>> depth_trend(aggregate([rec("qpcnn-L1", 0, 0.8), rec("qpcnn-L1", 1, 0.9)])) is None  # one depth only
    True
    """
    depths = [d for d, name in DEPTHS.items() if name in table and len(table[name]["accs"]) > 1]
    if len(depths) < 2:
        return None
    return trend(depths, [points(table[DEPTHS[d]]["accs"]) for d in depths])


def results_table(records) -> str:
    """One Markdown row per model: parameters, test accuracy (mean ± std and 95% CI of the mean), seeds, epochs.

    Epoch times are not in this table: they were measured while other runs shared the CPU (see
    :func:`summary_markdown`); quiet-machine times come from ``python -m qpcnn_edu timing``.

    >>> rec = lambda name, seed, acc: {"config": {"name": name, "seed": seed, "num_epochs": 1}, "final_test_acc": acc,
    ...     "mean_epoch_time": 1.0, "n_parameters": 10, "history": [{"test_acc": acc}]}
    >>> print(results_table([rec("classical", 0, 0.70), rec("classical", 1, 0.72)]))
    | model | what it is | parameters | of which quantum | test accuracy (%), mean ± std | seeds |
    |---|---|---:|---:|---|---:|
    | classical | classical | 10 | 0 | 71.00 ± 1.41 | 2 |
    """
    table = aggregate(records)
    lines = ["| model | what it is | parameters | of which quantum | test accuracy (%), mean ± std | seeds |",
             "|---|---|---:|---:|---|---:|"]
    for name in order(table):
        t = table[name]
        lines.append(f"| {name} | {t['description']} | {t['n_parameters']:,} | {t['n_quantum_parameters']:,} "
                     f"| {100 * t['acc_mean']:.2f} ± {100 * t['acc_std']:.2f} | {len(t['seeds'])} |")
    return "\n".join(lines)


def bottom_line(records) -> str:
    """The headline verdicts as Markdown bullets: each QPCNN against its classical twin, and the depth trend.

    The sentences are :func:`~qpcnn_edu.lab.verdicts.verdict_sentence`'s, with the family adjustment of the summary.

    >>> rec = lambda name, seed, acc: {"config": {"name": name, "seed": seed, "num_epochs": 1}, "final_test_acc": acc,
    ...     "mean_epoch_time": 1.0, "n_parameters": 10, "history": [{"test_acc": acc}]}
    >>> runs = [rec(q, s, a + s / 100) for q, a in (("qpcnn-L1", 0.8), ("classical", 0.7)) for s in range(3)]
    >>> print(bottom_line(runs))  # doctest: +ELLIPSIS
    - qpcnn-L1 vs classical (3 and 3 seeds): +10.00 points (95% CI +7.73 to +12.27; ...): qpcnn-L1 is better.
    >>> print(bottom_line([rec("qpcnn-L1", 0, 0.8)]))
    - Not enough seeds for any verdict (each model needs two or more).
    """
    table = aggregate(records)
    found = comparisons(table)
    lines = [f"- {verdict_sentence(c)}" for c in found if CONTROLS.get(c.name_a, (None,))[0] == c.name_b]
    depth = depth_trend(table)
    if depth is not None:
        lines.append(f"- {verdict_sentence(depth, 'QPCNN accuracy')}")
    return "\n".join(lines) if lines else "- Not enough seeds for any verdict (each model needs two or more)."


def _span(runs) -> str:
    """When the runs ran and how many ran at once (old records: start = finish - elapsed)."""
    from datetime import datetime, timedelta

    def at(text):
        return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ")

    spans = [(at(r["started_at"]) if "started_at" in r else at(r["finished_at"]) - timedelta(seconds=r["elapsed"]),
              at(r["finished_at"])) for r in runs]
    events = sorted([(s, 1) for s, _ in spans] + [(f, -1) for _, f in spans], key=lambda e: (e[0], e[1]))
    running = most = 0
    for _, step in events:
        running += step
        most = max(most, running)
    first, last = min(s for s, _ in spans), max(f for _, f in spans)
    busy = sum(r["wall_time"] for r in runs) / 60
    return (f"- Ran {first:%Y-%m-%d %H:%M} to {last:%Y-%m-%d %H:%M} UTC (the span includes pauses between sittings); "
            f"{busy:.1f} min of training summed over the {len(runs)} runs; up to {most} runs at once, so epoch times "
            "below were measured under load")


def _provenance_lines(runs) -> list:
    schemas = sorted({r.get("schema", 1) for r in runs})
    commits = sorted({r["git_commit"] for r in runs})
    machines = sorted({f"{r['machine']['cpu']}, {r['machine']['cores']} cores, {r['machine']['torch_threads']} "
                       f"torch thread(s), device {r['machine']['device']}" for r in runs})
    versions = sorted({", ".join(f"{k} {v}" for k, v in sorted(r["versions"].items())) for r in runs})
    md5 = sorted({(f, v) for r in runs for f, v in r["data"]["md5"].items()})
    measured = sum(1 for r in runs if "files" in r["data"])
    lines = [f"- Data: {runs[0]['data']['n_train']} train / {runs[0]['data']['n_test']} test images; md5 "
             + ", ".join(f"`{f}` {v}" for f, v in md5)
             + (f" (measured from the files read in {measured} of {len(runs)} runs; the others, made before "
                "schema 2, record the official values their loader checked)" if measured < len(runs) else
                " (measured from the files read)"),
             f"- Result schema {', '.join(map(str, schemas))}; weights sha256 recorded in "
             f"{sum(1 for r in runs if r.get('weights_sha256'))} of {len(runs)} runs",
             "- Git commits: " + ", ".join(f"`{c[:10]}`" for c in commits),
             *(f"- Machine: {m}" for m in machines), *(f"- Versions: {v}" for v in versions), _span(runs)]
    return lines


def rerun_lines(runs, reruns) -> list:
    """One line per rerun: does a committed run, retrained with later code, reproduce its per-epoch history exactly?

    >>> run = {"run_id": "m-seed0", "git_commit": "a" * 40, "history": [{"test_acc": 0.5, "train_loss": 1.0}]}
    >>> rerun_lines([run], [dict(run, git_commit="b" * 40)])[0].startswith("- Rerun of m-seed0 at `bbbbbbbbbb`")
    True
    """
    by_id = {r["run_id"]: r for r in runs}
    lines = []
    for rerun in reruns:
        run = by_id.get(rerun["run_id"])
        if run is None:
            continue
        metrics = sorted({k for row in run["history"] for k in row if not k.endswith("_time")})
        same = len(run["history"]) == len(rerun["history"]) and all(
            a.get(k) == b.get(k) for a, b in zip(run["history"], rerun["history"]) for k in metrics)
        lines.append(f"- Rerun of {run['run_id']} at `{rerun['git_commit'][:10]}` (made at `{run['git_commit'][:10]}`): "
                     + ("every epoch's " + ", ".join(metrics) + " identical, so the training code that made the "
                        "earlier runs is unchanged and they stay" if same else
                        "the history differs, so runs of the two commits are not interchangeable"))
    return lines


def _commands(runs) -> list:
    commands = sorted({r["command"] for r in runs})
    if len(commands) == 1:
        return [f"- Command: `{commands[0]}`"]
    return [f"- Commands ({len(commands)} processes; together they ran these {len(runs)} runs):"] + [
        f"  - `{c}`" for c in commands]


#: timing files of ``python -m qpcnn_edu timing`` (benchmarks/results/<name>.json), tried in this order
TIMING_FILES = ("epoch_times", "epoch_times_blocks")


def timing_lines(table: dict, timings=None) -> list:
    """Quiet-machine epoch times of the table's models (from ``python -m qpcnn_edu timing``), as Markdown lines.

    ``timings`` defaults to the committed timing files; the first one that timed every model of ``table`` is used.
    Ratios are per-round medians against each model's baseline, with their IQR.

    >>> timing = {"models": {"a": {"baseline": "a", "median": 0.01, "q25": 0.009, "q75": 0.011,
    ...     "ratio": {"median": 1.0, "q25": 1.0, "q75": 1.0}}}, "settings": {"repeats": 20, "threads": 1},
    ...     "provenance": {"machine": {"cpu": "cpu", "device": "cpu"}, "versions": {"torch": "2"}}}
    >>> timing_lines({"a": {}}, [timing])[-1]
    '| a | a | 10.00 (9.00-11.00) | 1.00 (1.00-1.00) |'
    """
    timings = [t for t in (timings if timings is not None else map(load_benchmark, TIMING_FILES)) if t]
    timing = next((t for t in timings if set(table) <= set(t["models"])), None)
    if timing is None:
        return ["Quiet-machine epoch times: not measured yet (`python -m qpcnn_edu timing`); the training runs' epoch "
                "times were measured while other runs shared the CPU and are not compared here."]
    settings, prov = timing["settings"], timing["provenance"]
    lines = [f"Time per training step (batch 64; forward, backward, Adam), measured by `python -m qpcnn_edu timing` "
             f"on a quiet machine ({prov['machine']['cpu']}, {settings['threads']} thread(s), device "
             f"{prov['machine']['device']}, torch {prov['versions']['torch']}): one process, models interleaved, "
             f"median and IQR of {settings['repeats']} rounds; the ratio is taken within each round.", "",
             "| model | baseline | ms per step, median (IQR) | time / baseline, median (IQR) |", "|---|---|---:|---:|"]
    for name in order(table):
        m, r = timing["models"][name], timing["models"][name]["ratio"]
        lines.append(f"| {name} | {m['baseline']} | {1e3 * m['median']:.2f} ({1e3 * m['q25']:.2f}-{1e3 * m['q75']:.2f}) "
                     f"| {r['median']:.2f} ({r['q25']:.2f}-{r['q75']:.2f}) |")
    return lines


def summary_markdown(records, reruns=()) -> str:
    """The summary page for a list of run records (every dataset in them) and reruns of some of them.

    Without records it is the page's header alone (the records of a real page come from :func:`write_report`):

    >>> page = summary_markdown([])
    >>> page.splitlines()[0], "Holm-adjusted" in page, "##" in page
    ('# Results', True, False)
    """
    by_dataset = defaultdict(list)
    for r in records:
        by_dataset[r["config"]["dataset"]].append(r)
    lines = ["# Results", "",
             "Written by `python -m qpcnn_edu report` from the result files in this folder; do not edit by hand.",
             "Accuracy is the test accuracy after the last epoch, in percent. Comparisons: Welch's t (95% CI, two-sided "
             f"p), TOST equivalence and one-sided non-inferiority within ±{EQUIVALENCE_MARGIN:g} points (the margin "
             "fixed in `qpcnn_edu/lab/stats.py` before the ten-seed runs), every p-value Holm-adjusted over the "
             "family of comparisons of its dataset.", ""]
    for dataset in sorted(by_dataset, key=lambda d: (d != "fashion-mnist", d)):  # the paper's main dataset first
        runs = by_dataset[dataset]
        table = aggregate(runs)
        first = min(runs, key=lambda r: r["run_id"])
        seeds = sorted({len(t["seeds"]) for t in table.values()})
        lines += [f"## {dataset}", "", "### Bottom line", "", bottom_line(runs), "",
                  "### How the runs were made", "", *_commands(runs),
                  f"- Profile: {', '.join(sorted({r['config']['profile'] for r in runs}))}; "
                  f"{first['config']['num_epochs']} epochs, Adam lr {first['config']['lr']}, batch "
                  f"{first['config']['batch_size']}; seeds per model: {', '.join(map(str, seeds))}",
                  *_provenance_lines(runs), *rerun_lines(runs, [r for r in reruns if r["config"]["dataset"] == dataset]),
                  "", "### Models", "", results_table(runs), ""]
        found = comparisons(table)
        if found:
            lines += ["### Each QPC model against its controls", "", comparison_table(found), "",
                      *(f"- {verdict_sentence(c)}" for c in found), ""]
        depth = depth_trend(table)
        if depth is not None:
            lines += ["### Depth", "", verdict_sentence(depth, "QPCNN accuracy"), ""]
        lines += [*timing_lines(table), "",
                  f"Plots: `{dataset}/accuracy_vs_parameters.png`, `{dataset}/learning_curves.png`.", ""]
    if "cifar10" not in by_dataset and any(r["config"]["name"] in SUITE for r in records):
        lines += ["## cifar10", "",
                  "No CIFAR-10 results have been produced on the project's machines yet: they cannot download the",
                  "dataset. Where it can be downloaded, the same suite runs with",
                  "`python -m qpcnn_edu reproduce --dataset cifar10 --profile full --download`, and",
                  "`python -m qpcnn_edu report` then adds its table here.", ""]
    return "\n".join(lines)


def write_report(results_dir="results"):
    """Write ``summary.md`` for every dataset under ``results_dir``; return its path.

    Raises:
        FileNotFoundError: no such folder. ValueError: it holds no run records (nothing is written then).

    >>> import tempfile
    >>> write_report(tempfile.mkdtemp())  # doctest: +ELLIPSIS
    Traceback (most recent call last):
        ...
    ValueError: results folder ... must hold run records (<dataset>/<run>.json); got none. ...
    """
    records = load_results(results_dir)
    if not records:
        raise ValueError(f"results folder {results_dir} must hold run records (<dataset>/<run>.json); got none. "
                         "Pass the folder that holds the dataset folders (e.g. results or results/blocks).")
    return write_text_atomic(summary_path(results_dir), summary_markdown(records, load_reruns(results_dir)))


def load_reruns(results_dir="results") -> list:
    """Every rerun record under ``results_dir`` (``<dataset>/reruns/*.json``), sorted by path.

    >>> import json, tempfile
    >>> from pathlib import Path
    >>> folder = Path(tempfile.mkdtemp())
    >>> load_reruns(folder)
    []
    >>> (folder / "fashion-mnist" / "reruns").mkdir(parents=True)
    >>> _ = (folder / "fashion-mnist" / "reruns" / "m-seed0.json").write_text(json.dumps({"config": {"seed": 0}}))
    >>> load_reruns(folder)
    [{'config': {'seed': 0}}]
    """
    return [read_record(path) for path in sorted(Path(results_dir).glob("*/reruns/*.json"))]
