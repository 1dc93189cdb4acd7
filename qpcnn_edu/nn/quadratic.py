"""The classical control of the QPC layer: free normalized quadratic forms per pixel.

:class:`~qpcnn_edu.QuantumPointwiseConv2d` computes ``x^T Re(U^† Z_k U) x / x^T x`` for every pixel; this layer
computes ``x^T M_k x / x^T x`` with free symmetric ``M_k``, the classical function class that contains it (see
:func:`qpcnn_edu.quantum.simulator.quadratic_forward`, which both use for the zero-pixel rule).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from .. import _checks
from ..quantum.simulator import quadratic_forward, to_columns, to_images

__all__ = ["QuadraticPointwiseConv2d"]


class QuadraticPointwiseConv2d(nn.Module):
    """Classical control: ``out_k = x^T M_k x / x^T x`` per pixel, with free learnable symmetric ``M_k``.

    The QPC layer computes exactly such normalized quadratic forms, with ``M_k = Re(U^† Z_k U)``
    constrained by the circuit (one unitary shared by a kernel's outputs, eigenvalues in ``[-1, 1]``,
    only ``3 n_layers n_qubits`` angles). This layer drops the constraint: it is the classical function class that contains the
    QPC layer, so comparing the two tells whether the quantum structure helps or hurts. All-zero
    pixels read ``M_k[0, 0]`` (the QPC layer's zero-pixel convention, ``x = e_0``).

    Args:
        in_channels (int): channels per pixel ``C``.
        out_channels (int): number of quadratic forms; each has ``C (C + 1) / 2`` parameters.

    >>> layer = QuadraticPointwiseConv2d(8, 3)
    >>> layer(torch.randn(2, 8, 5, 5)).shape, sum(p.numel() for p in layer.parameters())
    (torch.Size([2, 3, 5, 5]), 108)
    """

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        self.in_channels = _checks.positive_int(in_channels, "in_channels")
        self.out_channels = _checks.positive_int(out_channels, "out_channels")
        rows, cols = torch.triu_indices(in_channels, in_channels)
        self.register_buffer("_rows", rows, persistent=False)
        self.register_buffer("_cols", cols, persistent=False)
        self.weight = nn.Parameter(torch.empty(out_channels, len(rows)))  # upper triangles of M_k
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Entries ~ N(0, 1/C): eigenvalues of order one, outputs of order one, like ``<Z>``."""
        with torch.no_grad():
            self.weight.normal_(0.0, 1.0 / math.sqrt(self.in_channels))

    def matrices(self) -> torch.Tensor:
        """The symmetric matrices ``M``, shape ``(out_channels, C, C)``."""
        C = self.in_channels
        m = self.weight.new_zeros(self.out_channels, C, C)
        m[:, self._rows, self._cols] = self.weight
        return m + m.transpose(1, 2) - torch.diag_embed(m.diagonal(dim1=1, dim2=2))

    def extra_repr(self) -> str:
        return f"in_channels={self.in_channels}, out_channels={self.out_channels}"

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not isinstance(x, torch.Tensor) or x.dim() != 4 or x.shape[1] != self.in_channels:
            shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
            raise ValueError(
                f"input must have shape (batch, {self.in_channels}, height, width); got {shape}. "
                f"Build the layer with in_channels matching the input."
            )
        B, _, H, W = x.shape
        out = quadratic_forward(to_columns(x), self.matrices())  # (O, N)
        return to_images(out, B, H, W).contiguous()
