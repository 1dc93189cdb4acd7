"""Encoding classical channel vectors into qubit states.

Two encodings are provided:

* **amplitude encoding** (used by the QPC layer): the ``C`` channel values of a pixel become the
  amplitudes of an ``n``-qubit state, ``n = ceil(log2 C)``, after zero-padding to ``2**n`` entries and
  L2 normalization;
* **angle encoding** (for comparison): one qubit per channel, channel value ``x`` rotated in as
  ``RY(x)|0>``.

Zero-pixel convention
    An all-zero channel vector (common after a ReLU) has no direction to encode. We encode it as the
    basis state :math:`|0\\dots0\\rangle`, i.e. the amplitude vector ``(1, 0, ..., 0)``. Values and
    gradients stay finite (the gradient with respect to such a pixel is zero). Every other vector,
    however small or large, is encoded by its direction: the encoding is scale-invariant and is
    computed after dividing by the largest magnitude, so squares never under- or overflow. The
    simulator in :mod:`qpcnn_edu.simulator` and the PennyLane reference circuit in
    :mod:`qpcnn_edu.circuits` apply the same convention, so they agree everywhere.

Qubit order
    As in PennyLane, wire 0 is the most significant bit: amplitude ``j`` belongs to the basis state
    whose binary digits, read from wire 0 to wire ``n-1``, spell ``j``.
"""

from __future__ import annotations

import torch

from .. import _checks

__all__ = ["n_qubits_for", "amplitude_encode", "angle_encode"]


def _check_tensor(x, name="x"):
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor; got {type(x).__name__}. Wrap it with torch.as_tensor(...).")
    if not (x.is_floating_point()):
        raise TypeError(
            f"{name} must have a floating-point dtype; got {x.dtype}. Convert it with {name}.float() or {name}.double()."
        )


def n_qubits_for(n_channels: int) -> int:
    """Number of qubits needed to amplitude-encode ``n_channels`` values.

    Args:
        n_channels (int): channels per pixel, at least 1.

    Returns:
        int: ``max(1, ceil(log2(n_channels)))``.

    Raises:
        ValueError: if ``n_channels`` is not a positive integer.

    >>> [n_qubits_for(c) for c in (1, 2, 3, 4, 5, 8, 9, 16)]
    [1, 1, 2, 2, 3, 3, 4, 4]
    """
    n_channels = _checks.positive_int(n_channels, "n_channels")
    return max(1, (n_channels - 1).bit_length())  # exact integer ceil(log2), no float rounding


def amplitude_encode(x: torch.Tensor, dim: int = 1, n_qubits: int | None = None) -> torch.Tensor:
    """Zero-pad ``dim`` to ``2**n_qubits`` entries and L2-normalize it: the amplitudes of the encoded state.

    Args:
        x (torch.Tensor): real tensor, e.g. shape ``(B, C, H, W)`` with channels on ``dim=1``.
        dim (int): the channel dimension.
        n_qubits (int, optional): number of qubits; defaults to :func:`n_qubits_for` of the channel
            count. A larger value pads with more zeros.

    Returns:
        torch.Tensor: same shape as ``x`` except ``dim`` has ``2**n_qubits`` entries, each slice along
        ``dim`` of unit L2 norm. All-zero slices become ``(1, 0, ..., 0)`` (the zero-pixel convention,
        see the module docstring).

    Raises:
        TypeError: if ``x`` is not a floating-point tensor.
        ValueError: if ``n_qubits`` is too small for the channel count.

    >>> amplitude_encode(torch.tensor([[3.0, 4.0, 0.0]]))
    tensor([[0.6000, 0.8000, 0.0000, 0.0000]])
    >>> amplitude_encode(torch.zeros(1, 3))  # zero pixel -> |00>
    tensor([[1., 0., 0., 0.]])
    """
    _check_tensor(x)
    dim = dim % x.dim() if x.dim() else 0
    n_channels = x.shape[dim]
    needed = n_qubits_for(n_channels)
    if n_qubits is None:
        n_qubits = needed
    elif n_qubits < needed:
        raise ValueError(
            f"n_qubits must be at least {needed} to encode {n_channels} channels; got {n_qubits}."
        )
    # Amplitude encoding is scale-invariant: dividing by the (constant) largest magnitude first keeps
    # tiny and huge vectors from under- or overflowing when squared; the result is unchanged.
    scale = x.detach().abs().amax(dim, keepdim=True)
    x = x / torch.where(scale > 0, scale, torch.ones_like(scale))
    sumsq = (x * x).sum(dim, keepdim=True)  # channel dim reduced to 1; >= 1 unless the vector is zero
    nonzero = ~(sumsq == 0)  # NaN stays NaN (it is not "zero")
    # Divide by a safe norm so that neither the value nor the gradient of a zero row is NaN:
    # where() passes a zero gradient into the branch it did not select.
    norm = torch.sqrt(torch.where(nonzero, sumsq, torch.ones_like(sumsq)))
    ground = torch.zeros(n_channels, dtype=x.dtype, device=x.device)
    ground[0] = 1.0
    ground = ground.view((n_channels,) + (1,) * (x.dim() - 1 - dim))  # broadcasts along dim
    psi = torch.where(nonzero, x / norm, ground)
    size = 2**n_qubits
    if size > n_channels:  # zero-padding changes no norm, so pad after normalizing
        # F.pad lists (left, right) pairs starting from the last dimension
        psi = torch.nn.functional.pad(psi, (0, 0) * (x.dim() - 1 - dim) + (0, size - n_channels))
    return psi


def angle_encode(x: torch.Tensor, dim: int = 1) -> torch.Tensor:
    """Angle-encode each channel on its own qubit as ``RY(x)|0>`` and return the product state.

    Channel ``c`` goes to wire ``c``; the state of one qubit is ``(cos(x/2), sin(x/2))``. The state of
    ``C`` channels is their tensor product, a vector of ``2**C`` real amplitudes (wire 0 the most
    significant bit, as in PennyLane's ``AngleEmbedding(..., rotation="Y")``). Angle encoding needs
    one qubit per channel, amplitude encoding only ``ceil(log2 C)``.

    Args:
        x (torch.Tensor): real tensor with channels on ``dim`` (at most 20 channels).
        dim (int): the channel dimension.

    Returns:
        torch.Tensor: the state amplitudes, with ``dim`` of size ``2**C``.

    Raises:
        ValueError: if there are more than 20 channels (the state would need over 2**20 amplitudes).

    >>> angle_encode(torch.tensor([[0.0, 0.0]]))  # |0> (x) |0> = |00>
    tensor([[1., 0., 0., 0.]])
    >>> angle_encode(torch.tensor([[torch.pi / 2]]))  # RY(pi/2)|0> = (|0> + |1>)/sqrt(2)
    tensor([[0.7071, 0.7071]])
    """
    _check_tensor(x)
    dim = dim % x.dim() if x.dim() else 0
    n_channels = x.shape[dim]
    if n_channels > 20:
        raise ValueError(
            f"angle encoding needs one qubit per channel, so at most 20 channels; got {n_channels}. "
            "Use amplitude_encode for wide inputs."
        )
    x = x.movedim(dim, -1)  # (..., C)
    qubits = torch.stack([torch.cos(x / 2), torch.sin(x / 2)], dim=-1)  # (..., C, 2)
    state = qubits[..., 0, :]  # (..., 2)
    for c in range(1, n_channels):
        state = (state.unsqueeze(-1) * qubits[..., c, None, :]).flatten(-2)  # (..., 2**(c+1))
    return state.movedim(-1, dim)
