#!/usr/bin/env bash
# Set up (first run: a virtual environment in .venv with requirements.txt) and run every test:
# unit tests and the doctests of the package (pytest settings in pyproject.toml).
# Extra arguments go to pytest, e.g.  bash scripts/test.sh -k layers -x
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
exec .venv/bin/python -m pytest "$@"
