"""Make the embedded mini FashionMNIST set ``qpcnn_edu/_data/fashion_mnist_mini.npz`` from the official files.

Selection (deterministic): for each split separately, :func:`qpcnn_edu.lab.data.balanced_indices` with seed 0, i.e.
one ``numpy.random.Generator(PCG64(0))`` drawing, class by class (0..9), 500 train / 100 test indices without
replacement among that class's images; the indices are sorted, so the official order is kept.

The file (written byte-deterministically: fixed zip timestamps, fixed order) holds ``x_train`` ``(5000, 28, 28)``,
``y_train``, ``x_test`` ``(1000, 28, 28)``, ``y_test`` (uint8), ``idx_train``, ``idx_test`` (the indices into the
official files, int32) and ``meta`` (JSON: source md5s, seed, rule, sizes). Usage::

    python scripts/make_mini_dataset.py                     # finds the official .gz like load_dataset does
    python scripts/make_mini_dataset.py --source DIR --out /tmp/mini.npz

Afterwards update ``MINI_MD5`` in ``qpcnn_edu/lab/data.py`` (the script prints it) if the file changed on purpose.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import os
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing
from qpcnn_edu.lab.data import (  # noqa: E402
    FASHION_MNIST_CLASSES,
    FASHION_MNIST_CONTENT_MD5,
    FASHION_MNIST_MD5,
    MINI_FILE,
    balanced_indices,
    locate,
)

SEED, N_TRAIN_PER_CLASS, N_TEST_PER_CLASS = 0, 500, 100


def read_idx_gz(path) -> np.ndarray:
    """An official ``*-idx?-ubyte.gz`` file as a uint8 array, after checking its decompressed md5."""
    path = Path(path)
    content = gzip.decompress(path.read_bytes())
    actual = hashlib.md5(content).hexdigest()
    if actual != FASHION_MNIST_CONTENT_MD5[path.name]:
        raise ValueError(f"{path}: decompressed md5 must be {FASHION_MNIST_CONTENT_MD5[path.name]}; got {actual}.")
    ndim = content[3]
    shape = tuple(int.from_bytes(content[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    return np.frombuffer(content, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def find_source() -> Path:
    """The folder holding the four official ``.gz`` files (searched like ``load_dataset("fashion-mnist")``)."""
    train, test = locate("fashion-mnist", True), locate("fashion-mnist", False)
    if train is None or test is None or train != test:
        raise FileNotFoundError("the four official FashionMNIST .gz files were not found in one folder; set "
                                "QPCNN_EDU_DATA or pass --source DIR.")
    return train


def make_mini_arrays(source=None, seed: int = SEED, n_train_per_class: int = N_TRAIN_PER_CLASS,
                     n_test_per_class: int = N_TEST_PER_CLASS) -> dict:
    """The arrays of the mini set (see the module docstring), from the official files in ``source``."""
    source = Path(source) if source is not None else find_source()
    arrays, meta_idx = {}, {}
    for split, prefix, n in (("train", "train", n_train_per_class), ("test", "t10k", n_test_per_class)):
        images = read_idx_gz(source / f"{prefix}-images-idx3-ubyte.gz")  # (N, 28, 28)
        labels = read_idx_gz(source / f"{prefix}-labels-idx1-ubyte.gz")  # (N,)
        idx = balanced_indices(labels, n, seed)
        arrays[f"x_{split}"], arrays[f"y_{split}"] = images[idx], labels[idx]
        meta_idx[f"idx_{split}"] = idx.astype(np.int32)
    arrays.update(meta_idx)
    meta = {
        "name": "fashion-mnist-mini",
        "source": "FashionMNIST, official files (https://github.com/zalandoresearch/fashion-mnist)",
        "source_md5": dict(FASHION_MNIST_MD5),
        "source_content_md5": dict(FASHION_MNIST_CONTENT_MD5),
        "seed": seed,
        "n_train_per_class": n_train_per_class,
        "n_test_per_class": n_test_per_class,
        # frozen text: it names the function as it was called when the committed file was made (now
        # qpcnn_edu.lab.data.balanced_indices, the same code); changing it would change the file's md5
        "selection": (f"per split: qpcnn_edu.data.balanced_indices(labels, n_per_class, seed={seed}): "
                      "Generator(PCG64(seed)).choice without replacement per class 0..9, indices sorted; "
                      "idx_train/idx_test index the official files"),
        "classes": list(FASHION_MNIST_CLASSES),
        "script": "scripts/make_mini_dataset.py",
    }
    arrays["meta"] = np.array(json.dumps(meta, sort_keys=True))
    return arrays


def write_npz(path, arrays: dict) -> Path:
    """Write an ``.npz`` (deflate, level 9) byte-deterministically, atomically (temporary file, then rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        with zipfile.ZipFile(tmp, "w") as zf:
            for key, value in arrays.items():
                buf = io.BytesIO()
                np.lib.format.write_array(buf, np.ascontiguousarray(value), allow_pickle=False)
                info = zipfile.ZipInfo(f"{key}.npy", date_time=(1980, 1, 1, 0, 0, 0))
                info.compress_type, info.external_attr = zipfile.ZIP_DEFLATED, 0o644 << 16
                zf.writestr(info, buf.getvalue(), compresslevel=9)
        os.chmod(tmp, 0o644)  # mkstemp makes it private
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def make_mini_dataset(out=MINI_FILE, source=None, seed: int = SEED) -> Path:
    """Make the mini set from the official files in ``source`` and write it to ``out``; returns ``out``."""
    return write_npz(out, make_mini_arrays(source, seed))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--source", default=None, help="folder with the four official .gz files")
    parser.add_argument("--out", default=str(MINI_FILE), help=f"output file (default: {MINI_FILE})")
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    out = make_mini_dataset(args.out, args.source, args.seed)
    md5 = hashlib.md5(out.read_bytes()).hexdigest()
    print(f"wrote {out}: {out.stat().st_size} bytes, md5 {md5} (MINI_MD5 in qpcnn_edu/lab/data.py)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
