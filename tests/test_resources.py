"""Tests of qpcnn_edu.quantum.resources: gate counts against PennyLane's own, errors."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pennylane as qml
import pytest
import torch

from qpcnn_edu import reference_qnode
from qpcnn_edu.quantum.resources import circuit_resources

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
    from qpcnn_edu.quantum import resources

    expected = circuit_resources(3, 2)
    resources._resources.cache_clear()
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
