"""Finite shots and depolarizing noise on the fast backend: unbiased estimates that converge, noise that is exact
(PennyLane default.mixed), strength 0 equal to the noiseless layer, documented gradients."""

import math

import pytest
import torch

from qpcnn_edu import QuantumPointwiseConv2d as QPC
from qpcnn_edu.quantum.noise import depolarize_observables, noisy_observables, sample_outputs


def _pair(**kwargs):
    torch.manual_seed(1)
    exact = QPC(6, n_layers=2, n_kernels=2, **kwargs).double()
    return exact


def _x(seed=0, zero=True):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(2, 6, 3, 3, generator=g, dtype=torch.float64)
    if zero:
        x[0, :, 0, 0] = 0
    return x


@pytest.mark.parametrize("measurement", ["expval", "probs"])
@pytest.mark.parametrize("n_layers", [1, 3])
def test_noise_matches_pennylane_default_mixed(measurement, n_layers):
    torch.manual_seed(2)
    fast = QPC(5, n_layers=n_layers, n_kernels=2, measurement=measurement, depolarizing=0.15).double()
    ref = QPC(5, n_layers=n_layers, n_kernels=2, measurement=measurement, backend="pennylane",
              device_name="default.mixed", depolarizing=0.15).double()
    ref.load_state_dict(fast.state_dict())
    x = _x().narrow(1, 0, 5).clone().requires_grad_(True)
    a, b = fast(x), ref(x)
    torch.testing.assert_close(a, b, rtol=0, atol=1e-10)
    ga = torch.autograd.grad(a.sin().sum(), [fast.weights, x])
    gb = torch.autograd.grad(b.sin().sum(), [ref.weights, x])
    for u, v in zip(ga, gb):
        torch.testing.assert_close(u, v, rtol=0, atol=1e-10)


@pytest.mark.parametrize("measurement", ["expval", "probs"])
def test_noise_strength_zero_is_the_noiseless_layer(measurement):
    noiseless = _pair(measurement=measurement)
    noisy = QPC(6, n_layers=2, n_kernels=2, measurement=measurement, depolarizing=1e-300).double()
    noisy.load_state_dict(noiseless.state_dict())
    x = _x()
    torch.testing.assert_close(noisy(x), noiseless(x), rtol=0, atol=1e-12)
    assert QPC(6, depolarizing=0.0).depolarizing == 0.0


def test_noise_shrinks_expectations_and_full_noise_is_maximally_mixed():
    layer = _pair()
    x = _x(zero=False)
    clean = layer(x)
    strengths = [0.0, 0.05, 0.2, 0.5]
    outs = []
    for p in strengths:
        layer.depolarizing = p
        outs.append(layer(x).abs().mean().item())
    assert outs == sorted(outs, reverse=True) and outs[0] == pytest.approx(clean.abs().mean().item())
    layer.depolarizing = 0.75  # the fully depolarizing channel: <Z> = 0 everywhere
    torch.testing.assert_close(layer(x), torch.zeros_like(clean), rtol=0, atol=1e-12)


def test_one_layer_one_qubit_closed_form():
    """<Z> after Rot then depolarizing(p) is (1 - 4p/3) times the noiseless value."""
    w = torch.tensor([[[[0.3, 1.1, -0.4]]]], dtype=torch.float64)
    for p in (0.1, 0.3):
        obs = noisy_observables(w, (0,), "expval", p)
        clean = noisy_observables(w, (0,), "expval", 0.0)
        torch.testing.assert_close(obs, (1 - 4 * p / 3) * clean)
    with pytest.raises(ValueError, match=r"depolarizing must be a probability in \[0, 1\]; got 1.5"):
        depolarize_observables(torch.eye(2), 1, 1.5)


def test_shot_estimates_are_unbiased_and_converge():
    layer = _pair(seed=7)
    x = _x(zero=False)
    exact = _pair()(x).detach()
    for shots, repeats in ((100, 400), (10_000, 20)):
        layer.set_readout(shots=shots)  # a fresh sampler, seeded with 7
        estimates = torch.stack([layer(x).detach() for _ in range(repeats)])  # (R, B, C, H, W)
        mean, std = estimates.mean(0), estimates.std(0)
        predicted = torch.sqrt((1 - exact**2) / shots)  # binomial standard deviation of a <Z> estimate
        z = (mean - exact) / (predicted / math.sqrt(repeats)).clamp(min=1e-12)
        assert z.abs().max() < 5, "the mean of many estimates is the exact value (within 5 standard errors)"
        torch.testing.assert_close(std, predicted, rtol=0.35, atol=2e-3)
        # every estimate is a count / shots
        counts = (estimates + 1) / 2 * shots
        torch.testing.assert_close(counts, counts.round(), rtol=0, atol=1e-6)


def test_probs_shots_are_multinomial():
    g = torch.Generator().manual_seed(0)
    p = torch.tensor([0.5, 0.25, 0.125, 0.125], dtype=torch.float64).repeat(2, 1).T.reshape(4, 2)  # (K*D, N)=(4, 2)
    est = torch.stack([sample_outputs(p, "probs", 2, 64, g) for _ in range(4000)])  # (R, 4, 2)
    torch.testing.assert_close(est.sum(1), torch.ones(4000, 2, dtype=torch.float64))
    torch.testing.assert_close(est.mean(0), p, rtol=0, atol=0.01)
    torch.testing.assert_close(est.var(0), p * (1 - p) / 64, rtol=0.1, atol=1e-4)


def test_shots_are_seeded_and_gradients_are_those_of_the_expectation():
    a, b, exact = _pair(shots=50, seed=3), _pair(shots=50, seed=3), _pair()
    x = _x().requires_grad_(True)
    ya, yb = a(x), b(x)
    torch.testing.assert_close(ya, yb, rtol=0, atol=0)
    assert not torch.equal(a(x), ya), "the sampler advances with every call"
    ye = exact(x)
    g = torch.randn_like(ye)
    grads_shots = torch.autograd.grad((ya * g).sum(), [a.weights, x])
    grads_exact = torch.autograd.grad((ye * g).sum(), [exact.weights, x])
    for u, v in zip(grads_shots, grads_exact):
        torch.testing.assert_close(u, v)


def test_shots_follow_the_device_of_the_layer_and_bad_values():
    layer = QPC(4, shots=10, seed=0)
    assert layer(torch.randn(1, 4, 2, 2)).shape == (1, 2, 2, 2)
    assert "shots=10" in repr(layer) and "depolarizing" not in repr(layer)
    assert "depolarizing=0.1" in repr(QPC(4, depolarizing=0.1))
    with pytest.raises(ValueError, match="shots must be a positive integer"):
        sample_outputs(torch.zeros(1, 1), "expval", 1, 0)
    with pytest.raises(ValueError, match=r"depolarizing must be a probability in \[0, 1\]; got -0.1"):
        QPC(4, depolarizing=-0.1)
    with pytest.raises(ValueError, match="diff_method must be 'backprop' with depolarizing noise"):
        QPC(4, depolarizing=0.1, diff_method="parameter-shift")
    with pytest.raises(ValueError, match="device_name must simulate mixed states"):
        QPC(4, depolarizing=0.1, backend="pennylane", diff_method="parameter-shift")


def test_noisy_layer_trains():
    torch.manual_seed(0)
    layer = QPC(4, n_layers=2, depolarizing=0.05)
    x = torch.randn(16, 4, 2, 2)
    target = torch.tanh(x[:, :2])
    opt = torch.optim.Adam(layer.parameters(), lr=0.05)
    first = None
    for _ in range(40):
        opt.zero_grad()
        loss = (layer(x) - target).square().mean()
        loss.backward()
        opt.step()
        first = first if first is not None else loss.item()
    assert loss.item() < first
