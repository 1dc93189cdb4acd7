"""The report: statistics from the records, verdict text, refusal of mixed or missing results, plots by kind."""

import json
import shutil
from pathlib import Path

import pytest

from qpcnn_edu.__main__ import main
from qpcnn_edu.lab.experiments import load_results
from qpcnn_edu.lab.report import aggregate, bottom_line, comparisons, depth_trend, results_table, summary_markdown
from qpcnn_edu.lab.stats import compare_family, points

RESULTS = Path(__file__).resolve().parents[1] / "results"


def _record(name, seed, acc, dataset="fashion-mnist", epochs=15, quantum=0, **config):
    return {"run_id": f"{name}-seed{seed}", "schema": 2, "command": "python -m qpcnn_edu reproduce",
            "config": {"name": name, "model": "qpcnn" if quantum else "classical", "dataset": dataset,
                       "num_epochs": epochs, "lr": 2e-3, "batch_size": 64, "seed": seed, "model_kwargs": {},
                       "profile": "full", **config},
            "description": name, "final_test_acc": acc, "history": [{"test_acc": acc}] * epochs,
            "n_parameters": 100, "n_quantum_parameters": quantum, "mean_epoch_time": 1.0, "wall_time": 15.0,
            "data": {"n_train": 60000, "n_test": 10000, "md5": {"f.gz": "0" * 32}, "files": {"f.gz": "/d/f.gz"}},
            "weights_sha256": "a" * 64, "git_commit": "c" * 40, "versions": {"torch": "x"},
            "machine": {"cpu": "cpu", "cores": 2, "torch_threads": 1, "device": "cpu"},
            "started_at": f"2026-11-29T10:{seed:02d}:00Z", "finished_at": f"2026-11-29T10:{seed:02d}:30Z",
            "elapsed": 30.0}


def _write(folder, records):
    for r in records:
        path = folder / r["config"]["dataset"] / f"{r['run_id']}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(r))


def _suite(folder=None, n=10, shift=0.0):
    accs = {"qpcnn-L2": [0.899, 0.901, 0.900, 0.902, 0.898], "classical": [0.8995, 0.9005, 0.899, 0.901, 0.900]}
    records = [_record(name, s, a + (shift if name == "qpcnn-L2" else 0), quantum=18 if "qpcnn" in name else 0)
               for name, values in accs.items() for s, a in enumerate((values * 2)[:n])]
    if folder is not None:
        _write(folder, records)
    return records


def test_comparisons_use_welch_tost_and_holm():
    records = _suite()
    table = aggregate(records)
    [c] = comparisons(table)
    expected = compare_family([("qpcnn-L2", "classical")], {k: points(t["accs"]) for k, t in table.items()})[0]
    assert c == expected and c.verdict == "equivalent" and c.n_a == c.n_b == 10
    assert "equivalent within ±0.5 points" in bottom_line(records)
    better = comparisons(aggregate(_suite(shift=0.02)))[0]
    assert better.verdict == "better" and better.diff == pytest.approx(2.0)


def test_summary_states_the_tests_and_the_margin_and_the_load():
    text = summary_markdown(_suite())
    assert "Welch's t (95% CI" in text and "TOST" in text and "±0.5 points" in text and "Holm" in text
    assert "| qpcnn-L2 | classical |" in text and "p (Holm, 1 comparison)" in text
    assert "up to 2 runs at once" in text and "measured from the files read" in text  # seed k of both models overlap
    timed = "measured by `python -m qpcnn_edu timing` on a quiet machine" in text  # with the committed timing file
    assert timed or "Quiet-machine epoch times: not measured yet" in text


def test_timing_lines_with_and_without_a_timing_file():
    from qpcnn_edu.lab.report import timing_lines

    table = aggregate(_suite(n=3))
    assert timing_lines(table, timings=[])[0].startswith("Quiet-machine epoch times: not measured yet")
    ratio = {"median": 1.19, "q25": 1.12, "q75": 1.25}
    timing = {"models": {name: {"baseline": "classical", "median": 0.0086, "q25": 0.0083, "q75": 0.0094,
                                "ratio": ratio} for name in ("qpcnn-L2", "classical")},
              "settings": {"repeats": 20, "threads": 1},
              "provenance": {"machine": {"cpu": "AMD EPYC", "device": "cpu"}, "versions": {"torch": "2.14.1"}}}
    lines = timing_lines(table, timings=[timing])
    assert "20 rounds" in lines[0] and "| qpcnn-L2 | classical | 8.60 (8.30-9.40) | 1.19 (1.12-1.25) |" in lines
    assert timing_lines({"other-model": {}}, timings=[timing])[0].startswith("Quiet-machine epoch times")


def test_a_single_seed_gives_no_verdict():
    records = _suite(n=1)
    assert comparisons(aggregate(records)) == [] and depth_trend(aggregate(records)) is None
    assert "Not enough seeds" in bottom_line(records)


def test_depth_trend_is_one_test_over_all_depths():
    records = [_record(f"qpcnn-L{d}", s, 0.89 + 0.001 * d + 0.0005 * (s % 3), quantum=9 * d)
               for d in (1, 2, 4) for s in range(6)]
    trend = depth_trend(aggregate(records))
    assert trend.depths == (1, 2, 4) and trend.verdict == "increasing" and trend.n == (6, 6, 6)


def test_results_table_returns_text():
    text = results_table(_suite(n=3))
    assert text.splitlines()[0].startswith("| model |") and "| qpcnn-L2 |" in text and "± " in text


def test_mixed_configurations_are_refused_naming_the_files(tmp_path):
    _suite(tmp_path, n=3)
    odd = _record("qpcnn-L2", 7, 0.5, epochs=1, quantum=18)
    _write(tmp_path, [odd])
    with pytest.raises(ValueError, match=r"(?s)runs of 'qpcnn-L2' on fashion-mnist must share one configuration.*"
                                         r"qpcnn-L2-seed7.json"):
        load_results(tmp_path)


def test_a_record_of_another_dataset_is_not_an_extra_seed(tmp_path):
    _suite(tmp_path, n=3)
    stray = _record("qpcnn-L2", 3, 0.5, dataset="fashion-mnist-mini", quantum=18)
    (tmp_path / "fashion-mnist" / "qpcnn-L2-seed3.json").write_text(json.dumps(stray))
    table = aggregate(load_results(tmp_path, "fashion-mnist"))
    assert table["qpcnn-L2"]["seeds"] == [0, 1, 2]


def test_report_command_errors(tmp_path, capsys):
    assert main(["report", "--results", str(tmp_path / "typo")]) == 2
    assert "results folder must exist" in capsys.readouterr().err and not (tmp_path / "typo").exists()
    (tmp_path / "empty").mkdir()
    assert main(["report", "--results", str(tmp_path / "empty")]) == 2
    assert "must hold run records" in capsys.readouterr().err
    assert not (tmp_path / "empty" / "summary.md").exists()
    if (RESULTS / "fashion-mnist" / "robustness").is_dir():  # a dataset folder, not a results folder
        shutil.copytree(RESULTS / "fashion-mnist", tmp_path / "fm")
        assert main(["report", "--results", str(tmp_path / "fm"), "--no-plots"]) == 2
        assert "must hold run records" in capsys.readouterr().err


def test_report_command_writes_summary_and_plots_by_quantum_parameters(tmp_path):
    records = _suite(tmp_path, n=3)
    records[0]["config"]["name"] = "mobilenet-qpc"  # a QPC model whose name does not start with "qpcnn"
    assert main(["report", "--results", str(tmp_path)]) == 0
    assert (tmp_path / "summary.md").read_text() == summary_markdown(load_results(tmp_path))
    assert (tmp_path / "fashion-mnist" / "accuracy_vs_parameters.png").stat().st_size > 5000


def test_plot_marks_quantum_models_by_their_parameters():
    from qpcnn_edu.viz.result_plots import plot_accuracy_vs_parameters

    table = {"mobilenet-qpc": {"n_parameters": 1786, "acc_mean": 0.87, "acc_std": 0.01, "n_quantum_parameters": 432},
             "mobilenet-classical": {"n_parameters": 1882, "acc_mean": 0.87, "acc_std": 0.01, "n_quantum_parameters": 0}}
    ax = plot_accuracy_vs_parameters(table)
    markers = {text.get_text(): line.get_marker() for text, line in zip(ax.texts, ax.lines[::3])}
    assert markers == {"mobilenet-qpc": "o", "mobilenet-classical": "s"}


def test_a_known_dataset_without_runs_is_empty_but_a_typo_is_an_error(tmp_path):
    _suite(tmp_path, n=3)
    assert load_results(tmp_path, "cifar10") == []
    with pytest.raises(ValueError, match="dataset must be one of"):
        load_results(tmp_path, "fashion_mnist")
