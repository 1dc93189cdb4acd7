"""Tests of qpcnn_edu.lab.data: never need the network.

The full-FashionMNIST tests use ``QPCNN_EDU_DATA`` (tests/conftest.py points it at ``../shared/data`` when that
exists) and skip otherwise; CIFAR-10 is tested on small files generated here in its real on-disk format.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import os
import pickle
import tomllib
from pathlib import Path
from urllib.error import URLError

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader, Subset, TensorDataset

from qpcnn_edu.lab import data as D

REPO = Path(__file__).resolve().parents[1]
FM_MEAN, FM_STD = 0.2860, 0.3530


def md5(path) -> str:
    return hashlib.md5(Path(path).read_bytes()).hexdigest()


def listing(folder: Path) -> list:
    """Every file and folder under ``folder`` with size and mtime, to prove nothing was written there."""
    return sorted((str(p.relative_to(folder)), p.is_dir(), p.stat().st_size, p.stat().st_mtime_ns)
                  for p in folder.rglob("*"))


def official_source():
    """The folder holding the four official FashionMNIST .gz files (via QPCNN_EDU_DATA), or None."""
    if not os.environ.get("QPCNN_EDU_DATA"):
        return None
    train, test = D.locate("fashion-mnist", True), D.locate("fashion-mnist", False)
    return train if train is not None and train == test and train != D.cache_dir() / "FashionMNIST" / "raw" else None


needs_official = pytest.mark.skipif(
    official_source() is None,
    reason="the official FashionMNIST .gz files are not found: set QPCNN_EDU_DATA to a folder holding "
           "FashionMNIST/raw/*.gz (tests/conftest.py uses ../shared/data when it exists)")


@pytest.fixture(autouse=True)
def isolated(monkeypatch, tmp_path):
    """A fresh, empty cache and no system data folder for every test."""
    monkeypatch.setenv("QPCNN_EDU_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(D, "SYSTEM_DATA_DIRS", (tmp_path / "system",))
    return tmp_path / "cache"


# ----------------------------------------------------------------------------------------------- mini set
def test_mini_loads_offline_without_root_or_env(monkeypatch, isolated):
    monkeypatch.delenv("QPCNN_EDU_DATA", raising=False)
    train, test = D.load_dataset("fashion-mnist-mini"), D.load_dataset("fashion-mnist-mini", train=False)
    assert (len(train), len(test)) == (5000, 1000)
    assert train.targets.bincount().tolist() == [500] * 10 and test.targets.bincount().tolist() == [100] * 10
    image, label = train[0]
    assert image.shape == (1, 28, 28) and image.dtype == torch.float32 and isinstance(label, int)
    assert train.images.dtype == torch.float32 and train.targets.dtype == torch.int64
    assert abs(train.images.mean().item()) < 0.05 and abs(train.images.std().item() - 1) < 0.05
    assert train.classes == D.FASHION_MNIST_CLASSES and train.md5s == {"fashion_mnist_mini.npz": D.MINI_MD5}
    raw = train.images * FM_STD + FM_MEAN  # back to [0, 1], in steps of 1/255
    assert raw.min() > -1e-6 and raw.max() < 1 + 1e-6
    assert torch.allclose(raw * 255, (raw * 255).round(), atol=1e-3)
    assert not isolated.exists(), "the mini set must not touch the cache"


def test_mini_is_deterministic_and_checked():
    a, b = D.load_dataset("fashion-mnist-mini"), D.load_dataset("fashion-mnist-mini")
    assert torch.equal(a.images, b.images) and torch.equal(a.targets, b.targets)
    assert md5(D.MINI_FILE) == D.MINI_MD5
    meta = D.mini_metadata()
    assert meta["seed"] == 0 and meta["source_md5"] == D.FASHION_MNIST_MD5
    assert (meta["n_train_per_class"], meta["n_test_per_class"]) == (500, 100)
    with np.load(D.MINI_FILE) as z:
        assert z["x_train"].dtype == np.uint8 and z["y_train"].dtype == np.uint8
        assert np.all(np.diff(z["idx_train"]) > 0) and np.all(np.diff(z["idx_test"]) > 0)  # sorted, distinct
    assert 1_000_000 < D.MINI_FILE.stat().st_size < 5_000_000


def test_mini_wrong_md5_is_refused(monkeypatch):
    monkeypatch.setattr(D, "MINI_MD5", "0" * 32)
    with pytest.raises(D.DatasetIntegrityError, match="md5 must be 0{32}; got [0-9a-f]{32}"):
        D.load_dataset("fashion-mnist-mini")


def test_mini_file_is_package_data():
    patterns = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["qpcnn_edu"]
    rel = D.MINI_FILE.relative_to(REPO / "qpcnn_edu")
    assert any(rel.match(p) for p in patterns), f"{rel} is not in package-data {patterns}"


def load_script():
    spec = importlib.util.spec_from_file_location("make_mini_dataset", REPO / "scripts" / "make_mini_dataset.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@needs_official
def test_mini_regenerates_identically(tmp_path):
    script = load_script()
    out = script.make_mini_dataset(tmp_path / "mini.npz", source=official_source())
    with np.load(out) as new, np.load(D.MINI_FILE) as old:
        assert sorted(new.files) == sorted(old.files)
        for key in old.files:
            assert np.array_equal(new[key], old[key]), key
            assert new[key].dtype == old[key].dtype, key


# ----------------------------------------------------------------------------------------------- full FashionMNIST
@pytest.fixture(scope="module")
def full_fashion_mnist(tmp_path_factory):
    """Both splits loaded from QPCNN_EDU_DATA into a temporary cache, with the data folders' listings."""
    source = official_source()
    if source is None:
        pytest.skip("QPCNN_EDU_DATA is not set or lacks the official FashionMNIST .gz files "
                    "(tests/conftest.py sets it to ../shared/data when that exists)")
    cache = tmp_path_factory.mktemp("full") / "cache"
    env_dirs = [Path(p) for p in os.environ["QPCNN_EDU_DATA"].split(os.pathsep) if p]
    before = {d: listing(d) for d in env_dirs if d.is_dir()}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("QPCNN_EDU_CACHE", str(cache))
        train, test = D.load_dataset("fashion-mnist"), D.load_dataset("fashion-mnist", train=False)
    after = {d: listing(d) for d in env_dirs if d.is_dir()}
    return dict(train=train, test=test, cache=cache, before=before, after=after)


def test_full_fashion_mnist_loads(full_fashion_mnist):
    train, test = full_fashion_mnist["train"], full_fashion_mnist["test"]
    assert (len(train), len(test)) == (60000, 10000)
    assert train.targets.bincount().tolist() == [6000] * 10 and test.targets.bincount().tolist() == [1000] * 10
    image, label = test[0]
    assert image.shape == (1, 28, 28) and image.dtype == torch.float32 and isinstance(label, int)
    assert abs(train.images.mean().item()) < 1e-3 and abs(train.images.std().item() - 1) < 1e-3  # its own stats
    assert train.md5s == D.dataset_md5s("fashion-mnist", train=True)


def test_full_fashion_mnist_writes_only_to_the_cache(full_fashion_mnist):
    assert full_fashion_mnist["before"] and full_fashion_mnist["before"] == full_fashion_mnist["after"]
    raw = full_fashion_mnist["cache"] / "FashionMNIST" / "raw"
    assert sorted(p.name for p in raw.iterdir()) == sorted(
        [f for f in D.FASHION_MNIST_MD5] + [f[:-3] for f in D.FASHION_MNIST_MD5])  # no temporary files left
    for f, expected in D.FASHION_MNIST_MD5.items():
        assert md5(raw / f) == expected


def test_mini_is_a_subset_of_the_full_set(full_fashion_mnist):
    with np.load(D.MINI_FILE) as z:
        idx_train, idx_test = torch.as_tensor(z["idx_train"]).long(), torch.as_tensor(z["idx_test"]).long()
    mini_train, mini_test = D.load_dataset("fashion-mnist-mini"), D.load_dataset("fashion-mnist-mini", train=False)
    assert torch.equal(full_fashion_mnist["train"].images[idx_train], mini_train.images)
    assert torch.equal(full_fashion_mnist["test"].targets[idx_test], mini_test.targets)


def test_cache_is_reused(full_fashion_mnist, monkeypatch):
    monkeypatch.setenv("QPCNN_EDU_CACHE", str(full_fashion_mnist["cache"]))
    monkeypatch.setattr(D, "_atomic_stream", lambda *a, **k: pytest.fail("the cache must be reused"))
    again = D.load_dataset("fashion-mnist", train=False)
    assert torch.equal(again.images, full_fashion_mnist["test"].images)


@needs_official
def test_recompressed_gz_is_accepted_by_content(tmp_path, isolated):
    """Debian's dataset-fashion-mnist ships recompressed .gz files (other md5, same bytes), all in one folder."""
    flat = tmp_path / "debian"
    flat.mkdir()
    (flat / "t10k-images-idx3-ubyte.gz").symlink_to(official_source() / "t10k-images-idx3-ubyte.gz")
    labels = gzip.decompress((official_source() / "t10k-labels-idx1-ubyte.gz").read_bytes())
    (flat / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(labels, mtime=0))
    assert md5(flat / "t10k-labels-idx1-ubyte.gz") != D.FASHION_MNIST_MD5["t10k-labels-idx1-ubyte.gz"]
    test = D.load_dataset("fashion-mnist", train=False, root=flat)
    assert len(test) == 10000 and test.targets.bincount().tolist() == [1000] * 10


# ----------------------------------------------------------------------------------------------- where data is found
@pytest.mark.parametrize("layout", ["FashionMNIST/raw", "fashion-mnist", "."])
def test_locate_layouts(tmp_path, layout):
    folder = (tmp_path / "data" / layout).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    for f in D._split_files("fashion-mnist", train=False):
        (folder / f).touch()
    assert D.locate("fashion-mnist", train=False, root=tmp_path / "data").resolve() == folder
    assert D.locate("fashion-mnist", train=True, root=tmp_path / "data") is None


def test_search_order(tmp_path, monkeypatch):
    first, second = tmp_path / "first", tmp_path / "second"
    monkeypatch.setenv("QPCNN_EDU_DATA", os.pathsep.join([str(first), str(second)]))
    assert D.data_dirs() == [first, second, D.cache_dir()]
    assert D.data_dirs(root=tmp_path) == [tmp_path]  # an explicit root is looked in alone
    monkeypatch.delenv("QPCNN_EDU_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert D.cache_dir() == tmp_path / "xdg" / "qpcnn_edu"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert D.cache_dir() == Path.home() / ".cache" / "qpcnn_edu"


def test_system_folder_is_found(tmp_path, monkeypatch):
    monkeypatch.delenv("QPCNN_EDU_DATA", raising=False)
    system = tmp_path / "usr-share-datasets-fashion-mnist"
    system.mkdir()
    for f in D.FASHION_MNIST_MD5:
        (system / f).touch()
    monkeypatch.setattr(D, "SYSTEM_DATA_DIRS", (system,))
    assert D.locate("fashion-mnist", train=True) == system
    assert D.locate("fashion-mnist", train=True, root=tmp_path / "elsewhere") is None


def test_missing_data_error_names_dataset_places_and_fixes(tmp_path, monkeypatch, isolated):
    monkeypatch.setenv("QPCNN_EDU_DATA", str(tmp_path / "empty"))
    with pytest.raises(D.DatasetNotFoundError) as info:
        D.load_dataset("fashion-mnist")
    err, text = info.value, str(info.value)
    assert isinstance(err, FileNotFoundError) and err.name == "fashion-mnist"
    assert "'fashion-mnist' not found" in text and "train-images-idx3-ubyte.gz" in text
    for place in (tmp_path / "empty" / "FashionMNIST" / "raw", tmp_path / "empty", isolated, tmp_path / "system"):
        assert place in err.searched and f"  - {place}\n" in text + "\n"
    assert "QPCNN_EDU_DATA" in text and "download=True" in text and 'load_dataset("fashion-mnist-mini")' in text
    assert not isolated.exists() and not (tmp_path / "empty").exists()


def test_missing_data_with_explicit_root_looks_there_only(tmp_path):
    with pytest.raises(D.DatasetNotFoundError) as info:
        D.load_dataset("fashion-mnist", train=False, root=tmp_path / "mine")
    assert info.value.searched == [tmp_path / "mine" / "FashionMNIST" / "raw", tmp_path / "mine" / "fashion-mnist",
                                   tmp_path / "mine"]


# ----------------------------------------------------------------------------------------------- integrity
def test_corrupt_file_is_refused_and_nothing_cached(tmp_path, isolated):
    raw = tmp_path / "data" / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    source = official_source()
    images, labels = raw / "t10k-images-idx3-ubyte.gz", raw / "t10k-labels-idx1-ubyte.gz"
    if source is not None:  # a real file, truncated
        images.symlink_to(source / images.name)
        labels.write_bytes((source / labels.name).read_bytes()[:-100])
        bad = labels
    else:
        images.write_bytes(b"not a gzip file")
        labels.write_bytes(b"nor this")
        bad = images
    with pytest.raises(D.DatasetIntegrityError) as info:
        D.load_dataset("fashion-mnist", train=False, root=tmp_path / "data")
    text = str(info.value)
    assert str(bad) in text and D.FASHION_MNIST_MD5[bad.name] in text and md5(bad) in text and "md5 must be" in text
    assert not isolated.exists(), "nothing may be cached from a corrupt source"


def test_interrupted_or_wrong_copy_leaves_nothing(tmp_path):
    dst = tmp_path / "out.bin"

    def interrupted():
        yield b"x" * 1000
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        D._atomic_stream(dst, interrupted, hashlib.md5(b"x" * 2000).hexdigest(), "copy")
    with pytest.raises(D.DatasetIntegrityError, match="md5 must be"):
        D._atomic_stream(dst, lambda: iter([b"abc"]), "0" * 32, "copy")
    assert list(tmp_path.iterdir()) == []
    D._atomic_stream(dst, lambda: iter([b"abc"]), hashlib.md5(b"abc").hexdigest(), "copy")
    assert dst.read_bytes() == b"abc" and [p.name for p in tmp_path.iterdir()] == ["out.bin"]


def test_md5_tables_match_torchvision():
    from torchvision.datasets import CIFAR10, FashionMNIST

    assert D.FASHION_MNIST_MD5 == dict(FashionMNIST.resources)
    assert D.CIFAR10_MD5 == dict(CIFAR10.train_list + CIFAR10.test_list + [[CIFAR10.meta["filename"],
                                                                            CIFAR10.meta["md5"]]])


# ----------------------------------------------------------------------------------------------- download
def _no_network(*args, **kwargs):
    raise URLError("[Errno -3] Temporary failure in name resolution (test: no network)")


@pytest.mark.parametrize("name, module", [("fashion-mnist", "mnist"), ("cifar10", "cifar")])
@pytest.mark.parametrize("explicit_root", [False, True])
def test_download_without_network_fails_cleanly(tmp_path, monkeypatch, isolated, name, module, explicit_root):
    import torchvision.datasets

    monkeypatch.delenv("QPCNN_EDU_DATA", raising=False)
    monkeypatch.setattr(getattr(torchvision.datasets, module), "download_and_extract_archive", _no_network)
    root = tmp_path / "root" if explicit_root else None
    with pytest.raises(D.DatasetNotFoundError, match="download=True failed") as info:
        D.load_dataset(name, root=root, download=True)
    assert info.value.name == name and "no network" in str(info.value)
    assert not isolated.exists() and not (tmp_path / "root").exists(), "no empty folders may be left behind"


def test_download_failure_keeps_existing_folders(tmp_path, monkeypatch, isolated):
    import torchvision.datasets

    monkeypatch.delenv("QPCNN_EDU_DATA", raising=False)
    (isolated / "keep").mkdir(parents=True)
    monkeypatch.setattr(torchvision.datasets.mnist, "download_and_extract_archive", _no_network)
    with pytest.raises(D.DatasetNotFoundError):
        D.load_dataset("fashion-mnist", download=True)
    assert [p.name for p in isolated.iterdir()] == ["keep"]


# ----------------------------------------------------------------------------------------------- CIFAR-10
def write_cifar(folder: Path, n_per_batch: int = 20, seed: int = 0) -> dict:
    """Small CIFAR-10 files in the real format: pickled dicts with bytes keys, as the official batches."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    arrays = {}
    for i, f in enumerate([f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]):
        data = rng.integers(0, 256, size=(n_per_batch, 3072), dtype=np.uint8)
        labels = [int(x) for x in (np.arange(n_per_batch) + i) % 10]
        entry = {b"batch_label": f"batch {f}".encode(), b"labels": labels, b"data": data,
                 b"filenames": [f"img_{i}_{j}.png".encode() for j in range(n_per_batch)]}
        (folder / f).write_bytes(pickle.dumps(entry, protocol=2))
        arrays[f] = (data, labels)
    meta = {b"num_cases_per_batch": n_per_batch, b"label_names": [c.encode() for c in D.CIFAR10_CLASSES],
            b"num_vis": 3072}
    (folder / "batches.meta").write_bytes(pickle.dumps(meta, protocol=2))
    return arrays


@pytest.fixture
def cifar(tmp_path, monkeypatch):
    """Generated CIFAR-10 files under ``<root>/cifar-10-batches-py``, accepted as if official (md5s patched)."""
    root = tmp_path / "cifar-root"
    folder = root / D.CIFAR10_FOLDER
    arrays = write_cifar(folder)
    monkeypatch.setattr(D, "CIFAR10_MD5", {f: md5(folder / f) for f in D.CIFAR10_MD5})
    return root, folder, arrays


def test_cifar10_loads_real_format(cifar, isolated):
    root, folder, arrays = cifar
    before = listing(root)
    train, test = D.load_dataset("cifar10", root=root), D.load_dataset("cifar10", train=False, root=root)
    assert (len(train), len(test)) == (100, 20) and train.classes == D.CIFAR10_CLASSES
    image, label = train[25]
    assert image.shape == (3, 32, 32) and image.dtype == torch.float32 and isinstance(label, int)
    data, labels = arrays["data_batch_2"]
    assert label == labels[5]
    mean = torch.tensor([0.4914, 0.4822, 0.4465]).view(3, 1, 1)
    std = torch.tensor([0.2470, 0.2435, 0.2616]).view(3, 1, 1)
    expected = (torch.from_numpy(data[5].reshape(3, 32, 32)).float() / 255 - mean) / std  # channel-major rows
    assert torch.allclose(image, expected, atol=1e-6)
    assert test.targets.tolist() == arrays["test_batch"][1]
    assert train.md5s == D.dataset_md5s("cifar10", train=True) and len(train.md5s) == 6
    assert listing(root) == before and not isolated.exists()  # read in place, nothing written
    assert len(D.load_dataset("cifar10", train=False, root=folder)) == 20  # root may be the batch folder itself


def test_cifar10_via_environment(cifar, monkeypatch):
    monkeypatch.setenv("QPCNN_EDU_DATA", str(cifar[0]))
    assert len(D.load_dataset("cifar10", train=False)) == 20
    assert D.locate("cifar10") == cifar[1]


def test_torchvision_cifar10_rejects_generated_files(cifar):
    """Why data.py reads the format itself: torchvision checks the official md5s even with download=False."""
    from torchvision.datasets import CIFAR10

    with pytest.raises(RuntimeError, match="not found or corrupted"):
        CIFAR10(str(cifar[0]), train=False, download=False)


def test_cifar10_unofficial_files_are_refused(cifar, monkeypatch):
    monkeypatch.undo()  # the official md5s again
    with pytest.raises(D.DatasetIntegrityError, match="test_batch.*md5 must be 40351d587109b95175f43aff81a1287e"):
        D.load_dataset("cifar10", train=False, root=cifar[0])


def test_cifar10_corrupt_batch(cifar):
    folder = cifar[1]
    blob = bytearray((folder / "data_batch_2").read_bytes())
    blob[500] ^= 0xFF
    (folder / "data_batch_2").write_bytes(bytes(blob))
    with pytest.raises(D.DatasetIntegrityError) as info:
        D.load_dataset("cifar10", root=cifar[0])
    text = str(info.value)
    assert "data_batch_2" in text and D.CIFAR10_MD5["data_batch_2"] in text and md5(folder / "data_batch_2") in text
    assert len(D.load_dataset("cifar10", train=False, root=cifar[0])) == 20  # the other split is unaffected


def test_cifar10_missing_batch(cifar):
    (cifar[1] / "data_batch_3").unlink()
    with pytest.raises(D.DatasetNotFoundError, match=r"(?s)lacks data_batch_3.*Fixes"):
        D.load_dataset("cifar10", root=cifar[0])


@pytest.mark.parametrize("content, message", [
    (b"\x80\x02garbage", "not a CIFAR-10 python pickle"),
    (pickle.dumps({b"data": np.zeros((4, 100), np.uint8), b"labels": [0] * 4}), "b'data' must be uint8"),
    (pickle.dumps({b"data": np.zeros((4, 3072), np.uint8), b"labels": [0, 1, 2, 10]}), "ints in 0..9"),
])
def test_cifar10_malformed_batch(cifar, monkeypatch, content, message):
    (cifar[1] / "test_batch").write_bytes(content)
    monkeypatch.setitem(D.CIFAR10_MD5, "test_batch", md5(cifar[1] / "test_batch"))
    with pytest.raises(D.DatasetIntegrityError, match=message):
        D.load_dataset("cifar10", train=False, root=cifar[0])


# ----------------------------------------------------------------------------------------------- names, info, subsets
@pytest.mark.parametrize("function", [D.load_dataset, D.dataset_info, D.dataset_md5s, D.describe, D.locate])
def test_unknown_name(function):
    with pytest.raises(ValueError, match="dataset must be one of 'fashion-mnist-mini', 'fashion-mnist', 'cifar10'; "
                                         "got 'mnist'"):
        function("mnist")


def test_dataset_info_and_md5s():
    assert set(D.DATASETS) == {"fashion-mnist-mini", "fashion-mnist", "cifar10"}
    for name in D.DATASETS:
        info = D.dataset_info(name)
        assert info["n_classes"] == len(info["classes"]) == 10 and len(info["mean"]) == info["shape"][0]
    assert D.dataset_info("fashion-mnist")["mean"] == (0.2860,) and D.dataset_info("fashion-mnist")["std"] == (0.3530,)
    assert D.dataset_info("cifar10")["std"] == (0.2470, 0.2435, 0.2616)
    assert D.dataset_md5s("fashion-mnist") == D.FASHION_MNIST_MD5
    assert list(D.dataset_md5s("cifar10", train=False)) == ["test_batch", "batches.meta"]
    assert "fashion_mnist_mini.npz" in D.describe("fashion-mnist-mini")


def test_subset_is_balanced_and_deterministic():
    test = D.load_dataset("fashion-mnist-mini", train=False)
    a, b, c = D.subset(test, 7, seed=1), D.subset(test, 7, seed=1), D.subset(test, 7, seed=2)
    assert isinstance(a, D.ImageDataset) and a.name == test.name and len(a) == 70
    assert a.targets.bincount().tolist() == [7] * 10
    assert torch.equal(a.images, b.images) and not torch.equal(a.images, c.images)
    plain = D.subset(TensorDataset(test.images, test.targets), 3)
    assert type(plain) is TensorDataset and torch.equal(plain.tensors[0], D.subset(test, 3).images)
    generic = D.subset([(torch.zeros(1), i % 2) for i in range(10)], 2)
    assert isinstance(generic, Subset) and len(generic) == 4
    with pytest.raises(ValueError, match="class 0 must have at least 101 items; got 100"):
        D.subset(test, 101)


def test_batches_and_slices():
    test = D.load_dataset("fashion-mnist-mini", train=False)
    images, labels = next(iter(DataLoader(test, batch_size=8)))
    assert images.shape == (8, 1, 28, 28) and labels.dtype == torch.int64
    images, labels = test[:4]
    assert images.shape == (4, 1, 28, 28) and labels.shape == (4,)
    assert "fashion-mnist-mini" in repr(test)
