"""The fast exact simulator behind ``QuantumPointwiseConv2d(backend="statevector")``.

For a pixel with channel vector ``x`` (``C`` real values, zero-padded to ``D = 2**n``) and a circuit
``U``, amplitude encoding prepares ``psi = x / |x|`` and the readout of a diagonal observable ``O``
(``Z`` on one wire, or a basis-state projector) is

.. math:: \\langle O \\rangle = \\frac{\\sum_j o_j\\, |(U x)_j|^2}{x^\\top x}
          = \\frac{x^\\top \\operatorname{Re}(U^\\dagger O U)\\, x}{x^\\top x}.

So per forward pass we build ``U`` once per kernel and stack ``[Re U; Im U]`` (first ``C`` columns
only: the padding multiplies zero columns) into one real ``(2D, C)`` matrix, the *amplitude rows*.
Every pixel then costs a matrix product (its ``2D`` real amplitudes), a square, and a product with
the readout matrix. Because ``U`` is unitary, ``sum_j |(U x)_j|^2 = x^T x``: one extra readout
column yields the normalization for free. A call is one autograd node (:class:`Statevector`): its
forward builds ``U`` untracked, and its hand-written backward is five matrix products and a few
elementwise passes for the pixels, then the analytic gradient of ``U``
(:func:`qpcnn_edu.quantum.unitary.unitary_vjp`), not the dozens of small operations autograd would record.
This module is a little over 300 lines because the forward pass, its two backward passes (hand-written, and
tracked for higher derivatives) and the parameter-shift rule must agree line by line.

Zero-pixel convention: an all-zero pixel is read as the state ``|0...0>``; its gradient is zero.
Every other pixel is first divided by its largest magnitude (a constant for autograd: the readout is
scale-invariant, so this changes neither values nor gradients), so squares never under- or overflow.
"""

from __future__ import annotations

import math

import torch

from .. import _checks
from .circuits import MEASUREMENTS
from .unitary import build_unitary, unitary_and_trace, unitary_vjp, z_signs

__all__ = ["z_signs", "observable_diagonals", "amplitude_rows", "readout_matrix", "rescale_pixels", "quadratic_forward",
           "Statevector", "statevector_forward", "to_columns", "to_images",
           "parameter_shift_forward", "parameter_shift_weight_grad", "ParameterShift"]

#: Elements of the largest intermediate tensor one parameter-shift chunk may create.
SHIFT_CHUNK_ELEMENTS = 2**25


def observable_diagonals(measurement: str, n_qubits: int) -> torch.Tensor:
    """``(m, 2**n_qubits)`` diagonals of the measured observables: ``Z`` on each wire, or each basis projector.

    ``m = n_qubits`` for ``"expval"`` (:func:`z_signs`), ``m = 2**n_qubits`` for ``"probs"`` (the identity).

    >>> observable_diagonals("probs", 1)
    tensor([[1., 0.],
            [0., 1.]])
    """
    if _checks.one_of(measurement, "measurement", MEASUREMENTS) == "expval":
        return z_signs(n_qubits)
    return torch.eye(2**n_qubits)


def amplitude_rows(unitary: torch.Tensor, n_channels: int) -> torch.Tensor:
    """``[Re U; Im U]`` restricted to the first ``n_channels`` columns: ``(..., D, D) -> (..., 2D, C)``."""
    parts = torch.view_as_real(unitary)[..., :n_channels, :]  # (..., D, C, 2)
    return parts.movedim(-1, -3).flatten(-3, -2)  # (..., 2, D, C) -> (..., 2D, C)


def readout_matrix(measurement: str, n_qubits: int, n_kernels: int, dtype=None, device=None) -> torch.Tensor:
    """``(K*2D, K*m + 1)`` matrix from squared amplitudes to outputs, plus a last column of norms.

    Kernel ``k``'s block maps ``[Re(Ux)^2, Im(Ux)^2]`` (``2D`` values) to its ``m`` outputs: ``Z``
    signs on each wire for ``"expval"`` (``m = n_qubits``), the identity for ``"probs"``
    (``m = 2**n_qubits``), applied to real and imaginary parts alike. The last column sums kernel
    0's squared amplitudes, which is ``x^T x`` because ``U`` is unitary.

    >>> readout_matrix("expval", 1, 1)
    tensor([[ 1.,  1.],
            [-1.,  1.],
            [ 1.,  1.],
            [-1.,  1.]])
    """
    D = 2**n_qubits
    r = observable_diagonals(measurement, n_qubits)  # (m, D)
    block = torch.cat([r, r], 1).T  # (2D, m)
    main = torch.block_diag(*([block] * n_kernels))  # (2KD, Km)
    norm = torch.zeros(2 * D * n_kernels, 1)
    norm[: 2 * D] = 1.0
    return torch.cat([main, norm], 1).to(dtype=dtype or torch.get_default_dtype(), device=device)


def rescale_pixels(x: torch.Tensor) -> torch.Tensor:
    """Divide each pixel (a column of ``x``, shape ``(C, N)``) by its largest magnitude, detached; all-zero pixels
    become ``e_0``, the amplitudes of ``|0...0>``, with zero gradient.

    The QPC outputs are invariant to the scale of a pixel, and by Euler's theorem for such functions the gradient
    through a detached scale is exact. Afterwards every column has ``x^T x >= 1`` (or is NaN, for NaN input), so
    no later division needs a guard, and the zero-pixel convention needs no code of its own.

    >>> rescale_pixels(torch.tensor([[3.0, 0.0], [-6.0, 0.0]]))
    tensor([[ 0.5000,  1.0000],
            [-1.0000,  0.0000]])
    """
    return _rescale(x)[0]


def _rescale(x):
    """:func:`rescale_pixels`, and the factor (1, N) it multiplied each pixel by: 1/scale, 0 for zero pixels (which is
    also each column's derivative)."""
    scale = x.detach().abs().amax(0, keepdim=True)  # (1, N); NaN for a pixel with NaN
    zero = scale == 0
    factor = scale.reciprocal().masked_fill_(zero, 0.0)
    xs = x * factor
    xs[:1].masked_fill_(zero, 1.0)  # zero pixels: e_0 (a constant, so their gradient stays zero)
    return xs, factor


def quadratic_forward(x: torch.Tensor, forms: torch.Tensor) -> torch.Tensor:
    """``x^T A x / x^T x`` for pixel columns ``x`` (C, N) and real forms ``A`` (O, D, D) -> (O, N).

    Only the top-left ``C x C`` block of each form is used (zero padding). All-zero pixels read ``|0...0>``,
    i.e. ``A[:, 0, 0]``, with zero gradient; pixels are rescaled first (see :func:`rescale_pixels`). The noisy layer
    (:func:`qpcnn_edu.quantum.noise.noisy_observables`) and :class:`~qpcnn_edu.QuadraticPointwiseConv2d` use it.

    >>> forms = torch.diag(torch.tensor([1.0, -1.0]))[None]  # Z on one qubit
    >>> quadratic_forward(torch.tensor([[3.0, 0.0, 0.0], [4.0, 1.0, 0.0]]), forms)  # (9 - 16)/25, then -1, zero pixel
    tensor([[-0.2800, -1.0000,  1.0000]])
    """
    C = x.shape[0]
    x = rescale_pixels(x)  # zero pixels become e_0: they read A[0, 0]
    a = forms[:, :C, :C]  # (O, C, C)
    ax = (a.reshape(-1, C) @ x).view(a.shape[0], C, -1)  # (O, C, N)
    return (ax * x).sum(1) / (x * x).sum(0, keepdim=True)  # (O, N)


def _pixelwise_forward(x, rows, readout_t):
    """Outputs (Km, N) and what the backward pass needs. See :class:`Statevector`.

    ``x`` comes from :func:`rescale_pixels`: every column has ``x^T x >= 1`` (zero pixels are ``e_0``) or is NaN.
    Pixels are columns: every product below has the long pixel axis as its output columns, which
    BLAS handles several times faster than tall-and-skinny row layouts for these small widths.
    """
    amps = rows @ x  # (2KD, N): real and imaginary amplitudes of U x, per kernel
    raw = readout_t @ amps.square()  # (Km + 1, N): |x|^2 <O>, and |x|^2 in the last row
    norm = raw[-1:]  # (1, N)
    return raw[:-1] / norm, (amps, norm)


def _pixelwise_backward(grad_out, x, rows, readout_t, out, saved, need_x=True, need_rows=True):
    """Gradients of ``sum(grad_out * out)`` w.r.t. ``x`` (C, N) and ``rows`` (2KD, C)."""
    amps, norm = saved
    # out = raw / norm: d/draw = g / norm, d/dnorm = -(g . out) / norm; the square's factor 2 folded in
    grad_raw = torch.cat([grad_out, -(grad_out * out).sum(0, keepdim=True)]).div_(0.5 * norm)  # (Km + 1, N)
    # (a contiguous copy of the tiny readout: BLAS is several times slower on the transposed view for these shapes)
    grad_amps = (readout_t.T.contiguous() @ grad_raw).mul_(amps)  # (2KD, N)
    grad_x = rows.T @ grad_amps if need_x else None  # (C, N)
    grad_rows = grad_amps @ x.T if need_rows else None  # (2KD, C); zero pixels (e_0) train column 0
    return grad_x, grad_rows


def _tracked_backward(grad_out, inputs, needs, forward):
    """Gradients of ``sum(grad_out * forward())`` w.r.t. those ``inputs`` whose ``needs`` is true (``None`` for the
    others), for ``create_graph=True``: the forward pass is recomputed with autograd on and differentiated with
    ``create_graph=True``, so second (and higher) derivatives through the layer are exact, not zero."""
    wanted = [t for t, need in zip(inputs, needs) if need]
    with torch.enable_grad():
        grads = iter(torch.autograd.grad(forward(), wanted, grad_out, create_graph=True, allow_unused=True))
    return tuple(next(grads) if need else None for need in needs)


def _stacked_rows(unitary: torch.Tensor, n_channels: int) -> torch.Tensor:
    """:func:`amplitude_rows` of every kernel, stacked: ``(K, D, D) -> (2KD, C)``."""
    return amplitude_rows(unitary, n_channels).reshape(-1, n_channels)


class Statevector(torch.autograd.Function):
    """Exact outputs of the layer, ``U`` and the pixelwise quadratic form in one autograd node, differentiated by hand.

    ``Statevector.apply(x, weights, ranges, readout_t, images)``: pixel columns ``x`` ``(C, N)`` (rescaled inside,
    as :func:`rescale_pixels` does), ``weights`` ``(K, L, n, 3)``, checked CNOT ``ranges``, and ``readout_t`` the
    transpose of :func:`readout_matrix`, ``(K*m + 1, 2KD)``; returns ``(K*m, N)``. With ``images=True``, ``x`` is
    ``(B, C, H, W)`` and the result ``(B, K*m, H, W)``. The forward pass builds ``U`` without
    recording it (:func:`~qpcnn_edu.quantum.unitary.unitary_and_trace`); the backward pass is
    :func:`_pixelwise_backward` for the pixels and the amplitude rows, then
    :func:`~qpcnn_edu.quantum.unitary.unitary_vjp` for the weights: a call records one node instead of dozens, which
    is most of a small call's cost. With ``create_graph=True`` the backward pass recomputes everything with tracked
    operations, so higher derivatives are exact.
    """

    @staticmethod
    def forward(ctx, x, weights, ranges, readout_t, images=False):
        ctx.images = tuple(x.shape) if images else None
        cols = to_columns(x) if images else x  # images: the layout change inside the node records no autograd nodes
        xs, factor = _rescale(cols)
        unitary, trace = unitary_and_trace(weights, ranges)
        rows = _stacked_rows(unitary, cols.shape[0])  # (2KD, C)
        out, saved = _pixelwise_forward(xs, rows, readout_t)
        ctx.ranges = ranges
        ctx.save_for_backward(x, xs, factor, weights, rows, readout_t, out, *saved, *trace)
        if images:
            B, _, H, W = ctx.images
            return to_images(out, B, H, W).contiguous()
        return out

    @staticmethod
    def backward(ctx, grad_out):
        x, xs, factor, weights, rows, readout_t, out, *rest = ctx.saved_tensors
        saved, trace = rest[:2], tuple(rest[2:])
        need_x, need_w = ctx.needs_input_grad[:2]
        if ctx.images is not None:
            grad_out = to_columns(grad_out)
        if torch.is_grad_enabled():  # create_graph=True: the gradient itself will be differentiated
            def forward_tracked():
                cols = x if ctx.images is None else to_columns(x)
                rows = _stacked_rows(build_unitary(weights, ctx.ranges), cols.shape[0])
                return _pixelwise_forward(rescale_pixels(cols), rows, readout_t)[0]

            return (*_tracked_backward(grad_out, (x, weights), (need_x, need_w), forward_tracked), None, None, None)
        grad_x, grad_rows = _pixelwise_backward(grad_out, xs, rows, readout_t, out, saved, need_x, need_w)
        if need_x:
            grad_x = grad_x.mul_(factor)  # the scale is a constant; zero pixels (factor 0) get no gradient
            if ctx.images is not None:
                B, _, H, W = ctx.images
                grad_x = to_images(grad_x, B, H, W)
        grad_w = None
        if need_w:
            K, L, n = weights.shape[:3]
            size, C = 2**n, xs.shape[0]
            grad_rows = grad_rows.view(K, 2 * size, C)
            conj = torch.complex(grad_rows[:, :size], grad_rows[:, size:].neg())  # conj(dL/dU), first C columns
            if C < size:  # the padding's columns of U do not enter the outputs
                conj = torch.nn.functional.pad(conj, (0, size - C))
            grad_w = unitary_vjp(conj, weights, ctx.ranges, trace, conjugated=True)
        return grad_x, grad_w, None, None, None


def to_columns(images: torch.Tensor) -> torch.Tensor:
    """The simulator's pixel layout: ``(B, C, H, W) -> (C, B*H*W)``, one column per pixel (a copy).

    >>> to_columns(torch.arange(8.0).view(2, 2, 1, 2))  # image 0's two pixels, then image 1's
    tensor([[0., 1., 4., 5.],
            [2., 3., 6., 7.]])
    """
    B, C, H, W = images.shape
    return images.transpose(0, 1).reshape(C, B * H * W)


def to_images(columns: torch.Tensor, batch: int, height: int, width: int) -> torch.Tensor:
    """Back from :func:`to_columns`: ``(C, B*H*W) -> (B, C, H, W)``, a view (call ``.contiguous()`` for a copy).

    >>> x = torch.randn(2, 3, 4, 5)
    >>> torch.equal(to_images(to_columns(x), 2, 4, 5), x)
    True
    """
    return columns.view(columns.shape[0], batch, height, width).transpose(0, 1)


def statevector_forward(x, weights, ranges, readout_t, images=False):
    """Exact outputs for pixel columns ``x`` (C, N) and ``weights`` (K, L, n, 3) -> (K*m, N); with ``images=True``,
    for images ``x`` (B, C, H, W) -> (B, K*m, H, W).

    One :class:`Statevector` node; ``ranges`` are checked CNOT ranges and ``readout_t`` is the transpose of
    :func:`readout_matrix`.
    """
    return Statevector.apply(x, weights, tuple(ranges), readout_t, images)


def parameter_shift_forward(x, weights, ranges, readout_t):
    """Like :func:`statevector_forward`, but ``weights`` gradients come from the parameter-shift rule."""
    return ParameterShift.apply(rescale_pixels(x), weights, ranges, readout_t)


def _shift_table(n_params: int, dtype, device) -> torch.Tensor:
    """``(2P, P)``: rows ``+pi/2 e_p`` then ``-pi/2 e_p``: the two-term shift rule of Rot's angles."""
    eye = torch.eye(n_params, dtype=dtype, device=device) * (math.pi / 2)
    return torch.cat([eye, -eye])


def parameter_shift_weight_grad(x, weights, ranges, readout_t, grad_out):
    """Gradient of ``sum(grad_out * layer(x))`` w.r.t. ``weights`` by the parameter-shift rule.

    Every weight is an angle of an ``RZ`` or ``RY`` gate (a ``Rot`` is ``RZ RY RZ``), whose generator
    has eigenvalues ``+-1/2``, so the exact derivative of any expectation value is
    ``[f(theta + pi/2) - f(theta - pi/2)] / 2``. For each kernel this evaluates the circuit
    ``2 * n_layers * n_qubits * 3`` more times on every pixel — the executions a quantum computer
    would need — vectorized over pixels and chunked over shifts to bound memory.

    Args:
        x (torch.Tensor): pixel columns, shape ``(C, N)``.
        weights (torch.Tensor): shape ``(K, n_layers, n_qubits, 3)``.
        ranges (tuple): CNOT range per layer.
        readout_t (torch.Tensor): the transpose of :func:`readout_matrix`, ``(K*m + 1, 2KD)``.
        grad_out (torch.Tensor): upstream gradient, shape ``(K*m, N)``.

    Returns:
        torch.Tensor: gradient with the shape of ``weights``.
    """
    C, N = x.shape
    K, n_params = weights.shape[0], weights[0].numel()
    D2 = 2 * 2 ** weights.shape[-2]
    x = rescale_pixels(x)  # zero pixels become e_0, |0...0>
    psi = x / (x * x).sum(0, keepdim=True).sqrt()  # (C, N) normalized
    # Fold the readout into the upstream gradient: sum g * (R a^2) = sum (R^T g) * a^2.
    coeff = (readout_t[:-1].T @ grad_out).view(K, D2, N)  # (K, 2D, N)
    shifts = _shift_table(n_params, weights.dtype, weights.device)  # (2P, P)
    values = []
    chunk = max(1, SHIFT_CHUNK_ELEMENTS // (N * K * D2))
    for start in range(0, 2 * n_params, chunk):
        s = shifts[start : start + chunk]  # (S, P)
        S = len(s)
        shifted = (weights.reshape(K, 1, n_params) + s).reshape(K, S, *weights.shape[1:])  # (K, S, L, n, 3)
        rows = _stacked_rows(build_unitary(shifted, ranges), C)  # (K*S*2D, C)
        sq = (rows @ psi).square().view(K, S, D2, N)  # squared amplitudes per kernel and shift
        values.append(torch.einsum("ksjn,kjn->ks", sq, coeff))  # (K, S)
    values = torch.cat(values, 1)  # (K, 2P)
    return ((values[:, :n_params] - values[:, n_params:]) / 2).reshape(weights.shape)


class ParameterShift(torch.autograd.Function):
    """Statevector forward; weight gradients by the parameter-shift rule, input gradients exact.

    ``ParameterShift.apply(x, weights, ranges, readout_t)`` with the arguments of
    :func:`statevector_forward`. The input enters through state preparation, not through a rotation
    angle, so its gradient is the exact derivative of the normalized quadratic form. With
    ``create_graph=True`` both gradients are computed by tracked torch operations, so second
    derivatives are exact too.
    """

    @staticmethod
    def forward(ctx, x, weights, ranges, readout_t):
        rows = _stacked_rows(build_unitary(weights, ranges), x.shape[0])
        out, saved = _pixelwise_forward(x, rows, readout_t)
        ctx.ranges = ranges
        ctx.save_for_backward(x, weights, rows, readout_t, out, *saved)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        x, weights, rows, readout_t, out, *saved = ctx.saved_tensors
        grad_x = grad_weights = None
        tracked = torch.is_grad_enabled()  # create_graph=True: every gradient below is recorded by autograd
        if ctx.needs_input_grad[0] and tracked:
            (grad_x,) = _tracked_backward(grad_out, (x,), (True,), lambda: _pixelwise_forward(
                x, _stacked_rows(build_unitary(weights, ctx.ranges), x.shape[0]), readout_t)[0])
        elif ctx.needs_input_grad[0]:
            grad_x, _ = _pixelwise_backward(grad_out, x, rows, readout_t, out, saved, need_rows=False)
        if ctx.needs_input_grad[1]:
            # The shift rule is an identity in the angles, so its autograd derivative is the exact second derivative.
            grad_weights = parameter_shift_weight_grad(x, weights, ctx.ranges, readout_t, grad_out)
        return grad_x, grad_weights, None, None
