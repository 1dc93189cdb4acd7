"""The book's first page copies its bottom-line box from results/summary.md at build time ({include} with
start-after/end-before markers): the markers must exist, in that order, and the first bottom line must be
FashionMNIST's (the box is titled so)."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
START, END = "### Bottom line", "### How the runs were made"


def test_the_intro_includes_the_fashion_mnist_bottom_line_of_the_summary():
    intro = (ROOT / "book" / "intro.md").read_text(encoding="utf-8")
    include = re.search(r"```\{include\} (\S+)\n:start-after: \"(.+)\"\n:end-before: \"(.+)\"\n```", intro)
    assert include, "book/intro.md must include the summary's bottom line"
    assert (include.group(2), include.group(3)) == (START, END)
    summary = ((ROOT / "book" / include.group(1)).resolve()).read_text(encoding="utf-8")
    start = summary.index(START)
    assert summary.index(END, start) > start
    sections = re.findall(r"^## (\S+)", summary[:start], re.M)
    assert sections and sections[-1] == "fashion-mnist", "the intro's box is titled FashionMNIST"
    bullets = summary[start + len(START):summary.index(END, start)].strip().splitlines()
    assert bullets and all(line.startswith("- ") for line in bullets)
