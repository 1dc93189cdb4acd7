"""Checks of what :class:`~qpcnn_edu.QuantumPointwiseConv2d` is given and what it returns, before and after the work.

>>> w = torch.zeros(1, 2, 2, 3)
>>> check_layer_input(torch.zeros(2, 4, 5, 5), 4, w)
>>> check_layer_input(torch.zeros(2, 3, 5, 5), 4, w)  # doctest: +ELLIPSIS
Traceback (most recent call last):
    ...
ValueError: input must have 4 channels (dimension -3); got 3 in shape (2, 3, 5, 5). Build the layer with ...
"""

from __future__ import annotations

import torch

__all__ = ["check_layer_input", "check_finite"]


def check_layer_input(x, in_channels: int, weights: torch.Tensor) -> None:
    """Raise unless ``x`` is a floating ``(B, in_channels, H, W)`` or ``(in_channels, H, W)`` tensor with the dtype
    and device of ``weights``.

    Raises:
        TypeError: for a non-tensor, a non-floating dtype or a dtype other than that of ``weights``.
        ValueError: for a wrong rank, channel count or device.
    """
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"input must be a torch.Tensor; got {type(x).__name__}.")
    if x.dim() not in (3, 4):
        raise ValueError(
            "input must be a 4-D tensor (batch, channels, height, width) or a 3-D tensor "
            f"(channels, height, width); got shape {tuple(x.shape)}."
        )
    if x.shape[-3] != in_channels:
        raise ValueError(
            f"input must have {in_channels} channels (dimension -3); got {x.shape[-3]} in shape "
            f"{tuple(x.shape)}. Build the layer with in_channels={x.shape[-3]}."
        )
    if not x.is_floating_point():
        raise TypeError(f"input must have a floating-point dtype; got {x.dtype}. Convert it with x.float().")
    w = weights
    if x.dtype != w.dtype:
        raise TypeError(
            f"input dtype must match the layer's ({w.dtype}); got {x.dtype}. "
            f"Call layer.to({x.dtype}) or convert the input with x.to({w.dtype})."
        )
    if x.device != w.device:
        raise ValueError(
            f"input must be on the layer's device ({w.device}); got {x.device}. Move one with .to(device)."
        )


def check_finite(x: torch.Tensor, out: torch.Tensor, weights: torch.Tensor) -> None:
    """Raise a ``ValueError`` that names the cause if ``out`` is not finite: the input, the weights, or neither.

    NaN/inf anywhere in a pixel (or a squared norm that overflows) makes its outputs non-finite, so one check on the
    (smaller) output catches every bad input. The layer's outputs lie in ``[-1, 1]``, so their sum is finite exactly
    when all of them are: one reduction instead of an elementwise test.

    >>> nan = torch.tensor([float("nan")])
    >>> check_finite(nan, nan, torch.zeros(1))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
        ...
    ValueError: input must be finite; got 1 NaN and 0 inf values. Check the preceding layers, ...
    """
    if torch.compiler.is_compiling():  # a graph break (the call below is not traced), so the check runs there too
        return _check_finite_eagerly(x, out, weights)
    if bool(torch.isfinite(out.sum())):  # bounded outputs: a finite sum means every one is finite
        return
    n_nan, n_inf = int(torch.isnan(x).sum()), int(torch.isinf(x).sum())
    if n_nan or n_inf:
        raise ValueError(
            f"input must be finite; got {n_nan} NaN and {n_inf} inf values. "
            "Check the preceding layers, the learning rate, or the data."
        )
    if not bool(torch.isfinite(weights).all()):
        raise ValueError(
            "weights must be finite; got NaN or inf. Training diverged: lower the learning rate "
            "or reload a checkpoint (layer.reset_parameters() starts afresh)."
        )
    raise ValueError("outputs must be finite; got NaN or inf from finite inputs and weights (please report this).")


# check_finite itself, never traced by torch.compile (only reached while compiling: in eager mode the wrapper would
# cost a few microseconds per call for nothing)
_check_finite_eagerly = torch.compiler.disable(check_finite)
