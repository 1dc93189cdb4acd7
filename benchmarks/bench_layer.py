"""Forward+backward time of the QPC layer against nn.Conv2d (1x1) and PennyLane, in one run.

Usage::

    python benchmarks/bench_layer.py                 # headline + full grid, prints a table
    python benchmarks/bench_layer.py --quick         # headline + a small grid
    python benchmarks/bench_layer.py --out benchmarks/results/layer_cpu   # also write .md and .json

Every configuration times one training step of the layer alone: forward on a batch of
``batch x in_channels x size x size`` (default 64 x 2**n x 14 x 14), ``.sum().backward()``, input
gradient included, as the layer would run inside a CNN. Times are medians over repetitions after a
warm-up. Ratios > 1 mean "slower than"; ``pennylane/qpc`` > 1 means our layer is that many times faster.

Compared:
  conv1x1      nn.Conv2d(C, n_qubits, 1), float32 — the classical layer the QPC layer replaces
  qpc          QuantumPointwiseConv2d(C, n_layers), statevector backend, backprop, float32
  qpc64        the same in float64 (PennyLane's default.qubit works in complex128)
  pl_backprop  the same layer with backend="pennylane": default.qubit, backprop, broadcast over pixels
  qpc_shift    statevector backend with diff_method="parameter-shift", weight gradients only (headline)
  pl_shift     PennyLane default.qubit with parameter-shift, weight gradients only (headline; slow)
  shift grid   (--shift-batch B) qpc_shift and pl_shift over the grid on a smaller batch of B x size x size
               pixels (PennyLane's shift rule runs 2 * 3 * n_layers * n_qubits + 1 broadcast circuits)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import torch
from torch import nn

import qpcnn_edu
from qpcnn_edu import QuantumPointwiseConv2d
from qpcnn_edu._io import write_text_atomic

HEADLINE = (3, 2)  # n_qubits, n_layers: 8 channels -> 3 qubits, 2 entangling layers
TARGETS = {"conv_ratio_max": 3.0, "pl_speedup_3q2l": 20.0, "pl_speedup_5q8l": 100.0}


def time_step(module, x, min_time=0.5, max_reps=200, min_reps=3, warmup=2):
    """Median seconds of ``module(x).sum().backward()``."""
    for _ in range(warmup):
        module(x).sum().backward()
    times = []
    start = time.perf_counter()
    while len(times) < max_reps and (len(times) < min_reps or time.perf_counter() - start < min_time):
        t0 = time.perf_counter()
        module(x).sum().backward()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def measure(n_qubits, n_layers, batch, size, pennylane=True, shift=False, seed=0, shift_batch=0):
    torch.manual_seed(seed)
    C = 2**n_qubits
    row = {"n_qubits": n_qubits, "n_layers": n_layers, "in_channels": C, "pixels": batch * size * size}
    x32 = torch.randn(batch, C, size, size, requires_grad=True)
    x64 = x32.detach().double().requires_grad_()
    qpc = QuantumPointwiseConv2d(C, n_layers=n_layers)
    row["conv1x1"] = time_step(nn.Conv2d(C, n_qubits, 1), x32)
    row["qpc"] = time_step(qpc, x32)
    row["qpc64"] = time_step(QuantumPointwiseConv2d(C, n_layers=n_layers).double(), x64)
    if pennylane:
        pl = QuantumPointwiseConv2d(C, n_layers=n_layers, backend="pennylane", diff_method="backprop")
        row["pl_backprop"] = time_step(pl, x32, min_time=0.0, max_reps=3, warmup=1)
    if shift:
        # weight gradients only (input not trainable), as PennyLane's shift rule sees it
        xs = x32.detach()
        qs = QuantumPointwiseConv2d(C, n_layers=n_layers, diff_method="parameter-shift")
        row["qpc_shift"] = time_step(qs, xs)
        pls = QuantumPointwiseConv2d(C, n_layers=n_layers, backend="pennylane", diff_method="parameter-shift")
        row["pl_shift"] = time_step(pls, xs, min_time=0.0, max_reps=1, min_reps=1, warmup=0)
    if shift_batch:
        xs = torch.randn(shift_batch, C, size, size)
        row["shift_pixels"] = shift_batch * size * size
        qs = QuantumPointwiseConv2d(C, n_layers=n_layers, diff_method="parameter-shift")
        row["qpc_shift_small"] = time_step(qs, xs)
        pls = QuantumPointwiseConv2d(C, n_layers=n_layers, backend="pennylane", diff_method="parameter-shift")
        row["pl_shift_small"] = time_step(pls, xs, min_time=0.0, max_reps=1, min_reps=1, warmup=0)
    return row


def machine():
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    import pennylane as qml

    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "device": "cpu",
        "python": platform.python_version(),
        "torch": torch.__version__,
        "pennylane": qml.__version__,
        "qpcnn_edu": qpcnn_edu.__version__,
        "platform": platform.platform(),
    }


def fmt_ms(seconds):
    return "—" if seconds is None else f"{seconds * 1e3:9.2f}"


def table(rows):
    head = "| qubits | layers | C | conv1x1 ms | qpc ms | qpc64 ms | PennyLane ms | qpc/conv | PennyLane/qpc64 | PennyLane/qpc |"
    lines = [head, "|---" * 10 + "|"]
    for r in rows:
        pl = r.get("pl_backprop")
        pl64 = "—" if pl is None else f"{pl / r['qpc64']:7.1f}"
        pl32 = "—" if pl is None else f"{pl / r['qpc']:7.1f}"
        lines.append(
            f"| {r['n_qubits']} | {r['n_layers']} | {r['in_channels']} | {fmt_ms(r['conv1x1'])} | {fmt_ms(r['qpc'])} "
            f"| {fmt_ms(r['qpc64'])} | {fmt_ms(pl)} | {r['qpc'] / r['conv1x1']:6.2f} "
            f"| {pl64} | {pl32} |"
        )
    return "\n".join(lines)


def shift_table(rows):
    head = "| qubits | layers | pixels | qpc parameter-shift ms | PennyLane parameter-shift ms | PennyLane/qpc |"
    lines = [head, "|---" * 6 + "|"]
    for r in rows:
        lines.append(f"| {r['n_qubits']} | {r['n_layers']} | {r['shift_pixels']} | {fmt_ms(r['qpc_shift_small'])} "
                     f"| {fmt_ms(r['pl_shift_small'])} | {r['pl_shift_small'] / r['qpc_shift_small']:7.1f} |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--size", type=int, default=14)
    parser.add_argument("--qubits", type=int, nargs="+", default=[2, 3, 4, 5, 6])
    parser.add_argument("--layers", type=int, nargs="+", default=[1, 2, 4, 8])
    parser.add_argument("--quick", action="store_true", help="grid of 2-4 qubits x 1-2 layers only")
    parser.add_argument("--no-pennylane", action="store_true", help="skip the (slow) PennyLane columns")
    parser.add_argument("--shift-batch", type=int, default=0,
                        help="also time parameter-shift (ours and PennyLane's) over the grid on this many images")
    parser.add_argument("--out", type=Path, help="write OUT.md and OUT.json as well as printing")
    args = parser.parse_args(argv)
    if args.quick:
        args.qubits, args.layers = [2, 3, 4], [1, 2]

    info = machine()
    t0 = time.time()
    print(f"# QPC layer benchmark — batch {args.batch} x {args.size}x{args.size} pixels, forward+backward")
    print("machine: " + ", ".join(f"{k}={v}" for k, v in info.items()), flush=True)

    head = measure(*HEADLINE, args.batch, args.size, pennylane=not args.no_pennylane, shift=not args.no_pennylane)
    grid = []
    for n in args.qubits:
        for L in args.layers:
            grid.append(measure(n, L, args.batch, args.size, pennylane=not args.no_pennylane,
                                shift_batch=0 if args.no_pennylane else args.shift_batch))
            print(f"  measured {n} qubits x {L} layers", file=sys.stderr, flush=True)

    lines = [
        f"# QPC layer benchmark — batch {args.batch} x {args.size}x{args.size} pixels, forward+backward",
        "",
        "Machine: " + ", ".join(f"{k}={v}" for k, v in info.items()),
        f"Command: python benchmarks/bench_layer.py {' '.join(argv if argv is not None else sys.argv[1:])}".rstrip(),
        "",
        f"## Headline: {HEADLINE[0]} qubits ({2 ** HEADLINE[0]} channels), {HEADLINE[1]} layers",
        "",
        f"- nn.Conv2d 1x1 (float32): {fmt_ms(head['conv1x1']).strip()} ms",
        f"- QPC statevector, backprop (float32): {fmt_ms(head['qpc']).strip()} ms "
        f"= {head['qpc'] / head['conv1x1']:.2f}x the 1x1 convolution (target <= {TARGETS['conv_ratio_max']:g}x)",
        f"- QPC statevector, backprop (float64): {fmt_ms(head['qpc64']).strip()} ms",
    ]
    if "pl_backprop" in head:
        lines += [
            f"- PennyLane default.qubit, backprop, broadcasting: {fmt_ms(head['pl_backprop']).strip()} ms "
            f"= {head['pl_backprop'] / head['qpc']:.1f}x slower than QPC float32, "
            f"{head['pl_backprop'] / head['qpc64']:.1f}x slower than QPC float64 (target >= {TARGETS['pl_speedup_3q2l']:g}x)",
            f"- QPC statevector, parameter-shift (float32): {fmt_ms(head['qpc_shift']).strip()} ms",
            f"- PennyLane default.qubit, parameter-shift: {fmt_ms(head['pl_shift']).strip()} ms "
            f"= {head['pl_shift'] / head['qpc_shift']:.1f}x our parameter-shift",
        ]
    lines += ["", "## Grid", "", table(grid)]
    if args.shift_batch and not args.no_pennylane:
        lines += ["", f"## Parameter-shift over the grid ({args.shift_batch} images x {args.size}x{args.size} pixels, "
                  "weight gradients)", "", shift_table(grid)]
    lines += ["", f"Total wall time: {time.time() - t0:.0f} s"]
    text = "\n".join(lines)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        record = {"machine": info, "batch": args.batch, "size": args.size, "headline": head, "grid": grid,
                  "targets": TARGETS, "command": lines[3].removeprefix("Command: ")}
        write_text_atomic(args.out.with_suffix(".md"), text + "\n")  # atomic: no half-written result files
        write_text_atomic(args.out.with_suffix(".json"), json.dumps(record, indent=1) + "\n")


if __name__ == "__main__":
    main()
