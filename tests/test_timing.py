"""The timing command: structure, interleaving order, per-round ratios on a fake clock, provenance, atomic output.

No assertion here is about speed (DEVELOPERS.md: speed is measured by benchmarks, never asserted in tests); the
settings are tiny (1-2 batches of the embedded mini set).
"""

import json
import math
import re

import numpy as np
import pytest
import torch

import qpcnn_edu.lab.timing as timing
from qpcnn_edu.__main__ import main
from qpcnn_edu.lab.suites import build_model, suite
from qpcnn_edu.lab.timing import baselines, run_timing, time_models, timing_markdown, write_timing

NAMES = ["classical", "qpcnn-L1"]


class FakeClock:
    """Each measurement (two calls: start, end) lasts the next of ``durations`` seconds."""

    def __init__(self, durations):
        self.durations, self.now, self.calls = list(durations), 0.0, 0

    def __call__(self):
        self.calls += 1
        if self.calls % 2 == 0:
            self.now += self.durations[self.calls // 2 - 1]
        return self.now


@pytest.fixture(scope="module")
def result():
    return time_models(NAMES, n_batches=2, repeats=3, warmup=1, note="pytest")


def test_structure_and_interleaving(result):
    assert [(m["round"], m["model"], m["warmup"]) for m in result["order"]] == [
        (0, "classical", True), (0, "qpcnn-L1", True), (1, "classical", False), (1, "qpcnn-L1", False),
        (2, "classical", False), (2, "qpcnn-L1", False), (3, "classical", False), (3, "qpcnn-L1", False)]
    settings = result["settings"]
    assert (settings["names"], settings["n_batches"], settings["repeats"], settings["warmup"], settings["threads"],
            settings["batch_size"], settings["lr"]) == (NAMES, 2, 3, 1, 1, 64, 2e-3)
    per_epoch = math.ceil(5000 / 64)  # the mini set's training images, the suite's batch size
    assert result["estimate"]["batches_per_epoch"] == per_epoch and f"x {per_epoch} batches" in \
        result["estimate"]["rule"]
    for name in NAMES:
        t = result["models"][name]
        measured = [m["seconds_per_batch"] for m in result["order"] if m["model"] == name and not m["warmup"]]
        assert t["samples"] == measured and len(measured) == 3 and all(s > 0 for s in measured)
        assert t["median"] == pytest.approx(np.median(measured))
        assert t["iqr"] == pytest.approx(np.percentile(measured, 75) - np.percentile(measured, 25))
        assert t["epoch_estimate"] == pytest.approx(t["median"] * per_epoch)
        assert t["baseline"] == "classical"
        config = suite("fashion-mnist-mini", "full", names=[name], seeds=[0])[0]
        assert t["n_parameters"] == sum(p.numel() for p in build_model(config).parameters())
    assert result["models"]["classical"]["ratio"]["samples"] == [1.0, 1.0, 1.0]
    assert all(m["cpu_share"] > 0 for m in result["order"]) and result["models"]["qpcnn-L1"]["cpu_share"] > 0


def test_provenance(result):
    p = result["provenance"]
    assert p["git_commit"] is None or re.fullmatch("[0-9a-f]{40}", p["git_commit"])
    assert {"python", "torch", "numpy", "scipy", "qpcnn_edu"} <= set(p["versions"])
    assert p["machine"]["torch_threads"] == 1 and p["machine"]["device"] == "cpu"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", p["started_at"]) and p["finished_at"] >= p["started_at"]
    assert len(p["load_average_before"]) == len(p["load_average_after"]) == 3
    assert p["note"] == "pytest"


def test_ratios_are_taken_per_round_on_a_fake_clock():
    # per measurement (2 batches each): warm-up round, then 3 rounds; classical, qpcnn-L1 alternate
    clock = FakeClock([9.0, 99.0, 2.0, 3.0, 4.0, 8.0, 6.0, 9.0])
    r = time_models(NAMES, n_batches=2, repeats=3, warmup=1, clock=clock)
    assert clock.calls == 16  # start and end of each of the 8 measurements, nothing else
    classical, quantum = r["models"]["classical"], r["models"]["qpcnn-L1"]
    assert classical["samples"] == [1.0, 2.0, 3.0] and quantum["samples"] == [1.5, 4.0, 4.5]
    assert (classical["median"], classical["q25"], classical["q75"]) == (2.0, 1.5, 2.5)
    ratio = quantum["ratio"]
    assert ratio["samples"] == [1.5, 2.0, 1.5]
    assert (ratio["median"], ratio["q25"], ratio["q75"], ratio["iqr"]) == (1.5, 1.5, 1.75, 0.25)
    assert ratio["median"] != quantum["median"] / classical["median"]  # per round, not a ratio of medians
    assert [m["seconds_per_batch"] for m in r["order"]][:2] == [4.5, 49.5]  # warm-up measured, not kept


def test_threads_are_set_while_timing_and_restored():
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        r = time_models(["classical"], n_batches=1, repeats=1, warmup=0, threads=1, clock=FakeClock([1.0]))
        assert r["provenance"]["machine"]["torch_threads"] == 1 and torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


def test_baselines_follow_the_summaries():
    assert baselines(["resnet-qpc", "resnet-classical", "mobilenet-qpc"]) == {
        "resnet-qpc": "resnet-classical", "resnet-classical": "resnet-classical", "mobilenet-qpc": None}
    assert baselines(["qpcnn-wide-L2", "classical-wide"]) == {"qpcnn-wide-L2": "classical-wide",
                                                              "classical-wide": "classical-wide"}
    assert baselines(NAMES, "qpcnn-L1") == {"classical": "qpcnn-L1", "qpcnn-L1": "qpcnn-L1"}
    r = time_models(["mobilenet-qpc"], suite_name="blocks", n_batches=1, repeats=1, warmup=0, clock=FakeClock([1.0]))
    assert r["models"]["mobilenet-qpc"]["ratio"] is None
    assert "| mobilenet-qpc | — |" in timing_markdown(r)


@pytest.mark.parametrize("kwargs, match", [
    ({"n_batches": 0}, "n_batches must be a positive integer; got 0"),
    ({"repeats": 0}, "repeats must be a positive integer; got 0. Measure at least one round."),
    ({"warmup": -1}, "warmup must be a non-negative integer; got -1"),
    ({"threads": 0}, "threads must be a positive integer; got 0"),
    ({"dataset": "mnist"}, "dataset must be one of"),
    ({"names": ["classical", "classical"]}, "names must be distinct models of the 'paper' suite"),
    ({"names": ["resnet-qpc"]}, "names must be distinct models of the 'paper' suite"),
    ({"suite_name": "other"}, "suite must be one of"),
    ({"baseline": "quadratic"}, "baseline must be one of"),
    ({"clock": 3}, "note must be a string and clock a callable"),
])
def test_arguments_are_checked_before_any_work(monkeypatch, kwargs, match):
    monkeypatch.setattr(timing, "load_dataset", lambda *a, **k: pytest.fail("data loaded before the checks"))
    kwargs = {"names": NAMES, **kwargs}
    with pytest.raises(ValueError, match=match):
        time_models(kwargs.pop("names"), **kwargs)


def test_output_is_written_atomically_and_reads_back(result, tmp_path):
    json_path, md_path = write_timing(result, tmp_path / "sub" / "epoch_times.json")  # the suffix is optional
    assert (json_path.name, md_path.name) == ("epoch_times.json", "epoch_times.md")
    assert json.loads(json_path.read_text()) == json.loads(json.dumps(result))
    page = md_path.read_text()
    assert page.startswith("# Epoch times, measured one model at a time\n")
    assert "x 79 batches per epoch" in page and "Also running: pytest" in page
    busy = [n for n, t in result["models"].items() if t["cpu_share"] < 0.9]
    assert ("Not a quiet machine" in page) == bool(busy)
    quiet = {**result, "models": {n: {**t, "cpu_share": 1.0} for n, t in result["models"].items()}}
    loud = {**result, "models": {n: {**t, "cpu_share": 0.5} for n, t in result["models"].items()}}
    assert "Not a quiet machine" not in timing_markdown(quiet)
    assert "below 0.9 for classical, qpcnn-L1; other processes" in timing_markdown(loud)
    row = next(line for line in page.splitlines() if line.startswith("| qpcnn-L1 |"))
    assert f"| {result['models']['qpcnn-L1']['ratio']['median']:.2f} |" in row
    assert sorted(p.name for p in json_path.parent.iterdir()) == ["epoch_times.json", "epoch_times.md"]
    broken = {**result, "models": {"x": {}}}  # cannot be rendered: neither file may change
    with pytest.raises(KeyError):
        write_timing(broken, tmp_path / "sub" / "epoch_times")
    assert json.loads(json_path.read_text()) == json.loads(json.dumps(result)) and md_path.read_text() == page
    assert sorted(p.name for p in json_path.parent.iterdir()) == ["epoch_times.json", "epoch_times.md"]


def test_an_unwritable_output_is_refused_before_measuring(monkeypatch, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setattr(timing, "time_models", lambda *a, **k: pytest.fail("measured before checking --out"))
    with pytest.raises(ValueError, match="out must name a file in a writable folder"):
        run_timing(NAMES, out=blocker / "epoch_times")


def _cli_error(argv, capsys) -> str:
    """The error message of a failing command, whether main reports it (exit status 2) or raises it."""
    try:
        status = main(argv)
    except ValueError as err:
        return str(err)
    assert status == 2
    return capsys.readouterr().err


def test_command_line(tmp_path, capsys):
    out = tmp_path / "t"
    assert main(["timing", "--models", "classical", "--batches", "1", "--repeats", "2", "--warmup", "0",
                 "--note", "nothing", "--out", str(out)]) == 0
    record = json.loads((tmp_path / "t.json").read_text())
    assert record["provenance"]["command"].startswith("python -m qpcnn_edu timing --models classical")
    assert record["settings"]["repeats"] == 2 and (tmp_path / "t.md").exists()
    assert "wrote" in capsys.readouterr().out
    assert "n_batches must be a positive integer; got 0" in _cli_error(
        ["timing", "--batches", "0", "--out", str(out)], capsys)
    assert "names must be distinct models of the 'blocks' suite" in _cli_error(
        ["timing", "--suite", "blocks", "--models", "classical", "--out", str(out)], capsys)
