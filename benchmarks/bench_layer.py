"""Forward+backward time of the QPC layer against nn.Conv2d 1x1, PennyLane and TorchQuantum, in one run.

Usage::

    python benchmarks/bench_layer.py --out benchmarks/results/layer_cpu --note "quiet machine"   # ~4-5 min, 1 thread
    python benchmarks/bench_layer.py --device cuda --out benchmarks/results/layer_cuda
    python benchmarks/bench_layer.py --quick          # smoke run: seconds, numbers meaningless, never commit them

What one run measures (the method is in :mod:`harness`; the contenders in :mod:`contenders`), every group with
the same policy (3 warm-ups, then rounds until >= 20 samples and >= 1 s per contender, interleaved A B C A B C):

* ``headline``: 3 qubits (8 channels), 2 layers, ``batch`` x ``size`` x ``size`` pixels (64 x 14 x 14), input
  and weight gradients: the 1x1 conv, our layer (fp32, fp64), PennyLane backprop, TorchQuantum; the targets.
* ``shift``: the same batch, weight gradients only: our layer by backprop and by parameter-shift, PennyLane's
  parameter-shift.
* ``batch_sweep``: 3 qubits, 2 layers, pixels 1 ... 12544, input and weight gradients; each contender's
  ``time = fixed + per_pixel * pixels`` fit.
* ``weights_sweep``: the gradient methods that differentiate weights only (parameter-shift, adjoint) on few
  pixels (lightning.qubit runs one circuit per pixel: at most ``--lightning-max-pixels``), with the same fit:
  per-pixel cost is what compares them.
* ``grid``: qubits 3, 4, 5 x layers 1, 2, 4, 8 at the full batch (the depth and qubit sweeps).

Every contender's outputs and weight gradients are checked against our layer (fp32 to 1e-5; fp64 against
PennyLane to 1e-10) before anything is timed; a mismatch stops the run. Threads are fixed (``--threads``, default
1 as in the training runs; also OMP/MKL/OpenBLAS) and recorded with the commit, versions, machine, load average,
timestamps, command and ``--note`` in the JSON. Ratios > 1 mean "slower than". ``--budget`` (default 330 s) bounds
the run: groups that would start after it are not run and are listed under ``not_run``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

THREAD_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


def _threads_from_argv(argv) -> str:
    for i, arg in enumerate(argv):
        if arg == "--threads" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--threads="):
            return arg.split("=", 1)[1]
    return "1"


if __name__ == "__main__":  # before numpy/torch/lightning load their thread pools
    for _var in THREAD_VARS:
        os.environ[_var] = _threads_from_argv(sys.argv[1:])

import torch  # noqa: E402

from contenders import (ALL, LABELS, LIGHTNING_NOTE, TORCHQUANTUM_INSTALLED_NOTE, TORCHQUANTUM_NOTE,  # noqa: E402
                         availability, build_case)
from harness import Policy, fit_fixed_per_pixel, ratio_stats, run_interleaved  # noqa: E402
from report_bench import markdown  # noqa: E402

SCHEMA = 2
HEADLINE = (3, 2)  # n_qubits, n_layers: 8 channels -> 3 qubits, 2 entangling layers
TARGETS = {"conv_ratio_max": 3.0, "pl_speedup_3q2l": 20.0, "pl_speedup_5q8l": 50.0}
FAST = ("conv1x1", "qpc", "qpc64", "pl_backprop", "torchquantum")
SHIFT = ("qpc", "qpc_shift", "pl_backprop", "pl_shift")
SLOW = ("qpc", "qpc_shift", "pl_backprop", "pl_shift", "lightning_adjoint", "torchquantum")


def time_group(n_qubits, n_layers, pixels, names, grads, args, policy, available, sync, log, deadline=None,
               not_run=None):
    """Build, check and time one group; the JSON record of it (times in seconds per call).

    Past ``deadline`` (a ``time.time()`` value) the group is not run: it is listed in ``not_run`` and ``None``
    returned, so a run under a hard time limit still writes what it measured.
    """
    if deadline is not None and time.time() > deadline:
        not_run.append(f"{n_qubits} qubits, {n_layers} layers, {pixels} pixels, grads={grads}")
        return None
    log(f"  {n_qubits} qubits, {n_layers} layers, {pixels} pixels, grads={grads}: {', '.join(names)}")
    contenders, checks, skipped = build_case(n_qubits, n_layers, pixels, names, grads, args.device, args.seed,
                                             available, log)
    timing = run_interleaved(contenders, policy, sync=sync, log=log)
    samples = {n: t["samples"] for n, t in timing["contenders"].items()}
    record = {"n_qubits": n_qubits, "n_layers": n_layers, "in_channels": 2 ** n_qubits, "pixels": pixels,
              "grads": grads, "rounds": timing["rounds"], "capped": timing["capped"], "wall_s": timing["wall_s"],
              "checks": checks, "skipped": skipped, "samples": samples,
              "stats": {n: {**t["stats"], "number": t["number"], "timed_s": t["timed_s"], "warmup": t["warmup"]}
                        for n, t in timing["contenders"].items()},
              "ratios": {}}
    for ref in ("conv1x1", "qpc", "qpc64"):
        if ref in samples:
            record["ratios"][f"to_{ref}"] = {n: ratio_stats(s, samples[ref]) for n, s in samples.items() if n != ref}
    for n in samples:  # medians at the top level: the keys the book's chapters read
        record[n] = record["stats"][n]["median"]
    return record


def sweep(n_qubits, n_layers, pixel_list, names, grads, args, policy, available, sync, log, caps=None, **limits):
    caps = caps or {}
    points = [time_group(n_qubits, n_layers, p, [n for n in names if p <= caps.get(n, p)], grads, args, policy,
                         available, sync, log, **limits) for p in pixel_list]
    points = [pt for pt in points if pt is not None]
    fits = {}
    for name in names:
        got = [(pt["pixels"], pt[name]) for pt in points if name in pt]
        if len({p for p, _ in got}) >= 2:
            fits[name] = fit_fixed_per_pixel(*zip(*got))
    return {"n_qubits": n_qubits, "n_layers": n_layers, "grads": grads, "points": points, "fits": fits}


def targets(head, grid) -> dict:
    out = {}
    r = head["ratios"].get("to_conv1x1", {}).get("qpc")
    if r:
        out["qpc_over_conv_3q2l"] = {**r, "target": f"<= {TARGETS['conv_ratio_max']:g}",
                                     "met": r["median"] <= TARGETS["conv_ratio_max"]}
    r = head["ratios"].get("to_qpc", {}).get("pl_backprop")
    if r:
        out["pl_over_qpc_3q2l"] = {**r, "target": f">= {TARGETS['pl_speedup_3q2l']:g}",
                                   "met": r["median"] >= TARGETS["pl_speedup_3q2l"]}
    cell = next((g for g in grid if (g["n_qubits"], g["n_layers"]) == (5, 8)), None)
    r = cell and cell["ratios"].get("to_qpc", {}).get("pl_backprop")
    if r:
        out["pl_over_qpc_5q8l"] = {**r, "target": f">= {TARGETS['pl_speedup_5q8l']:g}",
                                   "met": r["median"] >= TARGETS["pl_speedup_5q8l"]}
    return out


def parse(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--device", default="cpu", help="cpu or cuda (conv, QPC, PennyLane and TorchQuantum where they run)")
    p.add_argument("--threads", type=int, default=1, help="torch/OpenMP/BLAS threads (default 1: the training runs')")
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--size", type=int, default=14)
    p.add_argument("--qubits", type=int, nargs="+", default=[3, 4, 5])
    p.add_argument("--layers", type=int, nargs="+", default=[1, 2, 4, 8])
    p.add_argument("--sweep-pixels", type=int, nargs="+", default=[1, 196, 784, 3136, 12544])
    p.add_argument("--slow-pixels", type=int, nargs="+", default=[1, 4, 16, 196])
    p.add_argument("--lightning-max-pixels", type=int, default=16)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--repeats", type=int, default=20, help="at least this many samples per contender")
    p.add_argument("--min-time", type=float, default=1.0, help="and at least this many seconds per contender")
    p.add_argument("--sample-time", type=float, default=0.05, help="seconds one sample aims at (calls per sample)")
    p.add_argument("--max-time", type=float, default=30.0, help="cap per group once --repeats is reached (s)")
    p.add_argument("--budget", type=float, default=330.0,
                   help="seconds: groups that would start later are not run (listed in the record); 0 for none")
    p.add_argument("--quick", action="store_true", help="smoke run: tiny sizes, 3 repeats; numbers mean nothing")
    p.add_argument("--no-plot", action="store_true")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--note", default="", help="what else ran on the machine (recorded)")
    p.add_argument("--out", type=Path, help="write OUT.json, OUT.md and OUT.png")
    args = p.parse_args(argv)
    if args.threads < 1:
        p.error(f"--threads must be at least 1; got {args.threads}. Pass e.g. --threads 1.")
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        p.error(f"--device must name an available device; got {args.device!r} but torch sees no CUDA device. "
                "Run on a machine with a GPU, or use --device cpu.")
    if args.quick:
        args.batch, args.qubits, args.layers = 4, [3, 4], [1, 2]
        args.sweep_pixels, args.slow_pixels, args.lightning_max_pixels = [1, 196, 784], [1, 4], 4
        args.repeats, args.min_time, args.sample_time, args.max_time = 3, 0.0, 0.002, 5.0
    return args


def run(argv=None) -> tuple:
    from qpcnn_edu.lab.provenance import provenance, utc

    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse(argv)
    torch.set_num_threads(args.threads)
    policy = Policy(warmup=args.warmup, min_repeats=args.repeats, min_time=args.min_time,
                    sample_time=args.sample_time, max_time=args.max_time)
    sync = torch.cuda.synchronize if args.device.startswith("cuda") else None
    log = lambda msg: print(msg, file=sys.stderr, flush=True)  # noqa: E731
    available = availability(args.device)
    started, t0, load0 = utc(), time.time(), os.getloadavg()
    pixels = args.batch * args.size * args.size
    log(f"# layer benchmark on {args.device}, {args.threads} thread(s), {pixels} pixels; "
        f"unavailable: {', '.join(f'{n} ({r})' for n, r in available.items() if r) or 'none'}")
    not_run = []
    groups = dict(args=args, policy=policy, available=available, sync=sync, log=log, not_run=not_run,
                  deadline=t0 + args.budget if args.budget else None)
    head = time_group(*HEADLINE, pixels, list(FAST), "all", **{**groups, "deadline": None})  # always
    shift = time_group(*HEADLINE, pixels, list(SHIFT), "weights", **groups)
    for name in ("qpc_shift", "pl_shift"):
        if shift and name in shift:
            head[name] = shift[name]
    batch_sweep = sweep(*HEADLINE, args.sweep_pixels, FAST, "all", **groups)
    weights_sweep = sweep(*HEADLINE, args.slow_pixels, SLOW, "weights",
                          caps={"lightning_adjoint": args.lightning_max_pixels}, **groups)
    grid = [time_group(n, L, pixels, list(FAST), "all", **groups) for n in args.qubits for L in args.layers]
    grid = [g for g in grid if g is not None]
    prov = provenance(args.device)
    if prov["git_commit"] is None and os.environ.get("BENCH_COMMIT"):  # a copied tree without .git (device machine)
        prov = {**prov, "git_commit": os.environ["BENCH_COMMIT"],
                "git_commit_source": "BENCH_COMMIT: no git checkout on this machine; the commit stated by the caller"}
    skipped = {n: r for n, r in available.items() if r}
    for g in [head, *([shift] if shift else []), *grid, *batch_sweep["points"], *weights_sweep["points"]]:
        skipped.update(g["skipped"])
    record = {
        "schema": SCHEMA, "quick": args.quick, "device": args.device,
        "command": "python benchmarks/bench_layer.py " + " ".join(argv), "note": args.note,
        "started_utc": started, "finished_utc": utc(), "wall_s": time.time() - t0,
        "load_average": {"start": list(load0), "end": list(os.getloadavg())},
        "threads": {"torch": torch.get_num_threads(), "torch_interop": torch.get_num_interop_threads(),
                    "env": {v: os.environ.get(v) for v in THREAD_VARS}},
        "tf32": {"matmul": torch.backends.cuda.matmul.allow_tf32, "cudnn": torch.backends.cudnn.allow_tf32},
        "provenance": prov, "machine": prov["machine"], "policy": policy.as_dict(),
        "batch": args.batch, "size": args.size, "targets": {**TARGETS, "results": targets(head, grid)},
        "labels": {n: LABELS[n] for n in ALL}, "skipped": skipped, "budget_s": args.budget, "not_run": not_run,
        "notes": {"torchquantum": TORCHQUANTUM_NOTE if "torchquantum" in skipped else TORCHQUANTUM_INSTALLED_NOTE,
                  "lightning_adjoint": LIGHTNING_NOTE},
        "headline": head, "shift": shift, "batch_sweep": batch_sweep, "weights_sweep": weights_sweep, "grid": grid,
    }
    text = markdown(record)
    return record, text, args


def main(argv=None):
    from qpcnn_edu._io import atomic_write, write_json_atomic, write_text_atomic

    record, text, args = run(argv)
    print(text)
    if args.out:
        write_json_atomic(args.out.with_suffix(".json"), record)
        write_text_atomic(args.out.with_suffix(".md"), text + "\n")
        if not args.no_plot:
            from plot_bench import plot

            fig = plot(record)
            atomic_write(args.out.with_suffix(".png"),
                         lambda tmp: fig.savefig(tmp, format="png", dpi=110, metadata={"Software": None}))


if __name__ == "__main__":
    main()
