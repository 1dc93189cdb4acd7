"""Tests of qpcnn_edu.quantum.hardware: gate counts against PennyLane's own, execution counts by hand, errors."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pennylane as qml
import pytest
import torch

from qpcnn_edu import reference_qnode
from qpcnn_edu.quantum.hardware import (DEFAULT_CONFIGS, HARDWARE_PROFILES, circuit_resources, cost_table, format_cost_table,
                                format_duration, training_cost)

SIZES = [(n, L) for n in (1, 2, 3, 4) for L in (1, 2, 3)]


def generic_features(n_qubits, seed=0):
    """Random complex amplitudes, none zero (a different vector from the module's)."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.2, 1.0, 2**n_qubits) * np.exp(1j * rng.uniform(0.1, 6.0, 2**n_qubits))
    return x / np.linalg.norm(x)


def random_weights(n_layers, n_qubits, seed=0):
    return np.random.default_rng(seed).uniform(0.1, 6.0, (n_layers, n_qubits, 3))


def specs_of_decomposed(n_qubits, n_layers, gate_set, features, state_prep=True):
    """PennyLane's qml.specs of the QPC circuit under qml.transforms.decompose(gate_set)."""
    wires = list(range(n_qubits))
    dev = qml.device("default.qubit", wires=n_qubits)

    @qml.transforms.decompose(gate_set=set(gate_set))
    @qml.qnode(dev)
    def circuit(x, w):
        if state_prep:
            qml.AmplitudeEmbedding(x, wires=wires, normalize=True)
        qml.StronglyEntanglingLayers(w, wires=wires)
        return [qml.expval(qml.PauliZ(i)) for i in wires]

    with qml.decomposition.toggle_graph_ctx(False):
        return qml.specs(circuit, level="user")(features, random_weights(n_layers, n_qubits)).resources


# --------------------------------------------------------------------------------------------------
# Gate counts versus PennyLane
# --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("n_qubits, n_layers", SIZES)
def test_full_circuit_matches_qml_specs(n_qubits, n_layers):
    res = circuit_resources(n_qubits, n_layers)
    spec = specs_of_decomposed(n_qubits, n_layers, ("RZ", "RY", "CNOT"), generic_features(n_qubits, seed=n_layers))
    assert res.gate_counts == dict(spec.gate_types)
    assert res.total_gates == spec.num_gates == sum(res.gate_counts.values())
    assert res.depth == spec.depth
    assert res.two_qubit_gates == spec.gate_sizes.get(2, 0) == res.gate_counts.get("CNOT", 0)
    assert set(res.gate_counts) <= {"RZ", "RY", "CNOT"}


@pytest.mark.parametrize("n_qubits, n_layers", SIZES)
def test_trainable_part_matches_qml_specs(n_qubits, n_layers):
    res = circuit_resources(n_qubits, n_layers)
    spec = specs_of_decomposed(n_qubits, n_layers, ("RZ", "RY", "CNOT"), None, state_prep=False)
    assert res.trainable.gate_counts == dict(spec.gate_types)
    assert res.trainable.depth == spec.depth


@pytest.mark.parametrize("n_qubits, n_layers", SIZES)
def test_opaque_state_prep_matches_reference_qnode_on_device(n_qubits, n_layers):
    """Without decomposing the state preparation: what default.qubit executes for reference_qnode."""
    res = circuit_resources(n_qubits, n_layers, basis=("Rot", "CNOT"), decompose_state_prep=False)
    qnode = reference_qnode(n_qubits, n_layers)
    spec = qml.specs(qnode, level="device")(generic_features(n_qubits).real, random_weights(n_layers, n_qubits))
    assert res.gate_counts == dict(spec.resources.gate_types)
    assert res.total_gates == spec.resources.num_gates
    assert res.depth == spec.resources.depth
    assert res.state_prep.gate_counts == {"AmplitudeEmbedding": 1}
    assert res.two_qubit_gates == res.gate_counts.get("CNOT", 0)  # the 2-wire embedding (n = 2) is not counted


@pytest.mark.parametrize("n_qubits, n_layers", SIZES)
def test_strongly_entangling_layers_are_rot_and_cnot(n_qubits, n_layers):
    """n*L Rot gates and n*L CNOTs (none on one qubit), as PennyLane decomposes the template itself."""
    ops = qml.StronglyEntanglingLayers(random_weights(n_layers, n_qubits), wires=range(n_qubits)).decomposition()
    pl_counts = Counter(op.name for op in ops)
    expected_cnots = n_qubits * n_layers if n_qubits > 1 else 0
    assert pl_counts == Counter({"Rot": n_qubits * n_layers, **({"CNOT": expected_cnots} if expected_cnots else {})})
    res = circuit_resources(n_qubits, n_layers, basis=("Rot", "RY", "RZ", "CNOT"))
    assert res.trainable.gate_counts == dict(pl_counts)
    assert res.trainable.two_qubit_gates == expected_cnots
    # in the default basis every Rot is RZ RY RZ
    default = circuit_resources(n_qubits, n_layers).trainable.gate_counts
    assert default == {"RZ": 2 * n_qubits * n_layers, "RY": n_qubits * n_layers,
                       **({"CNOT": expected_cnots} if expected_cnots else {})}


@pytest.mark.parametrize("n_qubits", [1, 2, 3, 4, 5])
def test_state_prep_closed_forms(n_qubits):
    """Möttönen: 2^n - 1 RY (and as many RZ for phases), 2^n - 2 CNOTs per cascade."""
    rotations, cnots = 2**n_qubits - 1, 2**n_qubits - 2
    generic = circuit_resources(n_qubits, 1).state_prep
    assert generic.gate_counts == {"RY": rotations, "RZ": rotations, **({"CNOT": 2 * cnots} if cnots else {})}
    assert generic.two_qubit_gates == 2 * cnots
    positive = circuit_resources(n_qubits, 1, amplitudes="nonnegative").state_prep
    assert positive.gate_counts == {"RY": rotations, **({"CNOT": cnots} if cnots else {})}


@pytest.mark.parametrize("n_qubits", [2, 3])
def test_generic_count_is_pennylanes_count_for_a_differentiable_input(n_qubits):
    """PennyLane never skips a gate for a trainable input: the generic structure is exactly that circuit."""
    x = torch.tensor(np.random.default_rng(3).uniform(0.1, 1.0, 2**n_qubits), requires_grad=True)
    tape = qml.tape.QuantumScript([qml.AmplitudeEmbedding(x, wires=range(n_qubits), normalize=True)])
    with qml.decomposition.toggle_graph_ctx(False):
        (tape,), _ = qml.transforms.decompose(tape, gate_set={"RZ", "RY", "CNOT", "GlobalPhase"})
    counts = Counter(op.name for op in tape.operations if op.name != "GlobalPhase")
    assert dict(counts) == circuit_resources(n_qubits, 1).state_prep.gate_counts


def test_special_inputs_lose_gates_so_a_generic_input_is_needed():
    """A basis state as input would hide rotations: the reason for counting a generic input."""
    ops = qml.MottonenStatePreparation.compute_decomposition(np.array([1.0, 0, 0, 0, 0, 0, 0, 0]), wires=range(3))
    assert sum(op.name in ("RY", "RZ") for op in ops) < circuit_resources(3, 1).state_prep.gate_counts["RY"]


def test_parts_add_up_and_measurement_changes_no_gate():
    res = circuit_resources(3, 2)
    assert Counter(res.state_prep.gate_counts) + Counter(res.trainable.gate_counts) == Counter(res.gate_counts)
    assert res.state_prep.total_gates + res.trainable.total_gates == res.total_gates
    assert max(res.state_prep.depth, res.trainable.depth) <= res.depth <= res.state_prep.depth + res.trainable.depth
    probs = circuit_resources(3, 2, measurement="probs")
    assert (probs.gate_counts, probs.depth) == (res.gate_counts, res.depth)
    assert (res.n_outputs, probs.n_outputs, res.n_trainable) == (3, 8, 18)
    assert res.as_dict()["state_prep"]["gate_counts"] == res.state_prep.gate_counts


def test_counts_do_not_depend_on_the_graph_decomposition_setting():
    from qpcnn_edu.quantum import hardware

    expected = circuit_resources(3, 2)
    hardware._resources.cache_clear()
    with qml.decomposition.toggle_graph_ctx(True):
        assert circuit_resources(3, 2) == expected


def test_custom_ranges_are_used():
    res = circuit_resources(4, 2, ranges=(2, 2))
    ops = qml.StronglyEntanglingLayers(random_weights(2, 4), wires=range(4), ranges=(2, 2)).decomposition()
    cnots = [tuple(op.wires) for op in ops if op.name == "CNOT"]
    assert cnots[:4] == [(0, 2), (1, 3), (2, 0), (3, 1)]
    assert res.ranges == (2, 2) and res.trainable.gate_counts["CNOT"] == 8


@pytest.mark.parametrize("n_qubits", [1, 2, 3, 4])
def test_more_layers_more_gates_and_depth(n_qubits):
    rows = [circuit_resources(n_qubits, L) for L in (1, 2, 3, 4)]
    for a, b in zip(rows, rows[1:]):
        assert b.total_gates > a.total_gates and b.depth > a.depth
        assert b.two_qubit_gates >= a.two_qubit_gates + (n_qubits if n_qubits > 1 else 0)


def test_more_qubits_more_gates_and_depth():
    rows = [circuit_resources(n, 2) for n in (1, 2, 3, 4, 5)]
    for a, b in zip(rows, rows[1:]):
        assert b.total_gates > a.total_gates and b.depth > a.depth and b.two_qubit_gates > a.two_qubit_gates


# --------------------------------------------------------------------------------------------------
# Executions, shots, time
# --------------------------------------------------------------------------------------------------
def test_training_cost_by_hand():
    # 2 qubits, 1 layer, 2 kernels, 2 x 3 pixels, C = 3 channels: P = 6 angles per kernel
    cost = training_cost(2, 1, n_kernels=2, image_hw=(2, 3), n_images=10, shots=500, in_channels=3,
                         time_per_shot_s=1e-3, circuit_overhead_s=0.5)
    assert cost.pixels == 6 and cost.n_weights == 12
    assert cost.circuits_per_pixel_forward == 2
    assert cost.circuits_per_pixel_weight_grad == 2 * (2 * 6)
    assert cost.circuits_per_pixel_input_grad == 2 * (2 * 3)
    assert cost.circuits_per_image_inference == 6 * 2
    assert cost.circuits_per_image_train_step == 6 * (2 + 24 + 12) == 228
    assert cost.circuits_per_epoch == 2280 and cost.shots_per_epoch == 2280 * 500
    assert cost.seconds_per_circuit == pytest.approx(0.5 + 500 * 1e-3)
    assert cost.seconds_per_epoch == pytest.approx(2280 * 1.0)
    assert cost.seconds_per_image_inference == pytest.approx(12.0)
    assert cost.seconds_inference == pytest.approx(120.0)
    assert cost.as_dict()["image_hw"] == (2, 3)


@pytest.mark.parametrize("diff_method, per_kernel", [("parameter-shift", 2 * 18), ("finite-diff", 18), ("spsa", 2)])
def test_diff_methods_and_no_input_gradient(diff_method, per_kernel):
    cost = training_cost(3, 2, n_kernels=3, image_hw=(14, 14), n_images=1, diff_method=diff_method, input_grad="none")
    assert cost.circuits_per_pixel_input_grad == 0
    assert cost.circuits_per_image_train_step == 196 * 3 * (1 + per_kernel)


@pytest.mark.parametrize("diff_method, gradient, extra", [
    ("parameter-shift", qml.gradients.param_shift, 0),
    ("finite-diff", qml.gradients.finite_diff, 1),  # PennyLane also runs the unshifted circuit: our forward pass
    ("spsa", qml.gradients.spsa_grad, 0),
])
def test_weight_gradient_circuits_match_pennylane_gradient_transforms(diff_method, gradient, extra):
    n, L = 2, 2
    ops = [qml.AmplitudeEmbedding(generic_features(n).real, wires=range(n), normalize=True),
           *qml.StronglyEntanglingLayers(random_weights(L, n), wires=range(n)).decomposition()]
    tape = qml.tape.QuantumScript(ops, [qml.expval(qml.PauliZ(i)) for i in range(n)])
    tape.trainable_params = list(range(1, 1 + 3 * n * L))  # the Rot angles (parameter 0 is the input)
    tapes, _ = gradient(tape)
    cost = training_cost(n, L, image_hw=(1, 1), n_images=1, diff_method=diff_method, input_grad="none")
    assert len(tapes) == cost.circuits_per_pixel_weight_grad + extra


def test_input_gradient_by_central_differences_is_exact():
    """The documented rule: f(v) = |v|^2 <Z>(v) is quadratic, so central differences give the exact gradient."""
    n, L = 2, 2
    qnode = reference_qnode(n, L, diff_method="backprop")
    w = torch.tensor(random_weights(L, n))
    x = torch.tensor([0.3, -0.5, 0.2], dtype=torch.float64, requires_grad=True)  # C = 3 channels, padded
    z = torch.stack(list(qnode(x, w)))
    exact = torch.stack([torch.autograd.grad(z[k], x, retain_graph=True)[0] for k in range(n)])
    x0 = x.detach()
    for h in (1.0, 0.3):
        grads = torch.zeros(n, 3, dtype=torch.float64)
        for j in range(3):
            e = torch.zeros(3, dtype=torch.float64)
            e[j] = h
            f_plus = (x0 + e).square().sum() * torch.stack(list(qnode(x0 + e, w)))
            f_minus = (x0 - e).square().sum() * torch.stack(list(qnode(x0 - e, w)))
            grads[:, j] = ((f_plus - f_minus) / (2 * h) - 2 * x0[j] * z.detach()) / x0.square().sum()
        torch.testing.assert_close(grads, exact, atol=1e-12, rtol=0)
    assert training_cost(n, L, in_channels=3, image_hw=(1, 1), n_images=1).circuits_per_pixel_input_grad == 2 * 3


def test_profiles_and_overrides():
    for name, profile in HARDWARE_PROFILES.items():
        cost = training_cost(3, 2, profile=name)
        assert (cost.time_per_shot_s, cost.circuit_overhead_s) == (profile.time_per_shot_s, profile.circuit_overhead_s)
        assert "ASSUMPTION" in profile.note
    a = training_cost(3, 2, profile="trapped-ion", time_per_shot_s=0.0, circuit_overhead_s=2.0)
    assert a.seconds_per_epoch == pytest.approx(2.0 * a.circuits_per_epoch)
    slow = training_cost(3, 2, profile="trapped-ion").seconds_per_epoch
    assert training_cost(3, 2, profile="superconducting").seconds_per_epoch < slow


def test_fashion_mnist_default():
    cost = training_cost(3, 2)
    assert (cost.pixels, cost.in_channels, cost.n_images, cost.shots) == (196, 8, 60000, 1000)
    assert cost.circuits_per_image_train_step == 196 * (1 + 36 + 16)
    assert cost.circuits_per_epoch == 60000 * 196 * 53
    assert cost.seconds_per_epoch == pytest.approx(cost.circuits_per_epoch * (0.1 + 1000 * 1e-4))


def test_cost_table_rows_and_markdown():
    rows = cost_table()
    assert [(r["n_qubits"], r["n_layers"]) for r in rows] == [(3, 1), (3, 2), (3, 4), (4, 2)]
    assert len(rows) == len(DEFAULT_CONFIGS)
    for row in rows:
        res = circuit_resources(row["n_qubits"], row["n_layers"])
        assert (row["gates"], row["two_qubit_gates"], row["depth"]) == (res.total_gates, res.two_qubit_gates, res.depth)
        for name in HARDWARE_PROFILES:
            cost = training_cost(row["n_qubits"], row["n_layers"], profile=name)
            assert row[f"epoch_s[{name}]"] == pytest.approx(cost.seconds_per_epoch)
            assert row["circuits_per_epoch"] == cost.circuits_per_epoch
    assert rows[3]["in_channels"] == 16
    text = cost_table(markdown=True)
    lines = text.splitlines()
    assert len(lines) == 2 + 4 and lines[0].startswith("| qubits | layers |") and "epoch (trapped-ion)" in lines[0]
    assert text == format_cost_table(rows)
    tuples = cost_table([(2, 1, 2), (2, 1, 1, 3)], profiles=["superconducting"], image_hw=(1, 1), n_images=1)
    assert [(r["n_kernels"], r["in_channels"]) for r in tuples] == [(2, 4), (1, 3)]
    assert [k for k in tuples[0] if k.startswith("epoch_s")] == ["epoch_s[superconducting]"]


def test_format_duration():
    assert format_duration(0) == "0 s"
    assert format_duration(59.94) == "59.9 s"
    assert format_duration(3600) == "1 h"
    assert format_duration(365.25 * 86400 * 2.5) == "2.5 yr"


# --------------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs, match", [
    ({"n_qubits": 0}, r"n_qubits must be a positive integer; got 0\."),
    ({"n_qubits": True}, r"n_qubits must be a positive integer; got True\."),
    ({"n_qubits": 13}, r"n_qubits must be at most 12 .*; got 13\."),
    ({"n_layers": 1.5}, r"n_layers must be a positive integer; got 1\.5\."),
    ({"ranges": (1,)}, r"ranges must have one entry per layer \(2\); got 1"),
    ({"ranges": (3, 1)}, r"ranges must not be zero nor divisible by the number of qubits \(3\)"),
    ({"measurement": "sample"}, r"measurement must be one of \('expval', 'probs'\); got 'sample'\."),
    ({"basis": "CNOT"}, r"basis must be a non-empty sequence of PennyLane gate names .*; got 'CNOT'\. Wrap"),
    ({"basis": ()}, r"basis must be a non-empty sequence of PennyLane gate names"),
    ({"basis": ("Rot", "CNOT")}, r"basis must contain every gate .* leaves \['RY', 'RZ'\] undecomposed\. Add"),
    ({"basis": ("RZ", "RY")}, r"leaves \['CNOT'\] undecomposed"),
    ({"decompose_state_prep": 1}, r"decompose_state_prep must be True or False; got 1\."),
    ({"amplitudes": "real"}, r"amplitudes must be one of \('generic', 'nonnegative'\); got 'real'\."),
])
def test_circuit_resources_errors(kwargs, match):
    args = {"n_qubits": 3, "n_layers": 2, **kwargs}
    with pytest.raises(ValueError, match=match):
        circuit_resources(**args)


@pytest.mark.parametrize("kwargs, match", [
    ({"n_kernels": 0}, r"n_kernels must be a positive integer; got 0\."),
    ({"image_hw": 14}, r"image_hw must be a pair of positive integers \(height, width\); got 14\. A QPCNN"),
    ({"image_hw": (14, 0)}, r"image_hw must be a pair of positive integers"),
    ({"n_images": -1}, r"n_images must be a positive integer; got -1\."),
    ({"shots": None}, r"shots must be a positive integer; got None\. Hardware always samples"),
    ({"diff_method": "backprop"}, r"diff_method must be one of \('parameter-shift', 'finite-diff', 'spsa'\); "
                                  r"got 'backprop'\. .*'backprop' and 'adjoint' need a simulator"),
    ({"measurement": "counts"}, r"measurement must be one of"),
    ({"profile": "photonic"}, r"profile must be one of \('superconducting', 'trapped-ion', 'neutral-atom'\); "
                              r"got 'photonic'\. Or pass"),
    ({"input_grad": "shift"}, r"input_grad must be one of \('central-difference', 'none'\); got 'shift'\."),
    ({"in_channels": 9}, r"in_channels must be at most 2\*\*n_qubits = 8 .*; got 9\. Use n_qubits=4\."),
    ({"time_per_shot_s": -1.0}, r"time_per_shot_s must be a finite number of seconds >= 0; got -1\.0\."),
    ({"circuit_overhead_s": math.inf}, r"circuit_overhead_s must be a finite number of seconds >= 0; got inf\."),
])
def test_training_cost_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        training_cost(3, 2, **kwargs)


@pytest.mark.parametrize("call, match", [
    (lambda: cost_table([]), r"configs must hold at least one configuration; got none\."),
    (lambda: cost_table({"n_qubits": 3, "n_layers": 2}), r"configs must be an iterable of configurations"),
    (lambda: cost_table([{"n_qubits": 3}]), r"configs must hold mappings with keys n_qubits, n_layers"),
    (lambda: cost_table([(3,)]), r"configs must hold mappings or tuples \(n_qubits, n_layers"),
    (lambda: cost_table(profiles=["quantum-dot"]), r"profiles must be a non-empty sequence of keys"),
    (lambda: cost_table(profile="trapped-ion"), r"profile must not be passed to cost_table; .* Use profiles="),
    (lambda: format_cost_table([]), r"rows must be a non-empty sequence of mappings"),
    (lambda: format_cost_table([{"a": 1}, {"b": 2}]), r"rows must all have the keys \['a'\]"),
    (lambda: format_duration(-1), r"seconds must be a finite number of seconds >= 0; got -1\."),
])
def test_table_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()
