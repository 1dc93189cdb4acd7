"""Tests of qpcnn_edu.lab.data (and its private helper _cache): never need the network.

The full-FashionMNIST tests use ``QPCNN_EDU_DATA`` (tests/conftest.py points it at ``../shared/data`` when that
exists) and skip otherwise; the cache, downloads and CIFAR-10 are tested on small files generated here in the real
on-disk formats. Downloads only ever reach servers on 127.0.0.1 that the test starts and stops itself, and every
download test is bounded in time (:func:`bounded`).
"""

from __future__ import annotations

import contextlib
import errno
import functools
import gzip
import hashlib
import http.server
import importlib.util
import os
import pickle
import socket
import tarfile
import tempfile
import threading
import tomllib
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader, Subset, TensorDataset
from torchvision.datasets import CIFAR10, FashionMNIST

from qpcnn_edu.lab import _cache as C
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
    """A fresh, empty cache, no system data folder and the default download timeout for every test."""
    monkeypatch.setenv("QPCNN_EDU_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("QPCNN_EDU_DOWNLOAD_TIMEOUT", raising=False)
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
    monkeypatch.setattr(C, "atomic_write", lambda *a, **k: pytest.fail("the cache must be reused"))
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
    for f in D.dataset_md5s("fashion-mnist", train=False):
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
    src, dst = tmp_path / "src.bin", tmp_path / "out" / "dst.bin"
    src.write_bytes(b"x" * 3000)

    class Interrupted:  # a reader that is stopped (Ctrl-C) after its first block
        def __init__(self, path, mode):
            self.calls = 0

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def read(self, n):
            self.calls += 1
            if self.calls > 1:
                raise KeyboardInterrupt
            return b"x" * 1000

    with pytest.raises(KeyboardInterrupt):
        C.atomic_copy(src, dst, md5(src), opener=Interrupted)
    with pytest.raises(D.DatasetIntegrityError, match=f"copy of {src} to {dst}: md5 must be 0{{32}}; got {md5(src)}"):
        C.atomic_copy(src, dst, "0" * 32)
    assert list(dst.parent.iterdir()) == []
    C.atomic_copy(src, dst, md5(src))
    assert dst.read_bytes() == src.read_bytes() and [p.name for p in dst.parent.iterdir()] == ["dst.bin"]


# ----------------------------------------------------------------------------------------------- generated FashionMNIST
def idx_gz(array: np.ndarray) -> bytes:
    """A uint8 array as a gzipped idx file, the format of the official FashionMNIST files."""
    header = bytes([0, 0, 8, array.ndim]) + b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    return gzip.compress(header + array.tobytes(), mtime=0)


@pytest.fixture
def fake_fmnist(tmp_path, monkeypatch):
    """Small FashionMNIST files (20 train, 10 test images) under ``<root>/FashionMNIST/raw``, accepted as if official
    (the md5 tables patched); returns the root, the folder and the arrays."""
    root = tmp_path / "fm-root"
    folder = root / "FashionMNIST" / "raw"
    folder.mkdir(parents=True)
    rng, arrays = np.random.default_rng(0), {}
    for prefix, n in (("train", 20), ("t10k", 10)):
        arrays[prefix] = (rng.integers(0, 256, (n, 28, 28), dtype=np.uint8), (np.arange(n) % 10).astype(np.uint8))
        for kind, array in zip(("images-idx3", "labels-idx1"), arrays[prefix]):
            f = f"{prefix}-{kind}-ubyte.gz"
            (folder / f).write_bytes(idx_gz(array))
            monkeypatch.setitem(D.FASHION_MNIST_MD5, f, md5(folder / f))
            monkeypatch.setitem(D.FASHION_MNIST_CONTENT_MD5, f, hashlib.md5(gzip.decompress(
                (folder / f).read_bytes())).hexdigest())
    return root, folder, arrays


def test_generated_fashion_mnist_loads_through_the_cache(fake_fmnist, isolated):
    root, folder, arrays = fake_fmnist
    before = listing(root)
    train, test = D.load_splits("fashion-mnist", root=root)
    assert (len(train), len(test)) == (20, 10) and train.train and not test.train
    assert torch.equal(test.targets, torch.as_tensor(arrays["t10k"][1], dtype=torch.int64))
    expected = (torch.from_numpy(arrays["train"][0][3]).float() / 255 - 0.2860) / 0.3530
    assert torch.allclose(train[3][0][0], expected, atol=1e-6)
    assert test.sources == {f: str(folder / f) for f in D.dataset_md5s("fashion-mnist", train=False)}
    assert test.md5s == {f: md5(folder / f) for f in test.sources}
    assert listing(root) == before  # the data folder is only read
    raw = isolated / "FashionMNIST" / "raw"
    assert sorted(p.name for p in raw.iterdir()) == sorted([f for f in D.FASHION_MNIST_MD5] +
                                                          [f[:-3] for f in D.FASHION_MNIST_MD5])


def test_md5s_are_measured_from_a_recompressed_file(fake_fmnist, isolated):
    """Debian's recompressed .gz (other md5, same content) is accepted; the record holds the md5 of what was read."""
    root, folder, _ = fake_fmnist
    flat = root.parent / "debian"
    flat.mkdir()
    for f in D.dataset_md5s("fashion-mnist", train=False):
        (flat / f).write_bytes(gzip.compress(gzip.decompress((folder / f).read_bytes()), compresslevel=1, mtime=7))
        assert md5(flat / f) != D.FASHION_MNIST_MD5[f]
    test = D.load_dataset("fashion-mnist", train=False, root=flat)
    assert test.md5s == {f: md5(flat / f) for f in test.md5s} and test.md5s != D.dataset_md5s("fashion-mnist", False)
    assert test.sources == {f: str(flat / f) for f in test.md5s}


def test_stale_extracted_file_in_the_cache_is_replaced(fake_fmnist, isolated):
    root, _, arrays = fake_fmnist
    D.load_dataset("fashion-mnist", train=False, root=root)
    stale = isolated / "FashionMNIST" / "raw" / "t10k-labels-idx1-ubyte"
    blob = bytearray(stale.read_bytes())
    blob[-1] ^= 1  # same size, the last label changed
    stale.write_bytes(bytes(blob))
    test = D.load_dataset("fashion-mnist", train=False, root=root)
    assert test.targets.tolist() == arrays["t10k"][1].tolist()


# ----------------------------------------------------------------------------------------------- read-only cache
@contextlib.contextmanager
def read_only(folder: Path, monkeypatch):
    """``folder`` made read-only (mode 0o555). Modes do not stop root: there, writes under ``folder`` fail the way the
    kernel fails them for a user (PermissionError from the atomic write)."""
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o555)
    if os.geteuid() == 0:
        real = C.atomic_write

        def refuse(path, write):
            if folder in Path(path).parents:
                raise PermissionError(errno.EACCES, "Permission denied", str(path))
            return real(path, write)

        monkeypatch.setattr(C, "atomic_write", refuse)
    try:
        yield folder
    finally:
        folder.chmod(0o755)


@pytest.fixture
def own_tempdir(tmp_path, monkeypatch):
    """This test's own folder for temporary files, to see that nothing is left there."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


@pytest.mark.parametrize("how", ["read-only", "under-a-file"])
def test_unwritable_cache_reads_through_a_temporary_folder(fake_fmnist, isolated, own_tempdir, monkeypatch, how):
    root, _, arrays = fake_fmnist
    if how == "under-a-file":  # e.g. QPCNN_EDU_CACHE set to a path below a file: a real error for root too
        (root.parent / "a-file").write_text("")
        monkeypatch.setenv("QPCNN_EDU_CACHE", str(root.parent / "a-file" / "cache"))
    with contextlib.ExitStack() as stack:
        if how == "read-only":
            stack.enter_context(read_only(isolated, monkeypatch))
        with pytest.warns(RuntimeWarning, match=r"(?s)cache .* must be writable.*set QPCNN_EDU_CACHE to a writable"):
            test = D.load_dataset("fashion-mnist", train=False, root=root)
    assert test.targets.tolist() == arrays["t10k"][1].tolist()
    assert test.sources["t10k-images-idx3-ubyte.gz"] == str(root / "FashionMNIST" / "raw" / "t10k-images-idx3-ubyte.gz")
    assert list(own_tempdir.iterdir()) == [], "the temporary folder must be removed after reading"
    if how == "read-only":
        assert list(isolated.iterdir()) == []


def test_read_only_cache_that_holds_the_files_is_read_without_writing(fake_fmnist, isolated, monkeypatch):
    root = fake_fmnist[0]
    first = D.load_dataset("fashion-mnist", train=False, root=root)
    before = listing(isolated)
    with read_only(isolated, monkeypatch), warnings.catch_warnings():
        warnings.simplefilter("error")
        again = D.load_dataset("fashion-mnist", train=False, root=root)
    assert torch.equal(again.images, first.images) and listing(isolated) == before


def test_no_writable_folder_at_all_is_explained(fake_fmnist, isolated, monkeypatch, tmp_path):
    (tmp_path / "a-file").write_text("")
    monkeypatch.setenv("QPCNN_EDU_CACHE", str(tmp_path / "a-file" / "cache"))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "a-file" / "tmp"))
    with pytest.warns(RuntimeWarning), pytest.raises(OSError, match=r"(?s)must be writable.*temporary folder failed"
                                                                    r".*Set QPCNN_EDU_CACHE to a writable folder"):
        D.load_dataset("fashion-mnist", train=False, root=fake_fmnist[0])


# ----------------------------------------------------------------------------------------------- download
class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@contextlib.contextmanager
def serving(folder: Path):
    """An HTTP server on 127.0.0.1 serving the files in ``folder``; its URL. Stopped on exit."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def silent_server():
    """A server on 127.0.0.1 that accepts connections and never answers; its URL and the connections it accepted.
    On exit it stops accepting and closes every connection."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.05)
    held, stop = [], threading.Event()

    def accept():
        while not stop.is_set():
            with contextlib.suppress(OSError):  # TimeoutError: nobody knocked in the last 50 ms
                held.append(server.accept()[0])

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}/", held
    finally:
        stop.set()
        thread.join(5)
        for connection in held:
            connection.close()
        server.close()


def closed_port_url() -> str:
    """A loopback URL nobody listens on: connections are refused at once, as without network."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}/"


def bounded(call, seconds: float = 30):
    """``call()`` run in a thread: its result or exception, or a test failure (not a hang) after ``seconds``."""
    outcome = {}

    def run():
        try:
            outcome["value"] = call()
        except BaseException as err:  # noqa: BLE001 - handed to the test
            outcome["error"] = err

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        pytest.fail(f"still running after {seconds} s: it hangs")
    return outcome


def point_downloads_at(monkeypatch, name: str, url: str) -> None:
    """Make torchvision's download URL for ``name`` (FashionMNIST's mirrors, CIFAR10.url) point at ``url``."""
    if name == "fashion-mnist":
        monkeypatch.setattr(FashionMNIST, "mirrors", [url])
    else:
        monkeypatch.setattr(CIFAR10, "url", url + CIFAR10.filename)


def no_download_folders(*folders) -> bool:
    return not any(p.name.startswith(".download-") for f in folders if f.exists() for p in f.rglob("*"))


@pytest.mark.parametrize("name", ["fashion-mnist", "cifar10"])
def test_download_that_is_never_answered_times_out_cleanly(tmp_path, monkeypatch, isolated, name):
    """Issue 10.8: an accepted connection that is never answered hung load_dataset and left .download-* behind."""
    monkeypatch.delenv("QPCNN_EDU_DATA", raising=False)
    monkeypatch.setenv("QPCNN_EDU_DOWNLOAD_TIMEOUT", "1")
    (isolated / "keep").mkdir(parents=True)
    with silent_server() as (url, held):
        point_downloads_at(monkeypatch, name, url)
        outcome = bounded(lambda: D.load_dataset(name, download=True))
        assert held, "the server must have accepted the connection"
    err = outcome.get("error")
    assert isinstance(err, D.DatasetNotFoundError), outcome
    text = str(err)
    assert f"no answer from {url}" in text and "within 1 s" in text and "QPCNN_EDU_DOWNLOAD_TIMEOUT" in text
    assert "Check the network" in text and "download=True failed" in text
    assert socket.getdefaulttimeout() is None, "the process-wide socket timeout must be restored"
    assert [p.name for p in isolated.iterdir()] == ["keep"] and no_download_folders(isolated)


@pytest.mark.parametrize("name", ["fashion-mnist", "cifar10"])
@pytest.mark.parametrize("explicit_root", [False, True])
def test_download_without_network_fails_cleanly(tmp_path, monkeypatch, isolated, name, explicit_root):
    monkeypatch.delenv("QPCNN_EDU_DATA", raising=False)
    url = closed_port_url()
    point_downloads_at(monkeypatch, name, url)
    root = tmp_path / "root" if explicit_root else None
    outcome = bounded(lambda: D.load_dataset(name, root=root, download=True))
    err = outcome.get("error")
    assert isinstance(err, D.DatasetNotFoundError) and err.name == name, outcome
    assert "download=True failed" in str(err) and url in str(err) and "URLError" in str(err)
    assert not isolated.exists() and not (tmp_path / "root").exists(), "no empty folders may be left behind"


def test_download_of_wrong_bytes_is_refused_and_removed(tmp_path, monkeypatch, isolated):
    served = tmp_path / "served"
    served.mkdir()
    for f in D.FASHION_MNIST_MD5:
        (served / f).write_bytes(b"not the file")
    with serving(served) as url:
        point_downloads_at(monkeypatch, "fashion-mnist", url)
        outcome = bounded(lambda: D.load_dataset("fashion-mnist", train=False, root=tmp_path / "root", download=True))
    text = str(outcome.get("error"))
    first = next(iter(D.FASHION_MNIST_MD5))
    assert isinstance(outcome.get("error"), D.DatasetNotFoundError), outcome
    assert (f"the file downloaded from {url}{first} must have md5 {D.FASHION_MNIST_MD5[first]}; "
            f"got {md5(served / first)}") in text
    assert not (tmp_path / "root").exists()


def test_interrupted_download_leaves_nothing(tmp_path, monkeypatch, isolated):
    def interrupted(url, root, filename, md5):
        Path(root, filename).write_bytes(b"half a file")
        raise KeyboardInterrupt

    monkeypatch.setattr(C, "download_url", interrupted)
    with pytest.raises(KeyboardInterrupt):
        D.load_dataset("fashion-mnist", download=True, root=tmp_path / "root")
    assert not (tmp_path / "root").exists()


def test_download_timeout_must_be_a_positive_number(tmp_path, monkeypatch):
    monkeypatch.setenv("QPCNN_EDU_DOWNLOAD_TIMEOUT", "soon")
    with pytest.raises(ValueError, match="QPCNN_EDU_DOWNLOAD_TIMEOUT must be a positive number of seconds; got 'soon'"):
        C.download(tmp_path / "target", [], [])
    assert not (tmp_path / "target").exists()


def test_download_into_an_unwritable_cache_names_the_variable(tmp_path, monkeypatch):
    (tmp_path / "a-file").write_text("")
    monkeypatch.setenv("QPCNN_EDU_CACHE", str(tmp_path / "a-file" / "cache"))
    monkeypatch.delenv("QPCNN_EDU_DATA", raising=False)
    point_downloads_at(monkeypatch, "fashion-mnist", closed_port_url())
    with pytest.raises(D.DatasetNotFoundError, match=r"(?s)a-file/cache/FashionMNIST/raw must be a writable folder to "
                                                     r"download into.*set QPCNN_EDU_CACHE"):
        D.load_dataset("fashion-mnist", download=True)


def test_download_loads_and_caches(fake_fmnist, tmp_path, monkeypatch, isolated):
    monkeypatch.delenv("QPCNN_EDU_DATA", raising=False)
    _, served, arrays = fake_fmnist
    with serving(served) as url:
        point_downloads_at(monkeypatch, "fashion-mnist", url)
        outcome = bounded(lambda: D.load_splits("fashion-mnist", download=True))
    train, test = outcome["value"]
    raw = isolated / "FashionMNIST" / "raw"
    assert test.targets.tolist() == arrays["t10k"][1].tolist() and len(train) == 20
    assert test.sources == {f: str(raw / f) for f in D.dataset_md5s("fashion-mnist", train=False)}
    assert all(md5(raw / f) == m for f, m in D.FASHION_MNIST_MD5.items()) and no_download_folders(isolated)
    assert socket.getdefaulttimeout() is None
    assert torch.equal(D.load_dataset("fashion-mnist", train=False).images, test.images)  # now found offline


# ----------------------------------------------------------------------------------------------- CIFAR-10
def write_cifar(folder: Path, n_per_batch: int = 20, seed: int = 0) -> dict:
    """Small CIFAR-10 files in the real format: pickled dicts as the official (Python 2) batches, whose keys and
    names torchvision's ``encoding="latin1"`` reads as ``str``."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    arrays = {}
    for i, f in enumerate([f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]):
        data = rng.integers(0, 256, size=(n_per_batch, 3072), dtype=np.uint8)
        labels = [int(x) for x in (np.arange(n_per_batch) + i) % 10]
        entry = {"batch_label": f"batch {f}", "labels": labels, "data": data,
                 "filenames": [f"img_{i}_{j}.png" for j in range(n_per_batch)]}
        (folder / f).write_bytes(pickle.dumps(entry, protocol=2))
        arrays[f] = (data, labels)
    meta = {"num_cases_per_batch": n_per_batch, "label_names": list(D.CIFAR10_CLASSES), "num_vis": 3072}
    (folder / "batches.meta").write_bytes(pickle.dumps(meta, protocol=2))
    return arrays


@pytest.fixture
def cifar(tmp_path, monkeypatch):
    """Generated CIFAR-10 files under ``<root>/cifar-10-batches-py``, accepted as if official (md5s patched)."""
    root = tmp_path / "cifar-root"
    folder = root / D.CIFAR10_FOLDER
    arrays = write_cifar(folder)
    for f in D.CIFAR10_MD5:
        monkeypatch.setitem(D.CIFAR10_MD5, f, md5(folder / f))
    return root, folder, arrays


def test_cifar10_loads_real_format(cifar, isolated):
    root, folder, arrays = cifar
    before = listing(root)
    train, test = D.load_splits("cifar10", root=root)
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
    assert train.md5s == {f: md5(folder / f) for f in train.md5s} and train.sources["data_batch_3"] == str(
        folder / "data_batch_3")
    assert listing(root) == before and not isolated.exists()  # read in place, nothing written
    assert len(D.load_dataset("cifar10", train=False, root=folder)) == 20  # root may be the batch folder itself


def test_cifar10_via_environment(cifar, monkeypatch):
    monkeypatch.setenv("QPCNN_EDU_DATA", str(cifar[0]))
    assert len(D.load_dataset("cifar10", train=False)) == 20
    assert D.locate("cifar10") == cifar[1]


def test_torchvision_cifar10_alone_rejects_generated_files(cifar):
    """Why data.py hands torchvision's reader the md5s it measured: alone, torchvision checks the official md5s
    even with download=False (and all six batches for either split)."""
    with pytest.raises(RuntimeError, match="not found or corrupted"):
        CIFAR10(str(cifar[0]), train=False, download=False)


def test_cifar10_download_loads(cifar, tmp_path, monkeypatch, isolated):
    monkeypatch.delenv("QPCNN_EDU_DATA", raising=False)
    served = tmp_path / "served"
    served.mkdir()
    with tarfile.open(served / CIFAR10.filename, "w:gz") as tar:
        tar.add(cifar[1], arcname=D.CIFAR10_FOLDER)
    monkeypatch.setattr(CIFAR10, "tgz_md5", md5(served / CIFAR10.filename))
    with serving(served) as url:
        point_downloads_at(monkeypatch, "cifar10", url)
        outcome = bounded(lambda: D.load_dataset("cifar10", train=False, download=True))
    test = outcome["value"]
    assert test.targets.tolist() == cifar[2]["test_batch"][1]
    assert sorted(p.name for p in (isolated / D.CIFAR10_FOLDER).iterdir()) == sorted(D.CIFAR10_MD5)
    assert test.sources["test_batch"] == str(isolated / D.CIFAR10_FOLDER / "test_batch")


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
    (b"\x80\x02garbage", r"must be CIFAR-10 python pickles .*; got UnpicklingError"),
    (pickle.dumps({"data": np.zeros((4, 100), np.uint8), "labels": [0] * 4}), r"pickles .*; got ValueError: cannot "
                                                                                r"reshape"),
    (pickle.dumps({"data": np.zeros((4, 3072), np.uint8), "labels": [0, 1, 2, 10]}), r"one label in 0\.\.9 each; got "
                                                                                      r"uint8 images, 4 labels for 4 "
                                                                                      r"images, labels 0\.\.10"),
    (pickle.dumps({"data": np.zeros((4, 3072), np.uint8), "labels": [0, 1, 2]}), "3 labels for 4 images"),
])
def test_cifar10_malformed_batch(cifar, monkeypatch, content, message):
    (cifar[1] / "test_batch").write_bytes(content)
    monkeypatch.setitem(D.CIFAR10_MD5, "test_batch", md5(cifar[1] / "test_batch"))
    with pytest.raises(D.DatasetIntegrityError, match=message):
        D.load_dataset("cifar10", train=False, root=cifar[0])


def test_cifar10_wrong_label_names(cifar, monkeypatch):
    meta = cifar[1] / "batches.meta"
    meta.write_bytes(pickle.dumps({"label_names": ["cat"] * 10}, protocol=2))
    monkeypatch.setitem(D.CIFAR10_MD5, "batches.meta", md5(meta))
    with pytest.raises(D.DatasetIntegrityError, match=r"batches.meta: label_names must be \('airplane'"):
        D.load_dataset("cifar10", train=False, root=cifar[0])


# ----------------------------------------------------------------------------------------------- names, info, subsets
@pytest.mark.parametrize("function", [D.load_dataset, D.load_splits, D.dataset_info, D.dataset_md5s, D.describe,
                                      D.locate])
def test_unknown_name(function):
    with pytest.raises(ValueError, match=r"dataset must be one of \('fashion-mnist-mini', 'fashion-mnist', "
                                         r"'cifar10'\); got 'mnist'\. The offline default is 'fashion-mnist-mini'\."):
        function("mnist")


@pytest.mark.parametrize("call, message", [
    (lambda: D.load_dataset("fashion-mnist", train="test"), "train must be True or False; got 'test'"),
    (lambda: D.load_splits("fashion-mnist", download=1), "download must be True or False; got 1"),
    (lambda: D.dataset_md5s("cifar10", train=0), "train must be True or False; got 0. Or None for both splits."),
    (lambda: D.subset(D.load_dataset("fashion-mnist-mini", train=False), 0), "n_per_class must be a positive integer"),
    (lambda: D.balanced_indices([0, 1], 1, seed=-1), "seed must be a non-negative integer; got -1"),
])
def test_bad_arguments_are_refused_before_any_work(call, message, isolated):
    with pytest.raises(ValueError, match=message):
        call()
    assert not isolated.exists()


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
    assert (a.md5s, a.sources) == (test.md5s, test.sources) and a.sources  # provenance is kept
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
