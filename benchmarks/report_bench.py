"""The Markdown tables of a layer-benchmark record (see :mod:`bench_layer`); nothing here measures anything."""

from __future__ import annotations

__all__ = ["markdown", "per_pixel_model"]


def _ms(stats) -> str:
    return f"{stats['median'] * 1e3:.3g} [{stats['q25'] * 1e3:.3g}, {stats['q75'] * 1e3:.3g}]"


def _ratio(r) -> str:
    return "—" if r is None else f"{r['median']:.3g} [{r['q25']:.3g}, {r['q75']:.3g}]"


def per_pixel_model(n_qubits: int, channels: int) -> dict:
    """Multiply-adds per pixel of one forward pass (the floor that no implementation of the function avoids).

    Our layer: amplitudes ``(2D x C) @ x`` and the readout ``(n + 1) x 2D`` of the squared amplitudes; the 1x1
    conv: ``C x n``. The backward pass costs about twice the forward (input and weight gradients).

    The fewest bytes per pixel of forward + backward in float32 are the same for both layers: read the ``C``
    inputs and write the ``n`` outputs, then read the ``n`` output gradients and the ``C`` inputs again and write the
    ``C`` input gradients.

    >>> per_pixel_model(3, 8)
    {'qpc_forward_macs': 192, 'conv_forward_macs': 24, 'ratio': 8.0, 'min_bytes_fwd_bwd': 120}
    """
    D = 2 ** n_qubits
    qpc = 2 * D * channels + (n_qubits + 1) * 2 * D
    conv = channels * n_qubits
    return {"qpc_forward_macs": qpc, "conv_forward_macs": conv, "ratio": qpc / conv,
            "min_bytes_fwd_bwd": 4 * (3 * channels + 2 * n_qubits)}


def _group_table(g, labels) -> list:
    names = list(g["stats"])
    has_conv = "to_conv1x1" in g["ratios"]
    head = "| contender | ms per call, median [IQR] | calls/sample x samples | µs per pixel |"
    head += " / conv1x1, per round |" if has_conv else ""
    head += " / qpc, per round |"
    lines = [head, "|---" * (head.count("|") - 1) + "|"]
    for n in names:
        s = g["stats"][n]
        row = (f"| {labels.get(n, n)} | {_ms(s)} | {s['number']} x {s['n']} | "
               f"{s['median'] / g['pixels'] * 1e6:.3g} |")
        if has_conv:
            row += f" {_ratio(g['ratios']['to_conv1x1'].get(n)) if n != 'conv1x1' else '1'} |"
        row += f" {_ratio(g['ratios'].get('to_qpc', {}).get(n)) if n != 'qpc' else '1'} |"
        lines.append(row)
    checks = ", ".join(f"{n} vs {c['against']}: out {c['max_abs_out']:.1g}, grad {c['max_rel_grad']:.1g}"
                       for n, c in g["checks"].items())
    lines += ["", f"Checked before timing (max abs output diff, max relative weight-gradient diff): {checks or '—'}. "
              f"{g['rounds']} interleaved rounds, {g['wall_s']:.1f} s" + (" (capped by max_time)." if g["capped"] else ".")]
    return lines


def _sweep_table(sw, labels) -> list:
    names = list(dict.fromkeys(n for p in sw["points"] for n in p["stats"]))
    pixels = [p["pixels"] for p in sw["points"]]
    head = "| contender | " + " | ".join(f"{p} px" for p in pixels) + " | fixed ms | per pixel µs | max rel. resid. |"
    lines = [head, "|---" * (head.count("|") - 1) + "|"]
    for n in names:
        cells = [f"{p['stats'][n]['median'] * 1e3:.3g}" if n in p["stats"] else "—" for p in sw["points"]]
        fit = sw["fits"].get(n)
        tail = (f"{fit['fixed_s'] * 1e3:.3g} | {fit['per_pixel_s'] * 1e6:.3g} | {fit['max_rel_residual']:.2f}"
                if fit else "— | — | —")
        lines.append(f"| {labels.get(n, n)} | " + " | ".join(cells) + f" | {tail} |")
    return lines


def _grid_table(grid) -> list:
    head = ("| qubits | layers | conv1x1 ms | qpc ms | qpc64 ms | PennyLane ms | TorchQuantum ms | qpc/conv | "
            "PennyLane/qpc | PennyLane/qpc64 |")
    lines = [head, "|---" * 10 + "|"]
    for g in grid:
        s, r = g["stats"], g["ratios"]
        cell = lambda n: _ms(s[n]) if n in s else "—"  # noqa: E731
        lines.append(f"| {g['n_qubits']} | {g['n_layers']} | {cell('conv1x1')} | {cell('qpc')} | {cell('qpc64')} | "
                     f"{cell('pl_backprop')} | {cell('torchquantum')} | "
                     f"{_ratio(r.get('to_conv1x1', {}).get('qpc'))} | {_ratio(r.get('to_qpc', {}).get('pl_backprop'))} | "
                     f"{_ratio(r.get('to_qpc64', {}).get('pl_backprop'))} |")
    return lines


def markdown(rec) -> str:
    """The whole record as Markdown: provenance, targets, then one table per group."""
    prov, labels, head = rec["provenance"], rec["labels"], rec["headline"]
    m, v = prov["machine"], prov["versions"]
    title = f"# QPC layer benchmark on {rec['device']} — forward + backward, {rec['batch']} x {rec['size']}x{rec['size']}"
    lines = [title, ""]
    if rec["quick"]:
        lines += ["**QUICK SMOKE RUN: tiny sizes and 3 repeats. These numbers measure nothing; do not commit them.**",
                  ""]
    lines += [
        f"- Command: `{rec['command']}`",
        f"- When: {rec['started_utc']} to {rec['finished_utc']} ({rec['wall_s']:.0f} s); note: {rec['note'] or '—'}",
        f"- Commit: {prov['git_commit']}" + (" (checkout had uncommitted changes)" if prov["git_dirty"] else ""),
        f"- Machine: {m['cpu']}, {m['cores']} cores" + (f", GPU {m['gpu']}" if m.get("gpu") else "")
        + f", {m['platform']}; load average {rec['load_average']['start'][0]:.2f} at start, "
        f"{rec['load_average']['end'][0]:.2f} at end",
        f"- Threads: torch {rec['threads']['torch']} (interop {rec['threads']['torch_interop']}), "
        + ", ".join(f"{k}={val}" for k, val in rec["threads"]["env"].items()),
        "- Versions: " + ", ".join(f"{k} {val}" for k, val in v.items()),
        f"- Policy, the same for every contender: {rec['policy']['warmup']} warm-up calls, then interleaved rounds "
        f"(A B C A B C ...) until >= {rec['policy']['min_repeats']} samples and >= {rec['policy']['min_time_s']:g} s "
        f"of timed calls each (a sample: the mean of enough calls to last ~{rec['policy']['sample_time_s'] * 1e3:g} "
        f"ms); median [25th, 75th percentile]; ratios taken per round, then summarized the same way.",
        "", "## Targets (issue 14), as ratios within one run", "",
        "| ratio | median [IQR] | target | met |", "|---|---|---|---|",
    ]
    for key, r in rec["targets"]["results"].items():
        lines.append(f"| {key} | {_ratio(r)} | {r['target']} | {'yes' if r['met'] else 'no'} |")
    n, L = head["n_qubits"], head["n_layers"]
    model = per_pixel_model(n, head["in_channels"])
    lines += ["", f"## Headline: {n} qubits ({head['in_channels']} channels), {L} layers, {head['pixels']} pixels, "
              "input and weight gradients", ""]
    lines += _group_table(head, labels)
    sh = rec["shift"]
    if sh:
        lines += ["", f"## Weight gradients only, {sh['pixels']} pixels: backprop against the parameter-shift rule",
                  ""]
        lines += _group_table(sh, labels)
    bs = rec["batch_sweep"]
    lines += ["", f"## Batch sweep: fixed and per-pixel cost ({bs['n_qubits']} qubits, {bs['n_layers']} layers, input "
              "and weight gradients), ms per call (median)", ""]
    lines += _sweep_table(bs, labels)
    ws = rec["weights_sweep"]
    lines += ["", f"## Gradient methods on few pixels (weights only; per-pixel cost compares them), ms per call", ""]
    lines += _sweep_table(ws, labels)
    lines += ["", "Fit: `time = fixed + per_pixel * pixels`, least squares on relative residuals (numpy).", "",
              "## Grid: qubits x layers at the full batch, ms per call median [IQR], ratios per round", ""]
    lines += _grid_table(rec["grid"])
    fit = bs["fits"].get("qpc"), bs["fits"].get("conv1x1")
    lines += ["", "## Floors", "",
              f"- Work per pixel, forward: our layer {model['qpc_forward_macs']} multiply-adds, the 1x1 conv "
              f"{model['conv_forward_macs']} ({model['ratio']:.1f}x); the backward pass about twice that for both. "
              f"The fewest bytes moved per pixel (fp32, forward + backward) are the same for both: "
              f"{model['min_bytes_fwd_bwd']}."]
    if all(fit):
        q, c = fit
        lines.append(f"- Measured: our layer {q['fixed_s'] * 1e3:.3g} ms fixed (building U, autograd and call "
                     f"overhead) + {q['per_pixel_s'] * 1e9:.3g} ns per pixel; the conv {c['fixed_s'] * 1e3:.3g} ms + "
                     f"{c['per_pixel_s'] * 1e9:.3g} ns per pixel (per-pixel ratio "
                     f"{q['per_pixel_s'] / c['per_pixel_s']:.2g}x). At {head['pixels']} pixels the fixed part is "
                     f"{q['fixed_s'] / (q['fixed_s'] + q['per_pixel_s'] * head['pixels']):.0%} of our layer's time.")
        for name, macs, per in (("our layer", model["qpc_forward_macs"], q["per_pixel_s"]),
                                ("the conv", model["conv_forward_macs"], c["per_pixel_s"])):
            if per > 0:
                lines.append(f"- Per-pixel rates of {name} (fwd + bwd ~ 3x the forward work): "
                             f"{3 * macs / per / 1e9:.3g} GMAC/s, {model['min_bytes_fwd_bwd'] / per / 1e9:.3g} GB/s "
                             "of unavoidable traffic.")
    if rec.get("not_run"):
        lines += ["", f"## Not run (the --budget of {rec['budget_s']:g} s was spent)", ""]
        lines += [f"- {what}" for what in rec["not_run"]]
    if rec["skipped"]:
        lines += ["", "## Not timed here", ""]
        lines += [f"- {labels.get(k, k)}: {why}" for k, why in rec["skipped"].items()]
    if rec["notes"]:
        lines += ["", "## Notes", ""]
        lines += [f"- {labels.get(k, k)}: {why}" for k, why in rec["notes"].items()]
    return "\n".join(lines)
