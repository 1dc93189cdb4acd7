"""qpcnn-edu: the Quantum Pointwise Convolutional Neural Network, reconstructed, tested and explained.

The public API, re-exported here (``from qpcnn_edu import QuantumPointwiseConv2d``). The package has four floors,
each importing only the ones below it (DEVELOPERS.md has the module map):

* :mod:`qpcnn_edu.quantum` — :func:`n_qubits_for`, :func:`amplitude_encode`, :func:`angle_encode` (``encoding``);
  :func:`entangling_unitary`, :func:`draw` (``circuits``); :func:`reference_qnode` (``reference``); the fast
  simulator; shots and noise; :func:`circuit_resources`, :func:`training_cost`, :func:`cost_table` (``resources``,
  ``cost``, ``tables``).
* :mod:`qpcnn_edu.nn` — :class:`QuantumPointwiseConv2d` (``layers``), :class:`QuadraticPointwiseConv2d`
  (``quadratic``), :class:`QPCNN`, :class:`ClassicalCNN`, :func:`count_parameters` (``models``),
  :class:`MobileNetQPC`, :class:`ResNetQPC` (``mobilenet``, ``resnet``).
* :mod:`qpcnn_edu.lab` — :func:`load_dataset`, :func:`load_splits` (``data``), :func:`fit`, :func:`evaluate`
  (``training``); the model suites, result files, statistics and reports (``suites``, ``results``,
  ``experiments``, ``stats``, ``report``, ``timing``); the command line ``python -m qpcnn_edu``.
* :mod:`qpcnn_edu.viz` — the book's figures, small multiples, self-checks and live explorers.
"""

from .quantum.circuits import MEASUREMENTS, default_ranges, draw, entangling_unitary, rot_matrix
from .quantum.reference import reference_qnode
from .lab.data import (DATASETS, DatasetIntegrityError, DatasetNotFoundError, ImageDataset, dataset_info,
                       dataset_md5s, describe, load_dataset, load_splits, subset)
from .quantum.encoding import amplitude_encode, angle_encode, n_qubits_for
from .nn.layers import BACKENDS, DIFF_METHODS, QuantumPointwiseConv2d
from .nn.quadratic import QuadraticPointwiseConv2d
from .nn.models import ClassicalCNN, PointwiseCNN, QPCNN, count_parameters
from .nn.mobilenet import InvertedResidual, MobileNetQPC
from .nn.resnet import Bottleneck, ResNetQPC
from .quantum.resources import circuit_resources
from .quantum.cost import HARDWARE_PROFILES, training_cost
from .quantum.tables import cost_table
from .lab.training import evaluate, fit
from .quantum.simulator import parameter_shift_weight_grad

__version__ = "0.1.0"

__all__ = [
    "__version__",
    # encoding
    "n_qubits_for",
    "amplitude_encode",
    "angle_encode",
    # circuits
    "MEASUREMENTS",
    "default_ranges",
    "rot_matrix",
    "entangling_unitary",
    "reference_qnode",
    "draw",
    # layers
    "BACKENDS",
    "DIFF_METHODS",
    "QuantumPointwiseConv2d",
    "QuadraticPointwiseConv2d",
    # models
    "PointwiseCNN",
    "QPCNN",
    "ClassicalCNN",
    "count_parameters",
    # blocks
    "InvertedResidual",
    "Bottleneck",
    "MobileNetQPC",
    "ResNetQPC",
    # training
    "fit",
    "evaluate",
    # hardware
    "HARDWARE_PROFILES",
    "circuit_resources",
    "training_cost",
    "cost_table",
    "parameter_shift_weight_grad",
    # data
    "DATASETS",
    "load_dataset",
    "load_splits",
    "dataset_info",
    "dataset_md5s",
    "describe",
    "subset",
    "ImageDataset",
    "DatasetNotFoundError",
    "DatasetIntegrityError",
]
