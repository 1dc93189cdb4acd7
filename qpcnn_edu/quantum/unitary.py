"""The circuit's unitary in pure torch: gate matrices, the Kronecker product over wires, the CNOT ring as a
permutation, and the analytic vector-Jacobian product that takes a gradient on ``U`` back to the angles.

``U = P_L K_L ... P_1 K_1``: layer ``l`` applies ``K_l``, the Kronecker product of one ``Rot`` per wire, then
``P_l``, its CNOT ring, which only permutes basis states (a row gather). :func:`build_unitary` builds ``U`` with
tracked torch operations (autograd differentiates it to any order). :func:`unitary_and_trace` builds the same ``U``
and keeps what :func:`unitary_vjp` needs to differentiate it by hand: one gather and two small matrix products per
layer, then one more product per layer and a few elementwise passes for the angles (each angle's derivative is a
Pauli generator on one wire), instead of the many tiny autograd nodes of the tracked build. The fast layer
(:func:`qpcnn_edu.quantum.simulator.statevector_forward`) uses the pair; the tests pin it to autograd and to
PennyLane.

Gradients of complex tensors follow torch's convention: for a real loss ``f``, the gradient of ``z`` is
``df/dRe z + i df/dIm z``, so a product ``C = A B`` passes ``G_A = G_C B^H`` and ``G_B = A^H G_C``.
"""

from __future__ import annotations

import functools

import numpy as np
import torch

__all__ = ["z_signs", "rot_gates", "kron_wires", "cnot_ring_index", "build_unitary", "unitary_and_trace",
           "unitary_vjp"]


def _tensor_cache(maxsize: int):
    """``functools.lru_cache`` for small constant tensors, bypassed under ``torch.jit.trace`` (a tensor made in the
    first traced call and reused in the next would make their graphs differ, which fails the trace's check) and
    under ``torch.compile`` (which traces the function itself and bakes the constants into its graph)."""
    def wrap(make):
        cached = functools.lru_cache(maxsize=maxsize)(make)

        @functools.wraps(make)
        def get(*args):
            return make(*args) if torch.jit.is_tracing() or torch.compiler.is_compiling() else cached(*args)

        get.cache_clear = cached.cache_clear
        return get

    return wrap


def _cnot_ring_permutation(n_qubits: int, r: int) -> np.ndarray:
    """``perm[b]``: the basis state the CNOT ring of range ``r`` maps basis state ``b`` to."""
    perm = np.arange(2**n_qubits)
    for i in range(n_qubits):
        control, target = i, (i + r) % n_qubits
        cbit = 1 << (n_qubits - 1 - control)  # wire 0 is the most significant bit
        tbit = 1 << (n_qubits - 1 - target)
        perm = np.where(perm & cbit, perm ^ tbit, perm)
    return perm


@_tensor_cache(maxsize=256)
def cnot_ring_index(n_qubits: int, r: int, device: torch.device, inverse: bool = True) -> torch.Tensor:
    """Row gather index of the CNOT ring of range ``r`` on ``device`` (cached: no host-to-device copy per call).

    With ``inverse=True`` (the default), ``(P M)[j] = M[index[j]]``: applying the ring to ``M`` is
    ``M.index_select(-2, index)``. With ``inverse=False`` the index undoes that gather (it is ``P``'s own
    permutation), which is how a gradient goes back through the ring. Arguments are positional (it is cached).

    >>> cnot_ring_index(2, 1, torch.device("cpu"), False)  # CNOT(0,1) then CNOT(1,0): |01> -> |11>, ...
    tensor([0, 3, 1, 2])
    >>> cnot_ring_index(2, 1, torch.device("cpu"))  # its inverse, the gather index
    tensor([0, 2, 3, 1])
    """
    perm = _cnot_ring_permutation(n_qubits, r)
    if inverse:
        index = np.empty_like(perm)
        index[perm] = np.arange(perm.size)
    else:
        index = perm
    return torch.tensor(index.tolist(), dtype=torch.long, device=device)


def z_signs(n_qubits: int) -> torch.Tensor:
    """``(n_qubits, 2**n_qubits)`` eigenvalues of ``Z`` on each wire (wire 0 = most significant bit).

    >>> z_signs(2)
    tensor([[ 1.,  1., -1., -1.],
            [ 1., -1.,  1., -1.]])
    """
    states = torch.arange(2**n_qubits)
    bits = torch.stack([(states >> (n_qubits - 1 - q)) & 1 for q in range(n_qubits)])  # (n, D)
    return 1.0 - 2.0 * bits.to(torch.get_default_dtype())


def kron_wires(gates: torch.Tensor) -> torch.Tensor:
    """Kronecker product over the wire axis: ``(..., n, 2, 2) -> (..., 2**n, 2**n)``, wire 0 first.

    >>> kron_wires(torch.eye(2).expand(2, 2, 2)).shape
    torch.Size([4, 4])
    """
    first, *rest = gates.unbind(-3)
    out = first
    for g in rest:
        size = out.shape[-1] * 2
        out = (out[..., :, None, :, None] * g[..., None, :, None, :]).reshape(*out.shape[:-2], size, size)
    return out


# Rot(phi, theta, omega) entries are r_k e^{i a_k}, k = 00, 01, 10, 11, with phases
# a = (-(phi+omega), phi-omega, -(phi-omega), phi+omega) / 2 and moduli r = (c, -s, s, c) where
# c, s = cos, sin of theta/2. The four phases and theta/2 are one linear map of (phi, theta, omega),
# so all gate matrices of a circuit cost one matmul and a few elementwise operations.
_ROT_ANGLE_MAP = torch.tensor(
    [[-0.5, 0.5, -0.5, 0.5, 0.0],  # phi
     [0.0, 0.0, 0.0, 0.0, 0.5],  # theta
     [-0.5, -0.5, 0.5, 0.5, 0.0]],  # omega
    dtype=torch.float64,
)


@_tensor_cache(maxsize=32)
def _rot_constants(dtype: torch.dtype, device: torch.device):
    signs = torch.tensor([1.0, -1.0, 1.0, 1.0], dtype=dtype, device=device)
    pick = torch.tensor([0, 1, 1, 0], device=device)  # c, s, s, c
    return _ROT_ANGLE_MAP.to(dtype=dtype, device=device), signs, pick


def _rot_parts(weights: torch.Tensor):
    """Cosines and sines of the 4 phases and of theta/2, and the 4 moduli ``(c, -s, s, c)``: each ``(..., 4 or 5)``."""
    linear, signs, pick = _rot_constants(weights.dtype, weights.device)
    angles = (weights.reshape(-1, 3) @ linear).view(*weights.shape[:-1], 5)  # 4 phases, theta/2
    cos, sin = angles.cos(), angles.sin()
    moduli = torch.stack([cos[..., 4], sin[..., 4]], -1).index_select(-1, pick) * signs  # c, -s, s, c
    return cos, sin, moduli


def rot_gates(weights: torch.Tensor) -> torch.Tensor:
    """``Rot`` matrices of every ``(phi, theta, omega)`` triple: ``(..., 3) -> (..., 2, 2)`` complex.

    >>> rot_gates(torch.zeros(1, 3)).abs()  # Rot(0, 0, 0) = I
    tensor([[[1., 0.],
             [0., 1.]]])
    """
    cos, sin, moduli = _rot_parts(weights)
    return torch.complex(cos[..., :4] * moduli, sin[..., :4] * moduli).unflatten(-1, (2, 2))


def build_unitary(weights: torch.Tensor, ranges: tuple) -> torch.Tensor:
    """The circuit's unitary ``(..., D, D)`` of ``weights`` ``(..., L, n, 3)`` by tracked torch operations.

    ``ranges`` must already be checked (:func:`qpcnn_edu.quantum.circuits.check_ranges`); the public entry point is
    :func:`qpcnn_edu.quantum.circuits.entangling_unitary`.

    >>> build_unitary(torch.zeros(1, 1, 3), (0,)).abs()
    tensor([[1., 0.],
            [0., 1.]])
    """
    n_qubits = int(weights.shape[-2])
    layers = kron_wires(rot_gates(weights)).unbind(-3)  # L x (..., D, D)
    unitary = None
    for l, step in enumerate(layers):
        unitary = step if unitary is None else step @ unitary
        if n_qubits > 1:
            unitary = unitary.index_select(-2, cnot_ring_index(n_qubits, ranges[l], weights.device))
    return unitary


#: Largest dimension ``D`` for which :func:`unitary_and_trace` builds layer matrices by one gather and product (its
#: index has ``L * D * D * n`` entries); larger circuits use the Kronecker product and a row gather per layer.
GATHER_MAX_DIMENSION = 16


@_tensor_cache(maxsize=32)
def _entry_constants(dtype: torch.dtype, device: torch.device):
    """Linear map and offset from ``(phi, theta, omega)`` to 14 angles whose cosines are, entry by entry, the cosine
    and sine of its phase (``sin a = cos(a - pi/2)``), then the 4 moduli ``(c, -s, s, c)`` as cosines of
    ``theta/2 + (0, pi/2, -pi/2, 0)``, then ``cos phi`` and ``sin phi`` (for the gradient of ``theta``)."""
    phi = torch.tensor([[1.0, 1.0], [0.0, 0.0], [0.0, 0.0]], dtype=torch.float64)
    linear = torch.cat([_ROT_ANGLE_MAP[:, :4].repeat_interleave(2, 1), _ROT_ANGLE_MAP[:, 4:].expand(3, 4), phi], 1)
    offset = torch.tensor([0.0, -np.pi / 2] * 4 + [0.0, np.pi / 2, -np.pi / 2, 0.0] + [0.0, -np.pi / 2],
                          dtype=torch.float64)
    return linear.to(dtype=dtype, device=device), offset.to(dtype=dtype, device=device)


def _fast_gate_entries(weights: torch.Tensor):
    """The 4 entries of every ``Rot`` gate, ``(..., 3) -> (..., 4)`` complex (row-major), and ``(cos phi, sin phi)``
    ``(..., 2)``, by one affine map and one cosine pass: fewer operations than :func:`rot_gates`, at the price of
    last-bit differences (``cos(pi/2)`` is 6e-17, not 0), which is why the tracked build keeps exact sines."""
    linear, offset = _entry_constants(weights.dtype, weights.device)
    cosines = torch.addmm(offset, weights.reshape(-1, 3), linear).cos()  # (G, 14)
    parts = cosines[:, :8].view(-1, 4, 2) * cosines[:, 8:12, None]  # (G, 4, 2): r_k (cos a_k, sin a_k)
    lead = weights.shape[:-1]
    return torch.view_as_complex(parts).view(*lead, 4), cosines[:, 12:].view(*lead, 2)


@_tensor_cache(maxsize=64)
def _layer_gather(n_qubits: int, ranges: tuple, device: torch.device) -> torch.Tensor:
    """Index into a circuit's flat gate entries (``L * n * 4``) such that the product over the first axis of
    ``entries[index].view(n, L, D, D)`` is ``W_l = P_l K_l``: entry ``(i, j)`` of ``K_l`` is the product over wires of
    ``g_q[bit_q(i), bit_q(j)]``, and the CNOT ring takes row ``i`` of ``K_l`` to row ``j`` with ``index[j] = i``."""
    size = 2**n_qubits
    states = np.arange(size)
    index = np.empty((len(ranges), size, size, n_qubits), dtype=np.int64)
    for l, r in enumerate(ranges):
        rows = cnot_ring_index(n_qubits, r, torch.device("cpu")).numpy() if n_qubits > 1 else states
        for q in range(n_qubits):
            shift = n_qubits - 1 - q
            index[l, :, :, q] = (l * n_qubits + q) * 4 + 2 * ((rows[:, None] >> shift) & 1) + ((states >> shift) & 1)
    return torch.tensor(np.moveaxis(index, -1, 0).reshape(-1), device=device)  # wire-major


@_tensor_cache(maxsize=32)
def _identity(size: int, dtype: torch.dtype, device: torch.device) -> torch.Tensor:
    return torch.eye(size, dtype=dtype, device=device)


def unitary_and_trace(weights: torch.Tensor, ranges: tuple):
    """``U`` as :func:`build_unitary` gives it, and the trace :func:`unitary_vjp` differentiates it with.

    Meant for code that differentiates by hand (inside a ``torch.autograd.Function``); the trace is three tensors:
    the layer matrices with their CNOT rings, ``W_l = P_l K_l``, and the products before each layer,
    ``V_l = W_{l-1} ... W_0`` (``V_0 = I``), both ``(B, L, D, D)``, where ``B`` is the product of the leading
    dimensions of ``weights``; and ``(cos phi, sin phi)`` of every gate, ``(B, L, n, 2)``. Up to
    :data:`GATHER_MAX_DIMENSION`, all ``W_l`` are one gather and one product of the gates' entries.

    >>> w = torch.rand(2, 3, 3, dtype=torch.float64)
    >>> u, trace = unitary_and_trace(w, (1, 2))
    >>> torch.allclose(u, build_unitary(w, (1, 2))), [tuple(t.shape) for t in trace]
    (True, [(1, 2, 8, 8), (1, 2, 8, 8), (1, 2, 3, 2)])
    """
    n_layers, n_qubits = int(weights.shape[-3]), int(weights.shape[-2])
    size = 2**n_qubits
    w = weights.reshape(-1, n_layers, n_qubits, 3)
    entries, phi = _fast_gate_entries(w)  # (B, L, n, 4), (B, L, n, 2)
    if size <= GATHER_MAX_DIMENSION:
        index = _layer_gather(n_qubits, tuple(ranges), w.device)
        factors = entries.view(w.shape[0], -1).index_select(1, index).view(w.shape[0], n_qubits, n_layers, size, size)
        mats = factors[:, 0]
        for q in range(1, n_qubits):  # (products, not torch.prod: complex prod is not on every device)
            mats = mats * factors[:, q]
    else:
        layers = kron_wires(entries.unflatten(-1, (2, 2))).unbind(1)
        if n_qubits > 1:
            layers = [k.index_select(-2, cnot_ring_index(n_qubits, r, w.device)) for k, r in zip(layers, ranges)]
        mats = torch.stack(layers, 1)
    unitary = mats[:, 0]
    before = [_identity(size, mats.dtype, mats.device).expand_as(unitary)]
    for l in range(1, n_layers):
        before.append(unitary)
        unitary = mats[:, l] @ unitary
    return unitary.reshape(*weights.shape[:-3], size, size), (mats, torch.stack(before, 1), phi)


def unitary_vjp(grad_unitary: torch.Tensor, weights: torch.Tensor, ranges: tuple, trace,
                conjugated: bool = False) -> torch.Tensor:
    """The gradient of the weights from the gradient of ``U`` (torch's convention), by the chain rule written out.

    Args:
        grad_unitary (torch.Tensor): ``df/dRe U + i df/dIm U``, shape ``(..., D, D)``.
        weights (torch.Tensor): the angles ``U`` was built from, ``(..., L, n, 3)``.
        ranges (tuple): CNOT range per layer, as ``U`` was built with.
        trace (tuple): the second value of :func:`unitary_and_trace`.
        conjugated (bool): ``grad_unitary`` holds the conjugate of the gradient (what the products below use, so
            a caller that can build it directly saves a conjugation).

    Returns:
        torch.Tensor: ``df/dweights``, shaped like ``weights``.

    >>> w = torch.rand(2, 3, 3, dtype=torch.float64, requires_grad=True)
    >>> u, trace = unitary_and_trace(w.detach(), (1, 2))
    >>> g = torch.randn(8, 8, dtype=torch.complex128)
    >>> (auto,) = torch.autograd.grad(build_unitary(w, (1, 2)), w, g)
    >>> torch.allclose(unitary_vjp(g, w.detach(), (1, 2), trace), auto)
    True
    """
    mats, before, phi = trace
    n_layers, n_qubits = int(weights.shape[-3]), int(weights.shape[-2])
    size = 2**n_qubits
    # Conjugated gradients need no conjugation in the products below: conj(G_A) = conj(G_C) B^T for C = A B.
    grad = grad_unitary.reshape(-1, size, size)
    if not conjugated:
        grad = grad.conj().resolve_conj()
    back = [grad]  # conj of the gradient of each product V_{l+1} = W_l V_l, last layer first
    for l in range(n_layers - 1, 0, -1):
        grad = mats[:, l].mT @ grad
        back.append(grad)
    grad_mats = torch.stack(back[::-1], 1) @ before.mT  # (B, L, D, D): conj(G_{W_l}) = conj(G_{V_{l+1}}) V_l^T
    return _angle_grads(grad_mats, mats, phi, tuple(ranges)).reshape(weights.shape)


@_tensor_cache(maxsize=64)
def _angle_maps(n_qubits: int, ranges: tuple, dtype: torch.dtype, device: torch.device):
    """The flat index of the entries of ``M`` that :func:`_angle_grads` reads (its diagonal, then ``M[j, j ^ bit_q]``
    wire by wire), and per layer the real matrix ``(L, 2 (n + 2) D, 4 n)`` from their real and imaginary parts and
    those of ``diag(K G^H)`` to, wire by wire: ``d/dphi``, the real and the imaginary coefficient of ``d/dtheta``,
    ``d/domega``."""
    size = 2**n_qubits
    states = torch.arange(size)
    masks = 1 << torch.arange(n_qubits - 1, -1, -1)[:, None]  # wire 0 is the most significant bit
    signs = z_signs(n_qubits).double()  # (n, D): Z_q on each basis state
    picks = torch.cat([states * (size + 1), (states * size + (states ^ masks)).reshape(-1)])
    maps = torch.zeros(len(ranges), n_qubits + 2, size, 2, n_qubits, 4, dtype=torch.float64)
    maps[:, 0, :, 1, :, 0] = signs.T  # Im M_jj z_q(j)
    for q in range(n_qubits):
        maps[:, 1 + q, :, 0, q, 1] = signs[q]  # Re M[j, j^q] z_q(j)
        maps[:, 1 + q, :, 1, q, 2] = 1.0  # Im M[j, j^q]
    for l, r in enumerate(ranges):  # Im diag(K G^H)_j: the diagonal of W G_W^H with the ring's rows undone
        rows = cnot_ring_index(n_qubits, r, torch.device("cpu")) if n_qubits > 1 else states
        maps[l, n_qubits + 1, :, 1, :, 3] = signs[:, rows].T
    maps = 0.5 * maps.reshape(len(ranges), -1, 4 * n_qubits)
    return picks.to(device), maps.to(dtype=dtype, device=device)


def _angle_grads(grad_mats: torch.Tensor, mats: torch.Tensor, phi: torch.Tensor, ranges: tuple) -> torch.Tensor:
    """Gradient of the angles ``(B, L, n, 3)`` from the conjugated gradients of the layer matrices ``W_l = P_l K_l``.

    Each angle's derivative of ``K = g_0 (x) ... (x) g_{n-1}`` is ``K`` times a Pauli generator on its wire: with
    ``Rot = RZ(omega) RY(theta) RZ(phi)``, ``dK/dphi_q = K (-i/2) Z_q``, ``dK/domega_q = (-i/2) Z_q K`` and
    ``dK/dtheta_q = K RZ_q(phi)^dag (-i/2) Y_q RZ_q(phi)``. With ``G`` the gradient of ``K`` and ``M = G^H K``,
    ``df/da = Re tr(G^H dK/da)`` is ``sum_j Im M_jj z_q(j) / 2`` for ``phi``, the same of ``K G^H`` for ``omega``, and
    ``Re(e^{-i phi} s0 - e^{i phi} s1) / 2`` for ``theta``, with ``s0``, ``s1`` the sums of ``M[j, j ^ bit_q]`` over
    the states whose bit ``q`` is 0, 1. The CNOT ring ``P`` (a permutation) leaves ``M = G_W^H W`` unchanged and
    permutes the diagonal of ``K G^H``. All of it is one matrix product per layer, a gather, and one real matrix
    product (:func:`_angle_maps`), whatever the number of wires.
    """
    n_qubits = phi.shape[-2]
    picks, maps = _angle_maps(n_qubits, ranges, phi.dtype, phi.device)
    m = grad_mats.mT @ mats  # (B, L, D, D): M = G^H W, as grad_mats holds conj(G)
    diag = (mats * grad_mats).sum(-1, keepdim=True).mT  # (B, L, 1, D): diag(W G^H)
    picked = torch.cat([m.flatten(-2).index_select(-1, picks).unsqueeze(-2), diag], -1)  # (B, L, 1, (n + 2) D)
    parts = (torch.view_as_real(picked).flatten(-2) @ maps).view(*phi.shape[:-1], 4)  # (B, L, n, 4)
    grad_theta = (phi * parts[..., 1:3]).sum(-1)  # cos phi * real + sin phi * imaginary coefficient
    return torch.stack([parts[..., 0], grad_theta, parts[..., 3]], -1)
