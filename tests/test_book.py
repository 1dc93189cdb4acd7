"""The book's structure: chapters committed without outputs, listed in _toc.yml, with the Colab cell, a summary and
exercises, using only the package's public API. (nbval executes the chapters themselves: see pyproject.toml.)"""

import json
import re
from pathlib import Path

import pytest
import yaml

import qpcnn_edu

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "book").glob("*.ipynb"))


def _toc_files():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]
    for part in toc.get("parts", []):
        files += [c["file"] for c in part["chapters"]]
    return files


def _cells(path):
    return json.loads(path.read_text())["cells"]


def test_there_are_chapters_and_the_toc_lists_exactly_them():
    assert len(CHAPTERS) >= 8
    listed = _toc_files()
    for f in listed:
        assert list(ROOT.glob(f + ".*")), f"_toc.yml lists {f}, which does not exist"
    notebooks = {str(p.relative_to(ROOT).with_suffix("")) for p in CHAPTERS}
    assert notebooks <= set(listed), f"chapters missing from _toc.yml: {notebooks - set(listed)}"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_chapter_committed_without_outputs(path):
    for i, cell in enumerate(_cells(path)):
        if cell["cell_type"] == "code":
            assert cell.get("outputs") == [] and cell.get("execution_count") is None, f"cell {i} has outputs"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_chapter_shape(path):
    cells = _cells(path)
    first = cells[0]
    assert first["cell_type"] == "code" and "remove-cell" in first.get("metadata", {}).get("tags", [])
    setup = "".join(first["source"])
    assert '"pip", "install"' in setup and "import qpcnn_edu" in setup
    text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    if path.stem == "primer":  # the primer sits between chapters 1 and 2, unnumbered
        assert re.search(r"^# Primer: ", text, re.M), "the primer's title"
    else:
        assert re.search(r"^# \d+\. ", text, re.M), "a numbered title"
    assert len(re.findall(r"^# ", text, re.M)) == 1, "exactly one top-level title"
    assert "## Summary" in text and "## Exercises" in text
    assert 2 <= text.count('<details class="solution">') <= 8, "exercises with folded solutions (HTML <details>)"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_chapter_uses_only_the_public_api(path):
    code = "\n".join("".join(c["source"]) for c in _cells(path) if c["cell_type"] == "code")
    private = re.findall(r"qpcnn_edu[\w.]*\._\w+|from qpcnn_edu[\w.]* import [^\n]*\b_\w+", code)
    assert not private, f"private names used: {private}"
    for name in re.findall(r"from qpcnn_edu import \(?([^)\n]+)", code):
        for symbol in (s.strip() for s in name.split(",")):
            if symbol:
                assert symbol.split(" as ")[0] in qpcnn_edu.__all__, f"{symbol} is not in qpcnn_edu.__all__"
