"""The committed full FashionMNIST results: complete, well-formed, and ``report`` regenerates ``results/summary.md``."""

from pathlib import Path

from qpcnn_edu import dataset_md5s
from qpcnn_edu.lab.experiments import PROFILES, SUITE, RunConfig, load_results
from qpcnn_edu.lab.results import result_path
from qpcnn_edu.lab.report import aggregate, summary_markdown

RESULTS = Path(__file__).resolve().parents[1] / "results"


def _committed():
    return load_results(RESULTS, "fashion-mnist")


def test_committed_results_are_complete_and_well_formed():
    records = _committed()
    table = aggregate(records)
    assert set(table) == set(SUITE), "every suite model has committed results"
    md5 = dataset_md5s("fashion-mnist")
    for r in records:
        config = r["config"]
        assert config["profile"] == "full" and config["dataset"] == "fashion-mnist"
        assert config["num_epochs"] == PROFILES["full"]["num_epochs"] == len(r["history"])
        assert r["data"]["md5"] == md5 and (r["data"]["n_train"], r["data"]["n_test"]) == (60000, 10000)
        assert r["final_test_acc"] == r["history"][-1]["test_acc"]
        assert r["git_commit"] and r["versions"]["torch"] and r["wall_time"] > 0
        assert result_path(RESULTS, RunConfig(**config)).name == f"{r['run_id']}.json"
    for name, t in table.items():
        assert t["seeds"] == [0, 1, 2], name
        assert 0.80 < t["acc_mean"] < 0.95, name


def test_report_regenerates_the_committed_summary():
    assert summary_markdown(load_results(RESULTS)) == (RESULTS / "summary.md").read_text()


def test_committed_block_results_are_complete_and_summarized():
    from qpcnn_edu.lab.experiments import BLOCK_SUITE

    blocks = RESULTS / "blocks"
    records = load_results(blocks, "fashion-mnist")
    table = aggregate(records)
    assert set(table) == set(BLOCK_SUITE)
    for name, t in table.items():
        assert t["seeds"] == [0, 1, 2] and t["num_epochs"] == PROFILES["full"]["num_epochs"], name
        assert 0.75 < t["acc_mean"] < 0.95, name
    assert all(r["data"]["n_train"] == 60000 and r["config"]["profile"] == "full" for r in records)
    assert summary_markdown(load_results(blocks)) == (blocks / "summary.md").read_text()


def test_committed_robustness_results_reproduce_the_committed_runs():
    from qpcnn_edu.lab.robustness import DEFAULT_NOISE, DEFAULT_SHOTS, summarize_robustness

    records = load_results(RESULTS / "fashion-mnist", "robustness")
    assert sorted(r["config"]["seed"] for r in records) == [0, 1, 2]
    for r in records:
        assert r["retrained_matches_committed"], r["run_id"]  # the evaluated model is the committed one
        assert r["config"]["name"] == "qpcnn-L2" and r["data"]["n_test"] == 10000
        assert len(r["evaluations"]) == 1 + 3 * len(DEFAULT_SHOTS) + len(DEFAULT_NOISE)
    summary = summarize_robustness(records)
    assert list(summary["shots"]) == list(DEFAULT_SHOTS) and list(summary["depolarizing"]) == list(DEFAULT_NOISE)
    assert summary["shots"][10000]["mean"] > summary["shots"][10]["mean"]  # more shots, closer to exact


def test_committed_noisy_training_results_are_complete():
    from qpcnn_edu.lab.robustness import summarize_noisy_training

    records = load_results(RESULTS / "fashion-mnist-mini", "noisy-training")
    rows = summarize_noisy_training(records)
    assert [r["label"] for r in rows] == ["exact", "depolarizing 0.01", "depolarizing 0.1", "shots 10", "shots 100",
                                          "shots 1000"]
    assert all(r["seeds"] == [0, 1, 2] and r["epochs"] == 3 for r in rows)
