#!/usr/bin/env bash
# Install TorchQuantum for the layer benchmark into a separate folder (never into .venv), then run with it:
#
#     bash benchmarks/install_torchquantum.sh /tmp/tqsite
#     PYTHONPATH=/tmp/tqsite .venv/bin/python benchmarks/bench_layer.py ...
#
# Why not `pip install torchquantum`: 0.1.8, the newest on PyPI, resolves beside torch 2.14.1 without changing it,
# but pulls in tensorflow, pyscf, nbsphinx and qiskit<1.0 (hundreds of MB) and still does not import: its start-up
# imports qiskit_ibm_runtime, qiskit.providers.aer and pkg_resources, which it does not declare (seen 2026-11-29).
# These pins are what `import torchquantum` needs at start-up and nothing more (no tensorflow or pyscf); each is
# installed --no-deps so nothing in .venv (torch, numpy, scipy) is touched. setuptools<81 brings pkg_resources.
set -euo pipefail
cd "$(dirname "$0")/.."
TARGET=${1:?"usage: bash benchmarks/install_torchquantum.sh TARGET_FOLDER (e.g. /tmp/tqsite)"}
PY=${PY:-.venv/bin/python}
$PY -m pip install -q --no-deps --target "$TARGET" \
    torchquantum==0.1.8 qiskit==0.46.3 qiskit-terra==0.46.3 qiskit-aer==0.13.3 qiskit-ibm-runtime==0.20.0 \
    torchpack==0.3.1 torchdiffeq==0.2.5 dill==0.3.4 pathos==0.2.8 multiprocess==0.70.12.2 pox==0.3.7 ppft==1.7.8 \
    opt_einsum==3.4.0 pylatexenc==2.11 symengine==0.15.0 stevedore==5.10.0 ply==3.11 multimethod==2.1 \
    toml==0.10.2 loguru==0.7.3 "setuptools<81" PyJWT==2.15.1 cryptography==50.0.2 ibm-cloud-sdk-core==3.28.0 \
    ibm-platform-services==0.77.1 pyspnego==0.12.4 requests_ntlm==1.3.0 python-dateutil==2.9.0.post0
PYTHONPATH="$TARGET" $PY -c "import torchquantum, torch; print('torchquantum imports; torch', torch.__version__)"
