"""How a trained QPCNN fares on a quantum computer: finite shots per pixel and depolarizing noise.

:func:`run_robustness` retrains a run of the committed reproduction (training is deterministic, so it gets the very
model whose accuracy is on record, and checks that it does), then evaluates it on the test set with every QPC layer
switched to ``shots`` samples per pixel (several sampling seeds) or to depolarizing noise of strength ``p`` after
every entangling layer. :func:`run_noisy_training` trains small models *with* shots or noise from the start.
(One idea in one module, hence its length: running, loading and summarizing these studies.) Both write one JSON
file per run (atomically), under ``results/<dataset>/robustness/`` and
``results/<dataset>/noisy-training/``. Command line: ``python -m qpcnn_edu robustness ...``.
"""

from __future__ import annotations

import contextlib
import statistics
import time
from pathlib import Path

import torch

from .. import _checks
from .._io import write_json_atomic
from ..nn.layers import QuantumPointwiseConv2d
from .data import load_splits
from .experiments import check_writable, existing_record, read_record
from .provenance import data_provenance, provenance, utc
from .results import noisy_training_path, result_path, robustness_path
from .suites import SUITE, build_model, suite
from .training import evaluate, fit, state_dict_sha256

__all__ = ["quantum_readout", "run_robustness", "run_noisy_training", "NOISY_SETTINGS", "load_robustness",
           "load_noisy_training", "summarize_robustness",
           "summarize_noisy_training", "DEFAULT_SHOTS", "DEFAULT_NOISE"]

DEFAULT_SHOTS = (10, 30, 100, 300, 1000, 10000)
DEFAULT_NOISE = (0.001, 0.003, 0.01, 0.03, 0.1, 0.3)


@contextlib.contextmanager
def quantum_readout(model: torch.nn.Module, shots: int | None = None, depolarizing: float = 0.0,
                    seed: int | None = None):
    """Temporarily give every statevector QPC layer of ``model`` finite ``shots`` and/or depolarizing noise.

    Args:
        model (nn.Module): a model containing :class:`~qpcnn_edu.QuantumPointwiseConv2d` layers.
        shots (int, optional): samples per pixel and kernel (``None``: exact).
        depolarizing (float): strength of the depolarizing channel after every entangling layer.
        seed (int, optional): seed of the shot sampler (each layer gets ``seed + i``).

    >>> from qpcnn_edu import QPCNN
    >>> model = QPCNN()
    >>> with quantum_readout(model, shots=100, seed=0):
    ...     model.pointwise.shots
    100
    >>> model.pointwise.shots is None
    True
    """
    layers = [m for m in model.modules() if isinstance(m, QuantumPointwiseConv2d)]
    if not layers:
        raise ValueError(f"model must contain a QuantumPointwiseConv2d layer; got {type(model).__name__} without one.")
    for layer in layers:
        if layer.backend != "statevector":
            raise ValueError(f"layer backend must be 'statevector'; got {layer.backend!r}.")
    saved = []  # each layer's previous readout, restored exactly (sampler state included) on exit
    try:
        for i, m in enumerate(layers):  # set_readout checks the settings before it changes anything
            saved.append(m.set_readout(shots=shots, depolarizing=depolarizing, seed=None if seed is None else seed + i,
                                       **({"diff_method": "backprop"} if depolarizing else {})))
        yield model
    finally:
        for m, previous in zip(layers, saved):
            m.set_readout(**previous)


def _record_common(config, train_set, test_set, device):
    return {"data": data_provenance(config.dataset, train_set, test_set), **provenance(device), "finished_at": utc()}


def _study(rows) -> dict:
    """The settings a robustness record evaluated, read from its rows (old records included)."""
    return {"shots": sorted({r["shots"] for r in rows if r["shots"] is not None}),
            "noise": sorted({r["depolarizing"] for r in rows if r["depolarizing"]}),
            "sample_seeds": sorted({r["sample_seed"] for r in rows if r["sample_seed"] is not None})}


def _check_model(name):
    qpcnns = tuple(n for n, spec in SUITE.items() if spec[0] == "qpcnn")
    return _checks.one_of(name, "model", qpcnns, "Robustness studies read out the QPC layer of a QPCNN.")


def run_robustness(dataset: str = "fashion-mnist", name: str = "qpcnn-L2", seeds=(0, 1, 2), shots=DEFAULT_SHOTS,
                   noise=DEFAULT_NOISE, sample_seeds=(0, 1, 2), results_dir="results", *, num_epochs=None,
                   root=None, download=False, device="cpu", command=None, force=False, log=print) -> list:
    """Test accuracy of retrained reproduction runs against shots per pixel and depolarizing noise.

    A record's identity is its training configuration and the settings it evaluated (shots, noise, sampling seeds):
    a rerun with the same ones is skipped, other ones are refused unless ``force``. Every argument and the results
    folder are checked before any retraining. The retrained weights' sha256 is compared with the committed run's
    (where that record has one; older records only allow comparing final accuracy, and the record says which).

    Args:
        dataset (str): dataset of the committed runs (``"fashion-mnist"``).
        name (str): a QPCNN of :data:`qpcnn_edu.lab.suites.SUITE`.
        seeds (Sequence[int]): training seeds (one retrained model each).
        shots (Sequence[int]): shots per pixel to evaluate, each with every seed of ``sample_seeds``.
        noise (Sequence[float]): depolarizing strengths to evaluate.
        results_dir (path): where the reproduction's records are and where ``robustness/`` is written.
        root, download: passed to :func:`qpcnn_edu.load_dataset`.
        device: training/evaluation device.
        command (str, optional): command line recorded in the file.
        num_epochs (int, optional): override the full profile's epochs (then no committed record matches).
        force (bool): replace records made with other settings.

    Returns:
        list[dict]: one record per training seed.

    Arguments are checked before any model is retrained or data loaded:

    >>> run_robustness(name="classical")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
        ...
    ValueError: model must be one of ('qpcnn-L1', 'qpcnn-L2', ...); got 'classical'. ...
    >>> run_robustness(shots=[0])
    Traceback (most recent call last):
        ...
    ValueError: shots must be a positive integer; got 0. Give shots per pixel as positive integers.
    """
    _check_model(name)
    shots = [_checks.positive_int(s, "shots", "Give shots per pixel as positive integers.") for s in shots]
    noise = [_checks.probability(p, "depolarizing") for p in noise]
    sample_seeds = [_checks.non_negative_int(r, "sample seed") for r in sample_seeds]
    configs = suite(dataset, "full", names=[name], seeds=list(seeds), num_epochs=num_epochs)
    study = {"shots": sorted(set(shots)), "noise": sorted({p for p in noise if p}),
             "sample_seeds": sorted(set(sample_seeds)) if shots else []}
    todo = []
    for config in configs:
        out = robustness_path(results_dir, config)
        identity = {"config": config.to_dict(), **study}
        todo.append((config, out, existing_record(out, identity, force,
                                                  lambda r: {"config": r["config"], **_study(r["evaluations"])})))
    if any(done is None for _, _, done in todo):
        check_writable(todo[0][1].parent)
        train_set, test_set = load_splits(dataset, root=root, download=download)
    records = []
    for config, out, done in todo:
        if done is not None:
            log(f"{out}: finished earlier with these settings, skipped")
            records.append(done)
            continue
        log(f"{config.run_id}: retraining {config.num_epochs} epochs")
        started = time.time()
        model = build_model(config)
        history = fit(model, train_set, test_set, num_epochs=config.num_epochs, lr=config.lr,
                      batch_size=config.batch_size, seed=config.seed, device=device, progress=False)
        model.eval()
        committed_path = result_path(results_dir, config)
        committed = read_record(committed_path) if committed_path.exists() else {}
        weights = state_dict_sha256(model)
        exact = evaluate(model, test_set, device=device)["accuracy"]
        rows = [{"shots": None, "depolarizing": 0.0, "sample_seed": None, "test_acc": exact}]
        for s in study["shots"]:
            for r in study["sample_seeds"]:
                with quantum_readout(model, shots=s, seed=r):
                    rows.append({"shots": s, "depolarizing": 0.0, "sample_seed": r,
                                 "test_acc": evaluate(model, test_set, device=device)["accuracy"]})
            log(f"    shots {s}: " + ", ".join(f"{row['test_acc']:.4f}" for row in rows[-len(sample_seeds):]))
        for p in study["noise"]:
            with quantum_readout(model, depolarizing=p):
                rows.append({"shots": None, "depolarizing": p, "sample_seed": None,
                             "test_acc": evaluate(model, test_set, device=device)["accuracy"]})
            log(f"    depolarizing {p}: {rows[-1]['test_acc']:.4f}")
        basis = "weights_sha256" if committed.get("weights_sha256") else "final_test_acc"
        matches = (committed.get("weights_sha256") == weights if basis == "weights_sha256"
                   else committed.get("final_test_acc") is not None and abs(exact - committed["final_test_acc"]) < 1e-12)
        record = {"kind": "robustness", "run_id": config.run_id, "config": config.to_dict(),
                  "command": command or f"python -m qpcnn_edu robustness --dataset {dataset} --model {name}",
                  "exact_test_acc": exact, "committed_test_acc": committed.get("final_test_acc"),
                  "weights_sha256": weights, "committed_weights_sha256": committed.get("weights_sha256"),
                  "retrained_matches_committed": matches, "match_basis": basis,
                  "final_test_acc_after_training": history.final.get("test_acc"),
                  "evaluations": rows, "started_at": utc(started), "elapsed": time.time() - started,
                  **_record_common(config, train_set, test_set, device)}
        write_json_atomic(out, record)
        records.append(record)
    return records


NOISY_SETTINGS = ({}, {"shots": 10}, {"shots": 100}, {"shots": 1000}, {"depolarizing": 0.01}, {"depolarizing": 0.1})


def _check_setting(setting) -> dict:
    if not isinstance(setting, dict) or set(setting) - {"shots", "depolarizing"}:
        raise ValueError(f"a training setting must be a dict with keys among 'shots', 'depolarizing'; got {setting!r}.")
    if "shots" in setting:
        _checks.positive_int(setting["shots"], "shots")
    if "depolarizing" in setting:
        _checks.probability(setting["depolarizing"], "depolarizing")
    return dict(setting)


def run_noisy_training(dataset: str = "fashion-mnist-mini", name: str = "qpcnn-L2", settings=None, seeds=(0, 1, 2),
                       num_epochs: int = 3, results_dir="results", *, root=None, download=False, device="cpu",
                       command=None, force=False, log=print) -> list:
    """Train a QPCNN with finite shots or depolarizing noise in its QPC layer from the start (small scale).

    Shot noise enters the forward pass only: gradients are the exact ones (straight-through), as in the layer.
    A record's identity is its training configuration (epochs included) and its setting.

    Args:
        settings (Sequence[dict]): readouts to train with, e.g. ``{"shots": 100}``, ``{"depolarizing": 0.05}``;
            ``{}`` is the exact baseline. Default: :data:`NOISY_SETTINGS`.
        seeds, num_epochs: training seeds and epochs (the profile's lr and batch size otherwise).
        Other arguments: see :func:`run_robustness`.

    Returns:
        list[dict]: one record per (setting, seed), written to ``results/<dataset>/noisy-training/``.

    Settings are checked before any training:

    >>> run_noisy_training(settings=[{"shots": 100}, {"noise": 0.1}])
    Traceback (most recent call last):
        ...
    ValueError: a training setting must be a dict with keys among 'shots', 'depolarizing'; got {'noise': 0.1}.
    """
    _check_model(name)
    settings = [_check_setting(s) for s in (NOISY_SETTINGS if settings is None else settings)]
    num_epochs = _checks.positive_int(num_epochs, "num_epochs")
    todo = []
    for seed in seeds:
        config = suite(dataset, "full", names=[name], seeds=[seed], num_epochs=num_epochs)[0]
        for setting in settings:
            tag = "-".join(f"{k}{v}" for k, v in sorted(setting.items())) or "exact"
            out = noisy_training_path(results_dir, dataset, f"{name}-{tag}-seed{seed}")
            identity = {"config": config.to_dict(), "setting": setting}
            todo.append((config, setting, out, existing_record(out, identity, force,
                                                               lambda r: {"config": r["config"], "setting": r["setting"]})))
    if any(done is None for *_, done in todo):
        check_writable(todo[0][2].parent)
        train_set, test_set = load_splits(dataset, root=root, download=download)
    records = []
    for config, setting, out, done in todo:
        if done is not None:
            records.append(done)
            continue
        model = build_model(config)
        started = time.time()
        with quantum_readout(model, seed=config.seed, **setting):
            history = fit(model, train_set, test_set, num_epochs=num_epochs, lr=config.lr,
                          batch_size=config.batch_size, seed=config.seed, device=device, progress=False)
        exact = evaluate(model, test_set, device=device)["accuracy"]
        record = {"kind": "noisy-training", "run_id": out.stem, "config": config.to_dict(), "setting": setting,
                  "command": command or f"python -m qpcnn_edu robustness --dataset {dataset} --noisy-training",
                  "history": history.epochs, "final_test_acc": history.final.get("test_acc"),
                  "exact_readout_test_acc": exact, "weights_sha256": state_dict_sha256(model),
                  "started_at": utc(started), "elapsed": time.time() - started,
                  **_record_common(config, train_set, test_set, device)}
        write_json_atomic(out, record)
        log(f"{out.stem}: test accuracy {record['final_test_acc']:.4f} (exact readout {exact:.4f})")
        records.append(record)
    return records


def _load(folder, kind: str) -> list:
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"{kind} folder must exist; got {str(folder)!r}. Run `python -m qpcnn_edu robustness"
                                f"{' --noisy-training' if kind == 'noisy-training' else ''}` first, or pass the "
                                "results folder that holds it.")
    paths = sorted(folder.glob("*.json"))
    records = [read_record(path) for path in paths]
    odd = [path.name for path, r in zip(paths, records) if r.get("kind") != kind]
    if odd:
        raise ValueError(f"every file in {folder} must be a {kind!r} record; got others: {odd}. Move them away.")
    return records


def load_robustness(results_dir="results", dataset: str = "fashion-mnist") -> list:
    """The robustness records of a dataset (``<results_dir>/<dataset>/robustness/*.json``), sorted by file name.

    >>> load_robustness("no/such/folder")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
        ...
    FileNotFoundError: robustness folder must exist; got 'no/such/folder/fashion-mnist/robustness'. ...
    """
    return _load(Path(results_dir) / dataset / "robustness", "robustness")


def load_noisy_training(results_dir="results", dataset: str = "fashion-mnist-mini") -> list:
    """The noisy-training records of a dataset (``<results_dir>/<dataset>/noisy-training/*.json``).

    >>> import json, tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> load_noisy_training(folder)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
        ...
    FileNotFoundError: noisy-training folder must exist; got '...'. Run `python -m qpcnn_edu robustness ...
    >>> (folder / "fashion-mnist-mini" / "noisy-training").mkdir(parents=True)
    >>> record = {"kind": "noisy-training", "config": {"seed": 0}, "setting": {"shots": 100}}
    >>> _ = (folder / "fashion-mnist-mini" / "noisy-training" / "r.json").write_text(json.dumps(record))
    >>> [r["setting"] for r in load_noisy_training(folder)]
    [{'shots': 100}]
    """
    return _load(Path(results_dir) / dataset / "noisy-training", "noisy-training")


# --------------------------------------------------------------------------------------------------
# Summaries of the result files (the book and the closing notes read these)
# --------------------------------------------------------------------------------------------------
def _stats(values):
    values = list(values)
    return {"mean": statistics.fmean(values), "std": statistics.stdev(values) if len(values) > 1 else 0.0,
            "n": len(values)}


def summarize_robustness(records) -> dict:
    """Test accuracy of :func:`run_robustness` records: exact, per shot count and per noise strength.

    Shot rows pool every training seed and sampling seed; noise rows pool the training seeds.

    Returns:
        dict: ``{"exact": stats, "shots": {shots: stats}, "depolarizing": {p: stats}, "seeds": [...]}`` where
        ``stats`` is ``{"mean", "std", "n"}`` (sample standard deviation).

    >>> rec = {"config": {"seed": 0}, "evaluations": [
    ...     {"shots": None, "depolarizing": 0.0, "test_acc": 0.9}, {"shots": 10, "depolarizing": 0.0, "test_acc": 0.5},
    ...     {"shots": 10, "depolarizing": 0.0, "test_acc": 0.7}, {"shots": None, "depolarizing": 0.1, "test_acc": 0.8}]}
    >>> s = summarize_robustness([rec])
    >>> s["exact"]["mean"], round(s["shots"][10]["mean"], 6), s["depolarizing"][0.1]["n"]
    (0.9, 0.6, 1)
    """
    if not records:
        raise ValueError("records must hold at least one robustness record; got none. Run "
                         "`python -m qpcnn_edu robustness` first.")
    exact, shots, noise = [], {}, {}
    for record in records:
        for row in record["evaluations"]:
            if row["shots"] is None and not row["depolarizing"]:
                exact.append(row["test_acc"])
            elif row["shots"] is not None:
                shots.setdefault(row["shots"], []).append(row["test_acc"])
            else:
                noise.setdefault(row["depolarizing"], []).append(row["test_acc"])
    return {"exact": _stats(exact), "shots": {k: _stats(v) for k, v in sorted(shots.items())},
            "depolarizing": {k: _stats(v) for k, v in sorted(noise.items())},
            "seeds": sorted(r["config"]["seed"] for r in records)}


def summarize_noisy_training(records) -> list:
    """One row per training setting of :func:`run_noisy_training` records: accuracy with the training readout
    and with the exact readout, mean ± std over seeds.

    Returns:
        list[dict]: ``{"setting", "label", "acc": stats, "exact_readout_acc": stats, "epochs", "seeds", "elapsed"}``
        (``stats`` as in :func:`summarize_robustness`; ``elapsed``: mean seconds per run).

    >>> rec = lambda setting, seed, acc: {"setting": setting, "config": {"seed": seed, "num_epochs": 3},
    ...     "final_test_acc": acc, "exact_readout_test_acc": acc + 0.01, "elapsed": 2.0}
    >>> rows = summarize_noisy_training([rec({"shots": 100}, 1, 0.7), rec({}, 0, 0.8), rec({"shots": 100}, 0, 0.6)])
    >>> [(r["label"], r["seeds"], round(r["acc"]["mean"], 2), round(r["exact_readout_acc"]["mean"], 2)) for r in rows]
    [('exact', [0], 0.8, 0.81), ('shots 100', [0, 1], 0.65, 0.66)]
    """
    groups = {}
    for record in records:
        key = tuple(sorted(record["setting"].items()))
        groups.setdefault(key, []).append(record)
    rows = []
    for key, runs in sorted(groups.items(), key=lambda kv: (len(kv[0]), kv[0])):
        setting = dict(key)
        label = ", ".join(f"{k} {v}" for k, v in key) or "exact"
        rows.append({"setting": setting, "label": label, "acc": _stats(r["final_test_acc"] for r in runs),
                     "exact_readout_acc": _stats(r["exact_readout_test_acc"] for r in runs),
                     "epochs": runs[0]["config"]["num_epochs"], "seeds": sorted(r["config"]["seed"] for r in runs),
                     "elapsed": sum(r["elapsed"] for r in runs) / len(runs)})
    return rows
