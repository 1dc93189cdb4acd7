"""Epoch times measured on a quiet machine: one process, one thread, models interleaved, repeated.

The training runs record each epoch's wall time, but they ran as 2-3 processes on 2 cores, so the same model's
per-seed epoch time varies up to 2x and their ratios mix model cost with load. Here every model of a suite is built
exactly as the suite builds it (:func:`~qpcnn_edu.lab.suites.build_model`, the ``full`` profile's learning rate
and batch size) and trained on the same fixed batches, in one process with ``threads`` torch threads, the models
interleaved round-robin (A B C A B C ...) so that a slow spell of the machine hits every model alike:

* a *sample* is the mean time of one training step (batch indexing, forward, cross-entropy, backward, Adam step,
  the loss and accuracy read-out, as in :func:`~qpcnn_edu.lab.training.fit`) over ``n_batches`` batches;
* ``warmup`` rounds are discarded, ``repeats`` rounds are kept; a model's time is the median sample with its IQR
  (``numpy.percentile``, 25th-75th), and its ratio to its baseline is taken per round (both measured within
  seconds of each other) and summarized the same way;
* the epoch time is *estimated* as the median time per batch times the batches of one epoch;
* ``cpu_share`` is the process's CPU time over the wall time of a sample (median): about ``threads`` when the
  process had its cores to itself, less when something else ran.

``python -m qpcnn_edu timing`` runs it and writes ``benchmarks/results/epoch_times.{json,md}``.
"""

from __future__ import annotations

import json
import math
import os
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

from .. import _checks
from .._io import write_text_atomic
from ..nn.models import count_parameters
from .data import DATASETS, dataset_info, load_dataset
from .provenance import provenance, utc
from .suites import CONTROLS, SUITES, build_model, suite
from .training import as_tensors
from .results import EPOCH_TIMES

__all__ = ["DEFAULT_OUT", "SCHEMA_VERSION", "time_models", "baselines", "timing_markdown", "write_timing",
           "run_timing"]

#: where ``python -m qpcnn_edu timing`` writes, without the ``.json`` / ``.md`` suffix
DEFAULT_OUT = EPOCH_TIMES  # owned by lab.results
SCHEMA_VERSION = 1


def baselines(names, baseline: str | None = None) -> dict:
    """The model each model's time is divided by: ``baseline`` if given, else as in the summaries.

    ``classical`` when it is timed (the paper suite), else each model's classical twin (the first of
    :data:`~qpcnn_edu.lab.suites.CONTROLS`; a twin is its own baseline), ``None`` when that is not timed.

    >>> baselines(["qpcnn-L2", "classical"])
    {'qpcnn-L2': 'classical', 'classical': 'classical'}
    >>> baselines(["resnet-qpc", "resnet-classical", "mobilenet-qpc"])
    {'resnet-qpc': 'resnet-classical', 'resnet-classical': 'resnet-classical', 'mobilenet-qpc': None}
    """
    names = list(names)
    if baseline is not None:
        return {n: _checks.one_of(baseline, "baseline", tuple(names), "Time the baseline model too.") for n in names}
    if "classical" in names:
        return {n: "classical" for n in names}
    twins = {n: CONTROLS.get(n, (n,))[0] for n in names}
    return {n: twin if twin in names else None for n, twin in twins.items()}


def _quartiles(values) -> dict:
    q25, median, q75 = (float(q) for q in np.percentile(values, [25, 50, 75]))
    return {"median": median, "q25": q25, "q75": q75, "iqr": q75 - q25}


def _check_names(names, suite_name) -> list:
    models = SUITES[_checks.one_of(suite_name, "suite", tuple(SUITES))]
    names = list(models) if names is None else list(names)
    unknown = [n for n in names if n not in models]
    if not names or unknown or len(set(names)) != len(names):
        raise ValueError(f"names must be distinct models of the {suite_name!r} suite, {list(models)}; got {names}. "
                         "Pick them from that list, or pass the suite that holds them.")
    return names


def time_models(names=None, *, suite_name: str = "paper", dataset: str = "fashion-mnist-mini", n_batches: int = 50,
                repeats: int = 15, warmup: int = 2, threads: int = 1, baseline: str | None = None, seed: int = 0,
                root=None, note: str = "", clock=time.perf_counter) -> dict:
    """Time training steps of the named models, one process, interleaved round-robin; see the module docstring.

    Args:
        names (list, optional): models of the suite (default: all of it), timed in this order every round.
        suite_name (str): ``"paper"`` or ``"blocks"``.
        dataset (str): whose training images make the batches (``"fashion-mnist"`` for the real numbers).
        n_batches (int): training steps per sample (the same batches, cycled when the set has fewer).
        repeats, warmup (int): measured and discarded rounds.
        threads (int): torch threads while timing (restored afterwards).
        baseline (str, optional): the model every ratio divides by (default: :func:`baselines`).
        seed (int): initializes the models and picks the batches.
        root: data folder, as in :func:`~qpcnn_edu.lab.data.load_dataset`.
        note (str): what else was running on the machine, recorded with the load average.
        clock (callable): seconds, ``time.perf_counter`` (tests pass a fake one).

    Returns:
        dict: ``settings``, ``order`` (every measurement in the order made), ``models`` (per model: ``samples`` in
        seconds per batch, ``median``, ``q25``, ``q75``, ``iqr``, ``epoch_estimate`` in seconds, ``baseline`` and
        ``ratio`` with the per-round ratios and their quartiles), ``estimate`` (how the epoch time is estimated)
        and ``provenance``.

    >>> result = time_models(["classical", "qpcnn-L1"], n_batches=1, repeats=2, warmup=0)
    >>> [(m["round"], m["model"]) for m in result["order"]]
    [(0, 'classical'), (0, 'qpcnn-L1'), (1, 'classical'), (1, 'qpcnn-L1')]
    >>> result["models"]["classical"]["ratio"]["samples"]
    [1.0, 1.0]
    """
    names = _check_names(names, suite_name)
    _checks.one_of(dataset, "dataset", DATASETS)
    n_batches = _checks.positive_int(n_batches, "n_batches")
    repeats = _checks.positive_int(repeats, "repeats", "Measure at least one round.")
    warmup = _checks.non_negative_int(warmup, "warmup")
    threads = _checks.positive_int(threads, "threads")
    _checks.non_negative_int(seed, "seed")
    bases = baselines(names, baseline)
    if not isinstance(note, str) or not callable(clock):
        raise ValueError(f"note must be a string and clock a callable; got {note!r} and {clock!r}.")
    configs = {n: suite(dataset, "full", names=[n], seeds=[seed], suite_name=suite_name)[0] for n in names}
    batch_size = configs[names[0]].batch_size
    images, labels = as_tensors(load_dataset(dataset, train=True, root=root))
    if len(labels) < batch_size:
        raise ValueError(f"dataset must hold at least one batch of {batch_size} images; got {len(labels)}.")
    picked = torch.randperm(len(labels), generator=torch.Generator().manual_seed(seed))
    batches = [picked[k * batch_size:(k + 1) * batch_size] for k in range(min(n_batches, len(labels) // batch_size))]

    previous, load_before, started = torch.get_num_threads(), _load_average(), time.time()
    torch.set_num_threads(threads)
    try:
        origin = provenance("cpu")  # inside: it records the torch threads of the measurement
        trainers = {}
        for n in names:
            model = build_model(configs[n]).train()
            trainers[n] = (model, torch.optim.Adam(model.parameters(), lr=configs[n].lr))
        order, samples = [], {n: [] for n in names}
        for r in range(warmup + repeats):
            for n in names:
                model, optimizer = trainers[n]
                start, cpu = clock(), time.process_time()
                for k in range(n_batches):
                    _train_step(model, optimizer, images, labels, batches[k % len(batches)])
                per_batch = (clock() - start) / n_batches
                cpu_share = (time.process_time() - cpu) / n_batches / per_batch if per_batch > 0 else None
                order.append({"round": r, "model": n, "warmup": r < warmup, "seconds_per_batch": per_batch,
                              "cpu_share": cpu_share})
                if r >= warmup:
                    samples[n].append(per_batch)
    finally:
        torch.set_num_threads(previous)

    per_epoch = math.ceil(dataset_info(dataset)["n_train"] / batch_size)
    models = {}
    for n in names:
        ratio = None
        if bases[n] is not None:
            ratios = [a / b for a, b in zip(samples[n], samples[bases[n]])]
            ratio = {"samples": ratios, **_quartiles(ratios)}
        summary = _quartiles(samples[n])
        models[n] = {"samples": samples[n], **summary, "epoch_estimate": summary["median"] * per_epoch,
                     "baseline": bases[n], "ratio": ratio, "n_parameters": count_parameters(trainers[n][0]),
                     "cpu_share": float(np.median([m["cpu_share"] or 0.0 for m in order
                                                   if m["model"] == n and not m["warmup"]]))}
    n_train = dataset_info(dataset)["n_train"]
    return {
        "schema": SCHEMA_VERSION,
        "settings": {"names": names, "suite": suite_name, "dataset": dataset, "n_batches": n_batches,
                     "distinct_batches": len(batches), "repeats": repeats, "warmup": warmup, "threads": threads,
                     "seed": seed, "batch_size": batch_size, "lr": configs[names[0]].lr, "device": "cpu"},
        "estimate": {"batches_per_epoch": per_epoch,
                     "rule": f"median seconds per batch x {per_epoch} batches per epoch ({n_train} "
                             f"training images / batch {batch_size}, the last partial batch counted as a full one); "
                             "evaluation excluded, as in the training runs' epoch_time"},
        "order": order,
        "models": models,
        "provenance": {**origin, "started_at": utc(started), "finished_at": utc(), "elapsed": time.time() - started,
                       "load_average_before": load_before, "load_average_after": _load_average(),
                       "note": note},
    }


def _load_average():
    """The 1, 5 and 15 minute load averages (``None`` where the system has none, e.g. Windows)."""
    return list(os.getloadavg()) if hasattr(os, "getloadavg") else None


def _train_step(model, optimizer, images, labels, idx) -> None:
    """One training step as :func:`~qpcnn_edu.lab.training.fit` takes it."""
    x, y = images[idx], labels[idx]
    logits = model(x)
    loss = nn.functional.cross_entropy(logits, y)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    loss.item()
    int((logits.argmax(1) == y).sum())


def timing_markdown(result: dict) -> str:
    """The Markdown page of a :func:`time_models` result: how it was measured, then one row per model.

    >>> page = timing_markdown(time_models(["classical"], n_batches=1, repeats=1, warmup=0))
    >>> page.splitlines()[0], "| classical | classical |" in page
    ('# Epoch times, measured one model at a time', True)
    """
    s, p = result["settings"], result["provenance"]
    busy = [n for n, t in result["models"].items() if t["cpu_share"] < 0.9 * s["threads"]]
    m = p["machine"]
    load = [", ".join(f"{v:.2f}" for v in p[k]) if p[k] else "unknown"
            for k in ("load_average_before", "load_average_after")]
    lines = [
        "# Epoch times, measured one model at a time",
        "",
        f"Written by {'`' + p['command'] + '`' if p.get('command') else 'qpcnn_edu.lab.timing'}; do not edit by hand.",
        "",
        f"- What: training steps (forward, cross-entropy, backward, Adam lr {s['lr']}) of each model on the same "
        f"{s['distinct_batches']} batches of {s['batch_size']} {s['dataset']} training images, {s['n_batches']} "
        f"steps per sample, in one process with {s['threads']} torch thread(s) on {s['device']}.",
        f"- Order: models interleaved round-robin ({', '.join(s['names'])}, then again), {s['warmup']} warm-up "
        f"round(s) discarded, {s['repeats']} rounds measured; median and interquartile range (25th-75th "
        "percentile) over the rounds.",
        "- Ratio: per round, a model's time divided by its baseline's time in the same round; median and IQR over "
        "the rounds. CPU / wall: the process's CPU time over the wall time of a sample (median); about the number "
        "of threads when nothing else ran.",
        f"- Epoch time estimated as {result['estimate']['rule']}.",
        f"- Machine: {m['cpu']}, {m['cores']} cores, {m['torch_threads']} torch thread(s); load average (1, 5, 15 "
        f"min) {load[0]} before, {load[1]} after",
        f"- Also running: {p['note'] or 'nothing declared'}",
        "- Versions: " + ", ".join(f"{k} {v}" for k, v in sorted(p["versions"].items())),
        f"- Git commit: {p['git_commit']}{' (with uncommitted changes)' if p['git_dirty'] else ''}; "
        f"{p['started_at']} to {p['finished_at']}",
        *([f"- **Not a quiet machine**: CPU / wall below {0.9 * s['threads']:.1f} for {', '.join(busy)}; other "
           "processes took CPU time. Rerun when the machine is idle."] if busy else []),
        "",
        "| model | baseline | parameters | per batch, median (ms) | per batch, IQR (ms) | estimated epoch (s) "
        "| time / baseline, median | time / baseline, IQR | rounds | CPU / wall |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, t in result["models"].items():
        r = t["ratio"]
        ratio = (f"{r['median']:.2f} | {r['q25']:.2f}-{r['q75']:.2f}") if r else "— | —"
        lines.append(f"| {name} | {t['baseline'] or '—'} | {t['n_parameters']:,} | {1e3 * t['median']:.2f} "
                     f"| {1e3 * t['q25']:.2f}-{1e3 * t['q75']:.2f} | {t['epoch_estimate']:.1f} | {ratio} "
                     f"| {len(t['samples'])} | {t['cpu_share']:.2f} |")
    return "\n".join(lines) + "\n"


def _paths(out) -> tuple:
    out = Path(out)
    if out.suffix in (".json", ".md"):
        out = out.with_suffix("")
    folder = out.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        writable = os.access(folder, os.W_OK) and not out.is_dir()
    except OSError:
        writable = False
    if not writable:
        raise ValueError(f"out must name a file in a writable folder; got {str(out)!r}. Pass --out FOLDER/NAME "
                         "in a folder you can write (the .json and .md suffixes are added).")
    return out.with_name(out.name + ".json"), out.with_name(out.name + ".md")


def write_timing(result: dict, out=DEFAULT_OUT) -> tuple:
    """Write ``<out>.json`` and ``<out>.md`` atomically; return both paths.

    >>> import tempfile
    >>> result = time_models(["classical"], n_batches=1, repeats=1, warmup=0)
    >>> [p.name for p in write_timing(result, Path(tempfile.mkdtemp()) / "epoch_times")]
    ['epoch_times.json', 'epoch_times.md']
    """
    json_path, md_path = _paths(out)
    texts = json.dumps(result, indent=1, sort_keys=True) + "\n", timing_markdown(result)  # both, before writing
    write_text_atomic(json_path, texts[0])
    write_text_atomic(md_path, texts[1])
    return json_path, md_path


def run_timing(names=None, *, out=DEFAULT_OUT, command: str | None = None, **settings) -> tuple:
    """Check ``out`` is writable, :func:`time_models`, record ``command``, :func:`write_timing`; return the paths.

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> paths = run_timing(["classical"], out=folder / "t", command="demo", n_batches=1, repeats=1, warmup=0)
    >>> [p.name for p in paths], json.loads(paths[0].read_text())["provenance"]["command"]
    (['t.json', 't.md'], 'demo')
    """
    _paths(out)
    result = time_models(names, **settings)
    result["provenance"]["command"] = command
    return write_timing(result, out)
