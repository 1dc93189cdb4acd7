"""Experiments, report and command line: the CI reproduction with accuracy floors, atomic and skipped reruns."""

import dataclasses
import json

import pytest
import torch

import qpcnn_edu.lab.experiments as experiments
from qpcnn_edu import QPCNN, ClassicalCNN, count_parameters, dataset_md5s
from qpcnn_edu.__main__ import main
from qpcnn_edu.lab.experiments import load_results, run_experiment
from qpcnn_edu.lab.suites import PROFILES, SUITE, RunConfig, build_model, parameter_matched_kwargs, suite
from qpcnn_edu.lab.results import result_path
from qpcnn_edu.lab.report import write_report


#: Test accuracy after the ci profile (2 epochs on the mini set, seed 0), measured on the 2-core CI machine:
#: qpcnn-L1 0.796, qpcnn-L2 0.813, qpcnn-L4 0.804, qpcnn-wide-L2 0.830, classical 0.833, classical-wide 0.833,
#: classical-matched 0.821, quadratic 0.831 (chance: 0.10). Floors leave about 5 points of margin for other BLAS
#: builds; a layer or pipeline that breaks drops far below them.
CI_FLOORS = {"qpcnn-L1": 0.74, "qpcnn-L2": 0.76, "qpcnn-L4": 0.75, "qpcnn-wide-L2": 0.78, "classical": 0.78,
             "classical-wide": 0.78, "classical-matched": 0.77, "quadratic": 0.78}


@pytest.fixture(scope="module")
def ci_results(tmp_path_factory):
    out = tmp_path_factory.mktemp("results")
    assert main(["reproduce", "--profile", "ci", "--results", str(out), "--no-progress"]) == 0
    return out


def test_ci_reproduction_reaches_the_floors(ci_results):
    records = load_results(ci_results, "fashion-mnist-mini")
    assert sorted(r["config"]["name"] for r in records) == sorted(SUITE)
    for r in records:
        assert r["final_test_acc"] >= CI_FLOORS[r["config"]["name"]], (r["run_id"], r["final_test_acc"])
    assert set(CI_FLOORS) == set(SUITE)


def test_result_records_are_complete(ci_results):
    record = json.loads((ci_results / "fashion-mnist-mini" / "qpcnn-L2-seed0.json").read_text())
    for key in ("config", "command", "history", "final_test_acc", "n_parameters", "wall_time", "data", "versions",
                "git_commit", "machine", "model_repr", "mean_epoch_time"):
        assert key in record
    assert record["config"]["profile"] == "ci" and record["config"]["seed"] == 0
    assert record["data"]["md5"] == dataset_md5s("fashion-mnist-mini")
    assert len(record["history"]) == PROFILES["ci"]["num_epochs"]
    assert record["n_parameters"] == count_parameters(QPCNN()) and record["n_quantum_parameters"] == 18
    assert record["command"].startswith("python -m qpcnn_edu reproduce --profile ci")
    assert not list(ci_results.rglob("*.tmp")) and not list(ci_results.rglob("*.pt"))


def test_summary_and_plots(ci_results):
    text = (ci_results / "summary.md").read_text()
    assert "## fashion-mnist-mini" in text and "| qpcnn-L2 |" in text
    assert "Not enough seeds for any verdict" in text  # one seed: no comparison is made
    assert "No CIFAR-10 results have been produced" in text
    for name in ("accuracy_vs_parameters.png", "learning_curves.png"):
        assert (ci_results / "fashion-mnist-mini" / name).stat().st_size > 10_000


def test_finished_runs_are_skipped(ci_results, monkeypatch):
    stamps = {p: p.stat().st_mtime_ns for p in ci_results.rglob("*.json")}
    monkeypatch.setattr(experiments, "fit", lambda *a, **k: pytest.fail("a finished run was trained again"))
    assert main(["reproduce", "--profile", "ci", "--results", str(ci_results), "--no-report"]) == 0
    assert stamps == {p: p.stat().st_mtime_ns for p in ci_results.rglob("*.json")}


def _tiny_config(**changes):
    config = RunConfig(name="qpcnn-L1", model="qpcnn", dataset="fashion-mnist-mini", num_epochs=1, lr=3e-3,
                       batch_size=256, seed=5, model_kwargs={"n_layers": 1})
    return dataclasses.replace(config, **changes)


def test_killed_run_leaves_no_result_file(tmp_path, monkeypatch):
    def crash(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(experiments, "fit", crash)
    with pytest.raises(KeyboardInterrupt):
        run_experiment(_tiny_config(), tmp_path)
    assert not list(tmp_path.rglob("*.json"))


def test_failed_write_keeps_the_old_record(tmp_path, monkeypatch):
    config = _tiny_config()
    path = result_path(tmp_path, config)
    path.parent.mkdir(parents=True)
    path.write_text('{"old": true}\n')

    def broken(p, data):
        raise OSError("disk full")

    monkeypatch.setattr(experiments, "write_json_atomic", broken)
    with pytest.raises(OSError, match="disk full"):
        run_experiment(config, tmp_path, force=True, progress=False)
    assert path.read_text() == '{"old": true}\n'


def test_changed_config_is_refused_unless_forced(tmp_path):
    first = run_experiment(_tiny_config(), tmp_path, progress=False)
    again = run_experiment(_tiny_config(), tmp_path, progress=False)
    assert again == first
    path = result_path(tmp_path, _tiny_config())
    before = path.read_bytes()
    with pytest.raises(experiments.ResultConflictError, match=r"another configuration.*'lr': \(.*, 0.001\).*--force"):
        run_experiment(_tiny_config(lr=1e-3), tmp_path, progress=False)
    assert path.read_bytes() == before
    changed = run_experiment(_tiny_config(lr=1e-3), tmp_path, progress=False, force=True)
    assert changed["config"]["lr"] == 1e-3


def test_record_has_measured_provenance(tmp_path):
    from qpcnn_edu.lab.data import MINI_FILE

    record = run_experiment(_tiny_config(), tmp_path, progress=False)
    assert record["schema"] == 2
    assert record["data"]["files"] == {MINI_FILE.name: str(MINI_FILE)}
    import hashlib
    assert record["data"]["md5"] == {MINI_FILE.name: hashlib.md5(MINI_FILE.read_bytes()).hexdigest()}
    model = experiments.build_model(_tiny_config())
    assert len(record["weights_sha256"]) == 64 and record["weights_sha256"] != experiments.state_dict_sha256(model)
    assert record["started_at"] <= record["finished_at"]


def test_truncated_result_file_names_itself(tmp_path):
    path = result_path(tmp_path, _tiny_config())
    path.parent.mkdir(parents=True)
    path.write_text('{"config": {"na')
    with pytest.raises(ValueError, match=f"result file {path} cannot be read.*delete it and rerun"):
        run_experiment(_tiny_config(), tmp_path, progress=False)


def test_train_command(tmp_path, capsys):
    assert main(["train", "--model", "quadratic", "--epochs", "1", "--batch-size", "256", "--results",
                 str(tmp_path), "--no-progress"]) == 0
    assert "quadratic-seed0: test accuracy" in capsys.readouterr().out
    record = json.loads((tmp_path / "fashion-mnist-mini" / "quadratic-seed0.json").read_text())
    assert record["command"] == ("python -m qpcnn_edu train --model quadratic --epochs 1 --batch-size 256 "
                                 f"--results {tmp_path} --no-progress")


def test_bad_command_line(capsys):
    with pytest.raises(SystemExit):
        main(["reproduce", "--profile", "huge"])
    assert "invalid choice: 'huge'" in capsys.readouterr().err
    with pytest.raises(ValueError, match="profile must be one of"):
        suite("fashion-mnist", "huge")
    with pytest.raises(ValueError, match="model names must be among"):
        suite("fashion-mnist", "ci", names=["resnet"])


def test_full_profile_and_cifar_configs():
    runs = suite("cifar10", "full")
    assert len(runs) == len(SUITE) * 10 and {r.seed for r in runs} == set(range(10))
    assert {r.dataset for r in runs} == {"cifar10"}
    for config in runs[:len(SUITE)]:
        model = build_model(config)
        assert model.in_channels == 3 and model.image_size == 32
        assert model(torch.randn(2, 3, 32, 32)).shape == (2, 10)


def test_parameter_matched_cnn_fits_the_budget():
    for n_layers in (1, 2, 4):
        budget = count_parameters(QPCNN(n_layers=n_layers))
        kwargs = parameter_matched_kwargs({"n_layers": n_layers}, 1, 10, 28)
        matched = count_parameters(ClassicalCNN(**kwargs))
        assert matched <= budget
        assert count_parameters(ClassicalCNN.twin_of(QPCNN(n_layers=n_layers))) > budget or n_layers == 4


def test_write_report_is_atomic_and_idempotent(tmp_path, ci_results):
    first = write_report(ci_results).read_text()
    assert write_report(ci_results).read_text() == first
    assert not list(ci_results.glob(".*.tmp"))


def test_load_benchmark_finds_the_committed_file(tmp_path, monkeypatch):
    from qpcnn_edu.lab.results import load_benchmark

    record = load_benchmark()  # the repository's committed benchmark
    assert record is not None and {"headline", "grid", "machine", "command"} <= set(record)
    assert record["headline"]["n_qubits"] == 3 and len(record["grid"]) >= 9
    with pytest.raises(FileNotFoundError, match="benchmark file must exist"):
        load_benchmark(folder=tmp_path)
    (tmp_path / "mine.json").write_text('{"grid": []}')
    assert load_benchmark("mine", folder=tmp_path) == {"grid": []}


def test_summary_names_every_command_that_made_the_runs():
    from qpcnn_edu.lab.report import _commands

    runs = [{"command": "python -m qpcnn_edu reproduce --models a"}, {"command": "python -m qpcnn_edu reproduce --models b"},
            {"command": "python -m qpcnn_edu reproduce --models a"}]
    lines = _commands(runs)
    assert lines[0].startswith("- Commands (2 processes; together they ran these 3 runs)")
    assert lines[1:] == ["  - `python -m qpcnn_edu reproduce --models a`", "  - `python -m qpcnn_edu reproduce --models b`"]
    assert _commands(runs[:1]) == ["- Command: `python -m qpcnn_edu reproduce --models a`"]
