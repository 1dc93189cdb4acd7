#!/usr/bin/env bash
# Set up (once) the virtual environment .venv with everything in requirements.txt (the package included, editable).
# Idempotent: a second run only checks that the requirements are satisfied.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    echo "== creating .venv with $("$PYTHON" --version)"
    "$PYTHON" -m venv .venv
fi
echo "== installing requirements.txt into .venv (first time: a few minutes)"
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
