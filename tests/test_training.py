"""Training loop: learning, determinism, exact resume, atomic checkpoints, errors."""

import os

import pytest
import torch
from torch import nn
from torch.utils.data import Dataset, TensorDataset

from qpcnn_edu import QPCNN, load_dataset, subset
from qpcnn_edu.lab.training import History, as_tensors, evaluate, fit


def _toy(n=256, seed=0):
    """Two Gaussian blobs on 2x2 'images': linearly separable."""
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 2, (n,), generator=g)
    x = torch.randn(n, 1, 2, 2, generator=g) + (2 * y - 1).view(-1, 1, 1, 1).float() * 1.5
    return TensorDataset(x, y)


def _mlp(seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Flatten(), nn.Linear(4, 16), nn.ReLU(), nn.Dropout(0.1), nn.Linear(16, 2))


def test_loss_falls_and_accuracy_rises():
    data = _toy()
    history = fit(_mlp(), data, data, num_epochs=5, lr=1e-2, batch_size=32, seed=0, progress=False, device="cpu")
    losses = history.column("train_loss")
    assert losses[-1] < 0.5 * losses[0]
    assert history.final["test_acc"] > 0.9
    assert set(history.final) == {"epoch", "train_loss", "train_acc", "test_loss", "test_acc", "epoch_time",
                                  "eval_time"}
    assert history.wall_time > 0


def test_same_seed_same_history_different_seed_different():
    data = _toy()
    runs = [fit(_mlp(), data, data, num_epochs=3, lr=1e-2, batch_size=32, seed=s, progress=False, device="cpu")
            for s in (0, 0, 1)]
    strip = lambda h: [{k: v for k, v in row.items() if not k.endswith("time")} for row in h.epochs]
    assert strip(runs[0]) == strip(runs[1])
    assert strip(runs[0]) != strip(runs[2])


def test_qpcnn_training_is_deterministic():
    train = subset(load_dataset("fashion-mnist-mini"), 20)
    test = subset(load_dataset("fashion-mnist-mini", train=False), 5)
    histories = []
    for _ in range(2):
        torch.manual_seed(0)
        model = QPCNN()
        histories.append(fit(model, train, test, num_epochs=2, lr=3e-3, batch_size=32, seed=0, progress=False,
                             device="cpu"))
    assert [r["train_loss"] for r in histories[0].epochs] == [r["train_loss"] for r in histories[1].epochs]


def test_resume_equals_uninterrupted_run(tmp_path):
    data = _toy()
    full = fit(_mlp(), data, data, num_epochs=4, lr=1e-2, batch_size=32, seed=3, progress=False, device="cpu")
    ckpt = tmp_path / "run.pt"
    model = _mlp()
    fit(model, data, data, num_epochs=2, lr=1e-2, batch_size=32, seed=3, progress=False, checkpoint=ckpt,
        device="cpu")
    assert ckpt.exists()
    # a fresh process would rebuild the model from scratch: a differently initialized one proves the state is loaded
    resumed_model = _mlp(seed=99)
    resumed = fit(resumed_model, data, data, num_epochs=4, lr=1e-2, batch_size=32, seed=3, progress=False,
                  checkpoint=ckpt, device="cpu")
    assert [r["epoch"] for r in resumed.epochs] == [1, 2, 3, 4]
    for a, b in zip(full.epochs, resumed.epochs):
        assert a["train_loss"] == b["train_loss"] and a["test_acc"] == b["test_acc"]
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".tmp")]


def test_checkpoint_of_another_run_is_refused(tmp_path):
    data, ckpt = _toy(), tmp_path / "run.pt"
    fit(_mlp(), data, None, num_epochs=1, lr=1e-2, batch_size=32, seed=0, progress=False, checkpoint=ckpt,
        device="cpu")
    with pytest.raises(ValueError, match="checkpoint .* must come from a run with the same settings"):
        fit(_mlp(), data, None, num_epochs=2, lr=5e-2, batch_size=32, seed=0, progress=False, checkpoint=ckpt,
            device="cpu")


def test_failed_checkpoint_write_keeps_the_old_one(tmp_path, monkeypatch):
    data, ckpt = _toy(), tmp_path / "run.pt"
    fit(_mlp(), data, None, num_epochs=1, lr=1e-2, batch_size=32, seed=0, progress=False, checkpoint=ckpt,
        device="cpu")
    before = ckpt.read_bytes()

    def broken_save(obj, f, *args, **kwargs):
        with open(f, "wb") as handle:
            handle.write(b"half")
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", broken_save)
    with pytest.raises(OSError, match="disk full"):
        fit(_mlp(), data, None, num_epochs=2, lr=1e-2, batch_size=32, seed=0, progress=False, checkpoint=ckpt,
            device="cpu")
    assert ckpt.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["run.pt"]


@pytest.mark.parametrize("kwargs, match", [
    ({"num_epochs": 0}, "num_epochs must be a positive integer; got 0"),
    ({"lr": -1.0}, "lr must be a positive number"),
    ({"batch_size": 2.5}, "batch_size must be a positive integer"),
    ({"seed": "0"}, "seed must be an integer"),
])
def test_bad_settings(kwargs, match):
    settings = dict(num_epochs=1, lr=1e-2, batch_size=8, seed=0)
    settings.update(kwargs)
    with pytest.raises(ValueError, match=match):
        fit(_mlp(), _toy(16), None, progress=False, device="cpu", **settings)


def test_plain_datasets_and_evaluate():
    class Plain(Dataset):
        def __init__(self, base):
            self.base = base

        def __len__(self):
            return len(self.base)

        def __getitem__(self, i):
            x, y = self.base[i]
            return x, int(y)

    data = _toy(64)
    x, y = as_tensors(Plain(data))
    torch.testing.assert_close(x, data.tensors[0])
    model = _mlp()
    fit(model, Plain(data), Plain(data), num_epochs=1, lr=1e-2, batch_size=16, seed=0, progress=False, device="cpu")
    a, b = evaluate(model, data), evaluate(model, Plain(data), batch_size=7)
    assert a["accuracy"] == b["accuracy"] and abs(a["loss"] - b["loss"]) < 1e-5


def test_history_round_trip_and_callbacks():
    rows = []
    history = fit(_mlp(), _toy(64), None, num_epochs=2, lr=1e-2, batch_size=16, seed=0, progress=False,
                  device="cpu", callbacks=[rows.append])
    assert [r["epoch"] for r in rows] == [1, 2]
    assert History.from_dict(history.to_dict()) == history


def test_checkpoint_past_the_requested_epochs_is_refused(tmp_path):
    """A run killed at epoch 3 of 3 and rerun with 2 epochs must not report 3 epochs as 2."""
    data, ckpt = _toy(), tmp_path / "run.pt"
    fit(_mlp(), data, None, num_epochs=3, lr=1e-2, batch_size=32, seed=0, progress=False, checkpoint=ckpt,
        device="cpu")
    with pytest.raises(ValueError, match=r"'epochs done': \(3, 2\)"):
        fit(_mlp(), data, None, num_epochs=2, lr=1e-2, batch_size=32, seed=0, progress=False, checkpoint=ckpt,
            device="cpu")


def test_checkpoint_of_another_identity_is_refused(tmp_path):
    data, ckpt = _toy(), tmp_path / "run.pt"
    fit(_mlp(), data, None, num_epochs=1, lr=1e-2, batch_size=32, seed=0, progress=False, checkpoint=ckpt,
        device="cpu", identity={"name": "a", "num_epochs": 5})
    with pytest.raises(ValueError, match="'identity'"):
        fit(_mlp(), data, None, num_epochs=2, lr=1e-2, batch_size=32, seed=0, progress=False, checkpoint=ckpt,
            device="cpu", identity={"name": "a", "num_epochs": 2})


def test_unreadable_checkpoint_names_the_file(tmp_path):
    data, ckpt = _toy(), tmp_path / "run.pt"
    ckpt.write_bytes(b"")
    with pytest.raises(ValueError, match=f"checkpoint {ckpt} cannot be read .*Delete it"):
        fit(_mlp(), data, None, num_epochs=1, lr=1e-2, batch_size=32, seed=0, progress=False, checkpoint=ckpt,
            device="cpu")
