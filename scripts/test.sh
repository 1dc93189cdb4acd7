#!/usr/bin/env bash
# Set up .venv (scripts/setup.sh) and run every test: unit tests (tests/), the package's docstring examples
# (qpcnn_edu/) and every book chapter executed top to bottom with nbval (book/). Settings: pyproject.toml.
# Extra arguments go to pytest, e.g.  bash scripts/test.sh -k layers -x
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/python -m pytest "$@"
