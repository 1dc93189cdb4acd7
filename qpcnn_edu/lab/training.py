"""Training and evaluation: ``fit`` and ``evaluate``, seeded, resumable, with tqdm progress bars.

Determinism: every epoch reseeds torch's generator and the shuffling generator from
``(seed, epoch)``, so a run is a pure function of its seed on a given machine, and a run resumed from
a checkpoint written at the end of any epoch continues exactly as the uninterrupted run would.

Speed: datasets that hold their tensors (``torch.utils.data.TensorDataset``, which is what
:func:`qpcnn_edu.data.load_dataset` returns) are batched by indexing, without a ``DataLoader``; other
datasets are read once into tensors first (see :func:`as_tensors`).
"""

from __future__ import annotations

import hashlib
import math
import os
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import torch
from torch import nn
from torch.utils.data import Dataset, TensorDataset

from .. import _checks
from .._io import atomic_write

__all__ = ["History", "fit", "evaluate", "as_tensors", "default_device", "state_dict_sha256"]


@dataclass
class History:
    """Per-epoch metrics of a :func:`fit` run.

    Attributes:
        epochs (list[dict]): one row per epoch: ``epoch`` (1-based), ``train_loss``, ``train_acc``,
            ``test_loss``, ``test_acc``, ``epoch_time`` (seconds of training), ``eval_time``.
        wall_time (float): seconds spent in :func:`fit`, summed over resumed sessions.

    >>> h = History(epochs=[{"epoch": 1, "test_acc": 0.7}, {"epoch": 2, "test_acc": 0.8}], wall_time=3.0)
    >>> h.column("test_acc"), h.final["epoch"], History().final
    ([0.7, 0.8], 2, {})
    >>> History.from_dict(h.to_dict()) == h
    True
    """

    epochs: list = field(default_factory=list)
    wall_time: float = 0.0

    @property
    def final(self) -> dict:
        """The last epoch's row (empty before the first epoch)."""
        return self.epochs[-1] if self.epochs else {}

    def column(self, name: str) -> list:
        """One metric over the epochs, e.g. ``history.column("test_acc")``."""
        return [row[name] for row in self.epochs]

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "History":
        return cls(epochs=list(data.get("epochs", [])), wall_time=float(data.get("wall_time", 0.0)))


def default_device() -> torch.device:
    """``cuda`` when a GPU is available, else ``cpu``.

    >>> import torch
    >>> default_device().type == ("cuda" if torch.cuda.is_available() else "cpu")
    True
    """
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def as_tensors(dataset: Dataset) -> tuple:
    """``(images, labels)`` tensors of a dataset: free for a ``TensorDataset``, one pass otherwise.

    >>> import torch
    >>> images, labels = as_tensors(TensorDataset(torch.zeros(3, 1, 2, 2), torch.tensor([0, 1, 2])))
    >>> tuple(images.shape), labels.tolist()
    ((3, 1, 2, 2), [0, 1, 2])
    >>> images, labels = as_tensors([(torch.ones(1, 2, 2), 5), (torch.zeros(1, 2, 2), 7)])  # any indexable dataset
    >>> tuple(images.shape), labels.tolist()
    ((2, 1, 2, 2), [5, 7])
    """
    if isinstance(dataset, TensorDataset):
        return dataset.tensors[0], dataset.tensors[1]
    images, labels = zip(*(dataset[i] for i in range(len(dataset))))
    return torch.stack(images), torch.as_tensor(labels)


def state_dict_sha256(model: nn.Module) -> str:
    """sha256 of a model's weights: every state-dict entry's name, dtype, shape and bytes, in key order.

    Two models hash alike exactly when their state dicts are bit-for-bit equal, whatever device they are on.

    >>> import torch
    >>> a, b = torch.nn.Linear(2, 1), torch.nn.Linear(2, 1)
    >>> _ = b.load_state_dict(a.state_dict())
    >>> state_dict_sha256(a) == state_dict_sha256(b), len(state_dict_sha256(a))
    (True, 64)
    >>> with torch.no_grad():
    ...     _ = b.bias.add_(1e-7)
    >>> state_dict_sha256(a) == state_dict_sha256(b)
    False
    >>> len(state_dict_sha256(torch.nn.BatchNorm1d(2)))  # 0-dim buffers (num_batches_tracked) too
    64
    """
    h = hashlib.sha256()
    for key, value in sorted(model.state_dict().items()):
        value = value.detach().cpu().contiguous()
        h.update(f"{key}|{value.dtype}|{tuple(value.shape)}|".encode())
        h.update(value.reshape(-1).view(torch.uint8).numpy().tobytes())  # reshape: 0-dim buffers too
    return h.hexdigest()


def _epoch_seed(seed: int, epoch: int) -> int:
    return (seed * 1_000_003 + epoch * 7_919) % (2**63 - 1)


def _show_progress(progress):
    if progress is not None:
        return bool(progress)
    if os.environ.get("CI"):
        return False
    in_kernel = "ipykernel" in sys.modules
    return in_kernel or sys.stderr.isatty()


@torch.no_grad()
def evaluate(model: nn.Module, dataset: Dataset, batch_size: int = 1000, device=None) -> dict:
    """Mean cross-entropy loss and accuracy of ``model`` on ``dataset``.

    Args:
        model (nn.Module): a classifier returning logits ``(B, n_classes)``.
        dataset (Dataset): items ``(image, label)``.
        batch_size (int): images per forward pass.
        device: where to run; the model's device if ``None``.

    Returns:
        dict: ``{"loss": float, "accuracy": float}``.

    >>> import torch
    >>> from torch.utils.data import TensorDataset
    >>> model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(4, 2))
    >>> data = TensorDataset(torch.zeros(8, 1, 2, 2), torch.zeros(8, dtype=torch.long))
    >>> sorted(evaluate(model, data))
    ['accuracy', 'loss']
    """
    _checks.positive_int(batch_size, "batch_size")
    device = torch.device(device) if device is not None else next(model.parameters()).device
    images, labels = as_tensors(dataset)
    was_training = model.training
    model.eval()
    total_loss, correct = 0.0, 0
    for start in range(0, len(labels), batch_size):
        x = images[start : start + batch_size].to(device)
        y = labels[start : start + batch_size].to(device)
        logits = model(x)
        total_loss += float(nn.functional.cross_entropy(logits, y, reduction="sum"))
        correct += int((logits.argmax(1) == y).sum())
    model.train(was_training)
    n = max(1, len(labels))
    return {"loss": total_loss / n, "accuracy": correct / n}


def fit(
    model: nn.Module,
    train_set: Dataset,
    test_set: Dataset | None,
    *,
    num_epochs: int,
    lr: float,
    batch_size: int,
    seed: int,
    device=None,
    callbacks: Iterable[Callable[[dict], None]] = (),
    checkpoint: str | os.PathLike | None = None,
    progress: bool | None = None,
    weight_decay: float = 0.0,
    identity: dict | None = None,
) -> History:
    """Train ``model`` with Adam on cross-entropy; evaluate on ``test_set`` after every epoch.

    Args:
        model (nn.Module): classifier returning logits.
        train_set, test_set (Dataset): items ``(image, label)``; ``test_set`` may be ``None``.
        num_epochs (int): epochs to train in total (a resumed run trains the remaining ones).
        lr (float): Adam learning rate.
        batch_size (int): training batch size (the last, smaller batch of an epoch is kept).
        seed (int): seeds initialization-independent randomness: shuffling and dropout. (Seed the
            model's initialization yourself, e.g. ``torch.manual_seed(seed)`` before building it.)
        device: ``"cpu"``, ``"cuda"``, ... ; a GPU when available if ``None``.
        callbacks: callables receiving each epoch's metrics row (a dict) after it is recorded.
        checkpoint (path, optional): file written atomically after every epoch (model, optimizer,
            history, run settings); if it exists when ``fit`` starts, training resumes from it.
        progress (bool, optional): show tqdm bars; default: in notebooks and terminals, not in CI.
        weight_decay (float): Adam weight decay.
        identity (dict, optional): what else identifies the run (e.g. its full configuration); stored in the
            checkpoint, which is resumed only when it matches exactly.

    Returns:
        History: per-epoch train/test loss and accuracy and times.

    Raises:
        ValueError: for non-positive settings or a checkpoint written by a different run.

    >>> import torch
    >>> from torch.utils.data import TensorDataset
    >>> torch.manual_seed(0)  # doctest: +ELLIPSIS
    <torch._C.Generator object at ...>
    >>> data = TensorDataset(torch.randn(64, 1, 2, 2), torch.randint(0, 2, (64,)))
    >>> model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(4, 2))
    >>> history = fit(model, data, data, num_epochs=2, lr=0.01, batch_size=16, seed=0, progress=False)
    >>> len(history.epochs), sorted(history.final)[:3]
    (2, ['epoch', 'epoch_time', 'eval_time'])
    """
    _checks.positive_int(num_epochs, "num_epochs")
    _checks.positive_number(lr, "lr")
    _checks.positive_int(batch_size, "batch_size")
    _checks.integer(seed, "seed")
    from tqdm.auto import tqdm

    device = torch.device(device) if device is not None else default_device()
    model.to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    settings = {"num_epochs": num_epochs, "lr": lr, "batch_size": batch_size, "seed": seed,
                "weight_decay": weight_decay, "model": type(model).__name__,
                "n_parameters": sum(p.numel() for p in model.parameters()), "identity": identity}
    history = History()
    start_epoch = 0
    if checkpoint is not None and Path(checkpoint).exists():
        try:
            state = torch.load(checkpoint, map_location=device, weights_only=False)
            saved = state["settings"]
        except Exception as err:
            raise ValueError(
                f"checkpoint {checkpoint} cannot be read ({type(err).__name__}: {err}); it is not a checkpoint "
                "written by fit (or was damaged). Delete it to start the run afresh."
            ) from err
        # num_epochs may grow (a run is extended), but a checkpoint past it cannot be undone
        mismatched = {k: (saved.get(k), v) for k, v in settings.items() if k != "num_epochs" and saved.get(k) != v}
        done = len(state["history"]["epochs"])
        if done > num_epochs:
            mismatched["epochs done"] = (done, num_epochs)
        if mismatched:
            raise ValueError(
                f"checkpoint {checkpoint} must come from a run with the same settings; got differences "
                f"(checkpoint, now): {mismatched}. Delete the file or pass another checkpoint path."
            )
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        history = History.from_dict(state["history"])
        start_epoch = len(history.epochs)

    images, labels = as_tensors(train_set)
    n_batches = math.ceil(len(labels) / batch_size)
    show = _show_progress(progress)
    callbacks = list(callbacks)
    for epoch in range(start_epoch, num_epochs):
        t_start = time.perf_counter()
        torch.manual_seed(_epoch_seed(seed, epoch))  # dropout and any other torch randomness
        order = torch.randperm(len(labels), generator=torch.Generator().manual_seed(_epoch_seed(seed, epoch)))
        model.train()
        total_loss, correct = 0.0, 0
        bar = tqdm(range(n_batches), desc=f"epoch {epoch + 1}/{num_epochs}", leave=False, disable=not show)
        for b in bar:
            idx = order[b * batch_size : (b + 1) * batch_size]
            x, y = images[idx].to(device, non_blocking=True), labels[idx].to(device, non_blocking=True)
            logits = model(x)
            loss = nn.functional.cross_entropy(logits, y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            total_loss += loss.item() * len(y)
            correct += int((logits.argmax(1) == y).sum())
            if b % 20 == 0:
                bar.set_postfix(loss=f"{loss.item():.3f}")
        bar.close()
        epoch_time = time.perf_counter() - t_start
        row = {"epoch": epoch + 1, "train_loss": total_loss / len(labels), "train_acc": correct / len(labels),
               "epoch_time": epoch_time}
        t_eval = time.perf_counter()
        if test_set is not None:
            metrics = evaluate(model, test_set, device=device)
            row.update(test_loss=metrics["loss"], test_acc=metrics["accuracy"])
        row["eval_time"] = time.perf_counter() - t_eval
        history.epochs.append(row)
        history.wall_time += time.perf_counter() - t_start
        if checkpoint is not None:
            state = {"settings": settings, "model": model.state_dict(), "optimizer": optimizer.state_dict(),
                     "history": history.to_dict()}
            atomic_write(checkpoint, lambda tmp: torch.save(state, tmp))
        for callback in callbacks:
            callback(dict(row))
    return history
