"""qpcnn-edu: the Quantum Pointwise Convolutional Neural Network, reconstructed, tested and explained.

The public API, re-exported here (``from qpcnn_edu import QuantumPointwiseConv2d``):

* :mod:`qpcnn_edu.encoding` — :func:`n_qubits_for`, :func:`amplitude_encode`, :func:`angle_encode`
* :mod:`qpcnn_edu.circuits` — :func:`entangling_unitary`, :func:`reference_qnode`, :func:`draw`
* :mod:`qpcnn_edu.layers` — :class:`QuantumPointwiseConv2d`
* :mod:`qpcnn_edu.models` — :class:`QPCNN`, :class:`ClassicalCNN`, :func:`count_parameters`
* :mod:`qpcnn_edu.nn.mobilenet`, :mod:`qpcnn_edu.nn.resnet` — :class:`MobileNetQPC`, :class:`ResNetQPC` (QPC in
  inverted-residual/bottleneck blocks; shared parts in :mod:`qpcnn_edu.nn.blocks`)
* :mod:`qpcnn_edu.data`, :mod:`qpcnn_edu.training` — :func:`load_dataset`, :func:`fit`, :func:`evaluate`
* :mod:`qpcnn_edu.quantum.resources`, :mod:`qpcnn_edu.quantum.cost` — :func:`circuit_resources`,
  :func:`training_cost` (gates and cost on a quantum computer)

Experiments and reports live in :mod:`qpcnn_edu.experiments`, :mod:`qpcnn_edu.report` and
:mod:`qpcnn_edu.robustness`; shots and noise in :mod:`qpcnn_edu.noise`; the book's explorers in
:mod:`qpcnn_edu.widgets`.
"""

from .quantum.circuits import MEASUREMENTS, default_ranges, draw, entangling_unitary, rot_matrix
from .quantum.reference import reference_qnode
from .lab.data import (DATASETS, DatasetIntegrityError, DatasetNotFoundError, ImageDataset, dataset_info,
                   dataset_md5s, describe, load_dataset, subset)
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
    "dataset_info",
    "dataset_md5s",
    "describe",
    "subset",
    "ImageDataset",
    "DatasetNotFoundError",
    "DatasetIntegrityError",
]
