"""Datasets and where they live on disk: FashionMNIST (full, and an embedded mini set) and CIFAR-10.

:func:`load_dataset` returns an :class:`ImageDataset`: a ``torch.utils.data.TensorDataset`` of normalized
float32 images ``(N, C, H, W)`` and int64 labels whose items are ``(image, int label)``.

Names (:data:`DATASETS`)
    ``"fashion-mnist-mini"``, the offline default: 500 train + 100 test images per class, a deterministic,
    class-balanced subset of the official files shipped inside the package (``qpcnn_edu/_data``, made by
    ``scripts/make_mini_dataset.py``; its md5 :data:`MINI_MD5` is checked on every load). It needs no data
    folder and no network. ``"fashion-mnist"`` (60000 + 10000) and ``"cifar10"`` (50000 + 10000) are read from
    disk with the file formats (and, for ``download=True``, the downloaders) of ``torchvision``.

Where data is looked for, in order (:func:`data_dirs`)
    an explicit ``root`` (then nothing else); otherwise every folder in the environment variable
    ``QPCNN_EDU_DATA`` (``os.pathsep``-separated), then the per-user cache :func:`cache_dir`
    (``$QPCNN_EDU_CACHE``, else ``$XDG_CACHE_HOME/qpcnn_edu``, else ``~/.cache/qpcnn_edu``), then, for
    FashionMNIST, ``/usr/share/datasets/fashion-mnist`` (Debian's ``dataset-fashion-mnist``). In each folder
    FashionMNIST may sit as ``FashionMNIST/raw/*.gz`` (torchvision's layout), ``fashion-mnist/*.gz`` or
    ``*.gz``; CIFAR-10 as ``cifar-10-batches-py/`` or the batch files themselves.

Integrity and read-only folders
    Every source file is md5-checked before use (official md5s: :data:`FASHION_MNIST_MD5`, :data:`CIFAR10_MD5`;
    a recompressed FashionMNIST ``.gz``, like Debian's, is accepted when its decompressed bytes match
    :data:`FASHION_MNIST_CONTENT_MD5`). Data folders are never written to: FashionMNIST's ``.gz`` files are
    copied into the cache and extracted there, each file written to a temporary name and renamed into place,
    so an interrupted or failed copy leaves nothing half-written and a corrupt source caches nothing.
    CIFAR-10's batches are read where they are. Downloads (``download=True``) go to ``root`` if given, else
    to the cache.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
import os
import pickle
import shutil
import tempfile
import zlib
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Subset, TensorDataset

__all__ = [
    "DATASETS",
    "FASHION_MNIST_CLASSES",
    "CIFAR10_CLASSES",
    "DatasetNotFoundError",
    "DatasetIntegrityError",
    "ImageDataset",
    "load_dataset",
    "dataset_info",
    "dataset_md5s",
    "describe",
    "mini_metadata",
    "locate",
    "subset",
    "balanced_indices",
    "cache_dir",
    "data_dirs",
]

DATASETS = ("fashion-mnist-mini", "fashion-mnist", "cifar10")
FASHION_MNIST_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                         "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")
CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")

#: md5 of the official ``.gz`` files (as in ``torchvision.datasets.FashionMNIST.resources``).
FASHION_MNIST_MD5 = {
    "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
    "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
    "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
    "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
}
#: md5 and size of the decompressed files (identical for the official and Debian's recompressed ``.gz``).
FASHION_MNIST_CONTENT_MD5 = {
    "train-images-idx3-ubyte.gz": "f4a8712d7a061bf5bd6d2ca38dc4d50a",
    "train-labels-idx1-ubyte.gz": "9018921c3c673c538a1fc5bad174d6f9",
    "t10k-images-idx3-ubyte.gz": "8181f5470baa50b63fa0f6fddb340f0a",
    "t10k-labels-idx1-ubyte.gz": "15d484375f8d13e6eb1aabb0c3f46965",
}
#: md5 of the official CIFAR-10 python batches (as in ``torchvision.datasets.CIFAR10``).
CIFAR10_MD5 = {
    "data_batch_1": "c99cafc152244af753f735de768cd75f",
    "data_batch_2": "d4bba439e000b95fd0a9bffe97cbabec",
    "data_batch_3": "54ebc095f3ab1f0389bbae665268c751",
    "data_batch_4": "634d18415352ddfa80567beed471001a",
    "data_batch_5": "482c414d41f54cd18b22e5b47cb7c3cb",
    "test_batch": "40351d587109b95175f43aff81a1287e",
    "batches.meta": "5ff9c542aee3614f3951f8cda6e48888",
}
MINI_FILE = Path(__file__).resolve().parents[1] / "_data" / "fashion_mnist_mini.npz"
#: md5 of :data:`MINI_FILE`, checked on every load (update it when the file is regenerated on purpose).
MINI_MD5 = "0a18f5e2608371527dc7837554a78642"
_RAW_SIZES = {"train-images-idx3-ubyte.gz": 47040016, "train-labels-idx1-ubyte.gz": 60008,
              "t10k-images-idx3-ubyte.gz": 7840016, "t10k-labels-idx1-ubyte.gz": 10008}
SYSTEM_DATA_DIRS = (Path("/usr/share/datasets/fashion-mnist"),)
CIFAR10_FOLDER = "cifar-10-batches-py"

_FMNIST = dict(shape=(1, 28, 28), n_classes=10, classes=FASHION_MNIST_CLASSES, mean=(0.2860,), std=(0.3530,))
_INFO = {
    "fashion-mnist-mini": dict(_FMNIST, n_train=5000, n_test=1000,
                               source="embedded class-balanced subset of FashionMNIST (Xiao et al. 2017)"),
    "fashion-mnist": dict(_FMNIST, n_train=60000, n_test=10000, source="FashionMNIST (Xiao et al. 2017)"),
    "cifar10": dict(shape=(3, 32, 32), n_classes=10, classes=CIFAR10_CLASSES, mean=(0.4914, 0.4822, 0.4465),
                    std=(0.2470, 0.2435, 0.2616), n_train=50000, n_test=10000, source="CIFAR-10 (Krizhevsky 2009)"),
}


class DatasetNotFoundError(FileNotFoundError):
    """A dataset's files are in none of the places looked at (or a download failed).

    Attributes:
        name (str): the dataset.
        searched (list[Path]): every folder looked in, in order.
    """

    def __init__(self, name: str, searched, files, detail: str = "", hint: str = ""):
        self.name, self.searched = name, [Path(p) for p in searched]
        where = "\n".join(f"  - {p}" for p in self.searched) or "  (nowhere)"
        fixes = [f"set QPCNN_EDU_DATA to a folder holding them (or pass root=...), e.g. {hint}" if hint else
                 "set QPCNN_EDU_DATA to a folder holding them (or pass root=...)",
                 f"pass download=True (needs network; saves to root if given, else {cache_dir()})",
                 'or use the embedded offline mini set: load_dataset("fashion-mnist-mini")']
        super().__init__(f"dataset {name!r} not found{': ' + detail if detail else ''}.\n"
                         f"Looked for {', '.join(files)} in:\n{where}\nFixes:\n" + "\n".join(f"  * {f}" for f in fixes))


class DatasetIntegrityError(RuntimeError):
    """A data file is corrupt: wrong md5, or not in the expected format."""


class ImageDataset(TensorDataset):
    """A ``TensorDataset`` of normalized images and labels, with its name, classes and provenance.

    Items are ``(image, label)``: ``image`` a float32 tensor ``(C, H, W)``, ``label`` an ``int``
    (indexing with a slice or index list returns the label tensor instead).

    Attributes:
        images (torch.Tensor): float32 ``(N, C, H, W)``, normalized with ``mean``/``std``.
        targets (torch.Tensor): int64 ``(N,)``.
        name (str): the dataset's name (one of :data:`DATASETS`).
        train (bool): the split.
        classes (tuple[str]): class names, indexed by label.
        mean, std (tuple[float]): the per-channel normalization (see :func:`dataset_info`).
        md5s (dict): file name -> md5 of each file this split was read from, computed from the bytes read.
        sources (dict): file name -> the path it was read from.

    >>> images, labels = load_dataset("fashion-mnist-mini", train=False)[:4]  # slices give tensors
    >>> tuple(images.shape), labels.dtype
    ((4, 1, 28, 28), torch.int64)
    """

    def __init__(self, images, labels, *, name, train, classes, mean, std, md5s, sources=None):
        super().__init__(images, labels)
        self.name, self.train, self.classes = name, train, tuple(classes)
        self.mean, self.std, self.md5s = tuple(mean), tuple(std), dict(md5s)
        self.sources = {f: str(path) for f, path in (sources or {}).items()}

    @classmethod
    def from_uint8(cls, data, labels, *, name, train, md5s, sources=None) -> "ImageDataset":
        """Normalize uint8 images ``(N, C, H, W)`` with ``name``'s mean and std."""
        info = _INFO[name]
        mean = torch.tensor(info["mean"]).view(1, -1, 1, 1)
        std = torch.tensor(info["std"]).view(1, -1, 1, 1)
        images = torch.as_tensor(np.ascontiguousarray(data)).to(torch.float32).div_(255).sub_(mean).div_(std)
        return cls(images, torch.as_tensor(np.asarray(labels), dtype=torch.int64), name=name, train=train,
                   classes=info["classes"], mean=info["mean"], std=info["std"], md5s=md5s,
                   sources=sources)

    @property
    def images(self) -> torch.Tensor:
        return self.tensors[0]

    @property
    def targets(self) -> torch.Tensor:
        return self.tensors[1]

    def __getitem__(self, index):
        image, label = self.tensors[0][index], self.tensors[1][index]
        return image, int(label) if label.ndim == 0 else label

    def __repr__(self) -> str:
        split = "train" if self.train else "test"
        return (f"ImageDataset({self.name!r}, {split}, {len(self)} images of shape {tuple(self.images.shape[1:])}, "
                f"{len(self.classes)} classes)")


# ----------------------------------------------------------------------------------------------- places
def cache_dir() -> Path:
    """The per-user cache folder, where FashionMNIST is copied and extracted (and downloads go without ``root``).

    Returns:
        Path: ``$QPCNN_EDU_CACHE``, else ``$XDG_CACHE_HOME/qpcnn_edu``, else ``~/.cache/qpcnn_edu`` (not created).
    """
    if os.environ.get("QPCNN_EDU_CACHE"):
        return Path(os.environ["QPCNN_EDU_CACHE"]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME")
    return (Path(base).expanduser() if base else Path.home() / ".cache") / "qpcnn_edu"


def data_dirs(root=None) -> list:
    """The data folders looked in, in order.

    Args:
        root (path, optional): an explicit data folder.

    Returns:
        list[Path]: ``[root]`` if given; else the folders in ``$QPCNN_EDU_DATA`` (``os.pathsep``-separated), then
        :func:`cache_dir`. (For FashionMNIST, :data:`SYSTEM_DATA_DIRS` follow when ``root`` is not given.)

    >>> [str(p) for p in data_dirs(root="/data")]
    ['/data']
    """
    if root is not None:
        return [Path(root).expanduser()]
    env = [Path(p).expanduser() for p in os.environ.get("QPCNN_EDU_DATA", "").split(os.pathsep) if p]
    return list(dict.fromkeys(env + [cache_dir()]))


def _candidates(name, root) -> list:
    if name == "cifar10":
        return [f for d in data_dirs(root) for f in (d / CIFAR10_FOLDER, d)]
    folders = [f for d in data_dirs(root) for f in (d / "FashionMNIST" / "raw", d / "fashion-mnist", d)]
    return list(dict.fromkeys(folders + ([] if root is not None else list(SYSTEM_DATA_DIRS))))


def _split_files(name, train) -> list:
    if name == "cifar10":
        return ([f"data_batch_{i}" for i in range(1, 6)] if train else ["test_batch"]) + ["batches.meta"]
    prefix = "train" if train else "t10k"
    return [f"{prefix}-images-idx3-ubyte.gz", f"{prefix}-labels-idx1-ubyte.gz"]


def locate(name: str, train: bool = True, root=None):
    """The folder holding ``name``'s files for a split (the embedded file for the mini set), or ``None``.

    Args:
        name (str): one of :data:`DATASETS`.
        train (bool): the split.
        root (path, optional): as in :func:`load_dataset`.

    Returns:
        Path or None: the first folder (see :func:`data_dirs`) holding every file of the split; nothing is
        checked or read.

    Raises:
        ValueError: unknown ``name``.

    >>> locate("fashion-mnist-mini").name
    'fashion_mnist_mini.npz'
    """
    _check_name(name)
    if name == "fashion-mnist-mini":
        return MINI_FILE if MINI_FILE.exists() else None
    files = _split_files(name, train)
    return next((d for d in _candidates(name, root) if all((d / f).is_file() for f in files)), None)


# ----------------------------------------------------------------------------------------------- files
def _md5(path, chunk=1 << 20) -> str:
    h = hashlib.md5()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(chunk), b""):
            h.update(block)
    return h.hexdigest()


def _gunzip_md5(path) -> str:
    h = hashlib.md5()
    try:
        with gzip.open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
    except (OSError, EOFError, zlib.error) as err:
        return f"unreadable ({err})"
    return h.hexdigest()


def _verify_fashion_mnist_gz(path: Path) -> str:
    """md5 of a FashionMNIST ``.gz``: the official one, or a recompression of the official bytes."""
    expected, actual = FASHION_MNIST_MD5[path.name], _md5(path)
    if actual == expected:
        return actual
    content = _gunzip_md5(path)
    if content == FASHION_MNIST_CONTENT_MD5[path.name]:
        return actual  # e.g. Debian's dataset-fashion-mnist: recompressed, same images
    raise DatasetIntegrityError(
        f"{path} is corrupt or not the official FashionMNIST file: its md5 must be {expected}; got {actual} "
        f"(decompressed md5 must be {FASHION_MNIST_CONTENT_MD5[path.name]}; got {content}). "
        "Replace it with the official file (or delete it and use download=True). Nothing was cached.")


def _verify_md5(path: Path, expected: str, name: str) -> str:
    actual = _md5(path)
    if actual != expected:
        raise DatasetIntegrityError(f"{path} is corrupt or not the official {name} file: its md5 must be "
                                    f"{expected}; got {actual}. Replace it with the official file.")
    return actual


@contextlib.contextmanager
def _making_dirs(path: Path):
    """Create ``path`` (and parents); if the block fails, remove the folders it created that are empty."""
    created, p = [], Path(path)
    while not p.exists():
        created.append(p)
        p = p.parent
    Path(path).mkdir(parents=True, exist_ok=True)
    try:
        yield Path(path)
    except BaseException:
        for d in created:  # deepest first
            with contextlib.suppress(OSError):
                d.rmdir()
        raise


def _atomic_stream(dst: Path, read_blocks, expected_md5: str, what: str) -> None:
    """Write the blocks to a temporary file beside ``dst``, check their md5, rename to ``dst``."""
    fd, tmp = tempfile.mkstemp(dir=dst.parent, prefix=f".{dst.name}.", suffix=".tmp")
    try:
        h = hashlib.md5()
        with os.fdopen(fd, "wb") as out:
            for block in read_blocks():
                h.update(block)
                out.write(block)
        if h.hexdigest() != expected_md5:
            raise DatasetIntegrityError(f"{what}: md5 must be {expected_md5}; got {h.hexdigest()}. Nothing was cached.")
        os.chmod(tmp, 0o644)  # mkstemp makes it private
        os.replace(tmp, dst)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def _blocks(opener, path):
    def read():
        with opener(path, "rb") as f:
            yield from iter(lambda: f.read(1 << 20), b"")
    return read


def _cache_fashion_mnist(source: Path, files, md5s) -> Path:
    """Copy the verified ``.gz`` files into the cache (unless there already) and extract them there."""
    raw = cache_dir() / "FashionMNIST" / "raw"
    with _making_dirs(raw):
        for f in files:
            gz, out = raw / f, raw / f[:-3]
            cached = gz.exists() and (gz.resolve() == (source / f).resolve() or _md5(gz) == md5s[f])
            if not cached:
                _atomic_stream(gz, _blocks(open, source / f), md5s[f], f"copy of {source / f}")
            if not (out.exists() and out.stat().st_size == _RAW_SIZES[f]):
                _atomic_stream(out, _blocks(gzip.open, gz), FASHION_MNIST_CONTENT_MD5[f], f"extraction of {gz}")
    return raw

# ----------------------------------------------------------------------------------------------- loaders
def _download(name, target: Path, fetch, searched, files):
    """Run ``fetch(tmp)`` in a temporary folder inside ``target``; on failure leave no new folder behind."""
    try:
        with _making_dirs(target):
            tmp = Path(tempfile.mkdtemp(dir=target, prefix=".download-"))
            try:
                fetch(tmp)
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
    except Exception as err:
        raise DatasetNotFoundError(name, searched, files, detail=f"download=True failed ({type(err).__name__}: "
                                   f"{str(err).strip()[:300]})") from err


def _load_fashion_mnist(train, root, download) -> ImageDataset:
    files, searched = _split_files("fashion-mnist", train), _candidates("fashion-mnist", root)
    source = locate("fashion-mnist", train, root)
    if source is None and download:
        target = (Path(root).expanduser() if root is not None else cache_dir()) / "FashionMNIST" / "raw"

        def fetch(tmp):
            from torchvision.datasets import FashionMNIST  # verifies md5s of what it downloads
            FashionMNIST(str(tmp), train=train, download=True)
            for f in FASHION_MNIST_MD5:
                os.replace(tmp / "FashionMNIST" / "raw" / f, target / f)

        _download("fashion-mnist", target, fetch, searched, files)
        source = target
    if source is None:
        raise DatasetNotFoundError("fashion-mnist", searched, files, detail=f"{'train' if train else 'test'} split",
                                   hint="a folder with FashionMNIST/raw/*.gz")
    md5s = {f: _verify_fashion_mnist_gz(source / f) for f in files}  # all checked before anything is written
    raw = _cache_fashion_mnist(source, files, md5s)
    from torchvision.datasets.mnist import read_image_file, read_label_file

    images = read_image_file(str(raw / files[0][:-3])).unsqueeze(1)  # (N, 1, 28, 28) uint8
    labels = read_label_file(str(raw / files[1][:-3]))
    return ImageDataset.from_uint8(images, labels, name="fashion-mnist", train=train, md5s=md5s,
                                   sources={f: source / f for f in files})


def _read_cifar_pickle(path: Path) -> dict:
    try:
        with open(path, "rb") as f:
            entry = pickle.load(f, encoding="bytes")  # safe: md5-verified first
        return {k.decode("latin1") if isinstance(k, bytes) else k: v for k, v in entry.items()}
    except Exception as err:
        raise DatasetIntegrityError(f"{path} is not a CIFAR-10 python pickle ({type(err).__name__}: {err}).") from err


def _read_cifar_batch(path: Path):
    entry = _read_cifar_pickle(path)
    data = np.asarray(entry.get("data"))
    labels = np.asarray(entry.get("labels", entry.get("fine_labels", [])), dtype=np.int64)
    if data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3072 or labels.shape != (len(data),) \
            or (labels.size and not 0 <= labels.min() <= labels.max() <= 9):
        raise DatasetIntegrityError(
            f"{path} is not a CIFAR-10 batch: b'data' must be uint8 of shape (N, 3072) and b'labels' N ints in "
            f"0..9; got data {data.dtype} {data.shape}, labels of shape {labels.shape}.")
    return data.reshape(-1, 3, 32, 32), labels


def _load_cifar10(train, root, download) -> ImageDataset:
    files, searched = _split_files("cifar10", train), _candidates("cifar10", root)
    folder = locate("cifar10", train, root)
    if folder is None and download:
        target = (Path(root).expanduser() if root is not None else cache_dir()) / CIFAR10_FOLDER

        def fetch(tmp):
            from torchvision.datasets import CIFAR10  # verifies the archive's md5
            CIFAR10(str(tmp), train=train, download=True)
            for f in CIFAR10_MD5:
                os.replace(tmp / CIFAR10_FOLDER / f, target / f)

        _download("cifar10", target, fetch, searched, files)
        folder = target
    if folder is None:
        partial = next(((d, [f for f in files if not (d / f).is_file()]) for d in searched
                        if any((d / f).is_file() for f in CIFAR10_MD5)), None)
        detail = f"{partial[0]} lacks {', '.join(partial[1])}" if partial else f"{'train' if train else 'test'} split"
        raise DatasetNotFoundError("cifar10", searched, files, detail=detail, hint=f"a folder with {CIFAR10_FOLDER}/")
    md5s = {f: _verify_md5(folder / f, CIFAR10_MD5[f], "CIFAR-10") for f in files}
    meta = _read_cifar_pickle(folder / "batches.meta")
    names = tuple(n.decode() if isinstance(n, bytes) else str(n) for n in meta.get("label_names", ()))
    if names != CIFAR10_CLASSES:
        raise DatasetIntegrityError(f"{folder / 'batches.meta'}: label_names must be {CIFAR10_CLASSES}; got {names}.")
    batches = [_read_cifar_batch(folder / f) for f in files[:-1]]
    data = np.concatenate([b[0] for b in batches])  # (N, 3, 32, 32) uint8
    labels = np.concatenate([b[1] for b in batches])
    return ImageDataset.from_uint8(data, labels, name="cifar10", train=train, md5s=md5s,
                                   sources={f: folder / f for f in files})


def _load_mini(train) -> ImageDataset:
    if not MINI_FILE.exists():
        raise DatasetNotFoundError("fashion-mnist-mini", [MINI_FILE.parent], [MINI_FILE.name],
                                   detail="the package was installed without its data file; reinstall qpcnn-edu")
    actual = _md5(MINI_FILE)
    if actual != MINI_MD5:
        raise DatasetIntegrityError(f"{MINI_FILE}: md5 must be {MINI_MD5}; got {actual}. Reinstall qpcnn-edu or "
                                    "regenerate it with scripts/make_mini_dataset.py (then update MINI_MD5).")
    split = "train" if train else "test"
    with np.load(MINI_FILE, allow_pickle=False) as z:
        images, labels = z[f"x_{split}"], z[f"y_{split}"]  # (N, 28, 28) uint8, (N,) uint8
    return ImageDataset.from_uint8(images[:, None], labels, name="fashion-mnist-mini", train=train,
                                   md5s={MINI_FILE.name: actual}, sources={MINI_FILE.name: MINI_FILE})


def load_dataset(name: str, train: bool = True, root=None, download: bool = False) -> ImageDataset:
    """Load a dataset split as normalized tensors.

    Args:
        name (str): one of :data:`DATASETS`: ``"fashion-mnist-mini"`` (embedded, offline), ``"fashion-mnist"``,
            ``"cifar10"``.
        train (bool): the training split (else the test split).
        root (path, optional): the folder holding the data (looked in alone); default: ``$QPCNN_EDU_DATA``, the
            cache, the system folder (see :func:`data_dirs`). Ignored for the mini set.
        download (bool): download into ``root`` (else the cache) when not found; needs network.

    Returns:
        ImageDataset: items ``(image, label)``, image float32 ``(C, H, W)`` normalized with the mean and std of
        :func:`dataset_info`, label an ``int``.

    Raises:
        ValueError: unknown ``name``.
        DatasetNotFoundError: the files are nowhere (or the download failed); the message lists every place
            looked at and the fixes.
        DatasetIntegrityError: a file has the wrong md5 or format (nothing is cached then).

    >>> train = load_dataset("fashion-mnist-mini")
    >>> len(train), tuple(train[0][0].shape), train[0][0].dtype, type(train[0][1]).__name__
    (5000, (1, 28, 28), torch.float32, 'int')
    """
    _check_name(name)
    if name == "fashion-mnist-mini":
        return _load_mini(bool(train))
    if name == "fashion-mnist":
        return _load_fashion_mnist(bool(train), root, download)
    return _load_cifar10(bool(train), root, download)


# ----------------------------------------------------------------------------------------------- info
def _check_name(name) -> None:
    if name not in DATASETS:
        raise ValueError(f"dataset must be one of {', '.join(map(repr, DATASETS))}; got {name!r}.")


def dataset_info(name: str) -> dict:
    """Shape, classes and normalization of a dataset.

    Args:
        name (str): one of :data:`DATASETS`.

    Returns:
        dict: ``shape`` ``(C, H, W)``, ``n_classes``, ``classes``, ``mean``, ``std`` (per channel), ``n_train``,
        ``n_test``, ``source``.

    Raises:
        ValueError: unknown ``name``.

    >>> info = dataset_info("cifar10")
    >>> info["shape"], info["n_classes"], info["classes"][:2]
    ((3, 32, 32), 10, ('airplane', 'automobile'))
    """
    _check_name(name)
    return dict(_INFO[name], name=name)


def dataset_md5s(name: str, train=None) -> dict:
    """md5 of the files a dataset is read from (official values, each checked on load), for experiment records.

    Args:
        name (str): one of :data:`DATASETS`.
        train (bool, optional): one split's files; ``None`` for both.

    Returns:
        dict: file name -> md5.

    >>> sorted(dataset_md5s("fashion-mnist", train=False))
    ['t10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz']
    """
    _check_name(name)
    if name == "fashion-mnist-mini":
        return {MINI_FILE.name: MINI_MD5}
    files = [f for split in ((True, False) if train is None else (train,)) for f in _split_files(name, split)]
    table = CIFAR10_MD5 if name == "cifar10" else FASHION_MNIST_MD5
    return {f: table[f] for f in dict.fromkeys(files)}


def mini_metadata() -> dict:
    """Provenance recorded inside the embedded mini set.

    Returns:
        dict: ``source_md5`` (official ``.gz`` md5s), ``source_content_md5``, ``seed``, ``n_train_per_class``,
        ``n_test_per_class``, ``selection`` (the rule), ``classes``, ``script``.

    >>> meta = mini_metadata()
    >>> meta["seed"], meta["n_train_per_class"], meta["n_test_per_class"]
    (0, 500, 100)
    """
    with np.load(MINI_FILE, allow_pickle=False) as z:
        return json.loads(z["meta"].item())


def describe(name: str, root=None) -> str:
    """A few lines of provenance: source, sizes, normalization, files and md5s, where the files are now.

    Args:
        name (str): one of :data:`DATASETS`.
        root (path, optional): as in :func:`load_dataset` (only looked at, nothing is read).

    Returns:
        str: the description.

    Raises:
        ValueError: unknown ``name``.

    >>> print(describe("fashion-mnist-mini").splitlines()[0])
    fashion-mnist-mini: embedded class-balanced subset of FashionMNIST (Xiao et al. 2017)
    """
    info = dataset_info(name)
    lines = [f"{name}: {info['source']}",
             f"  {info['n_train']} train / {info['n_test']} test images {info['shape']}, {info['n_classes']} classes; "
             f"normalized with mean {info['mean']}, std {info['std']}"]
    lines += [f"  {f}  md5 {m}" for f, m in dataset_md5s(name).items()]
    if name == "fashion-mnist-mini":
        meta = mini_metadata()
        lines.append(f"  selection: {meta['selection']}")
        lines += [f"  source {f}  md5 {m}" for f, m in meta["source_md5"].items()]
    where = {split: locate(name, split == "train", root) for split in ("train", "test")}
    lines += [f"  {split} files: {path or 'not found (see load_dataset)'}" for split, path in where.items()]
    return "\n".join(lines)


# ----------------------------------------------------------------------------------------------- subsets
def balanced_indices(labels, n_per_class: int, seed: int = 0) -> np.ndarray:
    """Deterministic class-balanced selection: ``n_per_class`` indices of every class, sorted.

    For each class in increasing order, ``numpy.random.Generator(PCG64(seed)).choice`` draws without
    replacement among that class's indices (one generator for all classes); the union is sorted. This is
    how the embedded mini set was drawn from the official files.

    Args:
        labels (array-like): ``(N,)`` integer labels.
        n_per_class (int): indices per class.
        seed (int): the generator's seed.

    Returns:
        numpy.ndarray: int64 ``(n_classes * n_per_class,)``, sorted.

    Raises:
        ValueError: a class has fewer than ``n_per_class`` items.

    >>> balanced_indices([0, 1, 0, 1, 0, 1], 2, seed=0).tolist()
    [1, 2, 4, 5]
    """
    labels = np.asarray(labels)
    rng = np.random.Generator(np.random.PCG64(seed))
    chosen = []
    for c in np.unique(labels):
        members = np.flatnonzero(labels == c)
        if len(members) < n_per_class:
            raise ValueError(f"class {c} must have at least {n_per_class} items; got {len(members)}.")
        chosen.append(rng.choice(members, n_per_class, replace=False))
    return np.sort(np.concatenate(chosen)).astype(np.int64)


def subset(dataset, n_per_class: int, seed: int = 0):
    """A deterministic class-balanced subset (see :func:`balanced_indices`), of the same kind when possible.

    Args:
        dataset: an :class:`ImageDataset`, a ``TensorDataset`` (labels last) or any ``(x, label)`` dataset.
        n_per_class (int): items per class.
        seed (int): selection seed.

    Returns:
        ImageDataset, TensorDataset or torch.utils.data.Subset: the selected items, in their original order.

    Raises:
        ValueError: a class has fewer than ``n_per_class`` items.

    >>> small = subset(load_dataset("fashion-mnist-mini", train=False), 10)
    >>> len(small), small.targets.bincount().tolist() == [10] * 10
    (100, True)
    """
    if isinstance(dataset, TensorDataset):
        labels = dataset.tensors[-1]
        idx = torch.as_tensor(balanced_indices(labels.numpy(), n_per_class, seed))
        if isinstance(dataset, ImageDataset):
            return ImageDataset(dataset.images[idx], dataset.targets[idx], name=dataset.name, train=dataset.train,
                                classes=dataset.classes, mean=dataset.mean, std=dataset.std, md5s=dataset.md5s)
        return TensorDataset(*(t[idx] for t in dataset.tensors))
    labels = [int(dataset[i][1]) for i in range(len(dataset))]
    return Subset(dataset, balanced_indices(labels, n_per_class, seed).tolist())
