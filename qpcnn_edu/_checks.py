"""Argument checks shared by the whole package (private: import it only from inside ``qpcnn_edu``).

Every check returns the value (converted to a plain Python type where that helps) or raises a ``ValueError`` that
reads ``"<name> must be <constraint>; got <value>."`` followed by ``fix`` when one is given, before any work starts.
Booleans are refused wherever a number is wanted (``True`` is an ``int`` in Python, never a sensible count), and
numpy integers and floats are accepted like Python ones.

>>> positive_int(3, "n_layers")
3
>>> positive_int(0, "n_layers", "Use at least one layer.")
Traceback (most recent call last):
    ...
ValueError: n_layers must be a positive integer; got 0. Use at least one layer.
"""

from __future__ import annotations

import math
import numbers

__all__ = ["positive_int", "int_in_range", "non_negative_int", "integer", "boolean", "probability", "positive_number",
           "non_negative_number", "one_of"]


def _fail(name: str, constraint: str, value, fix: str = ""):
    raise ValueError(f"{name} must be {constraint}; got {value!r}." + (f" {fix}" if fix else ""))


def _is_int(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _is_real(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def integer(value, name: str, fix: str = "") -> int:
    """``value`` as an ``int``, if it is an integer (not a bool).

    >>> integer(-2, "seed")
    -2
    >>> integer("0", "seed")
    Traceback (most recent call last):
        ...
    ValueError: seed must be an integer; got '0'.
    """
    if not _is_int(value):
        _fail(name, "an integer", value, fix)
    return int(value)


def positive_int(value, name: str, fix: str = "", *, allow_none: bool = False) -> int | None:
    """``value`` as an ``int``, if it is an integer ``>= 1`` (not a bool); ``None`` too with ``allow_none=True``.

    >>> import numpy as np
    >>> positive_int(np.int64(4), "n_kernels")
    4
    >>> positive_int(True, "n_kernels")
    Traceback (most recent call last):
        ...
    ValueError: n_kernels must be a positive integer; got True.
    >>> positive_int(0, "shots", allow_none=True)
    Traceback (most recent call last):
        ...
    ValueError: shots must be a positive integer or None; got 0.
    """
    if allow_none and value is None:
        return None
    if not _is_int(value) or value < 1:
        _fail(name, "a positive integer" + (" or None" if allow_none else ""), value, fix)
    return int(value)


def int_in_range(value, name: str, low: int, high: int | None = None, fix: str = "") -> int:
    """``value`` as an ``int``, if it is an integer ``>= low`` (and ``<= high`` when given), not a bool.

    >>> int_in_range(3, "n_qubits", 2)
    3
    >>> int_in_range(2, "n_qubits", 3, fix="Leave n_qubits=None for the minimum.")
    Traceback (most recent call last):
        ...
    ValueError: n_qubits must be an integer >= 3; got 2. Leave n_qubits=None for the minimum.
    >>> int_in_range(9, "n_channels", 1, 8)
    Traceback (most recent call last):
        ...
    ValueError: n_channels must be an integer from 1 to 8; got 9.
    """
    if not _is_int(value) or value < low or (high is not None and value > high):
        _fail(name, f"an integer >= {low}" if high is None else f"an integer from {low} to {high}", value, fix)
    return int(value)


def non_negative_int(value, name: str, fix: str = "") -> int:
    """``value`` as an ``int``, if it is an integer ``>= 0`` (not a bool).

    >>> non_negative_int(0, "seed")
    0
    >>> non_negative_int(-1, "seed")
    Traceback (most recent call last):
        ...
    ValueError: seed must be a non-negative integer; got -1.
    """
    if not _is_int(value) or value < 0:
        _fail(name, "a non-negative integer", value, fix)
    return int(value)


def boolean(value, name: str, fix: str = "") -> bool:
    """``value``, if it is ``True`` or ``False`` (not ``0``/``1`` or another truthy value).

    >>> boolean(False, "expand")
    False
    >>> boolean(1, "expand")
    Traceback (most recent call last):
        ...
    ValueError: expand must be True or False; got 1.
    """
    if not isinstance(value, bool):
        _fail(name, "True or False", value, fix)
    return value


def probability(value, name: str, fix: str = "", *, include_one: bool = True) -> float:
    """``value`` as a ``float``, if it is a real number in ``[0, 1]`` (or ``[0, 1)`` with ``include_one=False``).

    >>> probability(0.25, "depolarizing")
    0.25
    >>> probability(1.5, "depolarizing")
    Traceback (most recent call last):
        ...
    ValueError: depolarizing must be a probability in [0, 1]; got 1.5.
    >>> probability(1.0, "dropout", include_one=False)
    Traceback (most recent call last):
        ...
    ValueError: dropout must be a probability in [0, 1); got 1.0.
    """
    ok = _is_real(value) and 0 <= value and (value <= 1 if include_one else value < 1)
    if not ok:
        _fail(name, f"a probability in [0, 1{']' if include_one else ')'}", value, fix)
    return float(value)


def positive_number(value, name: str, fix: str = "") -> float:
    """``value`` as a ``float``, if it is a finite real number ``> 0`` (not a bool).

    >>> positive_number(3e-4, "lr")
    0.0003
    >>> positive_number(float("nan"), "lr")
    Traceback (most recent call last):
        ...
    ValueError: lr must be a positive number; got nan.
    """
    if not _is_real(value) or not math.isfinite(value) or not value > 0:
        _fail(name, "a positive number", value, fix)
    return float(value)


def non_negative_number(value, name: str, fix: str = "", *, unit: str = "") -> float:
    """``value`` as a ``float``, if it is a finite real number ``>= 0``; ``unit`` names what it counts.

    >>> non_negative_number(0, "circuit_overhead_s", unit="seconds")
    0.0
    >>> non_negative_number(-1, "seconds", unit="seconds")
    Traceback (most recent call last):
        ...
    ValueError: seconds must be a finite number of seconds >= 0; got -1.
    """
    if not _is_real(value) or not math.isfinite(value) or value < 0:
        _fail(name, f"a finite number{f' of {unit}' if unit else ''} >= 0", value, fix)
    return float(value)


def one_of(value, name: str, choices, fix: str = ""):
    """``value``, if it is one of ``choices`` (shown as given: pass a tuple or a sorted list).

    A bool is not taken for ``1`` or ``0`` unless ``choices`` holds that very bool, and an unhashable value is
    refused with the same message when ``choices`` is a mapping or a set.

    >>> one_of("expval", "measurement", ("expval", "probs"))
    'expval'
    >>> one_of("sample", "measurement", ("expval", "probs"), "Read <Z> with 'expval'.")
    Traceback (most recent call last):
        ...
    ValueError: measurement must be one of ('expval', 'probs'); got 'sample'. Read <Z> with 'expval'.
    >>> one_of(True, "stride", (1, 2))
    Traceback (most recent call last):
        ...
    ValueError: stride must be one of (1, 2); got True.
    """
    try:
        ok = value in choices
    except TypeError:  # unhashable value, hashed container
        ok = False
    if ok and isinstance(value, bool):
        ok = any(c is value for c in choices)
    if not ok:
        _fail(name, f"one of {choices!r}", value, fix)
    return value
