"""Reproducible runs and their result files: train, record, skip, refuse, read back.

A *run* (:class:`~qpcnn_edu.lab.suites.RunConfig`) trains one model with one seed and writes one JSON file
(:func:`~qpcnn_edu.lab.results.result_path`) holding the full configuration, per-epoch metrics, final accuracy,
parameter counts, times and provenance: the data files read with their measured md5s, the sha256 of the final
weights, package versions, git commit, machine, start and finish time. The file's identity is the configuration:

* a rerun with the same configuration is skipped (and says so);
* a different configuration under the same name is refused unless ``force``, before any work starts;
* a checkpoint is resumed only by a run with exactly the same configuration;
* every argument and the results folder's writability are checked before data is loaded.

Files are written atomically: a killed run leaves its last checkpoint, never a partial result. The models, suites
and profiles are in :mod:`qpcnn_edu.lab.suites`. (Over 300 lines only by its docstring examples, one per public
name; the code is about 200 lines.)
"""

from __future__ import annotations

import json
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from .._checks import one_of
from .._io import write_json_atomic
from ..nn.blocks import count_quantum_parameters
from ..nn.models import count_parameters
from .data import DATASETS, load_splits
from .provenance import data_provenance, provenance, utc
from .results import checkpoint_path, read_json, result_path
from .suites import NAMED_MODELS, RunConfig, build_model, validate_config
from .training import fit, state_dict_sha256

__all__ = ["SCHEMA_VERSION", "ResultConflictError", "read_record", "existing_record", "finished_record", "check_writable",
           "run_experiment", "run_suite", "load_results"]

SCHEMA_VERSION = 2  # 2: measured data provenance (files read, their md5), started_at, weights_sha256


class ResultConflictError(FileExistsError):
    """A result file exists for this run name but holds another configuration.

    It is a :class:`FileExistsError`, so callers that only care that the name is taken can catch that:

    >>> issubclass(ResultConflictError, FileExistsError)
    True
    """


def read_record(path) -> dict:
    """One result file, with an error that names it when it is not a readable result record.

    >>> read_record("no/such/file.json")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
        ...
    ValueError: result file no/such/file.json cannot be read (FileNotFoundError: ...
    """
    path = Path(path)
    record = read_json(path, "result file", "It may be truncated or not a result file: restore it "
                                            "(git checkout -- FILE) or delete it and rerun.")
    if not isinstance(record, dict) or not isinstance(record.get("config"), dict):
        raise ValueError(f"result file {path} must hold a result record with a 'config'; got "
                         f"{type(record).__name__}. Restore it (git checkout -- FILE) or delete it and rerun.")
    return record


def existing_record(path, identity: dict, force: bool = False, key=lambda record: record["config"]):
    """The record at ``path`` when ``key(record) == identity`` (``None`` when there is no file, or ``force``).

    Raises:
        ResultConflictError: the file was made with another identity and ``force`` is false (before any work).

    >>> import json, tempfile
    >>> from pathlib import Path
    >>> path = Path(tempfile.mkdtemp()) / "m-seed0.json"
    >>> existing_record(path, {"seed": 0}) is None  # no file yet
    True
    >>> _ = path.write_text(json.dumps({"config": {"seed": 0}, "final_test_acc": 0.5}))
    >>> existing_record(path, {"seed": 0})["final_test_acc"]
    0.5
    >>> existing_record(path, {"seed": 0}, force=True) is None
    True
    >>> existing_record(path, {"seed": 1})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
        ...
    qpcnn_edu.lab.experiments.ResultConflictError: ... differences (file, now): {'seed': (0, 1)}. ...
    """
    path = Path(path)
    if force or not path.exists():
        return None
    record = read_record(path)
    found = key(record)
    if found == identity:
        return record
    diff = {k: (found.get(k), v) for k, v in identity.items() if found.get(k) != v}
    raise ResultConflictError(
        f"{path} was made with another configuration; differences (file, now): {diff}. Choose another --name or "
        "--results folder, or pass --force to replace it.")


def finished_record(path, config: RunConfig, force: bool = False):
    """The finished record of ``config`` at ``path`` (``None`` when there is none); see :func:`existing_record`.

    >>> import json, tempfile
    >>> from qpcnn_edu.lab.suites import RunConfig
    >>> cfg = RunConfig(name="m", model="qpcnn", dataset="fashion-mnist-mini", num_epochs=1, lr=2e-3,
    ...                 batch_size=64, seed=0)
    >>> path = result_path(tempfile.mkdtemp(), cfg)
    >>> finished_record(path, cfg) is None
    True
    >>> path.parent.mkdir(parents=True)
    >>> _ = path.write_text(json.dumps({"config": cfg.to_dict(), "final_test_acc": 0.8}))
    >>> finished_record(path, cfg)["final_test_acc"]
    0.8
    """
    return existing_record(path, config.to_dict(), force)


def check_writable(folder) -> Path:
    """Make sure files can be written in ``folder`` (created if missing) before any work starts.

    >>> import tempfile
    >>> check_writable(tempfile.mkdtemp()).is_dir()
    True
    """
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".write-test-"):
            pass
    except OSError as err:
        raise PermissionError(f"results folder {folder} must be writable; got {type(err).__name__}: {err}. "
                              "Pass --results with a folder you can write to.") from err
    return folder


def _describe(config) -> str:
    return NAMED_MODELS.get(config.name, (None, None, config.name))[2]


def run_experiment(config: RunConfig, results_dir="results", *, root=None, download=False, device=None,
                   command=None, force=False, progress=None, datasets=None) -> dict:
    """Train one run and write its result file; return the record (the existing one if finished).

    Args:
        config (RunConfig): the run.
        results_dir (path): where result files go (``<results_dir>/<dataset>/``).
        root, download: passed to :func:`qpcnn_edu.load_dataset`.
        device: training device (a GPU when available if ``None``).
        command (str, optional): the command line to record; defaults to the equivalent ``train`` call.
        force (bool): rerun even if a result file with this name exists (any configuration).
        progress (bool, optional): tqdm bars (see :func:`qpcnn_edu.fit`).
        datasets (tuple, optional): ``(train_set, test_set)`` already loaded, to share between runs.

    Returns:
        dict: the result record (also written to :func:`~qpcnn_edu.lab.results.result_path`).

    Raises:
        ValueError: a field of ``config`` is invalid (before anything is loaded).
        ResultConflictError: another configuration holds the name and ``force`` is false.

    Invalid configurations are refused before any data is loaded:

    >>> import dataclasses, tempfile
    >>> from qpcnn_edu.lab.suites import RunConfig
    >>> cfg = RunConfig(name="m", model="qpcnn", dataset="fashion-mnist-mini", num_epochs=1, lr=2e-3,
    ...                 batch_size=64, seed=0)
    >>> run_experiment(dataclasses.replace(cfg, num_epochs=0), tempfile.mkdtemp())
    Traceback (most recent call last):
        ...
    ValueError: num_epochs must be a positive integer; got 0.
    """
    validate_config(config)
    path = result_path(results_dir, config)
    record = finished_record(path, config, force)
    if record is not None:
        return record
    check_writable(path.parent)
    train_set, test_set = datasets or load_splits(config.dataset, root=root, download=download)
    model = build_model(config)
    checkpoint = checkpoint_path(results_dir, config)
    if force and checkpoint.exists():
        checkpoint.unlink()
    started = time.time()
    history = fit(model, train_set, test_set, num_epochs=config.num_epochs, lr=config.lr,
                  batch_size=config.batch_size, seed=config.seed, device=device, checkpoint=checkpoint,
                  progress=progress, identity=config.to_dict())
    epoch_times = history.column("epoch_time")
    record = {
        "schema": SCHEMA_VERSION,
        "run_id": config.run_id,
        "config": config.to_dict(),
        "description": _describe(config),
        "command": command or f"python -m qpcnn_edu train --dataset {config.dataset} --model {config.model} "
                              f"--epochs {config.num_epochs} --seed {config.seed}",
        "model_repr": repr(model),
        "n_parameters": count_parameters(model),
        "n_quantum_parameters": count_quantum_parameters(model),
        "history": history.epochs,
        "final_test_acc": history.final.get("test_acc"),
        "final_train_acc": history.final.get("train_acc"),
        "mean_epoch_time": sum(epoch_times) / len(epoch_times),
        "wall_time": history.wall_time,
        "data": data_provenance(config.dataset, train_set, test_set),
        "weights_sha256": state_dict_sha256(model),
        **provenance(next(model.parameters()).device),
        "started_at": utc(started),
        "finished_at": utc(),
        "elapsed": time.time() - started,
    }
    write_json_atomic(path, record)
    if checkpoint.exists():
        checkpoint.unlink()
    return record


def run_suite(runs, results_dir="results", *, root=None, download=False, device=None, command=None,
              force=False, progress=None, log=print) -> list:
    """Run every configuration (skipping finished ones), loading each dataset once.

    Every configuration, every existing file and the results folder are checked before any training starts.

    A run finished earlier with the same configuration is skipped (here a record written by hand):

    >>> import json, tempfile
    >>> from qpcnn_edu.lab.suites import RunConfig
    >>> cfg = RunConfig(name="m", model="qpcnn", dataset="fashion-mnist-mini", num_epochs=1, lr=2e-3,
    ...                 batch_size=64, seed=0)
    >>> folder = tempfile.mkdtemp()
    >>> result_path(folder, cfg).parent.mkdir(parents=True)
    >>> _ = result_path(folder, cfg).write_text(json.dumps({"config": cfg.to_dict(), "final_test_acc": 0.8}))
    >>> [r["final_test_acc"] for r in run_suite([cfg], folder)]
    [1/1] fashion-mnist-mini/m-seed0: finished earlier with this configuration, skipped
    [0.8]
    """
    runs = [validate_config(config) for config in runs]
    finished = [finished_record(result_path(results_dir, config), config, force) for config in runs]
    for folder in {result_path(results_dir, c).parent for c, f in zip(runs, finished) if f is None}:
        check_writable(folder)
    records, cache = [], {}
    for i, (config, done) in enumerate(zip(runs, finished), 1):
        if done is not None:
            log(f"[{i}/{len(runs)}] {config.dataset}/{config.run_id}: finished earlier with this configuration, "
                "skipped")
            records.append(done)
            continue
        if config.dataset not in cache:
            cache[config.dataset] = load_splits(config.dataset, root=root, download=download)
        log(f"[{i}/{len(runs)}] {config.dataset}/{config.run_id}: training {config.num_epochs} epochs")
        record = run_experiment(config, results_dir, device=device, command=command, force=force,
                                progress=progress, datasets=cache[config.dataset])
        log(f"    test accuracy {record['final_test_acc']:.4f}, {record['mean_epoch_time']:.1f} s/epoch")
        records.append(record)
    return records


def _check_seeds_share_a_config(records, paths) -> None:
    groups = defaultdict(list)
    for record, path in zip(records, paths):
        config = {k: v for k, v in record["config"].items() if k != "seed"}
        groups[(record["config"]["dataset"], record["config"]["name"])].append((config, path))
    for (dataset, name), members in groups.items():
        if any(config != members[0][0] for config, _ in members):
            lines = "\n".join(f"  {path}: {json.dumps(config, sort_keys=True)}" for config, path in members)
            raise ValueError(f"the runs of {name!r} on {dataset} must share one configuration (all but the seed); got "
                             f"several:\n{lines}\nMove the odd files to another results folder, or rename their "
                             "runs (--name).")


def load_results(results_dir="results", dataset=None) -> list:
    """Every run record under ``results_dir`` (optionally one dataset), sorted by dataset and run id.

    Only records whose own configuration names the dataset of their folder are read (a mini-set run copied into
    the full dataset's folder is not a fourth seed); the runs of one model must share one configuration. A known
    dataset without a folder has no runs yet (``[]``).

    Raises:
        FileNotFoundError: ``results_dir`` does not exist (a typo'd folder is an error, not an empty result).
        ValueError: a file cannot be read, or one model's runs differ in configuration (the files are named).

    >>> load_results("no/such/folder")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
        ...
    FileNotFoundError: results folder must exist; got 'no/such/folder'. ...
    """
    base = Path(results_dir)
    if not base.is_dir():
        raise FileNotFoundError(f"results folder must exist; got {str(base)!r}. Pass the folder that holds "
                                "<dataset>/<run>.json (e.g. results or results/blocks).")
    if dataset is not None:
        one_of(dataset, "dataset", DATASETS)
    folders = ([base / dataset] if (base / dataset).is_dir() else []) if dataset else sorted(
        p for p in base.iterdir() if p.is_dir() and p.name[0] != ".")
    records, paths = [], []
    for folder in folders:
        for path in sorted(folder.glob("*.json")):
            record = read_record(path)
            if record["config"].get("dataset") == folder.name and "final_test_acc" in record:
                records.append(record)
                paths.append(path)
    _check_seeds_share_a_config(records, paths)
    order = sorted(range(len(records)), key=lambda i: (records[i]["config"]["dataset"], records[i]["run_id"]))
    return [records[i] for i in order]
