"""QPC layers in modern blocks: shapes, residuals, channel arithmetic, parameter counts, twins, training, the suite."""

import json

import pytest
import torch
from torch import nn

import qpcnn_edu
import qpcnn_edu.__main__ as cli
from qpcnn_edu import QuantumPointwiseConv2d, count_parameters
from qpcnn_edu.nn.blocks import ChannelSlice, count_quantum_parameters, plan_pointwise
from qpcnn_edu.nn.mobilenet import InvertedResidual, MobileNetQPC
from qpcnn_edu.nn.resnet import Bottleneck, ResNetQPC
from qpcnn_edu.lab.suites import BLOCK_SUITE, SUITE, SUITES, build_model, suite
from qpcnn_edu.lab.training import evaluate, fit

POINTWISE = ("classical", "quantum")


def _branch_inverted(block, x):
    return block.project(block.depthwise(block.expand(x)))


# --- shapes and residuals ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("pointwise", POINTWISE)
@pytest.mark.parametrize("stride, size, out_size", [(1, 7, 7), (2, 7, 4), (2, 8, 4)])
def test_inverted_residual_shapes(pointwise, stride, size, out_size):
    block = InvertedResidual(8, 16, expansion=3, stride=stride, pointwise=pointwise)
    assert block(torch.randn(3, 8, size, size)).shape == (3, 16, out_size, out_size)
    assert block.output_size(size) == out_size and block.hidden_channels == 24


@pytest.mark.parametrize("pointwise", POINTWISE)
@pytest.mark.parametrize("stride, size, out_size", [(1, 7, 7), (2, 7, 4)])
def test_bottleneck_shapes(pointwise, stride, size, out_size):
    block = Bottleneck(16, 4, 32, stride=stride, pointwise=pointwise)
    assert block(torch.randn(3, 16, size, size)).shape == (3, 32, out_size, out_size)
    assert block.projection_shortcut


@pytest.mark.parametrize("pointwise", POINTWISE)
def test_inverted_residual_adds_the_input_only_when_shapes_match(pointwise):
    x = torch.randn(2, 8, 5, 5)
    on = InvertedResidual(8, 8, expansion=3, pointwise=pointwise).eval()
    assert on.use_residual
    torch.testing.assert_close(on(x), x + _branch_inverted(on, x))
    off = InvertedResidual(8, 8, expansion=3, pointwise=pointwise, residual=False).eval()
    assert not off.use_residual
    torch.testing.assert_close(off(x), _branch_inverted(off, x))
    assert not InvertedResidual(8, 8, expansion=3, stride=2).use_residual
    assert not InvertedResidual(8, 16, expansion=3).use_residual


def test_bottleneck_shortcuts():
    x = torch.randn(2, 16, 5, 5)
    same = Bottleneck(16, 4, 16, pointwise="quantum").eval()
    assert not same.projection_shortcut and isinstance(same.shortcut, nn.Identity)
    torch.testing.assert_close(same(x), torch.relu(same.expand(same.conv3x3(same.reduce(x))) + x))
    for block in (Bottleneck(16, 4, 32), Bottleneck(16, 4, 16, stride=2)):
        assert block.projection_shortcut
        conv = block.shortcut.conv
        assert isinstance(conv, nn.Conv2d) and conv.kernel_size == (1, 1) and conv.stride == (block.stride,) * 2


def test_expansion_one_has_no_expand_layer():
    block = InvertedResidual(8, 8, expansion=1, pointwise="quantum", quantum_at=("project",))
    assert isinstance(block.expand, nn.Identity) and list(block.plans) == ["project"]
    assert block(torch.randn(2, 8, 4, 4)).shape == (2, 8, 4, 4)


# --- channel arithmetic -----------------------------------------------------------------------------------------


def test_channel_arithmetic_of_a_quantum_inverted_residual():
    block = InvertedResidual(8, 8, expansion=3, pointwise="quantum", quantum_at="both")
    assert block.quantum_at == ("expand", "project")
    expand, project = block.plans["expand"], block.plans["project"]
    assert (expand.n_qubits, expand.n_kernels, expand.produced, expand.dropped) == (3, 8, 24, 0)
    assert (project.n_qubits, project.n_kernels, project.produced, project.dropped) == (5, 2, 10, 2)
    assert block.expand.pointwise.out_channels == 24 and not hasattr(block.expand, "slice")
    assert block.project.pointwise.out_channels == 10 and block.project.slice.channels == 8
    assert isinstance(block.project.slice, ChannelSlice)
    assert block.project(torch.rand(2, 24, 3, 3)).shape == (2, 8, 3, 3)


def test_plan_pointwise():
    assert plan_pointwise(8, 24, quantum=False).produced == 24
    assert plan_pointwise(16, 4).n_kernels == 1 and plan_pointwise(16, 8).n_kernels == 2
    probs = plan_pointwise(8, 20, measurement="probs")  # 8 probabilities per kernel
    assert (probs.n_kernels, probs.produced) == (3, 24)
    assert plan_pointwise(8, 24, n_qubits=4).n_kernels == 6
    with pytest.raises(ValueError, match=r"must be a multiple of 5 .* got 8\. Fix: ask for 5 or 10 channels"):
        plan_pointwise(24, 8, strict=True)


def test_strict_channels():
    InvertedResidual(8, 8, expansion=3, pointwise="quantum", strict_channels=True)  # 8 -> 24 is exact
    with pytest.raises(ValueError, match="quantum project layer must be a multiple of 5"):
        InvertedResidual(8, 8, expansion=3, pointwise="quantum", quantum_at=("project",), strict_channels=True)
    assert ResNetQPC(stem_channels=16, strict_channels=True).blocks[1].plans["reduce"].n_kernels == 2


def test_models_expose_their_channels():
    mobile = MobileNetQPC()
    assert [b.plans["expand"].out_channels for b in mobile.blocks] == [24, 24]
    assert [b.out_channels for b in mobile.blocks] == [8, 16] and mobile.stem_size() == 7
    resnet = ResNetQPC()
    assert [(b.plans["reduce"].produced, b.plans["reduce"].out_channels) for b in resnet.blocks] == [(10, 8), (20, 16)]


# --- parameter counts -------------------------------------------------------------------------------------------


def test_classical_parameter_counts_by_hand():
    c, h, o = 4, 8, 6  # InvertedResidual(4, 6, expansion=2): 1x1 convs have no bias, BN has 2 per channel
    expected = (c * h + 2 * h) + (9 * h + 2 * h) + (h * o + 2 * o)
    assert count_parameters(InvertedResidual(c, o, expansion=2, stride=2)) == expected == 196
    c, b, o = 8, 2, 12  # Bottleneck(8, 2, 12, stride=2) with its projection shortcut
    expected = (c * b + 2 * b) + (9 * b * b + 2 * b) + (b * o + 2 * o) + (c * o + 2 * o)
    assert count_parameters(Bottleneck(c, b, o, stride=2)) == expected == 228


def test_quantum_parameter_counts():
    classical = InvertedResidual(8, 8, expansion=3)
    quantum = InvertedResidual(8, 8, expansion=3, pointwise="quantum", n_layers=3)
    assert count_quantum_parameters(quantum) == 8 * 3 * 3 * 3  # kernels x layers x qubits x 3 angles
    assert count_parameters(quantum) == count_parameters(classical) - 8 * 24 + 216
    assert count_quantum_parameters(classical) == 0


@pytest.mark.parametrize("model, expected", [(MobileNetQPC(), 1786), (MobileNetQPC(pointwise="classical"), 1882),
                                             (ResNetQPC(), 7774), (ResNetQPC(pointwise="classical"), 8362)])
def test_model_parameter_counts_and_table(model, expected):
    assert count_parameters(model) == expected
    rows = model.summary_rows()
    assert sum(r[3] for r in rows) == expected and rows[-1][2] == (10,)
    text = repr(model)
    assert text.startswith(f"{type(model).__name__}(input=(1, 28, 28), classes=10, pointwise='{model.pointwise}')")
    assert "block1." in text and f"{expected:,}" in text.splitlines()[-1]
    assert ("QPC " in text) == (model.pointwise == "quantum")


# --- quantum layers, twins, gradients ---------------------------------------------------------------------------


def test_quantum_pointwise_layers_are_qpc_layers():
    block = InvertedResidual(8, 8, expansion=3, pointwise="quantum")
    layers = block.pointwise_layers()
    assert isinstance(layers["expand"], QuantumPointwiseConv2d) and isinstance(layers["project"], nn.Conv2d)
    block = Bottleneck(16, 4, 16, pointwise="quantum", quantum_at=("expand",), n_layers=3, measurement="probs")
    layers = block.pointwise_layers()
    assert isinstance(layers["reduce"], nn.Conv2d) and isinstance(layers["expand"], QuantumPointwiseConv2d)
    assert (layers["expand"].n_layers, layers["expand"].measurement, layers["expand"].n_kernels) == (3, "probs", 4)
    assert InvertedResidual(8, 8, 3, pointwise="classical", quantum_at="both").quantum_at == ()


def _skeleton(model):
    """name -> (type, parameter shapes) of every module that is not a 1x1 pointwise layer or its slice."""
    out = {}
    for name, module in model.named_modules():
        if name.endswith((".pointwise", ".slice")):
            continue
        out[name] = (type(module).__name__, [tuple(p.shape) for p in module.parameters(recurse=False)])
    return out


@pytest.mark.parametrize("cls, quantum_at", [(MobileNetQPC, ("expand",)), (MobileNetQPC, "both"),
                                             (ResNetQPC, ("reduce",)), (ResNetQPC, "both")])
def test_twins_differ_only_in_pointwise_layers(cls, quantum_at):
    quantum = cls(quantum_at=quantum_at)
    twin = quantum.twin()
    assert twin.pointwise == "classical" and type(twin) is cls
    assert _skeleton(quantum) == _skeleton(twin)
    for qb, cb in zip(quantum.blocks, twin.blocks):
        for position, layer in qb.pointwise_layers().items():
            other = cb.pointwise_layers()[position]
            assert isinstance(other, nn.Conv2d) and other.kernel_size == (1, 1)
            assert isinstance(layer, QuantumPointwiseConv2d) == (position in qb.quantum_at)
            assert (other.in_channels, other.out_channels) == (qb.plans[position].in_channels,
                                                               qb.plans[position].out_channels)


@pytest.mark.parametrize("cls", [MobileNetQPC, ResNetQPC])
def test_gradient_reaches_every_qpc_layer(cls):
    model = cls(quantum_at="both")
    loss = nn.functional.cross_entropy(model(torch.randn(4, 1, 28, 28)), torch.tensor([0, 1, 2, 3]))
    loss.backward()
    qpcs = [m for m in model.modules() if isinstance(m, QuantumPointwiseConv2d)]
    assert len(qpcs) == 4
    for layer in qpcs:
        grad = layer.weights.grad
        assert grad is not None and torch.isfinite(grad).all() and grad.abs().sum() > 0


def test_short_training_run_learns():
    train = qpcnn_edu.subset(qpcnn_edu.load_dataset("fashion-mnist-mini"), 20)
    test = qpcnn_edu.subset(qpcnn_edu.load_dataset("fashion-mnist-mini", train=False), 20)
    torch.manual_seed(0)
    model = MobileNetQPC()
    before = evaluate(model, train)
    history = fit(model, train, test, num_epochs=1, lr=1e-2, batch_size=8, seed=0, progress=False, device="cpu")
    after = evaluate(model, train)
    assert len(history.epochs) == 1  # 200 images, 25 steps: measured 2.31 -> 1.99 loss, 0.32 test accuracy
    assert after["loss"] < before["loss"] - 0.1, (before, after)
    assert history.final["test_acc"] > 0.2, history.final  # chance: 0.1


# --- clear errors -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("make, match", [
    (lambda: InvertedResidual(8, 8, pointwise="quantumm"), r"pointwise must be one of \('classical', 'quantum'\)"),
    (lambda: InvertedResidual(8, 8, pointwise="quantum", quantum_at=("depthwise",)), "quantum_at must name one or"),
    (lambda: InvertedResidual(8, 8, pointwise="quantum", quantum_at=()), "quantum_at must name one or"),
    (lambda: InvertedResidual(8, 8, expansion=1, pointwise="quantum"), "expansion=1 has no expand layer"),
    (lambda: InvertedResidual(8, 8, stride=3), r"stride must be one of \(1, 2\); got 3"),
    (lambda: InvertedResidual(8, 8, expansion=0), "expansion must be a positive integer"),
    (lambda: Bottleneck(8, 0, 8), "bottleneck_channels must be a positive integer"),
    (lambda: Bottleneck(8, 2, 8, pointwise="quantum", n_kernels=3), r"qpc_kwargs must not set \['n_kernels'\]"),
    (lambda: Bottleneck(8, 2, 8, pointwise="quantum", n_qubits=2), "n_qubits must be an integer >= 3"),
    (lambda: ResNetQPC(stem_channels=30), "stem_channels must be a multiple of 4.*Use 28 or 32"),
    (lambda: MobileNetQPC(image_size=2), "image_size must be at least 4"),
    (lambda: MobileNetQPC(pointwise="hybrid"), "pointwise must be one of"),
])
def test_clear_construction_errors(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_clear_input_errors():
    with pytest.raises(ValueError, match=r"input must have shape \(batch, 8, height, width\); got \(2, 4, 5, 5\)"):
        InvertedResidual(8, 8)(torch.randn(2, 4, 5, 5))
    with pytest.raises(ValueError, match=r"input must have shape \(B, 1, 28, 28\); got \(1, 28, 28\)"):
        ResNetQPC()(torch.randn(1, 28, 28))


# --- the blocks suite -------------------------------------------------------------------------------------------


def test_block_suite_builds_the_four_models():
    runs = suite("fashion-mnist", "ci", suite_name="blocks")
    assert [r.name for r in runs] == list(BLOCK_SUITE) == ["mobilenet-qpc", "mobilenet-classical", "resnet-qpc",
                                                           "resnet-classical"]
    assert {r.dataset for r in runs} == {"fashion-mnist-mini"} and SUITES == {"paper": SUITE, "blocks": BLOCK_SUITE}
    models = {r.name: build_model(r) for r in runs}
    assert isinstance(models["mobilenet-qpc"], MobileNetQPC) and isinstance(models["resnet-classical"], ResNetQPC)
    assert [m.pointwise for m in models.values()] == ["quantum", "classical", "quantum", "classical"]
    assert [count_quantum_parameters(m) for m in models.values()] == [288, 0, 180, 0]
    x = torch.randn(2, 1, 28, 28)
    for model in models.values():
        assert model(x).shape == (2, 10)
    assert [r.name for r in suite("fashion-mnist", "ci")] == list(SUITE)  # the default is unchanged
    with pytest.raises(ValueError, match=r"suite_name must be one of \('paper', 'blocks'\); got 'modern'"):
        suite("fashion-mnist", "ci", suite_name="modern")
    with pytest.raises(ValueError, match="model names must be among"):
        suite("fashion-mnist", "ci", names=["qpcnn-L2"], suite_name="blocks")


def test_reproduce_blocks_command(tmp_path, monkeypatch):
    seen = {}
    monkeypatch.setattr(cli, "run_suite", lambda runs, results, **kw: seen.update(runs=runs, results=results))
    monkeypatch.setattr(cli, "write_report", lambda results, **kw: results)
    assert cli.main(["reproduce", "--suite", "blocks", "--models", "resnet-qpc"]) == 0
    assert [r.name for r in seen["runs"]] == ["resnet-qpc"] and str(seen["results"]) == "results/blocks"
    assert cli.main(["reproduce"]) == 0
    assert [r.name for r in seen["runs"]] == list(SUITE) and str(seen["results"]) == "results"
    assert cli.main(["reproduce", "--suite", "blocks", "--results", str(tmp_path)]) == 0
    assert seen["results"] == str(tmp_path) and len(seen["runs"]) == 4
    with pytest.raises(SystemExit):
        cli.main(["reproduce", "--suite", "modern"])


def test_block_run_record(tmp_path):
    assert cli.main(["reproduce", "--suite", "blocks", "--models", "mobilenet-qpc", "--epochs", "1", "--results",
                     str(tmp_path), "--no-report", "--no-progress"]) == 0
    record = json.loads((tmp_path / "fashion-mnist-mini" / "mobilenet-qpc-seed0.json").read_text())
    assert record["n_parameters"] == 1786 and record["n_quantum_parameters"] == 288
    assert record["description"] == BLOCK_SUITE["mobilenet-qpc"][2]
    assert record["config"]["model"] == "mobilenet" and record["final_test_acc"] > 0.3
    assert "block1.expand" in record["model_repr"]
