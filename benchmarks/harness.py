"""The timing harness of the layer benchmark: one policy for every contender, interleaved, with honest statistics.

Nothing here knows about quantum layers; :mod:`contenders` builds the callables and :mod:`bench_layer` plans the
runs. The method (issue 14):

* **Check before timing.** :func:`check_matches` compares every contender's outputs and weight gradients with a
  reference and raises :class:`MismatchError` before anything is timed.
* **Warm up, then calibrate.** Every contender runs ``warmup`` calls (at least 3), interleaved. From the fastest
  warm-up call after the first, each contender gets ``number`` calls per *sample* so that one sample lasts about
  ``sample_time`` seconds (``number`` is 1 for calls longer than that). A sample's value is its wall time divided by
  ``number``: seconds per call.
* **Interleave.** Rounds run the contenders round-robin (A B C A B C ...), one sample each, so a slow spell of the
  machine hits every contender alike, and every round gives each contender's time *and* its ratio to the reference
  contender measured seconds apart.
* **Repeat enough.** Rounds continue until every contender has at least ``min_repeats`` samples *and* at least
  ``min_time`` seconds of timed calls; ``max_time`` (seconds of wall time per group) caps a group once
  ``min_repeats`` is reached, and the result says when the cap cut ``min_time`` short.
* **Summarize robustly.** Median and interquartile range (``numpy.percentile`` 25/50/75) of the samples; ratios
  per round, summarized the same way.
* **Separate fixed from per-pixel cost.** :func:`fit_fixed_per_pixel` fits ``time = fixed + per_pixel * pixels``
  by least squares on relative residuals (each point weighted by ``1 / time``), so the 1-pixel and the
  12544-pixel points count alike.

Device work is asynchronous: pass ``sync`` (e.g. ``torch.cuda.synchronize``); it is called before every clock read.
The clock is injectable (``clock``) so the tests can drive the harness with fake time.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

__all__ = ["Policy", "Contender", "MismatchError", "quartiles", "ratio_stats", "run_interleaved",
           "fit_fixed_per_pixel", "check_matches"]


@dataclass(frozen=True)
class Policy:
    """The warm-up and repeat policy, the same for every contender of a run."""

    warmup: int = 3
    min_repeats: int = 20
    min_time: float = 1.0
    sample_time: float = 0.05
    max_time: float = 60.0

    def __post_init__(self):
        checks = [("warmup", self.warmup, 1, "at least 1 (the issue asks for 3)"),
                  ("min_repeats", self.min_repeats, 2, "at least 2 (quartiles need several samples)")]
        for name, value, low, what in checks:
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ValueError(f"{name} must be an integer {what}; got {value!r}. Pass a larger integer.")
        for name in ("min_time", "sample_time", "max_time"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
                raise ValueError(f"{name} must be a finite number of seconds >= 0; got {value!r}. Pass e.g. 1.0.")

    def as_dict(self) -> dict:
        return {"warmup": self.warmup, "min_repeats": self.min_repeats, "min_time_s": self.min_time,
                "sample_time_s": self.sample_time, "max_time_s": self.max_time}


@dataclass
class Contender:
    """One way of computing the layer: ``step()`` is one timed call (forward and backward).

    ``outputs()`` returns ``(outputs, weight_gradient)`` for the equality check (``None`` for a contender that
    computes another function, such as the 1x1 convolution); ``pixels`` is the number of pixels one call processes.
    """

    name: str
    label: str
    step: Callable[[], object]
    outputs: Callable[[], tuple] | None = None
    pixels: int = 0
    info: dict = field(default_factory=dict)


class MismatchError(RuntimeError):
    """A contender's outputs differ from the reference's: the run refuses to time anything."""


def quartiles(values) -> dict:
    """Median, quartiles and IQR of ``values`` (``numpy.percentile``, linear interpolation).

    >>> quartiles([1.0, 2.0, 3.0, 4.0, 5.0])
    {'median': 3.0, 'q25': 2.0, 'q75': 4.0, 'iqr': 2.0, 'n': 5}
    """
    values = np.asarray(values, dtype=float)
    if values.size == 0:
        raise ValueError("values must not be empty; got 0 samples. Time at least one repeat.")
    q25, median, q75 = (float(q) for q in np.percentile(values, [25, 50, 75]))
    return {"median": median, "q25": q25, "q75": q75, "iqr": q75 - q25, "n": int(values.size)}


def ratio_stats(numerator, denominator) -> dict:
    """Quartiles of the per-round ratios ``numerator[i] / denominator[i]`` (samples of the same rounds).

    >>> ratio_stats([2.0, 4.0, 6.0], [1.0, 1.0, 2.0])["median"]
    3.0
    """
    a, b = np.asarray(numerator, dtype=float), np.asarray(denominator, dtype=float)
    if a.shape != b.shape:
        raise ValueError(f"numerator and denominator must be samples of the same rounds; got {a.size} and {b.size} "
                         "samples. Take both from one run_interleaved result.")
    return quartiles(a / b)


def _calibrate(warm: Sequence[float], sample_time: float) -> int:
    """Calls per sample: enough that one sample lasts about ``sample_time`` (the first warm-up call is cold)."""
    typical = min(warm[1:]) if len(warm) > 1 else warm[0]
    if typical <= 0:
        return 1
    return max(1, int(math.ceil(sample_time / typical)))


def run_interleaved(contenders: Sequence[Contender], policy: Policy = Policy(), clock: Callable[[], float] =
                    time.perf_counter, sync: Callable[[], None] | None = None, log: Callable[[str], None] | None =
                    None) -> dict:
    """Time ``contenders`` round-robin under ``policy``; return per-contender samples and statistics.

    Returns ``{"rounds": R, "capped": bool, "wall_s": ..., "contenders": {name: {...}}}`` where each contender has
    ``samples`` (seconds per call, one per round), ``number`` (calls per sample), ``warmup`` (seconds of each warm-up
    call), ``timed_s`` (seconds of timed calls) and the :func:`quartiles` of its samples under ``stats``.
    """
    contenders = list(contenders)
    names = [c.name for c in contenders]
    if not contenders or len(set(names)) != len(names):
        raise ValueError(f"contenders must be a non-empty list with distinct names; got {names}. "
                         "Give each contender its own name.")
    sync = sync or (lambda: None)

    def timed(c: Contender, number: int) -> float:
        sync()
        t0 = clock()
        for _ in range(number):
            c.step()
        sync()
        return (clock() - t0) / number

    start = clock()
    warm = {n: [] for n in names}
    for _ in range(policy.warmup):
        for c in contenders:
            warm[c.name].append(timed(c, 1))
    number = {n: _calibrate(warm[n], policy.sample_time) for n in names}
    samples = {n: [] for n in names}
    timed_s = {n: 0.0 for n in names}
    group_start = clock()
    capped = False
    while True:
        for c in contenders:
            per_call = timed(c, number[c.name])
            samples[c.name].append(per_call)
            timed_s[c.name] += per_call * number[c.name]
        rounds = len(samples[names[0]])
        if rounds < policy.min_repeats:
            continue
        if all(timed_s[n] >= policy.min_time for n in names):
            break
        if clock() - group_start >= policy.max_time:
            capped = True
            break
    wall = clock() - start
    if log:
        log(f"    {rounds} rounds in {wall:.1f} s" + (" (capped by max_time)" if capped else ""))
    return {"rounds": rounds, "capped": capped, "wall_s": wall,
            "contenders": {n: {"samples": samples[n], "number": number[n], "warmup": warm[n],
                               "timed_s": timed_s[n], "stats": quartiles(samples[n])} for n in names}}


def fit_fixed_per_pixel(pixels, seconds) -> dict:
    """Least-squares fit of ``seconds = fixed + per_pixel * pixels`` on relative residuals.

    Each point is weighted by ``1 / seconds``, so a point at 1 pixel and one at 12544 pixels count alike (plain
    least squares would let the largest batch decide the intercept alone). Returns ``fixed_s``, ``per_pixel_s``
    and the largest relative residual ``max_rel_residual``; needs at least two distinct pixel counts.

    >>> fit = fit_fixed_per_pixel([1, 10, 100], [1.1e-3, 2.0e-3, 1.1e-2])
    >>> round(fit["fixed_s"] * 1e3, 6), round(fit["per_pixel_s"] * 1e6, 6)
    (1.0, 100.0)
    """
    n = np.asarray(pixels, dtype=float)
    t = np.asarray(seconds, dtype=float)
    if n.shape != t.shape or np.unique(n).size < 2:
        raise ValueError(f"pixels and seconds must pair up over at least two distinct pixel counts; got pixels="
                         f"{n.tolist()} and {t.size} times. Time more batch sizes.")
    if not np.all(np.isfinite(t)) or np.any(t <= 0):
        raise ValueError(f"seconds must be positive and finite; got {t.tolist()}. Check the timings.")
    design = np.stack([np.ones_like(n), n], axis=1) / t[:, None]
    (fixed, per_pixel), *_ = np.linalg.lstsq(design, np.ones_like(t), rcond=None)
    model = fixed + per_pixel * n
    return {"fixed_s": float(fixed), "per_pixel_s": float(per_pixel),
            "max_rel_residual": float(np.max(np.abs(model - t) / t)), "pixels": n.astype(int).tolist()}


def _max_abs(a, b) -> float:
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        return math.inf
    return float(np.max(np.abs(a - b))) if a.size else 0.0


def check_matches(reference: Contender, others: Sequence[Contender], atol: float, grad_rtol: float) -> dict:
    """Check that every contender computes the reference's outputs and weight gradients; raise if one does not.

    Outputs must agree to ``atol`` (absolute; they lie in [-1, 1]); weight gradients, sums over all pixels, to
    ``grad_rtol`` relative to the reference gradient's largest entry. Returns ``{name: {"max_abs_out": ...,
    "max_rel_grad": ...}}``. Raises :class:`MismatchError` naming the contender and the difference.
    """
    ref_out, ref_grad = (np.asarray(v, dtype=np.float64) for v in reference.outputs())
    scale = max(float(np.max(np.abs(ref_grad))) if ref_grad.size else 0.0, 1e-300)
    report = {}
    for c in others:
        out, grad = c.outputs()
        d_out = _max_abs(out, ref_out)
        d_grad = _max_abs(grad, ref_grad) / scale
        report[c.name] = {"max_abs_out": d_out, "max_rel_grad": d_grad, "against": reference.name}
        if not (d_out <= atol and d_grad <= grad_rtol):
            raise MismatchError(
                f"{c.name} must compute {reference.name}'s outputs to {atol:g} and weight gradients to {grad_rtol:g} "
                f"(relative); got max |out diff| = {d_out:.3g}, max relative gradient diff = {d_grad:.3g}. Nothing "
                f"was timed: fix the contender's circuit (wires, ranges, weights, encoding) before benchmarking it.")
    return report
