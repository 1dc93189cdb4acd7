"""Check the built HTML book for what a reader without network or kernel would miss.

    python scripts/check_book_html.py [_build/html]      (scripts/build_book.sh runs it after every build)

For every page it checks that

* formulas are typeset by a local MathJax: a page with math loads ``_static/mathjax/tex-chtml.js`` (the copy of the
  PyPI package sphinx-mathjax-offline), and that file exists;
* nothing loads from the network when the page opens: no ``<script src>`` or stylesheet ``<link href>`` with an
  ``http(s)://`` or protocol-relative address (Thebe's "live code" button fetches its library only when clicked);
* no widget is left without its kernel: no ipywidgets view or saved widget state, whose sliders would move and change
  nothing (the chapters tag their live explorers ``remove-output`` and show small multiples instead);
* exercise solutions are folded (``<details class="solution">``) and no MyST markup is left raw
  (``:class: dropdown``, ``{cite...}``, ``{admonition}``).

Exit status 0 when every check passes; otherwise each problem is printed as ``page: problem`` and the status is 1.
"""

from __future__ import annotations

import re
import sys
from html.parser import HTMLParser
from pathlib import Path

MATHJAX = "_static/mathjax/tex-chtml.js"
WIDGET_MIME = ("application/vnd.jupyter.widget-view+json", "application/vnd.jupyter.widget-state+json")
RAW_MYST = (":class: dropdown", "{cite", "{admonition}")
REMOTE = re.compile(r"^(https?:)?//", re.I)


class _Page(HTMLParser):
    """Collects the scripts, stylesheets and solution boxes of one page, and its visible text."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.scripts, self.stylesheets, self.solutions, self.text = [], [], 0, []
        self._skip = 0  # inside <script> or <style>: not visible text

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script":
            self.scripts.append(attrs.get("src") or "")
            self._skip += 1
        elif tag == "style":
            self._skip += 1
        elif tag == "link" and "stylesheet" in (attrs.get("rel") or ""):
            self.stylesheets.append(attrs.get("href") or "")
        elif tag == "details" and "solution" in (attrs.get("class") or "").split():
            self.solutions += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.text.append(data)


def check_page(path: Path, root: Path) -> list:
    """The problems of one HTML page (an empty list when there are none)."""
    html = path.read_text(encoding="utf-8")
    page = _Page()
    page.feed(html)
    text = "".join(page.text)
    name = path.relative_to(root).as_posix()
    problems = []
    has_math = bool(re.search(r'class="[^"]*\bmath\b', html))
    if has_math:
        local = [s for s in page.scripts if s.split("?")[0].endswith(MATHJAX)]
        if not local:
            problems.append(f"{name}: has formulas but does not load the local MathJax ({MATHJAX})")
        elif not (path.parent / local[0].split("?")[0]).resolve().is_file():
            problems.append(f"{name}: loads {local[0]}, which is missing from the build")
    for src in page.scripts + page.stylesheets:
        if REMOTE.match(src):
            problems.append(f"{name}: loads {src} from the network")
    for mime in WIDGET_MIME:
        if mime in html:
            problems.append(f"{name}: holds a kernel-only widget ({mime}); tag the live cell remove-output")
    for raw in RAW_MYST:
        if raw in text:
            problems.append(f"{name}: shows raw MyST markup {raw!r}")
    if "Exercises" in text and "Solution" in text and not page.solutions:
        problems.append(f"{name}: has exercises but no folded solution (<details class=\"solution\">)")
    return problems


def check_book(root) -> list:
    """The problems of every page of the built book under ``root`` (``_build/html``)."""
    root = Path(root)
    pages = sorted(p for p in root.rglob("*.html") if "_static" not in p.parts and "_sources" not in p.parts)
    if not pages:
        return [f"{root}: no HTML pages; build the book first (bash scripts/build_book.sh)"]
    problems = []
    for page in pages:
        problems += check_page(page, root)
    return problems


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    root = Path(argv[0] if argv else "_build/html")
    problems = check_book(root)
    for problem in problems:
        print(problem)
    pages = len([p for p in root.rglob("*.html") if "_static" not in p.parts]) if root.is_dir() else 0
    print(f"== check_book_html: {pages} pages, {len(problems)} problem{'s' if len(problems) != 1 else ''}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
