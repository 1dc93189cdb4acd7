"""The layer benchmark's harness (benchmarks/): driven by fake clocks, so nothing here asserts a real speed.

Interleaving order, the warm-up/repeat policy, median/IQR and per-round ratio math, the fixed + per-pixel fit,
refusal to time contenders that compute something else, and the record's provenance keys.
"""

from __future__ import annotations

import doctest
import itertools
import json
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCH))

import bench_layer  # noqa: E402
import contenders  # noqa: E402
import harness  # noqa: E402
import report_bench  # noqa: E402
from harness import Contender, MismatchError, Policy, check_matches, fit_fixed_per_pixel, quartiles  # noqa: E402
from harness import ratio_stats, run_interleaved  # noqa: E402


class FakeClock:
    """A clock that only moves when a fake contender 'works'."""

    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def fake(name, clock, calls, durations):
    """A contender whose every call takes the next of ``durations`` (a number repeats) fake seconds."""
    seq = itertools.repeat(durations) if isinstance(durations, (int, float)) else iter(durations)

    def step():
        calls.append(name)
        clock.now += next(seq)

    return Contender(name=name, label=name, step=step)


def test_round_robin_order_warmup_and_calibration():
    clock, calls = FakeClock(), []
    cs = [fake("A", clock, calls, 0.001), fake("B", clock, calls, 0.010), fake("C", clock, calls, 0.100)]
    policy = Policy(warmup=3, min_repeats=4, min_time=0.0, sample_time=0.05, max_time=1e9)
    res = run_interleaved(cs, policy, clock=clock)
    # warm-up: one call each, interleaved, three times
    assert calls[:9] == ["A", "B", "C"] * 3
    # calls per sample: enough to last sample_time (A: 50 x 1 ms, B: 5 x 10 ms, C: one 100 ms call)
    assert [res["contenders"][n]["number"] for n in "ABC"] == [50, 5, 1]
    one_round = ["A"] * 50 + ["B"] * 5 + ["C"]
    assert calls[9:] == one_round * 4
    assert res["rounds"] == 4 and not res["capped"]
    assert res["contenders"]["A"]["warmup"] == pytest.approx([0.001] * 3)
    assert res["contenders"]["B"]["samples"] == pytest.approx([0.010] * 4)  # seconds per call, not per sample


def test_repeats_until_both_min_repeats_and_min_time():
    clock, calls = FakeClock(), []
    cs = [fake("fast", clock, calls, 0.001), fake("slow", clock, calls, 0.2)]
    # fast: samples of 50 calls = 50 ms, so 1.98 s needs 40 rounds; slow is past 1.98 s after 10 rounds
    res = run_interleaved(cs, Policy(warmup=3, min_repeats=20, min_time=1.98, sample_time=0.05, max_time=1e9),
                          clock=clock)
    assert res["rounds"] == 40
    assert res["contenders"]["fast"]["timed_s"] == pytest.approx(2.0)
    assert res["contenders"]["slow"]["timed_s"] == pytest.approx(8.0)
    # min_repeats dominates when min_time is small
    clock, calls = FakeClock(), []
    res = run_interleaved([fake("x", clock, calls, 0.5)], Policy(warmup=3, min_repeats=20, min_time=1.0,
                                                                   sample_time=0.05, max_time=1e9), clock=clock)
    assert res["rounds"] == 20 and calls.count("x") == 23


def test_max_time_caps_only_after_min_repeats():
    clock, calls = FakeClock(), []
    res = run_interleaved([fake("x", clock, calls, 0.1)], Policy(warmup=3, min_repeats=5, min_time=100.0,
                                                                  sample_time=0.0, max_time=0.01), clock=clock)
    assert res["capped"] and res["rounds"] == 5


def test_sync_is_called_around_every_timed_block():
    clock, calls, events = FakeClock(), [], []
    c = fake("x", clock, calls, 0.1)
    step = c.step
    c.step = lambda: (events.append("call"), step())
    run_interleaved([c], Policy(warmup=3, min_repeats=2, min_time=0.0, sample_time=0.0), clock=clock,
                    sync=lambda: events.append("sync"))
    # every block (3 warm-ups + 2 samples, one call each) is fenced by a sync on each side
    assert events == ["sync", "call", "sync"] * 5


def test_median_iqr_and_per_round_ratios():
    clock, calls = FakeClock(), []
    a_times = [1.0, 5.0, 2.0, 4.0, 3.0]
    b_times = [2.0 * t for t in a_times]  # B is exactly twice A in every round
    cs = [fake("A", clock, calls, [9.0] * 3 + a_times), fake("B", clock, calls, [9.0] * 3 + b_times)]
    res = run_interleaved(cs, Policy(warmup=3, min_repeats=5, min_time=0.0, sample_time=0.0), clock=clock)
    stats = res["contenders"]["A"]["stats"]
    assert (stats["median"], stats["q25"], stats["q75"], stats["iqr"], stats["n"]) == (3.0, 2.0, 4.0, 2.0, 5)
    r = ratio_stats(res["contenders"]["B"]["samples"], res["contenders"]["A"]["samples"])
    assert r["median"] == pytest.approx(2.0) and r["iqr"] == pytest.approx(0.0)
    # per-round ratios are not the ratio of the medians when the rounds disagree
    r = ratio_stats([1.0, 10.0, 10.0], [1.0, 1.0, 10.0])
    assert r["median"] == pytest.approx(1.0) and np.median([1, 10, 10]) / np.median([1, 1, 10]) == 10.0
    assert quartiles([4.0, 1.0, 3.0, 2.0]) == {"median": 2.5, "q25": 1.75, "q75": 3.25, "iqr": 1.5, "n": 4}
    with pytest.raises(ValueError, match="same rounds"):
        ratio_stats([1.0, 2.0], [1.0])


def test_fit_recovers_fixed_and_per_pixel_cost():
    pixels = np.array([1, 196, 784, 3136, 12544])
    fit = fit_fixed_per_pixel(pixels, 2e-3 + 1e-7 * pixels)
    assert fit["fixed_s"] == pytest.approx(2e-3, rel=1e-9) and fit["per_pixel_s"] == pytest.approx(1e-7, rel=1e-9)
    assert fit["max_rel_residual"] < 1e-9
    # multiplicative noise of +-5%: the relative weighting keeps both terms within ~5%
    noisy = (2e-3 + 1e-7 * pixels) * np.array([1.05, 0.95, 1.03, 0.97, 1.02])
    fit = fit_fixed_per_pixel(pixels, noisy)
    assert fit["fixed_s"] == pytest.approx(2e-3, rel=0.08) and fit["per_pixel_s"] == pytest.approx(1e-7, rel=0.08)
    # a small fixed cost under a large per-pixel one: unweighted least squares lets the big batches' noise decide
    # the intercept; the relative weighting keeps it to the 1-pixel point's noise
    small = (1e-4 + 1e-7 * pixels) * np.array([1.05, 0.95, 1.03, 0.97, 1.02])
    plain = np.polyfit(pixels, small, 1)[::-1]
    fit = fit_fixed_per_pixel(pixels, small)
    assert abs(fit["fixed_s"] - 1e-4) < 0.01e-4 < abs(plain[0] - 1e-4)
    with pytest.raises(ValueError, match="two distinct pixel counts"):
        fit_fixed_per_pixel([16, 16], [1.0, 2.0])
    with pytest.raises(ValueError, match="positive and finite"):
        fit_fixed_per_pixel([1, 2], [1.0, 0.0])


def test_policy_and_contender_errors():
    with pytest.raises(ValueError, match="warmup must be an integer"):
        Policy(warmup=0)
    with pytest.raises(ValueError, match="min_time must be a finite number"):
        Policy(min_time=float("nan"))
    clock, calls = FakeClock(), []
    with pytest.raises(ValueError, match="distinct names"):
        run_interleaved([fake("a", clock, calls, 1.0), fake("a", clock, calls, 1.0)], clock=clock)
    assert calls == []


def _checked(name, out, grad, calls):
    return Contender(name=name, label=name, step=lambda: calls.append(name),
                     outputs=lambda: (np.asarray(out, float), np.asarray(grad, float)))


def test_mismatch_refuses_before_any_timing():
    calls = []
    ref = _checked("qpc", [0.1, -0.5], [10.0, 2.0], calls)
    good = _checked("good", [0.1 + 5e-6, -0.5], [10.0 + 5e-4, 2.0], calls)
    report = check_matches(ref, [good], atol=1e-5, grad_rtol=1e-4)
    assert report["good"]["max_abs_out"] == pytest.approx(5e-6) and report["good"]["max_rel_grad"] == pytest.approx(5e-5)
    with pytest.raises(MismatchError, match=r"bad must compute qpc's outputs .* Nothing was timed"):
        check_matches(ref, [good, _checked("bad", [0.1, -0.4], [10.0, 2.0], calls)], atol=1e-5, grad_rtol=1e-4)
    with pytest.raises(MismatchError, match="gradient diff = 0.1"):
        check_matches(ref, [_checked("grad", [0.1, -0.5], [9.0, 2.0], calls)], atol=1e-5, grad_rtol=1e-4)
    with pytest.raises(MismatchError):  # a different shape is a mismatch, not a crash
        check_matches(ref, [_checked("shape", [0.1, -0.5, 0.0], [10.0, 2.0], calls)], atol=1e-5, grad_rtol=1e-4)
    assert calls == []  # checking never calls step()


def test_build_case_checks_real_contenders_and_refuses_a_wrong_circuit(monkeypatch):
    avail = {n: None for n in contenders.ALL}
    avail.update(lightning_adjoint="not needed here", torchquantum="not needed here")
    cs, checks, skipped = contenders.build_case(2, 1, 3, ["conv1x1", "qpc", "qpc64", "pl_backprop"], "all",
                                                available=avail)
    assert [c.name for c in cs] == ["conv1x1", "qpc", "qpc64", "pl_backprop"] and skipped == {}
    assert checks["pl_backprop"]["max_abs_out"] < 1e-5 and checks["qpc64"]["max_abs_out"] < 1e-10
    assert checks["qpc64"]["against"] == "pl_backprop_fp64"
    for c in cs:  # a timed call is forward + backward and leaves no accumulated gradient behind
        grads = c.step()
        assert all(g is not None for g in grads) and len(grads) == (3 if c.name == "conv1x1" else 2)
    make = contenders._make

    def wrong(name, template, device):
        module = make(name, template, device)
        if name == "pl_backprop":
            with torch.no_grad():
                module.weights.add_(0.3)
        return module

    monkeypatch.setattr(contenders, "_make", wrong)
    with pytest.raises(MismatchError, match="pl_backprop must compute qpc's outputs"):
        contenders.build_case(2, 1, 3, ["qpc", "pl_backprop"], "all", available=avail)


def test_build_case_argument_errors():
    with pytest.raises(ValueError, match="grads='weights'"):
        contenders.build_case(2, 1, 3, ["qpc", "pl_shift"], "all")
    with pytest.raises(ValueError, match="names must be contenders"):
        contenders.build_case(2, 1, 3, ["qpc", "cirq"], "all")
    with pytest.raises(ValueError, match="pixels must be a positive integer"):
        contenders.input_shape(0, 4)


def test_threads_pre_parse():
    assert bench_layer._threads_from_argv(["--out", "x"]) == "1"
    assert bench_layer._threads_from_argv(["--threads", "4"]) == "4"
    assert bench_layer._threads_from_argv(["--threads=2", "--quick"]) == "2"


@pytest.fixture
def fake_bench(monkeypatch):
    """bench_layer with a fake clock (1e-4 s per conv call, 1e-3 s per other call) and no lightning/TorchQuantum."""
    clock = FakeClock()
    real = harness.run_interleaved

    def fake_clock_run(cs, policy, sync=None, log=None):
        for c in cs:  # each contender 'takes' a fixed fake time per call, still running its real step
            step = c.step
            cost = {"conv1x1": 1e-4}.get(c.name, 1e-3)
            c.step = lambda step=step, cost=cost: (step(), setattr(clock, "now", clock.now + cost))
        return real(cs, policy, clock=clock, sync=sync, log=log)

    monkeypatch.setattr(bench_layer, "run_interleaved", fake_clock_run)
    monkeypatch.setattr(bench_layer, "availability", lambda device: {
        **{n: None for n in contenders.ALL}, "lightning_adjoint": "skipped in this test",
        "torchquantum": "skipped in this test"})
    return bench_layer


def test_record_provenance_keys_and_files(tmp_path, fake_bench):
    """A whole (tiny) run with a fake clock: the record has provenance and the keys the book's chapters read."""
    out = tmp_path / "layer_test"
    argv = ["--batch", "1", "--size", "1", "--qubits", "2", "--layers", "1", "2", "--sweep-pixels", "1", "2",
            "--slow-pixels", "1", "2", "--warmup", "3", "--repeats", "3", "--min-time", "0", "--sample-time", "0",
            "--note", "test run", "--out", str(out)]
    fake_bench.main(argv)
    rec = json.loads(out.with_suffix(".json").read_text())
    assert rec["schema"] == bench_layer.SCHEMA and rec["note"] == "test run"
    assert rec["command"] == "python benchmarks/bench_layer.py " + " ".join(argv)
    for key in ("started_utc", "finished_utc", "load_average", "threads", "policy", "targets", "skipped"):
        assert key in rec
    assert sorted(rec["provenance"]) == ["git_commit", "git_dirty", "machine", "versions"]
    assert rec["machine"]["torch_threads"] == rec["threads"]["torch"] == 1
    assert rec["policy"]["warmup"] == 3 and rec["policy"]["min_repeats"] == 3
    h = rec["headline"]
    for key in ("conv1x1", "qpc", "qpc64", "pl_backprop"):  # the keys chapters 5 and 9 read
        assert h[key] == h["stats"][key]["median"]
    for key in ("qpc_shift", "pl_shift"):
        assert h[key] == rec["shift"]["stats"][key]["median"]
    assert h["conv1x1"] == pytest.approx(1e-4) and h["qpc"] == pytest.approx(1e-3)
    assert h["ratios"]["to_conv1x1"]["qpc"]["median"] == pytest.approx(10.0)
    assert rec["targets"]["results"]["qpc_over_conv_3q2l"]["met"] is False
    assert [(g["n_qubits"], g["n_layers"]) for g in rec["grid"]] == [(2, 1), (2, 2)]
    assert all({"conv1x1", "qpc", "pl_backprop"} <= set(g) for g in rec["grid"])
    fit = rec["batch_sweep"]["fits"]["qpc"]
    assert fit["fixed_s"] == pytest.approx(1e-3) and fit["per_pixel_s"] == pytest.approx(0.0, abs=1e-12)
    assert "lightning_adjoint" not in rec["weights_sweep"]["points"][0]["stats"]
    assert rec["skipped"]["torchquantum"] == "skipped in this test"
    assert rec["notes"]["torchquantum"] == contenders.TORCHQUANTUM_NOTE
    text = out.with_suffix(".md").read_text()
    assert "## Targets" in text and "test run" in text and (rec["provenance"]["git_commit"] or "None") in text
    assert out.with_suffix(".png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_budget_stops_later_groups_but_writes_what_it_measured(tmp_path, fake_bench):
    out = tmp_path / "budget"
    fake_bench.main(["--batch", "1", "--size", "1", "--qubits", "2", "--layers", "1", "--sweep-pixels", "1", "2",
                     "--slow-pixels", "1", "2", "--repeats", "2", "--min-time", "0", "--sample-time", "0",
                     "--budget", "1e-9", "--out", str(out)])
    rec = json.loads(out.with_suffix(".json").read_text())
    assert rec["headline"]["qpc"] > 0 and rec["shift"] is None and rec["grid"] == []
    assert rec["batch_sweep"]["points"] == [] and rec["budget_s"] == 1e-9
    assert len(rec["not_run"]) == 1 + 2 + 2 + 1  # shift, both sweeps' points, the grid cell
    assert "## Not run" in out.with_suffix(".md").read_text() and out.with_suffix(".png").exists()


@pytest.mark.parametrize("module", [harness, contenders, report_bench])
def test_doctests(module):
    assert doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE).failed == 0
