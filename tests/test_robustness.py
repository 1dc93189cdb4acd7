"""Robustness experiments: shots/noise evaluation of a retrained run, noisy training, the readout switch."""

import json

import pytest
import torch

from qpcnn_edu import QPCNN, ClassicalCNN
from qpcnn_edu.lab.experiments import ResultConflictError, run_experiment
from qpcnn_edu.lab.suites import suite
import matplotlib

matplotlib.use("Agg")

from qpcnn_edu.viz.result_plots import plot_robustness  # noqa: E402
from qpcnn_edu.lab.robustness import (load_noisy_training, load_robustness, quantum_readout,  # noqa
                                      run_noisy_training, run_robustness, summarize_noisy_training,
                                      summarize_robustness)


def test_quantum_readout_switches_and_restores():
    torch.manual_seed(0)
    model = QPCNN()
    x = torch.randn(4, 1, 28, 28)
    exact = model(x)
    with quantum_readout(model, shots=20, seed=1):
        noisy = model(x)
        assert model.pointwise.shots == 20 and model.pointwise.seed == 1
    with quantum_readout(model, shots=20, seed=1):
        torch.testing.assert_close(model(x), noisy)  # seeded
    assert not torch.allclose(noisy, exact)
    with quantum_readout(model, depolarizing=0.75):  # fully depolarized: the QPC maps are 0
        torch.testing.assert_close(model.features(x), torch.zeros(4, 3, 14, 14))
    torch.testing.assert_close(model(x), exact)
    assert model.pointwise.shots is None and model.pointwise.depolarizing == 0.0


def test_quantum_readout_errors():
    with pytest.raises(ValueError, match="model must contain a QuantumPointwiseConv2d"):
        with quantum_readout(ClassicalCNN(), shots=10):
            pass
    with pytest.raises(ValueError, match="shots must be a positive integer"):
        with quantum_readout(QPCNN(), shots=0):
            pass
    with pytest.raises(ValueError, match="depolarizing must be a probability"):
        with quantum_readout(QPCNN(), depolarizing=2.0):
            pass


def test_run_robustness_on_the_mini_set(tmp_path):
    dataset = "fashion-mnist-mini"
    config = suite(dataset, "full", names=["qpcnn-L1"], seeds=[0], num_epochs=1)[0]
    committed = run_experiment(config, tmp_path, progress=False, device="cpu")
    records = run_robustness(dataset, "qpcnn-L1", seeds=(0,), shots=(10, 10000), noise=(0.01, 0.75),
                             sample_seeds=(0, 1), results_dir=tmp_path, num_epochs=1, log=lambda *a: None)
    record = records[0]
    assert record["retrained_matches_committed"] and record["committed_test_acc"] == committed["final_test_acc"]
    rows = record["evaluations"]
    assert len(rows) == 1 + 2 * 2 + 2
    acc = {(r["shots"], r["depolarizing"], r["sample_seed"]): r["test_acc"] for r in rows}
    exact = acc[(None, 0.0, None)]
    assert abs(acc[(10000, 0.0, 0)] - exact) < 0.02  # many shots: close to exact
    assert acc[(10, 0.0, 0)] != acc[(10, 0.0, 1)] or acc[(10, 0.0, 0)] < exact  # few shots: noisy
    assert acc[(None, 0.75, None)] <= 0.2  # fully depolarized QPC maps carry no information
    on_disk = json.loads((tmp_path / dataset / "robustness" / "qpcnn-L1-seed0.json").read_text())
    assert on_disk["evaluations"] == rows and on_disk["data"]["md5"]
    same = dict(seeds=(0,), shots=(10000, 10), noise=(0.75, 0.01), sample_seeds=(1, 0), results_dir=tmp_path,
                num_epochs=1)
    logged = []
    again = run_robustness(dataset, "qpcnn-L1", **same, log=logged.append)
    assert again == records and "finished earlier with these settings, skipped" in logged[0]  # same settings
    before = (tmp_path / dataset / "robustness" / "qpcnn-L1-seed0.json").read_bytes()
    with pytest.raises(ResultConflictError, match=r"other configuration.*'shots': \(\[10, 10000\], \[10, 30, 100"):
        run_robustness(dataset, "qpcnn-L1", seeds=(0,), results_dir=tmp_path, num_epochs=1)  # other settings
    with pytest.raises(ResultConflictError, match=r"'num_epochs': 2"):
        run_robustness(dataset, "qpcnn-L1", **{**same, "num_epochs": 2})
    assert (tmp_path / dataset / "robustness" / "qpcnn-L1-seed0.json").read_bytes() == before
    assert load_robustness(tmp_path, dataset) == records
    summary = summarize_robustness(records)
    assert summary["exact"] == {"mean": exact, "std": 0.0, "n": 1}
    assert list(summary["shots"]) == [10, 10000] and summary["shots"][10]["n"] == 2
    assert summary["shots"][10]["mean"] == pytest.approx((acc[(10, 0.0, 0)] + acc[(10, 0.0, 1)]) / 2)
    assert summary["depolarizing"][0.75]["mean"] == acc[(None, 0.75, None)]
    fig = plot_robustness(records)
    assert len(fig.axes) == 2 and fig.axes[0].get_xscale() == "log"
    with pytest.raises(ValueError, match="at least one robustness record"):
        summarize_robustness([])


def test_run_noisy_training(tmp_path):
    records = run_noisy_training(settings=[{}, {"shots": 50}], seeds=(0,), num_epochs=1, results_dir=tmp_path,
                                 log=lambda *a: None)
    assert [r["setting"] for r in records] == [{}, {"shots": 50}]
    assert all(r["final_test_acc"] > 0.5 for r in records)
    assert records[0]["final_test_acc"] == records[0]["exact_readout_test_acc"]
    assert sorted(p.name for p in (tmp_path / "fashion-mnist-mini" / "noisy-training").iterdir()) == [
        "qpcnn-L2-exact-seed0.json", "qpcnn-L2-shots50-seed0.json"]
    rows = summarize_noisy_training(records)
    assert [r["label"] for r in rows] == ["exact", "shots 50"]
    assert rows[1]["acc"]["mean"] == records[1]["final_test_acc"] and rows[1]["seeds"] == [0]
    assert load_noisy_training(tmp_path) == records
    with pytest.raises(ResultConflictError, match="'num_epochs': 1.*--force"):  # same name, other epochs
        run_noisy_training(settings=[{}], seeds=(0,), num_epochs=2, results_dir=tmp_path)


def test_robustness_arguments_are_checked_before_any_work(tmp_path, monkeypatch):
    import qpcnn_edu.lab.robustness as robustness

    monkeypatch.setattr(robustness, "load_splits", lambda *a, **k: pytest.fail("data loaded before the checks"))
    cases = [(dict(shots=(0,)), "shots must be a positive integer; got 0"),
             (dict(noise=(1.5,)), "depolarizing must be a probability"),
             (dict(sample_seeds=(-1,)), "sample seed must be a non-negative integer; got -1"),
             (dict(name="classical"), "model must be one of")]
    for kwargs, message in cases:
        with pytest.raises(ValueError, match=message):
            run_robustness("fashion-mnist-mini", **{"name": "qpcnn-L1", **kwargs}, seeds=(0,), results_dir=tmp_path)
    with pytest.raises(ValueError, match="keys among 'shots', 'depolarizing'"):
        run_noisy_training(settings=[{"shot": 5}], results_dir=tmp_path)
    assert not list(tmp_path.iterdir())


def test_robustness_command_line(tmp_path, capsys):
    from qpcnn_edu.__main__ import main

    argv = ["robustness", "--dataset", "fashion-mnist-mini", "--model", "qpcnn-L1", "--seeds", "0", "--epochs", "1",
            "--shots", "100", "--noise", "0.05", "--sample-seeds", "0", "--results", str(tmp_path)]
    assert main(argv) == 0
    record = json.loads((tmp_path / "fashion-mnist-mini" / "robustness" / "qpcnn-L1-seed0.json").read_text())
    assert record["command"] == "python -m qpcnn_edu " + " ".join(argv)
    assert [(r["shots"], r["depolarizing"]) for r in record["evaluations"]] == [(None, 0.0), (100, 0.0), (None, 0.05)]
    assert "qpcnn-L1-seed0: exact" in capsys.readouterr().out
    assert main(["robustness", "--noisy-training", "--model", "qpcnn-L1", "--seeds", "0", "--epochs", "1",
                 "--results", str(tmp_path)]) == 0
    assert len(list((tmp_path / "fashion-mnist-mini" / "noisy-training").glob("*.json"))) == 6
