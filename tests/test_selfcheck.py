"""qpcnn_edu.viz.selfcheck: the book's self-check questions (portable HTML) and the check_* functions of its code
exercises (right answers pass, wrong ones are named with the case, unfinished skeletons say "not done yet")."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from scipy import stats

from qpcnn_edu import amplitude_encode, entangling_unitary, n_qubits_for
from qpcnn_edu.viz import selfcheck as sc
from qpcnn_edu.viz import selfcheck_experiments as se

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


def _welch(a, b):
    ci = stats.ttest_ind(a, b, equal_var=False).confidence_interval(0.95)
    return np.mean(a) - np.mean(b), ci.low, ci.high


def _pooled(a, b):  # Student's interval: right only for arms of equal size and spread
    ci = stats.ttest_ind(a, b).confidence_interval(0.95)
    return np.mean(a) - np.mean(b), ci.low, ci.high


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
    # chapters 6-9 (selfcheck_experiments): the typical slip of each exercise
    (se.check_param_difference, lambda C, L: (C + 1 - 3 * L) * n_qubits_for(C), lambda C, L: 27 - 9 * L,
     "for C = 16 (4 qubits), L = 2: expected 44; got 9."),
    (se.check_qpcnn_parameters, lambda c, s, b: 72 * c + 8 + 18 + 28 * b + 10 * b * (s // 4) ** 2 + 10,
     lambda c, s, b: 72 * c + 8 + 18 + 28 * b + 10 * b * 7 * 7 + 10,
     "for 3 channels, 32 x 32 images, body_channels = 16: expected 10,940; got 8,540."),
    (se.check_welch_interval, _welch, _pooled, "for a = [88.9, 90.6, 89.4], b = [89.9, 90.0"),
    (se.check_shot_std, lambda z, S: math.sqrt((1 - z * z) / S), lambda z, S: 1 / math.sqrt(S),
     "for <Z> = 0.6 and S = 100 shots: expected 0.08; got 0.1."),
    (se.check_training_circuits, lambda n, L, C, pixels: pixels * (1 + 6 * L * n + 2 * C),
     lambda n, L, C, pixels: pixels * (1 + 6 * L * n),
     "for the default QPCNN on FashionMNIST (n = 3, L = 2, C = 8, 196 pixels): expected 10,388; got 7,252."),
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


# ------------------------------------------------------------------------------ checks of chapters 6-9
def _normal(a, b):
    diff = np.mean(a) - np.mean(b)
    se_ = math.sqrt(np.var(a, ddof=1) / len(a) + np.var(b, ddof=1) / len(b))
    return diff, diff - 1.96 * se_, diff + 1.96 * se_


@pytest.mark.parametrize("wrong, case", [
    (_normal, "for a = [90.1, 90.3, 89.9, 90.2, 90.0]"),  # the normal quantile instead of Welch's t
    (lambda a, b: _welch(b, a), "for a = [90.1, 90.3"),  # b - a
    (lambda a, b: _welch(a, b)[1:], "expected shape (3,); got (2,)"),
])
def test_welch_interval_catches_other_slips(wrong, case):
    result = se.check_welch_interval(wrong)
    assert not result.passed and case in repr(result), repr(result)


def test_shot_std_quotes_the_simulated_spread():
    message = repr(se.check_shot_std(lambda z, S: ((1 - z**2) / S) ** 0.5))
    assert message.startswith("✓ Correct:") and "0.1349 measured, 0.1349 predicted" in message
    result = se.check_shot_std(lambda z, S: math.sqrt(1 - z * z) / S)  # the square root of S forgotten
    assert not result.passed and "for <Z> = 0 and S = 100 shots: expected 0.1; got 0.01." in repr(result)


def test_counts_must_be_one_number_and_crashes_are_reported():
    result = se.check_training_circuits(lambda n, L, C, pixels: [pixels, n])
    assert not result.passed and "expected one number, 10,388; got list" in repr(result), repr(result)
    result = se.check_param_difference(lambda C, L: C / 0)
    assert not result.passed and "param_difference raised ZeroDivisionError" in repr(result)
    assert se.check_qpcnn_parameters(lambda c, s, b: torch.tensor(72 * c + 26 + 28 * b + 10 * b * (s // 4) ** 2
                                                                   + 10)).passed, "a 0-d tensor is a number"


def test_the_new_checks_import_only_public_names_of_selfcheck():
    source = Path(se.__file__).read_text(encoding="utf-8")
    imported = re.search(r"from \.selfcheck import ([^\n]+)", source).group(1).split(", ")
    assert imported and all(not name.startswith("_") and name in sc.__all__ for name in imported), imported
