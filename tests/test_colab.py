"""The chapters as Colab runs them: the package installed (not editable) into a fresh environment, each chapter
executed from a folder outside the checkout, its set-up cell fetching a shallow copy of the repository.

Offline and quick: the fresh environment borrows the already installed dependencies of this one (a path entry to
its site-packages, without its editable install of this package), the package is installed with
``pip --no-deps --no-build-isolation``, and the "repository" is this checkout, cloned through ``file://``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import nbformat
import pytest
from qpcnn_edu import DATASETS
from jupyter_client import KernelManager
from jupyter_client.kernelspec import KernelSpecManager
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
# the chapters that read committed files (results/, benchmarks/results/): without them they say "pending"
CHAPTERS = ["05_qpc_layer", "06_qpcnn_fashion_mnist", "08_reproducing_the_paper", "09_beyond_the_paper"]
MISSING = ("pending", "not part of this installation")
# datasets with no committed results at all (e.g. CIFAR-10, never downloaded here): "pending" everywhere, honestly
ABSENT = [name for name in DATASETS if not (ROOT / "results" / name).is_dir()]
WHERE = "import qpcnn_edu, os; print('QPCNN_EDU_AT', os.getcwd(), qpcnn_edu.__file__)"


def run(*args, **kwargs):
    return subprocess.run([str(a) for a in args], check=True, capture_output=True, text=True, **kwargs).stdout


@pytest.fixture(scope="module")
def colab(tmp_path_factory):
    """(folder the chapters run in, the fresh environment's site-packages, a kernel manager factory)."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs git and a git checkout (the set-up cell clones the repository)")
    base = tmp_path_factory.mktemp("colab")
    run(sys.executable, "-m", "venv", "--without-pip", base / "venv")
    python = base / "venv" / "bin" / "python"
    site = Path(run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").strip())
    # this environment's packages, as a plain path: its .pth files (the editable install of qpcnn_edu) stay inactive
    (site / "borrowed_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    source = base / "source"  # the package as it is in the working tree, installed as a regular (non-editable) copy
    shutil.copytree(ROOT / "qpcnn_edu", source / "qpcnn_edu", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    run(sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation", "--no-index",
        "--target", site, source)
    kernels = base / "kernels" / "colab"
    kernels.mkdir(parents=True)
    (kernels / "kernel.json").write_text(json.dumps({
        "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Colab-like", "language": "python"}))
    content = base / "content"  # Colab's working folder: no results/ or benchmarks/ anywhere above it
    content.mkdir()

    def kernel():
        return KernelManager(kernel_name="colab", kernel_spec_manager=KernelSpecManager(
            kernel_dirs=[str(kernels.parent)], ensure_native_kernel=False))

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("QPCNN_EDU_REPO", f"file://{ROOT}")  # where the set-up cell clones from (GitHub on Colab)
        for name in ("QPCNN_EDU_RESULTS", "PYTHONPATH"):
            mp.delenv(name, raising=False)
        yield content, site, kernel


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_runs_as_on_colab_with_the_committed_results(colab, chapter):
    content, site, kernel = colab
    nb = nbformat.read(ROOT / "book" / f"{chapter}.ipynb", as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(WHERE))
    km = kernel()
    try:
        NotebookClient(nb, km=km, timeout=300, resources={"metadata": {"path": str(content)}}).execute()
    finally:  # a kernel manager passed in is not shut down by nbclient
        if km.has_kernel:
            km.shutdown_kernel(now=True)
    texts = [text for cell in nb.cells if cell.cell_type == "code" for out in cell.outputs
             for text in [out.get("text", "")] + [v for v in out.get("data", {}).values() if isinstance(v, str)]]
    lines = [line.lower() for text in texts for line in text.splitlines()]
    said = [line for line in lines if any(m in line for m in MISSING) and not any(d in line for d in ABSENT)]
    assert not said, f"{chapter} misses committed files on Colab: {said}"
    where = [line for text in texts for line in text.splitlines() if line.startswith("QPCNN_EDU_AT")][0].split()
    assert where[1] == str(content / "qpcnn-edu" / "book"), "the set-up cell must run the chapter from the clone's book/"
    assert Path(where[2]).is_relative_to(site), f"qpcnn_edu must come from the fresh environment; got {where[2]}"
    clone = content / "qpcnn-edu"
    assert run("git", "-C", clone, "rev-parse", "--is-shallow-repository").strip() == "true"
