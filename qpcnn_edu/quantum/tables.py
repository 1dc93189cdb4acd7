"""Gates and hardware costs of several QPC configurations side by side, as rows or as a markdown table.

:func:`cost_table` joins :func:`qpcnn_edu.quantum.resources.circuit_resources` (gates) and
:func:`qpcnn_edu.quantum.cost.training_cost` (circuits, shots, epoch times on each hardware profile);
:func:`format_cost_table` prints the rows.

>>> rows = cost_table([(2, 1)], profiles=["trapped-ion"], image_hw=(2, 2), n_images=10)
>>> rows[0]["gates"], rows[0]["circuits_per_image_train_step"]  # 4 pixels x (1 + 2 * 6 shifts + 2 * 4 inputs)
(18, 84)
>>> print(format_cost_table([{k: rows[0][k] for k in ("n_qubits", "gates", "epoch_s[trapped-ion]")}]))
| qubits | gates | epoch (trapped-ion) |
|---:|---:|---:|
| 2 | 18 | 2.57 h |
"""

from __future__ import annotations

from typing import Iterable, Mapping, Sequence

from .cost import HARDWARE_PROFILES, format_duration, training_cost
from .resources import DEFAULT_BASIS, circuit_resources

__all__ = ["DEFAULT_CONFIGS", "cost_table", "format_cost_table"]

#: The reproduction's configurations: 3 qubits (8 channels) with 1, 2 and 4 layers, and 4 qubits (16 channels) with 2.
DEFAULT_CONFIGS = (
    {"n_qubits": 3, "n_layers": 1},
    {"n_qubits": 3, "n_layers": 2},
    {"n_qubits": 3, "n_layers": 4},
    {"n_qubits": 4, "n_layers": 2},
)


def _config(config) -> dict:
    keys = ("n_qubits", "n_layers", "n_kernels", "in_channels")
    if isinstance(config, Mapping):
        unknown = sorted(set(config) - set(keys))
        if unknown or "n_qubits" not in config or "n_layers" not in config:
            raise ValueError(f"configs must hold mappings with keys n_qubits, n_layers and optionally n_kernels, "
                             f"in_channels; got {dict(config)!r}.")
        return dict(config)
    if isinstance(config, Sequence) and not isinstance(config, (str, bytes)) and 2 <= len(config) <= 4:
        return dict(zip(keys, config))
    raise ValueError(f"configs must hold mappings or tuples (n_qubits, n_layers[, n_kernels[, in_channels]]); "
                     f"got {config!r}.")


def cost_table(
    configs: Iterable = DEFAULT_CONFIGS,
    profiles: Sequence[str] | None = None,
    basis: Sequence[str] = DEFAULT_BASIS,
    amplitudes: str = "generic",
    markdown: bool = False,
    **kwargs,
) -> list | str:
    """Gates, circuits, shots and epoch times of several QPC configurations on several hardware profiles.

    Args:
        configs (Iterable): mappings with keys ``n_qubits``, ``n_layers`` and optionally ``n_kernels``,
            ``in_channels``, or tuples ``(n_qubits, n_layers[, n_kernels[, in_channels]])``; the reproduction's
            four by default (:data:`DEFAULT_CONFIGS`).
        profiles (Sequence[str], optional): keys of :data:`HARDWARE_PROFILES`; all of them if ``None``.
        basis (Sequence[str]), amplitudes (str): passed to :func:`circuit_resources`.
        markdown (bool): return :func:`format_cost_table` of the rows instead of the rows.
        **kwargs: passed to :func:`training_cost` (``image_hw``, ``n_images``, ``shots``, ``diff_method``,
            ``input_grad``, ``time_per_shot_s``, ...; not ``profile``).

    Returns:
        list[dict] | str: one row per configuration: its sizes, the compiled circuit's ``gates``,
        ``two_qubit_gates`` and ``depth``, circuits per image (inference and training step), circuits and shots per
        epoch, and ``epoch_s[<profile>]``, the seconds of one training epoch on each profile; or a markdown table.

    Raises:
        ValueError: for invalid configurations or arguments.

    >>> rows = cost_table([(3, 2)], profiles=["superconducting"], image_hw=(2, 2), n_images=1, shots=100)
    >>> rows[0]["circuits_per_image_train_step"], rows[0]["epoch_s[superconducting]"]  # 4 x (1 + 36 + 16), 0.11 s
    (212, 23.32)
    """
    if isinstance(configs, (str, bytes, Mapping)) or not isinstance(configs, Iterable):
        raise ValueError(f"configs must be an iterable of configurations such as {DEFAULT_CONFIGS[0]}; "
                         f"got {configs!r}.")
    configs = [_config(c) for c in configs]
    if not configs:
        raise ValueError("configs must hold at least one configuration; got none.")
    if profiles is None:
        profiles = tuple(HARDWARE_PROFILES)
    if isinstance(profiles, str) or not all(p in HARDWARE_PROFILES for p in profiles) or not profiles:
        raise ValueError(f"profiles must be a non-empty sequence of keys of HARDWARE_PROFILES "
                         f"{tuple(HARDWARE_PROFILES)}; got {profiles!r}.")
    if "profile" in kwargs:
        raise ValueError(f"profile must not be passed to cost_table; got profile={kwargs['profile']!r}. "
                         "Use profiles=[...].")
    rows = []
    for config in configs:
        kernels_etc = {k: config[k] for k in ("n_kernels", "in_channels") if k in config}
        res = circuit_resources(config["n_qubits"], config["n_layers"], basis=basis, amplitudes=amplitudes,
                                measurement=kwargs.get("measurement", "expval"))
        costs = {p: training_cost(config["n_qubits"], config["n_layers"], profile=p, **kernels_etc, **kwargs)
                 for p in profiles}
        first = costs[profiles[0]]
        row = {
            "n_qubits": first.n_qubits, "n_layers": first.n_layers, "n_kernels": first.n_kernels,
            "in_channels": first.in_channels, "n_weights": first.n_weights,
            "gates": res.total_gates, "two_qubit_gates": res.two_qubit_gates, "depth": res.depth,
            "state_prep_gates": res.state_prep.total_gates, "trainable_gates": res.trainable.total_gates,
            "circuits_per_image_inference": first.circuits_per_image_inference,
            "circuits_per_image_train_step": first.circuits_per_image_train_step,
            "circuits_per_epoch": first.circuits_per_epoch, "shots_per_epoch": first.shots_per_epoch,
        }
        for p, cost in costs.items():
            row[f"epoch_s[{p}]"] = round(cost.seconds_per_epoch, 6)
        rows.append(row)
    return format_cost_table(rows) if markdown else rows


_HEADERS = {
    "n_qubits": "qubits", "n_layers": "layers", "n_kernels": "kernels", "in_channels": "C", "n_weights": "angles",
    "gates": "gates", "two_qubit_gates": "2q gates", "depth": "depth", "state_prep_gates": "prep gates",
    "trainable_gates": "SEL gates", "circuits_per_image_inference": "circ/img (infer)",
    "circuits_per_image_train_step": "circ/img (train)", "circuits_per_epoch": "circ/epoch",
    "shots_per_epoch": "shots/epoch",
}


def format_cost_table(rows: Sequence[Mapping]) -> str:
    """Rows of :func:`cost_table` as a markdown table (epoch times as durations, large counts in ``e`` notation).

    Args:
        rows (Sequence[Mapping]): rows with the same keys.

    Returns:
        str: the table, one line per row after a header and a rule.

    Raises:
        ValueError: if ``rows`` is empty or its rows have different keys.

    >>> print(format_cost_table([{"n_qubits": 3, "shots_per_epoch": 6.2e11, "epoch_s[trapped-ion]": 3.2e7}]))
    | qubits | shots/epoch | epoch (trapped-ion) |
    |---:|---:|---:|
    | 3 | 6.2e+11 | 1.01 yr |
    """
    rows = list(rows) if isinstance(rows, Iterable) and not isinstance(rows, (str, bytes, Mapping)) else None
    if not rows or not all(isinstance(r, Mapping) for r in rows):
        raise ValueError("rows must be a non-empty sequence of mappings (the output of cost_table); "
                         f"got {rows!r}.")
    keys = list(rows[0])
    if any(list(r) != keys for r in rows):
        raise ValueError(f"rows must all have the keys {keys}; got rows with other keys.")

    def header(key):
        if key.startswith("epoch_s[") and key.endswith("]"):
            return f"epoch ({key[8:-1]})"
        return _HEADERS.get(key, key)

    def cell(key, value):
        if key.startswith("epoch_s["):
            return format_duration(value)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and abs(value) >= 1e6:
            return f"{value:.3g}"
        return str(value)

    lines = ["| " + " | ".join(header(k) for k in keys) + " |", "|" + "|".join("---:" for _ in keys) + "|"]
    lines += ["| " + " | ".join(cell(k, r[k]) for k in keys) + " |" for r in rows]
    return "\n".join(lines)
