"""Models: shapes, parameter counts, twins, summaries, errors, and that they learn."""

import pytest
import torch
from torch import nn

from qpcnn_edu import (ClassicalCNN, PointwiseCNN, QPCNN, QuadraticPointwiseConv2d, QuantumPointwiseConv2d,
                       count_parameters)


def test_default_qpcnn_shapes_and_counts():
    model = QPCNN()
    assert isinstance(model.pointwise, QuantumPointwiseConv2d)
    assert model(torch.randn(3, 1, 28, 28)).shape == (3, 10)
    assert model.features(torch.randn(3, 1, 28, 28)).shape == (3, 3, 14, 14)
    # stem 1*8*9+8, QPC 2*3*3, body 3*16*9+16, head 16*7*7*10+10
    assert [count_parameters(m) for m in (model.stem, model.pointwise, model.body, model.head)] == [80, 18, 448, 7850]
    assert count_parameters(model) == 8396


def test_cifar_shapes():
    model = QPCNN(in_channels=3, image_size=32, n_kernels=2, measurement="probs")
    assert model.pointwise_channels == 16
    assert model(torch.randn(2, 3, 32, 32)).shape == (2, 10)
    twin = ClassicalCNN.twin_of(model)
    assert twin(torch.randn(2, 3, 32, 32)).shape == (2, 10)
    assert twin.pointwise.out_channels == 16


@pytest.mark.parametrize("kwargs", [{}, {"stem_channels": 16, "n_layers": 3}, {"stem_channels": 5, "n_kernels": 3},
                                    {"pointwise_activation": "relu", "dropout": 0.3, "body_channels": 4}])
def test_twin_differs_only_in_pointwise(kwargs):
    model = QPCNN(**kwargs)
    twin = ClassicalCNN.twin_of(model)
    assert isinstance(twin.pointwise, nn.Conv2d) and twin.pointwise.kernel_size == (1, 1)
    assert twin.pointwise.in_channels == model.stem_channels
    assert twin.pointwise.out_channels == model.pointwise.out_channels
    for part in ("stem", "body", "head"):
        assert count_parameters(getattr(twin, part)) == count_parameters(getattr(model, part))
    c, p = model.stem_channels, model.pointwise_channels
    assert count_parameters(twin) - count_parameters(model) == c * p + p - model.pointwise.weights.numel()
    x = torch.randn(2, 1, 28, 28)
    assert twin(x).shape == model(x).shape


def test_qpc_kwargs_reach_the_layer():
    model = QPCNN(n_layers=3, n_qubits=4, ranges=(1, 2, 3))
    assert model.pointwise.n_qubits == 4 and model.pointwise.ranges == (1, 2, 3)
    assert model.pointwise.weights.shape == (1, 3, 4, 3)


def test_repr_is_a_readable_table():
    text = repr(QPCNN())
    for needle in ("QPCNN(input=(1, 28, 28)", "QPC 8->3 (3 qubits, 2 layers, 1 kernel, expval)",
                   "conv3x3 1->8", "linear 784->10", "8,396"):
        assert needle in text
    assert "conv1x1 8->3" in repr(ClassicalCNN())
    frozen = QPCNN()
    frozen.stem.requires_grad_(False)
    assert "8,316 trainable (8,396 in all)" in repr(frozen)


def test_count_parameters_trainable_only():
    model = ClassicalCNN()
    model.head.requires_grad_(False)
    assert count_parameters(model) == 80 + 27 + 448
    assert count_parameters(model, trainable_only=False) == 8405
    with pytest.raises(TypeError, match="model must be a torch.nn.Module"):
        count_parameters("model")


def test_generic_skeleton_with_quadratic_control():
    model = PointwiseCNN(QuadraticPointwiseConv2d(8, 3))
    assert count_parameters(model.pointwise) == 3 * 8 * 9 // 2
    assert model(torch.randn(2, 1, 28, 28)).shape == (2, 10)


@pytest.mark.parametrize("kwargs, match", [
    ({"image_size": 30}, "image_size must be divisible by 4"),
    ({"stem_channels": 0}, "stem_channels must be a positive integer"),
    ({"body_channels": 2.5}, "body_channels must be a positive integer"),
    ({"pointwise_activation": "gelu"}, "pointwise_activation must be one of"),
    ({"dropout": 1.0}, r"dropout must be a probability in \[0, 1\)"),
    ({"n_layers": 0}, "n_layers must be a positive integer"),
    ({"measurement": "sample"}, "measurement must be one of"),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        QPCNN(**kwargs)


def test_bad_pointwise_and_input():
    with pytest.raises(TypeError, match="pointwise must be an nn.Module with an `out_channels`"):
        PointwiseCNN(nn.ReLU())
    with pytest.raises(ValueError, match="pointwise.in_channels must equal stem_channels=8; got 4"):
        PointwiseCNN(nn.Conv2d(4, 3, 1))
    with pytest.raises(TypeError, match="model must be a PointwiseCNN"):
        ClassicalCNN.twin_of(nn.Linear(2, 2))
    model = QPCNN()
    with pytest.raises(ValueError, match=r"input must have shape \(B, 1, 28, 28\); got \(1, 28, 28\)"):
        model(torch.randn(1, 28, 28))
    with pytest.raises(ValueError, match=r"got \(2, 3, 28, 28\)"):
        model(torch.randn(2, 3, 28, 28))


def test_state_dict_round_trip_and_double():
    a, b = QPCNN(), QPCNN()
    b.load_state_dict(a.state_dict())
    x = torch.randn(2, 1, 28, 28)
    torch.testing.assert_close(a(x), b(x))
    assert a.double()(x.double()).dtype == torch.float64


@pytest.mark.parametrize("make", [QPCNN, ClassicalCNN])
def test_models_fit_a_small_batch(make):
    """A few Adam steps on 32 fixed images drive the loss well down: the gradient reaches every stage."""
    torch.manual_seed(0)
    model = make()
    x, y = torch.randn(32, 1, 28, 28), torch.arange(32) % 10
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    loss0 = nn.functional.cross_entropy(model(x), y).item()
    for _ in range(60):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
    assert loss.item() < 0.2 * loss0
    if make is QPCNN:
        assert model.pointwise.weights.grad.abs().sum() > 0
