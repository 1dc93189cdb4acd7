"""Every model this project trains, in one table: model kinds, named models, suites, profiles and controls.

The command line (its choices), the experiments (:func:`build_model`), the report (order, descriptions and which
control each QPC model is compared with) and the timing command all read this module, so a model named here can be
trained, reported and timed everywhere.

* :data:`MODEL_KINDS` — how to build each kind of network (``qpcnn``, ``classical``, ``matched``, ``quadratic``,
  ``mobilenet``, ``resnet``) and which keyword arguments it takes (read from its constructor's signature).
* :data:`SUITES` — named models: the ``paper`` suite (the QPCNN at quantum depth 1, 2 and 4 and with a wider stem, its
  classical twins, a parameter-matched CNN and the quadratic-form control) and the ``blocks`` suite (QPC layers in
  MobileNetV2/ResNet blocks and their classical twins).
* :data:`PROFILES` — ``ci`` (the embedded mini set, 2 epochs, seed 0) and ``full`` (the full dataset, 15 epochs,
  seeds 0-9).
* :data:`CONTROLS` — the controls each QPC model is compared with in the summaries.
"""

from __future__ import annotations

import inspect
from dataclasses import asdict, dataclass, field

import torch

from .. import MobileNetQPC, ResNetQPC, _checks
from ..nn.layers import QuantumPointwiseConv2d
from ..nn.quadratic import QuadraticPointwiseConv2d
from ..nn.models import QPCNN, ClassicalCNN, PointwiseCNN, count_parameters
from .data import DATASETS, dataset_info

__all__ = ["RunConfig", "MODEL_KINDS", "SUITE", "BLOCK_SUITE", "SUITES", "NAMED_MODELS", "PROFILES", "CONTROLS",
           "model_kwargs", "suite", "build_model", "parameter_matched_kwargs", "validate_config"]

_DATA_ARGS = ("in_channels", "n_classes", "image_size")


@dataclass
class RunConfig:
    """Everything that determines one run (its identity: two runs with equal configs are the same run).

    Args:
        name (str): the run's model name (a key of :data:`NAMED_MODELS`, or free text for ``train``).
        model (str): a kind of :data:`MODEL_KINDS`.
        dataset (str): a name accepted by :func:`qpcnn_edu.load_dataset`.
        num_epochs, lr, batch_size, seed: training settings (see :func:`qpcnn_edu.fit`).
        model_kwargs (dict): keyword arguments of the model's constructor.
        profile (str): the profile the run belongs to (``"ci"``, ``"full"``, ``"custom"``).

    >>> RunConfig("qpcnn-L2", "qpcnn", "fashion-mnist", 15, 2e-3, 64, seed=3).run_id
    'qpcnn-L2-seed3'
    """

    name: str
    model: str
    dataset: str
    num_epochs: int
    lr: float
    batch_size: int
    seed: int
    model_kwargs: dict = field(default_factory=dict)
    profile: str = "custom"

    @property
    def run_id(self) -> str:
        return f"{self.name}-seed{self.seed}"

    def to_dict(self) -> dict:
        return asdict(self)


def _quadratic(**kwargs):
    out = kwargs.pop("pointwise_channels")
    return PointwiseCNN(QuadraticPointwiseConv2d(kwargs.get("stem_channels", 8), out), **kwargs)


def _matched(**kwargs):
    common = {k: kwargs.pop(k) for k in _DATA_ARGS}
    with torch.random.fork_rng():  # the search builds models: keep the seeded state for the real one
        matched = parameter_matched_kwargs(kwargs, **common)
    return ClassicalCNN(**common, **matched)


def _parameters(*constructors, drop=()) -> tuple:
    names = []
    for constructor in constructors:
        for p in inspect.signature(constructor).parameters.values():
            if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL) and p.name not in _DATA_ARGS + tuple(drop):
                names.append(p.name)
    return tuple(dict.fromkeys(names))


# what the QPC layers of a network take through its **qpc_kwargs (the network sets the sizes itself)
_QPC_ARGS = _parameters(QuantumPointwiseConv2d, drop=("in_channels", "n_layers", "n_kernels"))


def _with_qpc_args(constructor) -> tuple:
    own = _parameters(constructor)
    return own + tuple(k for k in _QPC_ARGS if k not in own)


#: kind -> (constructor taking the data arguments and keyword arguments, accepted keyword arguments)
MODEL_KINDS = {
    "qpcnn": (QPCNN, _with_qpc_args(QPCNN)),
    "classical": (ClassicalCNN, _parameters(ClassicalCNN)),
    "matched": (_matched, _parameters(QPCNN)),
    "quadratic": (_quadratic, ("pointwise_channels",) + _parameters(PointwiseCNN, drop=("pointwise",))),
    "mobilenet": (MobileNetQPC, _with_qpc_args(MobileNetQPC)),
    "resnet": (ResNetQPC, _with_qpc_args(ResNetQPC)),
}

#: The paper suite: name -> (model kind, model keyword arguments, one-line description)
SUITE = {
    "qpcnn-L1": ("qpcnn", {"n_layers": 1}, "QPCNN, 1 entangling layer (8 channels, 3 qubits)"),
    "qpcnn-L2": ("qpcnn", {"n_layers": 2}, "QPCNN, 2 entangling layers (8 channels, 3 qubits)"),
    "qpcnn-L4": ("qpcnn", {"n_layers": 4}, "QPCNN, 4 entangling layers (8 channels, 3 qubits)"),
    "qpcnn-wide-L2": ("qpcnn", {"n_layers": 2, "stem_channels": 16},
                      "QPCNN, 2 layers, wider stem (16 channels, 4 qubits)"),
    "classical": ("classical", {"pointwise_channels": 3}, "classical twin: 1x1 conv 8->3 in place of QPC"),
    "classical-wide": ("classical", {"pointwise_channels": 4, "stem_channels": 16},
                       "classical twin of the wide QPCNN: 1x1 conv 16->4"),
    "classical-matched": ("matched", {"n_layers": 2},
                          "classical CNN narrowed to <= the parameters of qpcnn-L2"),
    "quadratic": ("quadratic", {"pointwise_channels": 3},
                  "control: free symmetric quadratic forms x'Mx/x'x (contains the QPC function class)"),
}

#: The QPC layer in modern blocks (our extension; public summaries of the paper mention such blocks, its abstract does
#: not), same format as :data:`SUITE`.
BLOCK_SUITE = {
    "mobilenet-qpc": ("mobilenet", {"pointwise": "quantum"},
                      "MobileNetV2-style inverted residuals; expand 1x1 layers are QPC 8->24 (3 qubits, 8 kernels)"),
    "mobilenet-classical": ("mobilenet", {"pointwise": "classical"},
                            "classical twin of mobilenet-qpc: every 1x1 layer a convolution"),
    "resnet-qpc": ("resnet", {"pointwise": "quantum"},
                   "ResNet bottlenecks; reduce 1x1 layers are QPC 32->8 and 32->16 (5 qubits, 2 and 4 kernels)"),
    "resnet-classical": ("resnet", {"pointwise": "classical"},
                         "classical twin of resnet-qpc: every 1x1 layer a convolution"),
}

#: suite name -> suite
SUITES = {"paper": SUITE, "blocks": BLOCK_SUITE}

#: every named model of every suite, in suite order: name -> ``(kind, kwargs, description)``
NAMED_MODELS = {name: spec for models in SUITES.values() for name, spec in models.items()}

#: profile -> settings shared by its runs
PROFILES = {
    "ci": {"dataset": "fashion-mnist-mini", "num_epochs": 2, "seeds": (0,), "lr": 3e-3, "batch_size": 64},
    "full": {"dataset": None, "num_epochs": 15, "seeds": tuple(range(10)), "lr": 2e-3, "batch_size": 64},
}

#: The controls each QPC model is compared with in the summaries (the first one is its classical twin).
CONTROLS = {
    "qpcnn-L1": ("classical", "classical-matched", "quadratic"),
    "qpcnn-L2": ("classical", "classical-matched", "quadratic"),
    "qpcnn-L4": ("classical", "classical-matched", "quadratic"),
    "qpcnn-wide-L2": ("classical-wide",),
    "mobilenet-qpc": ("mobilenet-classical",),
    "resnet-qpc": ("resnet-classical",),
}


def model_kwargs(kind: str) -> tuple:
    """The keyword arguments a model kind accepts.

    >>> "n_layers" in model_kwargs("qpcnn"), "n_layers" in model_kwargs("classical")
    (True, False)
    """
    return MODEL_KINDS[_checks.one_of(kind, "model", tuple(MODEL_KINDS))][1]


def suite(dataset: str, profile: str = "full", names=None, seeds=None, num_epochs=None, *,
          suite_name: str = "paper") -> list:
    """The runs of a profile: every model of a suite (or ``names``) for every seed, seed by seed.

    >>> [r.run_id for r in suite("fashion-mnist", "full", names=["qpcnn-L2", "classical"], seeds=[3])]
    ['qpcnn-L2-seed3', 'classical-seed3']
    """
    models = SUITES[_checks.one_of(suite_name, "suite_name", tuple(SUITES))]
    settings = PROFILES[_checks.one_of(profile, "profile", tuple(PROFILES))]
    dataset = settings["dataset"] or dataset
    names = list(models) if names is None else list(names)
    unknown = [n for n in names if n not in models]
    if unknown:
        raise ValueError(f"model names must be among {list(models)}; got {unknown}.")
    seeds = settings["seeds"] if seeds is None else [_checks.non_negative_int(s, "seed") for s in seeds]
    num_epochs = settings["num_epochs"] if num_epochs is None else _checks.positive_int(num_epochs, "num_epochs")
    return [RunConfig(name=name, model=models[name][0], dataset=dataset, seed=seed, profile=profile,
                      num_epochs=num_epochs, lr=settings["lr"], batch_size=settings["batch_size"],
                      model_kwargs=dict(models[name][1]))
            for seed in seeds for name in names]


def parameter_matched_kwargs(qpcnn_kwargs: dict, in_channels: int, n_classes: int, image_size: int) -> dict:
    """ClassicalCNN settings with as many parameters as possible but no more than the QPCNN's.

    Starts from the QPCNN's twin and narrows the body (then the stem) until the count fits.

    >>> parameter_matched_kwargs({"n_layers": 2}, 1, 10, 28)
    {'stem_channels': 8, 'body_channels': 15, 'pointwise_channels': 3}
    """
    qpcnn = QPCNN(in_channels=in_channels, n_classes=n_classes, image_size=image_size, **qpcnn_kwargs)
    budget = count_parameters(qpcnn)
    pointwise = qpcnn.pointwise.out_channels
    for s in range(qpcnn.stem_channels, 0, -1):
        for b in range(qpcnn.body_channels, 0, -1):
            kwargs = {"stem_channels": s, "body_channels": b, "pointwise_channels": pointwise}
            candidate = ClassicalCNN(in_channels=in_channels, n_classes=n_classes, image_size=image_size, **kwargs)
            if count_parameters(candidate) <= budget:
                return kwargs
    raise ValueError(f"no classical CNN of this skeleton has at most {budget} parameters.")


def validate_config(config: RunConfig) -> RunConfig:
    """Check every field of a run before any data is loaded or any training starts; return the config.

    >>> validate_config(RunConfig("x", "classical", "fashion-mnist-mini", 1, 1e-3, 64, 0, {"n_layers": 3}))
    Traceback (most recent call last):
        ...
    ValueError: model_kwargs of model 'classical' must be among ('stem_channels', 'pointwise_channels', \
'body_channels', 'pointwise_activation', 'dropout'); got ['n_layers']. Drop them or choose a model that takes them.
    """
    _checks.one_of(config.model, "model", tuple(MODEL_KINDS))
    _checks.one_of(config.dataset, "dataset", DATASETS)
    _checks.positive_int(config.num_epochs, "num_epochs")
    _checks.positive_number(config.lr, "lr")
    _checks.positive_int(config.batch_size, "batch_size")
    _checks.non_negative_int(config.seed, "seed")
    accepted = model_kwargs(config.model)
    unknown = [k for k in config.model_kwargs if k not in accepted]
    if unknown:
        raise ValueError(f"model_kwargs of model {config.model!r} must be among {accepted}; got {unknown}. "
                         "Drop them or choose a model that takes them.")
    build_model(config)  # the constructors check the values (cheap: no data, no training)
    return config


def build_model(config: RunConfig) -> torch.nn.Module:
    """The model of a run, initialized from ``torch.manual_seed(config.seed)``.

    >>> model = build_model(suite("fashion-mnist", "full", names=["qpcnn-L2"], seeds=[0])[0])
    >>> type(model).__name__, sum(p.numel() for p in model.parameters())
    ('QPCNN', 8396)
    """
    constructor = MODEL_KINDS[_checks.one_of(config.model, "model", tuple(MODEL_KINDS))][0]
    info = dataset_info(config.dataset)
    common = {"in_channels": info["shape"][0], "n_classes": info["n_classes"], "image_size": info["shape"][1]}
    torch.manual_seed(config.seed)
    return constructor(**common, **config.model_kwargs)
