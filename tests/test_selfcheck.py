"""qpcnn_edu.viz.selfcheck: the book's self-check questions (portable HTML) and the check_* functions of its code
exercises (right answers pass, wrong ones are named with the case, unfinished skeletons say "not done yet")."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest
import torch

from qpcnn_edu import amplitude_encode, entangling_unitary
from qpcnn_edu.viz import selfcheck as sc

ROOT = Path(__file__).resolve().parent.parent
PAGES = sorted((ROOT / "book").glob("[0-9][0-9]_*.ipynb")) + [ROOT / "book" / "primer.ipynb",
                                                                    ROOT / "book" / "notation.md"]


# ------------------------------------------------------------------------------------------- questions
def test_multiple_choice_markup():
    text = sc.multiple_choice("Which?", [("a <b>", False, "No."), ("c", True, "Yes.")])
    assert text.startswith('<div class="selfcheck">') and text.endswith("</div>")
    assert text.count('<details class="choice">') == text.count("</details>") == 2
    assert "a &lt;b&gt;" in text, "labels are escaped"
    assert "✓ Right. Yes." in text and "✗ Not quite. No." in text


@pytest.mark.parametrize("options, match", [([("a", True, "")], "at least two"),
                                            ([("a", True, ""), ("b", True, "")], "exactly one right answer; got 2"),
                                            ([("a", False, ""), ("b", False, "")], "exactly one right answer; got 0")])
def test_multiple_choice_refuses_bad_questions(options, match):
    with pytest.raises(ValueError, match=match):
        sc.multiple_choice("?", options)


def _markdown(page: Path) -> str:
    if page.suffix == ".md":
        return page.read_text(encoding="utf-8")
    cells = json.loads(page.read_text(encoding="utf-8"))["cells"]
    return "\n\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.stem)
def test_every_page_has_well_formed_self_checks(page):
    """At least one self-check; each multiple choice has one right option; blank lines keep the Markdown alive."""
    text = _markdown(page)
    blocks = re.findall(r'<div class="selfcheck">(.*?)</div>', text, re.S)
    assert blocks, f"{page.name} has no self-check"
    for block in blocks:
        options = re.findall(r'<details class="choice"><summary>(.*?)</summary>\n\n(.*?)\n\n</details>', block, re.S)
        assert options and len(options) == block.count("<details"), f"malformed self-check in {page.name}: {block}"
        if len(options) > 1:
            verdicts = [body.split(" ", 1)[0] for _, body in options]
            assert verdicts.count("✓") == 1 and verdicts.count("✗") == len(options) - 1, block
        for label, _ in options:
            assert "$" not in label and "\\" not in label, "a <summary> is not typeset as math everywhere"


# ------------------------------------------------------------------------------------------- code checks
def _not_done(*args):
    raise NotImplementedError


def _reduced(psi, qubit):
    n = psi.numel().bit_length() - 1
    m = psi.reshape([2] * n).movedim(qubit, 0).reshape(2, -1)
    return m @ m.conj().T


def _entropy(psi, qubit):
    p = torch.linalg.eigvalsh(_reduced(psi, qubit)).clamp(min=1e-300)
    return float(-(p * torch.log2(p)).sum())


def _expvals(probs):
    n = probs.numel().bit_length() - 1
    bits = torch.tensor([[(j >> (n - 1 - k)) & 1 for j in range(2**n)] for k in range(n)])
    return (1 - 2 * bits).to(probs.dtype) @ probs


def _forms(weights, C):
    U = entangling_unitary(weights)
    n = weights.shape[1]
    j = torch.arange(2**n)
    return torch.stack([(U.conj().T @ torch.diag((1 - 2 * ((j >> (n - 1 - k)) & 1)).to(U.dtype)) @ U).real[:C, :C]
                        for k in range(n)])


def _naive_encode(x):
    n = max(1, math.ceil(math.log2(len(x))))
    padded = torch.cat([x, torch.zeros(2**n - len(x))])
    return padded / padded.norm()


RIGHT_AND_WRONG = [
    (sc.check_bloch_vector, lambda psi: [float((psi.conj() @ P @ psi).real) for P in sc._PAULI.values()],
     lambda psi: [float((psi.conj() @ P @ psi).real) for P in (sc._PAULI["X"], sc._PAULI["X"], sc._PAULI["Z"])],
     "for |+>"),
    (sc.check_partial_trace, _reduced, lambda psi, q: _reduced(psi, 0), "qubit 1"),
    (sc.check_pointwise, lambda x, w, b: torch.einsum("oc,bchw->bohw", w, x) + b.view(1, -1, 1, 1),
     lambda x, w, b: torch.einsum("oc,bchw->bohw", w, x), "for x of shape (2, 8, 5, 5)"),
    (sc.check_amplitude_encoding, lambda x: amplitude_encode(x, dim=0), _naive_encode, "for the zero pixel"),
    (sc.check_entanglement_entropy, _entropy, lambda psi, q: _entropy(psi, 0) / math.log2(math.e), "GHZ"),
    (sc.check_expvals, _expvals, lambda p: _expvals(p).flip(0), "for 2 qubits"),
    (sc.check_quadratic_forms, _forms, lambda w, C: -_forms(w, C),
     "for C = 2"),
]


@pytest.mark.parametrize("check, right, wrong, case", RIGHT_AND_WRONG, ids=lambda v: getattr(v, "__name__", ""))
def test_checks_pass_right_answers_and_name_the_first_wrong_case(check, right, wrong, case):
    result = check(right)
    assert result.passed and bool(result) and repr(result).startswith("✓ Correct:"), repr(result)
    result = check(wrong)
    assert not result.passed and repr(result).startswith("✗ Not yet:") and case in repr(result), repr(result)
    assert "expected" in repr(result)


@pytest.mark.parametrize("check", [row[0] for row in RIGHT_AND_WRONG], ids=lambda f: f.__name__)
def test_an_unfinished_skeleton_is_not_an_error(check):
    result = check(_not_done)
    assert not result.passed and "Not done yet" in repr(result) and "NotImplementedError" in repr(result)


def test_a_crash_in_the_readers_code_is_reported_not_raised():
    result = sc.check_expvals(lambda p: p.reshape(3, 7))
    assert not result.passed and "expvals raised RuntimeError" in repr(result)


def test_wrong_shapes_are_named():
    result = sc.check_expvals(lambda p: p)
    assert "expected shape (1,); got (2,)" in repr(result)


def test_pauli_matrices():
    X, Y, Z = ([[0, 1], [1, 0]], [[0, -1j], [1j, 0]], [[1, 0], [0, -1]])
    assert sc.check_pauli_matrices(X, Y, Z).passed
    assert "Z: expected" in repr(sc.check_pauli_matrices(X, Y, [[0, 1], [1, 0]]))
    assert "expected a tensor" in repr(sc.check_pauli_matrices(X, Y, "Z"))
