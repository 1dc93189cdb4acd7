"""Statistics of the reproduction: comparisons of test accuracy over seeds, with intervals, tests and verdicts.

The settings below were fixed on 2026-11-29 at 21:55 UTC (commit d0169fa), five minutes after the runs of seeds
3-9 started; 2 of those 84 runs (qpcnn-L1 and mobilenet-qpc, seed 3) had finished by then, and the margin was chosen
from the spreads of the committed 3-seed runs alone:

* :data:`ALPHA` — every test is two-sided at 5% (TOST: two one-sided tests at 5% each), Holm-adjusted over the
  family of comparisons a summary makes.
* :data:`EQUIVALENCE_MARGIN` — 0.5 percentage points of test accuracy. Why: the paper's abstract claims
  accuracy *competitive* with the classical counterpart, i.e. not meaningfully worse. On FashionMNIST a gap below
  half a point is smaller than the seed-to-seed spread of one model in our 3-seed runs (standard deviations
  0.06-0.48 points) and far smaller than the gaps that separate architectures of this size (1-3 points); with
  10 seeds per arm and a spread of about 0.35 points, the margin is wide enough to be decided (TOST has about
  80% power at a true difference of zero) and narrow enough to mean "no practical difference".
* :data:`POWER` — the smallest detectable difference quoted for undecided comparisons is the one a Welch test
  at :data:`ALPHA` would detect with 80% power.

What is here (accuracies are per-seed test accuracies in percentage points; :func:`points` converts the result
files' fractions): :func:`compare` (Welch difference, interval and p; TOST equivalence; non-inferiority; the smallest
detectable difference; the verdict), :func:`holm` and :func:`compare_family` (the same over a summary's family,
Holm-adjusted), and :func:`trend` (the depth claim as one trend over L). :mod:`qpcnn_edu.lab.verdicts` puts them
into words and tables. (Over 300 lines by its docstrings: each test's exact definition and an example.)
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, replace

import numpy as np
from scipy import optimize, stats

from .. import _checks

#: two-sided significance level of every test (TOST: each one-sided test at this level)
ALPHA = 0.05
#: equivalence / non-inferiority margin, in percentage points of test accuracy (fixed before the ten-seed runs)
EQUIVALENCE_MARGIN = 0.5
#: power at which the smallest detectable difference of an undecided comparison is quoted
POWER = 0.8

__all__ = ["ALPHA", "EQUIVALENCE_MARGIN", "POWER", "VERDICTS", "Comparison", "Trend", "points", "compare", "holm",
           "compare_family", "detectable_difference", "trend"]

#: the verdicts of a comparison, in the order they are tried (see :func:`compare`)
VERDICTS = ("better", "worse", "equivalent", "non-inferior", "undecided")


def points(fractions) -> list:
    """Accuracies given as fractions (``0.8988``, as in the result files) in percentage points (``89.88``).

    Every function of this module takes accuracies in points, the unit of :data:`EQUIVALENCE_MARGIN`.

    >>> points([0.8988, 0.8995])
    [89.88, 89.95]
    """
    values = np.asarray(fractions, dtype=float).ravel()
    if values.size == 0 or not np.all(np.isfinite(values)) or values.min() < 0 or values.max() > 1:
        raise ValueError(f"fractions must be accuracies between 0 and 1; got {list(values)}. Pass the result "
                         "files' final_test_acc values; values already in percent need no conversion.")
    return [round(100 * float(v), 10) for v in values]


def _arm(values, name: str) -> np.ndarray:
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        arr = None
    if arr is None or arr.ndim != 1 or arr.size < 2 or not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be a list of at least 2 finite accuracies (one per seed); got {values!r}. "
                         "A comparison needs the spread over seeds: run at least 2 seeds per model.")
    if arr.min() < 0 or arr.max() > 100 or arr.max() <= 1:
        raise ValueError(f"{name} must hold accuracies in percentage points (0-100, e.g. 89.9); got {list(arr)}. "
                         "Convert fractions with points(...).")
    return arr


def _settings(margin, alpha, power=POWER) -> tuple:
    margin = _checks.positive_number(margin, "margin", "Pass the equivalence margin in percentage points.")
    return (margin, _checks.probability(alpha, "alpha", include_one=False),
            _checks.probability(power, "power", include_one=False))


def _welch_df(a, b) -> tuple:
    va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
    se = math.sqrt(va + vb)
    return se, (va + vb) ** 2 / (va ** 2 / (a.size - 1) + vb ** 2 / (b.size - 1))


def detectable_difference(se: float, df: float, *, alpha: float = ALPHA, power: float = POWER) -> float:
    """The smallest true difference a two-sided Welch test at ``alpha`` detects with probability ``power``.

    Plug-in approximation: the observed standard error ``se`` and Welch-Satterthwaite ``df`` are taken as exact,
    and the statistic as noncentral t (``scipy.stats.nct``) with noncentrality ``difference / se``; the equation
    ``power(difference) = power`` is solved with ``scipy.optimize.brentq``. Checked against simulated Welch tests:
    within 0.01 of the nominal power at 5-10 seeds per arm; at 3 seeds per arm the real power at this difference is
    lower (about 0.70 for 0.80) because ``df`` itself is estimated, so the value is then a lower bound.

    >>> round(detectable_difference(0.35 * (2 / 10) ** 0.5, 18.0), 2)  # 10 seeds per arm, spread 0.35 points
    0.46
    """
    se = _checks.positive_number(se, "se")
    df = _checks.positive_number(df, "df")
    _, alpha, power = _settings(1.0, alpha, power)
    crit = stats.t.ppf(1 - alpha / 2, df)

    def shortfall(nc):  # the lower tail through the symmetry nct(-nc): cdf(-crit, nc) is NaN for large nc
        return stats.nct.sf(crit, df, nc) + stats.nct.sf(crit, df, -nc) - power

    high = crit + 1.0
    while shortfall(high) < 0:
        high *= 2
    return se * optimize.brentq(shortfall, 0.0, high, xtol=1e-10)


@dataclass(frozen=True)
class Comparison:
    """Test accuracy of ``name_a`` against ``name_b`` over seeds, in percentage points; see :func:`compare`.

    ``p``, ``p_equiv`` and ``p_noninf`` are raw; the ``*_adj`` fields are Holm-adjusted over ``family_size``
    comparisons (equal to the raw ones for a single comparison) and decide :attr:`verdict`.

    >>> c = compare([90.1, 90.3, 89.9], [89.2, 89.4, 89.1], name_a="q", name_b="c")
    >>> isinstance(c, Comparison), (c.name_a, c.name_b, c.n_a), round(c.diff, 2), c.family_size, c.p_adj == c.p
    (True, ('q', 'c', 3), 0.87, 1, True)
    """

    name_a: str
    name_b: str
    n_a: int
    n_b: int
    mean_a: float
    mean_b: float
    diff: float          # mean_a - mean_b
    se: float            # Welch standard error of diff
    df: float            # Welch-Satterthwaite degrees of freedom
    ci_low: float        # (1 - alpha) Welch confidence interval of diff (not adjusted for multiplicity)
    ci_high: float
    p: float             # two-sided Welch t-test of diff = 0
    p_equiv: float       # TOST: the larger of the one-sided Welch p-values against -margin and +margin
    p_noninf: float      # one-sided Welch test of diff <= -margin
    detectable: float    # smallest difference detectable at POWER (detectable_difference)
    margin: float
    alpha: float
    family_size: int = 1
    p_adj: float = math.nan
    p_equiv_adj: float = math.nan
    p_noninf_adj: float = math.nan
    verdict: str = "undecided"

    @property
    def verdict_text(self) -> str:
        """The verdict in words, e.g. ``'equivalent within ±0.5 points'``."""
        within = f", but by less than {self.margin:g} points (equivalent too)" if self.p_equiv_adj < self.alpha else ""
        return {"better": "better" + within, "worse": "worse" + within,
                "equivalent": f"equivalent within ±{self.margin:g} points",
                "non-inferior": f"non-inferior (not {self.margin:g} points or more worse)",
                "undecided": f"undecided (smallest difference detectable at {POWER:.0%} power: "
                             f"{self.detectable:.2f} points)"}[self.verdict]


def _decide(c: Comparison) -> Comparison:
    if c.p_adj < c.alpha:
        verdict = "better" if c.diff > 0 else "worse"
    elif c.p_equiv_adj < c.alpha:
        verdict = "equivalent"
    elif c.p_noninf_adj < c.alpha:
        verdict = "non-inferior"
    else:
        verdict = "undecided"
    return replace(c, verdict=verdict)


def compare(a, b, *, name_a: str = "a", name_b: str = "b", margin: float = EQUIVALENCE_MARGIN,
            alpha: float = ALPHA) -> Comparison:
    """Welch t-test, confidence interval, TOST equivalence and non-inferiority of accuracies ``a`` against ``b``.

    ``a`` and ``b`` are per-seed test accuracies in percentage points (:func:`points` converts fractions), at least
    2 per arm, not all equal in both. The verdict, tried in this order on the (Holm-adjusted, see
    :func:`compare_family`) p-values, with ``d = mean(a) - mean(b)`` and ``m = margin``:

    1. ``"better"`` / ``"worse"``: two-sided Welch test of ``d = 0`` has p < alpha, and d > 0 / d < 0 (when the
       TOST p is below alpha too, :attr:`Comparison.verdict_text` adds that the difference is within the margin);
    2. ``"equivalent"``: TOST p < alpha, i.e. both one-sided Welch tests (``d <= -m`` and ``d >= +m``) reject
       at alpha (the (1 - 2 alpha) interval lies inside ``(-m, +m)``);
    3. ``"non-inferior"``: the one-sided Welch test of ``d <= -m`` rejects at alpha (the lower TOST half, so an
       equivalent comparison is also non-inferior);
    4. ``"undecided"``, quoting :func:`detectable_difference`.

    >>> c = compare([90.1, 90.3, 89.9, 90.2, 90.0], [89.2, 89.4, 89.1, 89.5, 89.3], name_a="q", name_b="c")
    >>> round(c.diff, 2), round(c.ci_low, 2), round(c.ci_high, 2), c.p < 0.001, c.verdict
    (0.8, 0.57, 1.03, True, 'better')
    >>> compare([89.5, 90.3, 89.9], [90.4, 89.6, 90.0]).verdict_text
    'undecided (smallest difference detectable at 80% power: 1.23 points)'
    """
    a, b = _arm(a, str(name_a)), _arm(b, str(name_b))
    margin, alpha, _ = _settings(margin, alpha)
    if np.ptp(a) == 0 and np.ptp(b) == 0:
        raise ValueError(f"a and b must vary over seeds; got every value of a equal to {a[0]:g} and every value of "
                         f"b equal to {b[0]:g}. No test applies: check that the seeds really differ (are the runs "
                         "duplicates?).")
    with warnings.catch_warnings():  # an arm without spread is fine for Welch; scipy warns about its moments
        warnings.filterwarnings("ignore", "Precision loss occurred", RuntimeWarning)
        welch = stats.ttest_ind(a, b, equal_var=False)
        # TOST by shifting one arm by the margin: H0 d <= -m (alternative d > -m), H0 d >= +m (alternative d < +m)
        p_low = float(stats.ttest_ind(a + margin, b, equal_var=False, alternative="greater").pvalue)
        p_high = float(stats.ttest_ind(a - margin, b, equal_var=False, alternative="less").pvalue)
    ci = welch.confidence_interval(confidence_level=1 - alpha)
    se, df = _welch_df(a, b)
    p, p_equiv = float(welch.pvalue), max(p_low, p_high)
    return _decide(Comparison(
        name_a=str(name_a), name_b=str(name_b), n_a=a.size, n_b=b.size, mean_a=float(a.mean()),
        mean_b=float(b.mean()), diff=float(a.mean() - b.mean()), se=se, df=float(df), ci_low=float(ci.low),
        ci_high=float(ci.high), p=p, p_equiv=p_equiv, p_noninf=p_low,
        detectable=detectable_difference(se, df, alpha=alpha), margin=margin, alpha=alpha,
        p_adj=p, p_equiv_adj=p_equiv, p_noninf_adj=p_low))


def holm(pvalues) -> np.ndarray:
    """Holm's step-down adjustment of a family of p-values (reject those with adjusted p < alpha).

    Sorted ascending, the i-th smallest p (i = 1..k) becomes ``min(1, max over j <= i of (k - j + 1) p_(j))``;
    results are in the input order. Controls the family-wise error rate at alpha under any dependence.

    >>> holm([0.01, 0.04, 0.03, 0.005]).round(4).tolist()
    [0.03, 0.06, 0.06, 0.02]
    """
    p = np.asarray(pvalues, dtype=float)
    if p.ndim != 1 or p.size == 0 or not np.all((p >= 0) & (p <= 1)):
        raise ValueError(f"pvalues must be a non-empty list of p-values in [0, 1]; got {pvalues!r}.")
    order = np.argsort(p, kind="stable")
    k = p.size
    adjusted = np.empty(k)
    adjusted[order] = np.minimum(1.0, np.maximum.accumulate((k - np.arange(k)) * p[order]))
    return adjusted


def compare_family(pairs, accuracies, *, margin: float = EQUIVALENCE_MARGIN, alpha: float = ALPHA) -> list:
    """:func:`compare` for every ``(name_a, name_b)`` in ``pairs``, with Holm-adjusted p-values and verdicts.

    ``accuracies`` maps model names to per-seed accuracies in points. Each kind of p-value (two-sided Welch,
    TOST, non-inferiority) is Holm-adjusted within its own family of ``len(pairs)`` comparisons; the verdicts
    follow :func:`compare` on the adjusted values.

    >>> accs = {"q": [90.1, 90.3, 89.9, 90.2, 90.0], "c": [89.2, 89.4, 89.1, 89.5, 89.3],
    ...         "m": [90.0, 90.2, 90.1, 89.9, 90.3]}
    >>> [(c.name_b, c.verdict, round(c.p_adj / c.p, 1)) for c in compare_family([("q", "c"), ("q", "m")], accs)]
    [('c', 'better', 2.0), ('m', 'equivalent', 1.0)]
    """
    pairs = [tuple(pair) for pair in pairs]
    if not pairs or any(len(pair) != 2 for pair in pairs) or len(set(pairs)) != len(pairs):
        raise ValueError(f"pairs must be a non-empty list of distinct (name_a, name_b) pairs; got {pairs!r}.")
    missing = sorted({n for pair in pairs for n in pair if n not in accuracies})
    if missing:
        raise ValueError(f"accuracies must hold every model named in pairs; got none for {missing}. Pass "
                         "{name: per-seed accuracies in points} for each of them.")
    raw = [compare(accuracies[a], accuracies[b], name_a=a, name_b=b, margin=margin, alpha=alpha) for a, b in pairs]
    adjusted = {key: holm([getattr(c, key) for c in raw]) for key in ("p", "p_equiv", "p_noninf")}
    return [_decide(replace(c, family_size=len(raw), p_adj=float(adjusted["p"][i]),
                            p_equiv_adj=float(adjusted["p_equiv"][i]), p_noninf_adj=float(adjusted["p_noninf"][i])))
            for i, c in enumerate(raw)]


@dataclass(frozen=True)
class Trend:
    """Accuracy against depth ``L``, in percentage points; see :func:`trend`.

    >>> t = trend([1, 2], [[89.0, 89.4], [89.1, 89.3]])
    >>> isinstance(t, Trend), t.depths, t.n, t.pattern, t.verdict_text
    (True, (1, 2), (2, 2), 'L1 89.20 = L2 89.20', 'undecided (neither a slope nor flatness within ±0.5 points shown)')
    """

    label: str
    depths: tuple
    means: tuple         # mean accuracy per depth
    n: tuple             # seeds per depth
    slope: float         # OLS slope of accuracy on log2(L): points per doubling of L
    ci_low: float        # (1 - alpha) t interval of the slope
    ci_high: float
    p: float             # two-sided t-test of slope = 0
    rho: float           # Spearman rank correlation of accuracy with L, over every seed
    p_rank: float        # its two-sided p-value
    change: float        # slope * log2(L_max / L_min): the fitted change from the shallowest to the deepest L
    p_flat: float        # TOST of change against -margin and +margin
    margin: float
    alpha: float
    pattern: str         # the means in order, e.g. "L1 89.40 < L2 89.91 > L4 89.62"
    monotonic: str       # "increasing", "decreasing" or "not monotonic" (of the means, as printed)
    verdict: str         # "increasing", "decreasing", "flat" or "undecided"

    @property
    def verdict_text(self) -> str:
        """The verdict in words, e.g. ``'flat within ±0.5 points from L1 to L4'``."""
        span = f"{self.label}{self.depths[0]} to {self.label}{self.depths[-1]}"
        return {"increasing": "accuracy increases with depth", "decreasing": "accuracy decreases with depth",
                "flat": f"flat within ±{self.margin:g} points from {span}",
                "undecided": f"undecided (neither a slope nor flatness within ±{self.margin:g} points shown)"
                }[self.verdict]


def trend(depths, accuracies_by_depth, *, label: str = "L", margin: float = EQUIVALENCE_MARGIN,
          alpha: float = ALPHA) -> Trend:
    """The depth claim as one trend test over every seed of every depth, not as pairwise comparisons.

    Fits accuracy = a + slope * log2(L) by least squares over all seeds (``scipy.stats.linregress``; t interval and
    p on n - 2 degrees of freedom) and checks it with Spearman's rank correlation of accuracy with L
    (``scipy.stats.spearmanr``, ties averaged). The verdict: ``"increasing"`` / ``"decreasing"`` when the slope's
    p < alpha; else ``"flat"`` when the fitted change from the shallowest to the deepest L is within ``±margin``
    by TOST at alpha; else ``"undecided"``. :attr:`Trend.monotonic` says plainly whether the means rise, fall or
    neither (a peak in the middle is no trend of either sign).

    >>> t = trend([1, 2, 4], [[89.0, 89.2, 89.1], [89.5, 89.6, 89.4], [90.0, 90.1, 89.9]])
    >>> round(t.slope, 2), t.p < 0.001, t.monotonic, t.verdict, t.pattern
    (0.45, True, 'increasing', 'increasing', 'L1 89.10 < L2 89.50 < L4 90.00')
    """
    margin, alpha, _ = _settings(margin, alpha)
    depths = [_checks.positive_int(d, "depth") for d in depths]
    groups = [_arm(values, f"accuracies at depth {d}") for d, values in zip(depths, accuracies_by_depth)]
    if len(depths) < 2 or len(set(depths)) != len(depths) or len(groups) != len(depths):
        raise ValueError(f"depths must be at least 2 distinct depths with one list of accuracies each; got depths "
                         f"{depths} and {len(list(accuracies_by_depth))} lists.")
    order = np.argsort(depths)
    depths, groups = [depths[i] for i in order], [groups[i] for i in order]
    x = np.concatenate([np.full(g.size, math.log2(d)) for d, g in zip(depths, groups)])
    y = np.concatenate(groups)
    fit = stats.linregress(x, y)
    dof = y.size - 2
    half = stats.t.ppf(1 - alpha / 2, dof) * fit.stderr
    span = math.log2(depths[-1] / depths[0])
    change, change_se = fit.slope * span, fit.stderr * span
    p_flat = max(stats.t.sf((change + margin) / change_se, dof), stats.t.cdf((change - margin) / change_se, dof))
    rank = stats.spearmanr(np.concatenate([np.full(g.size, d) for d, g in zip(depths, groups)]), y)
    means = [round(float(g.mean()), 2) for g in groups]
    steps = [">" if b < a else "<" if b > a else "=" for a, b in zip(means, means[1:])]
    pattern = f"{label}{depths[0]} {means[0]:.2f}" + "".join(
        f" {s} {label}{d} {m:.2f}" for s, d, m in zip(steps, depths[1:], means[1:]))
    monotonic = ("increasing" if set(steps) == {"<"} else "decreasing" if set(steps) == {">"} else "not monotonic")
    if fit.pvalue < alpha:
        verdict = "increasing" if fit.slope > 0 else "decreasing"
    else:
        verdict = "flat" if p_flat < alpha else "undecided"
    return Trend(label=label, depths=tuple(depths), means=tuple(float(g.mean()) for g in groups),
                 n=tuple(g.size for g in groups), slope=float(fit.slope), ci_low=float(fit.slope - half),
                 ci_high=float(fit.slope + half), p=float(fit.pvalue), rho=float(rank.statistic),
                 p_rank=float(rank.pvalue), change=float(change), p_flat=float(p_flat), margin=margin, alpha=alpha,
                 pattern=pattern, monotonic=monotonic, verdict=verdict)
