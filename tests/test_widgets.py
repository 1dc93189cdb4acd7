"""The book's explorers: static figures, and widgets driven through their controls (no display needed)."""

from __future__ import annotations

import json
import math

import matplotlib
import pytest
import torch

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from qpcnn_edu import QuantumPointwiseConv2d, amplitude_encode, entangling_unitary, load_dataset  # noqa: E402
from qpcnn_edu.quantum.entanglement import basis_labels, single_qubit_entropies  # noqa: E402
from qpcnn_edu.viz.plots import (plot_accuracy_dashboard, plot_circuit_summary, plot_encoding,  # noqa: E402
                                 plot_feature_maps)
from qpcnn_edu.viz.widgets import accuracy_dashboard, circuit_explorer, encoding_explorer, feature_map_viewer  # noqa: E402
from qpcnn_edu.lab.results import find_results_dir  # noqa: E402


@pytest.fixture(autouse=True)
def close_all():
    yield
    plt.close("all")


def texts(fig):
    found = [t.get_text() for ax in fig.axes for t in (ax.texts + [ax.title])]
    return found + ([fig._suptitle.get_text()] if fig._suptitle else [])


# ------------------------------------------------------------------------------------------------ entropies
def test_entropies_of_product_bell_and_ghz_states():
    product = torch.kron(torch.tensor([0.6, 0.8], dtype=torch.float64), torch.tensor([1.0, 0.0], dtype=torch.float64))
    torch.testing.assert_close(single_qubit_entropies(product), torch.zeros(2, dtype=torch.float64), atol=1e-9,
                               rtol=0)
    ghz = torch.zeros(8)
    ghz[0] = ghz[7] = 2**-0.5
    torch.testing.assert_close(single_qubit_entropies(ghz), torch.ones(3, dtype=torch.float64))
    # a partially entangled state: cos a |00> + sin a |11> has entropy H(cos^2 a) on both qubits
    a = 0.3
    p = math.cos(a) ** 2
    h = -(p * math.log2(p) + (1 - p) * math.log2(1 - p))
    state = torch.tensor([math.cos(a), 0.0, 0.0, math.sin(a)])
    torch.testing.assert_close(single_qubit_entropies(state), torch.full((2,), h, dtype=torch.float64))
    # batched, complex
    batch = torch.stack([ghz, ghz * 1j])
    assert single_qubit_entropies(batch).shape == (2, 3)
    with pytest.raises(ValueError, match="2\\*\\*n amplitudes"):
        single_qubit_entropies(torch.ones(3))


def test_basis_labels_follow_pennylane_wire_order():
    assert basis_labels(2) == ["|00⟩", "|01⟩", "|10⟩", "|11⟩"]


# ------------------------------------------------------------------------------------------------ encoding
def test_plot_encoding_shows_the_padded_normalized_state():
    fig = plot_encoding((3.0, 4.0, 0.0))
    heights = [p.get_height() for p in fig.axes[1].patches if p.get_height() != 0 or True][:4]
    assert [round(h, 6) for h in heights[:4]] == [0.6, 0.8, 0.0, 0.0]
    probs = [p.get_height() for p in fig.axes[2].patches][:4]
    assert sum(probs) == pytest.approx(1.0)
    assert any("padding" in t for t in texts(fig))
    zero = plot_encoding((0.0, 0.0))
    assert any("|0…0⟩" in t for t in texts(zero))
    with pytest.raises(ValueError, match="finite numbers"):
        plot_encoding([1.0, float("nan")])


def test_encoding_explorer_follows_its_sliders():
    box = encoding_explorer(n_channels=5)
    assert set(box.controls) == {"channels"} | {f"x{c}" for c in range(8)}
    for c, v in enumerate((0.0, 0.3, 0.0, 0.4, 0.0)):
        box.controls[f"x{c}"].value = v
    torch.testing.assert_close(box.state, torch.tensor([0, 0.6, 0, 0.8, 0, 0, 0, 0], dtype=torch.float64))
    box.controls["channels"].value = 2  # 1 qubit now; the other sliders are disabled
    assert box.state.shape == (2,)
    assert box.controls["x4"].disabled and not box.controls["x1"].disabled
    torch.testing.assert_close(box.state, torch.tensor([0.0, 1.0], dtype=torch.float64))
    for c in range(2):
        box.controls[f"x{c}"].value = 0.0  # all-zero pixel: the |0...0> convention
    torch.testing.assert_close(box.state, torch.tensor([1.0, 0.0], dtype=torch.float64))
    assert isinstance(box.figure, matplotlib.figure.Figure)
    with pytest.raises(ValueError, match="n_channels must be an integer from 1 to 8"):
        encoding_explorer(n_channels=9)


# ------------------------------------------------------------------------------------------------ circuits
def test_circuit_summary_reports_counts_and_entanglement():
    fig = plot_circuit_summary(n_qubits=3, n_layers=2, seed=0, n_samples=64)
    title = fig._suptitle.get_text()
    assert "18 trainable angles" in title and "6 CNOTs" in title and "ranges (1, 2)" in title
    bars = fig.axes[-1]
    heights = [p.get_height() for p in bars.patches]
    assert len(heights) == 6 and all(0 <= h <= 1 for h in heights)
    # the purple bars are the mean entropies of the circuit's output states: recompute them
    weights = torch.rand(2, 3, 3, generator=torch.Generator().manual_seed(0), dtype=torch.float64) * 2 * math.pi
    U = entangling_unitary(weights)
    pixels = torch.randn(64, 8, generator=torch.Generator().manual_seed(1), dtype=torch.float64).abs()
    states = amplitude_encode(pixels, dim=1).to(U.dtype) @ U.T
    torch.testing.assert_close(torch.tensor(heights[3:], dtype=torch.float64),
                               single_qubit_entropies(states).mean(0))
    single = plot_circuit_summary(n_qubits=1, n_layers=1)
    assert "3 trainable angles" in single._suptitle.get_text() and "0 CNOTs" in single._suptitle.get_text()
    assert max(p.get_height() for p in single.axes[-1].patches) == pytest.approx(0.0, abs=1e-12)
    with pytest.raises(ValueError, match="n_layers must be an integer >= 1"):
        plot_circuit_summary(n_qubits=2, n_layers=0)


def test_circuit_explorer_redraws_and_refuses_impossible_ranges():
    box = circuit_explorer(n_qubits=3, n_layers=2)
    assert set(box.controls) == {"qubits", "layers", "range", "seed"}
    box.controls["qubits"].value = 4
    box.controls["layers"].value = 3
    assert "36 trainable angles" in box.figure._suptitle.get_text()
    before = box.figure
    box.controls["range"].value = 5  # not < 4 qubits: a message, the last good figure stays
    assert "must be smaller than the number of qubits (4)" in box.message.value
    assert box.figure is before
    box.controls["range"].value = 2
    assert box.message.value == "" and "ranges (2, 2, 2)" in box.figure._suptitle.get_text()


# ------------------------------------------------------------------------------------------------ feature maps
@pytest.fixture(scope="module")
def images():
    return load_dataset("fashion-mnist-mini", train=False).images[:4]


def test_feature_maps_are_the_layers_outputs(images):
    fig = plot_feature_maps(images[1], n_layers=2, n_kernels=2, seed=3)
    quantum = [ax for ax in fig.axes if ax.get_title().startswith("QPC")]
    classical = [ax for ax in fig.axes if ax.get_title().startswith("1×1 conv")]
    assert len(quantum) == 6 and len(classical) == 3
    # recompute the first kernel's maps with the same seeded layers
    torch.manual_seed(3)
    stem = torch.nn.Sequential(torch.nn.Conv2d(1, 8, 3, padding=1), torch.nn.ReLU())
    qpc = QuantumPointwiseConv2d(8, n_layers=2, n_kernels=2)
    with torch.no_grad():
        expected = qpc(stem(images[1].unsqueeze(0)))[0]
    shown = torch.as_tensor(quantum[0].images[0].get_array().data)
    torch.testing.assert_close(shown, expected[0])
    assert "36 weights" in fig._suptitle.get_text()
    # the caller's random state is untouched
    torch.manual_seed(0)
    a = torch.rand(1)
    torch.manual_seed(0)
    plot_feature_maps(images[0])
    assert torch.equal(torch.rand(1), a)
    rgb = plot_feature_maps(torch.rand(3, 8, 8), n_layers=1)
    assert len([ax for ax in rgb.axes if ax.get_title().startswith("QPC")]) == 3
    with pytest.raises(ValueError, match="image must have shape"):
        plot_feature_maps(torch.rand(2, 2, 3, 8, 8))


def test_feature_map_viewer_follows_its_controls(images):
    box = feature_map_viewer(images, n_layers=1)
    assert set(box.controls) == {"image", "layers", "kernels", "seed", "shots", "noise"}
    assert box.controls["image"].max == 3
    first = box.figure
    box.controls["image"].value = 2
    box.controls["kernels"].value = 3
    assert box.figure is not first
    assert len([ax for ax in box.figure.axes if ax.get_title().startswith("QPC")]) == 9
    box.controls["kernels"].value = 1
    exact = box.figure.axes[1].images[0].get_array().data.copy()
    box.controls["shots"].value = 10
    assert "10 shots/pixel" in box.figure._suptitle.get_text()
    sampled = box.figure.axes[1].images[0].get_array().data
    assert (sampled != exact).any() and set((sampled.astype("float64") * 10).round().flatten().tolist()) <= set(range(-10, 11))
    assert abs(sampled.astype("float64") * 10 - (sampled.astype("float64") * 10).round()).max() < 1e-4  # k/10 values
    box.controls["shots"].value = 0
    box.controls["noise"].value = 0.2  # depolarizing shrinks every <Z> towards 0
    noisy = box.figure.axes[1].images[0].get_array().data
    assert abs(noisy).max() < abs(exact).max()
    with pytest.raises(ValueError, match="at least one image"):
        feature_map_viewer(images[:0])


# ------------------------------------------------------------------------------------------------ results
def fake_record(name, seed, acc, n_params, dataset="fashion-mnist", epochs=3):
    history = [{"epoch": e + 1, "test_acc": acc * (e + 1) / epochs} for e in range(epochs)]
    return {"run_id": f"{name}-seed{seed}", "config": {"name": name, "seed": seed, "dataset": dataset,
                                                       "num_epochs": epochs},
            "final_test_acc": acc, "n_parameters": n_params, "mean_epoch_time": 1.0, "history": history}


@pytest.fixture
def results(tmp_path):
    folder = tmp_path / "results" / "fashion-mnist"
    folder.mkdir(parents=True)
    for name, n_params, base in (("qpcnn-L2", 1000, 0.85), ("classical", 1100, 0.86)):
        for seed in (0, 1):
            record = fake_record(name, seed, base + 0.01 * seed, n_params)
            (folder / f"{record['run_id']}.json").write_text(json.dumps(record))
    return tmp_path / "results"


def test_find_results_dir(results, tmp_path, monkeypatch):
    assert find_results_dir(results) == results
    with pytest.raises(FileNotFoundError, match="results folder must exist"):
        find_results_dir(tmp_path / "nowhere")
    monkeypatch.chdir(tmp_path)
    assert find_results_dir() == results.relative_to(tmp_path)  # ./results
    book = tmp_path / "book"
    book.mkdir()
    monkeypatch.chdir(book)
    assert find_results_dir() == book.parent.relative_to(tmp_path) / ".." / "results"  # ../results from book/
    monkeypatch.setenv("QPCNN_EDU_RESULTS", str(results))
    assert find_results_dir() == results


def test_accuracy_dashboard_plots_the_chosen_runs(results):
    fig = plot_accuracy_dashboard(results, "fashion-mnist")
    scatter, curves = fig.axes
    points = sorted(c.lines[0].get_xydata()[0].tolist() for c in scatter.containers)
    assert points == [[1000.0, 85.5], [1100.0, 86.5]]  # mean over seeds 0 and 1
    assert {line.get_label() for line in curves.lines} == {"qpcnn-L2", "classical"}
    box = accuracy_dashboard(results)
    assert box.controls["dataset"].value == "fashion-mnist"
    assert set(box.controls["models"].options) == {"qpcnn-L2", "classical"}
    assert tuple(box.controls["seeds"].options) == (0, 1)
    box.controls["models"].value = ("classical",)
    box.controls["seeds"].value = (1,)
    scatter = box.figure.axes[0]
    assert [c.lines[0].get_xydata()[0].tolist() for c in scatter.containers] == [[1100.0, 87.0]]


def test_dashboard_without_results_says_how_to_make_them(tmp_path):
    fig = plot_accuracy_dashboard(tmp_path, "cifar10")
    assert any("python -m qpcnn_edu reproduce --dataset cifar10" in t for t in texts(fig))
    box = accuracy_dashboard(tmp_path, "cifar10")
    assert box.controls["models"].options == ()
    assert any("No result files" in t for t in texts(box.figure))


def test_dashboard_redraws_once_per_dataset_change(results, monkeypatch):
    import qpcnn_edu.viz.widgets as widgets_module

    other = results / "cifar10"
    other.mkdir()
    record = fake_record("classical", 0, 0.5, 1100, dataset="cifar10")
    (other / "classical-seed0.json").write_text(json.dumps(record))
    box = accuracy_dashboard(results, "fashion-mnist")
    calls = []
    real = widgets_module.plot_accuracy_dashboard
    monkeypatch.setattr(widgets_module, "plot_accuracy_dashboard", lambda *a, **k: calls.append(a) or real(*a, **k))
    box.controls["dataset"].value = "cifar10"
    assert len(calls) == 1 and calls[0][1] == "cifar10"
    assert box.controls["models"].options == ("classical",) and box.controls["seeds"].value == (0,)
    assert [c.lines[0].get_xydata()[0].tolist() for c in box.figure.axes[0].containers] == [[1100.0, 50.0]]
    box.controls["models"].value = ()  # the watched controls still redraw
    assert len(calls) == 2
