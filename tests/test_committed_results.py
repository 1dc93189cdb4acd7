"""The committed full FashionMNIST results: complete, well-formed, and ``report`` regenerates ``results/summary.md``."""

from pathlib import Path

import pytest

from qpcnn_edu import dataset_md5s
from qpcnn_edu.lab.experiments import load_results
from qpcnn_edu.lab.suites import PROFILES, SUITE, RunConfig
from qpcnn_edu.lab.results import result_path
from qpcnn_edu.lab.report import aggregate, load_reruns, summary_markdown

RESULTS = Path(__file__).resolve().parents[1] / "results"


def _committed():
    return load_results(RESULTS, "fashion-mnist")


def test_committed_results_are_complete_and_well_formed():
    records = _committed()
    table = aggregate(records)
    assert set(table) == set(SUITE), "every suite model has committed results"
    _check_runs(records, table)
    for name, t in table.items():
        assert 0.80 < t["acc_mean"] < 0.95, name


def _check_runs(records, table):
    """Every run complete and well formed; every model has the full profile's ten seeds, 0..9."""
    md5 = dataset_md5s("fashion-mnist")
    for r in records:
        config = r["config"]
        assert config["profile"] == "full" and config["dataset"] == "fashion-mnist"
        assert config["num_epochs"] == PROFILES["full"]["num_epochs"] == len(r["history"])
        assert r["data"]["md5"] == md5 and (r["data"]["n_train"], r["data"]["n_test"]) == (60000, 10000)
        assert r["final_test_acc"] == r["history"][-1]["test_acc"]
        assert r["git_commit"] and r["versions"]["torch"] and r["wall_time"] > 0
        assert result_path(RESULTS, RunConfig(**config)).name == f"{r['run_id']}.json"
        if r.get("schema", 1) >= 2:  # measured provenance: the files read, their md5, the final weights
            assert sorted(r["data"]["files"]) == sorted(md5) and len(r["weights_sha256"]) == 64
            assert r["started_at"] < r["finished_at"]
    for name, t in table.items():  # the ten-seed reproduction is complete: every model has every seed of the profile
        assert t["seeds"] == list(PROFILES["full"]["seeds"]) == list(range(10)), name


def test_committed_data_md5s_match_the_files_on_this_machine():
    """Recompute the md5 of the FashionMNIST files here and compare with what every committed run measured."""
    import hashlib
    import os

    from qpcnn_edu.lab.data import locate

    folders = {split: locate("fashion-mnist", split) for split in (True, False)}
    if None in folders.values() or not os.environ.get("QPCNN_EDU_DATA"):
        pytest.skip("the official FashionMNIST files are not on this machine (set QPCNN_EDU_DATA)")
    here = {f: hashlib.md5((folder / f).read_bytes()).hexdigest() for folder in folders.values()
            for f in os.listdir(folder) if f.endswith(".gz")}
    for records in (load_results(RESULTS, "fashion-mnist"), load_results(RESULTS / "blocks", "fashion-mnist")):
        for r in records:
            assert all(here[f] == md5 for f, md5 in r["data"]["md5"].items()), r["run_id"]


def test_report_regenerates_the_committed_summary():
    assert summary_markdown(load_results(RESULTS), load_reruns(RESULTS)) == (RESULTS / "summary.md").read_text()


def test_committed_block_results_are_complete_and_summarized():
    from qpcnn_edu.lab.suites import BLOCK_SUITE

    blocks = RESULTS / "blocks"
    records = load_results(blocks, "fashion-mnist")
    table = aggregate(records)
    assert set(table) == set(BLOCK_SUITE)
    _check_runs(records, table)
    for name, t in table.items():
        assert 0.75 < t["acc_mean"] < 0.95, name
    assert all(r["data"]["n_train"] == 60000 and r["config"]["profile"] == "full" for r in records)
    assert summary_markdown(load_results(blocks)) == (blocks / "summary.md").read_text()


def test_committed_robustness_results_reproduce_the_committed_runs():
    from qpcnn_edu.lab.robustness import DEFAULT_NOISE, DEFAULT_SHOTS, load_robustness, summarize_robustness

    records = load_robustness(RESULTS, "fashion-mnist")
    assert sorted(r["config"]["seed"] for r in records) == [0, 1, 2]
    for r in records:  # the evaluated model is the committed one: recompare, do not trust the stored flag
        committed = load_results(RESULTS, "fashion-mnist")
        run = next(c for c in committed if c["run_id"] == r["run_id"])
        if r.get("weights_sha256") and run.get("weights_sha256"):
            assert r["weights_sha256"] == run["weights_sha256"], r["run_id"]
        else:  # records made before weights were hashed: the retrained model's exact accuracy, to the last digit
            assert r["exact_test_acc"] == run["final_test_acc"] == r["committed_test_acc"], r["run_id"]
        assert r["config"]["name"] == "qpcnn-L2" and r["data"]["n_test"] == 10000
        assert len(r["evaluations"]) == 1 + 3 * len(DEFAULT_SHOTS) + len(DEFAULT_NOISE)
    summary = summarize_robustness(records)
    assert list(summary["shots"]) == list(DEFAULT_SHOTS) and list(summary["depolarizing"]) == list(DEFAULT_NOISE)
    assert summary["shots"][10000]["mean"] > summary["shots"][10]["mean"]  # more shots, closer to exact


def test_committed_noisy_training_results_are_complete():
    from qpcnn_edu.lab.robustness import load_noisy_training, summarize_noisy_training

    records = load_noisy_training(RESULTS, "fashion-mnist-mini")
    rows = summarize_noisy_training(records)
    assert [r["label"] for r in rows] == ["exact", "depolarizing 0.01", "depolarizing 0.1", "shots 10", "shots 100",
                                          "shots 1000"]
    assert all(r["seeds"] == [0, 1, 2] and r["epochs"] == 3 for r in rows)


def test_committed_reruns_reproduce_the_earlier_runs_exactly():
    """Seeds 0-2 were made by an earlier commit; a rerun with today's training code must match them epoch by epoch
    (that is why they may stay beside the newer seeds)."""
    reruns = load_reruns(RESULTS)
    assert reruns, "at least one rerun of an earlier run is committed"
    runs = {r["run_id"]: r for r in load_results(RESULTS, "fashion-mnist")}
    for rerun in reruns:
        run = runs[rerun["run_id"]]
        assert rerun["git_commit"] != run["git_commit"] and rerun["config"] == run["config"]
        for a, b in zip(run["history"], rerun["history"]):
            assert {k: v for k, v in a.items() if not k.endswith("_time")} == \
                   {k: v for k, v in b.items() if not k.endswith("_time")}
        assert len(run["history"]) == len(rerun["history"])
