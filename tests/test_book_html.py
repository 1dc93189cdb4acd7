"""scripts/check_book_html.py (run by scripts/build_book.sh on the book it has just built) and the sources it checks:
the chapters' Markdown must read the same in the HTML book, JupyterLab and Colab."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = sorted((ROOT / "book").glob("*.ipynb"))  # the numbered chapters and the primer


@pytest.fixture(scope="module")
def checker():
    spec = importlib.util.spec_from_file_location("check_book_html", ROOT / "scripts" / "check_book_html.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


GOOD = """<html><head><script src="../_static/mathjax/tex-chtml.js"></script>
<link rel="stylesheet" href="../_static/styles/theme.css"></head><body>
<p>A state <span class="math notranslate nohighlight">\\(|0\\rangle\\)</span>.</p>
<h2>Exercises</h2><details class="solution"><summary>Solution</summary><p>It is.</p></details>
<script>const THEBE_JS_URL = "https://unpkg.com/thebe@0.8.2/lib/index.js"</script></body></html>"""


def build(tmp_path, page: str, mathjax: bool = True) -> Path:
    root = tmp_path / "html"
    (root / "book").mkdir(parents=True)
    (root / "book" / "02_amplitude_encoding.html").write_text(page)
    if mathjax:
        (root / "_static" / "mathjax").mkdir(parents=True)
        (root / "_static" / "mathjax" / "tex-chtml.js").write_text("// MathJax")
    return root


def test_a_page_that_reads_well_offline_passes(checker, tmp_path):
    assert checker.check_book(build(tmp_path, GOOD)) == []
    assert checker.main([str(tmp_path / "html")]) == 0


@pytest.mark.parametrize("change, problem", [
    (('src="../_static/mathjax/tex-chtml.js"', 'src="https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-chtml.js"'),
     "does not load the local MathJax"),
    (("</head>", '<script src="https://cdn.jsdelivr.net/npm/@jupyter-widgets/html-manager@1/dist/embed-amd.js">'
                 "</script></head>"), "from the network"),
    (("</head>", '<link rel="stylesheet" href="//fonts.example.org/a.css"></head>'), "from the network"),
    (("</body>", '<script type="application/vnd.jupyter.widget-view+json">{"model_id": "1"}</script></body>'),
     "kernel-only widget"),
    (("</body>", '<script type="application/vnd.jupyter.widget-state+json">{}</script></body>'), "kernel-only widget"),
    (('<details class="solution"><summary>Solution</summary><p>It is.</p></details>',
      "<pre>:class: dropdown\nSolution: it is.</pre>"), "raw MyST markup ':class: dropdown'"),
    (("A state", "As {cite:t}`ning2024qpc` say, a state"), "raw MyST markup '{cite'"),
])
def test_each_problem_is_found(checker, tmp_path, change, problem):
    page = GOOD.replace(*change)
    assert page != GOOD
    problems = checker.check_book(build(tmp_path, page))
    assert any(problem in p for p in problems), problems
    assert all(p.startswith("book/02_amplitude_encoding.html: ") for p in problems)
    assert checker.main([str(tmp_path / "html")]) == 1


def test_missing_mathjax_files_and_missing_builds_are_found(checker, tmp_path):
    assert "missing from the build" in checker.check_book(build(tmp_path, GOOD, mathjax=False))[0]
    assert "build the book first" in checker.check_book(tmp_path / "nothing")[0]


# ------------------------------------------------------------------------------------------- the sources
def markdown(chapter: Path) -> str:
    cells = json.loads(chapter.read_text(encoding="utf-8"))["cells"]
    return "\n\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_markdown_is_portable(chapter):
    """JupyterLab and Colab do not know MyST: solutions fold as HTML <details>, citations are links."""
    text = markdown(chapter)
    assert not re.findall(r"^`{3,}\{[\w-]+\}", text, re.M), "MyST directives show as raw text in JupyterLab/Colab"
    assert not re.findall(r"\{[\w:-]+\}`", text), "MyST roles ({cite}`...`) show as raw text in JupyterLab/Colab"
    opened = text.count('<details class="solution">')
    closed = text.count("</details>") - text.count('<details class="choice">')  # self-checks fold their options
    assert opened == closed == text.count("<summary>Solution</summary>") >= 3, "every exercise has a folded solution"
    for block in re.findall(r'<details class="solution">(.*?)</details>', text, re.S):
        assert block.startswith("\n<summary>Solution</summary>\n\n") and block.endswith("\n\n"), \
            "blank lines around the body, or JupyterLab and Colab do not render its Markdown"


def live_cells(chapter: Path) -> list:
    cells = json.loads(chapter.read_text(encoding="utf-8"))["cells"]
    calls = ("encoding_explorer(", "circuit_explorer(", "feature_map_viewer(", "accuracy_dashboard(")
    return [c for c in cells if c["cell_type"] == "code" and any(
        line.startswith(calls) for line in "".join(c["source"]).splitlines())]


def test_live_widgets_show_in_notebooks_but_not_in_the_html():
    found = {p.stem: live_cells(p) for p in CHAPTERS}
    assert sum(len(v) for v in found.values()) == 5
    for chapter, cells in found.items():
        for cell in cells:
            tags = cell["metadata"].get("tags", [])
            assert "remove-output" in tags, f"{chapter}: a widget's view is dead in the HTML (no kernel)"
            assert "remove-cell" not in tags and "remove-input" not in tags, f"{chapter}: keep the code visible"
