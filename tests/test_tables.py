"""Tests of qpcnn_edu.quantum.tables: rows agree with circuit_resources and training_cost, markdown, errors."""

from __future__ import annotations

import pytest

from qpcnn_edu.quantum.cost import HARDWARE_PROFILES, training_cost
from qpcnn_edu.quantum.resources import circuit_resources
from qpcnn_edu.quantum.tables import DEFAULT_CONFIGS, cost_table, format_cost_table


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


@pytest.mark.parametrize("call, match", [
    (lambda: cost_table([]), r"configs must hold at least one configuration; got none\."),
    (lambda: cost_table({"n_qubits": 3, "n_layers": 2}), r"configs must be an iterable of configurations"),
    (lambda: cost_table([{"n_qubits": 3}]), r"configs must hold mappings with keys n_qubits, n_layers"),
    (lambda: cost_table([(3,)]), r"configs must hold mappings or tuples \(n_qubits, n_layers"),
    (lambda: cost_table(profiles=["quantum-dot"]), r"profiles must be a non-empty sequence of keys"),
    (lambda: cost_table(profile="trapped-ion"), r"profile must not be passed to cost_table; .* Use profiles="),
    (lambda: format_cost_table([]), r"rows must be a non-empty sequence of mappings"),
    (lambda: format_cost_table([{"a": 1}, {"b": 2}]), r"rows must all have the keys \['a'\]"),
])
def test_table_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()
