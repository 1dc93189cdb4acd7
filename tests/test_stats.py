"""Statistics of the comparisons: Welch, TOST, Holm, detectable difference, verdicts, trend, sentences and tables.

Every number is checked against an independent route: scipy.stats.ttest_ind called directly, hand formulas with
scipy.stats.t, a hand-worked Holm example and the step-down procedure itself, and a seeded power simulation.
"""

import math

import numpy as np
import pytest
from scipy import stats as sps

from qpcnn_edu.lab.stats import (ALPHA, EQUIVALENCE_MARGIN, POWER, Comparison, compare, compare_family,
                                 detectable_difference, holm, points, trend)
from qpcnn_edu.lab.verdicts import comparison_table, format_p, verdict_sentence


def arm(mean, sd, n):
    """n accuracies with exactly this mean and sample standard deviation."""
    z = np.linspace(-1, 1, n)
    z = (z - z.mean()) / z.std(ddof=1)
    return list(mean + sd * z)


def test_fixed_settings_are_the_ones_fixed_before_the_runs():
    assert (ALPHA, EQUIVALENCE_MARGIN, POWER) == (0.05, 0.5, 0.8)


@pytest.mark.parametrize("seed", range(4))
def test_welch_difference_interval_and_p_match_scipy_and_hand_formulas(seed):
    rng = np.random.default_rng(seed)
    a, b = rng.normal(89.6, 0.4, 3 + seed), rng.normal(89.4, 0.2 + 0.2 * seed, 10 - seed)
    c = compare(a, b)
    ref = sps.ttest_ind(a, b, equal_var=False)
    va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
    se = math.sqrt(va + vb)
    df = (va + vb) ** 2 / (va ** 2 / (a.size - 1) + vb ** 2 / (b.size - 1))  # Welch-Satterthwaite
    half = sps.t.ppf(0.975, df) * se
    diff = a.mean() - b.mean()
    assert (c.n_a, c.n_b) == (a.size, b.size)
    assert c.diff == pytest.approx(diff, abs=1e-12)
    assert c.se == pytest.approx(se, rel=1e-12) and c.df == pytest.approx(df, rel=1e-10)
    assert c.df == pytest.approx(ref.df, rel=1e-10) and c.p == pytest.approx(ref.pvalue, rel=1e-10)
    assert c.p == pytest.approx(2 * sps.t.sf(abs(diff) / se, df), rel=1e-9)
    assert (c.ci_low, c.ci_high) == (pytest.approx(diff - half, abs=1e-9), pytest.approx(diff + half, abs=1e-9))


@pytest.mark.parametrize("diff", [-0.6, -0.2, 0.0, 0.3, 0.7])
def test_tost_and_non_inferiority_match_hand_computation(diff):
    a, b = arm(90 + diff, 0.3, 6), arm(90, 0.45, 8)
    c = compare(a, b, margin=0.5)
    se = math.sqrt(0.3 ** 2 / 6 + 0.45 ** 2 / 8)
    df = se ** 4 / ((0.3 ** 2 / 6) ** 2 / 5 + (0.45 ** 2 / 8) ** 2 / 7)
    p_lower = sps.t.sf((diff + 0.5) / se, df)   # H0: d <= -0.5
    p_upper = sps.t.cdf((diff - 0.5) / se, df)  # H0: d >= +0.5
    assert c.p_noninf == pytest.approx(p_lower, rel=1e-7, abs=1e-12)
    assert c.p_equiv == pytest.approx(max(p_lower, p_upper), rel=1e-7, abs=1e-12)
    assert c.p_equiv >= c.p_noninf  # equivalence needs more than non-inferiority


def test_holm_matches_a_worked_example():
    # sorted: 0.005*4 = 0.02, 0.01*3 = 0.03, 0.03*2 = 0.06, 0.04*1 = 0.04 -> running max 0.06
    assert holm([0.01, 0.04, 0.03, 0.005]).tolist() == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert holm([0.5, 0.6]).tolist() == [1.0, 1.0]  # capped at 1
    assert holm([0.2]).tolist() == [0.2]  # a family of one is not adjusted


@pytest.mark.parametrize("seed", range(5))
def test_holm_is_monotone_and_rejects_what_the_step_down_procedure_rejects(seed):
    rng = np.random.default_rng(seed)
    p = rng.uniform(0, 0.1, 8) ** rng.uniform(0.5, 2)
    adjusted = holm(p)
    order = np.argsort(p)
    assert np.all(np.diff(adjusted[order]) >= 0) and np.all(adjusted >= p) and np.all(adjusted <= 1)
    for alpha in (0.01, 0.05, 0.1):
        rejected = set()
        for rank, i in enumerate(order):  # step down: stop at the first p above alpha / (k - rank)
            if p[i] > alpha / (p.size - rank):
                break
            rejected.add(int(i))
        assert {int(i) for i in np.flatnonzero(adjusted <= alpha)} == rejected


@pytest.mark.parametrize("n_a, n_b, sd_a, sd_b", [(10, 10, 0.35, 0.35), (5, 8, 0.3, 0.6), (10, 10, 0.1, 0.5)])
def test_detectable_difference_has_the_stated_power_in_simulation(n_a, n_b, sd_a, sd_b):
    c = compare(arm(90, sd_a, n_a), arm(90, sd_b, n_b))
    rng = np.random.default_rng(0)
    draws = 4000  # simulation standard error of the power: 0.0063
    a = rng.normal(c.detectable, sd_a, (draws, n_a))
    b = rng.normal(0.0, sd_b, (draws, n_b))
    power = np.mean(sps.ttest_ind(a, b, axis=1, equal_var=False).pvalue < ALPHA)
    assert power == pytest.approx(POWER, abs=0.03)
    # and a difference 30% smaller is detected clearly less often
    smaller = np.mean(sps.ttest_ind(a - 0.3 * c.detectable, b, axis=1, equal_var=False).pvalue < ALPHA)
    assert smaller < POWER - 0.15


def test_detectable_difference_is_optimistic_at_three_seeds_as_documented():
    c = compare(arm(90, 0.3, 3), arm(90, 0.3, 3))
    rng = np.random.default_rng(1)
    a, b = rng.normal(c.detectable, 0.3, (4000, 3)), rng.normal(0.0, 0.3, (4000, 3))
    power = np.mean(sps.ttest_ind(a, b, axis=1, equal_var=False).pvalue < ALPHA)
    assert 0.6 < power < POWER - 0.05
    assert detectable_difference(c.se, c.df) == c.detectable
    assert compare(arm(90, 0.3, 10), arm(90, 0.3, 10)).detectable < c.detectable / 2


@pytest.mark.parametrize("mean_a, sd, n, verdict", [
    (91.0, 0.2, 5, "better"),
    (89.0, 0.2, 5, "worse"),
    (90.05, 0.2, 10, "equivalent"),
    (90.2, 0.45, 10, "non-inferior"),
    (90.0, 1.0, 3, "undecided"),
])
def test_each_verdict_on_constructed_data(mean_a, sd, n, verdict):
    c = compare(arm(mean_a, sd, n), arm(90.0, sd, n))
    assert c.verdict == verdict
    text = verdict_sentence(c, "qpc", "twin")
    assert text.startswith(f"qpc vs twin ({c.n_a} and {c.n_b} seeds): {c.diff:+.2f} points (95% CI {c.ci_low:+.2f} to {c.ci_high:+.2f}; Welch p ")
    assert "Holm" not in text  # a single comparison is not adjusted
    expected = {"better": "qpc is better.", "worse": "qpc is worse.", "equivalent": "equivalent within ±0.5 points",
                "non-inferior": "qpc is non-inferior, not 0.5 points or more worse",
                "undecided": f"smallest difference a Welch test at 5% detects with 80% power is {c.detectable:.2f}"}
    assert expected[verdict] in text


def test_a_significant_difference_inside_the_margin_says_both():
    c = compare(arm(90.2, 0.1, 10), arm(90.0, 0.1, 10))
    assert c.verdict == "better" and c.p_equiv_adj < ALPHA
    assert c.verdict_text == "better, but by less than 0.5 points (equivalent too)"
    assert "qpc is better, but by less than 0.5 points (TOST p" in verdict_sentence(c, "qpc", "twin")


def test_family_adjusts_each_kind_of_p_value_and_can_change_a_verdict():
    accs = {"q": arm(90.45, 0.3, 5), "c": arm(90.0, 0.3, 5), "m": arm(90.1, 0.6, 5), "x": arm(89.9, 0.6, 5)}
    alone = compare(accs["q"], accs["c"])
    assert alone.verdict == "better" and ALPHA / 3 < alone.p < ALPHA
    family = compare_family([("q", "c"), ("q", "m"), ("q", "x")], accs)
    for key in ("p", "p_equiv", "p_noninf"):
        raw = [getattr(c, key) for c in family]
        assert [getattr(c, key + "_adj") for c in family] == pytest.approx(holm(raw).tolist())
    assert [c.family_size for c in family] == [3, 3, 3]
    assert family[0].p_adj == pytest.approx(3 * alone.p) and family[0].verdict != "better"
    assert "Holm-adjusted over 3 comparisons" in verdict_sentence(family[0])
    assert (family[0].name_a, family[0].name_b) == ("q", "c")


def test_table_header_names_the_tests_margin_and_family():
    accs = {"q": arm(90.45, 0.3, 5), "c": arm(90.0, 0.3, 5), "m": arm(90.1, 0.6, 5)}
    family = compare_family([("q", "c"), ("q", "m")], accs)
    lines = comparison_table(family).splitlines()
    assert len(lines) == 4
    for words in ("Welch t, two-sided", "95% CI (Welch)", "Holm, 2 comparisons", "TOST ±0.5", "-0.5, Holm"):
        assert words in lines[0]
    assert lines[2].startswith(f"| q | c | {family[0].diff:+.2f} | ") and family[0].verdict_text in lines[2]
    with pytest.raises(ValueError, match="comparisons must share one margin"):
        comparison_table([family[0], compare(accs["q"], accs["c"])])
    with pytest.raises(ValueError, match="comparisons must be a non-empty list of Comparison"):
        comparison_table([])


def test_format_p():
    assert (format_p(0.04), format_p(0.0009), format_p(1.0)) == ("0.040", "< 0.001", "1.000")


def test_trend_slope_interval_and_rank_check_on_constructed_data():
    groups = [arm(89.0, 0.2, 4), arm(89.4, 0.2, 4), arm(89.8, 0.2, 4)]
    t = trend([1, 2, 4], groups)
    x = np.repeat(np.log2([1, 2, 4]), 4)
    y = np.concatenate(groups)
    slope, intercept = np.polyfit(x, y, 1)
    residual = y - (intercept + slope * x)
    se = math.sqrt(residual @ residual / (y.size - 2) / ((x - x.mean()) @ (x - x.mean())))
    assert t.slope == pytest.approx(0.4) and t.slope == pytest.approx(slope)
    assert t.ci_high - t.slope == pytest.approx(sps.t.ppf(0.975, y.size - 2) * se)
    assert t.p == pytest.approx(2 * sps.t.sf(slope / se, y.size - 2))
    assert t.rho > 0.8 and t.p_rank < 0.01
    assert (t.verdict, t.monotonic, t.pattern) == ("increasing", "increasing", "L1 89.00 < L2 89.40 < L4 89.80")
    assert t.change == pytest.approx(0.8)
    down = trend([4, 1, 2], [groups[0], groups[2], groups[1]])  # depths in any order
    assert (down.verdict, down.monotonic, down.depths) == ("decreasing", "decreasing", (1, 2, 4))


def test_trend_flat_peak_and_sentence():
    flat = trend([1, 2, 4, 8], [arm(90.0, 0.2, 10), arm(90.05, 0.2, 10), arm(89.98, 0.2, 10), arm(90.02, 0.2, 10)])
    assert flat.verdict == "flat" and flat.p_flat < ALPHA and flat.p > ALPHA
    assert flat.verdict_text == "flat within ±0.5 points from L1 to L8"
    peak = trend([1, 2, 4], [arm(89.4, 0.4, 3), arm(89.9, 0.1, 3), arm(89.6, 0.2, 3)])
    assert peak.monotonic == "not monotonic" and peak.pattern == "L1 89.40 < L2 89.90 > L4 89.60"
    assert peak.verdict == "undecided"
    text = verdict_sentence(peak, "qpcnn")
    assert text.startswith("qpcnn over depth (L = 1, 2, 4; 3 seeds each): means L1 89.40 < L2 89.90 > L4 89.60 "
                           "(not monotonic); ")
    assert f"{peak.slope:+.2f} points per doubling of L" in text and "TOST p" in text


def test_points_converts_fractions():
    assert points([0.8988, 0.9]) == [89.88, 90.0]
    with pytest.raises(ValueError, match="fractions must be accuracies between 0 and 1"):
        points([89.9])


@pytest.mark.parametrize("a, b, match", [
    ([90.0], [90.0, 90.1], "a must be a list of at least 2 finite accuracies"),
    ([90.0, float("nan")], [90.0, 90.1], "a must be a list of at least 2 finite accuracies"),
    ([0.899, 0.901], [0.898, 0.9], "a must hold accuracies in percentage points"),
    ([90.0, 90.1], [90.0, 101.0], "b must hold accuracies in percentage points"),
    ([90.0, 90.0], [89.5, 89.5], "a and b must vary over seeds"),
])
def test_compare_refuses_what_no_test_can_judge(a, b, match):
    with pytest.raises(ValueError, match=match):
        compare(a, b)


def test_one_arm_without_spread_is_still_a_welch_test():
    c = compare([90.0, 90.0, 90.0], [89.0, 89.5, 89.2])
    assert c.df == pytest.approx(2.0) and math.isfinite(c.p)


def test_settings_and_family_arguments_are_checked():
    with pytest.raises(ValueError, match="margin must be a positive number; got 0"):
        compare([90, 90.1], [90, 90.2], margin=0)
    with pytest.raises(ValueError, match=r"alpha must be a probability in \[0, 1\); got 1"):
        compare([90, 90.1], [90, 90.2], alpha=1)
    with pytest.raises(ValueError, match=r"accuracies must hold every model named in pairs; got none for \['z'\]"):
        compare_family([("q", "z")], {"q": [90, 90.1]})
    with pytest.raises(ValueError, match="pairs must be a non-empty list of distinct"):
        compare_family([("q", "c"), ("q", "c")], {"q": [90, 90.1], "c": [90, 90.2]})
    with pytest.raises(ValueError, match="pvalues must be a non-empty list of p-values"):
        holm([0.1, 1.5])
    with pytest.raises(ValueError, match="depths must be at least 2 distinct depths"):
        trend([2, 2], [[90, 90.1], [90, 90.2]])
    with pytest.raises(ValueError, match="depth must be a positive integer; got 0"):
        trend([0, 1], [[90, 90.1], [90, 90.2]])
    with pytest.raises(TypeError, match="result must be a Comparison or a Trend; got dict"):
        verdict_sentence({})
    assert isinstance(compare([90, 90.1], [90, 90.2]), Comparison)
