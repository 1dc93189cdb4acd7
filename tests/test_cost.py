"""Tests of qpcnn_edu.quantum.cost: execution counts by hand and against PennyLane's gradient transforms,
profiles, durations, errors."""

from __future__ import annotations

import math

import numpy as np
import pennylane as qml
import pytest
import torch

from qpcnn_edu import reference_qnode
from qpcnn_edu.quantum.cost import HARDWARE_PROFILES, format_duration, training_cost
from test_resources import generic_features, random_weights  # one copy of the circuit test data


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


def test_format_duration():
    assert format_duration(0) == "0 s"
    assert format_duration(59.94) == "59.9 s"
    assert format_duration(3600) == "1 h"
    assert format_duration(365.25 * 86400 * 2.5) == "2.5 yr"


# --------------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------------


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


def test_format_duration_error():
    with pytest.raises(ValueError, match=r"seconds must be a finite number of seconds >= 0; got -1\."):
        format_duration(-1)
