"""The statistics of :mod:`qpcnn_edu.lab.stats` in words: one sentence per verdict, one table per family.

:func:`verdict_sentence` is the one place where a comparison or a depth trend becomes English; the summaries and
chapters 6, 8 and 9 call it, so every verdict in the project is phrased from the same numbers in the same way.
:func:`comparison_table` renders a family of comparisons as Markdown whose header names the tests.
"""

from __future__ import annotations

from .stats import POWER, Comparison, Trend

__all__ = ["format_p", "verdict_sentence", "comparison_table"]


def format_p(p: float) -> str:
    """A p-value as printed in sentences and tables: three decimals, ``< 0.001`` below that.

    >>> format_p(0.1234), format_p(0.00004)
    ('0.123', '< 0.001')
    """
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def _eq(p: float) -> str:
    """``'= 0.123'`` or ``'< 0.001'``."""
    text = format_p(p)
    return text if text.startswith("<") else f"= {text}"


def _holm(raw: float, adjusted: float, k: int) -> str:
    return f"p {_eq(raw)}" + (f", Holm-adjusted over {k} comparisons {format_p(adjusted)}" if k > 1 else "")


def _comparison_sentence(c: Comparison, name_a: str, name_b: str) -> str:
    level = f"{1 - c.alpha:.0%}"
    head = (f"{name_a} vs {name_b} ({c.n_a} and {c.n_b} seeds): {c.diff:+.2f} points ({level} CI {c.ci_low:+.2f} "
            f"to {c.ci_high:+.2f}; Welch {_holm(c.p, c.p_adj, c.family_size)})")
    m = f"{c.margin:g}"
    within = (f", but by less than {m} points (TOST {_holm(c.p_equiv, c.p_equiv_adj, c.family_size)})"
              if c.p_equiv_adj < c.alpha else "")
    tail = {
        "better": f"{name_a} is better{within}",
        "worse": f"{name_a} is worse{within}",
        "equivalent": f"equivalent within ±{m} points (TOST {_holm(c.p_equiv, c.p_equiv_adj, c.family_size)})",
        "non-inferior": (f"{name_a} is non-inferior, not {m} points or more worse (one-sided Welch "
                         f"{_holm(c.p_noninf, c.p_noninf_adj, c.family_size)}); equivalence within ±{m} points is "
                         "not shown"),
        "undecided": (f"undecided: with these seeds, the smallest difference a Welch test at {c.alpha:.0%} detects "
                      f"with {POWER:.0%} power is {c.detectable:.2f} points"),
    }[c.verdict]
    return f"{head}: {tail}."


def _trend_sentence(t: Trend, name: str) -> str:
    seeds = f"{t.n[0]} seeds each" if len(set(t.n)) == 1 else "seeds " + "/".join(map(str, t.n))
    depths = ", ".join(map(str, t.depths))
    span = f"{t.label}{t.depths[0]} to {t.label}{t.depths[-1]}"
    flat = "" if t.verdict in ("increasing", "decreasing") else (
        f"; fitted change {span} {t.change:+.2f} points, TOST p {_eq(t.p_flat)}")
    return (f"{name} over depth ({t.label} = {depths}; {seeds}): means {t.pattern} ({t.monotonic}); "
            f"{t.slope:+.2f} points per doubling of {t.label} ({1 - t.alpha:.0%} CI {t.ci_low:+.2f} to "
            f"{t.ci_high:+.2f}; least squares on log2 {t.label}, p {_eq(t.p)}; Spearman rho {t.rho:+.2f}, "
            f"p {_eq(t.p_rank)}): {t.verdict_text}{flat}.")


def verdict_sentence(result, name_a: str | None = None, name_b: str | None = None) -> str:
    """One English sentence with the numbers and the verdict of a :class:`Comparison` or a :class:`Trend`.

    Args:
        result: from :func:`~qpcnn_edu.lab.stats.compare`, :func:`~qpcnn_edu.lab.stats.compare_family` or
            :func:`~qpcnn_edu.lab.stats.trend`.
        name_a, name_b: the names to print (default: those stored in the comparison); for a trend, ``name_a``
            names the model family (default ``"accuracy"``).

    >>> from qpcnn_edu.lab.stats import compare, trend
    >>> print(verdict_sentence(compare([89.9, 90.0, 90.1, 89.95, 90.05], [89.8, 90.1, 90.0, 89.9, 90.05]),
    ...                        "qpcnn-L2", "classical"))  # doctest: +NORMALIZE_WHITESPACE
    qpcnn-L2 vs classical (5 and 5 seeds): +0.03 points (95% CI -0.12 to +0.18; Welch p = 0.656): equivalent within ±0.5 points
    (TOST p < 0.001).
    >>> print(verdict_sentence(trend([1, 2, 4], [[89.0, 89.6, 89.3], [89.9, 89.8, 90.0], [89.5, 89.7, 89.6]]),
    ...                        "qpcnn"))  # doctest: +NORMALIZE_WHITESPACE
    qpcnn over depth (L = 1, 2, 4; 3 seeds each): means L1 89.30 < L2 89.90 > L4 89.60 (not monotonic); +0.15 points
    per doubling of L (95% CI -0.14 to +0.44; least squares on log2 L, p = 0.259; Spearman rho +0.32, p = 0.405):
    undecided (neither a slope nor flatness within ±0.5 points shown); fitted change L1 to L4 +0.30 points,
    TOST p = 0.220.
    """
    if isinstance(result, Comparison):
        return _comparison_sentence(result, name_a or result.name_a, name_b or result.name_b)
    if isinstance(result, Trend):
        return _trend_sentence(result, name_a or "accuracy")
    raise TypeError(f"result must be a Comparison or a Trend; got {type(result).__name__}. Make it with "
                    "compare(...), compare_family(...) or trend(...) from qpcnn_edu.lab.stats.")


def comparison_table(comparisons) -> str:
    """A family of comparisons as a Markdown table whose header names the tests, the margin and the family size.

    >>> from qpcnn_edu.lab.stats import compare_family
    >>> accs = {"q": [90.1, 90.3, 89.9, 90.2, 90.0], "c": [89.2, 89.4, 89.1, 89.5, 89.3]}
    >>> print(comparison_table(compare_family([("q", "c")], accs)))  # doctest: +NORMALIZE_WHITESPACE
    | A | B | A - B (points) | 95% CI (Welch) | p (Welch t, two-sided) | p (Holm, 1 comparison) |
    p equivalent (TOST ±0.5, Holm) | p non-inferior (one-sided Welch, -0.5, Holm) | verdict |
    |---|---|---:|---|---:|---:|---:|---:|---|
    | q | c | +0.80 | +0.57 to +1.03 | < 0.001 | < 0.001 | 0.991 | < 0.001 | better |
    """
    comparisons = list(comparisons)
    if not comparisons or not all(isinstance(c, Comparison) for c in comparisons):
        raise ValueError(f"comparisons must be a non-empty list of Comparison; got {comparisons!r}. Make them with "
                         "compare_family(...).")
    settings = {(c.margin, c.alpha, c.family_size) for c in comparisons}
    if len(settings) != 1:
        raise ValueError(f"comparisons must share one margin, alpha and family size; got {sorted(settings)}. "
                         "Make them with one compare_family(...) call.")
    margin, alpha, k = settings.pop()
    family = f"{k} comparison{'s' if k > 1 else ''}"
    lines = [f"| A | B | A - B (points) | {1 - alpha:.0%} CI (Welch) | p (Welch t, two-sided) | p (Holm, {family}) "
             f"| p equivalent (TOST ±{margin:g}, Holm) | p non-inferior (one-sided Welch, -{margin:g}, Holm) "
             "| verdict |",
             "|---|---|---:|---|---:|---:|---:|---:|---|"]
    for c in comparisons:
        lines.append(f"| {c.name_a} | {c.name_b} | {c.diff:+.2f} | {c.ci_low:+.2f} to {c.ci_high:+.2f} "
                     f"| {format_p(c.p)} | {format_p(c.p_adj)} | {format_p(c.p_equiv_adj)} "
                     f"| {format_p(c.p_noninf_adj)} | {c.verdict_text} |")
    return "\n".join(lines)
