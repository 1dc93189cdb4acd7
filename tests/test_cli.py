"""The command line: every subcommand, its errors before any work, and the result store's refusals (issue 10)."""

import json
import os
import shutil
from pathlib import Path

import pytest
import torch

import qpcnn_edu.__main__ as cli
from qpcnn_edu.lab.suites import MODEL_KINDS, NAMED_MODELS, build_model
from qpcnn_edu.__main__ import main

RESULTS = Path(__file__).resolve().parents[1] / "results"


@pytest.fixture
def no_data(monkeypatch):
    """Fail the test if any command loads data: the checks must come first."""
    import qpcnn_edu.lab.experiments as experiments
    import qpcnn_edu.lab.robustness as robustness

    def refuse(*args, **kwargs):
        pytest.fail("data was loaded before the arguments were checked")

    monkeypatch.setattr(experiments, "load_splits", refuse)
    monkeypatch.setattr(robustness, "load_splits", refuse)


@pytest.mark.parametrize("kind", list(MODEL_KINDS))
def test_train_accepts_every_model_kind(kind, tmp_path, monkeypatch, capsys):
    seen = {}

    def fake_run(config, results, **kwargs):
        model = build_model(config)
        assert model(torch.randn(2, 1, 28, 28)).shape == (2, 10)
        seen["config"] = config
        return {"final_test_acc": 0.5, "n_parameters": 1, "mean_epoch_time": 1.0}

    monkeypatch.setattr(cli, "run_experiment", fake_run)
    assert main(["train", "--model", kind, "--results", str(tmp_path)]) == 0
    assert seen["config"].model == kind and f"{kind}-seed0: test accuracy" in capsys.readouterr().out


def test_every_named_model_is_a_reproduce_choice(monkeypatch):
    runs = []
    monkeypatch.setattr(cli, "run_suite", lambda r, *a, **k: runs.extend(r))
    for name, (kind, _, _) in NAMED_MODELS.items():
        suite_name = "blocks" if kind in ("mobilenet", "resnet") else "paper"
        assert main(["reproduce", "--suite", suite_name, "--models", name, "--no-report"]) == 0
    assert [r.name for r in runs] == list(NAMED_MODELS)


@pytest.mark.parametrize("argv, message", [
    (["train", "--model", "classical", "--n-layers", "3"], "--n-layers does not apply to --model classical"),
    (["train", "--epochs", "-1"], "num_epochs must be a positive integer; got -1"),
    (["train", "--lr", "nan"], "lr must be a positive number; got nan"),
    (["train", "--batch-size", "0"], "batch_size must be a positive integer; got 0"),
    (["train", "--model", "qpcnn", "--n-layers", "0"], "n_layers must be a positive integer; got 0"),
    (["reproduce", "--profile", "huge"], "invalid choice: 'huge'"),
    (["reproduce", "--models", "nope"], "invalid choice: 'nope'"),
    (["robustness", "--model", "classical"], "invalid choice: 'classical'"),
])
def test_argument_errors_are_argparse_errors(argv, message, no_data, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2 and message in capsys.readouterr().err


@pytest.mark.parametrize("argv, message", [
    (["train", "--name", "../../x"], "run name must be a plain file name"),
    (["reproduce", "--seeds", "-1"], "seed must be a non-negative integer; got -1"),
    (["reproduce", "--epochs", "0"], "num_epochs must be a positive integer; got 0"),
    (["robustness", "--dataset", "fashion-mnist-mini", "--shots", "0"], "shots must be a positive integer; got 0"),
    (["robustness", "--dataset", "fashion-mnist-mini", "--noise", "1.5"], "depolarizing must be a probability"),
    (["robustness", "--dataset", "fashion-mnist-mini", "--epochs", "-2"], "num_epochs must be a positive integer"),
])
def test_bad_values_stop_before_any_work(argv, message, no_data, tmp_path, capsys):
    assert main(argv + ["--results", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "r").exists() or not list((tmp_path / "r").rglob("*.json"))


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write into read-only folders")
def test_unwritable_results_folder_stops_before_training(tmp_path, no_data, capsys):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        assert main(["train", "--results", str(folder)]) == 2
        assert "must be writable" in capsys.readouterr().err
    finally:
        folder.chmod(0o700)


def test_unwritable_results_folder_is_detected(tmp_path, monkeypatch, no_data, capsys):
    """The same check as root: the probe file cannot be created (simulated), and nothing is trained."""
    import tempfile

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "NamedTemporaryFile", refuse)
    assert main(["train", "--results", str(tmp_path)]) == 2
    assert f"results folder {tmp_path / 'fashion-mnist-mini'} must be writable" in capsys.readouterr().err


def _committed_copy(tmp_path):
    """A results folder holding the committed full runs of qpcnn-L1 (15 epochs)."""
    src = RESULTS / "fashion-mnist"
    if not (src / "qpcnn-L1-seed0.json").exists():
        pytest.skip("no committed full runs")
    out = tmp_path / "results"
    (out / "fashion-mnist").mkdir(parents=True)
    for f in src.glob("qpcnn-L1-seed*.json"):
        shutil.copy(f, out / "fashion-mnist" / f.name)
    (out / "summary.md").write_text("committed summary\n")
    return out


def test_a_different_config_never_replaces_committed_results(tmp_path, no_data, capsys):
    """Issue 10 case 1: `reproduce --epochs 1` on the committed 15-epoch runs is refused, files and summary kept."""
    out = _committed_copy(tmp_path)
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    argv = ["reproduce", "--dataset", "fashion-mnist", "--profile", "full", "--models", "qpcnn-L1", "--seeds", "0",
            "--epochs", "1", "--results", str(out)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "qpcnn-L1-seed0.json was made with another configuration" in err and "'num_epochs': (15, 1)" in err
    assert "--force" in err and {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


def test_same_name_other_flags_is_refused(tmp_path, capsys):
    """Issue 10 case 1b: `train --epochs 1` then `train --epochs 1 --n-layers 4` under one name."""
    argv = ["train", "--epochs", "1", "--batch-size", "500", "--results", str(tmp_path), "--no-progress"]
    assert main(argv) == 0
    path = tmp_path / "fashion-mnist-mini" / "qpcnn-seed0.json"
    first = path.read_bytes()
    assert main(argv) == 0  # same configuration: skipped
    assert path.read_bytes() == first
    assert main(argv + ["--n-layers", "4"]) == 2
    assert "'model_kwargs': ({}, {'n_layers': 4})" in capsys.readouterr().err and path.read_bytes() == first


def test_resumed_run_must_match_its_checkpoint(tmp_path, capsys):
    """Issue 10 case 2: a checkpoint of a 3-epoch run cannot be finished as a 2-epoch run."""
    from qpcnn_edu.lab.results import checkpoint_path
    from qpcnn_edu.lab.suites import RunConfig
    from qpcnn_edu.lab.training import fit

    config = RunConfig("qpcnn", "qpcnn", "fashion-mnist-mini", 2, 2e-3, 64, 0)
    longer = RunConfig(**{**config.to_dict(), "num_epochs": 3})
    ckpt = checkpoint_path(tmp_path, config)
    data = torch.utils.data.TensorDataset(torch.randn(8, 1, 28, 28), torch.zeros(8, dtype=torch.long))
    fit(build_model(longer), data, None, num_epochs=1, lr=2e-3, batch_size=8, seed=0, checkpoint=ckpt,
        identity=longer.to_dict(), progress=False, device="cpu")
    assert main(["train", "--epochs", "2", "--results", str(tmp_path), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert f"checkpoint {ckpt} must come from a run with the same settings" in err and "'num_epochs': 3" in err


@pytest.mark.parametrize("command", ["report", "train", "reproduce"])
def test_truncated_result_file_is_named(command, tmp_path, capsys):
    """Issue 10 case 7: a truncated JSON names itself (not a bare JSONDecodeError)."""
    path = tmp_path / "fashion-mnist-mini" / ("qpcnn-seed0.json" if command == "train" else "qpcnn-L1-seed0.json")
    path.parent.mkdir(parents=True)
    path.write_text('{"config": {"na')
    argv = {"report": ["report", "--results", str(tmp_path)],
            "train": ["train", "--results", str(tmp_path)],
            "reproduce": ["reproduce", "--profile", "ci", "--models", "qpcnn-L1", "--results", str(tmp_path)]}[command]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert f"result file {path} cannot be read" in err and "JSONDecodeError" in err and "delete it and rerun" in err


def test_timing_and_report_subcommands_exist():
    choices = cli._parser()._subparsers._group_actions[0].choices
    assert {"train", "reproduce", "report", "robustness"} <= set(choices)


def test_help_of_every_subcommand(capsys):
    for command in cli._parser()._subparsers._group_actions[0].choices:
        with pytest.raises(SystemExit) as exit_info:
            main([command, "--help"])
        assert exit_info.value.code == 0 and "usage: python -m qpcnn_edu" in capsys.readouterr().out


def test_an_empty_checkpoint_is_named_and_force_recovers(tmp_path, capsys):
    """Issue 10 case 7: an empty checkpoint gave `EOFError: Ran out of input`, and --force did not help."""
    from qpcnn_edu.lab.results import checkpoint_path
    from qpcnn_edu.lab.suites import RunConfig

    ckpt = checkpoint_path(tmp_path, RunConfig("qpcnn", "qpcnn", "fashion-mnist-mini", 1, 2e-3, 500, 0))
    ckpt.parent.mkdir(parents=True)
    ckpt.write_bytes(b"")
    argv = ["train", "--epochs", "1", "--batch-size", "500", "--results", str(tmp_path), "--no-progress"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert f"checkpoint {ckpt} cannot be read" in err and "Delete it" in err
    assert main(argv + ["--force"]) == 0 and not ckpt.exists()
    assert (tmp_path / "fashion-mnist-mini" / "qpcnn-seed0.json").exists()
