"""Where a result came from: package versions, git commit, machine, time, and the data files read.

The one owner of provenance: training runs (:mod:`qpcnn_edu.lab.experiments`), robustness records
(:mod:`qpcnn_edu.lab.robustness`), timings (:mod:`qpcnn_edu.lab.timing`) and the benchmarks all record it through
:func:`provenance` and :func:`data_provenance`, so every result file describes its origin the same way.
"""

from __future__ import annotations

import os
import platform
import subprocess
import time
from pathlib import Path

import torch

__all__ = ["utc", "git_commit", "versions", "machine", "provenance", "data_provenance"]

_CHECKOUT = Path(__file__).resolve().parents[2]


def utc(seconds: float | None = None) -> str:
    """A time as ``YYYY-MM-DDTHH:MM:SSZ`` (now if ``seconds`` is ``None``).

    >>> utc(0)
    '1970-01-01T00:00:00Z'
    """
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() if seconds is None else seconds))


def git_commit() -> tuple:
    """``(commit, dirty)`` of the checkout this package runs from; ``(None, None)`` outside a git checkout.

    ``dirty`` is true when tracked files differ from the commit (untracked files do not count).

    >>> commit, dirty = git_commit()
    >>> commit is None or len(commit) == 40
    True
    """
    try:
        run = dict(cwd=_CHECKOUT, capture_output=True, text=True, timeout=10)
        commit = subprocess.run(["git", "rev-parse", "HEAD"], **run).stdout.strip()
        if not commit:
            return None, None
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], **run).stdout.strip()
        return commit, bool(dirty)
    except (OSError, subprocess.SubprocessError):
        return None, None


def versions() -> dict:
    """Versions of Python and of the packages a result depends on.

    >>> sorted(versions())
    ['numpy', 'pennylane', 'python', 'qpcnn_edu', 'scipy', 'torch']
    """
    import numpy
    import pennylane
    import scipy

    from .. import __version__

    return {"python": platform.python_version(), "torch": torch.__version__, "pennylane": pennylane.__version__,
            "numpy": numpy.__version__, "scipy": scipy.__version__, "qpcnn_edu": __version__}


def machine(device="cpu") -> dict:
    """The processor, core count, torch threads, device (and GPU name) a result was computed on.

    >>> info = machine("cpu")
    >>> info["device"], info["torch_threads"] == __import__("torch").get_num_threads()
    ('cpu', True)
    """
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    info = {"cpu": cpu, "cores": os.cpu_count(), "torch_threads": torch.get_num_threads(), "device": str(device),
            "platform": platform.platform()}
    if str(device).startswith("cuda"):
        info["gpu"] = torch.cuda.get_device_name(torch.device(device))
    return info


def provenance(device="cpu") -> dict:
    """Versions, git commit (and whether the checkout was dirty) and machine, as recorded in every result file.

    >>> sorted(provenance())
    ['git_commit', 'git_dirty', 'machine', 'versions']
    """
    commit, dirty = git_commit()
    return {"versions": versions(), "git_commit": commit, "git_dirty": dirty, "machine": machine(device)}


def data_provenance(name: str, *splits) -> dict:
    """What a result's data were: the dataset's name, split sizes, and each file read with its measured md5.

    The md5s and paths come from the loaded datasets themselves (:attr:`ImageDataset.md5s`, computed from the bytes
    read, and :attr:`ImageDataset.sources`), not from a table of official values.

    >>> from qpcnn_edu import load_dataset
    >>> info = data_provenance("fashion-mnist-mini", load_dataset("fashion-mnist-mini", train=False))
    >>> info["n_test"], list(info["md5"]) == list(info["files"]) == ["fashion_mnist_mini.npz"]
    (1000, True)
    """
    info = {"name": name}
    for split in splits:
        info["n_train" if getattr(split, "train", True) else "n_test"] = len(split)
    info["md5"] = {f: md5 for split in splits for f, md5 in sorted(getattr(split, "md5s", {}).items())}
    info["files"] = {f: path for split in splits for f, path in sorted(getattr(split, "sources", {}).items())}
    return info
