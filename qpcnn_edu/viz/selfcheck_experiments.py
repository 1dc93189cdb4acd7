"""Checks of the readers' code in chapters 6-9: the networks' parameters, the statistics, shots and hardware cost.

Each ``check_*`` runs the reader's function on a few cases against the package's own answer (the models and
:func:`~qpcnn_edu.count_parameters`, :func:`qpcnn_edu.lab.stats.compare`, the layer's shot sampler,
:func:`~qpcnn_edu.training_cost`) and returns a :class:`~qpcnn_edu.viz.selfcheck.CheckResult`, exactly as the
checks of chapters 1-5 in :mod:`qpcnn_edu.viz.selfcheck` do: "✓ Correct: ..." or the first wrong case with the
expected and the actual value; a skeleton that still raises ``NotImplementedError`` gives "Not done yet". None of
them trains anything: each runs in well under a second.

>>> def my_shot_std(expval, shots):
...     return (1 - expval**2) / shots  # forgot the square root
>>> check_shot_std(my_shot_std)
✗ Not yet: for <Z> = 0 and S = 100 shots: expected 0.1; got 0.01.
"""

from __future__ import annotations

import math
import warnings
from typing import Callable

import torch

from ..lab.stats import compare
from ..nn.models import QPCNN, ClassicalCNN, count_parameters
from ..quantum.cost import training_cost
from ..quantum.encoding import n_qubits_for
from ..quantum.noise import sample_outputs
from .selfcheck import CheckResult, Wrong, expect_close, reader_name, run_check

__all__ = ["check_param_difference", "check_qpcnn_parameters", "check_welch_interval", "check_shot_std",
           "check_training_circuits"]


def _show(value: float) -> str:
    """A count as ``10,388``, any other number to 6 significant digits."""
    return f"{int(value):,}" if float(value).is_integer() else f"{value:.6g}"


def _expect_number(got, expected: float, case: str, rel: float = 0.0, atol: float = 0.0):
    """Raise :class:`Wrong` naming ``case`` unless ``got`` is one number equal to ``expected`` (within tolerances)."""
    try:
        value = float(got.item() if hasattr(got, "item") else got)
    except (TypeError, ValueError, RuntimeError) as error:
        raise Wrong(f"{case}: expected one number, {_show(expected)}; got {type(got).__name__} ({error}).")
    if not math.isclose(value, expected, rel_tol=rel, abs_tol=atol):
        raise Wrong(f"{case}: expected {_show(expected)}; got {_show(value)}.")


def check_param_difference(param_difference: Callable) -> CheckResult:
    """Check ``param_difference(C, L)`` -> parameters of the classical twin minus those of the QPCNN.

    The QPCNN is ``QPCNN(stem_channels=C, n_layers=L)``, its twin ``ClassicalCNN.twin_of`` of it; both are counted
    with :func:`~qpcnn_edu.count_parameters`. The answer that only holds for the default stem is caught:

    >>> check_param_difference(lambda C, L: 27 - 9 * L)
    ✗ Not yet: for C = 16 (4 qubits), L = 2: expected 44; got 9.
    >>> check_param_difference(lambda C, L: (C + 1 - 3 * L) * n_qubits_for(C)).passed
    True
    """
    def body():
        for C, L in [(8, 2), (8, 1), (8, 3), (8, 4), (8, 8), (16, 2), (5, 2), (32, 1)]:
            qpcnn = QPCNN(stem_channels=C, n_layers=L)
            expected = count_parameters(ClassicalCNN.twin_of(qpcnn)) - count_parameters(qpcnn)
            _expect_number(param_difference(C, L), expected, f"for C = {C} ({n_qubits_for(C)} qubits), L = {L}")
    return run_check(reader_name(param_difference, "param_difference"),
                     "twin minus QPCNN agrees with count_parameters for C = 5, 8, 16, 32 stem channels and "
                     "L = 1 to 8 layers.", body)


def check_qpcnn_parameters(qpcnn_parameters: Callable) -> CheckResult:
    """Check ``qpcnn_parameters(in_channels, image_size, body_channels)`` -> the parameters of that QPCNN.

    The network is ``QPCNN(in_channels=..., image_size=..., body_channels=...)`` (8 stem channels, 2 layers, 10
    classes), counted with :func:`~qpcnn_edu.count_parameters`. A head that keeps FashionMNIST's 7 x 7 maps is caught:

    >>> check_qpcnn_parameters(lambda c, s, b: 72 * c + 8 + 18 + 28 * b + 490 * b + 10)
    ✗ Not yet: for 3 channels, 32 x 32 images, body_channels = 16: expected 10,940; got 8,540.
    >>> check_qpcnn_parameters(lambda c, s, b: 72 * c + 8 + 18 + 28 * b + 10 * b * (s // 4) ** 2 + 10).passed
    True
    """
    def body():
        for c, s, b in [(1, 28, 16), (3, 32, 16), (3, 32, 32), (1, 32, 16), (3, 28, 16), (4, 64, 8)]:
            expected = count_parameters(QPCNN(in_channels=c, image_size=s, body_channels=b))
            _expect_number(qpcnn_parameters(c, s, b), expected,
                           f"for {c} channel{'s' if c > 1 else ''}, {s} x {s} images, body_channels = {b}")
    return run_check(reader_name(qpcnn_parameters, "qpcnn_parameters"),
                     "the counts of FashionMNIST's and CIFAR-10's QPCNNs and four other shapes agree with "
                     "count_parameters.", body)


_WELCH_CASES = [([90.1, 90.3, 89.9, 90.2, 90.0], [89.2, 89.4, 89.1, 89.5, 89.3]),
                ([89.5, 90.3, 89.9], [90.4, 89.6, 90.0]),
                ([88.9, 90.6, 89.4], [89.9, 90.0, 90.1, 89.95, 90.05, 89.9, 90.0, 90.1, 89.95, 90.05]),
                ([90.0, 90.0, 90.0], [89.1, 89.9, 89.4, 89.6])]


def check_welch_interval(welch_interval: Callable) -> CheckResult:
    """Check ``welch_interval(a, b)`` -> ``(difference, low, high)``: mean(a) - mean(b) and its 95% Welch interval.

    ``a`` and ``b`` are lists of per-seed accuracies in points; the answer is compared with
    :func:`qpcnn_edu.lab.stats.compare` (``diff``, ``ci_low``, ``ci_high``). A pooled-variance (Student) interval
    is right when both arms have the same size and spread, and caught when they do not:

    >>> import numpy as np
    >>> from scipy import stats
    >>> def pooled(a, b):
    ...     ci = stats.ttest_ind(a, b).confidence_interval(0.95)
    ...     return np.mean(a) - np.mean(b), ci.low, ci.high
    >>> check_welch_interval(pooled)  # doctest: +ELLIPSIS
    ✗ Not yet: for a = [88.9, 90.6, 89.4], b = [...]: expected [-0.3667, -2.53, 1.797] ...; got [-0.3667, -0.9152, ...
    >>> check_welch_interval(lambda a, b: (lambda ci: (np.mean(a) - np.mean(b), ci.low, ci.high))(
    ...     stats.ttest_ind(a, b, equal_var=False).confidence_interval(0.95))).passed
    True
    """
    def body():
        for a, b in _WELCH_CASES:
            c = compare(a, b)
            expected = torch.tensor([c.diff, c.ci_low, c.ci_high], dtype=torch.float64)
            with warnings.catch_warnings():  # scipy's t-test warns about the arm without spread; it is fine here
                warnings.filterwarnings("ignore", "Precision loss occurred", RuntimeWarning)
                got = welch_interval(list(a), list(b))
            if not isinstance(got, torch.Tensor):
                got = [float(v) for v in got]
            expect_close(got, expected, f"for a = {a}, b = {b}")
    return run_check(reader_name(welch_interval, "welch_interval"),
                     "the difference and its 95% Welch interval agree with qpcnn_edu.lab.stats.compare for equal "
                     "and unequal arms, and an arm without spread.", body)


def check_shot_std(shot_std: Callable) -> CheckResult:
    """Check ``shot_std(expval, shots)`` -> the standard deviation of an S-shot estimate of ``<Z>`` = ``expval``.

    Compared with the formula at six points, then with the spread of 20,000 estimates drawn by the layer's own
    sampler (:func:`qpcnn_edu.quantum.noise.sample_outputs`), which the message quotes. (The module's example is
    a wrong answer.)

    >>> check_shot_std(lambda expval, shots: math.sqrt((1 - expval**2) / shots))  # doctest: +ELLIPSIS
    ✓ Correct: sqrt((1 - <Z>²)/S) at six points, and the spread of 20,000 ...: 0.1349 measured, 0.1349 predicted.
    """
    estimates = sample_outputs(torch.full((1, 20_000), 0.3, dtype=torch.float64), "expval", 1, 50,
                               torch.Generator().manual_seed(13))
    measured = float(estimates.std())

    def body():
        for z, shots in [(0.0, 100), (0.6, 100), (1.0, 1000), (-0.8, 10), (0.3, 50), (-1.0, 5)]:
            _expect_number(shot_std(z, shots), math.sqrt((1 - z * z) / shots),
                           f"for <Z> = {z:g} and S = {shots} shots", rel=1e-6, atol=1e-12)
        _expect_number(shot_std(0.3, 50), measured, "for the spread of 20,000 simulated 50-shot estimates of "
                       "<Z> = 0.3", rel=0.03)
    return run_check(reader_name(shot_std, "shot_std"),
                     f"sqrt((1 - <Z>²)/S) at six points, and the spread of 20,000 simulated 50-shot estimates of "
                     f"<Z> = 0.3: {measured:.4f} measured, {math.sqrt(0.91 / 50):.4f} predicted.", body)


def check_training_circuits(training_circuits: Callable) -> CheckResult:
    """Check ``training_circuits(n_qubits, n_layers, in_channels, pixels)`` -> circuits per image and training step.

    One kernel; the weight gradient by the parameter-shift rule and the input gradient by central differences, as
    :func:`~qpcnn_edu.training_cost` counts them (``circuits_per_image_train_step``). Forgetting the input gradient,
    which training the stem before the layer needs, is caught:

    >>> check_training_circuits(lambda n, L, C, pixels: pixels * (1 + 2 * 3 * L * n))
    ✗ Not yet: for the default QPCNN on FashionMNIST (n = 3, L = 2, C = 8, 196 pixels): expected 10,388; got 7,252.
    >>> check_training_circuits(lambda n, L, C, pixels: pixels * (1 + 6 * L * n + 2 * C)).passed
    True
    """
    def body():
        for n, L, C, hw, what in [(3, 2, 8, (14, 14), "the default QPCNN on FashionMNIST"),
                                  (3, 2, 8, (16, 16), "the CIFAR-10 QPCNN"), (4, 2, 16, (14, 14), "the wide QPCNN"),
                                  (3, 4, 5, (7, 7), "a 4-layer circuit on 5 channels"),
                                  (5, 1, 32, (8, 8), "a 1-layer circuit on 32 channels"),
                                  (2, 3, 3, (32, 32), "a layer on RGB pixels")]:
            expected = training_cost(n, L, image_hw=hw, in_channels=C).circuits_per_image_train_step
            pixels = hw[0] * hw[1]
            _expect_number(training_circuits(n, L, C, pixels), expected,
                           f"for {what} (n = {n}, L = {L}, C = {C}, {pixels} pixels)")
    return run_check(reader_name(training_circuits, "training_circuits"),
                     "forward, parameter-shift and input-gradient circuits agree with training_cost for six "
                     "layers.", body)
