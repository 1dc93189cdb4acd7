#!/usr/bin/env bash
# The main job: set up .venv (scripts/setup.sh), then execute every chapter and build the HTML book into
# _build/html, offline, on the embedded FashionMNIST mini set. Warnings are errors (-W -n --keep-going).
# Open _build/html/index.html in a browser afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
rm -rf _build/html _build/.doctrees
.venv/bin/jupyter-book build . -W -n --keep-going
echo "== the book: $(pwd)/_build/html/index.html"
