"""Open the built book in a headless Chromium with the network switched off, and check that MathJax typeset it.

    python scripts/check_offline_math.py [--html _build/html] [--screenshots DIR] [PAGE ...]

PAGE is a page of the book relative to the HTML folder (default: every chapter, ``book/*.html``). Each page is
opened as ``unshare -n chromium --headless --dump-dom`` (Debian's ``chromium``; ``unshare -n`` gives it no network,
as in a classroom or on a train) and passes when every formula of the page (an element of class ``math``) became a
MathJax ``<mjx-container>``. ``--screenshots DIR`` also saves ``DIR/<page>.png`` of each page, taken offline.

Exit status: 0 when every page passes, 1 when one does not, 2 when Chromium or ``unshare -n`` is not available
(``apt-get install chromium``; ``unshare -n`` needs root or user namespaces). scripts/build_book.sh runs it when
Chromium is installed.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from pathlib import Path

BUDGET_MS = 15000  # virtual time for MathJax to load and typeset before the DOM is dumped


def chromium() -> list | None:
    """The command that starts a headless Chromium without network, or ``None`` where that is not possible."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None or shutil.which("unshare") is None:
        return None
    if subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode != 0:
        return None
    return ["unshare", "-n", browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
            f"--virtual-time-budget={BUDGET_MS}"]


def count_formulas(html: str) -> int:
    """The formulas of a built page: the elements Sphinx/myst-nb mark with the class ``math``."""
    return len(re.findall(r'<(?:span|div)[^>]*\bclass="[^"]*\bmath\b', html))


def typeset(dom: str) -> int:
    """The formulas MathJax typeset in a rendered page."""
    return dom.count("<mjx-container")


def check(html_root: Path, page: str, command: list, screenshots: Path | None = None) -> str | None:
    """``None`` if every formula of ``page`` is typeset offline, else what is wrong."""
    path = (html_root / page).resolve()
    formulas = count_formulas(path.read_text(encoding="utf-8"))
    url = path.as_uri()
    dom = subprocess.run(command + ["--dump-dom", url], capture_output=True, text=True, timeout=120).stdout
    done = typeset(dom)
    if screenshots is not None:
        screenshots.mkdir(parents=True, exist_ok=True)
        target = screenshots / (page.replace("/", "_").removesuffix(".html") + ".png")
        subprocess.run(command + ["--window-size=1280,2200", f"--screenshot={target}", url], capture_output=True,
                       timeout=120)
    print(f"{page}: {done} of {formulas} formulas typeset offline")
    if formulas and done < formulas:
        return f"{page}: only {done} of {formulas} formulas typeset with the network off"
    return None


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("pages", nargs="*", help="pages relative to --html (default: book/*.html)")
    parser.add_argument("--html", type=Path, default=Path("_build/html"), help="the built book (default: %(default)s)")
    parser.add_argument("--screenshots", type=Path, default=None, help="save a screenshot of each page here")
    args = parser.parse_args(argv)
    command = chromium()
    if command is None:
        print("check_offline_math: needs Debian's chromium and `unshare -n` (root or user namespaces); not run")
        return 2
    pages = args.pages or sorted(p.relative_to(args.html).as_posix() for p in (args.html / "book").glob("*.html"))
    if not pages:
        print(f"check_offline_math: no pages under {args.html}/book; build the book first (bash scripts/build_book.sh)")
        return 1
    problems = [p for p in (check(args.html, page, command, args.screenshots) for page in pages) if p]
    for problem in problems:
        print(problem)
    print(f"== check_offline_math: {len(pages)} pages, {len(problems)} with untypeset formulas")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
