"""Where every result file lives: the one owner of the paths under ``results/`` and ``benchmarks/results/``.

Layout (``<results>`` is ``results/`` in a checkout; ``results/blocks`` for the blocks suite)::

    <results>/<dataset>/<name>-seed<k>.json                  one training run      (result_path)
    <results>/.checkpoints/<dataset>/<name>-seed<k>.pt       its checkpoint        (checkpoint_path)
    <results>/<dataset>/robustness/<name>-seed<k>.json       a trained QPCNN under shots and noise (robustness_path)
    <results>/<dataset>/noisy-training/<run>.json             training with shots or noise (noisy_training_path)
    <results>/<dataset>/reruns/<name>-seed<k>.json            a committed run retrained later (rerun_path)
    <results>/summary.md                                      the report             (summary_path)
    benchmarks/results/<name>.json                            a benchmark            (load_benchmark)
    benchmarks/results/epoch_times.{json,md}                  quiet-machine epoch times (EPOCH_TIMES)

Readers find the committed folders with :func:`find_results_dir` (the chapters run from ``book/``, a checkout, or
an installed package that ships no results).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from .._io import checkout_candidates

__all__ = ["SUITE_RESULTS", "RESULTS_ENV", "BENCHMARK_RESULTS", "EPOCH_TIMES", "find_results_dir", "suite_results_dir",
           "result_path", "checkpoint_path", "robustness_path", "rerun_path", "noisy_training_path", "summary_path",
           "load_benchmark", "read_json"]

#: suite name -> its results folder, relative to the results root of a checkout
SUITE_RESULTS = {"paper": Path("results"), "blocks": Path("results") / "blocks"}

#: where benchmark results live in a checkout, and the default output of ``python -m qpcnn_edu timing``
BENCHMARK_RESULTS = Path("benchmarks") / "results"
EPOCH_TIMES = BENCHMARK_RESULTS / "epoch_times"

#: environment variable naming the results folder (read by :func:`find_results_dir`)
RESULTS_ENV = "QPCNN_EDU_RESULTS"


def _safe_name(name: str, what: str) -> str:
    if not isinstance(name, str) or not name or name in (".", "..") or any(c in name for c in "/\\\0"):
        raise ValueError(f"{what} must be a plain file name (no '/', '\\\\' or '..'); got {name!r}. Choose a name "
                         "of letters, digits, '-' and '_'.")
    return name


def suite_results_dir(suite_name: str) -> Path:
    """The results folder of a suite, relative to the checkout (``results`` or ``results/blocks``).

    >>> str(suite_results_dir("blocks"))
    'results/blocks'
    """
    if suite_name not in SUITE_RESULTS:
        raise ValueError(f"suite must be one of {sorted(SUITE_RESULTS)}; got {suite_name!r}.")
    return SUITE_RESULTS[suite_name]


def result_path(results_dir, config) -> Path:
    """``results_dir/<dataset>/<name>-seed<k>.json`` of a :class:`~qpcnn_edu.lab.experiments.RunConfig`.

    Run names cannot leave the results folder:

    >>> from qpcnn_edu.lab.experiments import RunConfig
    >>> cfg = RunConfig(name="qpcnn-L2", model="qpcnn", dataset="fashion-mnist", num_epochs=15, lr=2e-3,
    ...                 batch_size=64, seed=3)
    >>> result_path("results", cfg).as_posix()
    'results/fashion-mnist/qpcnn-L2-seed3.json'
    >>> result_path("results", RunConfig(**{**cfg.to_dict(), "name": "../../x"}))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: run name must be a plain file name (no '/', '\\\\' or '..'); got '../../x'. ...
    """
    _safe_name(config.name, "run name")
    return Path(results_dir) / _safe_name(config.dataset, "dataset") / f"{config.run_id}.json"


def checkpoint_path(results_dir, config) -> Path:
    """``results_dir/.checkpoints/<dataset>/<name>-seed<k>.pt`` (removed when the run finishes).

    >>> from qpcnn_edu.lab.suites import RunConfig
    >>> cfg = RunConfig(name="qpcnn-L2", model="qpcnn", dataset="fashion-mnist", num_epochs=15, lr=2e-3,
    ...                 batch_size=64, seed=3)
    >>> checkpoint_path("results", cfg).as_posix()
    'results/.checkpoints/fashion-mnist/qpcnn-L2-seed3.pt'
    """
    return Path(results_dir) / ".checkpoints" / config.dataset / result_path(results_dir, config).with_suffix(".pt").name


def robustness_path(results_dir, config) -> Path:
    """``results_dir/<dataset>/robustness/<name>-seed<k>.json``: a trained model read out with shots and noise.

    >>> from qpcnn_edu.lab.suites import suite
    >>> robustness_path("results", suite("fashion-mnist", "full", names=["qpcnn-L2"], seeds=[3])[0]).as_posix()
    'results/fashion-mnist/robustness/qpcnn-L2-seed3.json'
    """
    return Path(results_dir) / config.dataset / "robustness" / result_path(results_dir, config).name


def rerun_path(results_dir, config) -> Path:
    """``results_dir/<dataset>/reruns/<name>-seed<k>.json``: a committed run retrained with later code, kept to show
    whether the training code still reproduces it.

    >>> from qpcnn_edu.lab.suites import suite
    >>> runs = suite("fashion-mnist", "full", names=["classical"], seeds=[0, 1])
    >>> [rerun_path("results/blocks", c).as_posix() for c in runs]
    ['results/blocks/fashion-mnist/reruns/classical-seed0.json',
     'results/blocks/fashion-mnist/reruns/classical-seed1.json']
    """
    return Path(results_dir) / config.dataset / "reruns" / result_path(results_dir, config).name


def noisy_training_path(results_dir, dataset: str, run_id: str) -> Path:
    """``results_dir/<dataset>/noisy-training/<run_id>.json``: one run trained with shots or noise.

    >>> noisy_training_path("results", "fashion-mnist-mini", "shots100-seed0").as_posix()
    'results/fashion-mnist-mini/noisy-training/shots100-seed0.json'
    >>> noisy_training_path("results", "fashion-mnist-mini", "../x")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: run id must be a plain file name (no '/', '\\\\' or '..'); got '../x'. ...
    """
    return Path(results_dir) / _safe_name(dataset, "dataset") / "noisy-training" / f"{_safe_name(run_id, 'run id')}.json"


def summary_path(results_dir) -> Path:
    """``results_dir/summary.md``.

    >>> summary_path("results/blocks").as_posix()
    'results/blocks/summary.md'
    """
    return Path(results_dir) / "summary.md"


def find_results_dir(path=None):
    """The folder of committed result files, or ``None`` when there is none.

    Looks, in order, at ``path``, ``$QPCNN_EDU_RESULTS``, ``./results``, ``../results`` (the book's chapters
    run from ``book/``) and the ``results`` folder of the repository this package was installed from.

    Raises:
        FileNotFoundError: when ``path`` is given but is not a folder.

    >>> find_results_dir("no/such/folder")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    FileNotFoundError: results folder must exist; got 'no/such/folder'. ...
    """
    if path is not None:
        path = Path(path)
        if not path.is_dir():
            raise FileNotFoundError(f"results folder must exist; got {str(path)!r}. Pass the folder that holds "
                                    "<dataset>/*.json, or leave path out to search the usual places.")
        return path
    candidates = [Path(os.environ[RESULTS_ENV])] if os.environ.get(RESULTS_ENV) else []
    for candidate in candidates + checkout_candidates("results"):
        if candidate.is_dir():
            return candidate
    return None


def load_benchmark(name: str = "layer_cpu", folder=None):
    """The committed benchmark record ``benchmarks/results/<name>.json``, or ``None`` where it is not available.

    Looks in ``folder`` if given, else in ``./benchmarks/results``, ``../benchmarks/results`` (from ``book/``) and
    the repository this package was installed from (a pip-installed package has no benchmarks).

    Raises:
        FileNotFoundError: when ``folder`` is given and holds no ``<name>.json``.

    >>> load_benchmark("layer_cpu", folder="no/such/folder")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    FileNotFoundError: benchmark file must exist; got 'no/such/folder/layer_cpu.json'. ...
    """
    if folder is not None:
        path = Path(folder) / f"{name}.json"
        if not path.is_file():
            raise FileNotFoundError(f"benchmark file must exist; got {str(path)!r}. Run "
                                    f"`python benchmarks/bench_layer.py --out {Path(folder) / name}` to make it.")
        return read_json(path, "benchmark file")
    for path in checkout_candidates(BENCHMARK_RESULTS / f"{name}.json"):
        if path.is_file():
            return read_json(path, "benchmark file")
    return None


def read_json(path, what: str = "", fix: str = "Restore it (git checkout -- FILE) or regenerate it."):
    """The JSON in ``path``; when it cannot be read, an error naming the file, what it is, and the fix.

    >>> read_json("no/such.json", "benchmark file")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
        ...
    ValueError: benchmark file no/such.json cannot be read (FileNotFoundError: ...). Restore it ...
    """
    path = Path(path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ValueError(f"{what + ' ' if what else ''}{path} cannot be read ({type(err).__name__}: {err}). "
                         f"{fix}") from err
