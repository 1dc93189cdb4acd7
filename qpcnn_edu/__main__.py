"""Command line: ``python -m qpcnn_edu {train,reproduce,report} ...``.

Examples::

    python -m qpcnn_edu train --dataset fashion-mnist-mini --model qpcnn --epochs 2
    python -m qpcnn_edu reproduce --dataset fashion-mnist --profile full      # the committed results
    python -m qpcnn_edu reproduce --dataset cifar10 --profile full --download # where CIFAR-10 downloads
    python -m qpcnn_edu report                                                # results/summary.md + plots
    python -m qpcnn_edu reproduce --suite blocks --profile ci                 # QPC in MobileNet/ResNet blocks
    python -m qpcnn_edu robustness --dataset fashion-mnist                     # shots and noise on a trained QPCNN
    python -m qpcnn_edu robustness --noisy-training                           # training with shots/noise (mini set)
    python -m qpcnn_edu timing --dataset fashion-mnist                        # epoch times on a quiet machine
"""

from __future__ import annotations

import argparse
import shlex
import sys

from .lab.data import DATASETS, DatasetIntegrityError, DatasetNotFoundError
from .lab.experiments import ResultConflictError, run_experiment, run_suite
from .lab.report import write_report
from .viz.result_plots import write_result_plots
from .lab.results import SUITE_RESULTS
from .lab.robustness import DEFAULT_NOISE, DEFAULT_SHOTS, run_noisy_training, run_robustness
from .lab.suites import (MODEL_KINDS, NAMED_MODELS, PROFILES, SUITE, SUITES, RunConfig, model_kwargs, suite,
                         validate_config)
from .lab.timing import DEFAULT_OUT, run_timing

#: ``train`` flags that set model keyword arguments: flag -> keyword
MODEL_FLAGS = {"--n-layers": "n_layers", "--n-kernels": "n_kernels", "--measurement": "measurement",
               "--diff-method": "diff_method", "--stem-channels": "stem_channels",
               "--pointwise-channels": "pointwise_channels"}
#: errors a user can fix: reported as one line (exit status 2), never as a traceback
USER_ERRORS = (ValueError, FileNotFoundError, PermissionError, ResultConflictError, DatasetNotFoundError,
               DatasetIntegrityError)


def _command(argv) -> str:
    return "python -m qpcnn_edu " + " ".join(shlex.quote(a) for a in argv)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m qpcnn_edu", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    def data_args(p):
        p.add_argument("--dataset", default="fashion-mnist-mini", choices=DATASETS,
                       help="dataset (default: the embedded offline mini set)")
        p.add_argument("--data-root", default=None, help="folder holding the data (default: $QPCNN_EDU_DATA, cache)")
        p.add_argument("--download", action="store_true", help="download the dataset if missing (needs network)")
        p.add_argument("--device", default=None, help="cpu, cuda, ... (default: a GPU when available)")
        p.add_argument("--results", default="results", help="results folder (default: results)")
        p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                       help="show progress bars (default: on a terminal, not in CI)")

    train = sub.add_parser("train", help="train one model with one seed and write its result file")
    data_args(train)
    train.add_argument("--model", default="qpcnn", choices=list(MODEL_KINDS))
    train.add_argument("--name", default=None, help="run name (default: the model kind)")
    train.add_argument("--epochs", type=int, default=2)
    train.add_argument("--lr", type=float, default=2e-3)
    train.add_argument("--batch-size", type=int, default=64)
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--n-layers", type=int, default=None, help="QPC entangling layers (qpcnn, matched)")
    train.add_argument("--n-kernels", type=int, default=None, help="QPC kernels (qpcnn)")
    train.add_argument("--measurement", choices=("expval", "probs"), default=None, help="QPC readout (qpcnn)")
    train.add_argument("--diff-method", choices=("backprop", "parameter-shift"), default=None, help="(qpcnn)")
    train.add_argument("--stem-channels", type=int, default=None)
    train.add_argument("--pointwise-channels", type=int, default=None, help="1x1 conv width (classical, quadratic)")
    train.add_argument("--force", action="store_true", help="rerun even if the result file exists")

    rep = sub.add_parser("reproduce", help="run a profile's suite of models and seeds (finished runs are skipped)")
    data_args(rep)
    rep.add_argument("--profile", default="ci", choices=sorted(PROFILES))
    rep.add_argument("--suite", default="paper", choices=list(SUITES),
                     help="paper: the QPCNN and its controls (default); blocks: the QPC layer in MobileNet/ResNet "
                          "blocks and their classical twins (results in results/blocks unless --results is given)")
    rep.set_defaults(results=None)  # the suite's folder, SUITE_RESULTS
    rep.add_argument("--models", nargs="+", default=None, choices=list(NAMED_MODELS),
                     help="subset of the suite")
    rep.add_argument("--seeds", nargs="+", type=int, default=None, help="override the profile's seeds")
    rep.add_argument("--epochs", type=int, default=None, help="override the profile's epochs")
    rep.add_argument("--force", action="store_true", help="rerun finished runs")
    rep.add_argument("--no-report", action="store_true", help="do not rewrite summary.md afterwards")

    report = sub.add_parser("report", help="write <results>/summary.md and plots from the result files")
    report.add_argument("--results", default="results")
    report.add_argument("--no-plots", action="store_true")

    rob = sub.add_parser("robustness", help="a trained QPCNN (retrained from the committed suite) under finite "
                                            "shots and depolarizing noise, or training with them (--noisy-training)")
    data_args(rob)
    rob.set_defaults(dataset=None)  # fashion-mnist, or the mini set with --noisy-training
    rob.add_argument("--model", default="qpcnn-L2", choices=[n for n, spec in SUITE.items() if spec[0] == "qpcnn"])
    rob.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2], help="training seeds")
    rob.add_argument("--shots", nargs="+", type=int, default=list(DEFAULT_SHOTS), help="shots per pixel")
    rob.add_argument("--noise", nargs="+", type=float, default=list(DEFAULT_NOISE),
                     help="depolarizing strengths (after every entangling layer)")
    rob.add_argument("--sample-seeds", nargs="+", type=int, default=[0, 1, 2], help="seeds of the shot sampling")
    rob.add_argument("--epochs", type=int, default=None,
                     help="training epochs (default: the full profile's, so the committed run is reproduced; "
                          "3 with --noisy-training)")
    rob.add_argument("--noisy-training", action="store_true",
                     help="train with shots/noise from the start instead (exact, shots 10/100/1000, noise 0.01/0.1)")
    rob.add_argument("--force", action="store_true", help="redo finished runs")

    tim = sub.add_parser("timing", help="epoch time of a suite's models on a quiet machine: one process, models "
                                        "interleaved round-robin, repeated; median and IQR (benchmarks/results)")
    tim.add_argument("--suite", default="paper", choices=list(SUITES))
    tim.add_argument("--models", nargs="+", default=None, choices=list(NAMED_MODELS), help="subset of the suite")
    tim.add_argument("--dataset", default="fashion-mnist-mini", choices=DATASETS,
                     help="training images of the batches (default: the offline mini set; fashion-mnist for the "
                          "real numbers)")
    tim.add_argument("--data-root", default=None, help="folder holding the data (default: $QPCNN_EDU_DATA, cache)")
    tim.add_argument("--batches", type=int, default=50, help="training steps per sample (default 50)")
    tim.add_argument("--repeats", type=int, default=15, help="measured rounds (default 15)")
    tim.add_argument("--warmup", type=int, default=2, help="discarded rounds first (default 2)")
    tim.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    tim.add_argument("--note", default="", help="what else runs on the machine (recorded with the load average)")
    tim.add_argument("--out", default=str(DEFAULT_OUT), help=f"output without suffix (default {DEFAULT_OUT})")
    return parser


def _train_config(args, parser) -> RunConfig:
    kwargs = {}
    for flag, key in MODEL_FLAGS.items():
        value = getattr(args, key)
        if value is None:
            continue
        if key not in model_kwargs(args.model):
            takes = [f for f, k in MODEL_FLAGS.items() if k in model_kwargs(args.model)]
            parser.error(f"{flag} does not apply to --model {args.model}; it takes {', '.join(takes) or 'none of them'}.")
        kwargs[key] = value
    if args.model == "quadratic":
        kwargs.setdefault("pointwise_channels", 3)
    config = RunConfig(name=args.name or args.model, model=args.model, dataset=args.dataset, num_epochs=args.epochs,
                       lr=args.lr, batch_size=args.batch_size, seed=args.seed, model_kwargs=kwargs)
    try:
        return validate_config(config)
    except ValueError as err:
        parser.error(str(err))


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return _run(args, argv, parser)
    except USER_ERRORS as err:
        print(f"python -m qpcnn_edu {args.command}: error: {err}", file=sys.stderr)
        return 2


def _run(args, argv, parser) -> int:
    if args.command == "train":
        config = _train_config(args, parser)
        record = run_experiment(config, args.results, root=args.data_root, download=args.download,
                                device=args.device, command=_command(argv), force=args.force, progress=args.progress)
        print(f"{config.run_id}: test accuracy {record['final_test_acc']:.4f}, "
              f"{record['n_parameters']} parameters, {record['mean_epoch_time']:.1f} s/epoch")
        return 0
    if args.command == "reproduce":
        runs = suite(args.dataset, args.profile, names=args.models, seeds=args.seeds, num_epochs=args.epochs,
                     suite_name=args.suite)
        results = args.results or SUITE_RESULTS[args.suite]
        run_suite(runs, results, root=args.data_root, download=args.download, device=args.device,
                  command=_command(argv), force=args.force, progress=args.progress)
        if not args.no_report:
            print(f"wrote {write_report(results)} and {len(write_result_plots(results))} plots")
        return 0
    if args.command == "robustness":
        common = dict(results_dir=args.results, root=args.data_root, download=args.download,
                      device=args.device or "cpu", command=_command(argv), force=args.force)
        if args.noisy_training:
            dataset = args.dataset or "fashion-mnist-mini"
            records = run_noisy_training(dataset, args.model, seeds=args.seeds, num_epochs=args.epochs or 3, **common)
            print(f"{len(records)} noisy-training runs under {args.results}/{dataset}/noisy-training")
            return 0
        records = run_robustness(args.dataset or "fashion-mnist", args.model, seeds=args.seeds, shots=args.shots,
                                 noise=args.noise, sample_seeds=args.sample_seeds, num_epochs=args.epochs, **common)
        for r in records:
            print(f"{r['run_id']}: exact {r['exact_test_acc']:.4f} (committed {r['committed_test_acc']})")
        return 0
    if args.command == "timing":
        paths = run_timing(args.models, suite_name=args.suite, dataset=args.dataset, root=args.data_root,
                           n_batches=args.batches, repeats=args.repeats, warmup=args.warmup, threads=args.threads,
                           note=args.note, out=args.out, command=_command(argv))
        print(f"wrote {paths[0]} and {paths[1]}")
        return 0
    print(f"wrote {write_report(args.results)}")
    if not args.no_plots:
        print(f"wrote {len(write_result_plots(args.results))} plots")
    return 0


if __name__ == "__main__":
    sys.exit(main())
