"""Named experiments, reproducible runs and their result files.

A *run* trains one model with one seed and writes one JSON file,
``results/<dataset>/<name>-seed<k>.json``, holding the full configuration, per-epoch metrics, the
final test accuracy, parameter counts, wall time, data md5s, package versions, git commit and machine.
Files are written atomically (a killed run leaves no partial file) and finished runs are skipped when
a suite is run again. A *suite* is the list of runs of a profile:

* ``ci`` — the embedded mini FashionMNIST set, 2 epochs, seed 0: a few minutes, run by the tests;
* ``full`` — the full dataset, seeds 0, 1, 2, enough epochs to converge.

The models of a suite (see :data:`SUITE`): the QPCNN at quantum depth 1, 2 and 4 and with a wider
stem (16 channels, 4 qubits); its classical twin (1x1 convolution in place of the QPC layer) for
both widths; a classical CNN narrowed until it has no more parameters than the QPCNN; and the
quadratic-form control (:class:`qpcnn_edu.layers.QuadraticPointwiseConv2d`).

A second suite, :data:`BLOCK_SUITE` (``suite(..., suite_name="blocks")``, ``reproduce --suite blocks``), puts the QPC
layer into modern blocks (:mod:`qpcnn_edu.blocks`): a MobileNetV2-style and a ResNet-bottleneck network, each with
its classical twin. :data:`SUITES` names both suites.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import torch

from .data import dataset_info, load_dataset
from ..nn.blocks import MobileNetQPC, ResNetQPC, count_quantum_parameters
from ..nn.layers import QuadraticPointwiseConv2d
from ..nn.models import QPCNN, ClassicalCNN, PointwiseCNN, count_parameters
from .._io import write_text_atomic
from .results import checkpoint_path, result_path
from .training import fit, state_dict_sha256

__all__ = ["RunConfig", "SUITE", "BLOCK_SUITE", "SUITES", "NAMED_MODELS", "PROFILES", "suite", "build_model", "run_experiment",
           "run_suite", "load_results", "result_path", "parameter_matched_kwargs"]

SCHEMA_VERSION = 2  # 2: measured data provenance (files read, their md5), started_at, weights_sha256


class ResultConflictError(FileExistsError):
    """A result file exists for this run name but holds another configuration."""


def _utc(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def read_record(path) -> dict:
    """One result file, with an error that names it when it is not a readable result record."""
    path = Path(path)
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ValueError(f"result file {path} cannot be read ({type(err).__name__}: {err}). It may be truncated "
                         "or not a result file: restore it (git checkout -- FILE) or delete it and rerun.") from err
    if not isinstance(record, dict) or not isinstance(record.get("config"), dict):
        raise ValueError(f"result file {path} must hold a result record with a 'config'; got "
                         f"{type(record).__name__}. Restore it (git checkout -- FILE) or delete it and rerun.")
    return record


def finished_record(path, config: "RunConfig", force: bool = False):
    """The finished record at ``path`` when it was made with exactly ``config`` (``None`` when there is none).

    Raises:
        ResultConflictError: the file holds another configuration and ``force`` is false.
    """
    path = Path(path)
    if force or not path.exists():
        return None
    record = read_record(path)
    if record["config"] == config.to_dict():
        return record
    else:
        diff = {k: (record["config"].get(k), v) for k, v in config.to_dict().items() if record["config"].get(k) != v}
        raise ResultConflictError(
            f"{path} already holds a run named {config.run_id!r} with another configuration; differences "
            f"(file, now): {diff}. Choose another --name or --results folder, or pass --force to replace it.")

#: name -> (model kind, model keyword arguments, one-line description)
SUITE = {
    "qpcnn-L1": ("qpcnn", {"n_layers": 1}, "QPCNN, 1 entangling layer (8 channels, 3 qubits)"),
    "qpcnn-L2": ("qpcnn", {"n_layers": 2}, "QPCNN, 2 entangling layers (8 channels, 3 qubits)"),
    "qpcnn-L4": ("qpcnn", {"n_layers": 4}, "QPCNN, 4 entangling layers (8 channels, 3 qubits)"),
    "qpcnn-wide-L2": ("qpcnn", {"n_layers": 2, "stem_channels": 16},
                      "QPCNN, 2 layers, wider stem (16 channels, 4 qubits)"),
    "classical": ("classical", {"pointwise_channels": 3}, "classical twin: 1x1 conv 8->3 in place of QPC"),
    "classical-wide": ("classical", {"pointwise_channels": 4, "stem_channels": 16},
                       "classical twin of the wide QPCNN: 1x1 conv 16->4"),
    "classical-matched": ("matched", {"n_layers": 2},
                          "classical CNN narrowed to <= the parameters of qpcnn-L2"),
    "quadratic": ("quadratic", {"pointwise_channels": 3},
                  "control: free symmetric quadratic forms x'Mx/x'x (contains the QPC function class)"),
}

#: The QPC layer in modern blocks (the paper's future work), same format as :data:`SUITE`; see :mod:`qpcnn_edu.blocks`.
BLOCK_SUITE = {
    "mobilenet-qpc": ("mobilenet", {"pointwise": "quantum"},
                      "MobileNetV2-style inverted residuals; expand 1x1 layers are QPC 8->24 (3 qubits, 8 kernels)"),
    "mobilenet-classical": ("mobilenet", {"pointwise": "classical"},
                            "classical twin of mobilenet-qpc: every 1x1 layer a convolution"),
    "resnet-qpc": ("resnet", {"pointwise": "quantum"},
                   "ResNet bottlenecks; reduce 1x1 layers are QPC 32->8 and 32->16 (5 qubits, 2 and 4 kernels)"),
    "resnet-classical": ("resnet", {"pointwise": "classical"},
                         "classical twin of resnet-qpc: every 1x1 layer a convolution"),
}

#: suite name -> suite (``suite(..., suite_name=...)``, ``reproduce --suite ...``)
SUITES = {"paper": SUITE, "blocks": BLOCK_SUITE}

#: every named model of every suite, in suite order: name -> ``(kind, kwargs, description)``
NAMED_MODELS = {name: spec for models in SUITES.values() for name, spec in models.items()}

#: model kinds of :data:`BLOCK_SUITE` -> their classes
BLOCK_MODELS = {"mobilenet": MobileNetQPC, "resnet": ResNetQPC}

#: profile -> settings shared by its runs
PROFILES = {
    "ci": {"dataset": "fashion-mnist-mini", "num_epochs": 2, "seeds": (0,), "lr": 3e-3, "batch_size": 64},
    "full": {"dataset": None, "num_epochs": 15, "seeds": (0, 1, 2), "lr": 2e-3, "batch_size": 64},
}


@dataclass
class RunConfig:
    """Everything that determines one run.

    Args:
        name (str): the run's model name (a key of :data:`SUITE` or free text for ``train``).
        model (str): ``"qpcnn"``, ``"classical"``, ``"matched"`` or ``"quadratic"`` (:data:`SUITE`), or
            ``"mobilenet"`` or ``"resnet"`` (:data:`BLOCK_SUITE`).
        dataset (str): a name accepted by :func:`qpcnn_edu.data.load_dataset`.
        num_epochs, lr, batch_size, seed: training settings (see :func:`qpcnn_edu.training.fit`).
        model_kwargs (dict): keyword arguments of the model's constructor.
        profile (str): the profile the run belongs to (``"ci"``, ``"full"``, ``"custom"``).
    """

    name: str
    model: str
    dataset: str
    num_epochs: int
    lr: float
    batch_size: int
    seed: int
    model_kwargs: dict = field(default_factory=dict)
    profile: str = "custom"

    @property
    def run_id(self) -> str:
        return f"{self.name}-seed{self.seed}"

    def to_dict(self) -> dict:
        return asdict(self)


def suite(dataset: str, profile: str = "full", names=None, seeds=None, num_epochs=None, *,
          suite_name: str = "paper") -> list:
    """The runs of a profile: every model of a suite (:data:`SUITE` by default, or ``names``) for every seed.

    ``suite_name`` picks the suite from :data:`SUITES`: ``"paper"`` (:data:`SUITE`) or ``"blocks"``
    (:data:`BLOCK_SUITE`).
    """
    if suite_name not in SUITES:
        raise ValueError(f"suite_name must be one of {sorted(SUITES)}; got {suite_name!r}.")
    models = SUITES[suite_name]
    if profile not in PROFILES:
        raise ValueError(f"profile must be one of {sorted(PROFILES)}; got {profile!r}.")
    settings = PROFILES[profile]
    dataset = settings["dataset"] or dataset
    names = list(models) if names is None else list(names)
    unknown = [n for n in names if n not in models]
    if unknown:
        raise ValueError(f"model names must be among {list(models)}; got {unknown}.")
    runs = []
    for seed in settings["seeds"] if seeds is None else seeds:
        for name in names:
            kind, kwargs, _ = models[name]
            runs.append(RunConfig(name=name, model=kind, dataset=dataset, seed=seed, profile=profile,
                                  num_epochs=num_epochs or settings["num_epochs"], lr=settings["lr"],
                                  batch_size=settings["batch_size"], model_kwargs=dict(kwargs)))
    return runs


def parameter_matched_kwargs(qpcnn_kwargs: dict, in_channels: int, n_classes: int, image_size: int) -> dict:
    """ClassicalCNN settings with as many parameters as possible but no more than the QPCNN's.

    Starts from the QPCNN's twin and narrows the body (then the stem) until the count fits.
    """
    qpcnn = QPCNN(in_channels=in_channels, n_classes=n_classes, image_size=image_size, **qpcnn_kwargs)
    budget = count_parameters(qpcnn)
    stem, body = qpcnn.stem_channels, qpcnn.body_channels
    pointwise = qpcnn.pointwise.out_channels
    for s in range(stem, 0, -1):
        for b in range(body, 0, -1):
            kwargs = {"stem_channels": s, "body_channels": b, "pointwise_channels": pointwise}
            candidate = ClassicalCNN(in_channels=in_channels, n_classes=n_classes, image_size=image_size, **kwargs)
            if count_parameters(candidate) <= budget:
                return kwargs
    raise ValueError(f"no classical CNN of this skeleton has at most {budget} parameters.")


def build_model(config: RunConfig) -> torch.nn.Module:
    """The model of a run, initialized from ``torch.manual_seed(config.seed)``."""
    info = dataset_info(config.dataset)
    common = {"in_channels": info["shape"][0], "n_classes": info["n_classes"], "image_size": info["shape"][1]}
    kwargs = dict(config.model_kwargs)
    torch.manual_seed(config.seed)
    if config.model == "qpcnn":
        return QPCNN(**common, **kwargs)
    if config.model == "classical":
        return ClassicalCNN(**common, **kwargs)
    if config.model == "matched":
        matched = parameter_matched_kwargs(kwargs, **common)
        torch.manual_seed(config.seed)
        return ClassicalCNN(**common, **matched)
    if config.model == "quadratic":
        out = kwargs.pop("pointwise_channels")
        stem = kwargs.get("stem_channels", 8)
        return PointwiseCNN(QuadraticPointwiseConv2d(stem, out), **common, **kwargs)
    if config.model in BLOCK_MODELS:
        return BLOCK_MODELS[config.model](**common, **kwargs)
    raise ValueError(f"model must be one of 'qpcnn', 'classical', 'matched', 'quadratic', 'mobilenet', 'resnet'; "
                     f"got {config.model!r}.")


def _git_commit():
    root = Path(__file__).resolve().parents[2]
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True,
                                timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return commit or None, bool(dirty)
    except (OSError, subprocess.SubprocessError):
        return None, None


def _versions() -> dict:
    import numpy
    import pennylane

    from .. import __version__

    return {"python": platform.python_version(), "torch": torch.__version__, "pennylane": pennylane.__version__,
            "numpy": numpy.__version__, "qpcnn_edu": __version__}


def _machine(device) -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    info = {"cpu": cpu, "cores": os.cpu_count(), "torch_threads": torch.get_num_threads(),
            "device": str(device), "platform": platform.platform()}
    if str(device).startswith("cuda"):
        info["gpu"] = torch.cuda.get_device_name(torch.device(device))
    return info


def write_json_atomic(path: Path, data: dict) -> None:
    """:func:`write_text_atomic` of ``data`` as indented, key-sorted JSON."""
    write_text_atomic(path, json.dumps(data, indent=1, sort_keys=True) + "\n")


def run_experiment(config: RunConfig, results_dir="results", *, root=None, download=False, device=None,
                   command=None, force=False, progress=None, datasets=None) -> dict:
    """Train one run and write its result file; return the record (the existing one if finished).

    Args:
        config (RunConfig): the run.
        results_dir (path): where result files go (``<results_dir>/<dataset>/``).
        root, download: passed to :func:`qpcnn_edu.data.load_dataset`.
        device: training device (a GPU when available if ``None``).
        command (str, optional): the command line to record; defaults to the equivalent ``train`` call.
        force (bool): rerun even if a finished result file with the same configuration exists.
        progress (bool, optional): tqdm bars (see :func:`qpcnn_edu.training.fit`).
        datasets (tuple, optional): ``(train_set, test_set)`` already loaded, to share between runs.

    Returns:
        dict: the result record (also written to :func:`result_path`).
    """
    path = result_path(results_dir, config)
    record = finished_record(path, config, force)
    if record is not None:
        return record
    train_set, test_set = datasets or (load_dataset(config.dataset, train=True, root=root, download=download),
                                       load_dataset(config.dataset, train=False, root=root, download=download))
    model = build_model(config)
    checkpoint = checkpoint_path(results_dir, config)
    if force and checkpoint.exists():
        checkpoint.unlink()
    started = time.time()
    history = fit(model, train_set, test_set, num_epochs=config.num_epochs, lr=config.lr,
                  batch_size=config.batch_size, seed=config.seed, device=device, checkpoint=checkpoint,
                  progress=progress, identity=config.to_dict())
    device = next(model.parameters()).device
    commit, dirty = _git_commit()
    quantum = sum(p.numel() for n, p in model.named_parameters() if n.startswith("pointwise.") and
                  config.model == "qpcnn")
    if config.model in BLOCK_MODELS:
        quantum = count_quantum_parameters(model)
    epoch_times = history.column("epoch_time")
    record = {
        "schema": SCHEMA_VERSION,
        "run_id": config.run_id,
        "config": config.to_dict(),
        "description": NAMED_MODELS.get(config.name, (None, None, config.name))[2],
        "command": command or f"python -m qpcnn_edu train --dataset {config.dataset} --model {config.model} "
                              f"--epochs {config.num_epochs} --seed {config.seed}",
        "model_repr": repr(model),
        "n_parameters": count_parameters(model),
        "n_quantum_parameters": quantum,
        "history": history.epochs,
        "final_test_acc": history.final.get("test_acc"),
        "final_train_acc": history.final.get("train_acc"),
        "mean_epoch_time": sum(epoch_times) / len(epoch_times),
        "wall_time": history.wall_time,
        "data": {"name": config.dataset, "n_train": len(train_set), "n_test": len(test_set),
                 "md5": {**getattr(train_set, "md5s", {}), **getattr(test_set, "md5s", {})},
                 "files": {**getattr(train_set, "sources", {}), **getattr(test_set, "sources", {})}},
        "weights_sha256": state_dict_sha256(model),
        "versions": _versions(),
        "git_commit": commit,
        "git_dirty": dirty,
        "machine": _machine(device),
        "started_at": _utc(started),
        "finished_at": _utc(time.time()),
        "elapsed": time.time() - started,
    }
    write_json_atomic(path, record)
    if checkpoint.exists():
        checkpoint.unlink()
    return record


def run_suite(runs, results_dir="results", *, root=None, download=False, device=None, command=None,
              force=False, progress=None, log=print) -> list:
    """Run every configuration (skipping finished ones), loading each dataset once."""
    records, cache = [], {}
    # every file is checked before any training starts: a conflicting one stops the suite at once
    finished_runs = [finished_record(result_path(results_dir, config), config, force) for config in runs]
    for i, (config, finished) in enumerate(zip(runs, finished_runs), 1):
        if finished is not None:
            log(f"[{i}/{len(runs)}] {config.dataset}/{config.run_id}: finished earlier with this configuration, "
                "skipped")
            records.append(finished)
            continue
        if config.dataset not in cache:
            cache[config.dataset] = (load_dataset(config.dataset, train=True, root=root, download=download),
                                     load_dataset(config.dataset, train=False, root=root, download=download))
        log(f"[{i}/{len(runs)}] {config.dataset}/{config.run_id}: training {config.num_epochs} epochs")
        record = run_experiment(config, results_dir, device=device, command=command, force=force,
                                progress=progress, datasets=cache[config.dataset])
        log(f"    test accuracy {record['final_test_acc']:.4f}, {record['mean_epoch_time']:.1f} s/epoch")
        records.append(record)
    return records


def load_results(results_dir="results", dataset=None) -> list:
    """Every result record under ``results_dir`` (optionally one dataset), sorted by run id."""
    base = Path(results_dir)
    folders = [base / dataset] if dataset else sorted(p for p in base.iterdir() if p.is_dir()) if base.exists() else []
    records = []
    for folder in folders:
        for path in sorted(folder.glob("*.json")):
            records.append(json.loads(path.read_text()))
    return sorted(records, key=lambda r: (r["config"]["dataset"], r["run_id"]))


def with_changes(config: RunConfig, **changes) -> RunConfig:
    """A copy of ``config`` with some fields changed."""
    return replace(config, **changes)
