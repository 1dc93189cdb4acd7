#!/usr/bin/env bash
# The one prepared run for a lent GPU machine (issue 14): CUDA tests, the GPU benchmark, and the CPU benchmark on
# that machine's idle cores. Run from the repository root with OUT set (the device tool sets it):
#
#     device run, carry [".whl"]:  BENCH_COMMIT=<sha> bash benchmarks/run_device.sh   (about 8-9 minutes; timeout_s 600)
#                                  (BENCH_COMMIT: recorded as the commit where the copied tree has no .git)
#     here, as a dry run:          OUT=/tmp/out PY=.venv/bin/python BENCH_EXTRA=--quick bash benchmarks/run_device.sh
#
# To make .whl/ on a fresh checkout (about 41 MiB; run here, where pip reaches the index):
#     echo /.whl/ >> .git/info/exclude
#     python3 -m pip download --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
#         --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 --platform manylinux_2_17_x86_64 \
#         --platform manylinux2014_x86_64 -d .whl \
#         appdirs==1.4.4 autograd==1.8.0 autoray==0.8.4 cachetools==8.0.2 diastatic_malt==2.15.3 gast==0.7.0 pennylane==0.45.1 pennylane_lightning==0.45.0 rustworkx==0.18.1 scipy_openblas32==0.3.34.481.3 tomlkit==0.15.2
# The machine's python3 has torch but not PennyLane: the wheels in .whl/ (git-ignored, carried) are installed into
# /tmp/site. Files written under $OUT (8 at most come back): cuda_tests.log (nvidia-smi and the CUDA tests),
# bench.log (progress), layer_cuda.{json,md}, layer_cpu.{json,md}, epoch_times.json and epoch_times_blocks.json (the
# quiet-machine epoch timing of both suites). Left out to stay within 8 files: the PNGs (benchmarks/plot_bench.py
# redraws them from the JSON) and the timing Markdown (qpcnn_edu.lab.timing.write_timing rewrites it from the JSON).
# On a machine without CUDA the CUDA steps are skipped with a message; nothing here depends on a GPU.
set -uo pipefail
cd "$(dirname "$0")/.."
: "${OUT:?OUT must name the folder for the results; got nothing. Run: OUT=/tmp/out bash benchmarks/run_device.sh}"
mkdir -p "$OUT"
PY=${PY:-python3}
EXTRA=${BENCH_EXTRA:-}  # e.g. --quick for a dry run (its numbers mean nothing)
export PYTHONUNBUFFERED=1
start=$(date +%s)
step() { echo "== [$(( $(date +%s) - start )) s] $*"; }

step "python: $($PY --version 2>&1); torch: $($PY -c 'import torch; print(torch.__version__)' 2>&1)"
echo "commit: $(git rev-parse HEAD 2>/dev/null || echo "no git checkout here; BENCH_COMMIT=${BENCH_COMMIT:-unset}")"
if ! $PY -c "import pennylane" 2>/dev/null; then
    if ls .whl/*.whl >/dev/null 2>&1; then
        step "installing $(ls .whl/*.whl | wc -l) carried wheels into /tmp/site"
        timeout 120 $PY -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
            --target /tmp/site .whl/*.whl || echo "wheel install failed: PennyLane contenders and tests will be skipped"
        export PYTHONPATH=/tmp/site:$PWD
    else
        echo "no .whl/ folder: PennyLane is missing (name .whl in carry); its contenders will be skipped"
        export PYTHONPATH=$PWD
    fi
else
    export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH}
fi
$PY -c "import pennylane as qml; print('pennylane', qml.__version__)" 2>&1 | tail -1

cuda=$($PY -c "import torch; print(int(torch.cuda.is_available()))" 2>/dev/null || echo 0)
{
    step "nvidia-smi"
    nvidia-smi 2>&1 || echo "no nvidia-smi here"
    if [ "$cuda" = 1 ]; then
        step "CUDA tests (tests/test_layers.py -k cuda: the tests skipped without a GPU)"
        timeout 100 $PY -m pytest -q -o addopts="" -p no:cacheprovider -rs tests/test_layers.py -k cuda 2>&1
        echo "pytest exit code: $?"
    else
        echo "SKIPPED: torch sees no CUDA device here, so the CUDA tests and the GPU benchmark do not run."
    fi
} > "$OUT/cuda_tests.log" 2>&1
tail -n 25 "$OUT/cuda_tests.log"

for suite in paper blocks; do
    name=epoch_times; [ "$suite" = blocks ] && name=epoch_times_blocks
    step "epoch times of the $suite suite: one process, one thread, models interleaved (python -m qpcnn_edu timing)"
    timeout 110 $PY -m qpcnn_edu timing --suite $suite --dataset fashion-mnist-mini --batches 30 --repeats 20 --warmup 2 \
        --threads 1 --out "$OUT/$name" \
        --note "lent GPU machine's CPU (idle but for this process); run by benchmarks/run_device.sh" >> "$OUT/bench.log" 2>&1
    echo "timing ($suite) exit code: $?" | tee -a "$OUT/bench.log"
    [ -f "$OUT/$name.md" ] && sed -n '/^| model/,$p' "$OUT/$name.md"
    rm -f "$OUT/$name.md"  # at most 8 files come back: the Markdown is rewritten from the JSON (lab.timing)
done

if [ "$cuda" = 1 ]; then
    step "GPU benchmark (conv, QPC, PennyLane where it runs on CUDA)"
    timeout 160 $PY benchmarks/bench_layer.py --device cuda --budget 100 --max-time 20 --out "$OUT/layer_cuda" $EXTRA \
        --note "lent GPU machine, nothing else running; run by benchmarks/run_device.sh" \
        > /dev/null 2>> "$OUT/bench.log"
    echo "GPU benchmark exit code: $?" | tee -a "$OUT/bench.log"
    [ -f "$OUT/layer_cuda.md" ] && head -n 30 "$OUT/layer_cuda.md"
else
    echo "SKIPPED: GPU benchmark (no CUDA device)" | tee -a "$OUT/bench.log"
fi

step "CPU benchmark, 1 thread, on this machine's idle cores (grid 3 and 5 qubits to fit the lease)"
timeout 200 $PY benchmarks/bench_layer.py --device cpu --threads 1 --qubits 3 5 --budget 150 --max-time 20 \
    --out "$OUT/layer_cpu" $EXTRA \
    --note "lent GPU machine's CPU, idle, 1 thread; grid 3 and 5 qubits; run by benchmarks/run_device.sh" \
    > /dev/null 2>> "$OUT/bench.log"
echo "CPU benchmark exit code: $?" | tee -a "$OUT/bench.log"
[ -f "$OUT/layer_cpu.md" ] && sed -n '/## Targets/,/## Headline/p' "$OUT/layer_cpu.md"
rm -f "$OUT"/*.png  # at most 8 files come back; the PNGs are redrawn from the JSON
step "done; files: $(ls "$OUT" | tr '\n' ' ')"
