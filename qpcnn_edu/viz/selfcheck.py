"""Self-checks for the book: quick questions that answer at once, and checks of the readers' code.

Two kinds, both readable wherever the book is read:

* **Questions** (multiple choice or a number) are plain HTML in a Markdown cell, written by :func:`multiple_choice`
  and :func:`numeric_question`. Every option is a ``<details>`` element: clicking it opens its feedback ("Right"
  or "Not quite", with the reason). No JavaScript, no kernel and no network are needed, so they work alike in the
  static HTML book, in JupyterLab and in Colab; ``_static/selfcheck.css`` draws them as boxes in the HTML.
* **Code exercises** end with a ``check_*`` call on the reader's function. Each check runs the function on a few
  cases against the package's own implementation and returns a :class:`CheckResult`, which shows as one line: what
  is right, or the first case that is wrong, with the expected and the actual value. A function that still raises
  ``NotImplementedError`` (the exercise's skeleton) gives "not done yet", not an error, so the chapters run
  top to bottom before the reader has written anything.

The module is over 300 lines because it holds one check per code exercise of chapters 1-5 and the primer, each with
its cases, and the helpers that :mod:`qpcnn_edu.viz.selfcheck_experiments` (the checks of chapters 6-9) shares.

>>> import torch
>>> def my_expvals(probs):
...     raise NotImplementedError
>>> check_expvals(my_expvals).passed
False
>>> def my_expvals(probs):
...     n = probs.numel().bit_length() - 1
...     bits = torch.tensor([[(j >> (n - 1 - k)) & 1 for j in range(2**n)] for k in range(n)])
...     return (1 - 2 * bits).to(probs.dtype) @ probs
>>> check_expvals(my_expvals)
✓ Correct: <Z_k> for 1 to 4 qubits and every wire agree with the package (wire 0 is the most significant bit).
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass
from typing import Callable, Sequence

import torch

from ..nn.layers import QuantumPointwiseConv2d
from ..quantum.circuits import entangling_unitary  # noqa: F401 (the doctest of check_quadratic_forms uses it)
from ..quantum.encoding import amplitude_encode, n_qubits_for

__all__ = ["CheckResult", "Wrong", "reader_name", "run_check", "expect_close", "multiple_choice", "numeric_question",
           "check_pauli_matrices", "check_bloch_vector", "check_partial_trace", "check_pointwise",
           "check_amplitude_encoding", "check_entanglement_entropy", "check_expvals", "check_quadratic_forms"]


# ------------------------------------------------------------------------------------------------ questions
def multiple_choice(question: str, options: Sequence[tuple[str, bool, str]]) -> str:
    """The HTML of a multiple-choice self-check, for a Markdown cell.

    Args:
        question (str): the question, in Markdown (formulas with ``$...$`` are fine here).
        options (Sequence[tuple[str, bool, str]]): ``(label, is_right, why)`` per option; exactly one is right.
            Labels are plain text (a ``<summary>`` is not typeset as math everywhere: write ``⟨Z⟩``, not
            ``$\\langle Z \\rangle$``); ``why`` is Markdown.

    Returns:
        str: a ``<div class="selfcheck">`` block; each option is a ``<details class="choice">`` that opens its
        feedback.

    Raises:
        ValueError: if not exactly one option is right, or there are fewer than two options.

    >>> text = multiple_choice("How many qubits hold 8 channels?",
    ...                        [("3", True, "2³ = 8."), ("8", False, "That is angle encoding.")])
    >>> text.count('<details class="choice">'), text.count("✓ Right"), text.count("✗ Not quite")
    (2, 1, 1)
    """
    options = list(options)
    if len(options) < 2:
        raise ValueError(f"options must hold at least two choices; got {len(options)}.")
    rights = sum(bool(right) for _, right, _ in options)
    if rights != 1:
        raise ValueError(f"options must have exactly one right answer; got {rights}.")
    parts = ['<div class="selfcheck">', "", f"**Check yourself.** {question.strip()}", ""]
    for letter, (label, right, why) in zip("abcdefgh", options):
        verdict = "✓ Right." if right else "✗ Not quite."
        parts += [f'<details class="choice"><summary>({letter}) {html.escape(label)}</summary>', "",
                  f"{verdict} {why.strip()}", "", "</details>"]
    parts += ["", "</div>"]
    return "\n".join(parts)


def numeric_question(question: str, answer: str, why: str) -> str:
    """The HTML of a self-check whose answer is a number or a short phrase: work it out, then click to compare.

    >>> numeric_question("How many angles has a 3-qubit, 2-layer circuit?", "18", "3 L n.").count("<details")
    1
    """
    return "\n".join(['<div class="selfcheck">', "", f"**Check yourself.** {question.strip()}", "",
                      '<details class="choice"><summary>Show the answer</summary>', "",
                      f"**{answer.strip()}** {why.strip()}", "", "</details>", "", "</div>"])


# ------------------------------------------------------------------------------------------------ code checks
@dataclass(frozen=True)
class CheckResult:
    """The verdict of a ``check_*`` function: ``passed`` and a one-line ``message`` (shown as the cell's output).

    It is true exactly when the check passed, and shows as its message:

    >>> result = CheckResult(False, "✗ Not yet: for 1 qubit, expected [1.0]; got [0.0].")
    >>> bool(result), result
    (False, ✗ Not yet: for 1 qubit, expected [1.0]; got [0.0].)
    """

    passed: bool
    message: str

    def __bool__(self) -> bool:
        return self.passed

    def __repr__(self) -> str:
        return self.message


class Wrong(Exception):
    """Raised by a check's body at the first wrong case; its text becomes the "✗ Not yet: ..." message.

    >>> def body():
    ...     raise Wrong("for x = 2, expected 4; got 5.")
    >>> run_check("square", "squares of 1 to 3.", body)
    ✗ Not yet: for x = 2, expected 4; got 5.
    """


def reader_name(function, default: str) -> str:
    """The reader's name for their function (``my_encode``), for the messages; ``default`` for a lambda.

    >>> def my_encode(x): ...
    >>> reader_name(my_encode, "encode"), reader_name(lambda x: x, "encode")
    ('my_encode', 'encode')
    """
    name = getattr(function, "__name__", default)
    return default if name == "<lambda>" else name


def run_check(name: str, what: str, body: Callable[[], None]) -> CheckResult:
    """Run a check's ``body`` (which raises :class:`Wrong` at its first wrong case) and give the verdict.

    ``NotImplementedError`` (the exercise's skeleton) gives "Not done yet"; any other error of the reader's code
    is reported with ``name``, not raised, so the notebook keeps running; otherwise "✓ Correct: " + ``what``.

    >>> run_check("my_f", "f(1) = 2.", lambda: None)
    ✓ Correct: f(1) = 2.
    >>> run_check("my_f", "f(1) = 2.", lambda: 1 / 0)
    ✗ my_f raised ZeroDivisionError: division by zero
    """
    try:
        body()
    except NotImplementedError:
        return CheckResult(False, f"Not done yet: {name} still raises NotImplementedError.\n"
                                  "Write its body and run the cell again.")
    except Wrong as wrong:
        return CheckResult(False, f"✗ Not yet: {wrong}")
    except Exception as error:  # the reader's code failed: say where, keep the notebook running
        return CheckResult(False, f"✗ {name} raised {type(error).__name__}: {error}")
    return CheckResult(True, f"✓ Correct: {what}")


def _as_tensor(value, dtype=torch.complex128) -> torch.Tensor:
    return torch.as_tensor(value).detach().to(dtype) if not torch.is_tensor(value) else value.detach().to(dtype)


def expect_close(got, expected: torch.Tensor, case: str, atol: float = 1e-6):
    """Raise :class:`Wrong` naming ``case`` unless ``got`` has ``expected``'s shape and values (to ``atol``).

    >>> expect_close([1.0, 2.5], torch.tensor([1.0, 2.0]), "for x = (1, 2)")
    Traceback (most recent call last):
    ...
    qpcnn_edu.viz.selfcheck.Wrong: for x = (1, 2): expected [1, 2] (shape (2,)); got [1, 2.5] (shape (2,)).
    """
    try:
        got = _as_tensor(got, expected.dtype)
    except (TypeError, ValueError, RuntimeError) as error:
        raise Wrong(f"{case}: expected a tensor like {tuple(expected.shape)}; got {type(got).__name__} ({error}).")
    if tuple(got.shape) != tuple(expected.shape):
        raise Wrong(f"{case}: expected shape {tuple(expected.shape)}; got {tuple(got.shape)}.")
    if not torch.allclose(got, expected, atol=atol, rtol=1e-5):
        raise Wrong(f"{case}: expected {_short(expected)}; got {_short(got)}.")


def _number(v: complex) -> str:
    re_, im = round(v.real, 4) + 0.0, round(v.imag, 4) + 0.0  # + 0.0: no "-0"
    if im == 0:
        return f"{re_:.4g}"
    if re_ == 0:
        return f"{im:.4g}j"
    return f"{re_:.4g}{im:+.4g}j"


def _short(t: torch.Tensor) -> str:
    values = [_number(complex(v)) for v in t.detach().flatten()[:8].tolist()]
    return f"[{', '.join(values)}{', ...' if t.numel() > 8 else ''}] (shape {tuple(t.shape)})"


def _random_state(n: int, generator: torch.Generator) -> torch.Tensor:
    psi = torch.randn(2**n, dtype=torch.complex128, generator=generator)
    return psi / psi.norm()


_PAULI = {"X": torch.tensor([[0, 1], [1, 0]], dtype=torch.complex128),
          "Y": torch.tensor([[0, -1j], [1j, 0]], dtype=torch.complex128),
          "Z": torch.tensor([[1, 0], [0, -1]], dtype=torch.complex128)}


def check_pauli_matrices(X, Y, Z) -> CheckResult:
    """Check the reader's Pauli matrices X, Y, Z (2×2, any dtype that holds complex numbers).

    >>> check_pauli_matrices([[0, 1], [1, 0]], [[0, -1j], [1j, 0]], [[1, 0], [0, -1]]).passed
    True
    >>> check_pauli_matrices([[0, 1], [1, 0]], [[0, 1j], [-1j, 0]], [[1, 0], [0, -1]])
    ✗ Not yet: Y: expected [0, -1j, 1j, 0] (shape (2, 2)); got [0, 1j, -1j, 0] (shape (2, 2)).
    """
    def body():
        for name, got in zip("XYZ", (X, Y, Z)):
            expect_close(got, _PAULI[name], name)
    return run_check("your matrices", "X, Y and Z are the Pauli matrices (Hermitian, unitary, squaring to I).", body)


def check_bloch_vector(bloch_vector: Callable) -> CheckResult:
    """Check ``bloch_vector(psi)`` -> ``(⟨X⟩, ⟨Y⟩, ⟨Z⟩)`` of a one-qubit state ``psi`` of shape ``(2,)``.

    >>> check_bloch_vector(lambda psi: [float((psi.conj() @ P @ psi).real) for P in _PAULI.values()]).passed
    True
    """
    def body():
        generator = torch.Generator().manual_seed(1)
        cases = [("|0>", torch.tensor([1, 0], dtype=torch.complex128)),
                 ("|1>", torch.tensor([0, 1], dtype=torch.complex128)),
                 ("|+>", torch.tensor([1, 1], dtype=torch.complex128) / math.sqrt(2)),
                 ("(|0> + i|1>)/sqrt(2)", torch.tensor([1, 1j], dtype=torch.complex128) / math.sqrt(2))]
        cases += [(f"random state {i}", _random_state(1, generator)) for i in range(3)]
        for label, psi in cases:
            expected = torch.stack([(psi.conj() @ P @ psi).real for P in _PAULI.values()])
            expect_close(bloch_vector(psi.clone()), expected, f"for {label}", atol=1e-6)
    return run_check(reader_name(bloch_vector, "bloch_vector"),
                     "the Bloch vectors of |0>, |1>, |+>, |+i> and three random states.", body)


def check_partial_trace(reduced_state: Callable) -> CheckResult:
    """Check ``reduced_state(psi, qubit)`` -> the 2×2 reduced density matrix of one qubit of an n-qubit ``psi``.

    >>> def reduced_state(psi, qubit):
    ...     n = psi.numel().bit_length() - 1
    ...     m = psi.reshape([2] * n).movedim(qubit, 0).reshape(2, -1)
    ...     return m @ m.conj().T
    >>> check_partial_trace(reduced_state).passed
    True
    """
    def body():
        generator = torch.Generator().manual_seed(2)
        bell = torch.tensor([1, 0, 0, 1], dtype=torch.complex128) / math.sqrt(2)
        cases = [("the Bell state, qubit 0", bell, 0)]
        for n in (2, 3, 4):
            psi = _random_state(n, generator)
            cases += [(f"a random {n}-qubit state, qubit {q}", psi, q) for q in range(n)]
        for label, psi, qubit in cases:
            n = psi.numel().bit_length() - 1
            m = psi.reshape([2] * n).movedim(qubit, 0).reshape(2, -1)
            expect_close(reduced_state(psi.clone(), qubit), m @ m.conj().T, f"for {label}")
    return run_check(reader_name(reduced_state, "reduced_state"),
                     "the reduced states of every qubit of 2-, 3- and 4-qubit states (wire 0 is the "
                     "most significant bit).", body)


def check_pointwise(pointwise: Callable) -> CheckResult:
    """Check ``pointwise(x, weight, bias)``: a 1×1 convolution of ``x`` (B, C, H, W) with ``weight`` (C_out, C).

    >>> check_pointwise(lambda x, w, b: torch.einsum("oc,bchw->bohw", w, x) + b.view(1, -1, 1, 1)).passed
    True
    """
    def body():
        generator = torch.Generator().manual_seed(3)
        for shape, c_out in [((2, 8, 5, 5), 3), ((1, 3, 4, 6), 5), ((3, 1, 2, 2), 2)]:
            conv = torch.nn.Conv2d(shape[1], c_out, 1).double()
            x = torch.randn(shape, dtype=torch.float64, generator=generator)
            with torch.no_grad():
                expected = conv(x)
                got = pointwise(x.clone(), conv.weight[:, :, 0, 0].clone(), conv.bias.clone())
            expect_close(got, expected, f"for x of shape {shape} and {c_out} output channels")
    return run_check(reader_name(pointwise, "pointwise"), "equal to nn.Conv2d(kernel_size=1) for three shapes.", body)


def check_amplitude_encoding(encode: Callable) -> CheckResult:
    """Check ``encode(x)`` -> the amplitudes (2**n,) of one pixel ``x`` (C,): padded, normalized, zero -> |0…0⟩.

    >>> check_amplitude_encoding(lambda x: amplitude_encode(x, dim=0)).passed
    True
    """
    def body():
        cases = [("x = (3, 4)", torch.tensor([3.0, 4.0])), ("x = (0.8, 0.3, 0, 0.5, 0.1)",
                 torch.tensor([0.8, 0.3, 0.0, 0.5, 0.1])), ("x = (-1, 2, 2)", torch.tensor([-1.0, 2.0, 2.0])),
                 ("a single channel x = (5)", torch.tensor([5.0])), ("the zero pixel (C = 5)", torch.zeros(5)),
                 ("the tiny pixel 1e-30 · (1, 2, 3)", 1e-30 * torch.tensor([1.0, 2.0, 3.0]))]
        for label, x in cases:
            got = encode(x.clone())
            expect_close(got, amplitude_encode(x, dim=0).to(torch.float64), f"for {label}")
    return run_check(reader_name(encode, "encode"),
                     "padding, normalization, the zero pixel (|0…0⟩) and a tiny pixel all match "
                     "amplitude_encode.", body)


def check_entanglement_entropy(entropy: Callable) -> CheckResult:
    """Check ``entropy(psi, qubit)`` -> the entanglement entropy (bits) of one qubit of a pure state ``psi``.

    >>> def entropy(psi, qubit):
    ...     n = psi.numel().bit_length() - 1
    ...     m = psi.reshape([2] * n).movedim(qubit, 0).reshape(2, -1)
    ...     p = torch.linalg.eigvalsh(m @ m.conj().T).clamp(min=1e-300)
    ...     return float(-(p * torch.log2(p)).sum())
    >>> check_entanglement_entropy(entropy).passed
    True
    """
    def body():
        generator = torch.Generator().manual_seed(4)
        product = torch.kron(torch.tensor([1, 1], dtype=torch.complex128) / math.sqrt(2),
                             torch.tensor([1, 0], dtype=torch.complex128))
        ghz = torch.zeros(8, dtype=torch.complex128)
        ghz[0] = ghz[7] = 1 / math.sqrt(2)
        cases = [("the product state |+>|0>, qubit 0", product, 0), ("the GHZ state, qubit 2", ghz, 2)]
        for n in (2, 3):
            psi = _random_state(n, generator)
            cases += [(f"a random {n}-qubit state, qubit {q}", psi, q) for q in range(n)]
        for label, psi, qubit in cases:
            n = psi.numel().bit_length() - 1
            m = psi.reshape([2] * n).movedim(qubit, 0).reshape(2, -1)
            p = torch.linalg.eigvalsh(m @ m.conj().T).clamp(min=0)
            p = p[p > 1e-12]
            expected = torch.tensor(float(-(p * torch.log2(p)).sum()), dtype=torch.float64)
            expect_close(entropy(psi.clone(), qubit), expected, f"for {label}", atol=1e-6)
    return run_check(reader_name(entropy, "entropy"),
                     "0 bits for a product state, 1 bit for GHZ, and random states match.", body)


def check_expvals(expvals: Callable) -> CheckResult:
    """Check ``expvals(probs)`` -> ⟨Z_k⟩ for k = 0 … n-1 from the 2**n basis-state probabilities.

    (The module's example passes a correct function.) One that reads the wires in the wrong order is caught:

    >>> def my_expvals(probs):
    ...     n = probs.numel().bit_length() - 1
    ...     bits = torch.tensor([[(j >> k) & 1 for j in range(2**n)] for k in range(n)])  # wire 0 = least significant
    ...     return (1 - 2 * bits).to(probs.dtype) @ probs
    >>> result = check_expvals(my_expvals)
    >>> result.passed
    False
    >>> result  # doctest: +ELLIPSIS
    ✗ Not yet: for 2 qubits, p = ...: expected [-0.2462, -0.3009] (shape (2,)); got [-0.3009, -0.2462] (shape (2,)).
    """
    def body():
        generator = torch.Generator().manual_seed(5)
        for n in (1, 2, 3, 4):
            p = torch.rand(2**n, dtype=torch.float64, generator=generator)
            p = p / p.sum()
            j = torch.arange(2**n)
            signs = torch.stack([1 - 2 * ((j >> (n - 1 - k)) & 1) for k in range(n)]).to(torch.float64)
            expect_close(expvals(p.clone()), signs @ p, f"for {n} qubit{'s' if n > 1 else ''}, p = {_short(p)}")
    return run_check(reader_name(expvals, "expvals"),
                     "<Z_k> for 1 to 4 qubits and every wire agree with the package (wire 0 is the most "
                     "significant bit).", body)


def check_quadratic_forms(quadratic_forms: Callable) -> CheckResult:
    """Check ``quadratic_forms(weights, C)`` -> M (n, C, C), the real symmetric matrices with out_k = xᵀM_k x / xᵀx.

    ``weights`` has shape ``(n_layers, n_qubits, 3)`` (one kernel).

    >>> def quadratic_forms(weights, C):
    ...     U = entangling_unitary(weights)
    ...     n, D = weights.shape[1], 2 ** weights.shape[1]
    ...     j = torch.arange(D)
    ...     z = [torch.diag((1 - 2 * ((j >> (n - 1 - k)) & 1)).to(U.dtype)) for k in range(n)]
    ...     return torch.stack([(U.conj().T @ zk @ U).real[:C, :C] for zk in z])
    >>> check_quadratic_forms(quadratic_forms).passed
    True
    """
    def body():
        generator = torch.Generator().manual_seed(6)
        for C, n_layers in [(2, 1), (5, 2), (8, 2), (16, 1)]:
            layer = QuantumPointwiseConv2d(C, n_layers=n_layers).double()
            with torch.no_grad():
                layer.weights.copy_(torch.rand(layer.weights.shape, dtype=torch.float64, generator=generator) * 6.3)
            expected = layer.quadratic_forms()[0, :, :C, :C].detach()
            got = quadratic_forms(layer.weights[0].detach().clone(), C)
            expect_close(got, expected, f"for C = {C} ({n_qubits_for(C)} qubits), L = {n_layers}", atol=1e-8)
    return run_check(reader_name(quadratic_forms, "quadratic_forms"),
                     "M_k matches layer.quadratic_forms() for C = 2, 5, 8, 16.", body)

