"""Datasets as normalized tensors with their provenance: FashionMNIST (full, and an embedded mini set) and CIFAR-10.

:func:`load_dataset` gives one split as an :class:`ImageDataset`, :func:`load_splits` the ``(train, test)`` pair.
``"fashion-mnist-mini"``, the offline default, is 500 train + 100 test images per class of the official files,
shipped in the package (:data:`MINI_FILE`, made by ``scripts/make_mini_dataset.py``, md5 checked on every load).
``"fashion-mnist"`` and ``"cifar10"`` are md5-checked, then read by torchvision's readers, from the first of
:func:`data_dirs` holding them (``root`` alone, else ``$QPCNN_EDU_DATA``, the cache, and for FashionMNIST Debian's
:data:`SYSTEM_DATA_DIRS`), as ``FashionMNIST/raw/*.gz``, ``fashion-mnist/*.gz`` or ``*.gz``; ``cifar-10-batches-py/``
or the batch files. Data folders are never written to; what torchvision lacks for that (the cache, Debian's
recompressed ``.gz``, atomic copies, bounded downloads) is in the private ``qpcnn_edu.lab._cache``.

Why this module is over 300 lines: it is the whole public data API that the book and the CLI use (17 names, each
documented with an example: about a third of the lines are docstrings); the file machinery is already in ``_cache``,
and what remains (places, loaders, info, subsets) shares the tables and checks above.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Subset, TensorDataset
from torchvision.datasets import CIFAR10, FashionMNIST
from torchvision.datasets.mnist import read_image_file, read_label_file
from torchvision.datasets.utils import calculate_md5

from .._checks import boolean, non_negative_int, one_of, positive_int
from . import _cache
from ._cache import DatasetIntegrityError, DatasetNotFoundError, cache_dir

__all__ = ["DATASETS", "FASHION_MNIST_CLASSES", "CIFAR10_CLASSES", "DatasetNotFoundError", "DatasetIntegrityError",
           "ImageDataset", "load_dataset", "load_splits", "dataset_info", "dataset_md5s", "describe", "mini_metadata",
           "locate", "subset", "balanced_indices", "cache_dir", "data_dirs"]

DATASETS = ("fashion-mnist-mini", "fashion-mnist", "cifar10")
FASHION_MNIST_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                         "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")
CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
#: md5 of the official ``.gz`` files: torchvision's (the mini set records them too, and a test compares).
FASHION_MNIST_MD5 = dict(FashionMNIST.resources)
#: md5 of the decompressed files (identical for the official and Debian's recompressed ``.gz``).
FASHION_MNIST_CONTENT_MD5 = {
    "train-images-idx3-ubyte.gz": "f4a8712d7a061bf5bd6d2ca38dc4d50a",
    "train-labels-idx1-ubyte.gz": "9018921c3c673c538a1fc5bad174d6f9",
    "t10k-images-idx3-ubyte.gz": "8181f5470baa50b63fa0f6fddb340f0a",
    "t10k-labels-idx1-ubyte.gz": "15d484375f8d13e6eb1aabb0c3f46965",
}
#: md5 of the official CIFAR-10 python batches: torchvision's.
CIFAR10_MD5 = dict(CIFAR10.train_list + CIFAR10.test_list + [[CIFAR10.meta["filename"], CIFAR10.meta["md5"]]])
CIFAR10_FOLDER = CIFAR10.base_folder
MINI_FILE = Path(__file__).resolve().parents[1] / "_data" / "fashion_mnist_mini.npz"
#: md5 of :data:`MINI_FILE`, checked on every load (update it when the file is regenerated on purpose).
MINI_MD5 = "0a18f5e2608371527dc7837554a78642"
SYSTEM_DATA_DIRS = (Path("/usr/share/datasets/fashion-mnist"),)

_FMNIST = dict(shape=(1, 28, 28), n_classes=10, classes=FASHION_MNIST_CLASSES, mean=(0.2860,), std=(0.3530,))
_INFO = {
    "fashion-mnist-mini": dict(_FMNIST, n_train=5000, n_test=1000,
                               source="embedded class-balanced subset of FashionMNIST (Xiao et al. 2017)"),
    "fashion-mnist": dict(_FMNIST, n_train=60000, n_test=10000, source="FashionMNIST (Xiao et al. 2017)"),
    "cifar10": dict(shape=(3, 32, 32), n_classes=10, classes=CIFAR10_CLASSES, mean=(0.4914, 0.4822, 0.4465),
                    std=(0.2470, 0.2435, 0.2616), n_train=50000, n_test=10000, source="CIFAR-10 (Krizhevsky 2009)"),
}


class ImageDataset(TensorDataset):
    """A ``TensorDataset`` of normalized images and labels, with its name, classes and provenance. Items are
    ``(image, label)``: a float32 ``(C, H, W)`` tensor and an ``int`` (a label tensor for slices and index lists).

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
        """Normalize uint8 images ``(N, C, H, W)`` with ``name``'s mean and std.

        >>> blank = ImageDataset.from_uint8(np.zeros((2, 1, 28, 28), np.uint8), [3, 7], name="fashion-mnist",
        ...                                 train=False, md5s={})
        >>> blank[1][1], round(blank[0][0].max().item(), 4)  # 0 becomes -mean/std
        (7, -0.8102)
        """
        info = _INFO[name]
        mean, std = (torch.tensor(info[k]).view(1, -1, 1, 1) for k in ("mean", "std"))
        images = torch.as_tensor(np.ascontiguousarray(data)).to(torch.float32).div_(255).sub_(mean).div_(std)
        return cls(images, torch.as_tensor(np.asarray(labels), dtype=torch.int64), name=name, train=train,
                   classes=info["classes"], mean=info["mean"], std=info["std"], md5s=md5s, sources=sources)

    images = property(lambda self: self.tensors[0], doc="float32 ``(N, C, H, W)``")
    targets = property(lambda self: self.tensors[1], doc="int64 ``(N,)``")

    def __getitem__(self, index):
        image, label = self.tensors[0][index], self.tensors[1][index]
        return image, int(label) if label.ndim == 0 else label

    def __repr__(self) -> str:
        split = "train" if self.train else "test"
        return (f"ImageDataset({self.name!r}, {split}, {len(self)} images of shape {tuple(self.images.shape[1:])}, "
                f"{len(self.classes)} classes)")


# ----------------------------------------------------------------------------------------------- places
def data_dirs(root=None) -> list:
    """The data folders looked in, in order: ``[root]`` if given; else the folders in ``$QPCNN_EDU_DATA``
    (``os.pathsep``-separated), then :func:`cache_dir` (for FashionMNIST, :data:`SYSTEM_DATA_DIRS` follow).

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


def locate(name: str, train: bool = True, root=None):
    """The first folder (see :func:`data_dirs`) holding every file of ``name``'s split, or ``None``; for the mini set,
    the embedded file. Nothing is read or checked.

    >>> locate("fashion-mnist-mini").name
    'fashion_mnist_mini.npz'
    """
    _check_name(name)
    if name == "fashion-mnist-mini":
        return MINI_FILE if MINI_FILE.exists() else None
    files = dataset_md5s(name, train)
    return next((d for d in _candidates(name, root) if all((d / f).is_file() for f in files)), None)


def _find(name, train, root, download) -> Path:
    """The folder holding the split's files (downloaded first if absent and ``download``), else an error."""
    folder, files, searched = locate(name, train, root), list(dataset_md5s(name, train)), _candidates(name, root)
    if folder is None and download:
        cifar = name == "cifar10"
        folder = (Path(root).expanduser() if root is not None else cache_dir()) / (
            CIFAR10_FOLDER if cifar else Path("FashionMNIST", "raw"))
        resources = ([(CIFAR10.filename, [CIFAR10.url], CIFAR10.tgz_md5)] if cifar else
                     [(f, [m + f for m in FashionMNIST.mirrors], md5) for f, md5 in FASHION_MNIST_MD5.items()])
        try:
            _cache.download(folder, resources, list(dataset_md5s(name)), CIFAR10_FOLDER if cifar else None)
        except _cache.DownloadError as err:
            raise DatasetNotFoundError(name, searched, files, detail=f"download=True failed: {err}") from err
    if folder is None:
        partial = next(((d, [f for f in files if not (d / f).is_file()]) for d in searched
                        if any((d / f).is_file() for f in dataset_md5s(name))), None)
        detail = f"{partial[0]} lacks {', '.join(partial[1])}" if partial else f"{'train' if train else 'test'} split"
        raise DatasetNotFoundError(name, searched, files, detail=detail, hint="a folder with " + (
            f"{CIFAR10_FOLDER}/" if name == "cifar10" else "FashionMNIST/raw/*.gz"))
    return folder


# ----------------------------------------------------------------------------------------------- loaders
def _load_fashion_mnist(train, root, download) -> ImageDataset:
    source = _find("fashion-mnist", train, root, download)
    files = list(dataset_md5s("fashion-mnist", train))  # images, labels
    md5s = {f: _cache.verify_gz(source / f, FASHION_MNIST_MD5[f], FASHION_MNIST_CONTENT_MD5[f]) for f in files}
    with _cache.extracted(source, {f: (md5s[f], FASHION_MNIST_CONTENT_MD5[f]) for f in files}) as raw:
        images = read_image_file(str(raw / files[0][:-3])).unsqueeze(1)  # (N, 1, 28, 28) uint8
        labels = read_label_file(str(raw / files[1][:-3]))
    return ImageDataset.from_uint8(images, labels, name="fashion-mnist", train=train, md5s=md5s,
                                   sources={f: source / f for f in files})


def _load_cifar10(train, root, download) -> ImageDataset:
    folder = _find("cifar10", train, root, download)
    files = list(dataset_md5s("cifar10", train))  # batches, then batches.meta
    md5s = {f: _cache.verify(folder / f, CIFAR10_MD5[f], "CIFAR-10") for f in files}  # before unpickling anything
    batches = [[f, md5s[f]] for f in files[:-1]]
    # torchvision's reader, given this split's files only and the md5s just measured (it checks them again)
    measured = type("MeasuredCIFAR10", (CIFAR10,), dict(
        base_folder=folder.name, train_list=batches if train else [], test_list=[] if train else batches,
        meta=dict(CIFAR10.meta, md5=md5s["batches.meta"])))
    try:
        split = measured(str(folder.parent), train=train)
    except Exception as err:  # unpickling can raise anything
        raise DatasetIntegrityError(f"{folder}: {', '.join(files)} must be CIFAR-10 python pickles ('data': uint8 "
                                    f"(N, 3072), 'labels': N ints); got {type(err).__name__}: {err}. Replace them "
                                    "with the official files.") from err
    data, labels = split.data.transpose(0, 3, 1, 2), np.asarray(split.targets)  # back to (N, 3, 32, 32)
    labels_ok = labels.shape == (len(data),) and (labels.size == 0 or 0 <= labels.min() <= labels.max() <= 9)
    if data.dtype != np.uint8 or not labels_ok:
        raise DatasetIntegrityError(f"{folder}: CIFAR-10 batches must hold uint8 images and one label in 0..9 each; "
                                    f"got {data.dtype} images, {labels.size} labels for {len(data)} images"
                                    f"{f', labels {labels.min()}..{labels.max()}' if labels.size else ''}.")
    if tuple(split.classes) != CIFAR10_CLASSES:
        raise DatasetIntegrityError(f"{folder / 'batches.meta'}: label_names must be {CIFAR10_CLASSES}; "
                                    f"got {tuple(split.classes)}.")
    return ImageDataset.from_uint8(data, labels, name="cifar10", train=train, md5s=md5s,
                                   sources={f: folder / f for f in files})


def _load_mini(train) -> ImageDataset:
    if not MINI_FILE.exists():
        raise DatasetNotFoundError("fashion-mnist-mini", [MINI_FILE.parent], [MINI_FILE.name],
                                   detail="the package was installed without its data file; reinstall qpcnn-edu")
    actual = calculate_md5(MINI_FILE)
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
        name (str): one of :data:`DATASETS`.
        train (bool): the training split (else the test split).
        root (path, optional): the folder holding the data (looked in alone); default: see :func:`data_dirs`.
            Ignored for the mini set.
        download (bool): download into ``root`` (else the cache) when not found; needs network. Each connection
            waits at most ``$QPCNN_EDU_DOWNLOAD_TIMEOUT`` seconds (default 30).

    Returns:
        ImageDataset: images normalized with the mean and std of :func:`dataset_info`.

    Raises:
        ValueError: unknown ``name``.
        DatasetNotFoundError: the files are nowhere (or the download failed): names every place looked at, and fixes.
        DatasetIntegrityError: a file has the wrong md5 or format (nothing is cached then).

    >>> train = load_dataset("fashion-mnist-mini")
    >>> len(train), tuple(train[0][0].shape), train[0][0].dtype, type(train[0][1]).__name__
    (5000, (1, 28, 28), torch.float32, 'int')
    """
    _check_name(name)
    train, download = boolean(train, "train"), boolean(download, "download")
    if name == "fashion-mnist-mini":
        return _load_mini(train)
    return (_load_fashion_mnist if name == "fashion-mnist" else _load_cifar10)(train, root, download)


def load_splits(name: str, root=None, download: bool = False) -> tuple:
    """The ``(train, test)`` pair of :func:`load_dataset` (arguments as there).

    >>> train, test = load_splits("fashion-mnist-mini")
    >>> (len(train), train.train), (len(test), test.train)
    ((5000, True), (1000, False))
    """
    return load_dataset(name, True, root, download), load_dataset(name, False, root, download)


# ----------------------------------------------------------------------------------------------- info
def _check_name(name) -> None:
    one_of(name, "dataset", DATASETS, "The offline default is 'fashion-mnist-mini'.")


def dataset_info(name: str) -> dict:
    """Shape, classes and normalization of a dataset: ``shape`` ``(C, H, W)``, ``n_classes``, ``classes``, ``mean``,
    ``std`` (per channel), ``n_train``, ``n_test``, ``source``, ``name``.

    >>> info = dataset_info("cifar10")
    >>> info["shape"], info["n_classes"], info["classes"][:2]
    ((3, 32, 32), 10, ('airplane', 'automobile'))
    """
    _check_name(name)
    return dict(_INFO[name], name=name)


def dataset_md5s(name: str, train=None) -> dict:
    """The official md5 of each file a dataset (one split's, or with ``train=None`` both) is read from.

    >>> list(dataset_md5s("fashion-mnist", train=False))
    ['t10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz']
    """
    _check_name(name)
    splits = (True, False) if train is None else (boolean(train, "train", "Or None for both splits."),)
    if name == "fashion-mnist-mini":
        return {MINI_FILE.name: MINI_MD5}
    if name == "fashion-mnist":
        prefixes = tuple("train" if split else "t10k" for split in splits)
        return {f: md5 for f, md5 in FASHION_MNIST_MD5.items() if f.startswith(prefixes)}
    files = [f for s in splits for f, _ in (CIFAR10.train_list if s else CIFAR10.test_list)]
    return {f: CIFAR10_MD5[f] for f in files + [CIFAR10.meta["filename"]]}


def mini_metadata() -> dict:
    """Provenance recorded inside the embedded mini set: ``source_md5`` (official ``.gz`` md5s),
    ``source_content_md5``, ``seed``, ``n_train_per_class``, ``n_test_per_class``, ``selection`` (the rule),
    ``classes``, ``script``.

    >>> meta = mini_metadata()
    >>> meta["seed"], meta["n_train_per_class"], meta["n_test_per_class"]
    (0, 500, 100)
    """
    with np.load(MINI_FILE, allow_pickle=False) as z:
        return json.loads(z["meta"].item())


def describe(name: str, root=None) -> str:
    """A few lines of provenance: source, sizes, normalization, files and md5s, where the files are now (looked at
    as :func:`load_dataset` would with ``root``; nothing is read).

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
    """``n_per_class`` indices of every class, sorted (int64): for each class in increasing order,
    ``numpy.random.Generator(PCG64(seed)).choice`` draws without replacement among that class's indices (one
    generator for all classes). This is how the embedded mini set was drawn from the official files.

    >>> balanced_indices([0, 1, 0, 1, 0, 1], 2, seed=0).tolist()
    [1, 2, 4, 5]
    """
    n_per_class, seed = positive_int(n_per_class, "n_per_class"), non_negative_int(seed, "seed")
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
    """A deterministic class-balanced subset (:func:`balanced_indices`), in the original order: an
    :class:`ImageDataset` (same provenance) or ``TensorDataset`` (labels last) for those, else a ``Subset``.

    >>> small = subset(load_dataset("fashion-mnist-mini", train=False), 10)
    >>> len(small), small.targets.bincount().tolist() == [10] * 10, small.md5s == dataset_md5s("fashion-mnist-mini")
    (100, True, True)
    """
    if isinstance(dataset, TensorDataset):
        labels = dataset.tensors[-1]
        idx = torch.as_tensor(balanced_indices(labels.numpy(), n_per_class, seed))
        if isinstance(dataset, ImageDataset):
            return ImageDataset(dataset.images[idx], dataset.targets[idx], name=dataset.name, train=dataset.train,
                                classes=dataset.classes, mean=dataset.mean, std=dataset.std, md5s=dataset.md5s,
                                sources=dataset.sources)
        return TensorDataset(*(t[idx] for t in dataset.tensors))
    labels = [int(dataset[i][1]) for i in range(len(dataset))]
    return Subset(dataset, balanced_indices(labels, n_per_class, seed).tolist())
